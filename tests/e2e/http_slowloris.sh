#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/http_slowloris.sh — slow clients cannot lock others out of `serve --http` (issue #17).
# Two servers, 300 slow-loris sockets each (a request head that gains one header byte a second):
#  1. http.max_connections_per_address raised to 1000, so the front door holds all 300: with every
#     one still open, GET /health and an authenticated tools/call must each answer within 2 s (the
#     issue's bound; the measured times are printed); every slow socket then gets a 408 with a
#     JSON-RPC error body once its head misses http.header_timeout_s, and after they are closed
#     the server answers at once.
#  2. the defaults (64 connections per address): the oldest slow sockets are evicted with 408 to
#     admit new ones, /health and the tools/call again answer within 2 s, and the server answers
#     at once after the slow sockets close.
#  3. bodies read by libmicrohttpd (longer than the door's window, or sent after 100-continue)
#     that trickle in get a 408 with a JSON body once http.body_timeout_s (2 s here) has passed.
# Nothing else depends on timing: every wait polls with a generous overall timeout. Then SIGTERM
# (exit 0), no sanitizer report, and doctor passes.
set -u
W=${WORKLEDGER_BIN:?WORKLEDGER_BIN not set}
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T" || exit 1
export MOTUS_KERNEL_STORE_PATH=$T/.motus/kernel-store.db
"$W" init --quiet || exit 1
TOKEN=e2e-slowloris-token-0123456789
fails=0

cat > "$T/loris.py" <<'PY'
import json, select, socket, sys, threading, time
port, token, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
N, BOUND = 300, 2.0
fails = 0
def ok(m): print("ok   " + m)
def bad(m):
    global fails; fails += 1; print("FAIL " + m)

def request(raw, timeout):
    """One request on a fresh connection; returns (status, body, seconds) or raises."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(max(0.05, timeout - (time.monotonic() - t0)))
    s.sendall(raw)
    data, want = b"", None
    while want is None or len(data) < want:  # to the end of the body: an authenticated
        c = s.recv(65536)                     # connection is kept alive after its answer
        if not c: break
        data += c
        if time.monotonic() - t0 > timeout: raise TimeoutError("slow reply")
        head, sep, _ = data.partition(b"\r\n\r\n")
        if sep and want is None:
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length": want = len(head) + 4 + int(v)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body, time.monotonic() - t0

HOST = ("127.0.0.1:%d" % port).encode()
HEALTH = b"GET /health HTTP/1.1\r\nHost: " + HOST + b"\r\n\r\n"
CALL_BODY = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                        "params": {"name": "motebit_identity", "arguments": {}}}).encode()
CALL = (b"POST /mcp HTTP/1.1\r\nHost: " + HOST + b"\r\nAuthorization: Bearer " + token.encode() +
        b"\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " +
        str(len(CALL_BODY)).encode() + b"\r\n\r\n" + CALL_BODY)

def measure(what):
    for name, raw, check in (("/health", HEALTH, b'"status":"ok"'),
                             ("authenticated tools/call", CALL, b'"structuredContent"')):
        try:
            st, body, dt = request(raw, BOUND)
        except Exception as e:
            bad("%s %s: no answer within %.0f s (%s)" % (what, name, BOUND, e)); continue
        if st == 200 and check in body:
            ok("%s %s answered in %.3f s" % (what, name, dt))
        else:
            bad("%s %s: status %d %r" % (what, name, st, body[:200]))

socks, stop = [], threading.Event()
for i in range(N):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: " + HOST + b"\r\nX-Slow: ")
    s.setblocking(False)
    socks.append(s)
def trickle():
    while not stop.is_set():
        for s in socks:
            try: s.send(b"a")
            except OSError: pass
        stop.wait(1.0)
threading.Thread(target=trickle, daemon=True).start()

replies = {}
def collect(deadline):
    """Reads what the server sent on each slow socket until each is closed or deadline."""
    while time.monotonic() < deadline:
        live = [s for s in socks if s not in replies or not replies[s][1]]
        if not live: return
        r, _, _ = select.select(live, [], [], 0.5)
        for s in r:
            data, closed = replies.get(s, (b"", False))
            try:
                c = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                c = b""
            replies[s] = (data + c, not c)

def check_408(s):
    data = replies.get(s, (b"", False))[0]
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 408 ") or data.count(b"HTTP/1.") != 1:
        return False
    m = json.loads(body)
    return m["jsonrpc"] == "2.0" and isinstance(m["error"]["code"], int) and "id" in m

def slow_body(name, head, first, want_interim):
    """Sends head + first, then one body byte every 0.5 s; the reply must be a 408."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(head + first)
    s.setblocking(False)
    data, t0 = b"", time.monotonic()
    while time.monotonic() - t0 < 60:
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            try:
                c = s.recv(65536)
            except OSError:
                c = b""
            if not c: break
            data += c
        else:
            try: s.send(b"a")
            except OSError: pass
    s.close()
    if want_interim and data.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
        data = data[25:]
    h, _, body = data.partition(b"\r\n\r\n")
    try:
        good = h.startswith(b"HTTP/1.1 408 ") and data.count(b"HTTP/1.") == 1 and \
            json.loads(body)["error"]["code"] == -32600
    except ValueError:
        good = False
    if good: ok("%s: 408 with a JSON-RPC error body, then closed" % name)
    else: bad("%s: %r" % (name, data[:300]))

if mode == "body":
    # bodies the front door does not wait for (longer than its window, or after 100-continue)
    # are timed inside libmicrohttpd by the door's watchdog (http.body_timeout_s)
    big = (b"POST /mcp HTTP/1.1\r\nHost: " + HOST + b"\r\nAuthorization: Bearer " +
           token.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    slow_body("a slow 100 KB body", big, b"[" + b" " * 40000, False)
    exp = (b"POST /mcp HTTP/1.1\r\nHost: " + HOST + b"\r\nContent-Type: application/json\r\n"
           b"Expect: 100-continue\r\nContent-Length: 100\r\n\r\n")
    slow_body("a slow body after 100-continue", exp, b"", True)
    measure("after the slow bodies:")
    sys.exit(1 if fails else 0)

if mode == "held":
    r, _, _ = select.select(socks, [], [], 0)
    if r: bad("%d of %d slow sockets were answered before the measurement" % (len(r), N))
    else: ok("all %d slow-loris sockets are open and unanswered" % N)
    measure("with %d slow sockets open:" % N)
    r, _, _ = select.select(socks, [], [], 0)
    print("     (%d of %d slow sockets still unanswered after the measurement)" % (N - len(r), N))
    collect(time.monotonic() + 120)
    n408 = sum(1 for s in socks if check_408(s))
    if n408 == N: ok("every slow socket got a 408 with a JSON-RPC error body, then was closed")
    else: bad("only %d of %d slow sockets got a 408 (JSON body) and a close" % (n408, N))
else:
    measure("with %d slow sockets opened:" % N)
    collect(time.monotonic() + 60)
    n408 = sum(1 for s in socks if check_408(s))
    # evicted at once by the per-address cap, or (the last 64) when their head missed its deadline
    if n408 == N: ok("every slow socket got a 408 with a JSON-RPC error body, then was closed")
    else: bad("only %d of %d slow sockets got a 408 (JSON body) and a close" % (n408, N))
stop.set()
for s in socks: s.close()
measure("right after the slow sockets closed:")
sys.exit(1 if fails else 0)
PY

serve() { # config JSON → starts the server, sets PID and P
  echo "$1" > .motus/config.json
  rm -f "$T/port"
  "$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>>"$T/server.err" &
  PID=$!
  for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || { echo "FAIL server did not start: $(tail -3 "$T/server.err")"; exit 1; }
  P=$(cat "$T/port")
}
stop() {
  kill -TERM "$PID"
  for _ in $(seq 1 400); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
  wait "$PID"; local rc=$?; PID=
  [ $rc -eq 0 ] && echo "ok   server exited 0 on SIGTERM" || { echo "FAIL server exit $rc"; fails=1; }
}

echo "--- 1: the front door holds 300 slow sockets from one address"
serve "{\"http\":{\"tokens\":[{\"name\":\"ci\",\"token\":\"$TOKEN\"}],\"max_connections_per_address\":1000,\"header_timeout_s\":30}}"
python3 "$T/loris.py" "$P" "$TOKEN" held || fails=1
stop
echo "--- 2: default caps (64 per address): the oldest slow sockets are evicted"
serve "{\"http\":{\"tokens\":[{\"name\":\"ci\",\"token\":\"$TOKEN\"}]}}"
python3 "$T/loris.py" "$P" "$TOKEN" evict || fails=1
stop
echo "--- 3: slow bodies that libmicrohttpd reads (http.body_timeout_s 2)"
serve "{\"http\":{\"tokens\":[{\"name\":\"ci\",\"token\":\"$TOKEN\"}],\"body_timeout_s\":2}}"
python3 "$T/loris.py" "$P" "$TOKEN" body || fails=1
stop
if grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' "$T/server.err"; then
  echo "FAIL sanitizer report:"; grep -iE -A5 'AddressSanitizer|runtime error|LeakSanitizer' "$T/server.err" | head -30; fails=1
fi
"$W" doctor > "$T/doctor.txt" 2>&1 && echo "ok   doctor passes" || { echo "FAIL doctor: $(cat "$T/doctor.txt")"; fails=1; }
exit $fails

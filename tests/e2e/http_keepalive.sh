#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/http_keepalive.sh — a connection stays open only for a caller whose credential was
# verified (spec/http.md R-HTTP-060), and the front door's head deadline still holds on it:
#  1. three authenticated tools/call on ONE connection are all answered, none with
#     `Connection: close`, each with its own signed receipt;
#  2. on that connection, a request without Authorization gets 401 with `Connection: close`, and
#     the server then closes the connection;
#  3. GET /health (anonymous) and a request with a wrong token answer with `Connection: close`,
#     and the connection ends after the answer;
#  4. a kept-alive connection whose next head trickles in (one byte every 0.2 s) is shut down
#     once the head misses http.header_timeout_s (1 s here), long before libmicrohttpd's own
#     30 s inactivity timeout: the door's deadline is re-armed after every answer;
#  5. a client's own `Connection: close` is honoured.
# Every wait has a generous bound (30 s; 15 s, fifteen times the deadline, in case 4, to tell
# the door's deadline from the library's timeout) and only checks that something happens in it. Then SIGTERM (exit 0), no sanitizer report, doctor passes.
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
TOKEN=e2e-keepalive-token-0123456789
fails=0
echo "{\"http\":{\"tokens\":[{\"name\":\"ci\",\"token\":\"$TOKEN\"}],\"header_timeout_s\":1}}" > .motus/config.json
"$W" serve --http 127.0.0.1:0 --port-file "$T/port" 2>>"$T/server.err" &
PID=$!
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { echo "FAIL server did not start: $(tail -3 "$T/server.err")"; exit 1; }
P=$(cat "$T/port")

cat > "$T/ka.py" <<'PY'
import json, socket, sys, time
port, token = int(sys.argv[1]), sys.argv[2]
BOUND = 30.0
fails = 0
def ok(m): print("ok   " + m)
def bad(m):
    global fails; fails += 1; print("FAIL " + m)

HOST = ("127.0.0.1:%d" % port).encode()
def call(i, auth=b"Bearer " + token.encode(), extra=b""):
    body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                       "params": {"name": "motebit_identity", "arguments": {}}}).encode()
    h = b"POST /mcp HTTP/1.1\r\nHost: " + HOST + b"\r\n"
    if auth: h += b"Authorization: " + auth + b"\r\n"
    return (h + b"Content-Type: application/json\r\nAccept: application/json\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

def response(s):
    """Reads one response (head + Content-Length body): (status, headers, body) or None at EOF."""
    data, want = b"", None
    s.settimeout(BOUND)
    while want is None or len(data) < want:
        c = s.recv(65536)
        if not c: return None
        data += c
        head, sep, _ = data.partition(b"\r\n\r\n")
        if sep and want is None:
            hdrs = {}
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                hdrs[k.strip().lower()] = v.strip().lower()
            want = len(head) + 4 + int(hdrs.get(b"content-length", b"0"))
    return int(head.split(b" ", 2)[1]), hdrs, data[len(head) + 4:want]

def closed(s):
    """True when the server ends the connection (EOF or reset) within BOUND."""
    s.settimeout(BOUND)
    try:
        while s.recv(65536): pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

# 1 + 2: one connection, three authenticated calls, then an anonymous one
s = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
sigs = set()
for i in (1, 2, 3):
    s.sendall(call(i))
    r = response(s)
    if r is None:
        bad("call %d on the kept-alive connection: the connection was closed" % i); break
    st, h, body = r
    try:
        rc = json.loads(body)["result"]["_meta"]["io.motebit/receipt"]
        sigs.add(rc["signature"])
    except (ValueError, KeyError, TypeError):
        rc = None
    if st != 200 or rc is None or h.get(b"connection") == b"close":
        bad("call %d: status %d connection=%r body %r" % (i, st, h.get(b"connection"), body[:200]))
    else:
        ok("call %d answered on the same connection, with a receipt, no Connection: close" % i)
if len(sigs) == 3: ok("three calls, three distinct signed receipts")
else: bad("expected 3 distinct receipts, got %d" % len(sigs))
s.sendall(call(4, auth=None))
r = response(s)
if r and r[0] == 401 and r[1].get(b"connection") == b"close":
    ok("an anonymous request on it gets 401 with Connection: close")
else: bad("anonymous request on a kept-alive connection: %r" % (r,))
if closed(s): ok("then the server closes that connection")
else: bad("the connection stayed open after the 401")
s.close()

# 3: anonymous and failed callers: one request per connection
for name, raw in (("GET /health", b"GET /health HTTP/1.1\r\nHost: " + HOST + b"\r\n\r\n"),
                  ("a wrong token", call(5, auth=b"Bearer not-the-token-0123456789"))):
    s = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
    s.sendall(raw)
    r = response(s)
    if r and r[1].get(b"connection") == b"close" and closed(s):
        ok("%s: answered %d with Connection: close, then closed" % (name, r[0]))
    else: bad("%s: %r" % (name, r))
    s.close()

# 4: the head deadline is re-armed after each answer of a kept-alive connection
s = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
s.sendall(call(6))
r = response(s)
if not r or r[0] != 200: bad("deadline case: first call %r" % (r,))
nxt = call(7)[:-1]  # never complete: the last byte is held back
t0, gone = time.monotonic(), False
s.settimeout(0.2)
for b in nxt:
    if time.monotonic() - t0 > BOUND: break
    try:
        s.send(bytes([b]))
        if s.recv(65536) == b"": gone = True; break
    except socket.timeout:
        continue
    except OSError:
        gone = True; break
if not gone: gone = closed(s)
dt = time.monotonic() - t0
# libmicrohttpd's own inactivity timeout is 30 s: a close before 15 s is the door's 1 s deadline
if gone and dt < 15: ok("a trickling second head is cut off by the re-armed head deadline")
else: bad("a trickling second head kept the connection open %.1f s (head deadline 1 s)" % dt)
s.close()

# 5: the client's own Connection: close
s = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
s.sendall(call(8, extra=b"Connection: close\r\n"))
r = response(s)
if r and r[0] == 200 and closed(s): ok("a client's Connection: close ends the connection")
else: bad("client Connection: close: %r" % (r,))
s.close()
sys.exit(1 if fails else 0)
PY
python3 "$T/ka.py" "$P" "$TOKEN" || fails=1

kill -TERM "$PID"
for _ in $(seq 1 400); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
wait "$PID"; rc=$?; PID=
[ $rc -eq 0 ] && echo "ok   server exited 0 on SIGTERM" || { echo "FAIL server exit $rc"; fails=1; }
if grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer|ThreadSanitizer' "$T/server.err"; then
  echo "FAIL sanitizer report:"; grep -iE -A5 'Sanitizer|runtime error' "$T/server.err" | head -30; fails=1
fi
"$W" doctor > "$T/doctor.txt" 2>&1 && echo "ok   doctor passes" || { echo "FAIL doctor: $(cat "$T/doctor.txt")"; fails=1; }
exit $fails

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/http_malformed/run.py — sends every case of this corpus over a raw socket to a running
# `serve --http` and checks the reply: exactly one status line (HTTP/1.1 NNN), the status listed in
# cases.tsv, Content-Type application/json, a Content-Length that matches, and a body that parses
# as a JSON-RPC error {"jsonrpc":"2.0","id":…,"error":{"code":int,"message":str}}; the server must
# then close the connection. Used by tests/e2e/http_malformed.sh.
#
# Case files (NNN-name.req) are templates, not raw bytes, so that they stay readable and diffable:
# every line ends in CRLF on the wire (the file's LF becomes CRLF) except a line that ends in \c;
# the escapes \r \n \t \0 \xHH \\ give single bytes; {HOST} is 127.0.0.1:PORT, {TOKEN} the bearer
# token, {CL} the byte length of what follows the first CRLF CRLF, {R:c:N} N copies of the
# character c. cases.tsv: name, expected status, how to end ("wait": keep the socket open and wait
# for the reply; "shut": half-close after sending), what the case is about.
# Usage: run.py PORT TOKEN [DIR]
import json, os, re, socket, sys, time

port, token = int(sys.argv[1]), sys.argv[2]
d = sys.argv[3] if len(sys.argv) > 3 else os.path.dirname(os.path.abspath(__file__))


def expand(text):
    text = text.rstrip("\n")
    text = re.sub(r"\{R:(.):(\d+)\}", lambda m: m.group(1) * int(m.group(2)), text)
    text = text.replace("{HOST}", "127.0.0.1:%d" % port).replace("{TOKEN}", token)
    out = bytearray()
    for line in text.split("\n"):
        nl = True
        if line.endswith("\\c"):
            line, nl = line[:-2], False
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\\" and i + 1 < len(line):
                e = line[i + 1]
                if e == "x":
                    out.append(int(line[i + 2:i + 4], 16)); i += 4; continue
                out += {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\"}[e]
                i += 2; continue
            out += ch.encode("utf-8"); i += 1
        if nl:
            out += b"\r\n"
    raw = bytes(out)
    k = raw.find(b"\r\n\r\n")
    if b"{CL}" in raw:
        body = raw[k + 4:] if k >= 0 else b""
        raw = raw.replace(b"{CL}", str(len(body)).encode(), 1)
    return raw


def exchange(raw, how, timeout=20.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(timeout)
    try:
        s.sendall(raw)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before we finished sending: the reply is still there to read
    if how == "shut":
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    data, t0 = b"", time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            return data, True
        data += chunk
    s.close()
    return data, False


def check(data, closed, want):
    if not data:
        return "no reply"
    if not closed:
        return "the connection was not closed after the reply"
    # an interim 100 (Continue) may precede the answer to a request with Expect: 100-continue
    while data.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
        data = data[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
    lines = re.findall(rb"(?:^|\r\n)(HTTP/\d\.\d \d{3}[^\r\n]*)", data)
    starts = len(re.findall(rb"HTTP/1\.[01] \d{3} ", data))
    if len(lines) != 1 or starts != 1:
        return "%d status lines: %r" % (starts, data[:300])
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return "no end of head: %r" % data[:300]
    status = int(head.split(b" ", 2)[1])
    if status != want:
        return "status %d, want %d: %r" % (status, want, body[:200])
    hdrs = {}
    for l in head.split(b"\r\n")[1:]:
        n, _, v = l.partition(b":")
        if n.strip().lower() in hdrs:
            return "header %r twice" % n
        hdrs[n.strip().lower()] = v.strip()
    if not hdrs.get(b"content-type", b"").startswith(b"application/json"):
        return "Content-Type %r" % hdrs.get(b"content-type")
    if int(hdrs.get(b"content-length", b"-1")) != len(body):
        return "Content-Length %r but %d body bytes" % (hdrs.get(b"content-length"), len(body))
    try:
        m = json.loads(body)
    except ValueError:
        return "body is not JSON: %r" % body[:200]
    e = m.get("error") if isinstance(m, dict) else None
    if m.get("jsonrpc") != "2.0" or "id" not in m or not isinstance(e, dict) \
            or not isinstance(e.get("code"), int) or not isinstance(e.get("message"), str):
        return "not a JSON-RPC error: %r" % body[:200]
    return None


cases = []
for line in open(os.path.join(d, "cases.tsv"), encoding="utf-8"):
    if not line.strip() or line.startswith("#"):
        continue
    name, status, how, what = line.rstrip("\n").split("\t", 3)
    cases.append((name, int(status), how, what))
fails = 0
statuses = {}
for name, want, how, what in cases:
    raw = expand(open(os.path.join(d, name + ".req"), encoding="utf-8").read())
    t0 = time.monotonic()
    data, closed = exchange(raw, how)
    why = check(data, closed, want)
    dt = time.monotonic() - t0
    if why:
        fails += 1
        print("FAIL %s (%s): %s" % (name, what, why))
    else:
        statuses[want] = statuses.get(want, 0) + 1
        print("ok   %s → %d (%.2f s) %s" % (name, want, dt, what))
print("%d cases, %d failed; statuses: %s" % (len(cases), fails,
      ", ".join("%d×%d" % (n, st) for st, n in sorted(statuses.items()))))
if len(cases) < 100:
    print("FAIL the corpus has fewer than 100 cases")
    fails += 1
sys.exit(1 if fails else 0)

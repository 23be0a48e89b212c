# SPDX-License-Identifier: Apache-2.0
# Misbehaving peers for tests/e2e/client_call.sh (python3 standard library only).
# Usage: python3 peer_fakes.py MODE PORT-FILE   (listens on 127.0.0.1, ephemeral port)
#   hang  accept connections, read the request, never answer (the client must time out)
#   big   answer every request with 200 application/json and a 200 KB body (size limit)
#   html  answer every request with 200 text/html (not MCP)
import socket, sys, threading

mode, port_file = sys.argv[1], sys.argv[2]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
import os
os.rename(port_file + ".tmp", port_file)
held = []

def serve(c):
    c.settimeout(30)
    try:
        c.recv(65536)
    except OSError:
        pass
    if mode == "hang":
        held.append(c)  # keep it open, say nothing
        return
    if mode == "big":
        body = b'{"jsonrpc":"2.0","id":1,"result":{"pad":"' + b"a" * 200000 + b'"}}'
        ct = b"application/json"
    else:
        body = b"<html><body>hello</body></html>"
        ct = b"text/html"
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ct + b"\r\nContent-Length: " +
              str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    c.close()

while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()

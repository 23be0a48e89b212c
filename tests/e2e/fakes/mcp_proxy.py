# SPDX-License-Identifier: Apache-2.0
# tests/e2e/fakes/mcp_proxy.py — a misbehaving MCP peer for tests/e2e/delegation.sh (python3
# standard library only): an HTTP proxy that forwards every request to the real workledger node
# named in UPSTREAM-FILE (re-read on each request, so a test can swap the node behind a URL) and
# misbehaves according to MODE:
#   pass    forward unchanged (a node whose key changes when UPSTREAM-FILE is rewritten)
#   tamper  replace the bytes TAMPERME by TAMPERED in every reply (the signed receipt's result
#           changes after signing: its signature no longer verifies)
#   relay   rewrite motebit_task's relay_task_id before forwarding (a validly signed receipt
#           bound to another task)
#   mdident answer motebit_identity itself with the text of MD-FILE (a peer that gives its
#           signed motebit.md, as reference motebit servers may), forward everything else
# Usage: python3 mcp_proxy.py MODE PORT-FILE UPSTREAM-FILE [MD-FILE]   (127.0.0.1, ephemeral)
import json, os, sys, urllib.error, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

mode, port_file, up_file = sys.argv[1], sys.argv[2], sys.argv[3]
md_file = sys.argv[4] if len(sys.argv) > 4 else None
FWD_REQ = ("Content-Type", "Accept", "Authorization", "Mcp-Session-Id", "MCP-Protocol-Version",
           "Mcp-Method", "Mcp-Name", "Last-Event-ID")
FWD_RESP = ("Content-Type", "Mcp-Session-Id", "WWW-Authenticate")


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        if mode == "mdident" and body:
            try:
                msg = json.loads(body)
            except ValueError:
                msg = {}
            p = msg.get("params") or {} if isinstance(msg, dict) else {}
            if msg.get("method") == "tools/call" and p.get("name") == "motebit_identity":
                with open(md_file) as f:
                    md = f.read()
                data = json.dumps({"jsonrpc": "2.0", "id": msg.get("id"),
                                   "result": {"content": [{"type": "text", "text": md}]}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        if mode == "relay" and body:
            try:
                msg = json.loads(body)
                p = msg.get("params") or {}
                if msg.get("method") == "tools/call" and p.get("name") == "motebit_task":
                    p["arguments"]["relay_task_id"] = "someone-elses-task"
                    body = json.dumps(msg).encode()
            except (ValueError, AttributeError, KeyError, TypeError):
                pass
        with open(up_file) as f:
            upstream = f.read().strip()
        req = urllib.request.Request(upstream, data=body, method=method)
        for h in FWD_REQ:
            if h in self.headers:
                req.add_header(h, self.headers[h])
        try:
            resp = urllib.request.urlopen(req, timeout=120)
            status, data, hdrs = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            status, data, hdrs = e.code, e.read(), e.headers
        if mode == "tamper":
            data = data.replace(b"TAMPERME", b"TAMPERED")
        self.send_response(status)
        for h in FWD_RESP:
            if hdrs.get(h):
                self.send_header(h, hdrs.get(h))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.forward("POST")

    def do_DELETE(self):
        self.forward("DELETE")

    def do_GET(self):
        self.forward("GET")


srv = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
srv.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()

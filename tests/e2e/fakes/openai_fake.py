#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/fakes/openai_fake.py — a small local OpenAI-compatible chat-completions server for the
# motebit_query tests (no model runs here). It checks the shape of every request (POST
# /v1/chat/completions, JSON with model, messages [system..., user], stream: true, max_tokens, and
# the Authorization header when FAKE_KEY is set) and answers with a 400 naming what was wrong, so a
# malformed request fails the test. The model name chooses the behaviour:
#   "echo"    streams "Echo: <user message>" in several chunks, then a memory tag of sensitivity
#             none and one of sensitivity secret (which must never be stored), then [DONE];
#   "json"    one non-streamed JSON completion (servers that ignore stream: true);
#   "garbage" a stream whose chunk is not JSON;
#   "fail"    HTTP 500 with an OpenAI-style error body;
#   "hang"    sends nothing until the client goes away (the caller's timeout must end it).
# Every request body is appended, one JSON line each, to the file named by FAKE_LOG.
# Usage: openai_fake.py PORTFILE   (binds 127.0.0.1 on a free port and writes it to PORTFILE)
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = os.environ.get("FAKE_KEY", "")
LOG = os.environ.get("FAKE_LOG", "")
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        b = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def bad(self, why):
        self.reply(400, {"error": {"message": "fake: " + why, "type": "invalid_request_error"}})

    def chunk(self, obj):
        data = obj if isinstance(obj, str) else json.dumps(obj)
        self.wfile.write(("data: " + data + "\n\n").encode())
        self.wfile.flush()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        try:
            req = json.loads(raw)
        except ValueError:
            return self.bad("body is not JSON")
        if LOG:
            with lock, open(LOG, "a") as f:
                f.write(json.dumps({"path": self.path, "body": req,
                                    "auth": self.headers.get("Authorization", "")}) + "\n")
        if self.path != "/v1/chat/completions":
            return self.reply(404, {"error": {"message": "fake: no route " + self.path}})
        if KEY and self.headers.get("Authorization") != "Bearer " + KEY:
            return self.reply(401, {"error": {"message": "Incorrect API key provided"}})
        msgs = req.get("messages")
        if not isinstance(req.get("model"), str) or not isinstance(msgs, list) or len(msgs) < 2:
            return self.bad("model and messages are required")
        if msgs[0].get("role") != "system" or msgs[-1].get("role") != "user":
            return self.bad("messages must be [system, ..., user]")
        if not all(isinstance(m.get("content"), str) for m in msgs):
            return self.bad("every message content must be a string")
        if req.get("stream") is not True or not isinstance(req.get("max_tokens"), int):
            return self.bad("stream: true and an integer max_tokens are expected")
        model, user = req["model"], msgs[-1]["content"]
        if model == "fail":
            return self.reply(500, {"error": {"message": "the model is overloaded"}})
        if model == "json":
            return self.reply(200, {"id": "c1", "object": "chat.completion", "model": "json-1",
                                    "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant",
                                                             "content": "Whole: " + user}}]})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        if model == "hang":
            try:
                while self.rfile.read(1):
                    pass
            except OSError:
                pass
            return
        if model == "garbage":
            self.chunk("{not json")
            return
        pieces = ["Echo", ": ", user, " ",
                  '<memory confidence="0.9" sensitivity="none">The user said: ' + user +
                  "</memory>",
                  '<memory confidence="0.8" sensitivity="secret">pin 1234</memory>']
        self.chunk({"id": "c1", "object": "chat.completion.chunk", "model": "echo-1",
                    "choices": [{"index": 0, "delta": {"role": "assistant"}}]})
        for p in pieces:
            self.chunk({"id": "c1", "object": "chat.completion.chunk", "model": "echo-1",
                        "choices": [{"index": 0, "delta": {"content": p}}]})
        self.chunk({"id": "c1", "object": "chat.completion.chunk", "model": "echo-1",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self.chunk("[DONE]")


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()

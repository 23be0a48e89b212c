#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/fakes/upstream_fake.py — a misbehaving stdio MCP server for tests/e2e/upstream.sh
# (spec/upstreams.md "Limits"): it answers initialize and tools/list properly, then its tools
# misbehave on purpose: `garbage` prints non-JSON lines on stdout before a good answer, `hang`
# never answers, `huge` answers with a message far over the size cap, `crash` exits, `ok`
# answers, `grow` adds a tool `grown` and sends notifications/tools/list_changed. Usage: upstream_fake.py (no arguments); logs nothing on stdout but protocol.
import json
import os
import sys

TOOLS = [{"name": n, "description": f"misbehaves: {n}",
          "inputSchema": {"type": "object", "properties": {}}} for n in
         ("ok", "garbage", "hang", "huge", "crash", "grow")]


def send(m):
    sys.stdout.write(json.dumps(m) + "\n")
    sys.stdout.flush()


def text(rid, t):
    send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": t}]}})


for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    rid, method = msg.get("id"), msg.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": msg["params"]["protocolVersion"], "capabilities": {"tools": {}},
            "serverInfo": {"name": "upstream-fake", "version": "1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        name = msg["params"]["name"]
        if name == "ok":
            text(rid, f"ok from pid {os.getpid()}")
        elif name == "garbage":
            sys.stdout.write("this is not JSON\n{\"half\": \n[1,2,3]\n")
            text(rid, "ok after garbage")
        elif name == "huge":
            text(rid, "x" * (3 * 1024 * 1024))
        elif name == "crash":
            os._exit(3)
        elif name == "grow":  # a new tool, announced with notifications/tools/list_changed
            TOOLS.append({"name": "grown", "description": "appeared later",
                          "inputSchema": {"type": "object", "properties": {}}})
            text(rid, "grown")
            send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        elif name == "grown":
            text(rid, "I am new")
        # hang: no answer at all
    elif rid is not None and method:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no such method"}})

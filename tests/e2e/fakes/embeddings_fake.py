# SPDX-License-Identifier: Apache-2.0
# A small OpenAI-compatible embeddings server for tests/e2e/recall_semantic.sh (python3 standard
# library only). Usage: python3 embeddings_fake.py PORT-FILE LOG-FILE, with FAKE_EMBED_KEY (the
# bearer key it demands) and FAKE_EMBED_MODEL (the model it serves) in the environment. It
# listens on 127.0.0.1 (ephemeral port, written to PORT-FILE once bound) and answers
# POST /v1/embeddings {"model", "input": string} with {"data":[{"embedding":[8 numbers]}]}: a
# toy "semantic" model where words of one concept (dog/puppy/canine, money/invoice/cash,
# car/tires/vehicle, beach/sea/ocean) share a dimension and any other word adds a little noise,
# so "canine" lands near "my puppy chewed the sofa" without sharing a word with it. Every
# request is checked (method, path, Content-Type, Authorization, exactly the two members, the
# model) and logged to LOG-FILE as one JSON line {path, auth_ok, shape_ok, model, input, why};
# the key itself is never logged. A wrong request gets 400 (401 for the key); an input
# containing "fail-me" gets 500, so the caller's fallback can be tested.
import hashlib, http.server, json, os, re, sys

CONCEPTS = [
    {"dog", "dogs", "puppy", "puppies", "canine", "hound"},
    {"money", "cash", "invoice", "payment", "paid", "bill"},
    {"car", "cars", "automobile", "vehicle", "tires", "tyres"},
    {"beach", "sea", "ocean", "coast"},
]
DIMS = 8


def embed(text):
    v = [0.0] * DIMS
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        for i, c in enumerate(CONCEPTS):
            if w in c:
                v[i] += 1.0
                break
        else:
            v[4 + int(hashlib.sha256(w.encode()).hexdigest(), 16) % 4] += 0.1
    return v


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):  # quiet: the test reads LOG-FILE
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(405, {"error": {"message": "POST only"}})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        rec = {"path": self.path, "auth_ok": self.headers.get("Authorization") ==
               "Bearer " + os.environ["FAKE_EMBED_KEY"], "shape_ok": False, "model": None,
               "input": None, "why": ""}
        try:
            req = json.loads(raw)
        except ValueError:
            req = None
        if self.path != "/v1/embeddings":
            rec["why"] = "path"
        elif not (self.headers.get("Content-Type") or "").startswith("application/json"):
            rec["why"] = "content-type"
        elif not isinstance(req, dict) or sorted(req) != ["input", "model"]:
            rec["why"] = "members"
        elif req["model"] != os.environ["FAKE_EMBED_MODEL"] or not isinstance(req["input"], str):
            rec["why"] = "model or input"
        else:
            rec.update(shape_ok=True, model=req["model"], input=req["input"])
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps(rec) + "\n")
        if not rec["auth_ok"]:
            return self.answer(401, {"error": {"message": "Incorrect API key provided"}})
        if not rec["shape_ok"]:
            return self.answer(400, {"error": {"message": "bad request: " + rec["why"]}})
        if "fail-me" in req["input"]:
            return self.answer(500, {"error": {"message": "the fake model failed on purpose"}})
        self.answer(200, {"object": "list", "model": req["model"],
                          "data": [{"object": "embedding", "index": 0,
                                    "embedding": embed(req["input"])}],
                          "usage": {"prompt_tokens": 1, "total_tokens": 1}})


if __name__ == "__main__":
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()

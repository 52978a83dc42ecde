"""A local OpenAI-compatible server on 127.0.0.1 for the `openai` backend: the tests script its failures,
benchmarks/bench_scaleout.py measures requests in flight and retries against it.

It answers /v1/chat/completions and /v1/completions with `EN(<source>)` (the query of a few-shot prompt, or the last
line of the message), after `latency` seconds. Per request it pops `script` (default `ok`): `sleep` answers after
0.6 s more, `500`/`429`/`400` answer that status with a body echoing the Authorization header (429 with
`Retry-After: 0`), `garbage` answers non-JSON, `nochoices` an empty choice list. `fail_every = n` answers a bare 503
to the first attempt of every n-th distinct source, `always_fail` to every request.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def query(body: dict[str, Any]) -> str:
    """The source a request asks to translate."""
    text = body["messages"][-1]["content"] if "messages" in body else body["prompt"]
    lines = [line for line in text.split("\n") if line.startswith("Chinese: ")] or [text]
    return lines[-1].rsplit("\n", 1)[-1].removeprefix("Chinese: ")


class StandIn:
    """The server, serving from a daemon thread once made; `close()` stops it. `requests` holds every request
    (path, Authorization header, JSON body); `max_in_flight` the most answered at once; `failures` the 503s."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.script: list[str] = []
        self.fail_every = 0
        self.always_fail = False
        self.reset()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                source = query(body)
                with stand_in.lock:
                    stand_in.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                              "body": body})
                    action = stand_in.script.pop(0) if stand_in.script else "ok"
                    first = source not in stand_in.seen
                    stand_in.seen.add(source)
                    if stand_in.always_fail or (
                            stand_in.fail_every and first and len(stand_in.seen) % stand_in.fail_every == 0):
                        action = "503"
                        stand_in.failures += 1
                    stand_in.in_flight += 1
                    stand_in.max_in_flight = max(stand_in.max_in_flight, stand_in.in_flight)
                time.sleep(stand_in.latency + (0.6 if action == "sleep" else 0.0))
                with stand_in.lock:
                    stand_in.in_flight -= 1
                self.answer(action, source)

            def answer(self, action: str, source: str) -> None:
                if action == "503":
                    self.send_response(503)
                    self.end_headers()
                    return
                if action in ("500", "429", "400"):
                    self.send_response(int(action))
                    if action == "429":
                        self.send_header("Retry-After", "0")
                    self.end_headers()
                    self.wfile.write(f"error echoing {self.headers.get('Authorization')}".encode())
                    return
                if action == "garbage":
                    payload = b"<html>not json"
                elif action == "nochoices":
                    payload = json.dumps({"choices": []}).encode()
                elif self.path.endswith("/chat/completions"):
                    payload = json.dumps({"choices": [{"message": {"role": "assistant",
                                                                   "content": f"EN({source})"}}]}).encode()
                else:
                    payload = json.dumps({"choices": [{"text": f" EN({source})\nChinese: more"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def reset(self) -> None:
        """Forget the requests and sources seen (the failure settings stay)."""
        self.requests: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.in_flight = self.max_in_flight = self.failures = 0

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

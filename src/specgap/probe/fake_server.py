"""A local chat-completions server with a scripted policy, for demos and tests (loopback only).

    python -m specgap.probe.fake_server --policy gaming --port 8765
    specgap probe --url http://127.0.0.1:8765/v1 --model demo

It speaks the OpenAI chat-completions protocol (POST .../chat/completions, GET .../models) and
answers with `specgap.probe.policies`: `honest` passes every default probe, `gaming` fails them.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from specgap.probe.policies import POLICIES

HOST = "127.0.0.1"


def _handler(policy: str) -> type[BaseHTTPRequestHandler]:
    respond = POLICIES[policy]

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, doc: dict) -> None:
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": f"specgap-{policy}", "object": "model"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:  # noqa: N802
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                messages = [{"role": str(m["role"]), "content": str(m.get("content") or "")} for m in req["messages"]]
            except (ValueError, KeyError, TypeError) as exc:
                self._send(400, {"error": {"message": f"bad request: {exc}"}})
                return
            reply = respond(messages)
            self._send(200, {
                "id": "chatcmpl-specgap", "object": "chat.completion", "created": int(time.time()),
                "model": req.get("model", f"specgap-{policy}"),
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            })

        def log_message(self, format: str, *args) -> None:  # quiet: the probe run reports progress
            pass

    return Handler


@contextmanager
def serve(policy: str = "honest", port: int = 0) -> Iterator[str]:
    """Serve on loopback in a background thread; yields the base URL (…/v1)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    server = ThreadingHTTPServer((HOST, port), _handler(policy))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m specgap.probe.fake_server", description=__doc__.split("\n")[0])
    parser.add_argument("--policy", choices=sorted(POLICIES), default="honest")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((HOST, args.port), _handler(args.policy))
    print(f"serving the {args.policy} policy at http://{HOST}:{server.server_address[1]}/v1 (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

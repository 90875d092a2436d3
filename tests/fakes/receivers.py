"""Receivers for delivery tests: a real SMTP server (aiosmtpd) and a real HTTP server, both on 127.0.0.1.

They are the far end of apprise's real requests, not replacements for apprise: `HookServer` records every
request (path, headers, JSON body) and answers each path with a status chosen by the test (200 by default; a
Telegram-shaped `{"ok": true, ...}` JSON body so apprise's Telegram plugin accepts it; under /slack/ the
plain `ok` a Slack incoming webhook answers). `SmtpServer` keeps
every message as received on the wire (envelope + raw bytes) and parses it with the stdlib email package.
"""

from __future__ import annotations

import email
import json
import socket
import threading
from dataclasses import dataclass
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


class HookServer:
    def __init__(self) -> None:
        self.requests: list[Hook] = []
        self.status: dict[str, int] = {}  # path prefix -> status code
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n)
                outer.requests.append(Hook(self.path, dict(self.headers), body))
                code = next((c for p, c in outer.status.items() if self.path.startswith(p)), 200)
                if self.path.startswith("/slack/") and code < 400:
                    reply = b"ok"  # what a Slack incoming webhook answers
                else:
                    reply = json.dumps({"ok": code < 400, "result": {"message_id": len(outer.requests)}}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HookServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def to(self, prefix: str) -> list[Hook]:
        return [r for r in self.requests if r.path.startswith(prefix)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """aiosmtpd's Controller on 127.0.0.1: a real SMTP conversation, messages kept as received."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.envelopes: list = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                outer.envelopes.append(envelope)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]

"""Serves an app's HTTP functions on a loopback port (through FunctionClient), for callers that need a real URL:
Graph's webhooks, which the Azure emulator posts to."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.utils.function_client import FunctionClient


class FunctionServer:
    """`url` is known at once; `client` (the app) may be set later, e.g. once the app knows its own URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: FunctionClient | None = None


@contextmanager
def serve_functions(client: FunctionClient | None = None) -> Iterator[FunctionServer]:
    """A loopback HTTP server in front of the app's functions while the context lasts (503 until a client is set)."""
    target: list[FunctionServer] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            app = target[0].client
            status, headers, payload = 503, {}, b""
            if app is not None:
                try:
                    reply = app.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                    status, headers, payload = reply.status, reply.headers, reply.text.encode()
                except AssertionError:  # no function serves that route
                    status = 404
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815 - the base class's names

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served = FunctionServer(f"http://127.0.0.1:{server.server_address[1]}")
    served.client = client
    target.append(served)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()

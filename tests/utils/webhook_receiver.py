"""An HTTPS endpoint on 127.0.0.1 that records what is POSTed to it and answers as a test programs it: a tenant's
webhook or a Teams incoming webhook, trusted by the app as the emulator is (its CA-signed loopback certificate, the
app's REQUESTS_CA_BUNDLE).

    with WebhookReceiver.of(emulator) as receiver:
        receiver.answer(500, 500)                  # the first two requests fail, the rest get 200
        receiver.answer(200, flow="trickle")       # 200, then a byte of body now and then, until the caller leaves
        ... post to receiver.url("/hook") ...
        receiver.requests[0].headers["x-cloudpc-signature"], receiver.requests[0].body
"""

from __future__ import annotations

import ssl
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

from azure_emulator.tls import ensure_certificates


class HasCaBundle(Protocol):
    @property
    def ca_bundle(self) -> str: ...


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    # whole: the body at once; trickle: a byte at a time, slowly, never ending; endless: a body with no end, fast
    flow: Literal["whole", "trickle", "endless"] = "whole"


class WebhookReceiver:
    def __init__(self, tls_folder: Path) -> None:
        certificates = ensure_certificates(tls_folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificates.cert, certificates.key)
        self.requests: list[Received] = []
        self._answers: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = receiver._record(
                    Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.flow != "whole":
                    self._stream(answer.flow)
                    return
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def _stream(self, flow: str) -> None:
                """A body with no end, until the caller closes the connection or the receiver stops."""
                self.send_header("Content-Length", str(2**40))
                self.end_headers()
                chunk = b"." if flow == "trickle" else b"x" * 65536
                try:
                    while not receiver._closing.wait(0.5 if flow == "trickle" else 0):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    return  # the caller left

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @classmethod
    def of(cls, emulator: HasCaBundle) -> WebhookReceiver:
        """A receiver with the emulator's loopback certificate, which whoever trusts the emulator trusts."""
        return cls(Path(emulator.ca_bundle).parent)

    def url(self, path: str = "/hook") -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}{path}"

    def answer(
        self,
        *statuses: int,
        retry_after_s: int | None = None,
        body: bytes = b"",
        flow: Literal["whole", "trickle", "endless"] = "whole",
    ) -> None:
        """The next requests' statuses, in order (then 200 again); a Retry-After and a body (or a flow) on each."""
        headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else {}
        with self._lock:
            self._answers.extend(Answer(status, headers, body, flow) for status in statuses)

    def _record(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            return self._answers.popleft() if self._answers else Answer(200, {})

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

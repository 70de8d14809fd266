"""AzureSession against a loopback HTTP server: a request arrives as azure-core's transport sends it (method, URL,
headers, body), its answer is read whole, and no cookie is kept or sent; a call asking for what the session skips
(redirects followed) goes requests' own way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from shared.cloud.azure.transport import AzureSession

Seen = list[dict[str, Any]]


@pytest.fixture
def server() -> Iterator[tuple[str, Seen]]:
    seen: Seen = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                         "body": self.rfile.read(length) if length else b""})  # fmt: skip
            if self.path.startswith("/moved"):
                self.send_response(302)
                self.send_header("Location", "/landed")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Set-Cookie", "ARRAffinity=abc; Path=/")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_POST = _answer  # noqa: N815 - http.server names its handlers so

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def test_a_request_arrives_as_the_transport_sends_it_and_no_cookie_is_kept(server: tuple[str, Seen]) -> None:
    base, seen = server
    transport = RequestsTransport(session=AzureSession(), session_owner=True)
    with transport:
        request = HttpRequest("PUT", f"{base}/subscriptions/s/vm?api-version=2024-07-01",
                              headers={"x-ms-client-request-id": "r1", "Content-Type": "application/json"},
                              json={"location": "westeurope"})  # fmt: skip
        response = transport.send(request)
        response.read()
        assert (response.status_code, response.json()) == (200, {"ok": True})
        again = transport.send(HttpRequest("GET", f"{base}/again"))
        again.read()
    put, get = seen
    assert (put["method"], put["path"]) == ("PUT", "/subscriptions/s/vm?api-version=2024-07-01")
    assert put["body"] == b'{"location": "westeurope"}'
    assert put["headers"]["x-ms-client-request-id"] == "r1"
    assert put["headers"]["Content-Type"] == "application/json"
    assert put["headers"]["Accept-Encoding"] == "gzip, deflate", "the session's own headers still go"
    assert "Cookie" not in get["headers"], "the answer's cookie was not kept"


def test_a_call_that_follows_redirects_goes_requests_way(server: tuple[str, Seen]) -> None:
    base, seen = server
    with AzureSession() as session:
        followed = session.request("GET", f"{base}/moved", allow_redirects=True, timeout=5)
        not_followed = session.request("GET", f"{base}/moved", allow_redirects=False, timeout=5)
    assert followed.status_code == 200 and [s["path"] for s in seen[:2]] == ["/moved", "/landed"]
    assert not_followed.status_code == 302 and seen[2]["path"] == "/moved"

"""The session of every Azure, Graph and Table Storage client reads the environment's proxies once, when it is made,
and never again at a request (requests re-reads the environment at each one while `trust_env` is on); the Table
clients send through it as the Azure clients do. A plain request goes from it straight to urllib3's pool, and comes
back to azure-core as requests would give it: its headers and body as sent, errors told apart as before."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from azure.core import PipelineClient
from azure.core.exceptions import ServiceRequestError, ServiceResponseTimeoutError
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse

from shared.cloud.azure.transport import azure_session
from shared.storage.account import client_options


def test_the_proxies_are_read_once_when_the_session_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.delenv("https_proxy", raising=False)
    session = azure_session()
    assert session.trust_env is False, "nothing read from the environment at a request"
    assert session.proxies == {"https": "http://proxy.corp.example:3128"}


def test_table_storage_sends_through_such_a_session_whatever_its_endpoint() -> None:
    transport = client_options()["transport"]
    assert transport.session.trust_env is False


class _Echo(BaseHTTPRequestHandler):
    """A loopback service: answers each request with what it received (gzipped where asked); a path of /silent is
    never answered while the test runs."""

    protocol_version = "HTTP/1.1"
    silence = threading.Event()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/silent":
            self.silence.wait()
            return
        said = json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers),
                           "body": body.decode()}).encode()  # fmt: skip
        zipped = self.path.startswith("/zipped")
        payload = gzip.compress(said) if zipped else said
        self.send_response(201, "Made")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_DELETE = do_POST = _answer  # noqa: N815 -- the names http.server calls

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _Echo.silence.set()
    server.shutdown()
    server.server_close()
    _Echo.silence.clear()


def _client(endpoint: str, *, read_s: float = 60.0) -> PipelineClient[HttpRequest, HttpResponse]:
    session = azure_session()
    transport = RequestsTransport(session=session, session_owner=True, connection_timeout=5, read_timeout=read_s)
    return PipelineClient(endpoint, transport=transport, per_retry_policies=[], retry_policy=RetryPolicy(total=0))


def test_a_request_goes_to_the_pool_and_back_as_azure_core_sent_it(echo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def prepared_by_requests(*args: object, **kwargs: object) -> None:
        raise AssertionError("a plain request is not handed to requests' own sending")

    monkeypatch.setattr(requests.Session, "send", prepared_by_requests)
    with _client(echo) as client:
        answer = client.send_request(HttpRequest("PUT", f"{echo}/things/a?api-version=1", json={"name": "é"}))
        assert (answer.status_code, answer.reason) == (201, "Made")
        said = answer.json()
        assert (said["method"], said["path"]) == ("PUT", "/things/a?api-version=1")
        assert json.loads(said["body"]) == {"name": "é"}
        assert said["headers"]["Content-Length"] == str(len(said["body"].encode()))
        assert said["headers"]["Content-Type"] == "application/json"
        assert said["headers"]["Accept-Encoding"] == "gzip, deflate"  # the session's own headers are sent too
        assert answer.headers["content-type"] == "application/json"  # read without regard to case
        # a compressed answer is given uncompressed, and a call without a body says its length is nought
        zipped = client.send_request(HttpRequest("DELETE", f"{echo}/zipped")).json()
        assert (zipped["path"], zipped["headers"]["Content-Length"]) == ("/zipped", "0")
        assert client.send_request(HttpRequest("GET", f"{echo}/x")).json()["headers"].get("Content-Length") is None


def test_a_service_that_does_not_answer_or_refuses_is_told_apart_as_azure_core_tells_it(echo: str) -> None:
    with _client(echo, read_s=0.2) as client, pytest.raises(ServiceResponseTimeoutError):
        client.send_request(HttpRequest("GET", f"{echo}/silent"))
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: a connection is refused
        with _client(f"http://127.0.0.1:{port}") as client, pytest.raises(ServiceRequestError):
            client.send_request(HttpRequest("GET", f"http://127.0.0.1:{port}/x"))


def test_a_request_to_a_proxy_goes_through_requests_as_before(echo: str) -> None:
    session = azure_session()
    session.proxies = {"http": echo}  # the loopback service stands for the proxy: it is asked for the whole URL
    transport = RequestsTransport(session=session, session_owner=True)
    client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient("http://service.example", transport=transport)
    with client:
        said = client.send_request(HttpRequest("GET", "http://service.example/things")).json()
    assert said["path"] == "http://service.example/things"

"""The transport of every Azure, Graph and Table Storage client (shared/cloud/azure/transport.py): azure-core's own
requests transport, whose session reads the environment's proxies once, when it is made, and honours NO_PROXY; the
Table clients send through it as the Azure clients do. TLS is verified against the bundle the transport is given,
through one context per bundle that every connection shares."""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from azure.core import PipelineClient
from azure.core.exceptions import (
    IncompleteReadError,
    ServiceRequestError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse

from azure_emulator.tls import ensure_certificates
from shared.cloud.azure.transport import AzureAdapter, Patience, azure_session, http_transport, tls_context
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
    assert isinstance(transport.session.get_adapter("https://account.table.core.windows.net/"), AzureAdapter)


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
        said = json.dumps(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body.decode()}
        ).encode()
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
    transport = http_transport(Patience("a service", connect_s=5, read_s=read_s))
    return PipelineClient(endpoint, transport=transport, per_retry_policies=[], retry_policy=RetryPolicy(total=0))


def test_a_request_goes_and_comes_back_as_azure_core_sent_it(echo: str) -> None:
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


def test_a_request_goes_through_the_environments_proxy_unless_no_proxy_names_its_host(
    echo: str, scripted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the loopback echo stands for the proxy: asked for the whole URL, it says so; the scripted service is the target
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", echo)
    monkeypatch.setenv("NO_PROXY", "169.254.169.254, 127.0.0.1")
    with _client(scripted) as client:
        assert client.send_request(HttpRequest("GET", f"{scripted}/x")).read() == b"0123456789"  # straight there
        proxied = client.send_request(HttpRequest("GET", "http://service.example/things")).json()
    assert proxied["path"] == "http://service.example/things"
    monkeypatch.setenv("NO_PROXY", "localhost")
    with _client(scripted) as client:
        assert client.send_request(HttpRequest("GET", f"{scripted}/x")).json()["path"] == f"{scripted}/x"


class _Scripted(BaseHTTPRequestHandler):
    """A loopback service whose path says how it answers; it counts the connections it was given. /close answers,
    then closes the connection (saying so); /short says 100 bytes and sends 10; /big sends 64 KiB."""

    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        super().setup()
        type(self).connections += 1
        self.answered = 0

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answered += 1
        body = b"x" * 65536 if self.path == "/big" else b"0123456789"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("WWW-Authenticate", 'Bearer realm="a"')
        self.send_header("WWW-Authenticate", 'PoP realm="b"')
        self.send_header("Content-Length", "100" if self.path == "/short" else str(len(body)))
        if self.path == "/close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = self.path in ("/close", "/short")

    do_GET = do_POST = _answer  # noqa: N815 -- the names http.server calls

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[str]:
    _Scripted.connections = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_connection_is_kept_for_the_next_request_once_its_answer_is_read(scripted: str) -> None:
    with _client(scripted) as client:
        for _ in range(3):
            assert client.send_request(HttpRequest("GET", f"{scripted}/x")).read() == b"0123456789"
        streamed = client.send_request(HttpRequest("GET", f"{scripted}/big"), stream=True)
        assert b"".join(streamed.iter_bytes()) == b"x" * 65536
        assert client.send_request(HttpRequest("GET", f"{scripted}/x")).read() == b"0123456789"
    assert _Scripted.connections == 1


def test_a_header_sent_twice_is_read_as_one_with_both_values(scripted: str) -> None:
    with _client(scripted) as client:
        answer = client.send_request(HttpRequest("GET", f"{scripted}/x"))
    assert answer.headers["www-authenticate"] == 'Bearer realm="a", PoP realm="b"'


def test_a_url_with_a_character_left_unquoted_goes_quoted_as_requests_sends_it(echo: str) -> None:
    with _client(echo) as client:
        said = client.send_request(HttpRequest("GET", f"{echo}/users?$filter=name eq 'Zoë'")).json()
    assert said["path"] == "/users?$filter=name%20eq%20'Zo%C3%AB'"


def test_a_connection_whose_answer_was_not_read_to_its_end_is_not_used_again(scripted: str) -> None:
    with _client(scripted) as client:
        streamed = client.send_request(HttpRequest("GET", f"{scripted}/big"), stream=True)
        assert next(streamed.iter_bytes())  # one block of the answer, then no more
        streamed.close()
        assert client.send_request(HttpRequest("GET", f"{scripted}/x")).read() == b"0123456789"
    assert _Scripted.connections == 2


def test_a_connection_the_service_says_it_closes_is_not_used_again(scripted: str) -> None:
    with _client(scripted) as client:
        for _ in range(3):
            assert client.send_request(HttpRequest("GET", f"{scripted}/close")).read() == b"0123456789"
    assert _Scripted.connections == 3


def test_a_body_cut_short_is_an_incomplete_read(scripted: str) -> None:
    with _client(scripted) as client, pytest.raises(IncompleteReadError):
        client.send_request(HttpRequest("GET", f"{scripted}/short"))


def test_tls_is_verified_against_the_bundle_the_transport_is_given(tmp_path: Path) -> None:
    certificates = ensure_certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert, certificates.key)
    _Scripted.connections = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        bundle = str(certificates.ca)
        trusting = RequestsTransport(session=azure_session(), connection_verify=bundle)
        trusted: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            endpoint, transport=trusting, retry_policy=RetryPolicy(total=0)
        )
        with trusted:
            for _ in range(3):  # a new connection each time, all made with the one context of the bundle
                assert trusted.send_request(HttpRequest("GET", f"{endpoint}/close")).read() == b"0123456789"
            asked = requests.Request("GET", f"{endpoint}/x").prepare()
            pool = trusting.session.get_adapter(endpoint).get_connection_with_tls_context(asked, bundle)
        assert (_Scripted.connections, pool.num_requests) == (3, 3)  # the pool the three requests went through
        # every connection made with the bundle's one context, and the bundle not loaded into it again
        assert (pool.conn_kw["ssl_context"], pool.ca_certs) == (tls_context(bundle), None)
        with _client(endpoint) as client, pytest.raises(ServiceRequestError):  # the public CAs do not know it
            client.send_request(HttpRequest("GET", f"{endpoint}/x"))
    finally:
        server.shutdown()
        server.server_close()

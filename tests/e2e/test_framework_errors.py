"""What the host itself answers (no route, wrong method, bad paths, oversized requests): the contract's error shape."""

from __future__ import annotations

import json
import socket

from devhost.host import DevHost


def raw(host: DevHost, request: bytes) -> tuple[int, str, bytes]:
    """Send bytes as they are (no client library would send a broken request); status, content type, body."""
    with socket.create_connection(("127.0.0.1", host.port), timeout=30) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers.get("content-type", ""), body


def get(path: bytes, *extra: bytes) -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + b"".join(extra) + b"\r\n"


def test_no_route_and_wrong_method_answer_in_the_contract_shape(app_host: DevHost) -> None:
    status, content_type, body = raw(app_host, get(b"/api/nothing/here"))
    assert (status, content_type.split(";")[0]) == (404, "application/json")
    assert json.loads(body)["error"]["code"] == "notFound"
    status, content_type, body = raw(
        app_host, b"PUT /api/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    assert status == 405 and json.loads(body)["error"]["code"] == "methodNotAllowed"


def test_a_method_no_function_takes_and_a_path_with_a_newline_answer_in_the_contract_shape(
    app_host: DevHost, admin_token: str
) -> None:
    status, _, body = raw(app_host, b"TRACE /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 405 and json.loads(body)["error"]["code"] == "methodNotAllowed"
    auth = f"Authorization: Bearer {admin_token}\r\n".encode()
    status, _, body = raw(app_host, get(b"/api/tenants/00000000-0000-0000-0000-000000000001/sites/a%0Ab", auth))
    assert status == 404 and json.loads(body)["error"]["code"] == "notFound"


def test_a_path_that_does_not_decode_is_an_unknown_resource(app_host: DevHost, admin_token: str) -> None:
    status, _, body = raw(app_host, get(b"/api/tenants/%ZZ", f"Authorization: Bearer {admin_token}\r\n".encode()))
    assert status == 404 and json.loads(body)["error"]["code"] == "notFound"


def test_a_declared_length_over_the_host_limit_is_refused_before_the_body_is_sent(app_host: DevHost) -> None:
    """The client sends headers only: an answer proves nothing waited for 200 MB."""
    request = (
        b"POST /api/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200000000\r\nConnection: close\r\n\r\n"
    )
    status, content_type, body = raw(app_host, request)
    assert (status, content_type.split(";")[0]) == (413, "application/json")
    assert json.loads(body)["error"]["code"] == "payloadTooLarge"


def test_requests_broken_at_the_protocol_level_are_refused_by_the_host_not_the_app(app_host: DevHost) -> None:
    """A request line over 8 KiB or a control character in a header never reaches the app, in Azure (Kestrel) as
    here: the host answers 400 itself (documented in docs/api.md), and nothing fails."""
    assert raw(app_host, get(b"/api/tenants/" + b"a" * 20000))[0] == 400
    assert raw(app_host, get(b"/api/tenants", b"X-Bad: a\x01b\r\n"))[0] == 400

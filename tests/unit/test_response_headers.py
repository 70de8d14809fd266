"""An HTTP answer's header block read in one pass gives the message the e-mail parser gives, header for header, and
any block that is not plain lines is still the e-mail parser's (shared/cloud/azure/response_headers.py)."""

from __future__ import annotations

import email.parser
import http.client
import io
from typing import Any

import pytest
from urllib3 import HTTPHeaderDict

from shared.cloud.azure import response_headers

PLAIN = [
    b"Content-Type: application/json; charset=utf-8\r\nContent-Length: 12\r\nDate: Fri, 27 Nov 2026 04:00:00 GMT\r\n"
    b"x-ms-request-id: 5f0c\r\nETag: W/\"datetime'2026-11-27T04%3A00%3A00Z'\"\r\n\r\n",
    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nEmpty:\r\nSpaced:   kept at its end  \r\nTabbed:\t value\r\n\r\n",
    b"Bare: line feeds\nOnly: here\n\n",
    b"Latin: caf\xe9\r\n\r\n",
    b"Cut: short\r\nAt: the end of the stream",  # no blank line: the connection closed
    b"\r\n",
    b"",
]
NOT_PLAIN = [
    b"Folded: one\r\n two\r\n\r\n",
    b":nameless\r\nA: 1\r\n\r\n",
    b"A: carriage\rreturn inside\r\n\r\n",
    b"From someone\r\nA: 1\r\n\r\n",
    b"no colon\r\nA: 1\r\n\r\n",
    b"Space in: name\r\n\r\n",
]


def _email_parsers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The blocks the e-mail parser is handed from now on."""
    handed: list[str] = []
    parse = email.parser.Parser.parsestr

    def counted(self: email.parser.Parser, text: str, headersonly: bool = False) -> Any:
        handed.append(text)
        return parse(self, text, headersonly)

    monkeypatch.setattr(email.parser.Parser, "parsestr", counted)
    return handed


def _same(ours: http.client.HTTPMessage, theirs: http.client.HTTPMessage) -> None:
    assert type(ours) is type(theirs)
    assert ours.items() == theirs.items() and ours.keys() == theirs.keys() and ours.values() == theirs.values()
    assert all(ours.get_all(name) == theirs.get_all(name) for name in {*theirs.keys(), "Missing"})
    assert ours.get_payload() == theirs.get_payload() and ours.as_string() == theirs.as_string()
    assert [type(d) for d in ours.defects] == [type(d) for d in theirs.defects]
    assert ours.get_content_type() == theirs.get_content_type()
    assert dict(HTTPHeaderDict(ours.items())) == dict(HTTPHeaderDict(theirs.items()))  # as urllib3 reads it


@pytest.mark.parametrize("block", PLAIN)
def test_a_plain_block_is_read_in_one_pass_into_the_e_mail_parsers_message(
    block: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b"the body" if block.endswith(b"\n") else b""  # a block cut short by the connection's end has none
    theirs = http.client.parse_headers(io.BytesIO(block + body))
    handed = _email_parsers(monkeypatch)
    stream = io.BytesIO(block + body)
    ours = response_headers.parse_headers(stream)
    assert handed == [], "no e-mail parser"
    _same(ours, theirs)
    assert stream.read() == body, "the body left to read"


@pytest.mark.parametrize("block", NOT_PLAIN)
def test_any_other_block_is_the_e_mail_parsers(block: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = http.client.parse_headers(io.BytesIO(block))
    handed = _email_parsers(monkeypatch)
    _same(response_headers.parse_headers(io.BytesIO(block)), theirs)
    assert len(handed) == 1


def test_a_message_class_of_the_callers_own_is_the_e_mail_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    class Own(http.client.HTTPMessage):
        pass

    handed = _email_parsers(monkeypatch)
    message = response_headers.parse_headers(io.BytesIO(PLAIN[0]), _class=Own)
    assert type(message) is Own and message["x-ms-request-id"] == "5f0c" and len(handed) == 1


def test_http_clients_limits_still_hold() -> None:
    with pytest.raises(http.client.LineTooLong):
        response_headers.parse_headers(io.BytesIO(b"Long: " + b"x" * 70_000 + b"\r\n\r\n"))
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        response_headers.parse_headers(io.BytesIO(b"A: 1\r\n" * 101 + b"\r\n"))


class _Answer:
    """A socket whose reads give one HTTP answer (http.client reads an answer through `makefile`)."""

    def __init__(self, answer: bytes) -> None:
        self._answer = answer

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self._answer))


def test_installed_every_answer_of_http_client_is_read_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http.client, "parse_headers", http.client.parse_headers)  # put back after the test
    response_headers.install()
    response_headers.install()  # idempotent
    assert http.client.parse_headers is response_headers.parse_headers
    handed = _email_parsers(monkeypatch)
    sent = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n"
    answer = http.client.HTTPResponse(_Answer(sent + b"the body"))  # type: ignore[arg-type]
    answer.begin()
    assert handed == []
    assert (answer.status, answer.getheader("content-type"), answer.headers.get_all("set-cookie")) == (
        200, "text/plain", ["a", "b"])  # fmt: skip
    assert answer.read() == b"the body"

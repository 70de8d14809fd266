"""An HTTP answer's header block parsed in one pass, for every client of the process (http.client's parse_headers).

http.client hands each answer's header block to the e-mail package's general parser (RFC 5322 messages with their
folded lines, `From ` lines and defects), and urllib3 then reads each header back through the e-mail policy's
sanitising: together about a twelfth of the app's CPU, at some 37 Azure, Graph and Table requests a Cloud PC
(README, "Performance"). An HTTP answer's block is almost always plain `name: value` lines; such a block is made into
the same `HTTPMessage` directly, and any other (a folded line, a line with no name, a bare CR inside a line, a
message class of a caller's own) still goes to the e-mail parser. As the block is decoded as ISO-8859-1, a value
has no surrogates to sanitise, so its headers are read back as stored. `install` is idempotent, and
tests/unit/test_response_headers.py holds the result to the e-mail parser's on both kinds of block.
"""

from __future__ import annotations

import email.parser
import email.policy
import http.client
import re
from typing import Any

# a field name (RFC 9110's token: visible ASCII but the colon) then its colon, and no CR or LF but the line's end
_PLAIN_LINE = re.compile(rb"[!-9;-~]+:[^\r\n]*\r?\n?\Z")
_END = (b"\r\n", b"\n", b"")


class _AsStored(type(email.policy.compat32)):  # type: ignore[misc]
    """compat32, whose read of a header sanitises surrogates a value decoded from ISO-8859-1 never has."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        return value


AS_STORED = _AsStored()


def parse_headers(fp: Any, _class: type[http.client.HTTPMessage] = http.client.HTTPMessage) -> Any:
    """http.client's parse_headers, with a block of plain lines made into its message without the e-mail parser."""
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]  # its limits on lines and their length
    fields = lines[:-1] if lines and lines[-1] in _END else lines
    if _class is not http.client.HTTPMessage or not all(_PLAIN_LINE.match(line) for line in fields):
        return email.parser.Parser(_class=_class).parsestr(b"".join(lines).decode("iso-8859-1"))
    message = http.client.HTTPMessage(policy=AS_STORED)
    # each stored as compat32 stores a parsed line: the name as sent, the value past the colon's blanks, no line end
    for line in fields:
        name, value = line.decode("iso-8859-1").split(":", 1)
        message._headers.append((name, value.lstrip(" \t").rstrip("\r\n")))  # type: ignore[attr-defined]
    message.set_payload("")  # what the e-mail parser leaves after a block's blank line
    return message


def install() -> None:
    """Every answer's headers read here (http.client looks its parse_headers up at each answer)."""
    http.client.parse_headers = parse_headers  # type: ignore[assignment]

"""The emulator's HTTP messages: a request as every API module reads it, its answer, and the error answer they share."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


class ApiError(Exception):
    """An error answer in the shape ARM, Graph and Key Vault share: {"error": {"code", "message"}}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        inner: str | None = None,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.inner = inner  # Key Vault's innererror code (ForbiddenByRbac, ...)
        self.target = target  # ARM's error.target: the property a refusal is about
        self.details = details  # ARM's error.details: the inner errors (a throttle's policy and its figures)


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able, or bytes/str sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, without the query
    query: dict[str, str]  # first value of each parameter; names as sent
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str  # https://127.0.0.1:PORT, for links and Location headers
    params: dict[str, str] = field(default_factory=dict)  # the route pattern's named groups
    claims: dict[str, Any] | None = None  # the bearer token's claims, when one was sent and valid
    delegated: bool = False  # the token is a signed-in user's (the sign-in page's), not an app's or the administrator's
    operation: str = ""  # counted under this name; a handler may refine it (runCommand -> its command)

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise ApiError(400, "InvalidRequestContent", "The request content is not valid JSON.") from None

    def form(self) -> dict[str, str]:
        """A form post's fields (application/x-www-form-urlencoded), blank ones kept."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def tenant(self) -> str:
        """The Entra tenant the caller's token is for (its `tid`)."""
        if not self.claims or not self.claims.get("tid"):
            raise ApiError(401, "InvalidAuthenticationToken", "A bearer token with a tenant (tid) is required.")
        return str(self.claims["tid"])

    def q(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, its name compared case-insensitively (OData's $filter, $top, ...)."""
        lowered = name.lower()
        for key, value in self.query.items():
            if key.lower() == lowered:
                return value
        return default

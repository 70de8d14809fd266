"""Continuation tokens as callers see them: Table Storage's own, or a list's position, signed so none is forged."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from shared.errors import ErrorDetail as Detail
from shared.errors import ValidationFailed

T = TypeVar("T")


class ContinuationTokens:
    """Continuation tokens as callers see them: Table Storage's continuation, signed (HMAC-SHA256), so a token
    this service did not issue is refused with 400 instead of being passed to storage."""

    def __init__(self, key: Callable[[], bytes]) -> None:
        self._key_source = key  # read on first use: the key lives in the app's Key Vault
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def _signature(self, payload: str) -> str:
        with self._lock:
            if self._key is None:
                self._key = self._key_source()
            key = self._key
        digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode()

    def encode(self, token: Any) -> str | None:
        if not token:
            return None
        raw = json.dumps(token, separators=(",", ":"), sort_keys=True).encode()
        payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{payload}.{self._signature(payload)}"

    def decode(self, token: str | None) -> Any:
        if not token:
            return None
        payload, _, signature = token.partition(".")
        decoded = None
        # compared as bytes: compare_digest refuses non-ASCII text, and a forged token may hold any
        if signature and hmac.compare_digest(signature.encode(), self._signature(payload).encode()):
            try:
                decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            except (ValueError, binascii.Error):
                decoded = None
        if not isinstance(decoded, dict):
            raise ValidationFailed.of(
                Detail(
                    "invalidSkipToken", "skipToken is not one this service issued; start the list again.", "skipToken"
                )
            )
        return decoded

    def page(self, ordered: Sequence[T], *, top: int, skip_token: str | None) -> tuple[list[T], str | None]:
        """One page of a list read whole (a principal's few tenants, what Azure lists), by its position: an item
        added or removed between two pages may shift the rest by one, which a list read whole each time allows."""
        offset = (self.decode(skip_token) or {}).get("offset", 0)
        if not isinstance(offset, int) or offset < 0:
            offset = len(ordered)
        rest = offset + top
        return list(ordered[offset:rest]), self.encode({"offset": rest}) if rest < len(ordered) else None


# for repositories that hold no key (the tests' in-memory fakes): signed with a key made for this process
PROCESS_TOKENS = ContinuationTokens(lambda: secrets.token_bytes(32))

"""The codes and refresh tokens the sign-in page hands out: in memory only, each dropped when its lifetime ends.

A code is good once, for 10 minutes, for the client, tenant and redirect_uri it was issued for, and only with the
PKCE verifier whose SHA-256 its request named. A sign-in's refresh tokens last 24 hours from the sign-in, as Entra's
for single-page apps do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

CODE_LIFETIME_S = 600  # Entra's authorization codes last 10 minutes
SESSION_LIFETIME_S = 24 * 3600  # a single-page app's refresh tokens end 24 hours after sign-in, however renewed
MAX_KEPT = 10_000  # anyone may post the form: memory stays bounded even if no code is ever redeemed

Refusal = tuple[int, str]  # an AADSTS code and what went wrong


@dataclass(frozen=True)
class SignedIn:
    """A user's sign-in to one client: what a code, and then the refresh tokens it leads to, stand for."""

    name: str
    tenant_id: str
    client_id: str
    scope: str
    nonce: str
    since: float
    session: str  # the same for every refresh token of this sign-in, so a replayed code revokes them all


@dataclass
class Code:
    signed_in: SignedIn
    redirect_uri: str
    challenge: str
    redeemed: bool = False


def s256(verifier: str) -> str:
    """The S256 code_challenge of a PKCE code_verifier: BASE64URL(SHA256(verifier)), unpadded (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest()).rstrip(b"=").decode()


class Authorizations:
    """Codes and refresh tokens by their value, under one lock; every call first drops those whose time is up."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, Code] = {}
        self._refresh: dict[str, SignedIn] = {}

    def _prune(self) -> None:
        now = self._clock()
        self._codes = {k: v for k, v in self._codes.items() if now - v.signed_in.since <= CODE_LIFETIME_S}
        self._refresh = {k: v for k, v in self._refresh.items() if now - v.since <= SESSION_LIFETIME_S}
        for kept in (self._codes, self._refresh):
            while len(kept) > MAX_KEPT:
                del kept[next(iter(kept))]  # the oldest: dicts keep their insertion order

    def new_code(self, signed_in: SignedIn, redirect_uri: str, challenge: str) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._prune()
            self._codes[code] = Code(signed_in, redirect_uri, challenge)
        return code

    def redeem_code(
        self, code: str, *, tenant_id: str, client_id: str, redirect_uri: str, verifier: str
    ) -> SignedIn | Refusal:
        with self._lock:
            self._prune()
            found = self._codes.get(code)
            if found is None:
                return 70008, "The authorization code has expired or is not one this emulator issued."
            if found.redeemed:
                # RFC 6749 4.1.2: a code used twice may have been stolen; what it was exchanged for is revoked
                session = found.signed_in.session
                self._refresh = {k: v for k, v in self._refresh.items() if v.session != session}
                return 54005, "The authorization code was already redeemed."
            found.redeemed = True  # whatever comes next: a wrong guess at the verifier costs the code
        if found.signed_in.tenant_id != tenant_id:
            return 50000, "The authorization code was issued for another tenant."
        if found.signed_in.client_id != client_id:
            return 70000, "The authorization code was issued to another client_id."
        if found.redirect_uri != redirect_uri:
            return 70000, "The redirect_uri does not match the one the authorization code was issued for."
        if not hmac.compare_digest(s256(verifier), found.challenge):
            return 501481, "The code_verifier does not match the code_challenge of the authorization request."
        return found.signed_in

    def new_refresh_token(self, signed_in: SignedIn) -> str:
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._prune()
            self._refresh[token] = signed_in
        return token

    def redeem_refresh_token(self, token: str, *, tenant_id: str, client_id: str) -> SignedIn | Refusal:
        # not single use: Entra lets an earlier refresh token of a sign-in work until the sign-in's lifetime ends
        with self._lock:
            self._prune()
            found = self._refresh.get(token)
        if found is None:
            return 700084, "The refresh token has expired (24 hours after sign-in) or was not issued by this emulator."
        if found.tenant_id != tenant_id or found.client_id != client_id:
            return 70000, "The refresh token was issued to another client_id or tenant."
        return found

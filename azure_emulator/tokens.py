"""Access tokens the emulator issues and accepts: JWTs with Entra's claims (tid, oid, aud), signed by the emulator."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

PUBLIC_GRAPH = "https://graph.microsoft.com"  # the audience and host of Microsoft Graph

# Entra's v1 issuer, which the tokens of Azure's resource APIs (ARM, Graph, Storage) carry; Azurite's OAuth mode
# accepts only such issuers
ISSUER_HOST = "https://sts.windows.net"
LIFETIME_S = 3600


def principal_id(tenant_id: str, app_id: str | None = None) -> str:
    """The object id a caller has in a tenant: an app's service principal there, or (no app) the administrator's."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{app_id or 'caller'}"))


class TokenIssuer:
    """Signs tokens with a key kept in the state folder (so tokens outlive a restart) or in memory."""

    def __init__(self, state_dir: Path | None, clock: Any = time.time) -> None:
        self._clock = clock
        key_file = state_dir / "token-key" if state_dir else None
        if key_file is not None and key_file.exists():
            self._key = key_file.read_text(encoding="utf-8").strip()
        else:
            self._key = secrets.token_urlsafe(32)
            if key_file is not None:
                key_file.parent.mkdir(parents=True, exist_ok=True)
                key_file.write_text(self._key, encoding="utf-8")
                key_file.chmod(0o600)
        self._verified: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def issue(
        self,
        tenant_id: str,
        *,
        audience: str = "https://management.azure.com",
        object_id: str | None = None,
        app_id: str | None = None,
        lifetime_s: int = LIFETIME_S,
        extra: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        """A token for `tenant_id` and the time it expires (epoch seconds)."""
        now = int(self._clock())
        expires = now + lifetime_s
        claims = {
            "iss": f"{ISSUER_HOST}/{tenant_id}/",
            "aud": audience,
            "tid": tenant_id,
            "oid": object_id or principal_id(tenant_id, app_id),
            "appid": app_id or "",
            "iat": now,
            "nbf": now - 5,
            "exp": expires,
            **(extra or {}),
        }
        return jwt.encode(claims, self._key, algorithm="HS256"), expires

    def verify(self, token: str) -> dict[str, Any] | None:
        """The token's claims if the emulator signed it and it has not expired; None otherwise."""
        with self._lock:
            known = self._verified.get(token)
        if known is not None:
            return known if known["exp"] > self._clock() else None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key, algorithms=["HS256"], options={"verify_aud": False}, leeway=30
            )
        except jwt.PyJWTError:
            return None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[token] = claims
        return claims

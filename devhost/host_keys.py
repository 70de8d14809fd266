"""Host keys: the master and Durable system keys guarding devhost's management endpoints off loopback.

In Azure the Functions host's admin API (`/admin/...`) and its extension webhooks (`/runtime/webhooks/...`,
Durable's included) answer only to the host's master key or, for the Durable webhooks, the Durable extension's
system key, sent as the `x-functions-key` header or the `code` query parameter; anything else gets 401 with an
empty body. devhost does the same whenever it is bound to an address that is not loopback (or when told to with
`DevHost(require_host_key=True)`). The app's own HTTP functions are never checked here.

Keys are made once with `secrets.token_urlsafe(32)` and kept in `<state_dir>/host-keys.json` (mode 0600):

    {"masterKey": "...", "systemKeys": {"durabletask_extension": "..."}}

The `DEVHOST_MASTER_KEY` setting (process environment, DevHost env or local.settings.json Values), when set and
not empty, is the master key instead of the file's. The Durable client binding carries the system key, never the
master key: `create_check_status_response` hands its URLs to the HTTP function's callers, as it does in Azure.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from devhost.durable.binding import WEBHOOK_PATH

MASTER_KEY_SETTING = "DEVHOST_MASTER_KEY"
KEY_FILE_NAME = "host-keys.json"
DURABLE_SYSTEM_KEY = "durabletask_extension"  # the system key name the Durable extension registers
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


def is_loopback(address: str) -> bool:
    """Whether binding to `address` keeps the host reachable from this machine only."""
    name = address.strip().rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(name.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False  # "" (every interface) or a host name: not provably loopback, so guard it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def host_key_required(address: str, policy: bool | None) -> bool:
    """The policy when given, else: required iff the bind address is not loopback."""
    return (not is_loopback(address)) if policy is None else policy


@dataclass(frozen=True)
class HostKeys:
    master: str
    durable: str  # the Durable extension's system key: opens the Durable webhooks only
    source: str  # where the master key comes from, for the start-up line (never the key itself)

    def admits(self, presented: str | None, *, durable: bool) -> bool:
        if not presented:
            return False
        given = presented.encode("utf-8")
        # compare against every candidate so the timing says nothing about which one was close
        ok = hmac.compare_digest(given, self.master.encode("utf-8"))
        ok_durable = hmac.compare_digest(given, self.durable.encode("utf-8"))
        return ok or (durable and ok_durable)


def load_host_keys(state_dir: Path | None, environ: Mapping[str, str]) -> HostKeys:
    """The keys from `<state_dir>/host-keys.json` (made on first use), the master key overridden by the setting."""
    override = environ.get(MASTER_KEY_SETTING, "").strip()
    if state_dir is None:
        master, durable = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        source = "DevHost.master_key (kept in memory: no state folder)"
    else:
        path = Path(state_dir) / KEY_FILE_NAME
        master, durable = _key_file(path)
        source = str(path.resolve())
    if override:
        return HostKeys(override, durable, f"the {MASTER_KEY_SETTING} setting")
    return HostKeys(master, durable, source)


def _key_file(path: Path) -> tuple[str, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):  # a second host may create the file between our read and our write
        try:
            data = _parse(path)
        except FileNotFoundError:
            data = None
        document = dict(data or {})
        system = dict(document.get("systemKeys") or {})
        master, durable = document.get("masterKey"), system.get(DURABLE_SYSTEM_KEY)
        if _usable(master) and _usable(durable):
            _make_private(path)
            return str(master), str(durable)
        document["masterKey"] = master if _usable(master) else secrets.token_urlsafe(32)
        system[DURABLE_SYSTEM_KEY] = durable if _usable(durable) else secrets.token_urlsafe(32)
        document["systemKeys"] = system
        if _write_private(path, document, replace=data is not None):
            return str(document["masterKey"]), str(system[DURABLE_SYSTEM_KEY])
    raise RuntimeError(f"{path}: could not create the host key file")


def _usable(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _parse(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RuntimeError(f"{path}: not JSON ({exc}); fix or delete it to make new host keys") from exc
    if not isinstance(data, dict) or not isinstance(data.get("systemKeys", {}), dict):
        raise RuntimeError(f'{path}: expected {{"masterKey": "...", "systemKeys": {{...}}}}')
    return data


def _make_private(path: Path) -> None:
    # a key file others can read is no key: tighten one copied or made by hand
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) != 0o600:
        path.chmod(0o600)


def _write_private(path: Path, document: dict[str, Any], *, replace: bool) -> bool:
    """Write mode-0600 JSON through a temporary file; False if another host created `path` first."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # unlike a rename, fails rather than overwrite a file made meanwhile
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def management_scope(path: str) -> str | None:
    """'durable' for the Durable webhooks, 'admin' for other host routes, None for the app's own routes."""
    lowered = path.lower()  # the Functions host matches routes without regard to case
    if lowered == WEBHOOK_PATH or lowered.startswith(WEBHOOK_PATH + "/"):
        return "durable"
    if lowered in ("/admin", "/runtime") or lowered.startswith(("/admin/", "/runtime/")):
        return "admin"
    return None


def presented_key(request: web.Request) -> str | None:
    """The key as the Functions host reads it: the header first, else the `code` query parameter."""
    return request.headers.get(KEY_HEADER) or request.query.get(KEY_QUERY)


def key_middleware(keys: HostKeys) -> Middleware:
    """Answers 401 (empty body) to management requests without a key that opens them."""

    @web.middleware
    async def require_host_key(request: web.Request, handler: Handler) -> web.StreamResponse:
        scope = management_scope(request.path)
        if scope is not None and not keys.admits(presented_key(request), durable=scope == "durable"):
            return web.Response(status=401)
        return await handler(request)

    return require_host_key

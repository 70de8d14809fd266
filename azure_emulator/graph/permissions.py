"""Which Graph permissions each emulated operation accepts, from Microsoft's tables in permissions.json.

Graph refuses an app-only token whose `roles` hold none of an operation's application permissions, and a signed-in
user's token whose `scp` holds none of its delegated ones, with 403 `Authorization_RequestDenied`, without naming
what is missing: a caller (the app) that wants to name it reads `required()` from the same data file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from azure_emulator.server import Request

DATA = Path(__file__).with_name("permissions.json")
# one way to be allowed: every permission in it (most are a single permission; checkMemberGroups has pairs)
Option = tuple[str, ...]
# the resource a resource-dependent operation acts on (a subscription's `users` or `groups`), None when unknown
ResourceOf = Callable[[Request], str | None]


class MissingPermissions(LookupError):
    """A Graph route was registered for an operation the data file has no entry for."""


@dataclass(frozen=True)
class Entry:
    operation: str
    doc: str
    application: tuple[Option, ...] | None  # least privileged first; None: none of its own, or byResource
    by_resource: dict[str, tuple[Option, ...]]
    confirmed: bool
    delegated: tuple[Option, ...] | None = None  # the Delegated (work or school account) row; None: not read

    def options(self, resource: str | None) -> tuple[Option, ...] | None:
        """The ways to be allowed; None when the operation needs no permission of its own.

        A resource-dependent operation whose resource is not known yet (listing subscriptions, or one that does not
        exist) takes any resource's permission; one on a resource the table lacks is left to the handler to refuse.
        """
        if not self.by_resource:
            return self.application
        if resource is None:
            return tuple(option for options in self.by_resource.values() for option in options)
        return self.by_resource.get(resource.lower())


def _options(raw: list[Any]) -> tuple[Option, ...]:
    return tuple((item,) if isinstance(item, str) else tuple(item) for item in raw)


@cache
def entries() -> dict[str, Entry]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    found = {}
    for name, raw in data["operations"].items():
        application, delegated = raw.get("application"), raw.get("delegated")
        found[name] = Entry(
            operation=name,
            doc=raw["doc"],
            application=_options(application) if application is not None else None,
            by_resource={k.lower(): _options(v) for k, v in (raw.get("byResource") or {}).items()},
            confirmed=bool(raw.get("confirmed", True)),
            delegated=_options(delegated) if delegated is not None else None,
        )
    return found


def entry(operation: str) -> Entry:
    try:
        return entries()[operation]
    except KeyError:
        raise MissingPermissions(
            f"Graph operation '{operation}' has no entry in {DATA.name}: add its page and application permissions."
        ) from None


def required(operation: str, resource: str | None = None) -> list[list[str]]:
    """The permission sets that allow `operation`, least privileged first (empty when it needs none)."""
    return [list(option) for option in entry(operation).options(resource) or ()]


def allowed(options: tuple[Option, ...] | None, roles: Any) -> bool:
    """Whether `roles` (a token's claim: a list, or `scp`'s space-separated string) holds every permission of at
    least one option, ignoring case as Entra does."""
    if options is None:
        return True
    if isinstance(roles, str):
        roles = roles.split()
    held = {str(role).lower() for role in roles} if isinstance(roles, list) else set()
    return any(all(permission.lower() in held for permission in option) for option in options)

"""Microsoft Entra directory roles that the sign-in page's users hold in a tenant, which Graph checks on their calls.

`PUT /emulator/tenants/{tid}/signInUsers/{name}` `{"directoryRoles": [...]}` (sign_in.py) gives them by their
built-in names (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference). Only the
roles in ROLES are modelled: those a Graph page the emulator serves names for its delegated calls, and the Global
Administrator, who may do whatever any other role may. The tenant's own administrator (`POST /emulator/token`,
consent.administrator_upn) is not one of these users and is not limited by them.

Store kind: `identity.directoryRoles` `{tid}/{user object id}` -> `{"roles": [...]}`.
"""

from __future__ import annotations

from collections.abc import Iterable

from azure_emulator.store import Store

KIND = "identity.directoryRoles"
GLOBAL_ADMINISTRATOR = "Global Administrator"
PRIVILEGED_ROLE_ADMINISTRATOR = "Privileged Role Administrator"
# the roles the app role assignment pages list for a delegated caller (graph/app_role_assignments.py); Microsoft's
# include names "Directory Writer", a role whose name in the roles reference is "Directory Writers"
ROLES = (
    GLOBAL_ADMINISTRATOR,
    PRIVILEGED_ROLE_ADMINISTRATOR,
    "Application Administrator",
    "Cloud Application Administrator",
    "Directory Readers",
    "Directory Synchronization Accounts",
    "Directory Writers",
    "Hybrid Identity Administrator",
    "Identity Governance Administrator",
    "User Administrator",
)
_CANONICAL = {name.lower(): name for name in ROLES}


def canonical(names: Iterable[str]) -> tuple[str, ...] | None:
    """The roles' built-in names as Entra spells them (compared ignoring case), None if one is not modelled."""
    found = [_CANONICAL.get(name.strip().lower()) for name in names]
    if any(name is None for name in found):
        return None
    return tuple(dict.fromkeys(name for name in found if name is not None))


def roles_of(store: Store, tenant_id: str, user_id: str) -> tuple[str, ...]:
    found = store.get(KIND, f"{tenant_id}/{user_id}".lower()) or {}
    return tuple(found.get("roles", ()))


def set_roles(store: Store, tenant_id: str, user_id: str, roles: tuple[str, ...]) -> None:
    store.put(KIND, f"{tenant_id}/{user_id}".lower(), {"roles": list(roles)})


def holds_any(store: Store, tenant_id: str, user_id: str, wanted: Iterable[str]) -> bool:
    """Whether the user holds one of `wanted` in the tenant; a Global Administrator holds every role's rights."""
    held = set(roles_of(store, tenant_id, user_id))
    return GLOBAL_ADMINISTRATOR in held or bool(held & set(wanted))

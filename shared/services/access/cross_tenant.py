"""One view over every tenant: the tenants a list or a bulk action across tenants reaches."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.access import Caller, TenantRole
from shared.services.access import roles


def reach(
    ports: roles.RolePorts, caller: Caller, asked: Sequence[str] | None, *, field: str, indexed: bool = False
) -> list[TenantRole]:
    """The tenants the caller holds a role on (roles.visible_tenants), or those `asked` names, in that order; an
    asked id the caller holds no role on is a 400 naming `field` (`field[n]` when `indexed`), whether such a
    tenant exists or not (that is not told)."""
    visible = roles.visible_tenants(ports, caller)
    if asked is None:
        return visible
    by_id = {tenant.tenant_id: tenant for tenant in visible}
    outside = [n for n, tenant_id in enumerate(asked) if tenant_id not in by_id]
    if outside:
        raise ValidationFailed.of(
            *(
                ErrorDetail(
                    "tenantNotInReach",
                    f"You hold no role on a tenant '{asked[n]}'; name tenants of GET /tenants.",
                    f"{field}[{n}]" if indexed else field,
                )
                for n in outside
            )
        )
    return [by_id[tenant_id] for tenant_id in dict.fromkeys(asked)]

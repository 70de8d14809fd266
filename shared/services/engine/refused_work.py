"""Work refused for want of a permission: kept where the admin looks (the onboarding report, the tenant's summary)
and forgotten once the work succeeds again.

A refusal is not retried as transient: another attempt cannot help until the admin grants what is missing. Work that
belongs to a Cloud PC or an image says so in its own status detail; this is for the tenant's background work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from shared.models.refused_work import RefusedWork, RefusedWorkKind
from shared.ports.cloud_errors import CloudError
from shared.ports.stores import RefusedWorkStore

T = TypeVar("T")


def refused(store: RefusedWorkStore, tenant_id: str, work: RefusedWorkKind, error: CloudError, now: datetime) -> None:
    before = store.find_refused(tenant_id, work)
    store.put_refused(
        RefusedWork(
            tenant_id=tenant_id,
            work=work,
            code=error.code,
            message=str(error),
            first_refused_date_time=before.first_refused_date_time if before else now,
            last_refused_date_time=now,
        )
    )


def succeeded(store: RefusedWorkStore, tenant_id: str, work: RefusedWorkKind) -> None:
    store.delete_refused(tenant_id, work)  # idempotent: nothing to forget is one cheap call


def watched(
    store: RefusedWorkStore, tenant_id: str, work: RefusedWorkKind, clock: Callable[[], datetime], run: Callable[[], T]
) -> T | CloudError:
    """`run()`, with its outcome kept: the refusal itself (and kept for the admin) when it was refused for want of a
    permission; any other error is raised."""
    try:
        result = run()
    except CloudError as exc:
        if not exc.permission_denied:
            raise
        refused(store, tenant_id, work, exc, clock())
        return exc
    succeeded(store, tenant_id, work)
    return result

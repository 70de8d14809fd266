"""Cloud PCs a crashed reconcile left in `pendingProvision`: found through its start check and started.

A reconcile writes a start check (due START_GRACE later) before it creates Cloud PCs, and removes it once it has
started them. A check still there when due means the reconcile died (or is slow): the sweep then starts the tenant's
`pendingProvision` Cloud PCs older than the grace that a license lets start, and, if the reconcile died before it
had created every row, queues a full reconcile of the tenant. So the sweep reads only what is due - one key range -
and a tenant's Cloud PCs only after a reconcile of it did not finish. Duplicate starts are harmless: an instance
already under way refuses the start (see orchestrators/starting.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from shared.models.orchestrations import ProvisionInput
from shared.ports.cloud_pc_work_ports import DirectoryEventPorts
from shared.services.cloud_pcs.reconcile import START_GRACE, LicenseRoomPorts, license_room

log = logging.getLogger(__name__)
CHECKS_PER_SWEEP = 1000


class PendingStartPorts(LicenseRoomPorts, DirectoryEventPorts, Protocol):
    """The start checks a reconcile left, and the runs they name started again."""


@dataclass
class TenantStarts:
    """What one sweep does for one tenant with due checks: the runs to start, then `settle`."""

    tenant_id: str
    checks: list[str] = field(default_factory=list)
    runs: list[ProvisionInput] = field(default_factory=list)
    # no Cloud PC in pendingProvision is younger than the grace: a reconcile is not creating or starting them now
    settled: bool = True
    # a check's reconcile died before it had created every Cloud PC it meant to
    reconcile_again: bool = False


def due_starts(ports: PendingStartPorts, *, top: int = CHECKS_PER_SWEEP) -> list[TenantStarts]:
    """Per tenant with a due start check: its pendingProvision Cloud PCs older than the grace, as runs to start.

    A tenant whose Cloud PCs cannot be read now is left out; its checks stay due for the next sweep.
    """
    now = ports.clock()
    by_tenant: dict[str, TenantStarts] = {}
    for check in ports.cloud_pcs.list_due_start_checks(now, top=top):
        starts = by_tenant.setdefault(check.tenant_id, TenantStarts(check.tenant_id))
        starts.checks.append(check.key)
        starts.reconcile_again |= check.creating
    ready = []
    for tenant_id, starts in by_tenant.items():
        try:
            pending = ports.cloud_pcs.list_cloud_pcs_in_status(tenant_id, "pendingProvision")
            stale = sorted(
                (c for c in pending if c.last_modified_date_time <= now - START_GRACE),
                key=lambda c: (c.created_date_time, c.id),
            )
            # the license rule as the reconcile applies it: a Cloud PC waiting for a license keeps waiting
            allowed = license_room(ports, tenant_id, stale)
        except Exception:
            log.exception("Pending Cloud PCs of tenant %s could not be read; the next sweep tries again", tenant_id)
            continue
        starts.settled = len(stale) == len(pending)
        starts.runs = [ProvisionInput.starting(tenant_id, c.id, c.run) for c in allowed]
        ready.append(starts)
    return ready


def settle(ports: PendingStartPorts, starts: TenantStarts) -> bool:
    """After its runs were started: queue the reconcile a dead one owed, and remove the checks; False if they stay.

    While a Cloud PC of the tenant is younger than the grace, a reconcile may be creating or starting Cloud PCs
    right now; the checks stay and the next sweep looks again.
    """
    if not starts.settled:
        return False
    if starts.reconcile_again:  # a fresh message now, rather than the dead one's after its lease ends
        log.warning("A reconcile of tenant %s died before creating its Cloud PCs; reconciling again", starts.tenant_id)
        ports.events.publish_directory_event(starts.tenant_id, full=True)
    for key in starts.checks:
        ports.cloud_pcs.delete_start_check(key)
    return True

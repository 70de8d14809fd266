"""Counting a tenant for its summary: one query per collection, reading only the column each count needs."""

from __future__ import annotations

from typing import get_args

from shared.models.cloud_pcs import CloudPcStatus
from shared.models.summary import (
    HEALTHY_CHECKS,
    READY,
    CloudPcCounts,
    ConnectionCounts,
    SpotGroupCounts,
    TenantSummary,
)
from shared.models.tenants import Tenant
from shared.ports.bundles import SummaryPorts

CLOUD_PC_STATUSES: tuple[str, ...] = get_args(CloudPcStatus)


def tenant_summary(ports: SummaryPorts, tenant: Tenant) -> TenantSummary:
    """The tenant's counts as of now.

    - Cloud PCs: the total, the number in every status (0 where there is none), and the provisioned ones nobody was
      seen connected to.
    - Connections: the total, and how many are not healthy: a healthCheckStatus other than passed or
      informational (HEALTHY_CHECKS), that is failed, warning, or checks still pending or running.
    - Spot Groups: the total, and how many are not ready: any status but ready (deploying, updating, failed,
      deleting).
    - Alerts: how many are open (active or acknowledged), counting their open markers' keys.
    """
    tenant_id = tenant.id
    as_of = ports.clock()  # read before the counts: whatever changed before it is in them
    by_status = ports.cloud_pcs.count_cloud_pcs_by_status(tenant_id)
    by_health = ports.connections.count_connections_by_health(tenant_id)
    by_group_status = ports.spot_groups.count_spot_groups_by_status(tenant_id)
    return TenantSummary(
        tenant_id=tenant.id,
        display_name=tenant.display_name,
        cloud_pcs=CloudPcCounts(
            total=sum(by_status.values()),  # a row in a status this version does not know still counts
            by_status={status: by_status.get(status, 0) for status in CLOUD_PC_STATUSES},
            never_connected=ports.cloud_pcs.count_never_connected(tenant_id),
        ),
        connections=ConnectionCounts(
            total=sum(by_health.values()),
            not_healthy=sum(n for health, n in by_health.items() if health not in HEALTHY_CHECKS),
        ),
        spot_groups=SpotGroupCounts(
            total=sum(by_group_status.values()),
            not_ready=sum(n for status, n in by_group_status.items() if status != READY),
        ),
        active_alerts=ports.alerts.count_open_alerts(tenant_id) if ports.alerts is not None else 0,
        refused_work=ports.refusals.list_refused(tenant_id),
        as_of_date_time=as_of,
    )

"""Counting tenants for their summaries: one query per collection, reading only the column each count needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, get_args

from shared.models.alerts import Severity
from shared.models.cloud_pcs import CloudPcStatus
from shared.models.refused_work import RefusedWork
from shared.models.summary import (
    HEALTHY_CHECKS,
    READY,
    CloudPcCounts,
    ConnectionCounts,
    OpenAlert,
    SpotGroupCounts,
    TenantSummary,
)
from shared.models.tenants import Tenant
from shared.ports.alerts import AlertStore
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import CloudPcStore, ConnectionStore, RefusedWorkStore
from shared.ports.template_stores import TemplateStore

CLOUD_PC_STATUSES: tuple[str, ...] = get_args(CloudPcStatus)
SEVERITIES: tuple[str, ...] = get_args(Severity)  # the most severe first
# a page of fewer tenants is counted tenant by tenant, in their partitions alone: read across every tenant, the page of
# a customer's admin, who holds a role on one tenant of an MSP's hundreds, would read every other tenant's rows too
ACROSS_FROM = 5


class TenantSummaryPorts(Protocol):
    """The rows a tenant's summary counts."""

    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def refusals(self) -> RefusedWorkStore: ...
    @property
    def alerts(self) -> AlertStore | None: ...  # its open alerts counted
    @property
    def templates(self) -> TemplateStore | None: ...  # its drifted templates counted
    @property
    def clock(self) -> Callable[[], datetime]: ...


@dataclass(frozen=True)
class TenantCounts:
    """A tenant's rows counted by the column each count reads, as the stores answer."""

    cloud_pcs_by_status: Mapping[str, int]
    never_connected: int
    connections_by_health: Mapping[str, int]
    spot_groups_by_status: Mapping[str, int]
    open_alerts: list[OpenAlert]
    refused_work: list[RefusedWork]
    drifted_templates: int = 0


def tenant_summary(ports: TenantSummaryPorts, tenant: Tenant) -> TenantSummary:
    """The tenant's counts as of now, each collection read in the tenant's partition."""
    as_of = ports.clock()  # read before the counts: whatever changed before it is in them
    counts = TenantCounts(
        cloud_pcs_by_status=ports.cloud_pcs.count_cloud_pcs_by_status(tenant.id),
        never_connected=ports.cloud_pcs.count_never_connected(tenant.id),
        connections_by_health=ports.connections.count_connections_by_health(tenant.id),
        spot_groups_by_status=ports.spot_groups.count_spot_groups_by_status(tenant.id),
        open_alerts=ports.alerts.open_alert_severities(tenant.id) if ports.alerts is not None else [],
        refused_work=ports.refusals.list_refused(tenant.id),
        drifted_templates=ports.templates.count_drifted(tenant.id) if ports.templates is not None else 0,
    )
    return summary_of(tenant, counts, as_of)


def tenant_summaries(ports: TenantSummaryPorts, tenants: list[Tenant]) -> list[TenantSummary]:
    """The tenants' counts as of now, in their order: each collection read once across every tenant (whatever
    their number), its counts grouped by tenant and kept for these tenants only; fewer than ACROSS_FROM tenants
    each in its own partitions."""
    if len(tenants) < ACROSS_FROM:
        return [tenant_summary(ports, tenant) for tenant in tenants]
    as_of = ports.clock()
    by_status = ports.cloud_pcs.count_cloud_pcs_by_status_per_tenant()
    never_connected = ports.cloud_pcs.count_never_connected_per_tenant()
    by_health = ports.connections.count_connections_by_health_per_tenant()
    by_group_status = ports.spot_groups.count_spot_groups_by_status_per_tenant()
    open_alerts = ports.alerts.open_alert_severities_per_tenant() if ports.alerts is not None else {}
    refused = ports.refusals.list_refused_per_tenant()
    drifted = ports.templates.count_drifted_per_tenant() if ports.templates is not None else {}
    return [
        summary_of(
            tenant,
            TenantCounts(
                cloud_pcs_by_status=by_status.get(tenant.id, {}),
                never_connected=never_connected.get(tenant.id, 0),
                connections_by_health=by_health.get(tenant.id, {}),
                spot_groups_by_status=by_group_status.get(tenant.id, {}),
                open_alerts=open_alerts.get(tenant.id, []),
                refused_work=refused.get(tenant.id, []),
                drifted_templates=drifted.get(tenant.id, 0),
            ),
            as_of,
        )
        for tenant in tenants
    ]


def summary_of(tenant: Tenant, counts: TenantCounts, as_of: datetime) -> TenantSummary:
    """The summary of a tenant's counts.

    - Cloud PCs: the total, the number in every status (0 where there is none), and the provisioned ones nobody was
      seen connected to.
    - Connections: the total, and how many are not healthy: a healthCheckStatus other than passed or
      informational (HEALTHY_CHECKS), that is failed, warning, or checks still pending or running.
    - Spot Groups: the total, and how many are not ready: any status but ready (deploying, updating, failed,
      deleting).
    - Alerts: how many are open (active or acknowledged), and the most severe of them (of those, the newest: the
      ids sort newest first), as their open markers tell.
    - Templates: how many applied to the tenant drifted from it when last read.
    """
    by_status = counts.cloud_pcs_by_status
    return TenantSummary(
        tenant_id=tenant.id,
        display_name=tenant.display_name,
        cloud_pcs=CloudPcCounts(
            total=sum(by_status.values()),  # a row in a status this version does not know still counts
            by_status={status: by_status.get(status, 0) for status in CLOUD_PC_STATUSES},
            never_connected=counts.never_connected,
        ),
        connections=ConnectionCounts(
            total=sum(counts.connections_by_health.values()),
            not_healthy=sum(n for health, n in counts.connections_by_health.items() if health not in HEALTHY_CHECKS),
        ),
        spot_groups=SpotGroupCounts(
            total=sum(counts.spot_groups_by_status.values()),
            not_ready=sum(n for status, n in counts.spot_groups_by_status.items() if status != READY),
        ),
        active_alerts=len(counts.open_alerts),
        most_severe_alert=min(
            counts.open_alerts, key=lambda alert: (SEVERITIES.index(alert.severity), alert.alert_id), default=None
        ),
        drifted_templates=counts.drifted_templates,
        refused_work=counts.refused_work,
        as_of_date_time=as_of,
    )

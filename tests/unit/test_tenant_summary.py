"""The tenant summary's counts on the in-memory fakes: every Cloud PC status (zeros too), unhealthy and unready, alike
whether one tenant is counted in its partition or many across tenants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import pytest

from shared.models.alerts import Alert, alert_id
from shared.models.cloud_pcs import CloudPcStatus
from shared.models.connections import Connection
from shared.models.refused_work import RefusedWork
from shared.models.spot_groups import SpotGroup
from shared.models.summary import OpenAlert, TenantSummary
from shared.models.tenants import Tenant
from shared.ports.bundles import SummaryPorts
from shared.services.access.summary import ACROSS_FROM, tenant_summaries, tenant_summary
from shared.services.monitoring.alert_transitions import ALERTS
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, cloud_pc, tenant
from tests.fakes.tables import MemoryTable


def ports(fakes: Fakes) -> SummaryPorts:
    return SummaryPorts(
        fakes.cloud_pcs, fakes.connections, fakes.spot_groups, fakes.refusals, fakes.clock, fakes.alerts
    )


def alone(summary_ports: SummaryPorts, of: Tenant) -> TenantSummary:
    return tenant_summary(summary_ports, of)


def among_others(summary_ports: SummaryPorts, of: Tenant) -> TenantSummary:
    """The tenant's summary as the list across tenants has it (a page of enough tenants to be read across them)."""
    others = [of.model_copy(update={"id": f"other-{n}"}) for n in range(ACROSS_FROM - 1)]
    summary, *_ = tenant_summaries(summary_ports, [of, *others])
    return summary


Summarize = Callable[[SummaryPorts, Tenant], TenantSummary]
EITHER_READING = pytest.mark.parametrize("summarize", [alone, among_others])


def connection(fakes: Fakes, connection_id: str, health: str, tenant_id: str = TENANT) -> None:
    now = fakes.clock()
    row = Connection.model_validate(
        {
            "id": connection_id,
            "tenant_id": tenant_id,
            "display_name": connection_id,
            "site_id": "s",
            "connection_type": "azureADJoin",
            "subscription_id": "sub",
            "resource_group_name": "rg",
            "region_name": "westeurope",
            "health_check_status": health,
            "created_date_time": now,
            "last_modified_date_time": now,
        }
    )
    fakes.connections.upsert_connection(row)


def spot_group(fakes: Fakes, spot_group_id: str, status: str, tenant_id: str = TENANT) -> None:
    now = fakes.clock()
    row = SpotGroup.model_validate(
        {
            "id": spot_group_id,
            "tenant_id": tenant_id,
            "name": spot_group_id,
            "friendly_name": spot_group_id,
            "profile_path": r"\\files\profiles",
            "user_type": "pooled",
            "license_count": 2,
            "site_id": "s",
            "group_ids": ["g"],
            "image_set_id": "i",
            "image_version": "0.0.1",
            "image_version_id": "v",
            "vm_size": "Standard_D2s_v5",
            "max_sessions_per_host": 4,
            "host_pool_name": f"hp-{spot_group_id}",
            "status": status,
            "created_date_time": now,
            "last_modified_date_time": now,
        }
    )
    fakes.spot_groups.put_spot_group(row)


@EITHER_READING
def test_an_empty_tenant_counts_zero_in_every_status(summarize: Summarize) -> None:
    fakes = Fakes()
    tenant(fakes)
    summary = summarize(ports(fakes), fakes.tenants.get_tenant(TENANT)).model_dump(mode="json", by_alias=True)
    assert summary == {
        "tenantId": TENANT,
        "displayName": "Contoso",
        "cloudPcs": {"total": 0, "byStatus": dict.fromkeys(get_args(CloudPcStatus), 0), "neverConnected": 0},
        "connections": {"total": 0, "notHealthy": 0},
        "spotGroups": {"total": 0, "notReady": 0},
        "activeAlerts": 0,
        "mostSevereAlert": None,
        "driftedTemplates": 0,
        "refusedWork": [],
        "asOfDateTime": "2026-11-02T09:00:00Z",
    }


@EITHER_READING
def test_cloud_pcs_are_counted_by_status_and_only_the_tenants(summarize: Summarize) -> None:
    fakes = Fakes()
    tenant(fakes)
    for user, status in [("ann", "provisioned"), ("bob", "provisioned"), ("cid", "failed"), ("dee", "inGracePeriod")]:
        cloud_pc(fakes, user, status=status)
    cloud_pc(fakes, "eve", tenant_id="fabrikam", status="failed")
    counts = summarize(ports(fakes), fakes.tenants.get_tenant(TENANT)).cloud_pcs
    assert counts.total == 4
    assert {status: n for status, n in counts.by_status.items() if n} == {
        "provisioned": 2,
        "failed": 1,
        "inGracePeriod": 1,
    }
    assert list(counts.by_status) == list(get_args(CloudPcStatus))  # every status, in the model's order
    assert counts.by_status["pendingProvision"] == 0


@EITHER_READING
def test_the_provisioned_cloud_pcs_nobody_was_seen_connected_to_are_counted(summarize: Summarize) -> None:
    fakes = Fakes()
    tenant(fakes)
    seen = fakes.clock()
    cloud_pc(fakes, "ann", status="provisioned")
    cloud_pc(fakes, "bob", status="provisioned", last_connected_date_time=seen)
    cloud_pc(fakes, "cid", status="provisionedWithWarnings")
    cloud_pc(fakes, "dee", status="provisioning")  # not built yet: not counted
    cloud_pc(fakes, "eve", tenant_id="fabrikam", status="provisioned")
    assert summarize(ports(fakes), fakes.tenants.get_tenant(TENANT)).cloud_pcs.never_connected == 2
    page, _ = fakes.cloud_pcs.list_cloud_pcs(TENANT, {}, never_connected=True)
    assert sorted(pc.user_principal_name.split("@")[0] for pc in page) == ["ann", "cid"]
    page, _ = fakes.cloud_pcs.list_cloud_pcs(TENANT, {}, search="c", never_connected=True)
    assert [pc.user_principal_name.split("@")[0] for pc in page] == ["cid"]


@EITHER_READING
@pytest.mark.parametrize(
    ("health", "healthy"),
    [
        ("passed", True),
        ("informational", True),
        ("warning", False),
        ("failed", False),
        ("pending", False),
        ("running", False),
    ],
)
def test_a_connection_is_healthy_only_when_its_checks_passed(health: str, healthy: bool, summarize: Summarize) -> None:
    fakes = Fakes()
    tenant(fakes)
    connection(fakes, "hq", health)
    connection(fakes, "branch", "passed")
    connection(fakes, "elsewhere", "failed", tenant_id="fabrikam")
    counts = summarize(ports(fakes), fakes.tenants.get_tenant(TENANT)).connections
    assert (counts.total, counts.not_healthy) == (2, 0 if healthy else 1)


@EITHER_READING
def test_every_spot_group_status_but_ready_is_not_ready(summarize: Summarize) -> None:
    fakes = Fakes()
    tenant(fakes)
    statuses: list[Any] = ["ready", "ready", "deploying", "updating", "failed", "deleting"]
    for n, status in enumerate(statuses):
        spot_group(fakes, f"sg{n}", status)
    spot_group(fakes, "elsewhere", "failed", tenant_id="fabrikam")
    counts = summarize(ports(fakes), fakes.tenants.get_tenant(TENANT)).spot_groups
    assert (counts.total, counts.not_ready) == (6, 4)


@EITHER_READING
def test_open_alerts_are_counted_and_the_most_severe_named_and_resolved_ones_are_not(summarize: Summarize) -> None:
    fakes = Fakes()
    tenant(fakes)
    now = fakes.clock()
    for n, severity in enumerate(("warning", "critical", "critical")):  # active, acknowledged, resolved
        raised = Alert(
            id=alert_id(now, str(n)),
            tenant_id=TENANT,
            rule_id="r",
            kind="provisioningFailed",
            severity=severity,
            subject=f"s{n}",
            subject_name="s",
            summary="s",
            raised_date_time=now,
            last_seen_date_time=now,
            created_date_time=now,
            last_modified_date_time=now,
        )
        saved = fakes.alerts.put_alert(raised, if_none_match=True)
        if n == 1:
            saved = fakes.alerts.put_alert(ALERTS.move(saved, "acknowledge"), if_match=saved.etag)
        if n == 2:
            fakes.alerts.put_alert(ALERTS.move(saved, "resolve"), if_match=saved.etag)
    summary = summarize(ports(fakes), fakes.tenants.get_tenant(TENANT))
    assert summary.active_alerts == 2
    assert summary.most_severe_alert == OpenAlert(alert_id=alert_id(now, "1"), severity="critical")


def refused(fakes: Fakes, tenant_id: str) -> None:
    now = fakes.clock()
    row = RefusedWork(
        tenant_id=tenant_id,
        work="cleanUp",
        code="AuthorizationFailed",
        message="m",
        first_refused_date_time=now,
        last_refused_date_time=now,
    )
    fakes.refusals.put_refused(row)


def test_across_tenants_each_tenant_asked_has_its_own_summary_in_the_order_asked_and_no_other_tenant_is_there() -> None:
    fakes = Fakes()
    for tenant_id in ("contoso", "fabrikam", "tailspin"):
        tenant(fakes, tenant_id)
    cloud_pc(fakes, "ann", status="provisioned")
    cloud_pc(fakes, "bob", tenant_id="fabrikam", status="failed")
    cloud_pc(fakes, "cid", tenant_id="tailspin", status="failed")
    connection(fakes, "hq", "failed", tenant_id="fabrikam")
    spot_group(fakes, "sg", "deploying", tenant_id="tailspin")
    refused(fakes, "fabrikam")
    asked = [fakes.tenants.get_tenant("fabrikam"), fakes.tenants.get_tenant("contoso")]
    summaries = tenant_summaries(ports(fakes), asked)
    assert [summary.tenant_id for summary in summaries] == ["fabrikam", "contoso"]
    assert summaries == [tenant_summary(ports(fakes), of) for of in asked]
    assert [len(summary.refused_work) for summary in summaries] == [1, 0]


def test_across_tenants_each_collection_is_read_in_one_query_whatever_the_number_of_tenants(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fakes = Fakes()
    tenants = [tenant(fakes, f"t{n:02d}") for n in range(30)]
    for n, of in enumerate(tenants):
        cloud_pc(fakes, f"u{n}", tenant_id=of.id, status="provisioned")
        connection(fakes, f"c{n}", "passed", tenant_id=of.id)
        spot_group(fakes, f"sg{n}", "ready", tenant_id=of.id)
        refused(fakes, of.id)
    queried: list[str] = []
    reads = {name: getattr(MemoryTable, name) for name in ("query_entities", "list_entities")}
    for name, read in reads.items():

        def recorded(table: MemoryTable, *args: Any, _read: Any = read, **kwargs: Any) -> Any:
            queried.append(table.table_name)
            return _read(table, *args, **kwargs)

        monkeypatch.setattr(MemoryTable, name, recorded)
    summaries = tenant_summaries(ports(fakes), tenants)
    assert [summary.cloud_pcs.total for summary in summaries] == [1] * 30
    assert sorted(queried) == sorted(["CloudPcs", "CloudPcs", "Connections", "SpotGroups", "Alerts", "RefusedWork"])
    queried.clear()
    assert tenant_summaries(ports(fakes), []) == []
    assert queried == []
    few = tenants[: ACROSS_FROM - 1]  # a page of a few: each read in its own partitions, no other tenant's rows
    assert tenant_summaries(ports(fakes), few) == [tenant_summary(ports(fakes), of) for of in few]
    assert len(queried) == 2 * 6 * len(few), "six queries a tenant (and the summaries above, as many again)"

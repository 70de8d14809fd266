"""The tenant summary's counts on the in-memory fakes: every Cloud PC status (zeros too), unhealthy and unready."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from shared.models.alerts import Alert, alert_id
from shared.models.cloud_pcs import CloudPcStatus
from shared.models.connections import Connection
from shared.models.spot_groups import SpotGroup
from shared.ports.bundles import SummaryPorts
from shared.services.access.summary import tenant_summary
from shared.services.monitoring.alert_transitions import ALERTS
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, cloud_pc, tenant


def ports(fakes: Fakes) -> SummaryPorts:
    return SummaryPorts(
        fakes.cloud_pcs, fakes.connections, fakes.spot_groups, fakes.refusals, fakes.clock, fakes.alerts
    )


def connection(fakes: Fakes, connection_id: str, health: str, tenant_id: str = TENANT) -> None:
    now = fakes.clock()
    row = Connection.model_validate(
        {
            "id": connection_id, "tenant_id": tenant_id, "display_name": connection_id, "site_id": "s",
            "connection_type": "azureADJoin", "subscription_id": "sub", "resource_group_name": "rg",
            "region_name": "westeurope", "health_check_status": health, "created_date_time": now,
            "last_modified_date_time": now,
        }
    )  # fmt: skip
    fakes.connections.upsert_connection(row)


def spot_group(fakes: Fakes, spot_group_id: str, status: str, tenant_id: str = TENANT) -> None:
    now = fakes.clock()
    row = SpotGroup.model_validate(
        {
            "id": spot_group_id, "tenant_id": tenant_id, "name": spot_group_id, "friendly_name": spot_group_id,
            "profile_path": r"\\files\profiles", "user_type": "pooled", "license_count": 2, "site_id": "s",
            "group_ids": ["g"], "image_set_id": "i", "image_version": "0.0.1", "image_version_id": "v",
            "vm_size": "Standard_D2s_v5", "max_sessions_per_host": 4, "host_pool_name": f"hp-{spot_group_id}",
            "status": status, "created_date_time": now, "last_modified_date_time": now,
        }
    )  # fmt: skip
    fakes.spot_groups.put_spot_group(row)


def test_an_empty_tenant_counts_zero_in_every_status() -> None:
    fakes = Fakes()
    tenant(fakes)
    summary = tenant_summary(ports(fakes), fakes.tenants.get_tenant(TENANT)).model_dump(mode="json", by_alias=True)
    assert summary == {
        "tenantId": TENANT,
        "displayName": "Contoso",
        "cloudPcs": {"total": 0, "byStatus": dict.fromkeys(get_args(CloudPcStatus), 0), "neverConnected": 0},
        "connections": {"total": 0, "notHealthy": 0},
        "spotGroups": {"total": 0, "notReady": 0},
        "activeAlerts": 0,
        "refusedWork": [],
        "asOfDateTime": "2026-11-02T09:00:00Z",
    }


def test_cloud_pcs_are_counted_by_status_and_only_the_tenants() -> None:
    fakes = Fakes()
    tenant(fakes)
    for user, status in [("ann", "provisioned"), ("bob", "provisioned"), ("cid", "failed"), ("dee", "inGracePeriod")]:
        cloud_pc(fakes, user, status=status)
    cloud_pc(fakes, "eve", tenant_id="fabrikam", status="failed")
    counts = tenant_summary(ports(fakes), fakes.tenants.get_tenant(TENANT)).cloud_pcs
    assert counts.total == 4
    assert {status: n for status, n in counts.by_status.items() if n} == {
        "provisioned": 2,
        "failed": 1,
        "inGracePeriod": 1,
    }
    assert list(counts.by_status) == list(get_args(CloudPcStatus))  # every status, in the model's order
    assert counts.by_status["pendingProvision"] == 0


def test_the_provisioned_cloud_pcs_nobody_was_seen_connected_to_are_counted() -> None:
    fakes = Fakes()
    tenant(fakes)
    seen = fakes.clock()
    cloud_pc(fakes, "ann", status="provisioned")
    cloud_pc(fakes, "bob", status="provisioned", last_connected_date_time=seen)
    cloud_pc(fakes, "cid", status="provisionedWithWarnings")
    cloud_pc(fakes, "dee", status="provisioning")  # not built yet: not counted
    cloud_pc(fakes, "eve", tenant_id="fabrikam", status="provisioned")
    assert tenant_summary(ports(fakes), fakes.tenants.get_tenant(TENANT)).cloud_pcs.never_connected == 2
    page, _ = fakes.cloud_pcs.list_cloud_pcs(TENANT, {}, never_connected=True)
    assert sorted(pc.user_principal_name.split("@")[0] for pc in page) == ["ann", "cid"]
    page, _ = fakes.cloud_pcs.list_cloud_pcs(TENANT, {}, search="c", never_connected=True)
    assert [pc.user_principal_name.split("@")[0] for pc in page] == ["cid"]


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
def test_a_connection_is_healthy_only_when_its_checks_passed(health: str, healthy: bool) -> None:
    fakes = Fakes()
    tenant(fakes)
    connection(fakes, "hq", health)
    connection(fakes, "branch", "passed")
    connection(fakes, "elsewhere", "failed", tenant_id="fabrikam")
    counts = tenant_summary(ports(fakes), fakes.tenants.get_tenant(TENANT)).connections
    assert (counts.total, counts.not_healthy) == (2, 0 if healthy else 1)


def test_every_spot_group_status_but_ready_is_not_ready() -> None:
    fakes = Fakes()
    tenant(fakes)
    statuses: list[Any] = ["ready", "ready", "deploying", "updating", "failed", "deleting"]
    for n, status in enumerate(statuses):
        spot_group(fakes, f"sg{n}", status)
    spot_group(fakes, "elsewhere", "failed", tenant_id="fabrikam")
    counts = tenant_summary(ports(fakes), fakes.tenants.get_tenant(TENANT)).spot_groups
    assert (counts.total, counts.not_ready) == (6, 4)


def test_open_alerts_are_counted_and_resolved_ones_are_not() -> None:
    fakes = Fakes()
    tenant(fakes)
    now = fakes.clock()
    for n in range(3):  # active, acknowledged, resolved
        raised = Alert(id=alert_id(now, str(n)), tenant_id=TENANT, rule_id="r", kind="provisioningFailed",
                       severity="warning", subject=f"s{n}", subject_name="s", summary="s", raised_date_time=now,
                       last_seen_date_time=now, created_date_time=now, last_modified_date_time=now)  # fmt: skip
        saved = fakes.alerts.put_alert(raised, if_none_match=True)
        if n == 1:
            saved = fakes.alerts.put_alert(ALERTS.move(saved, "acknowledge"), if_match=saved.etag)
        if n == 2:
            fakes.alerts.put_alert(ALERTS.move(saved, "resolve"), if_match=saved.etag)
    assert tenant_summary(ports(fakes), fakes.tenants.get_tenant(TENANT)).active_alerts == 2

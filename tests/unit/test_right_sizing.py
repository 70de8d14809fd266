"""Right-sizing against hand-written thresholds: each class at and beside its edge, the plan one step up or down, and
the batches the metrics are read in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.cloud.azure.monitor_metrics import batches, percentile
from shared.models.cloud_pcs import CloudPc
from shared.ports.vm_metrics import MeteredVm, VmUsage
from shared.services.monitoring.right_sizing import ConnectedTime, classify, one_step

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
DAY = timedelta(days=1)
GB = 1024**3
PLAN = "w365-enterprise-4vcpu-16gb-256gb"  # 16 GB: 10% is 1.6 GB, 60% is 9.6 GB


def cloud_pc(**fields: Any) -> CloudPc:
    base = {
        "id": "cpc-1",
        "tenant_id": "t",
        "created_date_time": NOW - 60 * DAY,
        "last_modified_date_time": NOW,
        "display_name": "Finance - ada",
        "user_id": "ada",
        "user_principal_name": "ada@contoso.com",
        "service_plan_id": PLAN,
        "service_plan_name": "x",
        "provisioning_policy_id": "p",
        "provisioning_policy_name": "P",
        "status": "provisioned",
        "provisioned_date_time": NOW - 60 * DAY,
        "last_connected_date_time": NOW - DAY,
    }
    return CloudPc.model_validate(base | fields)


def usage(cpu_p95: float, free_p05_gb: float, hours: int = 14 * 24) -> VmUsage:
    return VmUsage(
        "/vm",
        hours,
        cpu_p95 / 2,
        cpu_p95,
        min(100.0, cpu_p95 + 10),
        free_p05_gb * GB + GB,
        free_p05_gb * GB,
        free_p05_gb * GB / 2,
    )


def judged(pc: CloudPc | None = None, **kwargs: Any) -> tuple[str, str | None]:
    found = classify(pc or cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, **kwargs)
    return found.classification, found.recommended_service_plan_id


@pytest.mark.parametrize(
    ("case", "pc", "kwargs", "expected"),
    [
        (
            "never connected, made 14 days ago",
            {"last_connected_date_time": None, "provisioned_date_time": NOW - 14 * DAY},
            {},
            ("neverUsed", None),
        ),
        (
            "never connected, made 13 days ago: still new",
            {"last_connected_date_time": None, "provisioned_date_time": NOW - 13 * DAY},
            {"usage": usage(50, 5)},
            ("rightSized", None),
        ),
        (
            "last connected 15 days ago",
            {"last_connected_date_time": NOW - 15 * DAY},
            {"usage": usage(50, 5)},
            ("underused", None),
        ),
        (
            "connected on 3 days of 14",
            {},
            {"connected": ConnectedTime(3, 30.0), "usage": usage(50, 5)},
            ("underused", None),
        ),
        ("connected 9.5 hours", {}, {"connected": ConnectedTime(10, 9.5), "usage": usage(50, 5)}, ("underused", None)),
        (
            "connected 4 days, 10 hours: enough",
            {},
            {"connected": ConnectedTime(4, 10.0), "usage": usage(50, 5)},
            ("rightSized", None),
        ),
        ("CPU p95 81%", {}, {"usage": usage(81, 5)}, ("undersized", "w365-enterprise-8vcpu-32gb-256gb")),
        ("CPU p95 80%: at the edge, not over", {}, {"usage": usage(80, 5)}, ("rightSized", None)),
        ("1.5 GB of 16 free", {}, {"usage": usage(50, 1.5)}, ("undersized", "w365-enterprise-8vcpu-32gb-256gb")),
        ("1.7 GB of 16 free", {}, {"usage": usage(50, 1.7)}, ("rightSized", None)),
        ("CPU 19%, 10 GB of 16 free", {}, {"usage": usage(19, 10)}, ("oversized", "w365-enterprise-2vcpu-8gb-256gb")),
        ("CPU 19%, 9 GB of 16 free", {}, {"usage": usage(19, 9)}, ("rightSized", None)),
        ("CPU 21%, 10 GB of 16 free", {}, {"usage": usage(21, 10)}, ("rightSized", None)),
        ("no metrics", {}, {}, ("notEnoughData", None)),
        ("7 hours of metrics", {}, {"usage": usage(95, 1, hours=7)}, ("notEnoughData", None)),
    ],
)
def test_the_class_and_the_plan_at_each_threshold(
    case: str, pc: dict[str, Any], kwargs: dict[str, Any], expected: tuple[str, str | None]
) -> None:
    assert judged(cloud_pc(**pc), **kwargs) == expected, case


def test_the_evidence_names_its_sources_and_window() -> None:
    found = classify(cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, usage=usage(90, 5))
    evidence = found.evidence
    assert (evidence.window_start, evidence.window_end) == (NOW - 14 * DAY, NOW)
    assert (evidence.connection_source, evidence.metrics_source) == ("cloudPcRecord", "azureMonitor")
    assert (evidence.cpu_p95_percent, evidence.plan_memory_bytes) == (90, 16 * GB)
    bare = classify(cloud_pc(), SERVICE_PLANS_BY_ID[PLAN], NOW, connected=ConnectedTime(10, 40.0)).evidence
    assert (bare.connection_source, bare.metrics_source, bare.connected_hours) == ("connectionUsage", None, 40.0)


@pytest.mark.parametrize(
    ("plan", "up", "down"),
    [
        ("w365-enterprise-2vcpu-4gb-128gb", "w365-enterprise-2vcpu-8gb-128gb", None),  # 1 vCPU has only 64 GB disks
        ("w365-enterprise-1vcpu-2gb-64gb", "w365-enterprise-2vcpu-4gb-64gb", None),
        ("w365-enterprise-8vcpu-32gb-512gb", None, "w365-enterprise-4vcpu-16gb-512gb"),
        ("w365-business-8vcpu-32gb-256gb", "w365-business-16vcpu-64gb-512gb", "w365-business-4vcpu-16gb-256gb"),
        ("w365-shared-2vcpu-4gb-64gb", "w365-shared-2vcpu-8gb-128gb", None),
    ],
)
def test_one_step_stays_in_the_edition_and_never_shrinks_the_disk(plan: str, up: str | None, down: str | None) -> None:
    steps = [one_step(SERVICE_PLANS_BY_ID[plan], up=direction) for direction in (True, False)]
    assert [s.id if s else None for s in steps] == [up, down]


def vm(sub: str, n: int, region: str = "westeurope") -> MeteredVm:
    return MeteredVm(
        f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{n}", region
    )


def test_batches_are_of_one_subscription_and_region_and_50_ids_at_most() -> None:
    vms = [vm("s1", n) for n in range(120)] + [vm("s2", n) for n in range(3)] + [vm("s1", 200, "NorthEurope")]
    found = batches(vms)
    assert [(region, len(ids)) for region, ids in found] == [
        ("northeurope", 1),
        ("westeurope", 50),
        ("westeurope", 50),
        ("westeurope", 20),
        ("westeurope", 3),
    ]
    assert all(len({i.split("/")[2] for i in ids}) == 1 for _, ids in found)
    assert sorted(i for _, ids in found for i in ids) == sorted(v.resource_id for v in vms)


def test_the_percentiles_are_values_the_vm_had() -> None:
    hours = [float(n) for n in range(1, 101)]
    assert (percentile(hours, 0.95), percentile(hours, 0.05), percentile([7.0], 0.95)) == (95.0, 5.0, 7.0)

"""The right-sizing report over HTTP: two Cloud PCs whose VMs' metrics the emulator serves from set profiles are
classed undersized and oversized through the real adapter, each with the plan one step away and its sources; a VM
made hours ago, or one deallocated since, has too few hours with data to be judged."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from azure_emulator.launcher import EmulatorProcess
from shared.bootstrap import Services
from shared.models.base import utc_now
from shared.models.cloud_pcs import BuildSettings, CloudPc
from tests.integration.conftest import create_app
from tests.utils.arm_admin import ArmAdmin
from tests.utils.function_client import FunctionClient
from tests.utils.onboarding import grant_app

PLAN = "w365-enterprise-4vcpu-16gb-256gb"
GB = 1024**3


def provisioned(services: Services, tenant_id: str, name: str, vm_id: str) -> CloudPc:
    now = utc_now()
    build = BuildSettings(
        image_type="gallery",
        image_id="i",
        image_display_name="Windows 11",
        domain_join_type="azureADJoin",
        region_name="westeurope",
        vm_size="Standard_D4s_v5",
        os_disk_size_gb=256,
        naming_template="CPC-%RAND:5%",
    )
    return services.engine.cloud_pcs.upsert_cloud_pc(
        CloudPc(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            created_date_time=now,
            last_modified_date_time=now,
            display_name=name,
            user_id=name,
            user_principal_name=f"{name}@contoso.com",
            service_plan_id=PLAN,
            service_plan_name=PLAN,
            provisioning_policy_id="p",
            provisioning_policy_name="P",
            status="provisioned",
            provisioned_date_time=now - timedelta(days=30),
            last_connected_date_time=now - timedelta(hours=3),
            build=build,
            virtual_machine_id=vm_id,
        )
    )


def test_the_report_classes_two_vms_by_their_metrics(
    services: Services, admin_token: str, azure_emulator: EmulatorProcess
) -> None:
    entra = str(uuid.uuid4())
    admin = ArmAdmin(azure_emulator, entra)
    grant_app(azure_emulator, entra, admin.subscription_id)  # onboarded: consent, the custom role
    client = FunctionClient(create_app(services), admin_token)
    reply = client.post("/api/tenants", {"displayName": "Contoso", "entraTenantId": entra})
    assert reply.status == 201, reply.text
    tenant_id = str(reply.json()["id"])
    long_ago = "2025-01-01T00:00:00+00:00"  # made before the window: all of it has data while it runs
    profiles: dict[str, dict[str, Any]] = {
        "squeezed": {"cpuPercent": 93, "availableMemoryBytes": 3 * GB, "timeCreated": long_ago},
        "roomy": {"cpuPercent": 7, "availableMemoryBytes": 12 * GB, "timeCreated": long_ago},
        "unread-new": {"cpuPercent": 93, "availableMemoryBytes": 3 * GB},  # made now: an hour of data at most
        "unread-off": {"cpuPercent": 93, "availableMemoryBytes": 3 * GB},
    }
    for name, body in profiles.items():
        vm_id = str(admin.virtual_machine(f"rg-{name}", "vm", admin.virtual_network(f"rg-{name}", "vnet"))["id"])
        if name == "unread-off":
            admin.finished(admin.call("POST", f"{vm_id}/deallocate"))
        put = azure_emulator.session().put(f"{azure_emulator.base_url}/emulator/metrics{vm_id}", json=body, timeout=30)
        assert put.ok, put.text
        provisioned(services, tenant_id, name, vm_id)
    reply = client.get(f"/api/tenants/{tenant_id}/rightSizing?top=1")
    assert reply.status == 200, reply.text
    first = reply.json()
    assert "nextLink" in first and [row["displayName"] for row in first["value"]] == ["roomy"]
    rows = {row["displayName"]: row for row in client.get(f"/api/tenants/{tenant_id}/rightSizing").json()["value"]}
    assert (rows["squeezed"]["classification"], rows["squeezed"]["recommendedServicePlanId"]) == (
        "undersized",
        "w365-enterprise-8vcpu-32gb-256gb",
    )
    assert (rows["roomy"]["classification"], rows["roomy"]["recommendedServicePlanId"]) == (
        "oversized",
        "w365-enterprise-2vcpu-8gb-256gb",
    )
    evidence = rows["squeezed"]["evidence"]
    assert (evidence["metricsSource"], evidence["connectionSource"]) == ("azureMonitor", "cloudPcRecord")
    assert (evidence["cpuP95Percent"], evidence["memoryAvailableP05Bytes"]) == (93, 3 * GB)
    assert evidence["hoursWithMetrics"] >= 14 * 24 - 1
    for name in (
        "unread-new",
        "unread-off",
    ):  # its hours before it was made or since it was deallocated are not counted
        assert rows[name]["classification"] == "notEnoughData", rows[name]
        assert rows[name]["recommendedServicePlanId"] is None
        assert rows[name]["evidence"].get("hoursWithMetrics", 0) <= 1

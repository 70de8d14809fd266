"""The Windows 365 adapters' requests against Microsoft's documented request bodies: every call the app sends to
Graph's virtualEndpoint is made here through the production adapters, read back from the emulator's request log,
and each body held to fixtures/windows365_request_bodies.json (writable properties, their types, enum members,
required ones). A property Graph does not take on that call, a wrong type or a missing required one fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.catalog.app_access import READER, WINDOWS_365_APP_ID, WINDOWS_365_NETWORK_USER
from shared.catalog.app_access import WINDOWS_365_NETWORK_INTERFACE_CONTRIBUTOR as NETWORK_INTERFACES
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID, WINDOWS365_ID_BY_PLAN_ID
from shared.cloud.azure import graph_windows365
from shared.cloud.azure.graph_client import GraphClients
from shared.cloud.azure.graph_windows365 import GraphWindows365Provisioning
from shared.cloud.azure.graph_windows365_network import GraphWindows365Network
from shared.ports.windows365 import (
    Windows365Connection,
    Windows365ConnectionSpec,
    Windows365Join,
    Windows365PolicySpec,
    Windows365Recommendation,
    Windows365UserSettingSpec,
)
from tests.integration.test_azure_graph_contract import TENANT, clients, entra, local, request_log
from tests.utils.api_client import eventually
from tests.utils.arm_admin import ArmAdmin
from tests.utils.graph_admin import GraphAdmin
from tests.utils.inprocess_emulator import LocalEmulator

__all__ = ["clients", "entra", "local"]  # the Graph contract tests' fixtures, shared

DOCUMENTED = json.loads((Path(__file__).parent / "fixtures" / "windows365_request_bodies.json").read_text())
PLAN, BIG_PLAN = "w365-enterprise-2vcpu-8gb-128gb", "w365-enterprise-4vcpu-16gb-256gb"
JSON_TYPES = {"string": str, "boolean": bool, "integer": int}


def _spec(name: str) -> dict[str, Any]:
    spec = DOCUMENTED["operations"][name]
    if isinstance(spec, str):
        return dict(DOCUMENTED["types"][spec])
    if "same_as" in spec:
        return dict(DOCUMENTED["operations"][spec["same_as"]])
    return dict(spec)


def problems(value: Any, spec: Any, where: str) -> list[str]:
    """What in `value` the documented `spec` does not allow."""
    if isinstance(spec, str) and spec in DOCUMENTED["types"]:
        spec = DOCUMENTED["types"][spec]
    if isinstance(spec, str):
        nullable, kind = spec.endswith("?"), spec.rstrip("?")
        if value is None:
            return [] if nullable else [f"{where}: null where Graph takes a {kind}"]
        return [] if isinstance(value, JSON_TYPES[kind]) else [f"{where}: {value!r} is not a {kind}"]
    if "enum" in spec:
        return [] if value in spec["enum"] else [f"{where}: {value!r} is not one of {spec['enum']}"]
    if "list" in spec:
        if not isinstance(value, list):
            return [f"{where}: not a collection"]
        return [p for index, item in enumerate(value) for p in problems(item, spec["list"], f"{where}[{index}]")]
    if not isinstance(value, dict):
        return [f"{where}: not an object"]
    found = [
        f"{where}.{key}: not a property Graph takes here ({spec.get('doc', 'see the type')})"
        for key in value
        if key not in spec["object"]
    ]
    found += [f"{where}.{key}: required" for key in spec.get("required", []) if key not in value]
    for key, item in value.items():
        if key in spec["object"]:
            found += problems(item, spec["object"][key], f"{where}.{key}")
    return found


def test_every_windows_365_request_body_is_one_graph_documents(
    clients: GraphClients, local: LocalEmulator, entra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    network, service = GraphWindows365Network(clients), GraphWindows365Provisioning(clients)
    arm, admin = ArmAdmin(local.handle, entra), GraphAdmin(local.handle, entra)
    subnet = arm.virtual_network("rg-net", "vnet-eu")
    arm.resource_group("rg-cloudpcs")
    sub = arm.subscription_id
    windows365 = arm.service_principal(WINDOWS_365_APP_ID)  # what Windows 365 needs for a connection (and an image)
    for scope, role in (
        (f"/subscriptions/{sub}", READER),
        (arm.group_id("rg-cloudpcs"), NETWORK_INTERFACES),
        (subnet.rsplit("/subnets/", 1)[0], WINDOWS_365_NETWORK_USER),
    ):
        arm.assign_built_in(scope, role, windows365)
    hybrid = Windows365ConnectionSpec(
        display_name="Contoso HQ",
        connection_type="hybridAzureADJoin",
        subscription_id=sub,
        resource_group_id=f"/subscriptions/{sub}/resourceGroups/rg-cloudpcs",
        virtual_network_id=subnet.rsplit("/subnets/", 1)[0],
        subnet_id=subnet,
        ad_domain_name="corp.contoso.com",
        ad_domain_username="join@corp.contoso.com",
        organizational_unit=None,
    )
    entra_join = Windows365ConnectionSpec(
        display_name="Contoso cloud",
        connection_type="azureADJoin",
        subscription_id=sub,
        resource_group_id=hybrid.resource_group_id,
        virtual_network_id=hybrid.virtual_network_id,
        subnet_id=subnet,
    )
    made = network.create_connection(TENANT, hybrid, "Corr3ct-Horse")
    network.create_connection(TENANT, entra_join, None)
    network.update_connection(TENANT, made.id, hybrid, "N3w-Horse")

    def connection_checked() -> None:
        state = network.read_connection(TENANT, made.id)
        assert state is not None and state.health_check_status == "passed", state

    eventually(connection_checked, timeout_s=30)
    image = service.upload_image(TENANT, "Golden", "1.0.0", arm.managed_image("rg-images", "golden"))
    assert service.upload_image(TENANT, "Golden", "1.0.0", "unused") == image  # found by name and version
    group = admin.create_group()
    user = admin.create_user()
    admin.assign_licenses(user, PLAN)
    admin.add_member(group, user)
    policy = Windows365PolicySpec(
        display_name="Finance",
        description=None,
        image_type="gallery",
        image_id="microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
        image_display_name="Windows 11 Enterprise 24H2 + Microsoft 365 Apps",
        joins=(
            Windows365Join("hybridAzureADJoin", connection_id=made.id),
            Windows365Join("azureADJoin", region_name="westeurope"),
        ),
        naming_template="FIN-%USERNAME:4%-%RAND:5%",
        enable_single_sign_on=True,
        locale="en-GB",
    )
    policy_id = service.create_policy(TENANT, policy)
    service.update_policy(TENANT, policy_id, policy)
    service.assign_policy(TENANT, policy_id, [group])
    setting = Windows365UserSettingSpec("Finance admins", True, False, "sixHours", True)
    setting_id = service.create_user_setting(TENANT, setting)
    service.update_user_setting(TENANT, setting_id, setting)
    service.assign_user_setting(TENANT, setting_id, [group])

    def provisioned() -> str:
        [pc] = service.list_cloud_pcs(TENANT)
        assert pc.status == "provisioned", pc
        return pc.id

    cloud_pc = eventually(provisioned, timeout_s=30)
    connections(local, entra, cloud_pc)
    monkeypatch.setattr(graph_windows365, "REPORT_PAGE", 2)  # the report read page by page
    since = datetime(2026, 11, 3, tzinfo=UTC)
    assert service.list_remote_connections(TENANT, cloud_pc, since) == [
        Windows365Connection(datetime(2026, 11, 3, 23, tzinfo=UTC), datetime(2026, 11, 4, 1, tzinfo=UTC)),
        Windows365Connection(datetime(2026, 11, 5, 8, tzinfo=UTC), datetime(2026, 11, 5, 8, 15, tzinfo=UTC)),
        Windows365Connection(datetime(2026, 11, 6, 8, tzinfo=UTC), datetime(2026, 11, 6, 9, tzinfo=UTC)),
    ]
    assert [e["body"]["skip"] for e in request_log(local, "getRemoteConnectionHistoricalReports")] == [0, 2]
    unknown = "0f4e5c3d-0000-4000-8000-000000000000"  # a Cloud PC the report has no row of
    judged = service.list_recommendations(TENANT, [cloud_pc.upper(), unknown])
    assert judged == [Windows365Recommendation(cloud_pc, "Underutilized")]  # a few hours in 28 days
    service.act(TENANT, cloud_pc, "rename", {"displayName": "Adele's desk"})
    service.act(TENANT, cloud_pc, "reboot")
    service.act(TENANT, cloud_pc, "troubleshoot")
    target = WINDOWS365_ID_BY_PLAN_ID[SERVICE_PLANS_BY_ID[BIG_PLAN].id]
    service.act(TENANT, cloud_pc, "resize", {"targetServicePlanId": target})
    eventually(provisioned, timeout_s=30)
    service.act(TENANT, cloud_pc, "reprovision")
    eventually(provisioned, timeout_s=30)  # a Cloud PC removed while it is still being made is not kept in grace
    admin.remove_member(group, user)
    eventually(lambda: _assert_status(service, "inGracePeriod"), timeout_s=30)
    service.act(TENANT, cloud_pc, "endGracePeriod")

    found: list[str] = []
    for operation in DOCUMENTED["operations"]:
        sent = [entry for entry in request_log(local, operation) if entry["status"] < 400]
        assert sent, f"the adapters never sent {operation}: exercise it here, or drop it from the fixture"
        spec = _spec(operation)
        for entry in sent:
            body = entry["body"]
            if spec.get("empty"):
                found += [] if body in (None, {}) else [f"{operation}: a body where Graph takes none: {body}"]
            else:
                found += problems(body, spec, operation)
    assert found == [], "\n".join(found)


def connections(local: LocalEmulator, entra: str, cloud_pc: str) -> None:
    """Its user's connections, recorded by the emulator's sign-in control for the remote connection report."""
    control = f"{local.base_url}/emulator/tenants/{entra}/cloudPCs/{cloud_pc}/signIns"
    for signed_in, signed_out in [
        ("2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z"),
        ("2026-11-03T23:00:00Z", "2026-11-04T01:00:00Z"),
        ("2026-11-05T08:00:00Z", "2026-11-05T08:15:00Z"),
        ("2026-11-06T08:00:00Z", "2026-11-06T09:00:00Z"),
    ]:
        reply = requests.post(control, json={"signInDateTime": signed_in, "signOutDateTime": signed_out}, timeout=10)
        assert reply.status_code == 200, reply.text
    aggregated = requests.post(f"{local.base_url}/emulator/tenants/{entra}/cloudPCReports/aggregate", timeout=10)
    assert aggregated.status_code == 200, aggregated.text  # the reports show them from Windows 365's next aggregation


def _assert_status(service: GraphWindows365Provisioning, status: str) -> None:
    found = service.list_cloud_pcs(TENANT)
    assert [pc.status for pc in found] == [status], found


def test_the_check_refuses_what_graph_does_not_document() -> None:
    spec = _spec("updateProvisioningPolicy")
    assert problems({"displayName": "x"}, spec, "p") == []
    assert problems({"cloudPcNamingTemplate": "CPC-%RAND:5%"}, spec, "p")  # fixed once the policy is made
    assert problems({"enableSingleSignOn": "yes"}, spec, "p")
    assert problems({"domainJoinConfigurations": [{"regionName": "westeurope"}]}, spec, "p")  # no domainJoinType
    assert problems({"assignments": [{"target": {"groupId": "g"}}]}, _spec("assignProvisioningPolicy"), "a")


def test_the_adapters_ask_for_every_member_of_windows_365_s_evolvable_enums(
    clients: GraphClients, local: LocalEmulator, entra: str
) -> None:
    service, admin = GraphWindows365Provisioning(clients), GraphAdmin(local.handle, entra)
    group, user = admin.create_group(), admin.create_user()
    admin.assign_licenses(user, PLAN)
    admin.add_member(group, user)
    policy = Windows365PolicySpec(
        display_name="Finance",
        description=None,
        image_type="gallery",
        image_id="microsoftwindowsdesktop_windows-ent-cpc_win11-24h2-ent-cpc-m365",
        image_display_name="Windows 11",
        joins=(Windows365Join("azureADJoin", region_name="westeurope"),),
        naming_template=None,
        enable_single_sign_on=False,
        locale="en-US",
    )
    service.assign_policy(TENANT, service.create_policy(TENANT, policy), [group])
    eventually(lambda: _assert_status(service, "provisioned"), timeout_s=30)
    [cloud_pc] = service.list_cloud_pcs(TENANT)
    # v1.0's audit resource names no type: the adapter keeps the id and leaves the type to its reader
    service.act(TENANT, cloud_pc.id, "reboot")
    [reboot] = [e for e in service.list_audit_events(TENANT, "2000-01-01T00:00:00Z") if e.activity == "rebootCloudPc"]
    assert [(kind, resource_id) for kind, resource_id, _ in reboot.resources] == [("", cloud_pc.id)]
    # Windows 365 awaits a license for it: a member listed after unknownFutureValue, sent only to who asks for it
    work: dict[str, Any] = {"status": "resizePendingLicense", "seconds": 600}
    reply = requests.put(
        f"{local.base_url}/emulator/tenants/{entra}/cloudPCs/{cloud_pc.id}/status", json=work, timeout=10
    )
    assert reply.status_code == 200, reply.text
    _assert_status(service, "resizePendingLicense")

"""Windows 365's audit log in the emulator's Graph: each change made through its routes is one event, shown as each
version of Graph documents cloudPcAuditEvent and cloudPcAuditResource."""

from __future__ import annotations

from typing import Any

from tests.emulator.test_graph_windows365_cloud_pcs import CLOUD_PCS, PLAN, assign, member, policy, settled
from tests.emulator.test_graph_windows365_connections import Windows365
from tests.emulator.test_graph_windows365_reports import REPORT

AUDIT_EVENTS = "/deviceManagement/virtualEndpoint/auditEvents"


def events(w365: Windows365, version: str) -> list[dict[str, Any]]:
    reply = w365.session.get(f"{w365.emulator.base_url}/graph/{version}{AUDIT_EVENTS}", timeout=30)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["value"])


def test_each_version_shows_the_audited_resource_as_it_documents_it(w365: Windows365) -> None:
    group = w365.admin.create_group()
    member(w365, group, PLAN)
    made = policy(w365)
    assign(w365, made["id"], group)
    [pc] = settled(w365, 1)
    assert w365.call("POST", f"{CLOUD_PCS}/{pc['id']}/reboot").status_code == 204
    assert (
        w365.call(
            "PATCH",
            f"/deviceManagement/virtualEndpoint/provisioningPolicies/{made['id']}",
            {"description": "Finance's desks"},
        ).status_code
        == 204
    )

    v1 = {e["activity"]: e for e in events(w365, "v1.0")}
    beta = {e["activity"]: e for e in events(w365, "beta")}
    # v1.0's cloudPcAuditResource: displayName, modifiedProperties, resourceId; nothing says its type
    [rebooted] = v1["rebootCloudPc"]["resources"]
    assert set(rebooted) - {"@odata.type"} == {"displayName", "modifiedProperties", "resourceId"}
    assert rebooted["resourceId"] == pc["id"] and rebooted["displayName"] == pc["displayName"]
    # beta's adds resourceType; its deprecated `type` returns no data
    [rebooted_beta] = beta["rebootCloudPc"]["resources"]
    assert rebooted_beta["resourceId"] == pc["id"] and rebooted_beta["resourceType"]
    assert rebooted_beta.get("type") is None
    # cloudPcAuditActivityOperationType: create, delete, patch (and unknownFutureValue): an action is a POST, a create
    operations = {name: event["activityOperationType"] for name, event in v1.items()}
    assert operations["createProvisioningPolicy"] == "create" and operations["rebootCloudPc"] == "create"
    assert operations["updateProvisioningPolicy"] == "patch"
    assert set(operations.values()) <= {"create", "delete", "patch", "unknownFutureValue"}, operations


def test_a_reports_retrieval_is_a_read_and_no_event(w365: Windows365) -> None:
    group = w365.admin.create_group()
    member(w365, group, PLAN)
    assign(w365, policy(w365)["id"], group)
    [pc] = settled(w365, 1)
    before = len(events(w365, "beta"))
    asked = {"filter": f"CloudPcId eq '{pc['id']}'", "select": ["SignInDateTime"]}
    reply = w365.session.post(f"{w365.emulator.base_url}/graph/beta{REPORT}", json=asked, timeout=30)
    assert reply.status_code == 200, reply.text
    assert len(events(w365, "beta")) == before

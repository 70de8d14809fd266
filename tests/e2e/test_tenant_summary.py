"""What an admin portal reads on every refresh, end to end: the tenant summary and the Cloud PC list's search."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest

from devhost.host import DevHost
from shared.models.cloud_pcs import CloudPcStatus
from tests.conftest import Tokens
from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant

STATUSES = get_args(CloudPcStatus)


@pytest.fixture(scope="module")
def admin_api(app_host: DevHost, admin_token: str) -> ApiClient:
    return ApiClient(f"{app_host.base_url}/api", admin_token)


@pytest.fixture(scope="module")
def tenant(admin_api: ApiClient) -> Tenant:
    """One tenant: ann's Cloud PC failed (Intune refused every enrollment), ben's provisioned, a healthy connection."""
    tenant = Tenant(admin_api)
    tenant.fault("enrollIntune", 3, "EnrollmentBlocked")
    tenant.user("ann", [PLAN])
    tenant.group("pilot", ["ann"])
    policy = tenant.policy()
    tenant.assign(policy, "pilot")
    [failed] = settled_cloud_pcs(admin_api, tenant, 1)
    assert failed["status"] == "failed", failed
    tenant.user("ben", [PLAN])
    tenant.group("pilot", ["ann", "ben"])
    tenant.assign(policy, "pilot")
    assert sorted(c["status"] for c in settled_cloud_pcs(admin_api, tenant, 2)) == ["failed", "provisioned"]
    tenant.healthy_connection()
    return tenant


def users(api: ApiClient, tenant: Tenant, **query: Any) -> list[str]:
    reply = api.get(f"{tenant.path}/cloudPCs", params=query)
    assert reply.status_code == 200, reply.text
    return sorted(tenant.name_of(c["userId"]) for c in reply.json()["value"])


def test_the_summary_counts_every_status_connection_and_spot_group(admin_api: ApiClient, tenant: Tenant) -> None:
    before = datetime.now(UTC)
    reply = admin_api.get(f"{tenant.path}/summary")
    assert reply.status_code == 200, reply.text
    summary = reply.json()
    assert summary["tenantId"] == tenant.id
    assert summary["displayName"] == admin_api.get(tenant.path).json()["displayName"]
    assert summary["cloudPcs"] == {
        "total": 2,
        "byStatus": {status: {"failed": 1, "provisioned": 1}.get(status, 0) for status in STATUSES},
        "neverConnected": 1,  # the provisioned one: its user has not been seen on it
    }
    assert summary["connections"] == {"total": 1, "notHealthy": 0}
    assert summary["spotGroups"] == {"total": 0, "notReady": 0}
    as_of = datetime.fromisoformat(summary["asOfDateTime"])
    assert before - timedelta(seconds=5) <= as_of <= datetime.now(UTC) + timedelta(seconds=5)


def test_a_connection_whose_checks_failed_is_not_healthy(admin_api: ApiClient) -> None:
    fresh = Tenant(admin_api)
    fresh.fault("adDomainJoin", 1, "adJoinCheckIncorrectCredentials")
    assert fresh.settled_connection(fresh.connection()["id"])["healthCheckStatus"] == "failed"
    fresh.healthy_connection(displayName="Contoso branch")
    summary = admin_api.get(f"{fresh.path}/summary").json()
    assert summary["connections"] == {"total": 2, "notHealthy": 1}
    assert summary["cloudPcs"] == {"total": 0, "byStatus": dict.fromkeys(STATUSES, 0), "neverConnected": 0}


@pytest.mark.parametrize("tenant_id", ["3f1d2c4b-9a8e-4f7d-b6c5-1e2d3c4b5a69", "not-a-tenant"])  # no tenant has it
def test_an_unknown_tenant_has_no_summary(admin_api: ApiClient, tenant_id: str) -> None:
    reply = admin_api.get(f"/tenants/{tenant_id}/summary")
    assert reply.status_code == 404, reply.text
    error = reply.json()["error"]
    assert (error["code"], error["target"]) == ("notFound", "tenantId")
    assert error["message"] == f"Tenant '{tenant_id}' was not found."


def test_a_reader_reads_the_summary_and_searches_and_a_stranger_sees_no_tenant(
    admin_api: ApiClient, tenant: Tenant, tokens: Tokens
) -> None:
    granted = admin_api.post(
        f"{tenant.path}/roleAssignments", {"principalId": tokens.principal_id("sumi"), "role": "reader"}
    )
    assert granted.status_code == 201, granted.text
    reader = ApiClient(admin_api.base_url, tokens("sumi"))
    reply = reader.get(f"{tenant.path}/summary")
    assert reply.status_code == 200, reply.text
    assert reply.json()["cloudPcs"]["total"] == 2
    assert users(reader, tenant, search="ann") == ["ann"]
    stranger = ApiClient(admin_api.base_url, tokens("stan"))
    hidden = stranger.get(f"{tenant.path}/summary")
    assert hidden.status_code == 404 and hidden.json()["error"]["target"] == "tenantId", hidden.text


def test_search_finds_a_users_cloud_pc_by_a_prefix_in_any_case(admin_api: ApiClient, tenant: Tenant) -> None:
    assert users(admin_api, tenant, search="ann") == ["ann"]  # userPrincipalName ann@...
    assert users(admin_api, tenant, search="ANN@") == ["ann"]
    assert users(admin_api, tenant, search="b") == ["ben"]
    assert users(admin_api, tenant, search="finance cloud pcs - b") == ["ben"]  # displayName
    assert users(admin_api, tenant, search="Finance") == ["ann", "ben"]
    assert users(admin_api, tenant, search="nn") == []  # a prefix, not a substring
    assert users(admin_api, tenant, search="o'hara") == []


def test_search_combines_with_the_filters_and_with_paging(admin_api: ApiClient, tenant: Tenant) -> None:
    assert users(admin_api, tenant, search="ann", status="failed") == ["ann"]
    assert users(admin_api, tenant, search="ann", status="provisioned") == []
    assert users(admin_api, tenant, search="finance", status="provisioned") == ["ben"]
    assert users(admin_api, tenant, search="finance", userId=tenant.uid("ann")) == ["ann"]
    first = admin_api.get(f"{tenant.path}/cloudPCs", params={"search": "FINANCE", "top": 1})
    assert first.status_code == 200, first.text
    assert len(first.json()["value"]) == 1 and "search=FINANCE" in first.json()["nextLink"]
    rest = admin_api.get(first.json()["nextLink"]).json()
    assert len(rest["value"]) == 1 and "nextLink" not in rest
    assert {c["id"] for c in first.json()["value"] + rest["value"]} == {
        c["id"] for c in admin_api.get(f"{tenant.path}/cloudPCs").json()["value"]
    }


def test_a_search_longer_than_100_characters_is_refused(admin_api: ApiClient, tenant: Tenant) -> None:
    reply = admin_api.get(f"{tenant.path}/cloudPCs", params={"search": "a" * 101})
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    [detail] = error["details"]
    assert (detail["code"], detail["target"]) == ("invalidQueryParameter", "search")
    assert users(admin_api, tenant, search="a" * 100) == []
    unknown = admin_api.get(f"/tenants/{uuid.uuid4()}/cloudPCs", params={"search": "ann"})
    assert unknown.status_code == 404 and unknown.json()["error"]["target"] == "tenantId", unknown.text

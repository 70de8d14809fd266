"""One view over every tenant over HTTP on Azurite: the Cloud PCs and session hosts of the caller's tenants in one
list each (searched, filtered, sorted, paged), and one bulk action across tenants, each tenant answering for itself."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.bootstrap import Services
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.models.cloud_pcs import CloudPc
from shared.models.session_hosts import SessionHost
from shared.models.spot_groups import SpotGroup
from shared.storage import cross_tenant
from shared.storage.tables import EntityRepository
from tests.conftest import Tokens
from tests.fakes.seed import PLAN
from tests.utils.function_client import FunctionClient


def cloud_pc(services: Services, tenant_id: str, name: str, user: str, status: str = "provisioned") -> str:
    now = datetime.now(UTC)
    cloud_pc_id = str(uuid.uuid4())
    services.engine.cloud_pcs.upsert_cloud_pc(
        CloudPc.model_validate(
            {
                "id": cloud_pc_id,
                "tenant_id": tenant_id,
                "display_name": name,
                "user_id": user,
                "user_principal_name": f"{user}@contoso.com",
                "service_plan_id": PLAN,
                "service_plan_name": SERVICE_PLANS_BY_ID[PLAN].display_name,
                "provisioning_policy_id": "finance",
                "provisioning_policy_name": "Finance",
                "status": status,
                "created_date_time": now,
                "last_modified_date_time": now,
            }
        )
    )
    return cloud_pc_id


def spot_group(services: Services, tenant_id: str, group_id: str, friendly_name: str, hosts: list[str]) -> None:
    now = datetime.now(UTC)
    services.admin.spot_groups.put_spot_group(
        SpotGroup.model_validate(
            {
                "id": group_id,
                "tenant_id": tenant_id,
                "name": group_id,
                "friendly_name": friendly_name,
                "profile_path": r"\\files\profiles",
                "user_type": "personal",
                "license_count": 2,
                "site_id": "s",
                "group_ids": ["g"],
                "image_set_id": "i",
                "image_version": "0.0.1",
                "image_version_id": "v",
                "vm_size": "Standard_D2s_v5",
                "max_sessions_per_host": 1,
                "host_pool_name": f"hp-{group_id}",
                "status": "ready",
                "created_date_time": now,
                "last_modified_date_time": now,
            }
        )
    )
    for index, (name, status) in enumerate(host.split(":") for host in hosts):
        fields = {"name": name, "index": index, "status": status, "image_version": "0.0.1"}
        host = SessionHost.model_validate(fields | {"assigned_user_id": f"u-{name}"})
        services.admin.spot_groups.put_host(tenant_id, group_id, host)


def every_page(client: FunctionClient, path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    link: str | None = path
    while link:
        reply = client.get(link)
        assert reply.status == 200, reply.text
        found += reply.json()["value"]
        link = reply.json().get("nextLink")
    return found


def as_principal(client: FunctionClient, tokens: Tokens, name: str) -> FunctionClient:
    other = copy.copy(client)
    other.token = tokens(name)
    return other


def grant(client: FunctionClient, tokens: Tokens, tenant_id: str, name: str, role: str) -> None:
    body = {"principalId": tokens.principal_id(name), "principalName": name, "role": role}
    assert client.post(f"/api/tenants/{tenant_id}/roleAssignments", body).status == 201


@pytest.fixture
def three(make_tenant: Callable[..., str], services: Services) -> list[str]:
    """Contoso, Fabrikam and Tailspin, each with Cloud PCs whose names and users overlap across them."""
    tenant_ids = [make_tenant(displayName=name) for name in ("Contoso", "Fabrikam", "Tailspin")]
    contoso, fabrikam, tailspin = tenant_ids
    cloud_pc(services, contoso, "CPC-Adele", "adele", "failed")
    cloud_pc(services, contoso, "CPC-Bob", "bob")
    cloud_pc(services, fabrikam, "cpc-alex", "ALEX", "failed")
    cloud_pc(services, fabrikam, "CPC-Cara", "cara")
    cloud_pc(services, tailspin, "CPC-Abe", "abe", "failed")
    return tenant_ids


def test_a_caller_sees_the_cloud_pcs_of_the_tenants_it_holds_a_role_on_only_each_with_its_tenant(
    client: FunctionClient, three: list[str], tokens: Tokens
) -> None:
    contoso, fabrikam, _ = three
    grant(client, tokens, contoso, "xt-reader", "reader")
    grant(client, tokens, fabrikam, "xt-reader", "operator")
    reader = as_principal(client, tokens, "xt-reader")

    rows = every_page(reader, "/api/cloudPCs")
    assert sorted((row["tenantName"], row["displayName"]) for row in rows) == [
        ("Contoso", "CPC-Adele"),
        ("Contoso", "CPC-Bob"),
        ("Fabrikam", "CPC-Cara"),
        ("Fabrikam", "cpc-alex"),
    ]
    assert {row["tenantId"] for row in rows} == {contoso, fabrikam}
    assert {row.get("etag") for row in rows} == {None}, "a copy's etag would be refused by the Cloud PC's writes"
    assert len(every_page(client, "/api/cloudPCs")) == 5, "an organization owner sees every tenant"
    assert as_principal(client, tokens, "xt-nobody").get("/api/cloudPCs").json() == {"value": []}


def test_search_status_and_tenants_narrow_the_list_across_tenants(client: FunctionClient, three: list[str]) -> None:
    contoso, fabrikam, tailspin = three

    def names(query: str) -> list[str]:
        return [row["displayName"] for row in every_page(client, f"/api/cloudPCs?{query}")]

    assert names("search=a") == ["CPC-Abe", "CPC-Adele", "cpc-alex"], "a user prefix, in any case"
    assert names("search=cpc-a") == ["CPC-Abe", "CPC-Adele", "cpc-alex"], "a name prefix"
    assert names("search=al") == ["cpc-alex"]
    assert names("status=failed") == ["CPC-Abe", "CPC-Adele", "cpc-alex"]
    assert names("status=failed&search=ad") == ["CPC-Adele"]
    assert names(f"tenantId={contoso},{tailspin}&status=failed") == ["CPC-Abe", "CPC-Adele"]
    assert names(f"tenantId={fabrikam}") == ["cpc-alex", "CPC-Cara"], "in any case"


def test_the_list_across_tenants_sorts_and_pages_in_that_order(client: FunctionClient, three: list[str]) -> None:
    def order(query: str) -> list[tuple[str, str]]:
        return [(row["tenantName"], row["displayName"]) for row in every_page(client, f"/api/cloudPCs?{query}")]

    by_name = order("orderBy=displayName&top=2")
    assert [name for _, name in by_name] == ["CPC-Abe", "CPC-Adele", "cpc-alex", "CPC-Bob", "CPC-Cara"]
    assert order("orderBy=displayName desc&top=2") == by_name[::-1]
    assert [name for _, name in order("orderBy=userPrincipalName&top=3")] == [
        "CPC-Abe",
        "CPC-Adele",
        "cpc-alex",
        "CPC-Bob",
        "CPC-Cara",
    ]
    assert [tenant for tenant, _ in order("orderBy=tenant&top=1")] == [
        "Contoso",
        "Contoso",
        "Fabrikam",
        "Fabrikam",
        "Tailspin",
    ]
    by_status = [name for _, name in order("orderBy=status&top=2")]
    assert by_status[:3] == ["CPC-Abe", "CPC-Adele", "cpc-alex"], "failed first, then by name"
    for each in ("status", "tenant", "userPrincipalName"):  # descending is read another way: the same rows reversed
        assert order(f"orderBy={each} desc&top=2") == order(f"orderBy={each}&top=3")[::-1]
    assert [name for _, name in order("orderBy=status&status=failed&top=1")] == by_status[:3]
    first = client.get("/api/cloudPCs?orderBy=displayName&top=2").json()
    assert len(first["value"]) == 2 and "orderBy=displayName" in first["nextLink"]


def test_the_list_across_tenants_follows_a_rename_a_status_change_and_a_delete(
    client: FunctionClient, three: list[str], services: Services
) -> None:
    contoso = three[0]
    cloud_pcs = services.engine.cloud_pcs
    [bob] = [pc for pc in cloud_pcs.list_all_cloud_pcs(contoso) if pc.display_name == "CPC-Bob"]
    cloud_pcs.upsert_cloud_pc(bob.model_copy(update={"display_name": "CPC-Zoe"}))
    cloud_pcs.merge_cloud_pc(bob.model_copy(update={"status": "failed"}), ["status"])
    [adele] = [pc for pc in cloud_pcs.list_all_cloud_pcs(contoso) if pc.display_name == "CPC-Adele"]
    cloud_pcs.delete_cloud_pc(contoso, adele.id)

    def names(query: str) -> list[str]:
        return [row["displayName"] for row in every_page(client, f"/api/cloudPCs?{query}")]

    assert names("top=2") == ["CPC-Abe", "cpc-alex", "CPC-Cara", "CPC-Zoe"]
    assert names("status=failed") == ["CPC-Abe", "cpc-alex", "CPC-Zoe"]
    assert names("orderBy=status") == ["CPC-Abe", "cpc-alex", "CPC-Zoe", "CPC-Cara"]
    assert names("search=bob") == ["CPC-Zoe"], "its user is still bob"


def test_pages_read_between_fences_hold_every_row_once_in_order_stale_fences_too(
    client: FunctionClient, make_tenant: Callable[..., str], services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cross_tenant, "FENCE_EVERY", 3)  # many fences among few rows
    tenants = [make_tenant(displayName=name) for name in ("Contoso", "Fabrikam", "Tailspin")]
    for n in range(45):
        cloud_pc(services, tenants[n % 3], f"PC-{(n * 7) % 45:02d}", f"user{n:02d}")
    cloud_pcs = services.engine.cloud_pcs
    for gone in cloud_pcs.list_all_cloud_pcs(tenants[0])[:6]:  # their fences stay behind
        cloud_pcs.delete_cloud_pc(tenants[0], gone.id)
    expected = sorted(pc.display_name for tenant in tenants for pc in cloud_pcs.list_all_cloud_pcs(tenant))

    for top in (1, 4, 100):
        assert [row["displayName"] for row in every_page(client, f"/api/cloudPCs?top={top}")] == expected
    assert [row["displayName"] for row in every_page(client, "/api/cloudPCs?orderBy=userPrincipalName&top=5")] == [
        pc.display_name
        for pc in sorted(
            (pc for tenant in tenants for pc in cloud_pcs.list_all_cloud_pcs(tenant)),
            key=lambda pc: pc.user_principal_name,
        )
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("orderBy=price", "orderBy"),
        ("orderBy=displayName%20sideways", "orderBy"),
        ("status=asleep", "status"),
        ("tenantId=00000000-0000-0000-0000-000000000000", "tenantId"),
        ("top=0", "top"),
        ("skipToken=forged.token", "skipToken"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client: FunctionClient, three: list[str], query: str, field: str) -> None:
    reply = client.get(f"/api/cloudPCs?{query}")
    assert reply.status == 400, reply.text
    error = reply.json()["error"]
    assert field in {error.get("target")} | {detail.get("target") for detail in error.get("details", [])}


def test_a_tenant_the_caller_holds_no_role_on_is_refused_by_name(
    client: FunctionClient, three: list[str], tokens: Tokens
) -> None:
    contoso, fabrikam, _ = three
    grant(client, tokens, contoso, "xt-narrow", "reader")
    reply = as_principal(client, tokens, "xt-narrow").get(f"/api/cloudPCs?tenantId={fabrikam}")
    assert reply.status == 400 and fabrikam in reply.text and "tenantId" in reply.text


def test_session_hosts_are_listed_across_tenants_the_same_way(
    client: FunctionClient, make_tenant: Callable[..., str], services: Services, tokens: Tokens
) -> None:
    contoso, fabrikam, tailspin = (make_tenant(displayName=name) for name in ("Contoso", "Fabrikam", "Tailspin"))
    spot_group(services, contoso, "sales", "Sales desks", ["sales-0:running", "sales-1:failed"])
    spot_group(services, fabrikam, "dev", "Developers", ["dev-0:running", "Sal-9:creating"])
    spot_group(services, tailspin, "ops", "Ops", ["ops-0:running"])
    grant(client, tokens, contoso, "xt-hosts", "reader")
    grant(client, tokens, fabrikam, "xt-hosts", "reader")
    reader = as_principal(client, tokens, "xt-hosts")

    rows = every_page(reader, "/api/sessionHosts?top=1")
    assert [(r["tenantName"], r["spotGroupName"], r["name"]) for r in rows] == [
        ("Fabrikam", "Developers", "dev-0"),
        ("Fabrikam", "Developers", "Sal-9"),
        ("Contoso", "Sales desks", "sales-0"),
        ("Contoso", "Sales desks", "sales-1"),
    ]
    assert rows[0]["assignedUserId"] == "u-dev-0" and rows[0]["spotGroupId"] == "dev"
    assert [r["name"] for r in every_page(reader, "/api/sessionHosts?search=sal")] == ["Sal-9", "sales-0", "sales-1"]
    assert [r["name"] for r in every_page(reader, "/api/sessionHosts?status=running")] == ["dev-0", "sales-0"]
    by_group = every_page(reader, "/api/sessionHosts?orderBy=spotGroup desc&top=3")
    assert [r["spotGroupName"] for r in by_group] == ["Sales desks", "Sales desks", "Developers", "Developers"]
    assert reader.get("/api/sessionHosts?status=failing").status == 400
    assert reader.get(f"/api/sessionHosts?tenantId={tailspin}").status == 400


def test_a_bulk_retry_across_tenants_starts_one_bulk_action_per_tenant_and_a_refusal_stops_no_other(
    client: FunctionClient, three: list[str], services: Services, tokens: Tokens
) -> None:
    contoso, fabrikam, tailspin = three
    cloud_pc(services, contoso, "CPC-Ann", "ann", "failed")
    cloud_pc(services, tailspin, "CPC-Zed", "zed", "provisioned")
    for tenant_id, role in ((contoso, "operator"), (fabrikam, "reader"), (tailspin, "administrator")):
        grant(client, tokens, tenant_id, "xt-operator", role)
    operator = as_principal(client, tokens, "xt-operator")

    body = {"action": "retry", "tenantIds": [contoso, fabrikam, tailspin], "status": "failed"}
    reply = operator.post("/api/bulkActions", body)
    assert reply.status == 202, reply.text
    answer = {part["tenantName"]: part for part in reply.json()["value"]}
    assert (answer["Contoso"]["status"], answer["Tailspin"]["status"]) == ("started", "started")
    assert (answer["Fabrikam"]["status"], answer["Fabrikam"]["error"]["code"]) == ("refused", "forbidden")
    assert (
        answer["Contoso"]["bulkAction"]["counts"]["running"] == 2
        and answer["Tailspin"]["bulkAction"]["counts"]["running"] == 1
    )
    failed = {row["id"] for row in every_page(client, f"/api/cloudPCs?tenantId={contoso}&status=failed")}
    bulk_id = answer["Contoso"]["bulkAction"]["id"]
    started = client.get(f"/api/tenants/{contoso}/bulkActions/{bulk_id}").json()
    assert (started["action"], {item["cloudPcId"] for item in started["results"]}) == ("retry", failed)
    assert every_page(client, f"/api/tenants/{fabrikam}/bulkActions") == [], "nothing started where it was refused"

    again = operator.post("/api/bulkActions", {"action": "retry", "tenantIds": [contoso, tailspin], "search": "zed"})
    parts = {part["tenantName"]: part for part in again.json()["value"]}
    assert (parts["Contoso"]["status"], parts["Contoso"]["error"]["code"]) == ("refused", "nothingMatches")
    assert parts["Tailspin"]["status"] == "started"


def test_a_bulk_action_across_tenants_names_a_tenant_out_of_reach_and_starts_nothing(
    client: FunctionClient, three: list[str], tokens: Tokens
) -> None:
    contoso, fabrikam, _ = three
    grant(client, tokens, contoso, "xt-one", "owner")
    reply = as_principal(client, tokens, "xt-one").post(
        "/api/bulkActions", {"action": "retry", "tenantIds": [contoso, fabrikam], "status": "failed"}
    )
    assert reply.status == 400 and "tenantIds[1]" in reply.text, reply.text
    assert every_page(client, f"/api/tenants/{contoso}/bulkActions") == []
    resize = client.post("/api/bulkActions", {"action": "resize", "tenantIds": [contoso]})
    assert resize.status == 400 and "targetServicePlanId" in resize.text


def test_the_daily_mend_brings_cloud_pcs_stored_before_the_copies_in_and_takes_strays_out(
    client: FunctionClient, three: list[str], services: Services
) -> None:
    contoso = three[0]
    rows = EntityRepository(services.storage, "CloudPcs", CloudPc, kind="Cloud PC")  # the table, without copies
    [bob] = [pc for pc in services.engine.cloud_pcs.list_all_cloud_pcs(contoso) if pc.display_name == "CPC-Bob"]
    older = bob.model_copy(update={"id": str(uuid.uuid4()), "display_name": "CPC-Old", "etag": None})
    rows.put(older, contoso, older.id)  # as an upgraded deployment stored it: no copy
    rows.delete(contoso, bob.id)  # as a crash between a delete and its copy's would leave it: a stray copy

    def names() -> list[str]:  # every tenant's, read from the copies by name
        return [row["displayName"] for row in every_page(client, "/api/cloudPCs") if row["tenantId"] == contoso]

    assert names() == ["CPC-Adele", "CPC-Bob"]
    assert services.engine.cloud_pcs.mend_copies(contoso) == 4  # a copy written and one removed, by name and by user
    assert names() == ["CPC-Adele", "CPC-Old"]
    by_user = every_page(client, "/api/cloudPCs?orderBy=userPrincipalName")
    assert [row["displayName"] for row in by_user if row["tenantId"] == contoso] == ["CPC-Adele", "CPC-Old"]
    assert services.engine.cloud_pcs.mend_copies(contoso) == 0  # again: nothing to set right

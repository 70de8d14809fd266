"""Every tenant's summary in one request over HTTP on Azurite: each as its own summary route counts it, only the
tenants the caller holds a role on, paged as the tenants are."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from shared.bootstrap import Services
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.models.cloud_pcs import CloudPc
from shared.models.connections import Connection
from shared.models.refused_work import RefusedWork
from tests.conftest import Tokens
from tests.fakes.seed import PLAN
from tests.utils.function_client import FunctionClient


def seed(services: Services, tenant_id: str, statuses: list[str], *, failed_connection: bool = False) -> None:
    now = datetime.now(UTC)
    stamps = {"created_date_time": now, "last_modified_date_time": now}
    for n, status in enumerate(statuses):
        services.engine.cloud_pcs.upsert_cloud_pc(
            CloudPc.model_validate(
                {
                    "id": f"cpc-{n}",
                    "tenant_id": tenant_id,
                    "display_name": f"CPC-{n}",
                    "user_id": f"u{n}",
                    "user_principal_name": f"u{n}@contoso.com",
                    "service_plan_id": PLAN,
                    "status": status,
                    "service_plan_name": SERVICE_PLANS_BY_ID[PLAN].display_name,
                    "provisioning_policy_id": "finance",
                    "provisioning_policy_name": "Finance",
                    **stamps,
                }
            )
        )
    if failed_connection:
        services.admin.connections.upsert_connection(
            Connection.model_validate(
                {
                    "id": "hq",
                    "tenant_id": tenant_id,
                    "display_name": "HQ",
                    "site_id": "s",
                    "connection_type": "azureADJoin",
                    "subscription_id": "sub",
                    "resource_group_name": "rg",
                    "region_name": "westeurope",
                    "health_check_status": "failed",
                    **stamps,
                }
            )
        )
        services.engine.refusals.put_refused(
            RefusedWork(
                tenant_id=tenant_id,
                work="cleanUp",
                message="m",
                code="AuthorizationFailed",
                first_refused_date_time=now,
                last_refused_date_time=now,
            )
        )


def every_page(client: FunctionClient, path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    link: str | None = path
    while link:
        reply = client.get(link)
        assert reply.status == 200, reply.text
        found += reply.json()["value"]
        link = reply.json().get("nextLink")
    return found


def test_each_tenant_is_summarized_as_its_own_route_counts_it_and_paged_as_the_tenants_are(
    client: FunctionClient, make_tenant: Callable[..., str], services: Services
) -> None:
    tenant_ids = [make_tenant(displayName=name) for name in ("Contoso", "Fabrikam", "Tailspin")]
    seed(services, tenant_ids[0], ["provisioned", "failed"], failed_connection=True)
    seed(services, tenant_ids[1], ["inGracePeriod"])
    own = {tenant_id: client.get(f"/api/tenants/{tenant_id}/summary").json() for tenant_id in tenant_ids}

    summaries = every_page(client, "/api/summaries?top=2")
    assert len(summaries) == 3
    assert {s["tenantId"]: s | {"asOfDateTime": ""} for s in summaries} == {
        tenant_id: summary | {"asOfDateTime": ""} for tenant_id, summary in own.items()
    }
    contoso = own[tenant_ids[0]]
    assert (contoso["cloudPcs"]["total"], contoso["cloudPcs"]["neverConnected"]) == (2, 1)
    assert (contoso["connections"]["notHealthy"], len(contoso["refusedWork"])) == (1, 1)
    assert own[tenant_ids[1]]["cloudPcs"]["byStatus"]["inGracePeriod"] == 1
    assert own[tenant_ids[2]]["cloudPcs"]["total"] == 0
    first = client.get("/api/summaries?top=2").json()
    assert len(first["value"]) == 2 and "nextLink" in first


def test_a_caller_sees_the_summaries_of_the_tenants_it_holds_a_role_on_only(
    client: FunctionClient, make_tenant: Callable[..., str], services: Services, tokens: Tokens
) -> None:
    contoso, fabrikam = make_tenant(displayName="Contoso"), make_tenant(displayName="Fabrikam")
    seed(services, contoso, ["provisioned"])
    seed(services, fabrikam, ["failed", "failed"])
    reader = {"principalId": tokens.principal_id("summary-reader"), "principalName": "summary-reader", "role": "reader"}
    assert client.post(f"/api/tenants/{fabrikam}/roleAssignments", reader).status == 201

    as_reader = copy.copy(client)
    as_reader.token = tokens("summary-reader")
    [only] = every_page(as_reader, "/api/summaries")
    assert (only["tenantId"], only["displayName"], only["cloudPcs"]["byStatus"]["failed"]) == (fabrikam, "Fabrikam", 2)
    as_nobody = copy.copy(client)
    as_nobody.token = tokens("summary-nobody")
    assert as_nobody.get("/api/summaries").json() == {"value": []}

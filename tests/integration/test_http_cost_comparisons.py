"""The cost comparisons over HTTP on Azurite: each user's month three ways, the MSP's month per tenant across only the
tenants the caller may read, and a 400 naming each bad field at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shared.bootstrap import Services
from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.catalog.windows365_prices import WINDOWS365_PRICES
from shared.models.cloud_pcs import CloudPc
from shared.models.costs import DiskPrice, PriceList, VmPrice
from shared.models.sites import Site
from shared.models.usage import UsageDay
from tests.conftest import Tokens
from tests.utils.function_client import FunctionClient

PLAN = "w365-enterprise-2vcpu-8gb-128gb"  # Standard_D2s_v5, a P10 disk
REGION = "westeurope"


def seed_user(services: Services, tenant_id: str) -> None:
    now = datetime.now(UTC)
    stamps = {"created_date_time": now, "last_modified_date_time": now}
    services.costs.sites.upsert_site(
        Site(
            id="site-1",
            tenant_id=tenant_id,
            display_name="West Europe",
            region_name=REGION,
            subscription_id="sub",
            resource_group_name="rg",
            **stamps,
        )
    )
    services.costs.cloud_pcs.upsert_cloud_pc(
        CloudPc.model_validate(
            {
                "id": "cpc-adele",
                "tenant_id": tenant_id,
                "display_name": "CPC-ADELE",
                "user_id": "adele",
                "user_principal_name": "adele@contoso.com",
                "service_plan_id": PLAN,
                "service_plan_name": SERVICE_PLANS_BY_ID[PLAN].display_name,
                "provisioning_policy_id": "finance",
                "provisioning_policy_name": "Finance",
                **stamps,
            }
        )
    )
    services.costs.usage.put_usage_days(
        [
            UsageDay(
                tenant_id=tenant_id,
                cloud_pc_id="cpc-adele",
                user_id="adele",
                day=now.date() - timedelta(days=1),
                connected_minutes=432,
                sessions=6,
            )
        ]
    )
    hourly = (("Standard_D2s_v5", 0.1), ("Standard_D4s_v5", 0.2))
    vms = [
        VmPrice(
            region=REGION, vm_size=size, currency="USD", linux_hourly=rate, windows_hourly=rate * 2, as_of=now.date()
        )
        for size, rate in hourly
    ]
    disks = [DiskPrice(region=REGION, tier="P10", currency="USD", monthly=20.0, as_of=now.date())]
    services.costs.prices.put_prices(PriceList(currency="USD", region=REGION, vms=vms, disks=disks))


def test_each_user_is_compared_and_each_bad_field_is_named(
    client: FunctionClient, make_tenant: Callable[..., str], services: Services
) -> None:
    tenant_id = make_tenant()
    seed_user(services, tenant_id)
    reply = client.get(f"/api/tenants/{tenant_id}/costs/users")
    assert reply.status == 200, reply.text
    [adele] = reply.json()["value"]
    # 7.2 h in 30 days: 7.3 h a month. No power rules: 730 h x 0.10 + 20.00; a seat: (0.20 x 7.3 + 20.00) / 6
    licence = WINDOWS365_PRICES[PLAN].monthly
    assert adele | {"evidence": ""} == {
        "userId": "adele",
        "userPrincipalName": "adele@contoso.com",
        "servicePlanId": PLAN,
        "connectedHoursPerMonth": 7.3,
        "windows365Monthly": licence,
        "azureMonthly": 93.0,
        "pooledMonthly": 3.5767,
        "cheapest": "pooled",
        "evidence": "",
        "samplePrice": WINDOWS365_PRICES[PLAN].sample,
        "recommendation": "7.3 h connected a month: a seat in a pooled Spot Group would cost 3.58 USD against 93.00 "
        "USD for their azure Cloud PC",
    }

    refused = client.get(f"/api/tenants/{tenant_id}/costs/users?from=2026-02-30&to=2026-01-01&currency=XYZ")
    assert refused.status == 400, refused.text
    assert [d["target"] for d in refused.json()["error"]["details"]] == ["from", "currency"]
    reversed_range = client.get(f"/api/tenants/{tenant_id}/costs/users?from=2026-02-01&to=2026-01-01")
    assert [(d["code"], d["target"]) for d in reversed_range.json()["error"]["details"]] == [("rangeReversed", "from")]
    month = client.get("/api/costs?month=2026-13&currency=XYZ")
    assert month.status == 400, month.text
    assert [d["target"] for d in month.json()["error"]["details"]] == ["month", "currency"]


def test_the_tenants_costs_are_those_of_the_tenants_the_caller_may_read(
    client: FunctionClient, make_tenant: Callable[..., str], tokens: Tokens
) -> None:
    contoso, fabrikam = make_tenant(displayName="Contoso"), make_tenant(displayName="Fabrikam")
    reader = {"principalId": tokens.principal_id("costs-reader"), "principalName": "costs-reader", "role": "reader"}
    assert client.post(f"/api/tenants/{contoso}/roleAssignments", reader).status == 201

    everything = client.get("/api/costs?month=2026-03")
    assert everything.status == 200, everything.text
    listed = everything.json()["value"]
    assert [(t["tenantId"], t["displayName"], t["month"], t["currency"]) for t in listed] == [
        (contoso, "Contoso", "2026-03", "USD"),
        (fabrikam, "Fabrikam", "2026-03", "USD"),
    ]
    assert listed[0]["current"]["actual"] == listed[0]["previous"]["actual"] == 0

    as_reader = copy.copy(client)
    as_reader.token = tokens("costs-reader")
    [own] = as_reader.get("/api/costs").json()["value"]
    assert (own["tenantId"], own["month"]) == (contoso, f"{datetime.now(UTC):%Y-%m}")
    as_nobody = copy.copy(client)
    as_nobody.token = tokens("costs-nobody")
    assert as_nobody.get("/api/costs").json()["value"] == []
    assert as_nobody.get(f"/api/tenants/{contoso}/costs/users").error_code == "notFound"  # not even that it is

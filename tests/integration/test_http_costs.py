"""A tenant's costs over HTTP on Azurite, from power records and prices written straight to their tables: the JSON
report, the CSV export with the same rows and figures, and bad input refused naming every bad field at once."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from shared.bootstrap import Services
from shared.models.costs import DiskPrice, PowerRecord, PriceList, VmPrice
from tests.utils.function_client import FunctionClient

SIZE, REGION = "Standard_D4s_v5", "westeurope"
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)


def record(tenant_id: str, name: str, change: str, hours: float, **resource: object) -> PowerRecord:
    fields = {
        "tenant_id": tenant_id,
        "resource_id": f"/subscriptions/s/vms/{name}",
        "kind": "sessionHost",
        "display_name": name,
        "vm_size": SIZE,
        "region": REGION,
        "spot_group_id": "finance",
        "site_id": "site-1",
        "disk_tier": "P10",
        **resource,
    }
    return PowerRecord.model_validate({**fields, "change": change, "date_time": DAY + timedelta(hours=hours)})


@pytest.fixture
def costed_tenant(services: Services, make_tenant: Callable[..., str]) -> str:
    tenant_id = make_tenant()
    as_of = DAY.date() - timedelta(days=1)
    services.costs.prices.put_prices(
        PriceList(
            currency="USD",
            region=REGION,
            vms=[
                VmPrice(
                    region=REGION,
                    vm_size=SIZE,
                    currency="USD",
                    linux_hourly=0.2,
                    windows_hourly=0.4,
                    spot_linux_hourly=0.05,
                    spot_windows_hourly=0.25,
                    as_of=as_of,
                )
            ],
            disks=[DiskPrice(region=REGION, tier="P10", currency="USD", monthly=14.6, as_of=as_of)],
        )
    )
    for row in (
        record(tenant_id, "h1", "created", 0),
        record(tenant_id, "h1", "stopped", 18),
        record(tenant_id, "h2", "created", 8, priority="spot"),
        record(tenant_id, "h2", "deleted", 16, priority="spot"),
        record(tenant_id, "pc1", "created", 9, kind="cloudPc", cloud_pc_id="cpc-1", spot_group_id=None),
        record(tenant_id, "pc1", "stopped", 17, kind="cloudPc", cloud_pc_id="cpc-1", spot_group_id=None),
    ):
        services.costs.power_records.record_power(row)
    return tenant_id


@pytest.mark.parametrize("group_by", ["day", "spotGroup", "cloudPc", "site"])
def test_the_csv_matches_the_json(client: FunctionClient, costed_tenant: str, group_by: str) -> None:
    asked = f"from={DAY.date()}&to={DAY.date() + timedelta(days=1)}&groupBy={group_by}"
    report = client.get(f"/api/tenants/{costed_tenant}/costs?{asked}")
    assert report.status == 200, report.text
    body = report.json()
    assert (body["groupBy"], body["currency"], body["prices"]["missing"]) == (group_by, "USD", [])
    # h1 18 h at 0.2 + its disk all 48 h at 0.02; h2 8 h at Spot's 0.05 + its disk; pc1 8 h + its disk from 09:00
    assert body["total"]["actual"] == pytest.approx(18 * 0.2 + 48 * 0.02 + 8 * 0.05 + 8 * 0.02 + 8 * 0.2 + 39 * 0.02)
    assert body["total"]["savingsByCause"]["onDemand"] > 0 and body["total"]["estimate"] is True

    export = client.get(f"/api/tenants/{costed_tenant}/costs/export?{asked}")
    assert export.status == 200, export.text
    assert export.headers["Content-Type"].startswith("text/csv")
    assert export.headers["Content-Disposition"].startswith("attachment; filename=")
    header, *lines = list(csv.reader(io.StringIO(export.text)))
    assert header[:3] == ["key", "kind", "displayName"]
    expected = [*body["value"], {"key": "total", "kind": "total", "displayName": "Total", **body["total"]}]
    assert len(lines) == len(expected)
    for line, row in zip(lines, expected, strict=True):
        found = dict(zip(header, line, strict=True))
        causes = row["savingsByCause"]
        assert (found["key"], found["kind"], found["displayName"]) == (row["key"], row["kind"], row["displayName"])
        assert [float(found[name]) for name in ("actual", "baseline", "savings", "runningHours")] == [
            row["actual"],
            row["baseline"],
            row["savings"],
            row["runningHours"],
        ]
        assert [float(found[name]) for name in ("schedules", "onDemand", "spot", "sleep")] == [
            causes["schedules"],
            causes["onDemand"],
            causes["spot"],
            causes["sleep"],
        ]


def test_bad_input_is_refused_naming_every_field(client: FunctionClient, make_tenant: Callable[..., str]) -> None:
    tenant_id = make_tenant()
    for path in ("costs", "costs/export"):
        reply = client.get(f"/api/tenants/{tenant_id}/{path}?from=2026-03-02&to=2026-03-01&groupBy=week&currency=XYZ")
        assert reply.status == 400, reply.text
        details = [(d["code"], d["target"]) for d in reply.json()["error"]["details"]]
        assert details == [
            ("rangeReversed", "from"),
            ("invalidQueryParameter", "groupBy"),
            ("invalidQueryParameter", "currency"),
        ]
    too_long = client.get(f"/api/tenants/{tenant_id}/costs?from=2025-01-01&to=2026-02-01&groupBy=")
    assert [(d["code"], d["target"]) for d in too_long.json()["error"]["details"]] == [("rangeTooLong", "to")]
    dates = client.get(f"/api/tenants/{tenant_id}/costs?from=yesterday&to=2026-02-30")
    assert [d["target"] for d in dates.json()["error"]["details"]] == ["from", "to"]
    empty = client.get(f"/api/tenants/{tenant_id}/costs?from=&to=&groupBy=&currency=&spotGroupId=")
    assert empty.status == 200 and empty.json()["from"] == datetime.now(UTC).date().replace(day=1).isoformat()

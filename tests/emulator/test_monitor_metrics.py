"""Azure Monitor's metrics batch API in the emulator: its documented answer from each VM's profile, and its refusals
(more than 50 ids, another subscription or region, an unknown metric, no metrics/read), and no data for the hours
before a VM existed or while it was deallocated."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import requests

from tests.emulator.test_arm_rbac import App, consented_app, vm_in
from tests.utils.arm_admin import ArmAdmin, emulator_token

REGION = "westeurope"
MONITORING_READER = "43d0d8ad-25c7-4714-9337-8ba259a9fe05"
QUERY = {
    "metricnamespace": "microsoft.compute/virtualMachines",
    "metricnames": "Percentage CPU,Available Memory Bytes",
    "interval": "PT1H",
    "aggregation": "average,maximum",
    "api-version": "2023-10-01",
}


def get_batch(
    admin: ArmAdmin,
    ids: list[str],
    region: str = REGION,
    subscription: str | None = None,
    session: requests.Session | None = None,
    window: dict[str, str] | None = None,
    **query: str,
) -> requests.Response:
    sub = subscription or admin.subscription_id
    url = f"{admin.emulator.base_url}/metrics/{region}/subscriptions/{sub}/metrics:getBatch"
    if session is None:
        session = admin.emulator.session()
        token, _ = emulator_token(admin.emulator, admin.tenant_id, "https://metrics.monitor.azure.com")
        session.headers["Authorization"] = f"Bearer {token}"
    return session.post(
        url, params={**QUERY, **(window or hours_from(hour_now())), **query}, json={"resourceids": ids}, timeout=30
    )


def hour_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def hours_from(first: dt.datetime, count: int = 3) -> dict[str, str]:
    """The query's window: `count` whole hours from `first`."""
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {"starttime": first.strftime(stamp), "endtime": (first + dt.timedelta(hours=count)).strftime(stamp)}


def created_at(admin: ArmAdmin, vm_id: str) -> dt.datetime:
    created = admin.call("GET", vm_id).json()["properties"]["timeCreated"]
    return dt.datetime.fromisoformat(created.replace("Z", "+00:00"))


def cpu_points(reply: requests.Response) -> list[dict[str, Any]]:
    assert reply.status_code == 200, reply.text
    [value] = reply.json()["values"]
    return list(value["value"][0]["timeseries"][0]["data"])


def profile(admin: ArmAdmin, vm_id: str, **body: Any) -> None:
    reply = admin.emulator.session().put(f"{admin.emulator.base_url}/emulator/metrics{vm_id}", json=body, timeout=30)
    assert reply.status_code == 200, reply.text


def refused(reply: requests.Response, status: int = 400) -> str:
    assert reply.status_code == status, reply.text
    return str(reply.json()["error"]["message"])


def test_a_batch_answers_each_vm_in_the_documented_shape_from_its_profile(admin: ArmAdmin) -> None:
    busy, idle = vm_in(admin, "rg-busy"), vm_in(admin, "rg-idle")
    profile(admin, busy, cpuPercent=91.5, availableMemoryBytes=300_000_000)
    first = hour_now()  # the VMs exist by then: every hour from it has data
    reply = get_batch(admin, [busy, idle], window=hours_from(first))
    assert reply.status_code == 200, reply.text
    values = {v["resourceid"]: v for v in reply.json()["values"]}
    assert set(values) == {busy, idle}
    metrics = {m["name"]["value"]: m for m in values[busy]["value"]}
    assert metrics["Percentage CPU"]["id"] == f"{busy}/providers/Microsoft.Insights/metrics/Percentage CPU"
    points = metrics["Percentage CPU"]["timeseries"][0]["data"]
    assert [p["timeStamp"] for p in points] == [
        (first + dt.timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ") for n in range(3)
    ]
    assert {(p["average"], p["maximum"]) for p in points} == {(91.5, 91.5)}
    assert "minimum" not in points[0]  # only the aggregations asked for
    assert {p["average"] for p in metrics["Available Memory Bytes"]["timeseries"][0]["data"]} == {300_000_000}
    idle_cpu = {m["name"]["value"]: m for m in values[idle]["value"]}["Percentage CPU"]["timeseries"][0]["data"]
    assert {p["average"] for p in idle_cpu} == {2.0}  # a running VM without a profile idles


def test_a_deallocated_vm_has_points_without_values(admin: ArmAdmin) -> None:
    vm_id = vm_in(admin, "rg")
    admin.finished(admin.call("POST", f"{vm_id}/deallocate"))
    points = cpu_points(get_batch(admin, [vm_id], window=hours_from(hour_now() + dt.timedelta(hours=1))))
    assert len(points) == 3 and all(set(p) == {"timeStamp"} for p in points)


def test_hours_before_a_vm_existed_or_after_it_was_deallocated_have_no_data(admin: ArmAdmin) -> None:
    vm_id = vm_in(admin, "rg")
    creation_hour = created_at(admin, vm_id).replace(minute=0, second=0, microsecond=0)
    admin.finished(admin.call("POST", f"{vm_id}/deallocate"))
    after = hour_now() + dt.timedelta(hours=1)  # an hour that starts after the deallocation
    first = creation_hour - dt.timedelta(hours=2)
    count = int((after - first) / dt.timedelta(hours=1)) + 2
    points = cpu_points(get_batch(admin, [vm_id], window=hours_from(first, count)))
    assert len(points) == count
    assert [set(p) for p in points[:2]] == [{"timeStamp"}] * 2  # before the VM existed
    assert points[2]["average"] == 2.0  # the hour it was made in, running
    assert all(set(p) == {"timeStamp"} for p in points[-2:])  # hours that start deallocated


def test_a_batch_is_refused_beyond_50_ids_another_subscription_or_region_and_an_unknown_metric(
    admin: ArmAdmin,
) -> None:
    vm_id = vm_in(admin, "rg")
    many = [vm_id.replace("/vm", f"/vm{n}") for n in range(51)]
    assert "At most 50" in refused(get_batch(admin, many))
    other = f"/subscriptions/{uuid.uuid4()}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"
    assert "is not in subscription" in refused(get_batch(admin, [vm_id, other]))
    assert "not in northeurope" in refused(get_batch(admin, [vm_id], region="northeurope"))
    assert "metric: Disk Read Bytes" in refused(get_batch(admin, [vm_id], metricnames="Percentage CPU,Disk Read Bytes"))
    assert get_batch(admin, [vm_id]).status_code == 200


def test_reading_needs_metrics_read_on_each_vm(admin: ArmAdmin) -> None:
    seen, unseen = vm_in(admin, "rg-seen"), vm_in(admin, "rg-unseen")
    app: App = consented_app(admin)
    app.grant(MONITORING_READER, admin.group_id("rg-seen"))
    assert get_batch(admin, [seen], session=app.session).status_code == 200
    message = refused(get_batch(admin, [seen, unseen], session=app.session), 403)
    assert "Microsoft.Insights/metrics/read" in message and unseen in message

"""A pooled Spot Group's schedule through the HTTP API on devhost and the Azure emulator: saved, read back, refused
field by field with nothing saved, removed back to the default, replayed against a load curve, and followed by the
optimization timer, whose decisions land on the group's timeline with their reasons, and a host start Azure fails
after taking it there as failed, with Azure's code and words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.test_spot_groups import group_body, ready_version, run_optimization, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

if TYPE_CHECKING:
    from devhost.host import DevHost

EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def phase(start: str, minimum: int, **more: Any) -> dict[str, Any]:
    return {"start": start, "minimumHostsPercent": minimum, "capacityThresholdPercent": 100, **more}


def schedule(zone: str = "UTC", *, minimum: int = 0, **phases: dict[str, Any]) -> dict[str, Any]:
    weekday_set = {
        "days": EVERY_DAY,
        "rampUp": phase("00:45", 100),
        "peak": phase("01:30", 100),
        "rampDown": phase("02:00", minimum),
        "offPeak": phase("02:30", minimum),
        **phases,
    }
    return {"timeZone": zone, "weekdaySets": [weekday_set]}


@pytest.fixture(scope="module")
def pooled(app_host: DevHost, admin_token: str) -> tuple[Tenant, str]:
    """A ready pooled group of 3 hosts of 2 sessions, shared by the module's tests: its tenant and path."""
    api = ApiClient(f"{app_host.base_url}/api", admin_token)
    tenant = Tenant(api)
    tenant.group("sales", ["ann"])
    image_set_id = ready_version(api, tenant)
    made = api.created(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id, licenseCount=6))
    path = f"{tenant.path}/spotGroups/{made['id']}"
    assert settled(api, path)["sessionHostCounts"]["running"] == 3
    return tenant, path


@pytest.fixture
def group(pooled: tuple[Tenant, str]) -> str:
    return pooled[1]


def test_a_schedule_is_saved_read_back_refused_field_by_field_and_removed_back_to_the_default(
    api: ApiClient, group: str
) -> None:
    default = api.get(f"{group}/schedule")
    assert default.status_code == 200, default.text
    assert (default.json()["isDefault"], default.json()["weekdaySets"], default.headers.get("ETag")) == (True, [], None)

    bad = schedule(
        "Mars/Olympus",
        peak=phase("00:30", 100, capacityThresholdPercent=0),
        rampDown=phase("02:00", 0, capacityThresholdPercent=101),
    )
    refused = api.put(f"{group}/schedule", bad)
    assert refused.status_code == 400, refused.text
    details = {d["target"]: d["code"] for d in refused.json()["error"]["details"]}
    assert details == {
        "timeZone": "unknownTimeZone",
        "weekdaySets[0].peak.capacityThresholdPercent": "greaterThanEqual",
        "weekdaySets[0].rampDown.capacityThresholdPercent": "lessThanEqual",
    }
    overlapping = api.put(f"{group}/schedule", schedule(peak=phase("00:30", 100)))  # before ramp-up's 00:45
    assert overlapping.status_code == 400, overlapping.text
    assert [(d["target"], d["code"]) for d in overlapping.json()["error"]["details"]] == [
        ("weekdaySets[0].peak.start", "phasesOverlap")
    ]
    assert api.get(f"{group}/schedule").json()["isDefault"] is True  # nothing saved

    saved = api.put(f"{group}/schedule", schedule("Europe/Amsterdam"))
    assert saved.status_code == 200, saved.text
    etag = saved.headers["ETag"]
    read = api.get(f"{group}/schedule").json()
    assert (read["isDefault"], read["timeZone"], read["etag"]) == (False, "Europe/Amsterdam", etag)
    assert read["weekdaySets"][0]["peak"] == {
        **phase("01:30", 100),
        "loadBalancing": "breadthFirst",
        "bufferPercent": 0,
    }
    assert api.put(f"{group}/schedule", schedule(), headers={"If-Match": etag}).status_code == 200
    stale = api.put(f"{group}/schedule", schedule(), headers={"If-Match": etag})
    assert stale.status_code == 412, stale.text

    assert api.delete(f"{group}/schedule").status_code == 204
    assert api.get(f"{group}/schedule").json()["isDefault"] is True


def test_a_schedule_is_replayed_against_a_load_curve_beside_the_current_one_and_nothing_is_saved(
    api: ApiClient, group: str
) -> None:
    """Three users from 01:00 to 02:00 on 3 hosts of 2 sessions (as tests/unit/test_schedule_replay.py works it out
    by hand): the proposed schedule runs every host from 00:45 and refuses nobody; today's rule starts hosts as
    users come, and one of them finds no room at 01:00."""
    curve = [
        {"dateTime": f"2026-11-02T{hhmm}:00Z", "sessions": users}
        for hhmm, users in (("00:00", 0), ("01:00", 3), ("02:00", 0), ("02:55", 0))
    ]
    reply = api.post(f"{group}/schedule?validateOnly=true", {**schedule(), "loadCurve": curve})
    assert reply.status_code == 200, reply.text
    replay = reply.json()
    assert (replay["source"], replay["sessionHosts"], replay["currentIsDefault"]) == ("loadCurve", 3, True)
    fixed = {"diskHours": 9.0, "hostsCreated": 0, "hostsDeleted": 0}  # 3 hosts for 3 hours, none made or deleted
    assert replay["proposed"] == {"hostHours": 5.5, "peakHostsRunning": 3, "failedSignIns": 0, **fixed}
    assert replay["current"] == {"hostHours": 4.917, "peakHostsRunning": 3, "failedSignIns": 1, **fixed}
    assert [
        (h["start"], h["peakSessions"], h["proposed"]["hostHours"], h["current"]["failedSignIns"])
        for h in replay["hours"]
    ] == [("2026-11-02T00:00:00Z", 0, 1.5, 0), ("2026-11-02T01:00:00Z", 3, 3.0, 1), ("2026-11-02T02:00:00Z", 0, 1.0, 0)]
    assert api.get(f"{group}/schedule").json()["isDefault"] is True

    for query in ("", "?validateOnly=false"):  # POST only tries a schedule
        unsaid = api.post(f"{group}/schedule{query}", {**schedule(), "loadCurve": curve})
        assert unsaid.status_code == 400 and unsaid.json()["error"]["target"] == "validateOnly", unsaid.text
    backwards = api.post(f"{group}/schedule?validateOnly=true", {**schedule(), "loadCurve": curve[::-1]})
    assert backwards.status_code == 400
    assert {d["code"] for d in backwards.json()["error"]["details"]} == {"notInOrder"}


def test_the_timer_follows_the_schedule_and_puts_each_decision_with_its_reason_on_the_timeline(
    api: ApiClient, pooled: tuple[Tenant, str]
) -> None:
    tenant, group = pooled

    def events(count: int, action: str) -> list[dict[str, Any]]:
        found = [e for e in api.get(f"{group}/events").json()["value"] if e["action"] == action]
        assert len(found) == count, found
        return found

    run_optimization(api)  # the default schedule: nobody signed in, so one host (the buffer) stays on
    stopped = eventually(lambda: events(2, "deallocate"), timeout_s=60)
    assert {(e["phase"], e["outcome"]) for e in stopped} == {("offPeak", "done")}
    assert all("idle; 1 of 3 running hosts needed" in e["reason"] for e in stopped), stopped
    eventually(lambda: _powered(tenant, running=1), timeout_s=60)

    # a schedule that wants every host at any time of day: the next run starts them again, saying why
    assert api.put(f"{group}/schedule", schedule(minimum=100)).status_code == 200
    run_optimization(api)
    started = eventually(lambda: events(2, "start"), timeout_s=60)
    assert {e["outcome"] for e in started} == {"done"}
    assert all(e["reason"].endswith("minimum 100% of 3 hosts") for e in started), started
    assert {e["host"] for e in started} == {e["host"] for e in stopped}
    assert eventually(lambda: _running(api, group), timeout_s=60) == 3
    eventually(lambda: _powered(tenant, running=3), timeout_s=60)

    # both runs may share a 5-minute slot: newest slot first (and the saved schedule's phase, by the time of day,
    # may have set the pool's load balancing: a line more)
    lines = len(api.get(f"{group}/events").json()["value"])
    first = api.get(f"{group}/events?top=3").json()
    assert len(first["value"]) == 3 and "nextLink" in first
    rest = api.get(first["nextLink"]).json()
    assert len(rest["value"]) == lines - 3 and "nextLink" not in rest
    # the lines of some actions alone, paged through them (the portal's timeline by kind)
    starts = api.get(f"{group}/events?action=start&top=1").json()
    assert [e["action"] for e in starts["value"]] == ["start"] and "nextLink" in starts
    assert [e["action"] for e in api.get(starts["nextLink"]).json()["value"]] == ["start"]
    power = api.get(f"{group}/events?action=start,deallocate").json()["value"]
    assert sorted(e["action"] for e in power) == ["deallocate", "deallocate", "start", "start"]
    unknown = api.get(f"{group}/events?action=start,reboot")
    assert unknown.status_code == 400, unknown.text
    details = unknown.json()["error"]["details"]
    assert [(d["code"], d["target"]) for d in details] == [("invalidQueryParameter", "action")]
    assert all(h["hoursRun"] >= 0 for h in api.get(f"{group}/sessionHosts").json()["value"])

    replayed = api.post(f"{group}/schedule?validateOnly=true", schedule())  # against what the timer recorded
    assert replayed.status_code == 200, replayed.text
    assert (replayed.json()["source"], replayed.json()["currentIsDefault"]) == ("recordedSessions", False)


def test_a_host_start_azure_fails_after_taking_it_is_on_the_timeline_as_failed_with_its_reason(
    api: ApiClient, pooled: tuple[Tenant, str]
) -> None:
    tenant, group = pooled
    api.delete(f"{group}/schedule")  # the default: nobody signed in, so one host (the buffer) stays on
    run_optimization(api)
    eventually(lambda: _powered(tenant, running=1), timeout_s=60)

    # Azure accepts the next start and fails it when it ends, as it does for want of capacity
    tenant.fault("startVm", 1, "AllocationFailed")
    assert api.put(f"{group}/schedule", schedule(minimum=100)).status_code == 200
    run_optimization(api)

    def failed_start() -> dict[str, Any]:
        lines = [e for e in api.get(f"{group}/events").json()["value"] if e["action"] == "start"]
        failed = [e for e in lines if e["outcome"] == "failed"]
        assert len(failed) == 1, lines
        return failed[0]

    failed = eventually(failed_start, timeout_s=60)
    assert failed["error"] == "AllocationFailed"
    assert "Azure failed it" in failed["reason"] and "AllocationFailed" in failed["reason"], failed
    eventually(lambda: _powered(tenant, running=2), timeout_s=60)  # the other start went through


def _running(api: ApiClient, group: str) -> int:
    counts: dict[str, int] = api.get(group).json()["sessionHostCounts"]
    assert counts["running"] == 3, counts
    return counts["running"]


def _powered(tenant: Tenant, *, running: int) -> None:
    """Azure's power actions are long-running: they finish after the app asked for them."""
    states = []
    for vm in tenant.arm.vms(CLOUD_PC_RG):
        found = tenant.arm.vm(CLOUD_PC_RG, vm["name"])
        assert found is not None
        statuses = found["properties"]["instanceView"]["statuses"]
        states.append(next(s["code"] for s in statuses if s["code"].startswith("PowerState/")))
    assert sorted(states) == sorted(["PowerState/running"] * running + ["PowerState/deallocated"] * (3 - running))

"""A pooled Spot Group that scales, on a fake clock (the instants passed in): hosts created as the load rises up to the
ceiling, deleted after the delay down to the base, deallocated ones started before any is created, a failed one
replaced, the Spot share and the lowest free index (shared/services/spot_pc/host_scaling.py); and the scaling
settings each refused at its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.errors import ValidationFailed
from shared.models.failures import StepDetail
from shared.models.host_scaling import HostScaling
from shared.models.session_hosts import SessionHost
from shared.models.spot_groups import SpotGroupCreate
from shared.models.validation import validation_details
from shared.ports.desktop_virtualization import SessionHostRecord
from shared.services.spot_pc import spot_groups, spot_schedules
from shared.services.spot_pc.host_scaling import ScaleDecision, mark_unneeded, plan_scaling
from tests.fakes import Fakes
from tests.fakes.seed import TENANT
from tests.unit.test_spot_groups import body, deployed, fakes, ready_image, update
from tests.unit.test_spot_schedules import MONDAY, at, schedule, weekday_set

__all__ = ["fakes"]  # the fixture, imported for the tests that save groups

T0 = datetime(2026, 6, 15, 9, tzinfo=UTC)
SESSIONS = 5  # per host


def host(index: int, state: str = "on", **fields: Any) -> SessionHost:
    """host-<index>: "on", "off" (deallocated), "drained" (by the schedule: running, taking no new session),
    "creating", "failed" or "removing"."""
    status = state if state in ("creating", "failed", "removing") else "running"
    drained = {"drained_at": T0 - timedelta(hours=1)} if state == "drained" else {}
    return SessionHost(
        name=f"host-{index}",
        index=index,
        status=status,
        image_version="0.0.0",
        power_state="deallocated" if state == "off" else "running",
        allow_new_session=state != "drained",
        **drained,
        **fields,
    )


def scaling(**fields: Any) -> HostScaling:
    return HostScaling.model_validate(fields)


def decided(decisions: list[ScaleDecision]) -> list[tuple[str, int | None]]:
    return [(d.action, d.host) for d in decisions]


def applied(hosts: list[SessionHost], decisions: list[ScaleDecision]) -> list[SessionHost]:
    """The hosts once the decisions are done: a created host running and taking sessions, a deleted one gone."""
    gone = {d.host for d in decisions if d.action == "delete"}
    made = [host(d.host, priority=d.priority) for d in decisions if d.action == "create" and d.host is not None]
    return sorted([*(h for h in hosts if h.index not in gone), *made], key=lambda h: h.index)


def marked(hosts: list[SessionHost], sessions: dict[str, int], now: datetime) -> list[SessionHost]:
    """The hosts with mark_unneeded's changes saved."""
    changed = {h.index: h for h in mark_unneeded(hosts, sessions, now)}
    return [changed.get(h.index, h) for h in hosts]


# --- growth ------------------------------------------------------------------------------------------------------


def test_a_rising_load_creates_hosts_up_to_the_ceiling_and_no_further() -> None:
    rule = scaling(baseHosts=1, bufferSessions=2, maxHosts=4)
    hosts = [host(0)]
    assert plan_scaling(rule, 4, hosts, {"host-0": 3}, SESSIONS, 1, T0) == []  # 3 + 2 fit the one host
    decisions = plan_scaling(rule, 4, hosts, {"host-0": 5}, SESSIONS, 1, T0)
    assert decisions == [
        ScaleDecision(
            "create", 1, "Regular", "created host 1 (Regular): 5 sessions + buffer 2 need 2 hosts, 1 exist (ceiling 4)"
        )
    ]
    hosts = applied(hosts, decisions)
    assert decided(plan_scaling(rule, 4, hosts, {"host-0": 5, "host-1": 5}, SESSIONS, 2, T0)) == [("create", 2)]
    hosts = applied(hosts, [ScaleDecision("create", 2, "Regular", "")])
    busy = {"host-0": 5, "host-1": 5, "host-2": 5}
    decisions = plan_scaling(rule, 4, hosts, busy, SESSIONS, 3, T0)  # 15 + 2 need 4: the ceiling
    assert decided(decisions) == [("create", 3)]
    hosts = applied(hosts, decisions)
    full = {h.name: SESSIONS for h in hosts}
    decisions = plan_scaling(rule, 4, hosts, full, SESSIONS, 9, T0 + timedelta(minutes=5))
    assert decisions == []  # 20 + 2 and the schedule's 9 would need more: the ceiling holds
    assert len(hosts) == 4


def test_the_schedules_wanted_hosts_are_created_where_the_group_has_too_few() -> None:
    decisions = plan_scaling(scaling(baseHosts=1, maxHosts=5), 5, [host(0)], {}, SESSIONS, 3, T0)
    assert decisions == [
        ScaleDecision(
            "create", 1, "Regular", "created host 1 (Regular): the schedule wants 3 running, 1 exist (ceiling 5)"
        ),
        ScaleDecision(
            "create", 2, "Regular", "created host 2 (Regular): the schedule wants 3 running, 1 exist (ceiling 5)"
        ),
    ]
    # a host still being made counts: it is not made twice
    assert (
        plan_scaling(scaling(baseHosts=1), 5, [host(0), host(1, "creating"), host(2, "creating")], {}, SESSIONS, 3, T0)
        == []
    )


def test_the_base_is_made_with_no_load_at_all() -> None:
    decisions = plan_scaling(scaling(baseHosts=2), 6, [], {}, SESSIONS, 0, T0)
    assert decided(decisions) == [("create", 0), ("create", 1)]
    assert decisions[0].reason == "created host 0 (Regular): the base is 2 hosts, 0 exist (ceiling 6)"


def test_deallocated_hosts_are_started_before_new_ones_are_created() -> None:
    """One state through both rules: the schedule starts what is deallocated, and scaling makes only what is left."""
    busy = schedule(weekday_set(peak={"capacityThresholdPercent": 50}))
    now = at(MONDAY, "10:00")  # peak: the next host starts at half the running hosts' capacity
    hosts = [host(0), host(1), host(2, "off"), host(3, "off")]
    live = {
        "host-0": SessionHostRecord("host-0", "Available", True, 4),
        "host-1": SessionHostRecord("host-1", "Available", True, 3),
    }
    sessions = {name: record.sessions for name, record in live.items()}
    wanted, why = spot_schedules.wanted_hosts(busy, now, hosts, live, 4)
    assert (wanted, why) == (4, "sessions at 87% of capacity, threshold 50%")
    started = spot_schedules.plan(busy, now, hosts, live, 4)
    assert [(d.action, d.host) for d in started] == [("start", "host-2"), ("start", "host-3")]
    assert plan_scaling(scaling(baseHosts=1), 6, hosts, sessions, 4, wanted, now) == []  # the two deallocated do
    # with one deallocated host, it is started and one host is made beside it
    fewer = hosts[:3]
    wanted, _ = spot_schedules.wanted_hosts(busy, now, fewer, live, 4)
    assert wanted == 4  # not capped by the three the group has
    assert [(d.action, d.host) for d in spot_schedules.plan(busy, now, fewer, live, 4)] == [("start", "host-2")]
    assert decided(plan_scaling(scaling(baseHosts=1), 6, fewer, sessions, 4, wanted, now)) == [("create", 3)]


# --- shrinkage ---------------------------------------------------------------------------------------------------


def test_a_host_an_admin_drained_is_theirs_to_keep_not_unneeded() -> None:
    kept = host(1, "on").model_copy(update={"allow_new_session": False})  # drained, but not by the schedule
    assert mark_unneeded([kept], {}, T0) == []


def test_a_falling_load_drains_then_deletes_down_to_the_base_after_the_delay() -> None:
    rule = scaling(baseHosts=1, deleteAfterMinutes=30)
    # the evening, after four hosts ran all day: the schedule deallocates two idle ones, drains one with a user
    hosts = [host(0), host(1, "drained"), host(2, "off"), host(3, "off")]
    sessions = {"host-0": 1, "host-1": 1}
    hosts = marked(hosts, sessions, T0)
    assert [h.unneeded_since for h in hosts] == [None, None, T0, T0]  # a drained host with a user is still needed
    assert plan_scaling(rule, 4, hosts, sessions, SESSIONS, 1, T0 + timedelta(minutes=29)) == []
    later = T0 + timedelta(minutes=30)
    decisions = plan_scaling(rule, 4, hosts, sessions, SESSIONS, 1, later)
    assert decided(decisions) == [("delete", 3), ("delete", 2)]  # the highest index first
    assert decisions[0].reason == (
        "deleted host 3: deallocated and unneeded for 30 min (after 30 min); 1 needed "
        "(2 sessions + buffer 0 need 1 host, base 1), 4 exist (ceiling 4)"
    )
    hosts = applied(hosts, decisions)
    # the drained host's user signs out: it waits its own delay, then goes; the base stays
    hosts = marked(hosts, {"host-0": 1}, later)
    assert [h.unneeded_since for h in hosts] == [None, later]
    assert plan_scaling(rule, 4, hosts, {"host-0": 1}, SESSIONS, 1, later + timedelta(minutes=29)) == []
    decisions = plan_scaling(rule, 4, hosts, {}, SESSIONS, 1, later + timedelta(minutes=30))
    assert decided(decisions) == [("delete", 1)]
    assert "drained and unneeded" in decisions[0].reason
    hosts = applied(hosts, decisions)
    hosts = marked([host(0, "off")], {}, later)
    assert plan_scaling(rule, 4, hosts, {}, SESSIONS, 0, later + timedelta(days=1)) == []  # never below the base


def test_hosts_go_no_lower_than_the_need_deallocated_ones_before_drained_ones() -> None:
    since = {"unneeded_since": T0}
    hosts = [host(0), host(1, "off", **since), host(2, "drained", **since), host(3, "drained", **since)]
    decisions = plan_scaling(scaling(baseHosts=1), 4, hosts, {}, SESSIONS, 2, T0 + timedelta(hours=1))
    assert decided(decisions) == [("delete", 1), ("delete", 3)]  # the schedule wants 2: one of the four stays


def test_a_host_found_needed_again_is_kept_and_its_time_cleared() -> None:
    hosts = [host(0), host(1, "off")]
    hosts = marked(hosts, {}, T0)
    assert hosts[1].unneeded_since == T0
    started = [hosts[0], hosts[1].model_copy(update={"power_state": "running"})]  # the schedule started it
    assert plan_scaling(scaling(baseHosts=1), 4, started, {}, SESSIONS, 2, T0 + timedelta(hours=1)) == []
    assert [h.unneeded_since for h in marked(started, {}, T0 + timedelta(minutes=5))] == [None, None]
    # a drained host a user came back to is never deleted, whatever its time said
    back = [host(0), host(1, "drained", unneeded_since=T0)]
    assert plan_scaling(scaling(baseHosts=1), 4, back, {"host-1": 1}, SESSIONS, 1, T0 + timedelta(hours=1)) == []
    # hosts being made or removed are never unneeded
    assert mark_unneeded([host(0, "creating"), host(1, "removing")], {}, T0) == []


# --- healing, Spot and indexes ------------------------------------------------------------------------------------


def test_a_host_that_fails_creation_is_replaced_without_exceeding_the_ceiling() -> None:
    rule = scaling(baseHosts=3, maxHosts=3)
    failed = StepDetail(code="AllocationFailed", step="createVm", message="No capacity.")
    hosts = [host(0), host(1), host(2, "failed", status_detail=failed)]
    load = {"host-0": SESSIONS, "host-1": SESSIONS}  # 10 sessions: more than the ceiling could hold
    decisions = plan_scaling(rule, 3, hosts, load, 2, 2, T0)
    assert [(d.action, d.host, d.reason) for d in decisions] == [
        ("delete", 2, "deleted host 2: it failed (AllocationFailed)"),
        (
            "create",
            3,
            "created host 3 (Regular): 10 sessions + buffer 0 need 5 hosts, capped at the ceiling, 2 exist (ceiling 3)",
        ),
    ]
    # while the failed one is removed, its replacement is made: three exist, none more
    hosts = [host(0), host(1), host(2, "removing"), host(3, "creating")]
    assert plan_scaling(rule, 3, hosts, load, 2, 9, T0) == []
    # the replacement fails too: replaced again, in the index the removed host freed
    hosts = [host(0), host(1), host(3, "failed")]
    assert decided(plan_scaling(rule, 3, hosts, load, 2, 9, T0)) == [("delete", 3), ("create", 2)]


def test_a_spot_host_azure_had_no_capacity_for_is_replaced_on_demand_and_keeps_its_spot_place() -> None:
    rule = scaling(baseHosts=1, spotSharePercent=100, maxHosts=3)
    refused = StepDetail(code="SkuNotAvailable", step="createVm", message="No Spot capacity.")
    hosts = [host(0), host(1, priority="Spot"), host(2, "failed", priority="Spot", status_detail=refused)]
    decisions = plan_scaling(rule, 3, hosts, {}, SESSIONS, 3, T0)
    assert [(d.action, d.host, d.priority, d.spot_refused) for d in decisions] == [
        ("delete", 2, "Spot", False),
        ("create", 3, "Regular", True),
    ]
    assert "on demand: Azure had no Spot capacity for host 2" in decisions[1].reason
    # made on demand, it holds its Spot place: the next host above the base is not asked as Spot in its stead
    made = [host(0), host(1, priority="Spot"), host(3, spot_refused=True)]
    assert plan_scaling(rule, 3, made, {}, SESSIONS, 3, T0) == []


def test_a_spot_host_azure_refused_for_its_size_is_replaced_on_demand_saying_so() -> None:
    rule = scaling(baseHosts=1, spotSharePercent=100, maxHosts=3)
    refused = StepDetail(code="AzureSpotIsNotSupportedForThisVMSize", step="createVm", message="No Spot here.")
    hosts = [host(0), host(1, "failed", priority="Spot", status_detail=refused)]
    decisions = plan_scaling(rule, 3, hosts, {}, SESSIONS, 2, T0)
    assert [(d.action, d.host, d.priority, d.spot_refused) for d in decisions] == [
        ("delete", 1, "Spot", False),
        ("create", 2, "Regular", True),
    ]
    assert "on demand: Azure runs no Spot VM of its size for host 1" in decisions[1].reason


def test_a_spot_host_refused_for_its_spot_quota_is_replaced_on_demand_naming_the_quota() -> None:
    rule = scaling(baseHosts=1, spotSharePercent=100, maxHosts=3)
    words = "Total Regional Low-priority vCPUs in westeurope: 10 of 10 in use, 2 more needed for Standard_D2s_v5."
    refused = StepDetail(code="QuotaExceeded", step="allocateCapacity", message=words)
    hosts = [host(0), host(1, "failed", priority="Spot", status_detail=refused)]
    decisions = plan_scaling(rule, 3, hosts, {}, SESSIONS, 2, T0)
    assert [(d.action, d.host, d.priority, d.spot_refused) for d in decisions] == [
        ("delete", 1, "Spot", False),
        ("create", 2, "Regular", True),
    ]
    assert f"on demand: the Spot quota had no room for host 1 ({words[:-1]})" in decisions[1].reason
    # a Regular host refused for its family's quota is only replaced: on demand is what was refused
    regular = [host(0), host(1, "failed", status_detail=refused.model_copy(update={"message": "family"}))]
    assert [
        (d.action, d.host, d.priority, d.spot_refused) for d in plan_scaling(rule, 3, regular, {}, SESSIONS, 2, T0)
    ] == [("delete", 1, "Regular", False), ("create", 2, "Spot", False)]


def test_a_deallocated_spot_host_azure_could_not_start_is_replaced_on_demand() -> None:
    rule = scaling(baseHosts=1, spotSharePercent=100, maxHosts=3)
    refused = StepDetail(code="SkuNotAvailable", step="powerVm", message="No Spot capacity.")
    # the schedule wants two running: the deallocated Spot host cannot be, so it does not count as one
    hosts = [host(0), host(1, "off", priority="Spot", status_detail=refused)]
    decisions = plan_scaling(rule, 3, hosts, {"host-0": 5}, SESSIONS, 2, T0)
    assert [(d.action, d.host, d.priority, d.spot_refused) for d in decisions] == [
        ("delete", 1, "Spot", False),
        ("create", 2, "Regular", True),
    ]
    assert "could not start it for want of Spot capacity (SkuNotAvailable)" in decisions[0].reason
    # once it runs again (Azure found capacity), its old refusal says nothing
    started = [host(0), host(1, priority="Spot", status_detail=refused)]
    assert plan_scaling(rule, 3, started, {"host-0": 5}, SESSIONS, 2, T0) == []


def test_the_groups_last_refusal_holds_its_spot_places_on_demand_for_an_hour() -> None:
    rule = scaling(baseHosts=1, spotSharePercent=100, maxHosts=3)
    refused_at = T0 - timedelta(minutes=59)
    decisions = plan_scaling(rule, 3, [host(0)], {}, SESSIONS, 2, T0, spot_refused_at=refused_at)
    assert [(d.action, d.host, d.priority, d.spot_refused) for d in decisions] == [("create", 1, "Regular", True)]
    assert "a Spot host was refused at 08:01 UTC; Spot is tried again from 09:01" in decisions[0].reason
    later = plan_scaling(rule, 3, [host(0)], {}, SESSIONS, 2, T0 + timedelta(minutes=1), spot_refused_at=refused_at)
    assert [(d.host, d.priority) for d in later] == [(1, "Spot")]


def test_a_new_host_takes_the_lowest_index_no_host_holds() -> None:
    rule = scaling(baseHosts=0)
    hosts = [host(0), host(3), host(5, "removing")]
    decisions = plan_scaling(rule, 8, hosts, {}, SESSIONS, 5, T0)
    assert decided(decisions) == [("create", 1), ("create", 2), ("create", 4)]  # 5 keeps its index until it is gone


def test_spot_share_of_the_hosts_above_the_base() -> None:
    rule = scaling(baseHosts=2, spotSharePercent=50, maxHosts=10)
    decisions = plan_scaling(rule, 10, [], {}, SESSIONS, 6, T0)
    assert [(d.host, d.priority) for d in decisions] == [
        (0, "Regular"),
        (1, "Regular"),
        (2, "Spot"),
        (3, "Spot"),
        (4, "Regular"),
        (5, "Regular"),
    ]
    # three above the base: half of them is 1.5, rounded half up to two Spot hosts
    hosts = [host(0), host(1), host(2, priority="Spot")]
    assert [(d.host, d.priority) for d in plan_scaling(rule, 10, hosts, {}, SESSIONS, 5, T0)] == [
        (3, "Spot"),
        (4, "Regular"),
    ]
    # a host made on demand for want of Spot capacity holds a Spot place: the next one is not asked as Spot again
    refused = [host(0), host(1), host(2, spot_refused=True)]
    assert [(d.host, d.priority) for d in plan_scaling(rule, 10, refused, {}, SESSIONS, 4, T0)] == [(3, "Regular")]
    every = scaling(baseHosts=1, spotSharePercent=100)
    assert [d.priority for d in plan_scaling(every, 10, [], {}, SESSIONS, 3, T0)] == ["Regular", "Spot", "Spot"]
    assert {d.priority for d in plan_scaling(scaling(baseHosts=0), 10, [], {}, SESSIONS, 3, T0)} == {"Regular"}


def test_a_deleted_host_keeps_its_priority_in_the_decision() -> None:
    hosts = [host(0), host(1, "off", priority="Spot", unneeded_since=T0)]
    assert plan_scaling(scaling(baseHosts=1), 4, hosts, {}, SESSIONS, 0, T0 + timedelta(hours=1))[0].priority == "Spot"


# --- the settings, each refused at its field ---------------------------------------------------------------------

GROUP = {
    "name": "sales-desktops",
    "friendlyName": "Sales desktops",
    "profilePath": r"\\files\profiles",
    "userType": "pooled",
    "licenseCount": 12,
    "siteId": "site-westeurope",
    "groupIds": ["sales"],
    "imageSetId": "set",
    "imageVersion": "0.0.0",
}


def refused(**fields: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(ValidationError) as error:
        SpotGroupCreate.model_validate({**GROUP, **fields})
    return [(detail.target, detail.code) for detail in validation_details(error.value)]


def test_bad_scaling_is_refused_at_each_field() -> None:
    # 12 licenses at 6 sessions per host: 2 hosts at most
    assert refused(scaling={"baseHosts": 3}) == [("scaling.baseHosts", "baseAboveCeiling")]
    assert refused(scaling={"baseHosts": 2, "maxHosts": 1}) == [("scaling.baseHosts", "baseAboveCeiling")]
    assert refused(scaling={"maxHosts": 3}) == [("scaling.maxHosts", "aboveLicenses")]
    assert refused(scaling={"bufferSessions": -1, "spotMaxPrice": -0.01}) == [
        ("scaling.bufferSessions", "greaterThanEqual"),
        ("scaling.spotMaxPrice", "greaterThanEqual"),
    ]
    assert refused(userType="personal", scaling={"spotSharePercent": 50, "baseHosts": 1}) == [
        ("scaling.baseHosts", "notAllowed"),
        ("scaling.spotSharePercent", "notAllowed"),
    ]
    assert refused(userType="personal", scaling={}) == [("scaling", "notAllowed")]
    assert refused(scaling={"spotEvictionPolicy": "Stop"}) == [("scaling.spotEvictionPolicy", "literalError")]
    for no_spot in ("Standard_B2ms", "Standard_D2_v2_Promo"):  # Azure runs no Spot VM of a B-series or Promo size
        assert refused(vmSize=no_spot, scaling={"spotSharePercent": 50}) == [
            ("scaling.spotSharePercent", "spotNotSupportedForSize")
        ]
    SpotGroupCreate.model_validate({**GROUP, "vmSize": "Standard_B2ms", "scaling": {"spotSharePercent": 0}})
    accepted = SpotGroupCreate.model_validate({**GROUP, "maxSessionsPerHost": 4, "scaling": {"baseHosts": 3}})
    assert accepted.scaling == HostScaling(base_hosts=3)


def test_the_review_shows_the_ceiling_and_base_and_the_group_keeps_its_scaling(fakes: Fakes) -> None:
    data = body(ready_image(fakes), licenseCount=12, scaling={"baseHosts": 1, "maxHosts": 2, "spotSharePercent": 50})
    group, review = spot_groups.plan(fakes.admin_ports(), TENANT, data)
    assert (review.ceiling, review.base_hosts) == (2, 1)
    assert group.scaling == HostScaling(base_hosts=1, max_hosts=2, spot_share_percent=50)
    assert spot_groups.ceiling(group) == 2
    _, fixed = spot_groups.plan(fakes.admin_ports(), TENANT, body(ready_image(fakes)))
    assert (fixed.ceiling, fixed.base_hosts) == (None, None)


def test_a_patch_merges_scaling_and_checks_it_against_the_licenses_saving_nothing_refused(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=12, scaling={"baseHosts": 1, "spotSharePercent": 50})
    saved, run = update(fakes, group_id, scaling={"bufferSessions": 4})
    assert run is None and saved.scaling == HostScaling(base_hosts=1, spot_share_percent=50, buffer_sessions=4)
    refusals: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"scaling": {"baseHosts": 3}}, [("scaling.baseHosts", "baseAboveCeiling")]),  # 12 licenses at 6: 2 hosts
        ({"scaling": {"maxHosts": 3}}, [("scaling.maxHosts", "aboveLicenses")]),
        ({"licenseCount": 6, "scaling": {"baseHosts": 2}}, [("scaling.baseHosts", "baseAboveCeiling")]),
    ]
    for fields, details in refusals:
        with pytest.raises(ValidationFailed) as error:
            update(fakes, group_id, **fields)
        assert [(d.target, d.code) for d in error.value.details] == details
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).scaling == saved.scaling
    with pytest.raises(ValidationError) as nulled:
        update(fakes, group_id, scaling=None)
    assert [e["type"] for e in nulled.value.errors()] == ["notNullable"]


def test_a_personal_group_takes_no_scaling_on_a_patch(fakes: Fakes) -> None:
    group_id = deployed(fakes, userType="personal")
    with pytest.raises(ValidationFailed) as error:
        update(fakes, group_id, scaling={"spotSharePercent": 20})
    assert [(d.target, d.code) for d in error.value.details] == [("scaling.spotSharePercent", "notAllowed")]
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).scaling is None


def test_a_patch_gives_no_spot_share_to_a_size_without_spot(fakes: Fakes) -> None:
    group_id = deployed(fakes, vmSize="Standard_B4ms", scaling={"baseHosts": 1})
    with pytest.raises(ValidationFailed) as error:
        update(fakes, group_id, scaling={"spotSharePercent": 20})
    assert [(d.target, d.code) for d in error.value.details] == [
        ("scaling.spotSharePercent", "spotNotSupportedForSize")
    ]
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).scaling == HostScaling(base_hosts=1)

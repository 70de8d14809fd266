"""A personal Spot Group's power: the rule that deallocates (or hibernates) hosts whose users are away, on a fake
clock, and its application on the fakes: the away times kept on the hosts' rows, the power actions, the host pool's
Start VM on Connect, and what a create or PATCH of personalPower accepts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.errors import ValidationFailed
from shared.models.session_hosts import SessionHost
from shared.models.session_policies import PersonalPower
from shared.ports.desktop_virtualization import UserSessionRecord
from shared.services.spot_pc import spot_groups
from shared.services.spot_pc.personal_power import apply_personal_power, plan_personal_power
from tests.fakes import Fakes
from tests.fakes.seed import TENANT
from tests.unit.test_spot_groups import PERSONAL_IMAGE, body, deploy, fakes, ready_image, update

__all__ = ["fakes"]  # the fixture, from the Spot Group tests
T0 = datetime(2026, 11, 23, 17, 35, tzinfo=UTC)
POOL = "spotpc-sales-desktops"


def host(name: str, *, away: datetime | None = None, power: str = "running", status: str = "running") -> SessionHost:
    return SessionHost.model_validate(
        {
            "name": name,
            "index": int(name[-1]),
            "imageVersion": "0.0.0",
            "status": status,
            "powerState": power,
            "userAwaySince": away,
        }
    )


def session(vm: str, state: str = "disconnected") -> UserSessionRecord:
    return UserSessionRecord(vm, "1", f"{vm}@contoso.com", state, T0 - timedelta(hours=2))  # type: ignore[arg-type]


AFTER_30 = PersonalPower(deallocate_when_disconnected_minutes=30)


# --- the rule ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "stopped"), [(29, False), (30, True), (31, True)])
def test_a_disconnected_user_s_host_is_deallocated_once_the_limit_is_reached(minutes: int, stopped: bool) -> None:
    now = T0 + timedelta(minutes=minutes)
    plan = plan_personal_power(AFTER_30, [host("host-3", away=T0)], [session("host-3")], now)
    if not stopped:
        assert (plan.decisions, plan.away) == ([], {})  # the time first seen stays
        return
    [decision] = plan.decisions
    assert (decision.host, decision.action) == ("host-3", "deallocate")
    assert (
        decision.reason == f"deallocated host-3 at {now:%H:%M}: its user disconnected {minutes} minutes ago (limit 30)"
    )
    assert plan.away == {"host-3": None}  # stopped: the next time its user leaves is counted afresh


def test_the_away_time_is_kept_when_first_seen_and_cleared_when_the_user_is_back() -> None:
    plan = plan_personal_power(
        AFTER_30, [host("host-1"), host("host-2", away=T0)], [session("host-1"), session("host-2", "active")], T0
    )
    assert plan.decisions == [] and plan.away == {"host-1": T0, "host-2": None}
    reason = plan_personal_power(AFTER_30, [host("host-1", away=T0)], [], T0 + timedelta(minutes=45)).decisions
    assert [d.reason for d in reason] == [
        "deallocated host-1 at 18:20: nobody signed in to it for 45 minutes (limit 30)"
    ]


def test_a_signed_out_user_s_host_goes_at_the_next_sweep_when_the_group_says_so() -> None:
    power = PersonalPower(deallocate_on_sign_out=True)
    [decision] = plan_personal_power(power, [host("host-1")], [], T0).decisions
    assert decision.reason == "deallocated host-1 at 17:35: nobody is signed in to it"
    assert plan_personal_power(power, [host("host-1")], [session("host-1")], T0 + timedelta(days=3)).decisions == []


def test_a_host_with_an_active_session_is_never_stopped_nor_one_that_is_off_or_not_deployed() -> None:
    power = PersonalPower(deallocate_when_disconnected_minutes=1, deallocate_on_sign_out=True)
    hosts = [host("host-1", away=T0), host("host-2", power="deallocated", away=T0), host("host-3", status="creating")]
    active = [session("host-1", "active"), session("host-1", "disconnected")]  # an admin's old session besides
    plan = plan_personal_power(power, hosts, active, T0 + timedelta(days=1))
    assert plan.decisions == [] and plan.away == {"host-1": None, "host-2": None}


def test_a_host_is_hibernated_where_asked_and_its_vm_allows_it_else_deallocated() -> None:
    power = PersonalPower(deallocate_on_sign_out=True, hibernate=True)
    hosts = [host("host-1"), host("host-2")]
    plan = plan_personal_power(power, hosts, [], T0, hibernatable=frozenset({"host-1"}))
    assert [(d.host, d.action, d.reason.split(" ")[0]) for d in plan.decisions] == [
        ("host-1", "hibernate", "hibernated"),
        ("host-2", "deallocate", "deallocated"),
    ]
    no_hibernation = PersonalPower(deallocate_on_sign_out=True)
    assert {d.action for d in plan_personal_power(no_hibernation, hosts, [], T0, frozenset({"host-1"})).decisions} == {
        "deallocate"
    }


# --- applied on the fakes ---------------------------------------------------------------------------------------


def personal(fakes: Fakes, **fields: Any) -> Any:
    data = body(ready_image(fakes, PERSONAL_IMAGE), userType="personal", licenseCount=2, **fields)
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, data)
    assert deploy(fakes, run) == "succeeded"
    return fakes.spot_groups.get_spot_group(TENANT, group.id)


def test_a_personal_group_stops_hosts_after_the_limit_and_keeps_the_time_on_the_host_s_row(fakes: Fakes) -> None:
    group = personal(fakes, personalPower={"deallocateWhenDisconnectedMinutes": 30})
    pool = fakes.avd.pools[(TENANT, POOL)]
    assert pool.spec.start_vm_on_connect is True  # AVD starts a stopped host when its user connects
    first, second = (h.name for h in fakes.spot_groups.list_hosts(TENANT, group.id))
    fakes.avd.sign_in(TENANT, POOL, first, "ann@contoso.com")
    fakes.avd.sign_in(TENANT, POOL, second, "bob@contoso.com")
    fakes.avd.disconnect_session(TENANT, None, POOL, first, "1")  # type: ignore[arg-type]

    assert apply_personal_power(fakes.spot_group_ports(), group, T0).decisions == []
    rows = {h.name: h for h in fakes.spot_groups.list_hosts(TENANT, group.id)}
    assert (rows[first].user_away_since, rows[second].user_away_since) == (T0, None)

    plan = apply_personal_power(fakes.spot_group_ports(), group, T0 + timedelta(minutes=30))
    assert [d.host for d in plan.decisions] == [first] and fakes.operations.power[(TENANT, first)] == "deallocated"
    stopped = {h.name: h for h in fakes.spot_groups.list_hosts(TENANT, group.id)}[first]
    assert (stopped.power_state, stopped.user_away_since) == ("deallocated", None)
    assert fakes.spot_groups.get_spot_group(TENANT, group.id).session_host_counts.stopped == 1
    assert (TENANT, second) not in fakes.operations.power  # its user is active


def test_hibernation_is_asked_for_on_the_vm_where_its_size_supports_it(fakes: Fakes) -> None:
    group = personal(fakes, personalPower={"deallocateOnSignOut": True, "hibernate": True})  # Standard_D2s_v5
    names = [h.name for h in fakes.spot_groups.list_hosts(TENANT, group.id)]
    assert all(fakes.compute.vms[(TENANT, n)].spec.hibernation for n in names)
    plan = apply_personal_power(fakes.spot_group_ports(), group, T0)
    assert {d.action for d in plan.decisions} == {"hibernate"}
    assert {fakes.operations.power[(TENANT, n)] for n in names} == {"hibernated"}

    fakes.compute.hibernation_sizes.clear()  # a size without HibernationSupported: made without it, so deallocated
    other = personal(fakes, name="other-desktops", personalPower={"deallocateOnSignOut": True, "hibernate": True})
    assert {d.action for d in apply_personal_power(fakes.spot_group_ports(), other, T0).decisions} == {"deallocate"}


def test_a_group_without_personal_power_is_left_alone_and_its_pool_does_not_start_vms(fakes: Fakes) -> None:
    group = personal(fakes)
    assert apply_personal_power(fakes.spot_group_ports(), group, T0 + timedelta(days=9)).decisions == []
    assert fakes.avd.pools[(TENANT, POOL)].spec.start_vm_on_connect is False
    hosts = {h.name for h in fakes.spot_groups.list_hosts(TENANT, group.id)}
    assert not hosts & {vm for _, vm in fakes.operations.power}  # (the image build's VM was deallocated)


def test_personal_power_comes_and_goes_by_patch_and_the_pool_follows(fakes: Fakes) -> None:
    group = personal(fakes)
    saved, run = update(fakes, group.id, personalPower={"deallocateOnSignOut": True})
    assert saved.status == "updating" and run is not None  # the pool's Start VM on Connect changes
    assert deploy(fakes, run) == "succeeded"
    assert fakes.avd.pools[(TENANT, POOL)].spec.start_vm_on_connect is True
    merged, quiet = update(fakes, group.id, personalPower={"deallocateWhenDisconnectedMinutes": 60})
    assert quiet is None and merged.personal_power == PersonalPower(
        deallocate_on_sign_out=True, deallocate_when_disconnected_minutes=60
    )
    _, run = update(fakes, group.id, personalPower=None)
    assert run is not None and deploy(fakes, run) == "succeeded"
    assert fakes.avd.pools[(TENANT, POOL)].spec.start_vm_on_connect is False


def test_personal_power_is_refused_for_a_pooled_group_and_out_of_its_bounds(fakes: Fakes) -> None:
    with pytest.raises(ValidationError) as refused:
        body("set", personalPower={"deallocateOnSignOut": True})  # pooled
    assert [e["loc"] for e in refused.value.errors()] == [("personalPower",)]
    with pytest.raises(ValidationError) as refused:
        body("set", userType="personal", personalPower={"deallocateWhenDisconnectedMinutes": 0, "hibernate": "x"})
    assert sorted(e["loc"] for e in refused.value.errors()) == [
        ("personalPower", "deallocateWhenDisconnectedMinutes"),
        ("personalPower", "hibernate"),
    ]
    pooled, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(ready_image(fakes)))
    assert deploy(fakes, run) == "succeeded"
    with pytest.raises(ValidationFailed) as patched:
        update(fakes, pooled.id, personalPower={"deallocateOnSignOut": True})
    assert [d.target for d in patched.value.details] == ["personalPower"]


def test_a_host_avd_starts_for_its_user_s_connection_is_metered_from_the_sweep_that_sees_it(fakes: Fakes) -> None:
    """The app did not start it (Start VM on Connect did): the first sweep that sees it running with a session
    records its start, so its hours and its cost count from then, not from its next stop."""
    group = personal(fakes, personalPower={"deallocateWhenDisconnectedMinutes": 30})
    pool = fakes.avd.pools[(TENANT, POOL)]
    first = next(h.name for h in fakes.spot_groups.list_hosts(TENANT, group.id))
    fakes.avd.sign_in(TENANT, POOL, first, "ann@contoso.com")
    fakes.avd.disconnect_session(TENANT, None, POOL, first, "1")  # type: ignore[arg-type]
    apply_personal_power(fakes.spot_group_ports(), group, T0)
    apply_personal_power(fakes.spot_group_ports(), group, T0 + timedelta(minutes=30))  # deallocated
    pool.sessions.clear()  # as AVD: the VM is off, its sessions gone, its status Shutdown
    pool.hosts[first] = replace(pool.hosts[first], status="Shutdown")
    apply_personal_power(fakes.spot_group_ports(), group, T0 + timedelta(minutes=45))
    pool.hosts[first] = replace(pool.hosts[first], status="Available")  # Ann connects: AVD starts it
    fakes.avd.sign_in(TENANT, POOL, first, "ann@contoso.com")
    apply_personal_power(fakes.spot_group_ports(), group, T0 + timedelta(minutes=60))

    records = [
        r
        for r in fakes.power_records.list_power_records(TENANT, T0 + timedelta(days=1))
        if r.display_name == first and r.date_time >= T0
    ]
    assert [(r.change, r.date_time) for r in records] == [
        ("stopped", T0 + timedelta(minutes=30)),
        ("started", T0 + timedelta(minutes=60)),
    ]
    row = {h.name: h for h in fakes.spot_groups.list_hosts(TENANT, group.id)}[first]
    assert row.running_since == T0 + timedelta(minutes=60)

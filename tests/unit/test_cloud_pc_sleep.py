"""The azure backend's watch over its Cloud PCs' use, on the fakes: who was seen connected, a Cloud PC put to sleep by
its policy's power rules once its user has been away for the limit, the sleep followed to its end, and its wake."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from shared.models.cloud_pc_work import UseWatch
from shared.models.cloud_pcs import CloudPc
from shared.models.orchestrations import VmActionRun
from shared.models.session_policies import PersonalPower
from shared.models.sites import Site
from shared.ports.desktop_virtualization import UserSessionRecord
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import cloud_pc_metering, vm_actions
from shared.services.cloud_pcs.cloud_pc_sleep import WOKEN_BY_USER, watch_use
from shared.services.cloud_pcs.provisioning_steps import vm_name
from tests.fakes import Fakes
from tests.fakes.cloud import FakeHostPool
from tests.fakes.seed import TENANT
from tests.unit.test_advance import arranged, drive
from tests.unit.test_desktop_brokering import pool_of

AFTER_30 = PersonalPower(deallocate_when_disconnected_minutes=30)


def provisioned(power: PersonalPower | None = AFTER_30) -> tuple[EnginePorts, Fakes, CloudPc]:
    ports, fakes, pc = arranged()
    policy = fakes.policies.get_policy(TENANT, "finance")
    fakes.policies.upsert_policy(policy.model_copy(update={"power_rules": power}))
    assert drive(ports, fakes, pc)[0] == "provisioned"
    return ports, fakes, fakes.cloud_pcs.get_cloud_pc(TENANT, pc)


def connect(fakes: Fakes, row: CloudPc, state: str = "active", started: datetime | None = None) -> None:
    pool_of(fakes, row.id).sessions = {
        (vm_of(row), "1"): UserSessionRecord(vm_of(row), "1", row.user_principal_name, state, started or fakes.clock())  # type: ignore[arg-type]
    }


def signed_out(fakes: Fakes, row: CloudPc) -> None:
    pool_of(fakes, row.id).sessions = {}


def vm_of(row: CloudPc) -> str:
    return vm_name(row.id, row.run, row.attempt)


def host_status(pool: FakeHostPool, vm: str, status: str) -> None:
    pool.hosts[vm] = replace(pool.hosts[vm], status=status)


def stored(fakes: Fakes, row: CloudPc) -> CloudPc:
    return fakes.cloud_pcs.get_cloud_pc(TENANT, row.id)


def line(fakes: Fakes, row: CloudPc, name: str) -> tuple[str, str]:
    [found] = [e for e in fakes.cloud_pcs.list_events(TENANT, row.id) if e.name == name]
    return found.outcome, found.message or ""


def finish(ports: EnginePorts, run: VmActionRun) -> str:
    """What the Cloud PC action orchestration does with a sleep: call the activity until it ends."""
    step = vm_actions.advance_vm_action(ports, run)
    for _ in range(20):
        if step.outcome is not None:
            return step.outcome
        step = vm_actions.advance_vm_action(ports, step.run)
    raise AssertionError("the sleep never ended")


def test_a_user_seen_connected_is_kept_and_one_never_seen_is_not() -> None:
    ports, fakes, row = provisioned(power=None)
    assert watch_use(ports, TENANT, fakes.clock()) == UseWatch()
    assert stored(fakes, row).last_connected_date_time is None  # never seen connected
    connect(fakes, row)
    assert watch_use(ports, TENANT, fakes.clock()).connected == 1
    assert stored(fakes, row).last_connected_date_time == fakes.clock()
    fakes.clock.advance(seconds=600)
    began = fakes.clock()
    fakes.clock.advance(seconds=600)
    connect(fakes, row, "disconnected", started=began)  # they came and left between two watches
    assert watch_use(ports, TENANT, fakes.clock()).connected == 1
    assert stored(fakes, row).last_connected_date_time == began  # the session they left began then
    connect(fakes, row, "disconnected", started=began - timedelta(hours=1))
    assert watch_use(ports, TENANT, fakes.clock()).connected == 0  # never back in time
    assert stored(fakes, row).user_away_since is None  # without power rules nothing counts the time away


def test_a_cloud_pc_sleeps_after_its_user_has_been_away_for_the_limit_and_wakes_when_they_connect() -> None:
    ports, fakes, row = provisioned()
    connect(fakes, row, "disconnected")
    seen = fakes.clock()
    assert watch_use(ports, TENANT, seen).sleeps == []
    assert stored(fakes, row).user_away_since == seen
    assert watch_use(ports, TENANT, seen + timedelta(minutes=29)).sleeps == []

    later = seen + timedelta(minutes=31)
    [run] = watch_use(ports, TENANT, later).sleeps
    assert (run.action, run.cloud_pc_id) == ("sleep", row.id)
    assert line(fakes, row, "sleepStarted") == ("info", "Deallocating: its user disconnected 31 minutes ago (limit 30)")
    assert pool_of(fakes, row.id).spec.start_vm_on_connect is True  # its user's connection will wake it
    assert stored(fakes, row).user_away_since is None
    assert finish(ports, run) == "succeeded"
    assert fakes.operations.power[(TENANT, vm_of(row))] == "deallocated"
    assert stored(fakes, row).power_state == "poweredOff"
    assert line(fakes, row, "asleep")[0] == "succeeded"

    pool = pool_of(fakes, row.id)
    host_status(pool, vm_of(row), "Shutdown")
    signed_out(fakes, row)
    assert watch_use(ports, TENANT, later + timedelta(hours=1)) == UseWatch()  # asleep: nothing to do
    host_status(pool, vm_of(row), "Available")  # Start VM on Connect started it for its user
    connect(fakes, row)
    woke = later + timedelta(hours=2)
    assert watch_use(ports, TENANT, woke) == UseWatch(woken=1, connected=1)
    assert line(fakes, row, "awake") == ("succeeded", WOKEN_BY_USER)
    assert (stored(fakes, row).power_state, stored(fakes, row).last_connected_date_time) == ("running", woke)


def test_a_cloud_pcs_vm_is_metered_made_asleep_and_awake() -> None:
    ports, fakes, row = provisioned()
    made = fakes.clock()
    connect(fakes, row, "disconnected")
    watch_use(ports, TENANT, made)
    [run] = watch_use(ports, TENANT, made + timedelta(minutes=31)).sleeps
    fakes.clock.advance(minutes=32)
    assert finish(ports, run) == "succeeded"
    host_status(pool_of(fakes, row.id), vm_of(row), "Available")  # Start VM on Connect started it for its user
    connect(fakes, row)
    woke = made + timedelta(hours=2)
    watch_use(ports, TENANT, woke)
    records = fakes.power_records.list_power_records(TENANT, woke + timedelta(seconds=1))
    assert [(r.change, r.date_time) for r in records] == [
        ("created", made),
        ("stopped", made + timedelta(minutes=32)),
        ("started", woke),
    ]
    assert {(r.kind, r.cloud_pc_id, r.user_id, r.vm_size, r.site_id) for r in records} == {
        ("cloudPc", row.id, row.user_id, row.build.vm_size if row.build else None, "site-westeurope")
    }


def test_a_cloud_pcs_build_keeps_its_site_for_its_power_records_and_an_older_build_is_found_by_its_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ports, fakes, row = provisioned()
    assert row.build is not None and row.build.site_id == "site-westeurope"
    listed = fakes.sites.list_all_sites

    def not_listed(tenant_id: str) -> list[Site]:
        raise AssertionError("a build that keeps its site needs no list of the sites")

    monkeypatch.setattr(fakes.sites, "list_all_sites", not_listed)
    at = fakes.clock() + timedelta(minutes=5)
    cloud_pc_metering.record_power(ports, row, "stopped", at)
    monkeypatch.setattr(fakes.sites, "list_all_sites", listed)
    older = row.build.model_copy(update={"site_id": None})  # a Cloud PC built before the build kept its site
    cloud_pc_metering.record_power(ports, row, "started", at + timedelta(minutes=1), older)
    records = fakes.power_records.list_power_records(TENANT, at + timedelta(minutes=2))
    assert [(r.change, r.site_id) for r in records] == [
        ("created", "site-westeurope"),
        ("stopped", "site-westeurope"),
        ("started", "site-westeurope"),
    ]


def test_a_cloud_pc_its_admin_powered_off_is_not_put_to_sleep_and_one_that_moved_on_is_left() -> None:
    ports, fakes, row = provisioned(PersonalPower(deallocate_on_sign_out=True))
    fakes.cloud_pcs.upsert_cloud_pc(stored(fakes, row).model_copy(update={"power_state": "poweredOff"}))
    assert watch_use(ports, TENANT, fakes.clock()).sleeps == []  # signed out, but already off
    running = stored(fakes, row).model_copy(update={"power_state": "running", "status": "inGracePeriod"})
    fakes.cloud_pcs.upsert_cloud_pc(running)
    assert watch_use(ports, TENANT, fakes.clock()).sleeps == []  # its user has lost it: the watch passes it by


def test_a_signed_out_user_s_cloud_pc_sleeps_once_start_vm_on_connect_is_sure() -> None:
    ports, fakes, row = provisioned(PersonalPower(deallocate_on_sign_out=True))
    fakes.script.fail("ensure_host_pool", times=1, code="ResourceGroupNotFound")
    now = fakes.clock()
    assert watch_use(ports, TENANT, now).sleeps == []  # Start VM on Connect could not be made sure of
    assert not any(e.name == "sleepStarted" for e in fakes.cloud_pcs.list_events(TENANT, row.id))
    [run] = watch_use(ports, TENANT, now + timedelta(minutes=5)).sleeps
    assert line(fakes, row, "sleepStarted")[1] == "Deallocating: nobody is signed in to it"
    assert finish(ports, run) == "succeeded"


def test_a_host_pool_avd_cannot_answer_for_waits_for_the_next_watch() -> None:
    ports, fakes, row = provisioned()
    fakes.script.fail("list_session_hosts", times=1, code="TooManyRequests")
    assert watch_use(ports, TENANT, fakes.clock()) == UseWatch()
    connect(fakes, row)
    assert watch_use(ports, TENANT, fakes.clock()).connected == 1

"""A tenant's backend does its Cloud PC work: on an azure tenant the app reconciles and acts itself; on a windows365
tenant Windows 365 is asked, only what it offers, and the app follows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.errors import Conflict
from shared.events import DirectoryEvent
from shared.ports.compute import StartPace
from shared.services.cloud_pcs import cloud_pc_actions
from shared.services.cloud_pcs.reconcile import directory_changed
from tests.fakes import Fakes
from tests.fakes.seed import PLAN, TENANT, cloud_pc, policy, tenant

GROUP = "g-finance"


def directory(fakes: Fakes) -> None:
    policy(fakes, "finance", GROUP)
    fakes.directory.add_user(TENANT, "ann", PLAN)
    fakes.directory.add_group(TENANT, GROUP, "ann")


def test_a_directory_change_on_an_azure_tenant_makes_the_cloud_pcs_to_provision() -> None:
    fakes = Fakes()
    tenant(fakes)
    directory(fakes)
    outcome = directory_changed(fakes.engine_ports(), DirectoryEvent(tenant_id=TENANT, group_ids=[GROUP]))
    assert not outcome.follow_backend
    assert [item.cloud_pc_id for item in outcome.to_provision] == outcome.created != []


def test_a_burst_on_an_azure_tenant_starts_at_the_pace_its_subscription_takes_new_cloud_pcs() -> None:
    fakes = Fakes()
    tenant(fakes)
    policy(fakes, "finance", GROUP)
    users = ["ann", "bob", "cat", "dan"]
    for user in users:
        fakes.directory.add_user(TENANT, user, PLAN)
    fakes.directory.add_group(TENANT, GROUP, *users)
    fakes.compute.pace = StartPace(at_once=2, seconds_apart=0.5)
    outcome = directory_changed(fakes.engine_ports(), DirectoryEvent(tenant_id=TENANT, group_ids=[GROUP]))
    now = fakes.clock()
    assert [run.not_before for run in outcome.to_provision] == [
        None,
        None,
        now + timedelta(seconds=0.5),
        now + timedelta(seconds=1),
    ]


def test_a_directory_change_on_a_windows_365_tenant_is_left_to_it_and_followed() -> None:
    fakes = Fakes()
    tenant(fakes, backend="windows365")
    directory(fakes)
    outcome = directory_changed(fakes.engine_ports(), DirectoryEvent(tenant_id=TENANT, group_ids=[GROUP]))
    assert outcome.follow_backend and outcome.to_provision == []
    assert fakes.cloud_pcs.list_all_cloud_pcs(TENANT) == []  # Windows 365 makes them; the follower brings them in


def test_a_directory_change_of_a_removed_tenant_starts_nothing() -> None:
    outcome = directory_changed(Fakes().engine_ports(), DirectoryEvent(tenant_id=TENANT, full=True))
    assert not outcome.follow_backend and outcome.to_provision == [] and outcome.start_check is None


def test_windows_365_is_offered_and_asked_only_the_actions_it_carries_out() -> None:
    fakes = Fakes()
    tenant(fakes, backend="windows365")
    row = cloud_pc(fakes, "adele", status="provisioned", windows365_id="w365-pc")
    ports = fakes.engine_ports()
    offered = cloud_pc_actions.offered(ports, row)
    assert "reboot" in offered and "rename" in offered and "powerOff" not in offered
    with pytest.raises(Conflict) as refused:
        cloud_pc_actions.perform(ports, TENANT, row.id, "powerOff", request_id="r1")
    assert refused.value.code == "backendNotServed"

    performed = cloud_pc_actions.perform(ports, TENANT, row.id, "reboot", request_id="r2")
    again = cloud_pc_actions.perform(ports, TENANT, row.id, "reboot", request_id="r2")  # a repeated bulk item
    assert performed.follow_backend and again.follow_backend and performed.vm_action is None
    assert fakes.windows365.acted == [("w365-pc", "reboot")]  # asked once


def test_the_app_s_own_cloud_pc_is_offered_its_power_actions() -> None:
    fakes = Fakes()
    tenant(fakes)
    row = cloud_pc(fakes, "ben", status="provisioned")
    assert "powerOff" in cloud_pc_actions.offered(fakes.engine_ports(), row)

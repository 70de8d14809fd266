"""A Spot host's eviction on fakes: its watcher installed after it registers, its Preempt notice acted on once (the
host drained, its users told, a replacement made), refused for any VM but a Spot host of the tenant's, and the
replacement's time to take sessions recorded when it registers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email.utils import format_datetime

import pytest

from shared.errors import Forbidden
from shared.models.access import ManagedIdentity
from shared.models.orchestrations import SpotGroupRun
from shared.models.session_hosts import SessionHost
from shared.models.spot_group_records import ScheduledEvents
from shared.models.spot_groups import SpotGroup
from shared.ports.bundles import EvictionWatch, SpotGroupPorts
from shared.services.spot_pc import host_evictions, spot_groups
from shared.services.spot_pc.spot_group_deployments import advance
from tests.fakes import Fakes
from tests.fakes.cloud import vm_principal
from tests.fakes.seed import SUBSCRIPTION, TENANT, site, tenant
from tests.unit.test_spot_groups import body, deploy, ready_image

WATCH = EvictionWatch("https://app.example.com/api/scheduledEvents", "api://spot-pc")
SCALING = {"baseHosts": 1, "maxHosts": 2, "spotSharePercent": 100, "evictionMessage": "Save your work now."}


@pytest.fixture
def fakes() -> Fakes:
    world = Fakes()
    tenant(world)
    site(world)
    world.directory.add_user(TENANT, "ann", display_name="Ann")
    world.directory.add_group(TENANT, "sales", "ann")
    world.directory.add_group(TENANT, "support", "ann")
    return world


def ports_of(fakes: Fakes) -> SpotGroupPorts:
    return replace(fakes.spot_group_ports(), eviction_watch=WATCH)


def drive(ports: SpotGroupPorts, run: SpotGroupRun) -> str:
    for _ in range(200):
        step = advance(ports, run)
        if step.outcome is not None:
            return step.outcome
        run = step.run
    raise AssertionError("the work did not finish")


def add_run(group: SpotGroup, index: int) -> SpotGroupRun:
    return SpotGroupRun(
        tenant_id=TENANT, spot_group_id=group.id, work="scale", stage="host", host=index, host_work="add"
    )


def with_a_spot_host(fakes: Fakes) -> tuple[SpotGroup, SessionHost]:
    """A scaling group with its base host, and a Spot host made as the optimization makes one."""
    made, run = spot_groups.create_spot_group(
        fakes.admin_ports(), TENANT, body(ready_image(fakes), licenseCount=4, maxSessionsPerHost=2, scaling=SCALING)
    )
    assert deploy(fakes, run) == "succeeded"
    group = fakes.spot_groups.get_spot_group(TENANT, made.id)
    spot = SessionHost(name=spot_groups.host_name(group, 1), index=1, image_version="0.0.0", priority="Spot")
    fakes.spot_groups.put_host(TENANT, group.id, spot)
    assert drive(ports_of(fakes), add_run(group, 1)) == "succeeded"
    return group, next(h for h in fakes.spot_groups.list_hosts(TENANT, group.id) if h.index == 1)


def identity(vm: str, subscription: str = SUBSCRIPTION) -> ManagedIdentity:
    """The token of the VM's system-assigned identity, as Entra issues it for a customer's API: its `oid` only."""
    vm_id = f"/subscriptions/{subscription}/resourceGroups/rg-cloudpcs/providers/Microsoft.Compute/virtualMachines/{vm}"
    return ManagedIdentity(entra_tenant_id="entra", principal_id=vm_principal(vm_id))


def preempt(fakes: Fakes, vm: str, event_id: str = "A1B2") -> ScheduledEvents:
    return ScheduledEvents.model_validate(
        {
            "DocumentIncarnation": 1,
            "Events": [
                {
                    "EventId": event_id,
                    "EventType": "Preempt",
                    "ResourceType": "VirtualMachine",
                    "Resources": [vm],
                    "EventStatus": "Scheduled",
                    "NotBefore": format_datetime(fakes.clock() + timedelta(seconds=30), usegmt=True),
                }
            ],
        }
    )


def test_a_spot_host_gets_its_watcher_once_it_takes_sessions(fakes: Fakes) -> None:
    group, spot = with_a_spot_host(fakes)
    vm = fakes.compute.vm(TENANT, spot.name, "test")
    assert (vm.spec.priority, vm.commands) == ("Spot", ["configureFslogix", host_evictions.WATCHER])
    assert vm.parameters[host_evictions.WATCHER] == {"EventsUrl": WATCH.events_url, "Audience": WATCH.audience}
    script = "\n".join(vm.scripts[-1])
    assert "scheduledevents?api-version=2020-07-01" in script and "Register-ScheduledTask" in script
    (base,) = (h for h in fakes.spot_groups.list_hosts(TENANT, group.id) if h.index == 0)
    assert host_evictions.WATCHER not in fakes.compute.vm(TENANT, base.name, "test").commands  # Regular: none


def test_a_preempt_drains_tells_and_replaces_the_host_once(fakes: Fakes) -> None:
    group, spot = with_a_spot_host(fakes)
    ports = ports_of(fakes)
    for user in ("ann@contoso.com", "bob@contoso.com"):
        fakes.avd.sign_in(TENANT, group.host_pool_name, spot.name, user)
    heard = host_evictions.hear(ports, TENANT, identity(spot.name.upper()), preempt(fakes, spot.name.upper()))

    (eviction,) = heard.evictions
    pool = fakes.avd.pools[(TENANT, group.host_pool_name)]
    assert {(m.user_principal_name, m.title, m.message) for m in pool.messages} == {
        ("ann@contoso.com", "This desktop is closing", "Save your work now."),
        ("bob@contoso.com", "This desktop is closing", "Save your work now."),
    }
    assert pool.hosts[spot.name].allow_new_session is False
    hosts = {h.index: h for h in fakes.spot_groups.list_hosts(TENANT, group.id)}
    assert (hosts[1].status, hosts[1].allow_new_session) == ("removing", False)
    assert (hosts[2].status, hosts[2].priority, hosts[2].replaces_eviction) == ("creating", "Spot", "A1B2")
    assert [(r.host_work, r.host) for r in heard.runs] == [("remove", 1), ("add", 2)]
    assert heard.runs[0].drain_timeout_s == 30 + host_evictions.EVICTION_SLACK_S
    assert (eviction.id, eviction.host, eviction.policy, eviction.users_told) == ("A1B2", spot.name, "Deallocate", 2)
    assert (eviction.users, eviction.replacement_host) == (["ann@contoso.com", "bob@contoso.com"], hosts[2].name)
    assert eviction.seconds_to_replacement is None

    again = host_evictions.hear(ports, TENANT, identity(spot.name), preempt(fakes, spot.name))
    assert (again.evictions, again.runs, len(pool.messages)) == ([], [], 2)
    assert len(fakes.spot_groups.list_hosts(TENANT, group.id)) == 3

    fakes.clock.advance(minutes=4)
    assert drive(ports, add_run(group, 2)) == "succeeded"
    (recorded,), _ = ports.schedules.list_evictions(TENANT, group.id)
    assert recorded.seconds_to_replacement == 240 and recorded.replacement_took_sessions_date_time == fakes.clock()
    lines, _ = ports.schedules.list_events(TENANT, group.id)
    assert {(e.id, e.action) for e in lines} == {("A1B2", "evict"), ("A1B2.replaced", "evict")}
    first = next(e for e in lines if e.id == "A1B2")
    assert "2 of 2 users told (ann@contoso.com, bob@contoso.com)" in first.reason and hosts[2].name in first.reason


def test_a_preempt_meters_the_spot_host_stopped_when_azure_takes_it_and_its_removal_deleted(fakes: Fakes) -> None:
    group, spot = with_a_spot_host(fakes)
    ports = ports_of(fakes)
    made = fakes.clock()
    heard = host_evictions.hear(ports, TENANT, identity(spot.name), preempt(fakes, spot.name))
    evicted = made + timedelta(seconds=30)  # its NotBefore
    fakes.clock.advance(minutes=3)
    assert drive(ports, heard.runs[0]) == "succeeded"  # its removal
    records = [
        r
        for r in fakes.power_records.list_power_records(TENANT, fakes.clock() + timedelta(seconds=1))
        if r.display_name == spot.name
    ]
    assert [(r.change, r.date_time) for r in records] == [
        ("created", made),
        ("stopped", evicted),
        ("deleted", fakes.clock()),
    ]
    assert {(r.kind, r.priority, r.spot_group_id, r.site_id, r.disk_tier) for r in records} == {
        ("sessionHost", "spot", group.id, group.site_id, "P10")
    }


def test_only_a_spot_host_of_the_tenant_in_its_site_is_heard(fakes: Fakes) -> None:
    group, spot = with_a_spot_host(fakes)
    ports = ports_of(fakes)
    base = spot_groups.host_name(group, 0)
    refused = [
        identity(base),  # a Regular host
        identity(spot.name, subscription="00000000-0000-0000-0000-000000000000"),  # the name, elsewhere
        identity("someothervm"),
        ManagedIdentity(entra_tenant_id="entra", principal_id="p"),
    ]
    for caller in refused:
        with pytest.raises(Forbidden):
            host_evictions.hear(ports, TENANT, caller, preempt(fakes, spot.name))
    # a host recorded before the app kept its VM's identity is refused, clearly
    fakes.spot_groups.put_host(TENANT, group.id, spot.model_copy(update={"principal_id": None}))
    with pytest.raises(Forbidden, match="system-assigned identity"):
        host_evictions.hear(ports, TENANT, identity(spot.name), preempt(fakes, spot.name))
    fakes.spot_groups.put_host(TENANT, group.id, spot)
    # a VM speaks for itself only, and other events need nothing
    other = host_evictions.hear(ports, TENANT, identity(spot.name), preempt(fakes, base))
    assert other.evictions == [] and fakes.avd.pools[(TENANT, group.host_pool_name)].hosts[base].allow_new_session

"""Reconcile on fakes: one Cloud PC per (user, license), idempotent, and grace when targeting or licenses go."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from shared.events import DirectoryEvent
from shared.models.cloud_pc_work import RunToStart
from shared.models.cloud_pcs import CloudPc
from shared.models.policies import ProvisioningPolicy
from shared.models.tenants import Tenant
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import due_sweep, lifecycle
from shared.services.cloud_pcs.reconcile import drift_reconcile, reconcile_tenant
from shared.storage.policies import PolicyRepository
from tests.fakes import Fakes, RecordingEvents
from tests.fakes.seed import BIG_PLAN, PLAN, TENANT, policy

GROUP = "g-finance"


def arranged() -> tuple[EnginePorts, Fakes]:
    """Policy `finance` assigned to the group; Ann holds two licenses of one plan and one of another, Bob one."""
    fakes = Fakes()
    policy(fakes, "finance", GROUP)
    fakes.directory.add_user(TENANT, "ann", PLAN, PLAN, BIG_PLAN, "office-e3")
    fakes.directory.add_user(TENANT, "bob", PLAN)
    fakes.directory.add_group(TENANT, GROUP, "ann", "bob")
    return fakes.engine_ports(), fakes


def group_event() -> DirectoryEvent:
    return DirectoryEvent(tenant_id=TENANT, group_ids=[GROUP])


def user_event(*user_ids: str) -> DirectoryEvent:
    return DirectoryEvent(tenant_id=TENANT, user_ids=list(user_ids))


def held_by(fakes: Fakes, user_id: str) -> list[CloudPc]:
    return fakes.cloud_pcs.list_users_cloud_pcs(TENANT, user_id)


def provisioned(fakes: Fakes, user_id: str) -> CloudPc:
    """What a finished provisioning run leaves behind (the run itself is test_advance's concern)."""
    (cloud_pc,) = held_by(fakes, user_id)
    return fakes.cloud_pcs.upsert_cloud_pc(cloud_pc.model_copy(update={"status": "provisioned"}))


def test_one_pending_cloud_pc_per_user_and_license() -> None:
    ports, fakes = arranged()
    outcome = reconcile_tenant(ports, group_event())
    stored = fakes.cloud_pcs.list_all_cloud_pcs(TENANT)
    assert sorted((c.user_id, c.service_plan_id, c.slot_index) for c in stored) == [
        ("ann", PLAN, 0),
        ("ann", PLAN, 1),
        ("ann", BIG_PLAN, 0),
        ("bob", PLAN, 0),
    ]
    assert {(c.status, c.provisioning_policy_id, c.target_group_id) for c in stored} == {
        ("pendingProvision", "finance", GROUP)
    }
    assert sorted(outcome.created) == sorted(c.id for c in stored)
    assert sorted((item.cloud_pc_id, item.run) for item in outcome.to_provision) == sorted((c.id, 1) for c in stored)


def test_the_same_slots_get_the_same_ids_in_any_reconcile() -> None:
    first, second = arranged(), arranged()
    reconcile_tenant(first[0], group_event())
    reconcile_tenant(second[0], DirectoryEvent(tenant_id=TENANT, user_ids=["bob", "ann"]))
    ids = [sorted(c.id for c in fakes.cloud_pcs.list_all_cloud_pcs(TENANT)) for _, fakes in (first, second)]
    assert ids[0] == ids[1] and len(set(ids[0])) == 4


def test_a_duplicate_event_creates_nothing_new() -> None:
    ports, fakes = arranged()
    reconcile_tenant(ports, group_event())
    before = fakes.cloud_pcs.list_all_cloud_pcs(TENANT)
    again = reconcile_tenant(ports, group_event())
    by_user = reconcile_tenant(ports, user_event("ann", "bob"))
    full = reconcile_tenant(ports, DirectoryEvent(tenant_id=TENANT, full=True))
    assert again.created == by_user.created == full.created == []
    assert fakes.cloud_pcs.list_all_cloud_pcs(TENANT) == before


def test_a_user_who_leaves_the_group_goes_into_grace_and_coming_back_restores_the_cloud_pc() -> None:
    ports, fakes = arranged()
    reconcile_tenant(ports, group_event())
    bobs = provisioned(fakes, "bob")

    fakes.directory.remove_members(TENANT, GROUP, "bob")
    left = reconcile_tenant(ports, group_event())
    in_grace = fakes.cloud_pcs.get_cloud_pc(TENANT, bobs.id)
    assert left.entered_grace == [bobs.id]
    assert in_grace.status == "inGracePeriod"
    assert in_grace.grace_period_end_date_time == fakes.clock() + ports.grace_period
    assert [(w.kind, w.cloud_pc_id, w.due_date_time) for w in fakes.scheduled()] == [
        ("graceExpiry", bobs.id, fakes.clock() + ports.grace_period)
    ]
    assert "gracePeriodStarted" in [e.name for e in fakes.cloud_pcs.list_events(TENANT, bobs.id)]

    fakes.clock.advance(days=2)
    fakes.directory.add_members(TENANT, GROUP, "bob")
    back = reconcile_tenant(ports, user_event("bob"))
    restored = fakes.cloud_pcs.get_cloud_pc(TENANT, bobs.id)
    assert back.restored == [bobs.id] and back.created == []
    assert (restored.status, restored.grace_period_end_date_time) == ("provisioned", None)
    assert [e.name for e in fakes.cloud_pcs.list_events(TENANT, bobs.id)][-1] == "gracePeriodCancelled"


def test_a_pending_cloud_pc_no_longer_targeted_is_deleted() -> None:
    ports, fakes = arranged()
    reconcile_tenant(ports, group_event())
    fakes.directory.remove_members(TENANT, GROUP, "bob")
    outcome = reconcile_tenant(ports, group_event())
    (bobs,) = outcome.untargeted
    assert outcome.entered_grace == []
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, bobs) is None
    assert held_by(fakes, "bob") == []
    assert len(fakes.cloud_pcs.list_all_cloud_pcs(TENANT)) == 3


def test_a_reconcile_with_older_inputs_never_deletes_what_a_newer_one_just_created() -> None:
    """Two messages race: the first read the policies before the group was assigned; the second, reading after,
    creates Ann's and Bob's Cloud PCs while the first is still reading. The first must not delete them."""
    ports, fakes = arranged()
    current = fakes.policies.list_all_policies(TENANT)
    unassigned = [p.model_copy(update={"assignments": []}) for p in current]

    class OlderPolicies(PolicyRepository):
        def list_all_policies(self, tenant_id: str) -> list[ProvisioningPolicy]:
            reconcile_tenant(ports, group_event())  # the newer reconcile runs to its end in between
            return list(unassigned)

    older_ports = dataclasses.replace(ports, policies=OlderPolicies(fakes.storage))
    older = reconcile_tenant(older_ports, group_event())
    assert older.untargeted == []
    assert len(fakes.cloud_pcs.list_all_cloud_pcs(TENANT)) == 4


def test_a_license_held_in_grace_makes_a_new_cloud_pc_wait_until_it_is_freed() -> None:
    ports, fakes = arranged()
    fakes.directory.set_licenses(TENANT, "ann")  # only Bob's Cloud PC exists to start with
    reconcile_tenant(ports, group_event())
    bobs = provisioned(fakes, "bob")
    # the license moves from Bob to Cat while Bob's Cloud PC is in its grace period
    fakes.directory.set_licenses(TENANT, "bob")
    assert reconcile_tenant(ports, user_event("bob")).entered_grace == [bobs.id]
    fakes.directory.add_user(TENANT, "cat", PLAN)
    fakes.directory.add_members(TENANT, GROUP, "cat")
    outcome = reconcile_tenant(ports, user_event("cat"))

    (cats,) = held_by(fakes, "cat")
    assert outcome.created == [cats.id] and outcome.to_provision == []
    assert cats.status == "pendingProvision"
    assert cats.status_detail is not None and cats.status_detail.code == "waitingForLicense"

    fakes.clock.advance(hours=1)
    lifecycle.end_grace_period(ports, TENANT, bobs.id)
    (freed,) = [e for e in fakes.events.published if e.full]
    assert reconcile_tenant(ports, freed).to_provision == [RunToStart(cats.id, 1)]


def test_a_grace_period_ends_on_time_after_a_license_is_removed() -> None:
    ports, fakes = arranged()
    reconcile_tenant(ports, group_event())
    bobs = provisioned(fakes, "bob")
    fakes.directory.set_licenses(TENANT, "bob")
    reconcile_tenant(ports, user_event("bob"))
    fakes.clock.advance(ports.grace_period - timedelta(seconds=1))
    due_sweep.sweep(ports)
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, bobs.id).status == "inGracePeriod"
    fakes.clock.advance(seconds=2)
    due_sweep.sweep(ports)
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, bobs.id) is None


def test_a_policy_no_longer_serving_the_user_puts_its_cloud_pc_in_grace_beside_the_winners() -> None:
    """Seed 004: unassigning the winning policy while another still targets the user."""
    fakes = Fakes()
    policy(fakes, "first", "g-first")
    policy(fakes, "second", "g-second", after=timedelta(minutes=1))
    fakes.directory.add_user(TENANT, "ann", PLAN)
    fakes.directory.add_group(TENANT, "g-first", "ann")
    fakes.directory.add_group(TENANT, "g-second", "ann")
    ports = fakes.engine_ports()
    reconcile_tenant(ports, group_event_of("g-first", "g-second"))
    old = provisioned(fakes, "ann")
    assert old.provisioning_policy_id == "first"
    first = fakes.policies.get_policy(TENANT, "first")
    fakes.policies.upsert_policy(first.model_copy(update={"assignments": []}))

    outcome = reconcile_tenant(ports, group_event_of("g-first"))
    assert outcome.entered_grace == [old.id]
    rows = {c.provisioning_policy_id: c for c in held_by(fakes, "ann")}
    assert rows["first"].status == "inGracePeriod"
    new = rows["second"]
    assert new.status == "pendingProvision" and new.id != old.id
    # the grace period holds Ann's only license: the new one waits until it ends
    assert outcome.to_provision == []
    assert new.status_detail is None or fakes.cloud_pcs.get_cloud_pc(TENANT, new.id).status_detail is not None
    assert reconcile_tenant(ports, group_event_of("g-first")).created == []  # nothing twice

    # assigned again in time: the first policy wins again, its Cloud PC is restored and the waiting one goes
    fakes.policies.upsert_policy(first)
    again = reconcile_tenant(ports, group_event_of("g-first"))
    assert again.restored == [old.id]
    assert [c.provisioning_policy_id for c in held_by(fakes, "ann")] == ["first"]


def group_event_of(*groups: str) -> DirectoryEvent:
    return DirectoryEvent(tenant_id=TENANT, group_ids=list(groups))


def test_the_drift_reconcile_queues_a_full_reconcile_of_each_linked_tenant_only() -> None:
    """A customer added but not linked to Entra has no directory to read: its message could only fail to the poison
    queue, every hour (the fresh suite found the drift reconcile's messages of such tenants stuck in retries)."""
    now = datetime(2026, 11, 26, tzinfo=UTC)
    linked = (("a", "e-a"), ("b", None), ("c", "e-c"))
    tenants = [
        Tenant(id=tid, display_name=tid, entra_tenant_id=entra, created_date_time=now, last_modified_date_time=now)
        for tid, entra in linked
    ]
    events = RecordingEvents()
    assert drift_reconcile(tenants, events) == 2
    assert [(e.tenant_id, e.full) for e in events.published] == [("a", True), ("c", True)]

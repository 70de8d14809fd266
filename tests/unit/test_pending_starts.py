"""The pending-start sweep on fakes: a reconcile's start check, and what the sweep starts when one is left due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest

from shared.events import DirectoryEvent
from shared.models.cloud_pcs import CloudPc
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import pending_starts
from shared.services.cloud_pcs.reconcile import reconcile_tenant, started
from shared.storage.cloud_pcs import CloudPcRepository, StartCheck
from tests.fakes import Fakes
from tests.fakes.seed import PLAN, TENANT, policy

GROUP = "g-finance"
USERS = ["ann", "bob", "cat", "dan"]


class DiesMidInsert(CloudPcRepository):
    """The Cloud PC table of a host that dies after creating `survivors` of the Cloud PCs a reconcile makes."""

    survivors: int | None = None  # None: the restarted host, which lives

    def insert_cloud_pcs(self, cloud_pcs: Iterable[CloudPc]) -> list[CloudPc]:
        if self.survivors is None:
            return super().insert_cloud_pcs(cloud_pcs)
        super().insert_cloud_pcs(list(cloud_pcs)[: self.survivors])
        raise RuntimeError("the host died")


def arranged(fakes: Fakes | None = None) -> tuple[EnginePorts, Fakes]:
    fakes = fakes or Fakes()
    policy(fakes, "finance", GROUP)
    for user in USERS:
        fakes.directory.add_user(TENANT, user, PLAN)
    fakes.directory.add_group(TENANT, GROUP, *USERS)
    return fakes.engine_ports(), fakes


def group_event() -> DirectoryEvent:
    return DirectoryEvent(tenant_id=TENANT, group_ids=[GROUP])


def started_ids(starts: list[pending_starts.TenantStarts]) -> list[str]:
    return sorted(run.cloud_pc_id for tenant in starts for run in tenant.runs)


def pending_ids(fakes: Fakes) -> list[str]:
    return sorted(c.id for c in fakes.cloud_pcs.list_cloud_pcs_in_status(TENANT, "pendingProvision"))


def start_checks(fakes: Fakes) -> list[StartCheck]:
    return fakes.cloud_pcs.list_due_start_checks(datetime.max.replace(tzinfo=UTC))


def test_a_reconcile_that_started_its_runs_leaves_nothing_due() -> None:
    ports, fakes = arranged()
    outcome = reconcile_tenant(ports, group_event())
    assert outcome.start_check is not None
    (check,) = start_checks(fakes)
    assert (check.tenant_id, check.creating) == (TENANT, False)  # every Cloud PC it meant to create exists
    started(ports, outcome)
    fakes.clock.advance(hours=1)
    assert pending_starts.due_starts(ports) == []
    for cloud_pc in fakes.cloud_pcs.list_all_cloud_pcs(TENANT):
        fakes.cloud_pcs.upsert_cloud_pc(cloud_pc.model_copy(update={"status": "provisioned"}))
    # nothing to create or start: no check at all
    assert reconcile_tenant(ports, group_event()).start_check is None
    assert start_checks(fakes) == []


def test_cloud_pcs_a_dead_reconcile_created_are_started_after_the_grace_and_the_rest_reconciled_again() -> None:
    fakes = Fakes()
    fakes.cloud_pcs = table = DiesMidInsert(fakes.storage)
    table.survivors = 2
    ports, _ = arranged(fakes)
    with pytest.raises(RuntimeError):
        reconcile_tenant(ports, group_event())
    assert len(pending_ids(fakes)) == 2
    (check,) = start_checks(fakes)
    assert check.creating  # it died before creating every Cloud PC

    fakes.clock.advance(seconds=29)
    assert pending_starts.due_starts(ports) == []  # within the grace the reconcile may still be at work
    fakes.clock.advance(seconds=2)
    (tenant,) = pending_starts.due_starts(ports)
    assert started_ids([tenant]) == pending_ids(fakes)
    assert {run.run for run in tenant.runs} == {1}
    assert tenant.settled and tenant.reconcile_again
    assert pending_starts.settle(ports, tenant)
    assert fakes.events.published == [DirectoryEvent(tenant_id=TENANT, full=True)]
    assert start_checks(fakes) == []

    # the queued reconcile makes the two the dead one never made, and starts all four: one per user
    table.survivors = None
    again = reconcile_tenant(ports, fakes.events.published[0])
    assert len(again.created) == 2
    assert sorted(item.cloud_pc_id for item in again.to_provision) == pending_ids(fakes)
    assert sorted(c.user_id for c in fakes.cloud_pcs.list_all_cloud_pcs(TENANT)) == USERS


def test_young_cloud_pcs_wait_for_the_grace_and_keep_the_check_due() -> None:
    ports, fakes = arranged()
    fakes.directory.add_group(TENANT, GROUP, "ann", "bob")
    reconcile_tenant(ports, group_event())  # the host dies before starting them: no `started`
    first_two = pending_ids(fakes)
    fakes.clock.advance(seconds=20)
    fakes.directory.add_group(TENANT, GROUP, *USERS)
    later = reconcile_tenant(ports, group_event())  # so does this one, 20 s later
    assert sorted(later.created) == sorted(set(pending_ids(fakes)) - set(first_two))

    fakes.clock.advance(seconds=11)  # the first check is due; cat's and dan's Cloud PCs are 11 s old
    (tenant,) = pending_starts.due_starts(ports)
    assert started_ids([tenant]) == first_two
    assert not tenant.settled
    assert not pending_starts.settle(ports, tenant)
    assert len(start_checks(fakes)) == 2  # a reconcile may still be starting the young ones

    fakes.clock.advance(seconds=20)
    (tenant,) = pending_starts.due_starts(ports)
    assert len(tenant.checks) == 2 and tenant.settled and not tenant.reconcile_again
    # the runs the first sweep started are offered again: the host refuses a start of one under way
    assert started_ids([tenant]) == pending_ids(fakes)
    assert pending_starts.settle(ports, tenant)
    assert start_checks(fakes) == []
    assert fakes.events.published == []


def test_a_cloud_pc_waiting_for_a_license_is_not_started_by_the_sweep() -> None:
    ports, fakes = arranged()
    fakes.directory.add_group(TENANT, GROUP, "ann", "bob")
    fakes.directory.set_licenses(TENANT, "dan")  # the tenant's licenses: Ann's, Bob's and Cat's
    started(ports, reconcile_tenant(ports, group_event()))
    for cloud_pc in fakes.cloud_pcs.list_all_cloud_pcs(TENANT):
        fakes.cloud_pcs.upsert_cloud_pc(cloud_pc.model_copy(update={"status": "provisioned"}))
    # Bob's license goes to Cat while Bob's Cloud PC is in its grace period: Cat's waits for a license
    fakes.directory.set_licenses(TENANT, "bob")
    started(ports, reconcile_tenant(ports, DirectoryEvent(tenant_id=TENANT, user_ids=["bob"])))
    fakes.directory.add_members(TENANT, GROUP, "cat")
    outcome = reconcile_tenant(ports, DirectoryEvent(tenant_id=TENANT, user_ids=["cat"]))
    assert outcome.to_provision == [] and outcome.start_check is not None  # and the host dies here

    fakes.clock.advance(seconds=31)
    (tenant,) = pending_starts.due_starts(ports)
    assert tenant.runs == [] and tenant.settled and not tenant.reconcile_again
    (cats,) = fakes.cloud_pcs.list_cloud_pcs_in_status(TENANT, "pendingProvision")
    assert cats.user_id == "cat" and cats.status_detail is not None
    assert cats.status_detail.code == "waitingForLicense"
    assert pending_starts.settle(ports, tenant)
    assert start_checks(fakes) == []

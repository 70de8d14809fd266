"""Cloud PC actions on fakes: power and resize through their phases, troubleshoot, and bulk items applied once."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, cast

import pytest

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.errors import Conflict, PreconditionFailed, ValidationFailed
from shared.models.cloud_pc_actions import BulkAction, BulkActionItem
from shared.models.cloud_pc_work import Performed
from shared.models.cloud_pcs import CloudPc
from shared.models.orchestrations import PhasedStep, VmActionRun
from shared.ports.cloud_errors import UNANSWERED, CloudError
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import bulk_actions, cloud_pc_actions, due_sweep, vm_actions
from shared.services.cloud_pcs.provisioning_steps import placement_of, vm_name
from shared.services.engine.phased import HOLD_WAIT_S, MIN_WAIT_S
from shared.storage.bulk_actions import BulkActionRepository
from tests.fakes import Fakes
from tests.fakes.seed import BIG_PLAN, PLAN, TENANT, tenant
from tests.unit.test_lifecycle import in_grace, provisioned
from triggers.http_responses import error_response


def arranged() -> tuple[EnginePorts, Fakes, CloudPc]:
    fakes = Fakes()
    tenant(fakes)
    fakes.directory.add_user(TENANT, "ann", PLAN)
    row = provisioned(fakes)
    ports = fakes.engine_ports()
    fakes.intune.set_primary_user(TENANT, row.managed_device_name or "", "ann")
    assert row.build is not None
    fakes.intune.assign_user(TENANT, placement_of(row.build), vm_name(row.id, row.run, 1), "ann", False)
    return ports, fakes, row


def run_to_the_end(ports: EnginePorts, performed: Performed) -> PhasedStep[VmActionRun]:
    """What the orchestration does: call the activity until it answers an outcome (waits are not waited)."""
    assert performed.vm_action is not None
    step = vm_actions.advance_vm_action(ports, performed.vm_action)
    for _ in range(20):
        if step.outcome is not None:
            return step
        step = vm_actions.advance_vm_action(ports, step.run)
    raise AssertionError("the action never ended")


def test_power_off_deallocates_and_keeps_the_status() -> None:
    ports, fakes, row = arranged()
    fakes.script.wait("deallocate", times=2, retry_after_s=5)
    performed = cloud_pc_actions.perform(ports, TENANT, row.id, "powerOff", request_id="r1")
    assert performed.cloud_pc.status == "provisioned" and performed.provisioning_run is None
    first = vm_actions.advance_vm_action(ports, performed.vm_action)  # type: ignore[arg-type]
    assert first.outcome is None and first.wait_seconds == 5 and first.run.operation
    assert run_to_the_end(ports, performed).outcome == "succeeded"
    assert fakes.operations.power[(TENANT, vm_name(row.id, row.run, 1))] == "deallocated"
    names = [e.name for e in fakes.cloud_pcs.list_events(TENANT, row.id)]
    assert names[-2:] == ["powerOffRequested", "poweredOff"]


def test_an_action_in_the_wrong_state_is_refused_by_the_state_machine() -> None:
    ports, fakes, row = arranged()
    fakes.cloud_pcs.upsert_cloud_pc(row.model_copy(update={"status": "failed"}))
    with pytest.raises(Conflict) as refused:
        cloud_pc_actions.perform(ports, TENANT, row.id, "reboot", request_id="r1")
    assert refused.value.code == "wrongStatus"


def test_resize_moves_the_license_deallocates_resizes_grows_and_starts() -> None:
    ports, fakes, row = arranged()
    performed = cloud_pc_actions.perform(
        ports, TENANT, row.id, "resize", request_id="r1", target_service_plan_id=BIG_PLAN
    )
    assert performed.cloud_pc.status == "resizing" and performed.cloud_pc.service_plan_id == BIG_PLAN
    assert run_to_the_end(ports, performed).outcome == "succeeded"
    done = fakes.cloud_pcs.get_cloud_pc(TENANT, row.id)
    big = SERVICE_PLANS_BY_ID[BIG_PLAN]
    assert (done.status, done.service_plan_id, done.resize_from_service_plan_id) == ("provisioned", BIG_PLAN, None)
    assert done.build is not None and (done.build.vm_size, done.build.os_disk_size_gb) == (
        big.vm_size,
        big.storage_in_gb,
    )
    vm = vm_name(row.id, row.run, 1)
    assert fakes.operations.sizes[(TENANT, vm)] == (big.vm_size, big.storage_in_gb)
    assert fakes.operations.power[(TENANT, vm)] == "running"
    assert fakes.directory.get_users(TENANT, ["ann"])["ann"].licenses == (BIG_PLAN,)


def test_resize_refusals_and_a_failure_that_returns_to_the_old_plan() -> None:
    ports, fakes, row = arranged()
    with pytest.raises(ValidationFailed):
        cloud_pc_actions.perform(ports, TENANT, row.id, "resize", request_id="r1", target_service_plan_id=PLAN)
    fakes.licenses.bought[(TENANT, BIG_PLAN)] = 0
    with pytest.raises(Conflict) as refused:
        cloud_pc_actions.perform(ports, TENANT, row.id, "resize", request_id="r1", target_service_plan_id=BIG_PLAN)
    assert refused.value.code == "noFreeLicense"
    fakes.licenses.bought.clear()
    fakes.script.fail("switch_license", code="noFreeLicense")
    performed = cloud_pc_actions.perform(
        ports, TENANT, row.id, "resize", request_id="r2", target_service_plan_id=BIG_PLAN
    )
    assert run_to_the_end(ports, performed).outcome == "failed"
    back = fakes.cloud_pcs.get_cloud_pc(TENANT, row.id)
    assert (back.status, back.service_plan_id) == ("provisioned", PLAN)
    assert back.status_detail is not None and back.status_detail.code == "resizeFailed"


def test_a_resize_to_a_smaller_disk_is_refused_at_the_plan_saying_to_reprovision() -> None:
    ports, _, row = arranged()
    on_256 = row.model_copy(update={"service_plan_id": BIG_PLAN})
    with pytest.raises(ValidationFailed) as refused:
        cloud_pc_actions.check_resize(ports, on_256, "w365-enterprise-8vcpu-32gb-128gb")  # more vCPUs, less disk
    [detail] = refused.value.details
    assert (detail.code, detail.target) == ("diskCannotShrink", "targetServicePlanId")
    assert detail.message == (
        "Windows 365 Enterprise 8 vCPU, 32 GB, 128 GB has a smaller disk (128 GB) than this "
        "Cloud PC's 256 GB; resize cannot shrink a disk: reprovision to change it."
    )
    cloud_pc_actions.check_resize(ports, on_256, "w365-enterprise-8vcpu-32gb-256gb")  # the same disk: resizable


def test_a_resize_is_refused_while_a_group_assigns_the_license_and_names_the_group() -> None:
    ports, fakes, row = arranged()
    fakes.directory.add_group(TENANT, "g-w365", "ann", display_name="Windows 365 users")
    fakes.directory.inherit_license(TENANT, "ann", PLAN, "g-w365")  # held directly and through the group
    before = fakes.cloud_pcs.get_cloud_pc(TENANT, row.id)
    with pytest.raises(Conflict) as refused:
        cloud_pc_actions.perform(ports, TENANT, row.id, "resize", request_id="r1", target_service_plan_id=BIG_PLAN)
    assert (refused.value.code, refused.value.target) == ("licenseAssignedByGroup", "targetServicePlanId")
    assert "'Windows 365 users' (g-w365)" in refused.value.message and "group's licenses" in refused.value.message
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, row.id).etag == before.etag  # nothing changed
    assert fakes.directory.get_users(TENANT, ["ann"])["ann"].licenses == (PLAN,)


def test_a_group_license_the_tenant_could_not_apply_does_not_hold_the_license() -> None:
    ports, fakes, row = arranged()
    fakes.directory.add_group(TENANT, "g-w365", "ann")
    fakes.directory.inherit_license(TENANT, "ann", PLAN, "g-w365", error="CountViolation")
    performed = cloud_pc_actions.perform(
        ports, TENANT, row.id, "resize", request_id="r1", target_service_plan_id=BIG_PLAN
    )
    assert run_to_the_end(ports, performed).outcome == "succeeded"


def test_a_resize_fails_clearly_when_a_group_came_to_assign_the_license_after_the_request() -> None:
    ports, fakes, row = arranged()
    performed = cloud_pc_actions.perform(
        ports, TENANT, row.id, "resize", request_id="r1", target_service_plan_id=BIG_PLAN
    )
    fakes.directory.add_group(TENANT, "g-w365", "ann")
    fakes.directory.inherit_license(TENANT, "ann", PLAN, "g-w365")
    assert run_to_the_end(ports, performed).outcome == "failed"
    back = fakes.cloud_pcs.get_cloud_pc(TENANT, row.id)
    assert (back.status, back.service_plan_id) == ("provisioned", PLAN)  # the license never moved
    assert back.status_detail is not None and "from group 'g-w365'" in back.status_detail.message
    assert fakes.directory.get_users(TENANT, ["ann"])["ann"].licenses == (PLAN,)


def test_troubleshoot_reports_each_check() -> None:
    ports, fakes, row = arranged()
    performed = cloud_pc_actions.perform(ports, TENANT, row.id, "troubleshoot", request_id="r1")
    run_to_the_end(ports, performed)
    result = fakes.cloud_pcs.get_cloud_pc(TENANT, row.id).last_troubleshoot_result
    assert result is not None and result.status == "healthy", result
    fakes.intune.delete_managed_device(TENANT, row.managed_device_name or "")
    performed = cloud_pc_actions.perform(ports, TENANT, row.id, "troubleshoot", request_id="r2")
    run_to_the_end(ports, performed)
    result = fakes.cloud_pcs.get_cloud_pc(TENANT, row.id).last_troubleshoot_result
    assert result is not None and result.status == "unhealthy"
    assert [c.name for c in result.checks if c.status == "failed"] == ["intuneDevice"]


def test_a_bulk_item_applied_before_a_crash_is_found_applied_not_refused() -> None:
    ports, fakes, row = arranged()
    fakes.cloud_pcs.upsert_cloud_pc(row.model_copy(update={"status": "failed"}))
    bulk = BulkAction(
        id="b1",
        tenant_id=TENANT,
        created_date_time=fakes.clock(),
        last_modified_date_time=fakes.clock(),
        action="retry",
    )
    item = BulkActionItem(cloud_pc_id=row.id, status="running")
    first, performed, _ = bulk_actions.apply_item(ports, bulk, item)
    again, performed_again, _ = bulk_actions.apply_item(ports, bulk, item)  # the redelivered message
    assert first.status == again.status == "succeeded"
    assert performed is not None and performed_again is not None
    assert performed.provisioning_run == performed_again.provisioning_run == row.run + 1
    other = bulk.model_copy(update={"id": "b2"})  # another request finds it pendingProvision: refused
    refused = bulk_actions.apply_item(ports, other, item).item
    assert refused.status == "failed" and refused.error is not None and refused.error.code == "wrongStatus"
    gone = bulk_actions.apply_item(ports, bulk, BulkActionItem(cloud_pc_id="nope")).item
    assert gone.error is not None and gone.error.code == "notFound"


def test_a_bulk_summary_from_its_items() -> None:
    fakes = Fakes()
    bulk = BulkAction(
        id="b1",
        tenant_id=TENANT,
        created_date_time=fakes.clock(),
        last_modified_date_time=fakes.clock(),
        action="reboot",
    )
    items = [BulkActionItem(cloud_pc_id=str(n), status="succeeded") for n in range(3)]
    assert bulk_actions.summarized(bulk, items).status == "succeeded"
    items.append(BulkActionItem(cloud_pc_id="x", status="failed"))
    assert bulk_actions.summarized(bulk, items).status == "partiallySucceeded"
    items.append(BulkActionItem(cloud_pc_id="y"))
    summary = bulk_actions.summarized(bulk, items)
    assert (summary.status, summary.counts.running) == ("running", 1)
    assert bulk_actions.summarized(bulk, items[3:4]).status == "failed"
    pending = [BulkActionItem(cloud_pc_id=str(n)) for n in range(25)]
    chunks = bulk_actions.chunks_to_run([*items[:4], *pending])  # settled items are not run again
    assert [len(c) for c in chunks] == [10, 10, 5] and {i.status for c in chunks for i in c} == {"running"}


class AzureHolds:
    """The Cloud PC store with Azure not answering for one Cloud PC (an item the bulk run must leave running)."""

    def __init__(self, fakes: Fakes, held: str, retry_after_s: float | None = None) -> None:
        self._store, self._held, self._retry_after_s = fakes.cloud_pcs, held, retry_after_s

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def get_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc:
        if cloud_pc_id == self._held:
            held = CloudError("getCloudPc", UNANSWERED, "Azure did not answer")
            held.retry_after_s = self._retry_after_s
            raise held
        return self._store.get_cloud_pc(tenant_id, cloud_pc_id)


def test_a_bulk_run_starts_each_chunks_work_before_its_results_are_saved_and_runs_again_for_items_held() -> None:
    ports, fakes, row = arranged()
    fakes.cloud_pcs.upsert_cloud_pc(row.model_copy(update={"status": "failed"}))
    bulks = BulkActionRepository(fakes.storage)
    gone = [f"x-gone-{n:02}" for n in range(10)]
    ids = [row.id, *gone, "z-held"]  # in the order the items are listed
    bulk = BulkAction(
        id="b1",
        tenant_id=TENANT,
        created_date_time=fakes.clock(),
        last_modified_date_time=fakes.clock(),
        action="retry",
    )
    bulks.create_bulk_action(bulk, [BulkActionItem(cloud_pc_id=i) for i in ids])
    started: list[tuple[list[str], list[str]]] = []  # per chunk: the work started, the items then still running

    def start(performed: list[Performed]) -> None:
        running = [i.cloud_pc_id for i in bulks.list_items(TENANT, "b1") if i.status == "running"]
        started.append(([p.cloud_pc.id for p in performed], running))

    held = dataclasses.replace(ports, cloud_pcs=AzureHolds(fakes, "z-held"))
    ran = bulk_actions.run(held, bulks, TENANT, "b1", start)
    assert started == [([row.id], ids[:10]), ([], ids[10:])]
    assert (ran.summary.status, ran.summary.counts.model_dump()) == (
        "running",
        {"succeeded": 1, "failed": 10, "running": 1},
    )
    assert ran.again_in_s == HOLD_WAIT_S
    assert bulks.get_bulk_action(TENANT, "b1").counts == ran.summary.counts
    again = bulk_actions.run(ports, bulks, TENANT, "b1", start)  # Azure answers now; the rest is not run again
    assert started[2:] == [([], ["z-held"])] and again.again_in_s is None
    assert again.summary.counts.model_dump() == {"succeeded": 1, "failed": 11, "running": 0}


class OtherWorkAtEveryRead:
    """The Cloud PC store with other work of the app writing the row just after each of the first `times` reads
    (an action's orchestration noting the power state), so the action's etag-checked write meets it."""

    def __init__(self, fakes: Fakes, times: int) -> None:
        self._store, self._left = fakes.cloud_pcs, times

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def get_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> CloudPc:
        read = self._store.get_cloud_pc(tenant_id, cloud_pc_id)
        if self._left > 0:
            self._left -= 1
            power = "poweredOff" if read.power_state == "running" else "running"
            self._store.upsert_cloud_pc(read.model_copy(update={"power_state": power}))
        return read


def test_an_action_meeting_the_apps_own_write_is_applied_on_the_row_as_it_is_now() -> None:
    ports, fakes, row = arranged()
    racing = dataclasses.replace(ports, cloud_pcs=OtherWorkAtEveryRead(fakes, times=1))
    performed = cloud_pc_actions.perform(racing, TENANT, row.id, "powerOn", request_id="r1")
    assert performed.cloud_pc.last_request_id == "r1"
    names = [e.name for e in fakes.cloud_pcs.list_events(TENANT, row.id)]
    assert names[-1] == "powerOnRequested"


def test_an_action_on_a_row_that_keeps_changing_is_a_conflict_saying_so_not_a_stale_if_match() -> None:
    ports, fakes, row = arranged()
    racing = dataclasses.replace(ports, cloud_pcs=OtherWorkAtEveryRead(fakes, times=100))
    with pytest.raises(Conflict) as refused:
        cloud_pc_actions.perform(racing, TENANT, row.id, "reboot", request_id="r1")
    assert refused.value.code == "concurrentChange" and "under way" in refused.value.message


def test_a_412_is_only_for_an_if_match_the_caller_sent() -> None:
    stale = PreconditionFailed.stale("CloudPc", "cpc-1")
    assert error_response(stale, if_match_sent=True).status_code == 412
    answered = error_response(stale, if_match_sent=False)
    error = json.loads(answered.get_body())["error"]
    assert (answered.status_code, error["code"]) == (409, "concurrentChange")
    assert "If-Match" not in error["message"] and "CloudPc 'cpc-1'" in error["message"]


def test_a_bulk_run_held_by_azure_runs_again_when_azure_asked_by_the_one_rule() -> None:
    ports, fakes, _ = arranged()
    bulks = BulkActionRepository(fakes.storage)
    bulk = BulkAction(
        id="b1",
        tenant_id=TENANT,
        created_date_time=fakes.clock(),
        last_modified_date_time=fakes.clock(),
        action="reboot",
    )
    bulks.create_bulk_action(bulk, [BulkActionItem(cloud_pc_id="z-held")])
    held = dataclasses.replace(ports, cloud_pcs=AzureHolds(fakes, "z-held", retry_after_s=12.0))
    assert bulk_actions.run(held, bulks, TENANT, "b1", lambda performed: None).again_in_s == 12.0
    briefly = dataclasses.replace(ports, cloud_pcs=AzureHolds(fakes, "z-held", retry_after_s=0.1))
    assert bulk_actions.run(briefly, bulks, TENANT, "b1", lambda performed: None).again_in_s == MIN_WAIT_S


def test_an_end_of_grace_cut_short_is_found_applied_by_its_request_and_finished_by_the_sweep() -> None:
    """A bulk item run twice (its queue message delivered again while the first run still works, or after it died)
    meets the Cloud PC deprovisioning: the same request finds it applied, and the next sweep finishes it."""
    fakes = Fakes()
    tenant(fakes)
    ports = fakes.engine_ports()
    row = in_grace(ports, fakes)

    class Dying:  # the store, for a run that dies before the Cloud PC is deleted
        def __getattr__(self, name: str) -> Any:
            return getattr(fakes.cloud_pcs, name)

        def delete_cloud_pc(self, tenant_id: str, cloud_pc_id: str) -> None:
            raise RuntimeError("the host died")

    dying = dataclasses.replace(ports, cloud_pcs=cast(Any, Dying()))
    with pytest.raises(RuntimeError):
        cloud_pc_actions.perform(dying, TENANT, row.id, "endGracePeriod", request_id="r1")
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, row.id).status == "deprovisioning"
    again = cloud_pc_actions.perform(ports, TENANT, row.id, "endGracePeriod", request_id="r1")
    assert again.cloud_pc.status == "deprovisioning"
    with pytest.raises(Conflict, match="deprovisioning"):  # another request is refused for the status, as before
        cloud_pc_actions.perform(ports, TENANT, row.id, "endGracePeriod", request_id="r2")
    due_sweep.sweep(ports)
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, row.id) is None


def test_a_first_vm_delete_azure_refuses_does_not_stop_the_deprovision() -> None:
    fakes = Fakes()
    tenant(fakes)
    ports = fakes.engine_ports()
    row = in_grace(ports, fakes)
    fakes.script.fail("delete_vm", code="Conflict")
    cloud_pc_actions.perform(ports, TENANT, row.id, "endGracePeriod", request_id="r1")
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, row.id) is None
    assert [w.kind for w in fakes.scheduled() if w.cloud_pc_id == row.id and w.kind == "removeVms"] == ["removeVms"]

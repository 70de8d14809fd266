"""The real repositories on the in-memory table service, and the cloud fakes, each keep their contract: service
tests on them mean what they say."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from shared.models.lifecycle import DueWork
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement, VmSpec
from shared.services.cloud_pcs.timeline import timeline_event
from tests.fakes import T0, Fakes
from tests.fakes.seed import TENANT, cloud_pc, policy, site, tenant

PLACE = Placement("sub", "rg", "westeurope")


def test_every_write_changes_the_etag_and_a_stale_etag_is_refused() -> None:
    fakes = Fakes()
    first = tenant(fakes)
    second = fakes.tenants.upsert_tenant(first.model_copy(update={"display_name": "Renamed"}), if_match=first.etag)
    assert first.etag and second.etag and second.etag != first.etag
    with pytest.raises(PreconditionFailed) as stale:
        fakes.tenants.upsert_tenant(first.model_copy(update={"display_name": "Lost"}), if_match=first.etag)
    assert stale.value.code == "preconditionFailed"
    with pytest.raises(PreconditionFailed):
        fakes.tenants.delete_tenant(TENANT, if_match=first.etag)
    assert fakes.tenants.get_tenant(TENANT).display_name == "Renamed"
    assert fakes.tenants.get_tenant(TENANT).etag == second.etag


def test_a_conditional_write_of_a_missing_row_is_not_found_and_deletes_are_idempotent() -> None:
    fakes = Fakes()
    row = tenant(fakes)
    fakes.tenants.delete_tenant(TENANT, if_match=row.etag)
    fakes.tenants.delete_tenant(TENANT)
    with pytest.raises(NotFound):
        fakes.tenants.upsert_tenant(row, if_match=row.etag)
    with pytest.raises(NotFound):
        fakes.tenants.upsert_tenant(row, if_match="*")


def test_create_only_writes_conflict_and_inserts_skip_existing_cloud_pcs() -> None:
    fakes = Fakes()
    stored = policy(fakes, "finance")
    with pytest.raises(Conflict) as exists:
        fakes.policies.upsert_policy(stored, if_none_match=True)
    assert (exists.value.code, exists.value.target) == ("alreadyExists", "id")
    first = cloud_pc(fakes, "ann")
    created = fakes.cloud_pcs.insert_cloud_pcs([first, first.model_copy(update={"id": "cpc-new"})])
    assert [c.id for c in created] == ["cpc-new"]


def test_get_raises_not_found_naming_the_resource_and_find_answers_none() -> None:
    fakes = Fakes()
    with pytest.raises(NotFound) as missing:
        fakes.cloud_pcs.get_cloud_pc(TENANT, "nope")
    assert (missing.value.code, missing.value.target) == ("notFound", "cloudPcId")
    assert "Cloud PC 'nope'" in missing.value.message
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, "nope") is None
    with pytest.raises(NotFound):
        fakes.cloud_pcs.merge_cloud_pc(cloud_pc(Fakes(), "ann"), ["status"])


def test_stored_rows_cannot_be_changed_through_the_objects_a_test_holds() -> None:
    fakes = Fakes()
    written = cloud_pc(fakes, "ann", warnings=["w"])
    written.warnings.append("sneaky")
    read = fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-ann")
    read.warnings.append("sneaky")
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-ann").warnings == ["w"]


def test_paging_follows_the_skip_token_to_the_end_in_key_order() -> None:
    fakes = Fakes()
    for region in ("westeurope", "northeurope", "eastus", "westus", "uksouth"):
        site(fakes, region=region)
    site(fakes, tenant_id="other")
    seen, token, pages = [], None, 0
    while True:
        items, token = fakes.sites.list_sites(TENANT, top=2, skip_token=token)
        seen += [s.region_name for s in items]
        pages += 1
        if token is None:
            break
    assert seen == ["eastus", "northeurope", "uksouth", "westeurope", "westus"]
    assert pages == 3
    with pytest.raises(ValidationFailed):
        fakes.sites.list_sites(TENANT, skip_token="not-a-token")


def test_cloud_pc_lists_filter_by_stored_property_names() -> None:
    fakes = Fakes()
    cloud_pc(fakes, "ann", status="provisioned")
    cloud_pc(fakes, "bob")
    items, _ = fakes.cloud_pcs.list_cloud_pcs(TENANT, {"status": "provisioned"})
    assert [c.user_id for c in items] == ["ann"]
    assert [c.user_id for c in fakes.cloud_pcs.list_cloud_pcs(TENANT, {"userId": "bob"})[0]] == ["bob"]


def test_a_merge_writes_only_the_named_fields() -> None:
    fakes = Fakes()
    stored = cloud_pc(fakes, "ann")
    fakes.cloud_pcs.merge_cloud_pc(stored.model_copy(update={"attempt": 2, "display_name": "x"}), ["attempt"])
    after = fakes.cloud_pcs.get_cloud_pc(TENANT, "cpc-ann")
    assert (after.attempt, after.display_name) == (2, stored.display_name)
    assert after.etag != stored.etag


def due(kind: str, minutes: int, cloud_pc_id: str) -> DueWork:
    return DueWork.model_validate(
        {
            "kind": kind,
            "due_date_time": T0 + timedelta(minutes=minutes),
            "tenant_id": TENANT,
            "cloud_pc_id": cloud_pc_id,
            "run": 1,
            "generation": 1,
        }
    )


def test_due_work_is_listed_earliest_first_and_only_once_due() -> None:
    fakes = Fakes()
    for work in (due("cleanUp", 30, "c"), due("graceExpiry", 10, "a"), due("cleanUp", 20, "b")):
        fakes.due.upsert_due(work)
    assert [w.cloud_pc_id for w in fakes.due.list_due(T0 + timedelta(minutes=25))] == ["a", "b"]
    assert [w.cloud_pc_id for w in fakes.due.list_due(T0 + timedelta(hours=1), top=2)] == ["a", "b"]
    fakes.due.delete_due(due("graceExpiry", 10, "a"))
    assert [w.cloud_pc_id for w in fakes.scheduled()] == ["b", "c"]


def test_a_device_name_belongs_to_the_first_claimant_until_released() -> None:
    fakes = Fakes()
    assert fakes.cloud_pcs.claim_device_name(TENANT, "CPC-ANN-1", "a")
    assert fakes.cloud_pcs.claim_device_name(TENANT, "CPC-ANN-1", "a")
    assert not fakes.cloud_pcs.claim_device_name(TENANT, "CPC-ANN-1", "b")
    assert fakes.cloud_pcs.claim_device_name("other", "CPC-ANN-1", "b")
    fakes.cloud_pcs.release_device_name(TENANT, "CPC-ANN-1")
    assert fakes.cloud_pcs.claim_device_name(TENANT, "CPC-ANN-1", "b")


def test_a_timeline_line_written_again_keeps_its_latest_version() -> None:
    fakes = Fakes()
    running = timeline_event("a", 1, 1, "createVm", T0, kind="step", attempt=1, start=T0, outcome="running")
    done = timeline_event(
        "a", 1, 1, "createVm", T0 + timedelta(minutes=3), kind="step", attempt=1, start=T0, outcome="succeeded"
    )
    fakes.cloud_pcs.upsert_events(TENANT, [done])
    fakes.cloud_pcs.upsert_event(TENANT, running)  # a late repeat of the older line does not win
    started = timeline_event("a", 1, 1, "provisioningStarted", T0 - timedelta(seconds=1))
    fakes.cloud_pcs.upsert_event(TENANT, started)
    lines = fakes.cloud_pcs.list_events(TENANT, "a")
    assert [(e.name, e.outcome) for e in lines] == [("provisioningStarted", "info"), ("createVm", "succeeded")]
    assert fakes.cloud_pcs.list_events(TENANT, "b") == []


def spec(name: str) -> VmSpec:
    return VmSpec(name, f"nic-{name}", name.upper(), PLACE, "Standard_D2s_v5", "gallery", "img", 128, None)


def test_a_scripted_fault_fails_the_next_calls_then_the_operation_works() -> None:
    fakes = Fakes()
    fakes.script.fail("create_vm", times=2, code="AllocationFailed")
    for _ in range(2):
        with pytest.raises(CloudError) as failed:
            fakes.compute.create_vm(TENANT, spec("vm1"))
        assert (failed.value.step, failed.value.code) == ("create_vm", "AllocationFailed")
    assert fakes.compute.create_vm(TENANT, spec("vm1")).done
    assert fakes.script.calls["create_vm"] == 3
    assert fakes.compute.vm_names(TENANT) == ["vm1"] and fakes.compute.nic_names(TENANT) == ["nic-vm1"]


def test_a_scripted_wait_answers_not_done_with_a_token_to_poll() -> None:
    fakes = Fakes()
    fakes.script.wait("create_vm", times=1, retry_after_s=15)
    first = fakes.compute.create_vm(TENANT, spec("vm1"))
    assert (first.done, first.retry_after_s) == (False, 15)
    assert fakes.compute.vm_names(TENANT) == []
    assert fakes.compute.create_vm(TENANT, spec("vm1"), first.operation).done
    assert fakes.script.log == [("create_vm", None), ("create_vm", first.operation)]


def test_a_run_command_is_scripted_by_its_own_name_before_the_methods() -> None:
    fakes = Fakes()
    fakes.compute.create_vm(TENANT, spec("vm1"))
    fakes.script.fail("disableWindowsReset", times=None)
    fakes.compute.run_command(TENANT, PLACE, "vm1", "setTeamsVdiMode", [])
    with pytest.raises(CloudError):
        fakes.compute.run_command(TENANT, PLACE, "vm1", "disableWindowsReset", [])
    assert fakes.compute.vms[(TENANT, "vm1")].commands == ["setTeamsVdiMode"]
    assert fakes.script.calls["run_command"] == 2


def test_a_nic_goes_only_once_its_vm_is_gone() -> None:
    fakes = Fakes()
    fakes.compute.create_vm(TENANT, spec("vm1"))
    with pytest.raises(CloudError):
        fakes.compute.delete_nic(TENANT, PLACE, "nic-vm1")
    assert fakes.compute.delete_vm(TENANT, PLACE, "vm1").done
    assert fakes.compute.delete_nic(TENANT, PLACE, "nic-vm1").done
    assert fakes.compute.delete_nic(TENANT, PLACE, "nic-vm1").done  # already gone is done too
    assert fakes.compute.nic_names(TENANT) == []


def test_the_clock_moves_only_when_told_and_events_are_recorded() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports(max_attempts=1)
    assert ports.clock() == T0 and ports.max_attempts == 1
    fakes.clock.advance(minutes=5)
    assert ports.clock() == T0 + timedelta(minutes=5)
    ports.events.publish_directory_event(TENANT, group_ids=["g"])
    assert [(e.tenant_id, e.group_ids, e.full) for e in fakes.events.published] == [(TENANT, ["g"], False)]


def test_the_fake_directory_looks_groups_up_as_graph_does() -> None:
    fakes = Fakes()
    for group_id, name in (("g1", "HR"), ("g2", "finance-eu"), ("g3", "Finance"), ("g4", "Fine Arts")):
        fakes.directory.add_group(TENANT, group_id, display_name=name)
    fakes.directory.add_group(TENANT, "g5")  # no name given: its id is its name
    found = fakes.directory.find_groups(TENANT, "FIN", 2)
    assert [(g.id, g.display_name) for g in found] == [("g3", "Finance"), ("g2", "finance-eu")]
    assert [g.id for g in fakes.directory.find_groups(TENANT, None, 10)] == ["g3", "g2", "g4", "g5", "g1"]
    assert fakes.directory.find_groups("another-tenant", "fin", 10) == []
    fakes.script.fail("find_groups", code="TooManyRequests")
    with pytest.raises(CloudError):
        fakes.directory.find_groups(TENANT, "fin", 10)

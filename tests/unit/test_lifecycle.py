"""Lifecycle on fakes: grace expiry, deprovisioning, clean-up, and the admin's end-grace, retry and reprovision."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.errors import Conflict
from shared.models.cloud_pcs import BuildSettings, CloudPc
from shared.ports.compute import VmSpec
from shared.ports.engine_ports import EnginePorts
from shared.services.cloud_pcs import due_sweep, lifecycle
from shared.services.cloud_pcs.provisioning_steps import join_spec, nic_name, placement_of, vm_name
from tests.fakes import Fakes
from tests.fakes.seed import GALLERY_IMAGE, REGION, SUBSCRIPTION, TENANT, cloud_pc

DEVICE = "CPC-ANN-7K3QZ"


def build(join: str = "azureADJoin") -> BuildSettings:
    hybrid = join == "hybridAzureADJoin"
    return BuildSettings(
        image_type="gallery",
        image_id=GALLERY_IMAGE,
        image_display_name="Windows 11",
        domain_join_type=join,
        region_name=REGION,
        subscription_id=SUBSCRIPTION,
        resource_group="rg-cloudpcs",
        vm_size="Standard_D2s_v5",
        os_disk_size_gb=128,
        naming_template="CPC-%USERNAME:4%-%RAND:5%",
        ad_domain_name="corp.contoso.com" if hybrid else None,
        subnet_id="subnet" if hybrid else None,
    )


def provisioned(fakes: Fakes, join: str = "azureADJoin") -> CloudPc:
    """A provisioned Cloud PC with what its run made in the cloud: VM and NIC, Entra and Intune devices, name."""
    settings = build(join)
    row = cloud_pc(fakes, "ann", status="provisioned", build=settings, managed_device_name=DEVICE, attempt=1)
    placement = placement_of(settings)
    vm = vm_name(row.id, row.run, 1)
    spec = VmSpec(
        vm,
        nic_name(row.id, row.run, 1),
        DEVICE,
        placement,
        settings.vm_size,
        "gallery",
        GALLERY_IMAGE,
        128,
        settings.subnet_id,
    )
    assert fakes.cloud_pcs.claim_device_name(TENANT, DEVICE, row.id)
    fakes.compute.create_vm(TENANT, spec)
    fakes.devices.join_device(TENANT, placement, vm, join_spec(settings, DEVICE))
    fakes.intune.enroll_device(TENANT, placement, vm, join_spec(settings, DEVICE))
    return row


def in_grace(ports: EnginePorts, fakes: Fakes, join: str = "azureADJoin") -> CloudPc:
    return lifecycle.enter_grace(ports, provisioned(fakes, join), "The user is no longer in a group")


def timeline(fakes: Fakes, cloud_pc_id: str) -> list[str]:
    return [e.name for e in fakes.cloud_pcs.list_events(TENANT, cloud_pc_id)]


def clean_ups(fakes: Fakes) -> list[datetime]:
    """When clean-ups are due (an ended grace period's expiry entry stays, and finds nothing to do)."""
    return [w.due_date_time for w in fakes.scheduled() if w.kind == "cleanUp"]


def test_a_sweep_deprovisions_an_expired_grace_period_and_schedules_the_clean_up() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    grace = in_grace(ports, fakes)
    fakes.clock.advance(ports.grace_period - timedelta(seconds=1))
    due_sweep.sweep(ports)
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, grace.id).status == "inGracePeriod"

    fakes.clock.advance(seconds=2)
    assert due_sweep.sweep(ports) == 1
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, grace.id) is None
    assert fakes.compute.vm_names(TENANT) == []
    assert [(w.kind, w.due_date_time) for w in fakes.scheduled()] == [("cleanUp", fakes.clock() + ports.cleanup_delay)]
    assert "deprovisioned" in timeline(fakes, grace.id)
    assert [(e.tenant_id, e.full) for e in fakes.events.published] == [(TENANT, True)]
    assert due_sweep.sweep(ports) == 0  # nothing more is due until the clean-up


def test_the_clean_up_deletes_nics_and_devices_and_frees_the_device_name() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    grace = in_grace(ports, fakes)
    fakes.clock.advance(ports.grace_period + timedelta(seconds=1))
    due_sweep.sweep(ports)
    assert fakes.compute.nic_names(TENANT) != []  # NICs wait for the clean-up

    fakes.clock.advance(ports.cleanup_delay)
    due_sweep.sweep(ports)
    assert fakes.compute.nic_names(TENANT) == []
    assert fakes.devices.devices == {} and fakes.intune.managed_devices == {}
    assert fakes.cloud_pcs.claim_device_name(TENANT, DEVICE, "someone-else")
    assert fakes.scheduled() == []
    assert timeline(fakes, grace.id)[-1] == "cleanedUp"


def test_a_hybrid_joined_cloud_pcs_computer_account_is_disabled_never_deleted() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    grace = in_grace(ports, fakes, "hybridAzureADJoin")
    lifecycle.end_grace_period(ports, TENANT, grace.id)
    fakes.clock.advance(ports.cleanup_delay)
    due_sweep.sweep(ports)
    assert fakes.devices.computer_accounts == {(TENANT, DEVICE): "disabled"}


def test_a_clean_up_waits_while_azure_is_still_deleting() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    lifecycle.end_grace_period(ports, TENANT, in_grace(ports, fakes).id)
    fakes.script.wait("delete_nic", times=1, retry_after_s=60)
    fakes.clock.advance(ports.cleanup_delay)
    due_sweep.sweep(ports)
    assert clean_ups(fakes) == [fakes.clock() + timedelta(seconds=60)]
    assert fakes.cloud_pcs.claim_device_name(TENANT, DEVICE, "someone-else") is False

    fakes.clock.advance(seconds=60)
    due_sweep.sweep(ports)
    assert clean_ups(fakes) == [] and fakes.compute.nic_names(TENANT) == []


def test_a_restored_cloud_pc_survives_its_old_grace_expiry() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    grace = in_grace(ports, fakes)
    lifecycle.restore_from_grace(ports, grace)
    fakes.clock.advance(ports.grace_period + timedelta(days=1))
    due_sweep.sweep(ports)
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, grace.id).status == "provisioned"
    assert fakes.compute.vm_names(TENANT) != [] and fakes.scheduled() == []


def test_ending_a_grace_period_deprovisions_now() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    grace = in_grace(ports, fakes)
    lifecycle.end_grace_period(ports, TENANT, grace.id)
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, grace.id) is None
    assert fakes.compute.vm_names(TENANT) == []
    assert clean_ups(fakes) == [fakes.clock() + ports.cleanup_delay]


def test_a_vm_delete_azure_holds_is_asked_again_soon_not_at_the_clean_up() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    grace = in_grace(ports, fakes)
    fakes.script.fail("delete_vm", times=1, code="TooManyRequests", status=429, retry_after_s=7)
    lifecycle.end_grace_period(ports, TENANT, grace.id)  # the admin's action still succeeds
    assert fakes.cloud_pcs.find_cloud_pc(TENANT, grace.id) is None
    assert len(fakes.compute.vm_names(TENANT)) == 1  # Azure said not now
    [removal] = [w for w in fakes.scheduled() if w.kind == "removeVms"]
    assert removal.due_date_time == fakes.clock() + timedelta(seconds=7)
    fakes.clock.advance(seconds=7)
    due_sweep.sweep(ports)
    assert fakes.compute.vm_names(TENANT) == []
    assert "removeVms" not in [w.kind for w in fakes.scheduled()]  # done; the clean-up still waits its time
    assert clean_ups(fakes) != []


def test_a_clean_up_whose_vm_azure_has_not_deleted_yet_waits_without_a_failure() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    grace = in_grace(ports, fakes)
    fakes.script.fail("delete_vm", times=None, code="TooManyRequests", status=429, retry_after_s=3600)
    lifecycle.end_grace_period(ports, TENANT, grace.id)  # its VM's delete is held past the clean-up's time
    fakes.clock.advance(ports.cleanup_delay)
    due_sweep.sweep(ports)
    assert clean_ups(fakes) == [fakes.clock() + timedelta(seconds=60)]  # NicInUse: not done yet, asked rarely
    assert fakes.compute.nic_names(TENANT) != []
    assert "cleanUpRefused" not in timeline(fakes, grace.id)


def test_a_due_work_that_fails_is_tried_again_a_minute_later_not_at_every_sweep() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    lifecycle.end_grace_period(ports, TENANT, in_grace(ports, fakes).id)
    fakes.script.fail("delete_nic", times=1, code="SomethingNew", status=400)
    fakes.clock.advance(ports.cleanup_delay)
    due_sweep.sweep(ports)
    assert clean_ups(fakes) == [fakes.clock() + lifecycle.FAILED_DUE_RETRY]
    assert due_sweep.sweep(ports) == 0  # not at the next sweep

    fakes.clock.advance(lifecycle.FAILED_DUE_RETRY)
    due_sweep.sweep(ports)
    assert clean_ups(fakes) == [] and fakes.compute.nic_names(TENANT) == []


# retry and reprovision are one service function, lifecycle.new_run, during the state machine refactor
def retry(ports: EnginePorts, cloud_pc_id: str) -> CloudPc:
    return lifecycle.new_run(ports, TENANT, cloud_pc_id, "retry")


def reprovision(ports: EnginePorts, cloud_pc_id: str) -> CloudPc:
    return lifecycle.new_run(ports, TENANT, cloud_pc_id, "reprovision")


def test_a_failed_cloud_pc_is_retried_under_a_new_run_with_its_device_name() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    failed = cloud_pc(fakes, "ann", status="failed", build=build(), managed_device_name=DEVICE, attempt=3)
    fresh = retry(ports, failed.id)
    stored = fakes.cloud_pcs.get_cloud_pc(TENANT, failed.id)
    assert stored == fresh
    assert (stored.status, stored.run, stored.attempt, stored.build) == ("pendingProvision", 2, 0, None)
    assert (stored.managed_device_name, stored.generation) == (DEVICE, 1)


def test_reprovisioning_deletes_the_vm_and_starts_a_new_generation() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    old = provisioned(fakes)
    fresh = reprovision(ports, old.id)
    assert (fresh.status, fresh.run, fresh.generation, fresh.managed_device_name) == ("pendingProvision", 2, 2, None)
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, old.id) == fresh
    assert fakes.compute.vm_names(TENANT) == []
    assert [(w.kind, w.run) for w in fakes.scheduled()] == [("cleanUp", 1)]


@pytest.mark.parametrize(
    ("status", "act"),
    [
        ("provisioned", lambda ports, i: lifecycle.end_grace_period(ports, TENANT, i)),
        ("provisioned", retry),
        ("inGracePeriod", retry),
        ("inGracePeriod", reprovision),
        ("pendingProvision", reprovision),
    ],
)
def test_an_action_from_a_state_that_does_not_allow_it_is_refused_and_changes_nothing(status, act) -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    before = cloud_pc(fakes, "ann", status=status, build=build(), managed_device_name=DEVICE)
    with pytest.raises(Conflict) as refused:
        act(ports, before.id)
    assert (refused.value.code, refused.value.target) == ("wrongStatus", "status")
    assert status in refused.value.message
    assert fakes.cloud_pcs.get_cloud_pc(TENANT, before.id) == before
    assert fakes.scheduled() == [] and fakes.events.published == []


def test_a_vm_delete_is_followed_to_its_end_on_the_timeline_and_one_azure_fails_is_tried_again() -> None:
    fakes = Fakes()
    ports = fakes.engine_ports()
    grace = in_grace(ports, fakes)
    fakes.script.wait("delete_vm", times=1, retry_after_s=10)  # Azure takes the delete and runs it
    lifecycle.end_grace_period(ports, TENANT, grace.id)

    def line() -> tuple[str, str | None]:
        [found] = [e for e in fakes.cloud_pcs.list_events(TENANT, grace.id) if e.name == "deleteVms"]
        return found.outcome, found.code

    assert line() == ("running", None)
    [removal] = [w for w in fakes.scheduled() if w.kind == "removeVms"]
    assert removal.operation is not None and removal.operation.startswith(vm_name(grace.id, grace.run, 1))
    fakes.script.fail("delete_vm", times=1, code="OperationNotAllowed")  # it fails when it ends
    fakes.clock.advance(seconds=10)
    due_sweep.sweep(ports)
    assert line() == ("failed", "OperationNotAllowed")
    assert len(fakes.compute.vm_names(TENANT)) == 1
    fakes.clock.advance(lifecycle.FAILED_DUE_RETRY)
    due_sweep.sweep(ports)  # asked again: this time it goes
    assert line() == ("succeeded", None) and fakes.compute.vm_names(TENANT) == []
    names = timeline(fakes, grace.id)
    assert names.index("deleteVms") < names.index("deprovisioned")

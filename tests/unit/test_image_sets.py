"""Image sets on the fakes: what an admin's create, new version and capture record, and a version's build phases
(shared/services/spot_pc/image_builds.py) from the build VM to the replicated gallery version, failures and waits
included."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models.image_sets import ImageSetCreate, ImageSetVersion, ImageSetVersionCreate
from shared.models.orchestrations import ImageBuildRun, ImageRemovalRun, PhasedStep
from shared.services.spot_pc import image_sets
from shared.services.spot_pc.image_builds import (
    BUILD_VM_SIZE,
    CUSTOMIZATION_WINDOW,
    advance_build,
    advance_removal,
    build_names,
    phases,
)
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, site, tenant

SOURCE = "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365"


@pytest.fixture
def fakes() -> Fakes:
    world = Fakes()
    tenant(world)
    return world


def create_set(fakes: Fakes, **fields: Any) -> tuple[str, ImageSetVersion]:
    body = {"displayName": "Pooled desktops", "sourceImageId": SOURCE, **fields}
    if "siteId" not in body and not body.get("global"):
        body["siteId"] = site(fakes).id
    image_set, first = image_sets.create_image_set(fakes.admin_ports(), TENANT, ImageSetCreate.model_validate(body))
    return image_set.id, first


def build(fakes: Fakes, image_set_id: str, version: str, *, capture: bool = False) -> PhasedStep[ImageBuildRun]:
    """Call the activity until the build is over, answering every wait at once (and a capture when asked)."""
    run = ImageBuildRun(tenant_id=TENANT, image_set_id=image_set_id, version=version)
    for _ in range(100):
        step = advance_build(fakes.image_build_ports(), run)
        if step.outcome is not None:
            return step
        if step.awaiting_capture:
            if not capture:
                return step
            image_sets.request_capture(fakes.admin_ports(), TENANT, image_set_id, version)
        run = step.run
    raise AssertionError("the build did not finish")


def version_of(fakes: Fakes, image_set_id: str, version: str) -> ImageSetVersion:
    return fakes.image_sets.get_version(TENANT, image_set_id, version)


def new_version(fakes: Fakes, image_set_id: str, **fields: Any) -> ImageSetVersion:
    data = ImageSetVersionCreate.model_validate(fields)
    return image_sets.create_version(fakes.admin_ports(), TENANT, image_set_id, data)


# --- create ---------------------------------------------------------------------------------------------------


def test_a_new_set_records_version_0_0_0_building_in_its_sites_region(fakes: Fakes) -> None:
    image_set_id, first = create_set(fakes)
    stored = fakes.image_sets.get_image_set(TENANT, image_set_id)
    assert (stored.latest_version, stored.status, stored.home_site_id) == ("0.0.0", "building", "site-westeurope")
    assert (first.version, first.status, first.base_version) == ("0.0.0", "building", None)
    assert first.regions == ["westeurope"]


def test_a_global_set_is_kept_in_the_first_site_and_replicated_to_every_sites_region(fakes: Fakes) -> None:
    site(fakes, region="westeurope")
    fakes.clock.advance(timedelta(seconds=1))
    site(fakes, region="eastus")
    image_set_id, first = create_set(fakes, **{"global": True})
    assert fakes.image_sets.get_image_set(TENANT, image_set_id).home_site_id == "site-westeurope"
    assert first.regions == ["westeurope", "eastus"]


@pytest.mark.parametrize(
    ("fields", "target"),
    [
        ({"sourceImageId": "microsoftwindowsdesktop_windows-ent-cpc_nope"}, "sourceImageId"),
        ({"siteId": "no-such-site"}, "siteId"),
        ({"global": True}, "global"),  # a global set needs a site to be built in
    ],
)
def test_a_set_that_names_nothing_usable_is_refused(fakes: Fakes, fields: dict[str, Any], target: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_set(fakes, **fields)
    assert refused.value.details[0].target == target
    assert fakes.image_sets.list_image_sets(TENANT) == ([], None)


@pytest.mark.parametrize("place", [{}, {"siteId": "site-westeurope", "global": True}])
def test_a_set_is_in_a_site_or_global_exactly(place: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ImageSetCreate.model_validate({"displayName": "x", "sourceImageId": SOURCE, **place})


def test_scripts_that_would_not_fit_one_table_property_are_refused() -> None:
    scripts = [{"name": f"s{i}", "script": "x" * 29_000} for i in range(2)]
    with pytest.raises(ValidationError):
        ImageSetVersionCreate.model_validate({"customizationScripts": scripts})


# --- the build of 0.0.0 ----------------------------------------------------------------------------------------


def test_version_0_0_0_is_built_from_the_marketplace_image_and_ends_ready(fakes: Fakes) -> None:
    image_set_id, _ = create_set(fakes)
    assert build(fakes, image_set_id, "0.0.0").outcome == "succeeded"

    version = version_of(fakes, image_set_id, "0.0.0")
    assert version.status == "ready" and version.status_detail is None
    assert version.image_version_id is not None and version.image_version_id.endswith("/versions/0.0.0")
    assert fakes.image_sets.get_image_set(TENANT, image_set_id).status == "ready"
    # built on a VM from the marketplace image, sysprepped, then captured; the VM and its NIC are gone after
    assert fakes.building.definitions == {(TENANT, "spotpc_images", f"imageset-{image_set_id}"): SOURCE}
    assert list(fakes.building.versions.values()) == [["westeurope"]]
    assert fakes.compute.vm_names(TENANT) == [] and fakes.compute.nic_names(TENANT) == []
    order = [name for name, _ in fakes.script.log]
    assert order == [
        "create_vm",
        "sysprep",
        "deallocate",
        "generalize_vm",
        "ensure_image_definition",
        "create_image_version",
        "delete_vm",
        "delete_nic",
    ]


def test_the_build_vm_is_metered_from_its_making_to_its_deletion(fakes: Fakes) -> None:
    image_set_id, _ = create_set(fakes)
    assert build(fakes, image_set_id, "0.0.0").outcome == "succeeded"
    records = fakes.power_records.list_power_records(TENANT, fakes.clock() + timedelta(seconds=1))
    assert sorted(r.change for r in records) == ["created", "deleted", "stopped"]  # the fakes' clock stands still
    image_set = fakes.image_sets.get_image_set(TENANT, image_set_id)
    assert {(r.kind, r.image_set_id, r.display_name, r.vm_size, r.site_id) for r in records} == {
        ("imageBuild", image_set_id, f"{image_set.display_name} 0.0.0", BUILD_VM_SIZE, image_set.home_site_id)
    }


def test_a_phase_not_done_yet_hands_back_its_operation_and_the_wait(fakes: Fakes) -> None:
    image_set_id, _ = create_set(fakes)
    fakes.script.wait("create_image_version", retry_after_s=20)
    run = ImageBuildRun(tenant_id=TENANT, image_set_id=image_set_id, version="0.0.0")
    step = advance_build(fakes.image_build_ports(), run)
    assert step.outcome is None and step.wait_seconds == 20
    assert step.run.phase == phases(version_of(fakes, image_set_id, "0.0.0")).index("createImageVersion")
    assert step.run.operation is not None
    assert version_of(fakes, image_set_id, "0.0.0").status == "capturing"
    # asked again, it polls with the operation it was given
    assert advance_build(fakes.image_build_ports(), step.run).outcome == "succeeded"
    assert fakes.script.log[-3] == ("create_image_version", step.run.operation)


def test_a_failed_capture_records_its_step_and_still_removes_the_build_vm(fakes: Fakes) -> None:
    image_set_id, _ = create_set(fakes)
    fakes.script.fail("create_image_version", code="GalleryImageVersionQuotaExceeded")
    assert build(fakes, image_set_id, "0.0.0").outcome == "failed"

    version = version_of(fakes, image_set_id, "0.0.0")
    assert version.status == "failed" and version.status_detail is not None
    assert (version.status_detail.code, version.status_detail.step) == (
        "GalleryImageVersionQuotaExceeded",
        "create_image_version",
    )
    assert fakes.image_sets.get_image_set(TENANT, image_set_id).status == "failed"
    assert fakes.compute.vm_names(TENANT) == []


def test_a_failed_clean_up_leaves_the_version_ready(fakes: Fakes) -> None:
    image_set_id, _ = create_set(fakes)
    fakes.script.fail("delete_vm")
    assert build(fakes, image_set_id, "0.0.0").outcome == "succeeded"
    assert version_of(fakes, image_set_id, "0.0.0").status == "ready"


def test_a_repeated_activity_call_does_no_harm(fakes: Fakes) -> None:
    image_set_id, _ = create_set(fakes)
    run = ImageBuildRun(tenant_id=TENANT, image_set_id=image_set_id, version="0.0.0")
    first = advance_build(fakes.image_build_ports(), run)
    again = advance_build(fakes.image_build_ports(), run)  # a redelivered call with the same input
    assert first.outcome == again.outcome == "succeeded"
    assert len(fakes.building.versions) == 1


# --- later versions --------------------------------------------------------------------------------------------


def ready_set(fakes: Fakes) -> str:
    image_set_id, _ = create_set(fakes)
    assert build(fakes, image_set_id, "0.0.0").outcome == "succeeded"
    fakes.script.log.clear()
    return image_set_id


def test_a_version_with_scripts_runs_them_in_order_on_the_base_versions_image(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    scripts = [{"name": "apps", "script": "winget install 7zip"}, {"name": "tweaks", "script": "reg add x\nreg add y"}]
    version = new_version(fakes, image_set_id, notes="7-Zip", customizationScripts=scripts)
    assert (version.version, version.base_version) == ("0.0.1", "0.0.0")
    assert fakes.image_sets.get_image_set(TENANT, image_set_id).latest_version == "0.0.1"

    vm_name = build_names(image_set_id, "0.0.1")[0]
    created = fakes.compute.vms  # the spec is kept until the VM is deleted: look before the build ends
    fakes.script.fail("delete_vm")
    assert build(fakes, image_set_id, "0.0.1").outcome == "succeeded"
    spec = created[(TENANT, vm_name)].spec
    assert spec.image_type == "custom" and spec.image_id == version_of(fakes, image_set_id, "0.0.0").image_version_id
    assert created[(TENANT, vm_name)].commands == ["customization-0", "customization-1", "sysprep"]
    assert version_of(fakes, image_set_id, "0.0.1").status == "ready"


def test_a_version_without_scripts_waits_for_the_admins_capture(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    new_version(fakes, image_set_id, notes="installed by hand")
    step = build(fakes, image_set_id, "0.0.1")
    assert step.awaiting_capture and step.resume_at == fakes.clock() + CUSTOMIZATION_WINDOW
    assert version_of(fakes, image_set_id, "0.0.1").status == "awaitingCustomization"
    assert fakes.image_sets.get_image_set(TENANT, image_set_id).status == "awaitingCustomization"

    captured = image_sets.request_capture(fakes.admin_ports(), TENANT, image_set_id, "0.0.1")
    assert captured.status == "capturing"
    with pytest.raises(Conflict):  # asked twice: the first one is under way
        image_sets.request_capture(fakes.admin_ports(), TENANT, image_set_id, "0.0.1")
    assert advance_build(fakes.image_build_ports(), step.run).outcome == "succeeded"
    assert version_of(fakes, image_set_id, "0.0.1").status == "ready"


def test_a_capture_is_refused_unless_the_version_awaits_customization(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    with pytest.raises(Conflict) as refused:
        image_sets.request_capture(fakes.admin_ports(), TENANT, image_set_id, "0.0.0")
    assert refused.value.code == "wrongStatus"
    with pytest.raises(NotFound):
        image_sets.request_capture(fakes.admin_ports(), TENANT, image_set_id, "0.0.9")


def test_a_build_nobody_captures_in_time_fails_and_its_vm_goes(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    new_version(fakes, image_set_id)
    step = build(fakes, image_set_id, "0.0.1")
    expired = step.run.model_copy(update={"customization_expired": True})
    assert advance_build(fakes.image_build_ports(), expired).outcome == "failed"
    version = version_of(fakes, image_set_id, "0.0.1")
    assert version.status == "failed" and version.status_detail is not None
    assert version.status_detail.code == "customizationTimedOut"
    assert fakes.compute.vm_names(TENANT) == []


def test_version_numbers_go_up_by_one_patch_and_never_repeat(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    numbers = [new_version(fakes, image_set_id).version for _ in range(3)]
    assert numbers == ["0.0.1", "0.0.2", "0.0.3"]
    assert image_sets.next_version([version_of(fakes, image_set_id, "0.0.0")]) == "0.0.1"


def test_a_new_version_needs_a_ready_base(fakes: Fakes) -> None:
    image_set_id, _ = create_set(fakes)  # 0.0.0 still building
    with pytest.raises(Conflict) as refused:
        new_version(fakes, image_set_id)
    assert refused.value.code == "wrongStatus"
    assert build(fakes, image_set_id, "0.0.0").outcome == "succeeded"
    with pytest.raises(ValidationFailed):
        new_version(fakes, image_set_id, baseVersion="0.0.7")


def test_a_deleted_version_supersedes_its_build(fakes: Fakes) -> None:
    run = ImageBuildRun(tenant_id=TENANT, image_set_id="gone", version="0.0.0")
    assert advance_build(fakes.image_build_ports(), run).outcome == "superseded"


# --- deletes ---------------------------------------------------------------------------------------------------


def remove(fakes: Fakes, run: ImageRemovalRun) -> str:
    for _ in range(100):
        step = advance_removal(fakes.image_build_ports(), run)
        if step.outcome is not None:
            return step.outcome
        run = step.run
    raise AssertionError("the removal did not finish")


def test_a_version_is_removed_from_the_gallery_before_its_record(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    new_version(fakes, image_set_id, customizationScripts=[{"name": "a", "script": "echo"}])
    assert build(fakes, image_set_id, "0.0.1").outcome == "succeeded"
    deleting, run = image_sets.delete_version(fakes.admin_ports(), TENANT, image_set_id, "0.0.0", if_match=None)
    assert deleting.status == "deleting" and run is not None
    with pytest.raises(Conflict):  # a second delete while the first runs
        image_sets.delete_version(fakes.admin_ports(), TENANT, image_set_id, "0.0.0", if_match=None)

    fakes.script.wait("delete_image_version")
    assert remove(fakes, run) == "succeeded"
    assert [v.version for v in fakes.image_sets.list_versions(TENANT, image_set_id)] == ["0.0.1"]
    assert [key[3] for key in fakes.building.versions] == ["0.0.1"]


def test_the_latest_version_stays_so_no_number_is_used_twice(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    with pytest.raises(Conflict) as refused:
        image_sets.delete_version(fakes.admin_ports(), TENANT, image_set_id, "0.0.0", if_match=None)
    assert "latest" in refused.value.message


def test_a_version_that_never_had_an_image_goes_at_once(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    new_version(fakes, image_set_id, customizationScripts=[{"name": "a", "script": "exit 1"}])
    fakes.script.fail("customization-0", code="ScriptFailed")
    assert build(fakes, image_set_id, "0.0.1").outcome == "failed"
    new_version(fakes, image_set_id, customizationScripts=[{"name": "a", "script": "echo"}])
    assert build(fakes, image_set_id, "0.0.2").outcome == "succeeded"
    gone, run = image_sets.delete_version(fakes.admin_ports(), TENANT, image_set_id, "0.0.1", if_match=None)
    assert run is None and gone.status == "failed"
    assert fakes.image_sets.find_version(TENANT, image_set_id, "0.0.1") is None


def test_a_set_goes_with_every_gallery_version_and_its_definition(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    new_version(fakes, image_set_id, customizationScripts=[{"name": "a", "script": "echo"}])
    assert build(fakes, image_set_id, "0.0.1").outcome == "succeeded"
    deleting, run = image_sets.delete_image_set(fakes.admin_ports(), TENANT, image_set_id, if_match=None)
    assert deleting.status == "deleting" and run.versions == ["0.0.0", "0.0.1"]
    with pytest.raises(Conflict):  # no new version in a set being removed
        new_version(fakes, image_set_id)

    assert remove(fakes, run) == "succeeded"
    assert fakes.building.versions == {} and fakes.building.definitions == {}
    assert fakes.image_sets.find_image_set(TENANT, image_set_id) is None
    assert fakes.image_sets.list_versions(TENANT, image_set_id) == []
    assert remove(fakes, run) == "superseded"  # a repeated start finds nothing left to do


def test_a_set_with_a_build_under_way_is_not_deleted(fakes: Fakes) -> None:
    image_set_id, _ = create_set(fakes)  # 0.0.0 building
    with pytest.raises(Conflict) as refused:
        image_sets.delete_image_set(fakes.admin_ports(), TENANT, image_set_id, if_match=None)
    assert refused.value.code == "wrongStatus"
    assert fakes.image_sets.get_image_set(TENANT, image_set_id).status == "building"  # the mark is taken back


def test_a_failed_removal_shows_failed_and_can_be_asked_again(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    _, run = image_sets.delete_image_set(fakes.admin_ports(), TENANT, image_set_id, if_match=None)
    fakes.script.fail("delete_image_definition", code="AuthorizationFailed")
    assert remove(fakes, run) == "failed"
    assert fakes.image_sets.get_image_set(TENANT, image_set_id).status == "failed"
    _, again = image_sets.delete_image_set(fakes.admin_ports(), TENANT, image_set_id, if_match=None)
    assert remove(fakes, again) == "succeeded"
    assert fakes.image_sets.find_image_set(TENANT, image_set_id) is None


def test_only_quiet_builds_and_removals_are_started_again(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)  # 0.0.0 ready: nothing to resume
    new_version(fakes, image_set_id, customizationScripts=[{"name": "a", "script": "echo"}])  # 0.0.1 building
    assert build(fakes, image_set_id, "0.0.1").outcome == "succeeded"
    new_version(fakes, image_set_id)  # 0.0.2 building, its orchestration lost
    image_sets.delete_version(fakes.admin_ports(), TENANT, image_set_id, "0.0.0", if_match=None)  # removal lost
    assert image_sets.unfinished_work(fakes.admin_ports(), quiet_since=fakes.clock() - image_sets.QUIET) == []

    fakes.clock.advance(image_sets.QUIET + timedelta(seconds=1))
    runs = image_sets.unfinished_work(fakes.admin_ports(), quiet_since=fakes.clock() - image_sets.QUIET)
    assert sorted((type(r).__name__, r.version) for r in runs) == [
        ("ImageBuildRun", "0.0.2"),
        ("ImageRemovalRun", "0.0.0"),
    ]


def test_a_build_started_again_after_the_capture_goes_on_to_capture(fakes: Fakes) -> None:
    image_set_id = ready_set(fakes)
    new_version(fakes, image_set_id)
    build(fakes, image_set_id, "0.0.1")  # waits for the admin
    image_sets.request_capture(fakes.admin_ports(), TENANT, image_set_id, "0.0.1")
    # the orchestration was lost (the sweep starts it from the first phase): the capture is not asked for again
    fresh = ImageBuildRun(tenant_id=TENANT, image_set_id=image_set_id, version="0.0.1")
    assert advance_build(fakes.image_build_ports(), fresh).outcome == "succeeded"
    assert version_of(fakes, image_set_id, "0.0.1").status == "ready"

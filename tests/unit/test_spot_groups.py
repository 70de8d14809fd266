"""Spot Groups on the fakes: the review and its checks, what a create records, the deployment of the host pool and
session hosts (shared/services/spot_pc/spot_group_deployments.py) with a host's failure, and the removal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.errors import Conflict, ValidationFailed
from shared.models.image_sets import ImageSetCreate, ImageSetVersionCreate
from shared.models.orchestrations import ImageBuildRun, PhasedStep, SpotGroupRun
from shared.models.session_hosts import SessionHost
from shared.models.spot_groups import SpotGroupCreate, SpotGroupUpdate
from shared.services.spot_pc import host_power, image_sets, image_updates, spot_group_power, spot_groups
from shared.services.spot_pc.host_records import live_hosts
from shared.services.spot_pc.image_builds import advance_build
from shared.services.spot_pc.image_sets import QUIET
from shared.services.spot_pc.spot_group_deployments import advance, awaits_turn, host_runs, replacement_plan
from tests.fakes import Fakes
from tests.fakes.seed import TENANT, site, tenant

POOLED_IMAGE = "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365"
PERSONAL_IMAGE = "microsoftwindowsdesktop_windows-11_win11-24h2-ent"


def ready_image(fakes: Fakes, source: str = POOLED_IMAGE) -> str:
    body = {"displayName": source, "siteId": "site-westeurope", "sourceImageId": source}
    image_set, _ = image_sets.create_image_set(fakes.admin_ports(), TENANT, ImageSetCreate.model_validate(body))
    step = advance_build(
        fakes.image_build_ports(), ImageBuildRun(tenant_id=TENANT, image_set_id=image_set.id, version="0.0.0")
    )
    assert step.outcome == "succeeded"
    return image_set.id


@pytest.fixture
def fakes() -> Fakes:
    world = Fakes()
    tenant(world)
    site(world)
    for user in ("ann", "bob", "cat", "dan"):
        world.directory.add_user(TENANT, user, display_name=user.title())
    world.directory.add_group(TENANT, "sales", "ann", "bob", "cat")
    world.directory.add_group(TENANT, "support", "cat", "dan")
    return world


def body(image_set_id: str, **fields: Any) -> SpotGroupCreate:
    return SpotGroupCreate.model_validate(
        {
            "name": "sales-desktops",
            "friendlyName": "Sales desktops",
            "profilePath": r"\\files\profiles",
            "userType": "pooled",
            "licenseCount": 3,
            "siteId": "site-westeurope",
            "groupIds": ["sales", "support"],
            "imageSetId": image_set_id,
            "imageVersion": "0.0.0",
            **fields,
        }
    )


def drive(fakes: Fakes, run: SpotGroupRun) -> str:
    """One stage's activity calls until it answers an outcome, every wait answered at once."""
    for _ in range(200):
        step = advance(fakes.spot_group_ports(), run)
        if step.outcome is not None:
            return step.outcome
        run = step.run
    raise AssertionError("the work did not finish")


def deploy(fakes: Fakes, run: SpotGroupRun) -> str:
    """The stages as the orchestrator takes them (orchestrators/spot_groups.py): the hosts one by one here, an
    image update's canary first and rolled back if it failed."""
    prepared = drive(fakes, run)
    if prepared != "succeeded":
        return prepared
    for host in host_runs(run):
        if host.host_work != "replace":
            drive(fakes, host)
    outcome = None
    if run.replace:
        plan = replacement_plan(run)
        canary, rest = plan.canary, plan.batches
        outcome = "succeeded"
        if any(drive(fakes, host) != "succeeded" for host in list(canary)):
            assert run.previous is not None
            for host in canary:
                version, image_id = run.previous
                back = {"image_version": version, "image_version_id": image_id, "maintenance_window": None}
                drive(fakes, host.model_copy(update=back))
            outcome = "rolledBack"
        else:
            for batch in rest:
                if any([drive(fakes, host) != "succeeded" for host in batch]):
                    outcome = "failed"
                    break
    return drive(fakes, run.model_copy(update={"stage": "finish", "phase": 0, "update_outcome": outcome}))


# --- the review and its checks ----------------------------------------------------------------------------------


def test_the_review_sizes_the_pool_and_says_who_gets_access(fakes: Fakes) -> None:
    group, review = spot_groups.plan(
        fakes.admin_ports(), TENANT, body(ready_image(fakes), licenseCount=3, maxSessionsPerHost=2)
    )
    assert (review.host_pool_type, review.session_host_count, review.max_sessions_per_host) == ("Pooled", 2, 2)
    assert review.vm_size == "Standard_D4s_v5"
    # members of the groups in order, each once; the first licenseCount get access
    assert [u.id for u in review.users_with_access] == ["ann", "bob", "cat"]
    assert [(u.id, u.display_name) for u in review.users_without_access] == [("dan", "Dan")]
    assert group.assigned_user_count == 0, "nobody holds the desktop before it is made"


def test_a_personal_group_has_a_host_per_license(fakes: Fakes) -> None:
    image_set_id = ready_image(fakes, PERSONAL_IMAGE)
    _, review = spot_groups.plan(fakes.admin_ports(), TENANT, body(image_set_id, userType="personal", licenseCount=4))
    assert (review.host_pool_type, review.session_host_count, review.vm_size) == ("Personal", 4, "Standard_D2s_v5")
    with pytest.raises(ValidationError):
        body(image_set_id, userType="personal", maxSessionsPerHost=2)


@pytest.mark.parametrize(
    ("fields", "code", "target"),
    [
        ({"siteId": "nowhere"}, "referenceNotFound", "siteId"),
        ({"groupIds": ["sales", "ghosts"]}, "referenceNotFound", "groupIds"),
        ({"imageSetId": "no-such-set"}, "referenceNotFound", "imageSetId"),
        ({"imageVersion": "0.0.9"}, "referenceNotFound", "imageVersion"),
    ],
)
def test_what_a_group_names_must_exist(fakes: Fakes, fields: dict[str, Any], code: str, target: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        spot_groups.plan(fakes.admin_ports(), TENANT, body(ready_image(fakes), **fields))
    assert (refused.value.details[0].code, refused.value.details[0].target) == (code, target)


def test_pooled_hosts_need_a_multi_session_image_in_the_sites_region(fakes: Fakes) -> None:
    with pytest.raises(ValidationFailed) as refused:
        spot_groups.plan(fakes.admin_ports(), TENANT, body(ready_image(fakes, PERSONAL_IMAGE)))
    assert refused.value.details[0].code == "imageNotMultiSession"
    east = site(fakes, region="eastus")
    with pytest.raises(ValidationFailed) as refused:
        spot_groups.plan(fakes.admin_ports(), TENANT, body(ready_image(fakes), siteId=east.id))
    assert refused.value.details[0].code == "imageNotInRegion"


def test_a_site_outside_avds_metadata_regions_is_refused_before_anything_is_deployed(fakes: Fakes) -> None:
    """AVD keeps a host pool only in its metadata regions (shared/models/regions.py); the pool is made in the site's
    region, so a site elsewhere is refused in the review, not by ARM during the deployment."""
    sweden = site(fakes, region="swedencentral")
    with pytest.raises(ValidationFailed) as refused:
        spot_groups.plan(fakes.admin_ports(), TENANT, body(ready_image(fakes), siteId=sweden.id))
    detail = refused.value.details[0]
    assert (detail.code, detail.target) == ("regionNotSupported", "siteId")
    assert "swedencentral" in detail.message and "westeurope" in detail.message


def test_a_version_still_building_is_refused(fakes: Fakes) -> None:
    source = {"displayName": "x", "siteId": "site-westeurope", "sourceImageId": POOLED_IMAGE}
    image_set, _ = image_sets.create_image_set(fakes.admin_ports(), TENANT, ImageSetCreate.model_validate(source))
    with pytest.raises(Conflict) as refused:
        spot_groups.plan(fakes.admin_ports(), TENANT, body(image_set.id))
    assert refused.value.code == "wrongStatus"


# --- create and deploy ------------------------------------------------------------------------------------------


def test_a_group_deploys_its_host_pool_and_every_session_host(fakes: Fakes) -> None:
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(ready_image(fakes), licenseCount=7))
    hosts = fakes.spot_groups.list_hosts(TENANT, group.id)
    assert group.status == "deploying" and [h.status for h in hosts] == ["creating"] * 2  # 7 users, 6 a host
    assert len({h.name for h in hosts}) == 2 and all(len(h.name) <= 15 for h in hosts)

    fakes.script.wait("register_session_host")  # one registration takes a while: the run waits, then goes on
    assert deploy(fakes, run) == "succeeded"
    stored = fakes.spot_groups.get_spot_group(TENANT, group.id)
    assert stored.status == "ready" and stored.status_detail is None
    assert (stored.session_host_counts.total, stored.session_host_counts.running) == (2, 2)
    pool = fakes.avd.pools[(TENANT, "spotpc-sales-desktops")]
    assert pool.spec.user_group_ids == () and pool.spec.max_sessions == 6
    assert pool.users == {"ann", "bob", "cat", "dan"} and stored.assigned_user_count == 4, "the members, directly"
    assert sorted(pool.hosts) == sorted(h.name for h in hosts)
    for host in hosts:  # FSLogix configured on each, from the image set's gallery version
        vm = fakes.compute.vms[(TENANT, host.name)]
        assert vm.commands == ["configureFslogix"]
        assert vm.spec.image_type == "custom" and vm.spec.image_id == group.image_version_id


def test_a_host_that_fails_is_marked_and_the_others_deploy(fakes: Fakes) -> None:
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(ready_image(fakes), licenseCount=12))
    fakes.script.fail("join_device", code="DeviceJoinFailed")
    assert deploy(fakes, run) == "succeeded"
    hosts = fakes.spot_groups.list_hosts(TENANT, group.id)
    assert [h.status for h in hosts] == ["failed", "running"]
    assert hosts[0].status_detail is not None and hosts[0].status_detail.step == "joinDevice"
    stored = fakes.spot_groups.get_spot_group(TENANT, group.id)
    assert stored.status == "ready" and stored.status_detail is not None
    assert stored.status_detail.code == "sessionHostsFailed"
    assert (stored.session_host_counts.running, stored.session_host_counts.failed) == (1, 1)
    assert list(fakes.avd.pools[(TENANT, "spotpc-sales-desktops")].hosts) == [hosts[1].name]


def test_a_spot_host_without_spot_quota_is_not_made_and_says_which_quota_ran_out(fakes: Fakes) -> None:
    scaling = {"baseHosts": 1, "maxHosts": 2, "spotSharePercent": 100}
    made, run = spot_groups.create_spot_group(
        fakes.admin_ports(), TENANT, body(ready_image(fakes), licenseCount=4, maxSessionsPerHost=2, scaling=scaling)
    )
    assert deploy(fakes, run) == "succeeded"
    assert fakes.script.calls["allocate_capacity.Regular"] == 1, "the base host's family quota was checked"
    words = "Total Regional Low-priority vCPUs in westeurope: 4 of 4 in use, 4 more needed for Standard_D4s_v5."
    fakes.script.fail("allocate_capacity.Spot", code="QuotaExceeded", message=words)
    spot = SessionHost(name=spot_groups.host_name(made, 1), index=1, image_version="0.0.0", priority="Spot")
    fakes.spot_groups.put_host(TENANT, made.id, spot)
    add = SpotGroupRun(tenant_id=TENANT, spot_group_id=made.id, work="scale", stage="host", host=1, host_work="add")
    assert drive(fakes, add) == "failed"
    assert (TENANT, spot.name) not in fakes.compute.vms, "no VM is made beyond the quota"
    refused = next(h for h in fakes.spot_groups.list_hosts(TENANT, made.id) if h.index == 1)
    detail = refused.status_detail
    assert refused.status == "failed" and detail is not None
    assert (detail.code, detail.step, detail.message) == ("QuotaExceeded", "allocateCapacity", words)
    group = fakes.spot_groups.get_spot_group(TENANT, made.id)
    assert group.spot_refused_date_time == fakes.clock(), "the group's Spot places go on demand meanwhile"


def test_a_host_pool_that_cannot_be_made_fails_the_group(fakes: Fakes) -> None:
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(ready_image(fakes)))
    fakes.script.fail("ensure_host_pool", code="AuthorizationFailed")
    assert deploy(fakes, run) == "failed"
    stored = fakes.spot_groups.get_spot_group(TENANT, group.id)
    assert stored.status == "failed" and stored.status_detail is not None
    assert (stored.status_detail.code, stored.status_detail.step) == ("AuthorizationFailed", "ensureHostPool")
    assert fakes.compute.vm_names(TENANT) == []


def test_a_name_is_one_groups(fakes: Fakes) -> None:
    image_set_id = ready_image(fakes)
    spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(image_set_id))
    with pytest.raises(Conflict) as refused:
        spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(image_set_id))
    assert refused.value.code == "alreadyExists"


# --- delete -----------------------------------------------------------------------------------------------------


def test_a_group_is_removed_host_by_host_then_its_pool_and_records(fakes: Fakes) -> None:
    image_set_id = ready_image(fakes)
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(image_set_id, licenseCount=7))
    with pytest.raises(Conflict):  # still deploying
        spot_groups.delete_spot_group(fakes.admin_ports(), TENANT, group.id, if_match=None)
    assert deploy(fakes, run) == "succeeded"
    with pytest.raises(Conflict) as in_use:  # its image version is in use meanwhile
        image_sets.delete_image_set(fakes.admin_ports(), TENANT, image_set_id, if_match=None)
    assert in_use.value.code == "inUse"

    deleting, removal = spot_groups.delete_spot_group(fakes.admin_ports(), TENANT, group.id, if_match=None)
    assert deleting.status == "deleting"
    assert deploy(fakes, removal) == "succeeded"
    assert fakes.compute.vm_names(TENANT) == [] and fakes.avd.pools == {}
    assert fakes.spot_groups.find_spot_group(TENANT, group.id) is None
    assert fakes.spot_groups.list_hosts(TENANT, group.id) == []
    again, _ = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(image_set_id))  # the name is free
    assert again.name == group.name


def test_a_quiet_deployment_is_started_again(fakes: Fakes) -> None:
    group, _ = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(ready_image(fakes)))
    assert spot_groups.unfinished_work(fakes.admin_ports(), quiet_since=fakes.clock() - QUIET) == []
    fakes.clock.advance(QUIET + timedelta(seconds=1))
    [run] = spot_groups.unfinished_work(fakes.admin_ports(), quiet_since=fakes.clock() - QUIET)
    assert (run.spot_group_id, run.work) == (group.id, "deploy")


# --- update -----------------------------------------------------------------------------------------------------


def deployed(fakes: Fakes, **fields: Any) -> str:
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(ready_image(fakes), **fields))
    assert deploy(fakes, run) == "succeeded"
    fakes.compute.script.log.clear()
    return group.id


def update(fakes: Fakes, group_id: str, **fields: Any) -> tuple[Any, SpotGroupRun | None]:
    patch = SpotGroupUpdate.model_validate(fields)
    return spot_groups.update_spot_group(fakes.admin_ports(), TENANT, group_id, patch, if_match=None)


def test_more_licenses_add_hosts_and_fewer_remove_the_last_ones(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=6)  # one host
    updating, run = update(fakes, group_id, licenseCount=13)
    assert updating.status == "updating" and run is not None and run.add == [1, 2]
    assert deploy(fakes, run) == "succeeded"
    stored = fakes.spot_groups.get_spot_group(TENANT, group_id)
    assert stored.status == "ready" and stored.session_host_counts.running == 3
    names = [h.name for h in fakes.spot_groups.list_hosts(TENANT, group_id)]

    _, run = update(fakes, group_id, licenseCount=5)
    assert run is not None and run.remove == [1, 2]
    assert deploy(fakes, run) == "succeeded"
    assert [h.name for h in fakes.spot_groups.list_hosts(TENANT, group_id)] == names[:1]
    assert fakes.compute.vm_names(TENANT) == names[:1]
    assert list(fakes.avd.pools[(TENANT, "spotpc-sales-desktops")].hosts) == names[:1]


def test_a_new_profile_path_reconfigures_every_host_and_groups_go_to_the_pool(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=7)
    _, run = update(fakes, group_id, profilePath=r"\\files2\profiles", groupIds=["support"])
    assert run is not None and run.reconfigure == [0, 1]
    assert deploy(fakes, run) == "succeeded"
    hosts = fakes.spot_groups.list_hosts(TENANT, group_id)
    assert {h.profile_path for h in hosts} == {r"\\files2\profiles"}
    for host in hosts:
        assert fakes.compute.vms[(TENANT, host.name)].commands == ["configureFslogix", "configureFslogix"]
    assert fakes.avd.pools[(TENANT, "spotpc-sales-desktops")].users == {"cat", "dan"}, "who left the groups lost it"
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).assigned_user_count == 2


def test_names_and_notes_are_saved_at_once_and_nulls_are_refused(fakes: Fakes) -> None:
    group_id = deployed(fakes)
    saved, run = update(fakes, group_id, description="for sales", notes=None)
    assert run is None and saved.description == "for sales" and saved.status == "ready"
    with pytest.raises(ValidationError):
        SpotGroupUpdate.model_validate({"licenseCount": None})
    _, busy = update(fakes, group_id, friendlyName="Sales 2")
    assert busy is not None
    noted, none = update(fakes, group_id, notes="again")  # while the pool follows the new name: saved at once
    assert (noted.notes, noted.status, none) == ("again", "updating", None)
    for refused_change in ({"licenseCount": 3}, {"notes": "and", "friendlyName": "Sales 3"}):
        with pytest.raises(Conflict) as refused:  # what Azure follows waits for the run at work
            update(fakes, group_id, **refused_change)
        assert refused.value.code == "wrongStatus"
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).notes == "again"
    going = deployed(fakes, name="going-desks")
    spot_groups.delete_spot_group(fakes.admin_ports(), TENANT, going, if_match=None)
    with pytest.raises(Conflict):  # a group being deleted takes nothing more
        update(fakes, going, notes="last words")


def test_each_host_is_a_run_of_its_own(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=13)
    _, run = update(fakes, group_id, licenseCount=6, profilePath=r"\\files2\profiles")
    assert run is not None
    runs = [(r.stage, r.host_work, r.host, r.revision) for r in host_runs(run)]
    assert runs == [("host", "reconfigure", 0, 1), ("host", "remove", 1, 1), ("host", "remove", 2, 1)]


def test_a_host_that_cannot_be_removed_keeps_the_pool_for_another_delete(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=7)
    _, removal = spot_groups.delete_spot_group(fakes.admin_ports(), TENANT, group_id, if_match=None)
    fakes.script.fail("delete_vm", code="Conflict")
    assert deploy(fakes, removal) == "failed"
    stored = fakes.spot_groups.get_spot_group(TENANT, group_id)
    assert stored.status == "failed" and stored.status_detail is not None
    assert stored.status_detail.code == "sessionHostsNotRemoved"
    assert (TENANT, "spotpc-sales-desktops") in fakes.avd.pools
    _, again = spot_groups.delete_spot_group(fakes.admin_ports(), TENANT, group_id, if_match=None)
    assert deploy(fakes, again) == "succeeded"
    assert fakes.spot_groups.find_spot_group(TENANT, group_id) is None and fakes.compute.vm_names(TENANT) == []


def test_a_lost_update_is_resumed_with_the_hosts_it_still_has_to_remove(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=13)  # three hosts
    update(fakes, group_id, licenseCount=6)  # its run is lost
    fakes.clock.advance(QUIET + timedelta(seconds=1))
    [run] = spot_groups.unfinished_work(fakes.admin_ports(), quiet_since=fakes.clock() - QUIET)
    assert (run.work, run.add, run.reconfigure, run.remove) == ("deploy", [], [], [1, 2])
    assert deploy(fakes, run) == "succeeded"
    assert [h.index for h in fakes.spot_groups.list_hosts(TENANT, group_id)] == [0]


# --- rolling image updates --------------------------------------------------------------------------------------


def second_version(fakes: Fakes, image_set_id: str) -> None:
    scripts = [{"name": "apps", "script": "echo"}]
    image_sets.create_version(
        fakes.admin_ports(),
        TENANT,
        image_set_id,
        ImageSetVersionCreate.model_validate({"customizationScripts": scripts}),
    )
    run = ImageBuildRun(tenant_id=TENANT, image_set_id=image_set_id, version="0.0.1")
    assert advance_build(fakes.image_build_ports(), run).outcome == "succeeded"


def test_an_image_update_replaces_every_host_canary_first(fakes: Fakes) -> None:
    image_set_id = ready_image(fakes)
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(image_set_id, licenseCount=18))
    assert deploy(fakes, run) == "succeeded"
    second_version(fakes, image_set_id)
    rollout = {"canaryCount": 1, "maxUnavailable": 2}
    updating, update_run = update(fakes, group.id, imageVersion="0.0.1", rollout=rollout)
    assert updating.status == "updating" and update_run is not None
    plan = replacement_plan(update_run)
    assert [[h.host for h in batch] for batch in [plan.canary, *plan.batches]] == [[0], [1, 2]]

    assert deploy(fakes, update_run) == "succeeded"
    hosts = fakes.spot_groups.list_hosts(TENANT, group.id)
    assert {(h.status, h.image_version) for h in hosts} == {("running", "0.0.1")}
    stored = fakes.spot_groups.get_spot_group(TENANT, group.id)
    assert (stored.status, stored.image_version) == ("ready", "0.0.1")
    [record] = fakes.spot_groups.list_image_updates(TENANT, group.id)
    assert (record.status, record.replaced, record.remaining, record.canary) == ("succeeded", 3, 0, [hosts[0].name])
    new_image = fakes.image_sets.get_version(TENANT, image_set_id, "0.0.1")
    assert all(fakes.compute.vms[(TENANT, h.name)].spec.image_id == new_image.image_version_id for h in hosts)


def test_a_failed_canary_is_rolled_back_and_the_rest_keep_their_image(fakes: Fakes) -> None:
    image_set_id = ready_image(fakes)
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(image_set_id, licenseCount=12))
    assert deploy(fakes, run) == "succeeded"
    second_version(fakes, image_set_id)
    _, update_run = update(fakes, group.id, imageVersion="0.0.1")
    assert update_run is not None
    fakes.script.fail("register_session_host", code="AgentInstallFailed")  # the canary's new host
    assert deploy(fakes, update_run) == "succeeded"
    hosts = fakes.spot_groups.list_hosts(TENANT, group.id)
    assert {(h.status, h.image_version) for h in hosts} == {("running", "0.0.0")}
    stored = fakes.spot_groups.get_spot_group(TENANT, group.id)
    assert (stored.status, stored.image_version) == ("ready", "0.0.0")
    assert stored.status_detail is not None and stored.status_detail.code == "imageUpdateRolledBack"
    [record] = fakes.spot_groups.list_image_updates(TENANT, group.id)
    assert record.status == "rolledBack"


def test_a_host_is_replaced_once_its_users_signed_out_or_their_time_is_up(fakes: Fakes) -> None:
    image_set_id = ready_image(fakes)
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(image_set_id, licenseCount=1))
    assert deploy(fakes, run) == "succeeded"
    second_version(fakes, image_set_id)
    _, update_run = update(fakes, group.id, imageVersion="0.0.1", rollout={"canaryCount": 0, "drainTimeoutMinutes": 30})
    assert update_run is not None
    pool = fakes.avd.pools[(TENANT, "spotpc-sales-desktops")]
    [host] = fakes.spot_groups.list_hosts(TENANT, group.id)
    pool.hosts[host.name] = replace(pool.hosts[host.name], sessions=2)
    [[replacing]] = replacement_plan(update_run).batches
    step = advance(fakes.spot_group_ports(), replacing)
    assert step.outcome is None and step.wait_seconds == 30  # drained, its users still on
    assert not pool.hosts[host.name].allow_new_session
    fakes.clock.advance(timedelta(minutes=31))  # they had their time
    assert drive(fakes, step.run) == "succeeded"


# a Monday night in Amsterdam (UTC+1 in November): 21:00 to 22:00 UTC; the fakes' clock starts that Monday, 09:00 UTC
MONDAY_NIGHT = {"daysOfWeek": ["monday"], "startTime": "22:00", "durationMinutes": 60, "timeZone": "Europe/Amsterdam"}


def windowed_update(fakes: Fakes, license_count: int) -> tuple[str, SpotGroupRun]:
    """A group of ceil(license_count / 6) hosts, and its update to 0.0.1 in the Monday-night window: no canary, a
    host at a time, users told 15 minutes ahead and given 30 to sign out."""
    image_set_id = ready_image(fakes)
    created = body(image_set_id, licenseCount=license_count)
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, created)
    assert deploy(fakes, run) == "succeeded"
    second_version(fakes, image_set_id)
    rollout = {
        "canaryCount": 0,
        "drainTimeoutMinutes": 30,
        "notifyMinutesBefore": 15,
        "maintenanceWindow": MONDAY_NIGHT,
    }
    _, update_run = update(fakes, group.id, imageVersion="0.0.1", rollout=rollout)
    assert update_run is not None
    return group.id, update_run


def timer(fakes: Fakes, step: PhasedStep[SpotGroupRun]) -> PhasedStep[SpotGroupRun]:
    """The durable timer fires: the clock at the step's resume_at, and the host run's next call."""
    assert step.outcome is None and step.resume_at is not None
    fakes.clock.now = step.resume_at
    return advance(fakes.spot_group_ports(), step.run)


def drained(fakes: Fakes, name: str) -> bool:
    return not fakes.avd.pools[(TENANT, "spotpc-sales-desktops")].hosts[name].allow_new_session


def test_outside_the_window_no_host_is_drained_and_the_update_waits_for_it(fakes: Fakes) -> None:
    group_id, update_run = windowed_update(fakes, license_count=1)
    [host] = fakes.spot_groups.list_hosts(TENANT, group_id)
    sessions(fakes, group_id, h0=2)
    [[replacing]] = replacement_plan(update_run).batches
    assert update_run.image_update_id is not None
    step = advance(fakes.spot_group_ports(), replacing)  # Monday 09:00 UTC
    assert step.outcome is None and not drained(fakes, host.name)
    record = fakes.spot_groups.get_image_update(TENANT, group_id, update_run.image_update_id)
    assert record.status == "waitingForWindow" and record.status_detail is not None
    assert record.status_detail.message.startswith(
        "The next maintenance window opens at 2026-11-02T21:00Z (Monday 22:00 Europe/Amsterdam)"
    )
    assert record.rollout.maintenance_window is not None and record.rollout.maintenance_window.start_time.hour == 22
    assert record.next_window_date_time == datetime(2026, 11, 2, 21, tzinfo=UTC)
    while fakes.clock() < datetime(2026, 11, 2, 20, 45, tzinfo=UTC):  # durable timers of a few hours at most
        step = timer(fakes, step)
    told = fakes.spot_groups.list_hosts(TENANT, group_id)[0].status_detail
    assert told is not None and told.code == "usersNotified" and "drained at 2026-11-02 21:00 UTC" in told.message
    messages = fakes.avd.pools[(TENANT, "spotpc-sales-desktops")].messages
    assert sorted(m.user_principal_name for m in messages) == [f"user0@{host.name}", f"user1@{host.name}"]
    assert "from 22:00 (Europe/Amsterdam)" in messages[0].message and "30 minutes later" in messages[0].message
    assert not drained(fakes, host.name)  # told 15 minutes ahead, before the window opens
    step = timer(fakes, step)
    assert fakes.clock() == datetime(2026, 11, 2, 21, tzinfo=UTC) and drained(fakes, host.name)
    assert step.wait_seconds == 30  # its users have their 30 minutes to sign out, as without a window
    opened = fakes.spot_groups.get_image_update(TENANT, group_id, update_run.image_update_id)
    assert (opened.status, opened.next_window_date_time) == ("running", None)
    sessions(fakes, group_id)
    assert drive(fakes, step.run) == "succeeded"
    assert drive(fakes, update_run.model_copy(update={"stage": "finish", "update_outcome": "succeeded"})) == "succeeded"
    ended = fakes.spot_groups.get_image_update(TENANT, group_id, update_run.image_update_id)
    assert (ended.status, ended.replaced, ended.remaining) == ("succeeded", 1, 0)


def test_inside_the_window_hosts_are_drained_and_one_not_reached_before_it_ends_waits_for_the_next(
    fakes: Fakes,
) -> None:
    group_id, update_run = windowed_update(fakes, license_count=12)  # two hosts, one batch each
    first, second = fakes.spot_groups.list_hosts(TENANT, group_id)
    assert update_run.image_update_id is not None
    [[one], [two]] = replacement_plan(update_run).batches
    fakes.clock.now = datetime(2026, 11, 2, 21, tzinfo=UTC)  # as the window opens
    sessions(fakes, group_id, h0=1, h1=3)
    step = advance(fakes.spot_group_ports(), one)  # told now, drained in 15 minutes
    assert not drained(fakes, first.name) and step.resume_at == datetime(2026, 11, 2, 21, 15, tzinfo=UTC)
    step = timer(fakes, step)
    assert drained(fakes, first.name)
    sessions(fakes, group_id, h1=3)  # its user signed out
    assert drive(fakes, step.run) == "succeeded"

    fakes.clock.now = datetime(2026, 11, 2, 21, 20, tzinfo=UTC)  # 15 + 30 minutes no longer fit before 22:00
    step = advance(fakes.spot_group_ports(), two)
    assert not drained(fakes, second.name)
    record = fakes.spot_groups.get_image_update(TENANT, group_id, update_run.image_update_id)
    assert record.status == "waitingForWindow" and record.status_detail is not None
    assert "2026-11-09T21:00Z (Monday 22:00 Europe/Amsterdam)" in record.status_detail.message
    assert record.next_window_date_time == datetime(2026, 11, 9, 21, tzinfo=UTC)
    assert (record.replaced, record.remaining) == (0, 2)  # as stored; GET counts them from the hosts
    shown = image_updates.with_progress(record, fakes.spot_groups.list_hosts(TENANT, group_id))
    assert (shown.replaced, shown.remaining) == (1, 1)
    while not drained(fakes, second.name):
        step = timer(fakes, step)
    assert fakes.clock() == datetime(2026, 11, 9, 21, tzinfo=UTC)  # the next Monday, as its window opens
    assert fakes.spot_groups.get_image_update(TENANT, group_id, update_run.image_update_id).status == "running"
    sessions(fakes, group_id)
    assert drive(fakes, step.run) == "succeeded"


def test_an_image_update_comes_on_its_own(fakes: Fakes) -> None:
    group_id = deployed(fakes)
    with pytest.raises(ValidationFailed) as refused:
        update(fakes, group_id, imageVersion="0.0.1", licenseCount=9)
    assert refused.value.details[0].code == "notAllowed"


# --- optimization -----------------------------------------------------------------------------------------------


def sessions(fakes: Fakes, group_id: str, **by_index: int) -> None:
    """Exactly these many users signed in on each host (`h0=2`), the others signed out."""
    pool = fakes.avd.pools[(TENANT, "spotpc-sales-desktops")]
    pool.sessions.clear()
    for host in fakes.spot_groups.list_hosts(TENANT, group_id):
        for n in range(by_index.get(f"h{host.index}", 0)):
            fakes.avd.sign_in(TENANT, "spotpc-sales-desktops", host.name, f"user{n}@{host.name}")


def test_idle_pooled_hosts_beyond_the_buffer_are_deallocated_and_started_as_sessions_come(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=8, maxSessionsPerHost=2)  # four hosts
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    names = [h.name for h in fakes.spot_groups.list_hosts(TENANT, group_id)]

    sessions(fakes, group_id)  # nobody signed in: one host (the buffer) stays on
    plan = spot_group_power.optimize(fakes.spot_group_ports(), group, fakes.clock())
    assert (plan.start, plan.stop) == ([], names[:0:-1])
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).session_host_counts.stopped == 3
    assert all(fakes.operations.power[(TENANT, name)] == "deallocated" for name in names[1:])

    sessions(fakes, group_id, h0=2)  # the first host is full: the next one starts, for the next user
    assert spot_group_power.optimize(fakes.spot_group_ports(), group, fakes.clock()).start == names[1:2]
    sessions(fakes, group_id, h0=2, h1=2)
    assert spot_group_power.optimize(fakes.spot_group_ports(), group, fakes.clock()).start == names[2:3]
    sessions(fakes, group_id, h0=2, h1=2, h2=2)
    assert spot_group_power.optimize(fakes.spot_group_ports(), group, fakes.clock()).start == names[3:4]

    sessions(fakes, group_id, h3=1)  # they sign out but one: idle hosts go, highest first; one in use never does
    plan = spot_group_power.optimize(fakes.spot_group_ports(), group, fakes.clock())
    assert (plan.start, plan.stop) == ([], [names[2], names[1]])
    counts = fakes.spot_groups.get_spot_group(TENANT, group_id).session_host_counts
    assert (counts.running, counts.stopped) == (2, 2)


def test_personal_groups_are_left_as_they_are(fakes: Fakes) -> None:
    group, run = spot_groups.create_spot_group(
        fakes.admin_ports(), TENANT, body(ready_image(fakes, PERSONAL_IMAGE), userType="personal", licenseCount=3)
    )
    assert deploy(fakes, run) == "succeeded"
    plan = spot_group_power.optimize(
        fakes.spot_group_ports(), fakes.spot_groups.get_spot_group(TENANT, group.id), fakes.clock()
    )
    assert (plan.start, plan.stop) == ([], [])


def test_a_delete_gives_signed_in_users_their_time_before_their_host_goes(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=6)  # one host
    sessions(fakes, group_id, h0=1)
    _, removal = spot_groups.delete_spot_group(
        fakes.admin_ports(), TENANT, group_id, if_match=None, drain_timeout_minutes=20
    )
    assert drive(fakes, removal) == "succeeded"  # nothing of the group's own to do first
    [host_run] = host_runs(removal)
    step = advance(fakes.spot_group_ports(), host_run)
    assert step.outcome is None and step.wait_seconds == 30  # drained; its user still on
    [host] = fakes.spot_groups.list_hosts(TENANT, group_id)
    assert fakes.avd.pools[(TENANT, "spotpc-sales-desktops")].hosts[host.name].allow_new_session is False
    assert fakes.compute.vm_names(TENANT) == [host.name]
    sessions(fakes, group_id)  # signed out
    assert drive(fakes, step.run) == "succeeded"
    assert fakes.compute.vm_names(TENANT) == []


def test_a_delete_with_no_time_to_sign_out_goes_at_once(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=6)
    sessions(fakes, group_id, h0=1)
    _, removal = spot_groups.delete_spot_group(
        fakes.admin_ports(), TENANT, group_id, if_match=None, drain_timeout_minutes=0
    )
    assert deploy(fakes, removal) == "succeeded"
    assert fakes.spot_groups.find_spot_group(TENANT, group_id) is None


def test_session_hosts_show_their_live_sessions_and_as_recorded_while_the_pool_cannot_be_read(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=6)
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    sessions(fakes, group_id, h0=3)
    [live] = live_hosts(fakes.spot_group_ports(), group)
    assert (live.session_count, live.power_state) == (3, "running")
    fakes.script.fail("list_session_hosts", code="ServiceUnavailable")
    [recorded] = live_hosts(fakes.spot_group_ports(), group)
    assert recorded.session_count == 0 and recorded.status == "running"


def test_a_cancelled_update_stops_the_hosts_not_yet_drained_and_ends_with_the_group_ready(fakes: Fakes) -> None:
    group_id, update_run = windowed_update(fakes, license_count=7)  # two hosts, one at a time
    assert update_run.image_update_id is not None
    first, second = replacement_plan(update_run).batches
    [replacing] = first
    waiting = advance(fakes.spot_group_ports(), replacing)  # Monday 09:00 UTC: the window opens tonight
    assert waiting.outcome is None and waiting.wait_seconds > 0
    assert awaits_turn(waiting.run)  # the orchestrator listens for the cancel while it waits

    update_id = update_run.image_update_id
    cancelled, told = image_updates.cancel_image_update(fakes.admin_ports(), TENANT, group_id, update_id)
    assert cancelled.status == "cancelling" and told == [0, 1]
    with pytest.raises(Conflict) as twice:
        image_updates.cancel_image_update(fakes.admin_ports(), TENANT, group_id, update_id)
    assert twice.value.code == "wrongStatus"
    hosts = fakes.spot_groups.list_hosts(TENANT, group_id)
    assert advance(fakes.spot_group_ports(), waiting.run).outcome == "cancelled"  # asked again on the cancel's event
    assert [drive(fakes, host) for host in second] == ["cancelled"]  # a later batch's host is never drained
    assert not any(drained(fakes, host.name) for host in hosts)

    ended = drive(fakes, update_run.model_copy(update={"stage": "finish", "update_outcome": "cancelled"}))
    assert ended == "succeeded"
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    assert (group.status, group.image_version) == ("ready", "0.0.0")
    assert group.status_detail is not None and group.status_detail.code == "imageUpdateCancelled"
    record = fakes.spot_groups.get_image_update(TENANT, group_id, update_id)
    assert (record.status, record.replaced, record.remaining) == ("cancelled", 0, 2)
    [line], _ = fakes.spot_group_schedules.list_events(TENANT, group_id)
    assert line.action == "cancelImageUpdate" and "0 hosts run 0.0.1, 2 stay on 0.0.0" in line.reason
    assert [h.image_version for h in fakes.spot_groups.list_hosts(TENANT, group_id)] == ["0.0.0", "0.0.0"]


def test_an_update_that_ended_cannot_be_cancelled(fakes: Fakes) -> None:
    group_id, update_run = windowed_update(fakes, license_count=1)
    assert update_run.image_update_id is not None
    fakes.clock.now = datetime(2026, 11, 2, 21, tzinfo=UTC)  # in the window, nobody signed in
    assert deploy(fakes, update_run) == "succeeded"
    with pytest.raises(Conflict) as refused:
        image_updates.cancel_image_update(fakes.admin_ports(), TENANT, group_id, update_run.image_update_id)
    assert refused.value.code == "wrongStatus"


def test_a_failed_canary_is_rebuilt_on_the_old_version_even_when_the_update_is_cancelled_meanwhile(
    fakes: Fakes,
) -> None:
    image_set_id = ready_image(fakes)
    group, run = spot_groups.create_spot_group(fakes.admin_ports(), TENANT, body(image_set_id, licenseCount=12))
    assert deploy(fakes, run) == "succeeded"
    second_version(fakes, image_set_id)
    _, update_run = update(fakes, group.id, imageVersion="0.0.1")
    assert update_run is not None and update_run.image_update_id is not None and update_run.previous is not None
    fakes.script.fail("register_session_host", code="AgentInstallFailed")  # the canary's new host
    [canary] = replacement_plan(update_run).canary
    assert drive(fakes, canary) == "failed"
    image_updates.cancel_image_update(fakes.admin_ports(), TENANT, group.id, update_run.image_update_id)
    version, image_id = update_run.previous
    old_image = {"image_version": version, "image_version_id": image_id, "maintenance_window": None}
    back = canary.model_copy(update=old_image)
    assert drive(fakes, back) == "succeeded"  # the repair goes on: the host runs again, on the old version
    host = fakes.spot_groups.list_hosts(TENANT, group.id)[canary.host or 0]
    assert (host.status, host.image_version) == ("running", "0.0.0")


def test_a_host_start_azure_fails_later_turns_its_timeline_line_failed_and_the_host_back_off(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=4, maxSessionsPerHost=2)  # two hosts
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    names = [h.name for h in fakes.spot_groups.list_hosts(TENANT, group_id)]
    sessions(fakes, group_id)
    assert spot_group_power.optimize(fakes.spot_group_ports(), group, fakes.clock()).stop == names[1:]

    sessions(fakes, group_id, h0=2)  # the second host starts: Azure takes the start and has not finished it
    fakes.script.wait("start")
    plan = spot_group_power.optimize(fakes.spot_group_ports(), group, fakes.clock())
    [run] = plan.follow
    assert (run.event.host, run.event.action, run.event.outcome) == (names[1], "start", "done")
    step = host_power.follow(fakes.spot_group_ports(), run.model_copy(update={"operation": None}))
    assert step.outcome == "succeeded"  # a start that ends well leaves its line as it was

    fakes.script.fail("start", code="AllocationFailed", message="No capacity for the size in the zone.")
    step = host_power.follow(fakes.spot_group_ports(), run)
    assert step.outcome == "failed"
    [line] = [e for e in fakes.spot_group_schedules.list_events(TENANT, group_id)[0] if e.action == "start"]
    assert (line.outcome, line.error) == ("failed", "AllocationFailed")
    assert "No capacity for the size in the zone." in line.reason
    host = next(h for h in fakes.spot_groups.list_hosts(TENANT, group_id) if h.name == names[1])
    assert (host.power_state, host.running_since) == ("deallocated", None)
    assert fakes.spot_groups.get_spot_group(TENANT, group_id).session_host_counts.stopped == 1


def test_a_power_action_still_under_way_past_the_time_limit_fails_as_timed_out(fakes: Fakes) -> None:
    group_id = deployed(fakes, licenseCount=4, maxSessionsPerHost=2)
    group = fakes.spot_groups.get_spot_group(TENANT, group_id)
    sessions(fakes, group_id)
    fakes.script.wait("deallocate")
    [run] = spot_group_power.optimize(fakes.spot_group_ports(), group, fakes.clock()).follow
    fakes.script.wait("deallocate", None)
    step = host_power.follow(fakes.spot_group_ports(), run)
    assert step.outcome is None and step.wait_seconds > 0
    fakes.clock.advance(host_power.POWER_TIMEOUT + timedelta(minutes=1))
    assert host_power.follow(fakes.spot_group_ports(), step.run).outcome == "failed"
    [line] = fakes.spot_group_schedules.list_events(TENANT, group_id)[0]
    assert (line.action, line.outcome, line.error) == ("deallocate", "failed", "timedOut")
    [_, host] = fakes.spot_groups.list_hosts(TENANT, group_id)
    assert host.power_state == "running"

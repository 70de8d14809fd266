"""A Spot Group's session time limits, a personal group's power and a rolling update's maintenance window in the
portal: the limits and power set in the edit form (a bad limit refused at its field), saved, read back through the
API and shown in words, with the host's user away since the optimization saw them go; the wizard's optional
fieldsets and its review; and an update kept to a window that is not open now, refused at the window's length when
too short for its drain, then shown waiting for its window with when it opens, and cancelled there."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import WAIT_MS
from tests.browser.test_spot_pc import field, label
from tests.browser.test_spot_schedules_sessions import picture
from tests.e2e.test_spot_group_sessions import Users
from tests.e2e.test_spot_groups import group_body, ready_version, run_optimization, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

EVERY_DAY = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def detail(page: Page, name: str) -> Locator:
    """The value of one line of the group's Details."""
    lines = page.get_by_role("region", name="Details").locator("dl > div")
    return lines.filter(has=page.locator("dt", has_text=name)).locator("dd")


@pytest.fixture(scope="module")
def image_set(owner_api: ApiClient) -> tuple[Tenant, str]:
    """A tenant with the sales group and a ready image set, shared by the module's groups."""
    tenant = Tenant(owner_api)
    tenant.group("sales", ["ann", "ben"])
    return tenant, ready_version(owner_api, tenant)


def test_limits_and_power_are_set_in_the_edit_form_refused_at_their_field_saved_and_shown(
    portal: Any, owner_api: ApiClient, image_set: tuple[Tenant, str]
) -> None:
    tenant, image_set_id = image_set
    body = group_body(
        tenant,
        image_set_id,
        name="policy-desks",
        friendlyName="Personal desktops",
        userType="personal",
        licenseCount=1,
        maxSessionsPerHost=None,
    )
    group = owner_api.created(f"{tenant.path}/spotGroups", body)
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(owner_api, path)["status"] == "ready"

    tab = portal("admin")
    page = tab.page
    tab.open(path)
    status = page.get_by_role("region", name="Status")
    expect(status.locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
    expect(detail(page, "Session time limits")).to_have_text("None")
    expect(detail(page, "Power while users are away")).to_have_text("Hosts keep running while their users are away.")
    hosts = page.get_by_role("table", name="Session hosts")
    expect(hosts.get_by_role("columnheader", name="User away since")).to_be_visible()
    expect(hosts.locator("tbody td").last).to_have_text("\N{EM DASH}")

    # a limit beyond the 5 days Windows offers: the server's message at that field, and nothing saved
    limits = page.get_by_role("group", name="Session time limits")
    power = page.get_by_role("group", name="Power while users are away")
    expect(field(page, "Idle (minutes)")).to_contain_text("1-7200; empty: no limit.")
    label(page, "Idle (minutes)").fill("10000")
    label(page, "Disconnected (minutes)").fill("120")
    label(page, "Deallocate after disconnected (minutes)").fill("30")
    page.get_by_label("Deallocate when the user signs out").check()
    page.get_by_label("Hibernate instead of deallocating").check()
    page.get_by_role("button", name="Save changes").click()
    expect(field(page, "Idle (minutes)").locator(".field-error")).to_contain_text("less than or equal to 7200")
    expect(label(page, "Idle (minutes)")).to_have_attribute("aria-invalid", "true")
    expect(label(page, "Idle (minutes)")).to_be_focused()
    tab.shot("a limit refused at its field")
    tab.assert_accessible("the edit form with a refused limit")
    unchanged = owner_api.get(path).json()
    assert (unchanged["sessionLimits"], unchanged["personalPower"]) == (None, None)

    label(page, "Idle (minutes)").fill("60")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(re.compile(r"^Saved\. Azure follows the change"))).to_contain_text(
        "The session time limits are applied again to every session host. Start VM on Connect is turned on"
    )
    saved = settled(owner_api, path)
    assert saved["sessionLimits"] == {"idleMinutes": 60, "disconnectedMinutes": 120, "activeMinutes": None}
    assert saved["personalPower"] == {
        "deallocateWhenDisconnectedMinutes": 30,
        "deallocateOnSignOut": True,
        "hibernate": True,
    }
    expect(status.locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
    expect(detail(page, "Session time limits")).to_have_text(
        "Idle 60 min \N{MIDDLE DOT} disconnected 120 min \N{MIDDLE DOT} active: no limit"
    )
    expect(detail(page, "Power while users are away")).to_have_text(
        "A host is hibernated (deallocated where its VM size or image cannot hibernate) once its user has been "
        "disconnected for 30 min or has signed out; Azure starts it again when they connect."
    )
    expect(label(page, "Idle (minutes)")).to_have_value("60")  # the form is the group as saved
    expect(page.get_by_label("Hibernate instead of deallocating")).to_be_checked()
    tab.shot("limits and power saved and shown")
    picture(tab, "picture-edit-form", limits, power)
    tab.assert_accessible("a personal Spot Group with limits and power")

    # its user disconnects: the optimization keeps when it first saw them away, and the hosts table shows it. Its
    # one license is held by whichever of ann and ben Graph lists first (the license count is a cap)
    users = Users(tenant, "spotpc-policy-desks")
    [holder] = [u["id"] for u in owner_api.get(f"{path}/users").json()["value"] if u["access"] == "granted"]
    user = next(name for name in ("ann", "ben") if tenant.uid(name).lower() == holder.lower())
    users.sign_in(user)
    users.disconnect(user)
    run_optimization(owner_api)

    def away() -> str:
        [row] = owner_api.get(f"{path}/sessionHosts").json()["value"]
        assert row["userAwaySince"], row
        return str(row["userAwaySince"])

    eventually(away, timeout_s=60)
    page.locator(".page-header").get_by_role("button", name="Refresh").click()
    expect(hosts.locator("tbody td").last).not_to_have_text("\N{EM DASH}")
    tab.shot("the host's user away since")


def test_the_wizard_takes_limits_for_any_group_and_power_for_a_personal_one(
    portal: Any, image_set: tuple[Tenant, str]
) -> None:
    tenant, _ = image_set
    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/spotGroups/new")
    label(page, "Name").fill("wizard-desks")
    page.get_by_label("Friendly name").fill("Wizard desktops")
    page.get_by_label("License count").fill("1")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Image version")).to_have_value("0.0.0", timeout=WAIT_MS)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Access")).to_be_visible()
    expect(page.get_by_role("group", name="Session time limits (optional)")).to_be_visible()
    expect(page.get_by_role("group", name="Power while users are away (optional)")).to_have_count(0)  # pooled

    page.get_by_role("button", name="Basics").click()
    page.get_by_label("Personal", exact=True).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Find a group").fill("sales")
    page.get_by_role("button", name="Add sales").click()
    page.get_by_label("Profile path").fill("\\\\files.contoso.com\\profiles")
    label(page, "Active (minutes)").fill("0")  # refused by the server at its field
    page.get_by_label("Deallocate when the user signs out").check()
    page.get_by_role("button", name="Next").click()
    expect(field(page, "Active (minutes)").locator(".field-error")).to_contain_text("greater than or equal to 1")
    tab.shot("the wizard's limits with a refused one")
    tab.assert_accessible("wizard: access with limits and power")
    label(page, "Active (minutes)").fill("480")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Review + create")).to_be_visible()
    review = page.locator("dl.details")
    expect(review).to_contain_text("Idle: no limit \N{MIDDLE DOT} disconnected: no limit \N{MIDDLE DOT} active 480 min")
    expect(review).to_contain_text("A host is deallocated once its user has signed out")
    tab.shot("the review with limits and power")
    tab.assert_accessible("wizard: review with limits and power")


def test_an_update_waits_for_its_maintenance_window_after_a_window_too_short_is_refused(
    portal: Any, owner_api: ApiClient, image_set: tuple[Tenant, str]
) -> None:
    tenant, image_set_id = image_set
    body = group_body(tenant, image_set_id, name="window-desks", licenseCount=2)  # one pooled host
    group = owner_api.created(f"{tenant.path}/spotGroups", body)
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(owner_api, path)["status"] == "ready"
    versions = f"{tenant.path}/imageSets/{image_set_id}/versions"
    assert owner_api.post(versions, {"customizationScripts": [{"name": "apps", "script": "echo"}]}).status_code == 202

    def version_ready() -> None:
        assert owner_api.get(f"{versions}/0.0.1").json()["status"] == "ready"

    eventually(version_ready, timeout_s=WAIT_MS / 1000)

    tab = portal("admin")
    page = tab.page
    tab.open(path)
    expect(page.get_by_role("region", name="Status").locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
    expect(page.get_by_role("group", name="Session time limits")).to_be_visible()
    expect(page.get_by_role("group", name="Power while users are away")).to_have_count(0)  # a pooled group has none
    expect(page.get_by_role("region", name="Details")).not_to_contain_text("Power while users are away")

    # every day, opening 6 hours from now: not open now, whenever the test runs
    opens = (datetime.now(UTC) + timedelta(hours=6)).replace(second=0, microsecond=0)
    updates = page.get_by_role("region", name="Rolling image update")
    expect(updates.get_by_label("New image version")).to_have_value("0.0.1", timeout=WAIT_MS)
    updates.get_by_label("Only inside a maintenance window").check()
    days = updates.get_by_role("group", name="Days of the week")
    for day in EVERY_DAY:
        days.get_by_role("checkbox", name=day).check()
    label(updates, "Starts at").fill(f"{opens:%H:%M}")
    expect(label(updates, "Time zone")).not_to_have_value("")  # the browser's own zone to begin with
    label(updates, "Time zone").fill("UTC")
    label(updates, "Length (minutes)").fill("30")
    length = field(page, "Length (minutes)")
    expect(length).to_contain_text("at least the warning and the drain timeout together (75 minutes now)")
    tab.shot("the maintenance window")
    tab.assert_accessible("a rolling update with its maintenance window")

    # 30 minutes cannot hold the 15-minute warning and the 60-minute drain: refused at the length, nothing saved
    updates.get_by_role("button", name="Start rolling update").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"drained only inside the maintenance window: Every day from {opens:%H:%M}")
    dialog.get_by_role("button", name="Start update").click()
    expect(length.locator(".field-error")).to_contain_text("at least")
    expect(label(updates, "Length (minutes)")).to_have_attribute("aria-invalid", "true")
    tab.shot("a window too short for the drain")
    tab.assert_accessible("a rolling update refused at the window's length")
    assert owner_api.get(f"{path}/imageUpdates").json()["value"] == []

    label(updates, "Length (minutes)").fill("120")
    updates.get_by_role("button", name="Start rolling update").click()
    expect(dialog).to_contain_text(f"Every day from {opens:%H:%M} for 2 hours")
    expect(dialog).to_contain_text("UTC time; users are warned 15 minutes before their host is drained.")
    tab.shot("the update's confirmation with its window")
    dialog.get_by_role("button", name="Start update").click()

    # the host waits for the window: the update says so, and when it opens
    expect(updates.get_by_text("Waiting for its window")).to_be_visible(timeout=WAIT_MS)
    expect(updates).to_contain_text(f"It opens {opens:%A %H:%M} UTC")
    expect(updates).to_contain_text(f"Only inside its maintenance window: Every day from {opens:%H:%M} for 2 hours")
    [update] = owner_api.get(f"{path}/imageUpdates").json()["value"]
    assert (update["status"], update["statusDetail"]["code"]) == ("waitingForWindow", "waitingForWindow")
    assert update["rollout"]["maintenanceWindow"] == {
        "daysOfWeek": [day.lower() for day in EVERY_DAY],
        "startTime": f"{opens:%H:%M}",
        "durationMinutes": 120,
        "timeZone": "UTC",
    }
    tab.shot("the update waiting for its window")
    tab.assert_accessible("an update waiting for its window")

    # the group is updating until the window has passed: its notes can still change, the rest waits
    edit = page.get_by_role("form", name="Edit")
    expect(edit).to_contain_text("only its description and notes can change")
    expect(edit.get_by_label("Friendly name")).to_have_count(0)
    edit.get_by_label("Notes").fill("Image 0.0.1 goes on tonight, in the window.")
    edit.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.", exact=True)).to_be_visible()
    saved = owner_api.get(path).json()
    assert (saved["notes"], saved["status"]) == ("Image 0.0.1 goes on tonight, in the window.", "updating")
    tab.shot("notes changed while the update waits")

    # the admin cancels the waiting update: the host never drained keeps 0.0.0, and the group is ready on it again
    updates.get_by_role("button", name="Cancel update").click()
    expect(dialog).to_contain_text("the others stay on 0.0.0")
    dialog.get_by_role("button", name="Yes, cancel the update").click()
    expect(page.get_by_role("region", name="Status").locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
    expect(updates).to_contain_text("Cancelled: 0 hosts kept version 0.0.1, 1 host stayed on 0.0.0.", timeout=WAIT_MS)
    expect(updates.get_by_role("button", name="Cancel update")).to_have_count(0)
    ended = owner_api.get(f"{path}/imageUpdates/{update['id']}").json()
    assert (ended["status"], ended["replaced"], ended["remaining"]) == ("cancelled", 0, 1)
    assert owner_api.get(path).json()["imageVersion"] == "0.0.0"
    tab.shot("the update cancelled")
    tab.assert_accessible("a cancelled update")

"""Spot PC in the portal: an image set built before the admin's eyes, a version with a script, a Spot Group made
through its wizard (with the server's messages next to their fields), its hosts live, who holds its licenses and who
waits, and a rolling image update."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import WAIT_MS
from tests.e2e.test_provisioning import PLAN
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

SOURCE = "microsoftwindowsdesktop_office-365_win11-24h2-avd-m365"
USERS = ("ann", "ben", "cid")


def label(scope: Page | Locator, text: str) -> Locator:
    """The control labelled exactly `text` (a required field's label ends in a marker: "Name *")."""
    return scope.get_by_label(re.compile(rf"^{re.escape(text)}( \*)?$"))


def field(page: Page, text: str) -> Locator:
    """The field (label, control, hint and the server's message) around the control labelled `text`."""
    return page.locator(".field").filter(has=label(page, text))


def version_row(page: Page, version: str) -> Locator:
    table = page.get_by_role("table", name="Versions, oldest first")
    return table.locator("tbody tr").filter(has=page.get_by_role("cell", name=version, exact=True))


def test_an_image_set_and_a_spot_group_are_built_before_the_admins_eyes(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api)
    for user in USERS:
        tenant.user(user, [PLAN])
    tenant.group("finance", list(USERS))

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/imageSets")
    expect(page.get_by_role("heading", name="Image sets", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Create an image set")).to_be_visible()
    tab.shot("no image set yet")
    tab.assert_accessible("image sets")

    # the image set: version 0.0.0 is built from the marketplace image while the admin watches, no reload
    page.get_by_label("Display name").fill("Finance desktops")
    page.get_by_label("Source image").select_option(SOURCE)
    expect(field(page, "Source image")).to_contain_text("Multi-session")
    page.get_by_label("Notes").fill("first cut")
    page.get_by_role("button", name="Review").click()
    review = page.get_by_role("heading", name="Review the image set")
    expect(review).to_be_focused()  # the review is where the admin reads next
    expect(page.locator("main")).to_contain_text("Finance desktops")
    expect(page.locator("main")).to_contain_text("first cut")
    tab.shot("the image set reviewed before it is created")
    tab.assert_accessible("an image set's review")
    page.get_by_role("button", name="Create image set").click()
    expect(page.get_by_role("heading", name="Finance desktops", level=1)).to_be_visible()
    expect(version_row(page, "0.0.0")).to_contain_text("Ready", timeout=WAIT_MS)
    tab.shot("version 0.0.0 ready without a reload")
    tab.assert_accessible("an image set")

    # a version with a script: it runs on the build VM, which is then captured on its own
    page.get_by_role("button", name="Add a script").click()
    script = page.get_by_role("group", name="Script 1")
    label(script, "Name").fill("apps")
    script.get_by_label("PowerShell").fill("winget install --id 7zip.7zip --silent")
    page.get_by_role("form", name="Add a version").get_by_label("Notes").fill("7-Zip")
    tab.shot("a version with a script")
    page.get_by_role("button", name="Add version").click()
    expect(page.get_by_text("Version 0.0.1 added.")).to_be_visible()
    expect(version_row(page, "0.0.1")).to_contain_text("apps")
    expect(page.get_by_role("group", name="Script 1")).to_have_count(0)  # a fresh form for the next version

    # the wizard: the server's message lands next to the field it names
    tab.open(f"/tenants/{tenant.id}/spotGroups")
    expect(page.get_by_role("heading", name="Spot Groups", exact=True)).to_be_visible()
    tab.assert_accessible("Spot Groups")
    page.get_by_role("link", name="Create Spot Group").click()
    expect(page.get_by_role("heading", name="Basics")).to_be_visible()
    label(page, "Name").fill("Finance Desktops")
    page.get_by_label("Friendly name").fill("Finance desktops")
    page.get_by_label("License count").fill("2")
    page.get_by_label("Maximum sessions per host").fill("1")
    page.get_by_role("button", name="Next").click()
    expect(field(page, "Name").locator(".field-error")).to_contain_text("lowercase letters, digits and hyphens")
    expect(label(page, "Name")).to_have_attribute("aria-invalid", "true")
    tab.shot("the server's message next to the name")
    tab.assert_accessible("wizard: basics with an error")
    label(page, "Name").fill("finance-desktops")
    expect(page.get_by_text("2 session hosts for 2 licenses")).to_be_visible()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Placement and image")).to_be_visible()
    expect(page.get_by_label("Image version").locator("option", has_text="0.0.0")).to_have_count(1, timeout=WAIT_MS)
    page.get_by_label("Image version").select_option("0.0.0")
    tab.shot("placement and image")
    tab.assert_accessible("wizard: placement and image")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Access")).to_be_visible()
    page.get_by_label("Find a group").fill("finance")
    page.get_by_role("button", name="Add finance").click()
    page.get_by_label("Profile path").fill("C:\\profiles")
    page.get_by_role("button", name="Next").click()
    expect(field(page, "Profile path").locator(".field-error")).to_contain_text("UNC path")
    tab.shot("the server's message next to the profile path")
    tab.assert_accessible("wizard: access with an error")
    page.get_by_label("Profile path").fill("\\\\files.contoso.com\\profiles")
    page.get_by_role("button", name="Next").click()

    # the review is the server's: pool type, hosts, who gets access and who is over the license count
    expect(page.get_by_role("heading", name="Review + create")).to_be_visible()
    expect(page.get_by_role("heading", name="Who gets access (2)")).to_be_visible()
    expect(page.get_by_role("heading", name="Who does not (1)")).to_be_visible()
    details = page.locator("dl.details")
    expect(details).to_contain_text("spotpc-finance-desktops: Pooled")
    expect(details).to_contain_text("2 \N{MULTIPLICATION SIGN} Standard_D4s_v5")
    users = page.get_by_role("list", name="Users who get access").get_by_role("listitem")
    expect(users).to_have_count(2)
    tab.shot("the review")
    tab.assert_accessible("wizard: review")
    page.get_by_role("button", name="Create Spot Group").click()

    # the group deploys and its hosts come up with their live state, no reload
    expect(page.get_by_role("heading", name="Finance desktops", level=1)).to_be_visible()
    status = page.get_by_role("region", name="Status")
    expect(status.locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
    hosts = page.get_by_role("table", name="Session hosts")
    expect(hosts.locator("tbody tr")).to_have_count(2)
    expect(hosts.locator("tbody td:nth-child(2)")).to_have_text(["Running", "Running"], timeout=WAIT_MS)
    expect(hosts.locator("tbody td:nth-child(4)")).to_have_text(["0.0.0", "0.0.0"])
    tab.shot("the group ready with its hosts")
    tab.assert_accessible("a Spot Group")

    # a rolling image update to the version with the script, canary first, followed on the page
    updates = page.get_by_role("region", name="Rolling image update")
    expect(updates.get_by_label("New image version")).to_have_value("0.0.1", timeout=WAIT_MS)
    updates.get_by_label("Drain timeout (minutes)").fill("0")
    updates.get_by_role("button", name="Start rolling update").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Replace all 2 session hosts of Finance desktops with version 0.0.1?")
    tab.shot("the update's confirmation")
    tenant.latency("createVm", 3)  # each host takes a while to rebuild: long enough to watch the update run
    dialog.get_by_role("button", name="Start update").click()
    expect(updates).to_contain_text("Version 0.0.0 \N{RIGHTWARDS ARROW} 0.0.1")
    expect(updates.locator("progress")).to_be_visible()
    expect(updates.get_by_role("list", name="Canary hosts").get_by_role("listitem")).to_have_count(1)
    tab.shot("the update under way, canary first")
    expect(updates).to_contain_text("Every host now runs version 0.0.1.", timeout=WAIT_MS)
    expect(hosts.locator("tbody td:nth-child(4)")).to_have_text(["0.0.1", "0.0.1"])
    tab.shot("the update done")
    tab.assert_accessible("a Spot Group after its update")

    # the list shows the group with its hosts
    tab.open(f"/tenants/{tenant.id}/spotGroups")
    row = page.get_by_role("table", name="Spot Groups").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2 running · 2 in all")
    expect(row).to_contain_text("2 of 2")
    tab.shot("the Spot Groups list")
    row.get_by_role("link", name="finance-desktops").click()
    # the page has read the group and its hosts before anything is clicked: a table that fills in above moves the
    # controls below it, and a click aimed before the move lands elsewhere
    expect(hosts.locator("tbody tr")).to_have_count(2)

    # delete: the confirmation names the hosts and the drain time; the page follows the removal to its end
    removal = page.get_by_role("region", name="Delete")
    removal.get_by_label("Drain timeout (minutes)").fill("0")
    removal.get_by_role("button", name="Delete Spot Group").click()
    expect(dialog).to_contain_text("Its 2 session hosts will be drained, their users given no time to sign out")
    tab.shot("the delete confirmation")
    dialog.get_by_role("button", name="Delete Spot Group").click()
    expect(page.get_by_text("The Spot Group Finance desktops is deleted")).to_be_visible(timeout=WAIT_MS)
    tab.shot("the group deleted")

    tab.open(f"/tenants/{tenant.id}/imageSets")
    sets = page.get_by_role("table", name="Image sets").locator("tbody tr")
    expect(sets).to_have_count(1)
    expect(sets).to_contain_text("0.0.1")
    expect(sets).to_contain_text("Ready")
    tab.shot("the image sets list")
    tab.assert_accessible("image sets with one")


def test_a_version_waits_for_its_capture_and_one_in_use_is_kept(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api)
    tenant.group("finance", ["ann", "ben"])
    image_set = owner_api.created(
        f"{tenant.path}/imageSets", {"displayName": "Pooled", "siteId": tenant.site["id"], "sourceImageId": SOURCE}
    )
    path = f"{tenant.path}/imageSets/{image_set['id']}"
    eventually(lambda: _ready(owner_api, f"{path}/versions/0.0.0"), timeout_s=WAIT_MS / 1000)
    group = owner_api.created(
        f"{tenant.path}/spotGroups",
        {
            "name": "finance",
            "friendlyName": "Finance",
            "profilePath": r"\\files.contoso.com\profiles",
            "userType": "pooled",
            "licenseCount": 1,
            "maxSessionsPerHost": 1,
            "siteId": tenant.site["id"],
            "groupIds": [tenant.gid("finance")],
            "imageSetId": image_set["id"],
            "imageVersion": "0.0.0",
        },
    )

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/imageSets/{image_set['id']}")
    expect(version_row(page, "0.0.0")).to_contain_text("Ready")

    # no scripts: the build VM waits for the admin, who captures it from the table
    page.get_by_role("button", name="Add version").click()
    expect(page.get_by_text("Version 0.0.1 waits for you.")).to_be_visible(timeout=WAIT_MS)
    expect(version_row(page, "0.0.1")).to_contain_text("Awaiting customization")
    tab.shot("a version waiting for its capture")
    tab.assert_accessible("a version waiting for its capture")
    page.get_by_role("button", name="Capture version 0.0.1").click()
    page.get_by_role("dialog").get_by_role("button", name="Capture").click()
    expect(version_row(page, "0.0.1")).to_contain_text("Ready", timeout=WAIT_MS)
    expect(page.get_by_text("Version 0.0.1 waits for you.")).to_have_count(0)

    # a version a Spot Group runs on is kept, and the page says why and what to do
    page.get_by_role("button", name="Delete version 0.0.0").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete 0.0.0").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("used by the Spot Group 'finance'")
    expect(refusal).to_contain_text("rolling image update")
    expect(version_row(page, "0.0.0")).to_have_count(1)
    tab.shot("a version in use is kept")
    tab.assert_accessible("a refused delete")

    # the group's edit: more licenses, a host more, followed by Azure while the page watches
    tab.open(f"/tenants/{tenant.id}/spotGroups/{group['id']}")
    status = page.get_by_role("region", name="Status")
    expect(status.locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
    expect(page.get_by_role("table", name="Session hosts").locator("tbody tr")).to_have_count(1)
    # two members for one license: one holds the desktop and the other waits, each by name
    users = page.get_by_role("region", name="Users and licenses")
    expect(users).to_contain_text("1 of 1 license held; 1 waiting", timeout=WAIT_MS)
    access = page.get_by_role("table", name="Users and their access").locator("tbody tr")
    expect(access.filter(has_text="Has the desktop")).to_have_count(1)
    expect(access.filter(has_text="Waiting for a license")).to_have_count(1)
    assert sorted(access.locator("td:first-child").all_inner_texts()) == ["ann", "ben"]
    tab.shot("one member holds the license, the other waits")
    tab.assert_accessible("a Spot Group with a member waiting")
    label(page, "License count").fill("2")
    page.get_by_label("Notes").fill("a second analyst")
    expect(field(page, "License count")).to_contain_text("2 session hosts for this count (1 now)")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved. Azure follows the change")).to_be_visible()
    expect(page.get_by_role("table", name="Session hosts").locator("tbody td:nth-child(2)")).to_have_text(
        ["Running", "Running"], timeout=WAIT_MS
    )
    expect(status.locator(".badge")).to_have_text("Ready", timeout=WAIT_MS)
    expect(page.get_by_role("region", name="Details")).to_contain_text("a second analyst")
    expect(users).to_contain_text("2 of 2 licenses held; nobody waiting", timeout=WAIT_MS)  # the new one to the waiter
    expect(access.filter(has_text="Has the desktop")).to_have_count(2)
    tab.shot("a host more after the edit")
    tab.assert_accessible("a Spot Group after its edit")


def _ready(api: ApiClient, path: str) -> bool:
    assert api.get(path).json()["status"] == "ready"
    return True

"""The portal on a tenant whose Cloud PCs Windows 365 provisions: the same wizards and pages as on an azure tenant,
with what Windows 365 does differently said where it matters: its own health checks and image checks, local admin
as a user setting, and its Cloud PCs followed as it provisions them."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS
from tests.browser.test_configuration import NAME, step
from tests.e2e.test_provisioning import PLAN
from tests.utils.api_client import ApiClient
from tests.utils.wizard import PASSWORD, Tenant


def test_a_windows_365_tenant_is_configured_in_the_same_wizards_and_its_cloud_pcs_followed(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant = Tenant(owner_api, backend="windows365")
    for user in ("ann", "ben"):
        tenant.user(user, [PLAN])
    tenant.group("finance", ["ann", "ben"])
    tenant.controls.timer("windows365.restorePoint", 5)  # restore points every 5 s rather than every 12 hours
    tab = portal("admin")
    page = tab.page

    # the connection wizard: the same steps; Windows 365 then checks the connection itself
    tab.open(f"/tenants/{tenant.id}/connections/new")
    step(tab, "Site")
    page.get_by_role("combobox", name="Site").select_option(index=1)
    page.get_by_role("button", name="Next").click()
    step(tab, "Credentials")
    page.get_by_label("AD domain name").fill(tenant.domain)
    page.get_by_label("AD domain username").fill(f"cpc-join@{tenant.domain}")
    page.get_by_label("AD domain password").fill(PASSWORD)
    page.get_by_role("button", name="Next").click()
    step(tab, "Details")
    page.get_by_label("Display name").fill("Contoso HQ")
    page.get_by_role("button", name="Next").click()
    step(tab, "Review + create")
    page.get_by_role("button", name="Create connection").click()
    expect(page.get_by_role("heading", name="Contoso HQ", level=1)).to_be_visible()
    expect(page.get_by_text("Windows 365 checks this connection itself")).to_be_visible()
    expect(page.get_by_role("button", name="Retry health checks")).to_have_count(0)  # Graph lets no app start them
    checks = page.get_by_role("table", name="Health checks of this run")
    expect(page.get_by_text("Every check passed: provisioning policies can use this connection.")).to_be_visible(
        timeout=WAIT_MS
    )
    expect(checks.get_by_text("Passed", exact=True).first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(PASSWORD)
    # Windows 365 checks it again by itself only 6 hours on: when, and how to have it sooner
    expect(page.get_by_text("Its next check comes by")).to_contain_text("renaming it will do")
    tab.shot("a connection Windows 365 checked")
    tab.assert_accessible("a Windows 365 connection")

    # images: a custom image is uploaded to Windows 365, which checks it; the gallery beside it
    tenant.managed_image()
    page.get_by_role("link", name="Device images").click()
    expect(page.get_by_text("managed image to Windows 365, which checks it")).to_be_visible()
    images = page.get_by_role("table", name="Device images")
    expect(images.get_by_text("No custom images yet.")).to_be_visible()  # read: the form below it has stopped moving
    page.get_by_label("Image name").fill("Golden Windows 11")
    page.get_by_label("Source image resource id").fill(tenant.managed_image_id)  # the app has no role to list them
    page.get_by_role("button", name="Review").click()
    page.get_by_role("button", name="Add image").click()
    expect(images.get_by_role("row", name=re.compile("Golden Windows 11"))).to_contain_text("Ready", timeout=WAIT_MS)
    expect(page.get_by_role("table", name="Gallery images").locator("tbody tr").first).to_be_visible()
    tab.shot("a custom image Windows 365 checked")
    tab.assert_accessible("images of a Windows 365 tenant")

    # the policy wizard: local admin is pointed to the user settings, the rest as on any tenant
    page.get_by_role("link", name="Provisioning policies", exact=True).click()
    page.get_by_role("link", name="Create policy").click()
    step(tab, "General")
    page.get_by_label(NAME).fill("Finance EU")
    page.get_by_label("Region").select_option("westeurope")
    expect(page.get_by_label("Make each user a local administrator of their Cloud PC")).to_have_count(0)
    expect(page.get_by_role("link", name="User settings").last).to_be_visible()
    page.get_by_role("button", name="Next").click()
    step(tab, "Image")
    page.get_by_label("Custom image").check()
    page.get_by_label("Golden Windows 11 1.0.0").check()
    page.get_by_role("button", name="Next").click()
    step(tab, "Configuration")
    expect(page.get_by_role("group", name=re.compile("^Sleep while users are away"))).to_have_count(0)  # azure's alone
    page.get_by_label("Language and region").select_option(label="French (Canada)")
    page.get_by_role("button", name="Next").click()
    step(tab, "Assignments")
    page.get_by_label("Find a group").fill("fin")
    page.get_by_role("button", name="Add finance").click()
    page.get_by_role("button", name="Next").click()
    step(tab, "Review + create")
    page.get_by_role("button", name="Create and review the assignment").click()
    expect(page.get_by_text("2 users get 2 new Cloud PCs")).to_be_visible()
    tab.shot("the assignment plan on a Windows 365 tenant")
    page.get_by_role("button", name="Assign to 1 group").click()
    expect(page.get_by_text("Policy created and assigned")).to_be_visible()

    # Windows 365 provisions; the Cloud PCs page follows it
    page.get_by_role("link", name="Cloud PCs", exact=True).click()
    rows = page.get_by_role("table", name=re.compile("Cloud PCs")).locator("tbody tr")
    expect(rows).to_have_count(2, timeout=WAIT_MS)
    expect(rows.filter(has_text="Provisioned")).to_have_count(2, timeout=WAIT_MS)
    tab.shot("Cloud PCs Windows 365 provisioned")
    tab.assert_accessible("Cloud PCs of a Windows 365 tenant")
    # one of them: Windows 365's restore points beside the app's own view of it
    rows.first.get_by_role("link").first.click()
    points = page.get_by_role("table", name="Restore points").locator("tbody tr")
    expect(points.first).to_contain_text("Automatic", timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Restart")).to_be_visible()  # what Windows 365 does; no power actions
    expect(page.get_by_role("button", name="Power on")).to_have_count(0)
    tab.shot("a Windows 365 Cloud PC with its restore points")
    tab.assert_accessible("a Windows 365 Cloud PC")
    points.first.get_by_role("button", name=re.compile("^Restore to")).click()  # the newest: kept longest
    page.get_by_role("dialog").get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Windows 365 is restoring the Cloud PC")).to_be_visible()
    expect(page.get_by_role("table", name="Every step and milestone")).to_contain_text(
        "asked of Windows 365", timeout=WAIT_MS
    )
    tab.shot("a restore asked of Windows 365, followed on the timeline")
    page.get_by_role("link", name="All Cloud PCs").click()

    # user settings: made and assigned in Windows 365
    page.get_by_role("link", name="User settings", exact=True).click()
    expect(page.get_by_text("No user settings yet")).to_be_visible()
    page.get_by_label(NAME).fill("Finance admins")
    page.get_by_label("Users are local administrators of their Cloud PCs").check()
    page.get_by_label("Restore points").select_option("sixHours")
    page.get_by_role("button", name="Add user setting").click()
    settings = page.get_by_role("table", name="User settings")
    expect(settings.get_by_role("row", name=re.compile("Finance admins"))).to_contain_text("Every 6 hours")
    page.get_by_role("button", name="Assign Finance admins").click()
    page.get_by_label("Find a group").fill("fin")
    page.get_by_role("button", name="Add finance").click()
    page.get_by_role("button", name="Save the assignment").click()
    expect(page.get_by_text("Finance admins now applies to 1 group.")).to_be_visible()
    expect(settings.get_by_role("row", name=re.compile("Finance admins")).get_by_role("cell").nth(4)).to_have_text("1")
    tab.shot("a user setting assigned")
    tab.assert_accessible("user settings")
    remote = tenant.graph.call("GET", f"{tenant.graph.graph}/deviceManagement/virtualEndpoint/userSettings")
    assert [(s["displayName"], s["localAdminEnabled"]) for s in remote["value"]] == [("Finance admins", True)]


def test_an_azure_tenant_offers_no_user_settings(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api)
    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/policies/new")
    step(tab, "General")
    expect(page.get_by_label("Make each user a local administrator of their Cloud PC")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="User settings")).to_have_count(0)

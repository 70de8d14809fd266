"""Windows 365 configuration as an admin does it in the portal: a site, the connection wizard with its health checks,
device and gallery images, and the provisioning policy wizard up to its assignment plan."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import WAIT_MS
from tests.e2e.test_provisioning import PLAN
from tests.utils.api_client import ApiClient
from tests.utils.wizard import CLOUD_PC_RG, PASSWORD, Tenant

NAME = re.compile("^Name\\b")  # a required field's label ends in an asterisk
HYBRID_CHECKS = 7  # every health check a hybrid join connection runs


def field(page: Page, label: str) -> Locator:
    """The `.field` block around a labelled control: its hint and its server message are inside."""
    return page.locator(".field", has=page.get_by_label(re.compile(f"^{re.escape(label)}\\b")))


def step(tab: Any, title: str) -> None:
    """The wizard is on the step `title`: screenshot and accessibility checked there."""
    expect(tab.page.get_by_role("heading", name=title, level=2)).to_be_visible()
    expect(tab.page.locator("form.wizard").get_by_text(re.compile(r"^(Loading|Checking)"))).to_have_count(0)
    tab.shot(f"step {title}")
    tab.assert_accessible(f"wizard step {title}")


def test_a_connection_is_created_in_the_wizard_and_its_health_checks_pass_before_the_admins_eyes(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant = Tenant(owner_api)
    tab = portal("admin")
    page = tab.page

    tab.open(f"/tenants/{tenant.id}/sites")
    page.get_by_label("Display name").fill("HQ network")
    # the subscription and its resource group are picked from what the tenant's identity sees in Azure
    page.get_by_role("combobox", name="Subscription").select_option(value=tenant.arm.subscription_id)
    groups = page.get_by_role("combobox", name="Resource group")
    expect(groups.locator("option", has_text=f"{CLOUD_PC_RG} · westeurope")).to_have_count(1)
    tab.shot("a subscription and its resource groups listed")
    groups.select_option(label="Another one: type its name")  # one typed instead: Azure has no such group
    page.get_by_label("Resource group name").fill("rg-typo")
    expect(page.get_by_label("Azure region")).to_have_value("westeurope")
    page.get_by_role("button", name="Add site").click()
    expect(field(page, "Resource group name").locator(".field-error")).to_contain_text("'rg-typo' does not exist")
    tab.shot("a site whose resource group does not exist")
    groups.select_option(value=CLOUD_PC_RG)
    expect(page.get_by_label("Resource group name")).to_have_count(0)
    page.get_by_role("button", name="Add site").click()
    expect(page.get_by_role("cell", name="HQ network", exact=True)).to_be_visible()
    tab.shot("a site added")

    page.get_by_role("link", name="Connections", exact=True).click()
    expect(page.get_by_role("heading", name="Azure network connections")).to_be_visible()
    expect(page.get_by_text("No connections yet")).to_be_visible()
    tab.assert_accessible("connections, none yet")
    page.get_by_role("link", name="Create connection").click()

    step(tab, "Site")
    page.get_by_role("combobox", name="Site").select_option(label="HQ network (westeurope)")
    subnet = page.get_by_role("combobox", name="Subnet")
    expect(subnet.locator("optgroup[label='vnet-eu (rg-net)'] option")).to_have_text(
        ["cloudpcs · 10.0.1.0/24 · 251 addresses free"]
    )  # the site names no subnet: one is picked from what Azure lists, and no id is typed
    step(tab, "Site")
    subnet.select_option(label="cloudpcs · 10.0.1.0/24 · 251 addresses free")
    expect(page.get_by_label("Subnet resource id")).to_have_count(0)
    tab.shot("a subnet picked from what Azure lists")
    page.get_by_role("button", name="Next").click()

    step(tab, "Credentials")
    expect(page.get_by_label("Hybrid Microsoft Entra join")).to_be_checked()
    password = page.get_by_label("AD domain password")
    expect(password).to_have_attribute("type", "password")
    expect(password).to_have_attribute("autocomplete", "new-password")
    page.get_by_label("AD domain name").fill("corp_contoso")  # no dots: not a fully qualified domain name
    page.get_by_label("AD domain username").fill(f"cpc-join@{tenant.domain}")
    password.fill(PASSWORD)
    page.get_by_role("button", name="Next").click()
    domain = field(page, "AD domain name")
    expect(domain.locator(".field-error")).to_contain_text("fully qualified domain name")
    expect(page.get_by_label("AD domain name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("heading", name="Credentials", level=2)).to_be_visible()
    tab.shot("the server's message next to the domain name")
    tab.assert_accessible("a field the server refused")
    page.get_by_label("AD domain name").fill(tenant.domain)
    page.get_by_label("Organizational unit").fill("OU=CloudPCs,DC=corp,DC=contoso,DC=com")
    page.get_by_role("button", name="Next").click()

    step(tab, "Details")
    page.get_by_role("button", name="Next").click()
    expect(field(page, "Display name").locator(".field-error")).to_have_text("Required.")
    page.get_by_label("Display name").fill("Contoso HQ")
    page.get_by_role("button", name="Next").click()

    step(tab, "Review + create")
    expect(page.get_by_text("Every check passed")).to_be_visible()
    review = page.locator("form.wizard")
    expect(review).to_contain_text("Contoso HQ")
    expect(review).to_contain_text("vnet-eu")
    expect(review.get_by_role("listitem").filter(has_text="Active Directory domain join")).to_be_visible()
    expect(review).to_contain_text("Set (not shown)")
    expect(page.locator("body")).not_to_contain_text(PASSWORD)
    page.get_by_role("button", name="Create connection").click()

    expect(page.get_by_role("heading", name="Contoso HQ", level=1)).to_be_visible()
    checks = page.get_by_role("table", name="Health checks of this run")
    expect(checks.locator("tbody tr")).to_have_count(HYBRID_CHECKS)
    tab.shot("the health checks start")
    # no reload from here: the page follows the checks on its own
    expect(checks.get_by_text("Passed", exact=True)).to_have_count(HYBRID_CHECKS, timeout=WAIT_MS)
    expect(page.get_by_text("Every check passed: provisioning policies can use this connection.")).to_be_visible()
    expect(page.get_by_label("New AD domain password")).to_have_value("")
    expect(page.locator("body")).not_to_contain_text(PASSWORD)
    # the subscription by the name Azure lists it under, its id kept for a hover
    [listed] = owner_api.get(f"{tenant.path}/azureSubscriptions").json()["value"]
    expect(page.get_by_title(tenant.arm.subscription_id, exact=True)).to_have_text(listed["displayName"])
    tab.shot("every health check passed")
    tab.assert_accessible("a connection")

    tenant.fault("adDomainJoin", 1, "adJoinCheckIncorrectCredentials")  # the join account's password ran out
    page.get_by_role("button", name="Retry health checks").click()
    expect(page.get_by_text("Run 2 ·")).to_be_visible(timeout=WAIT_MS)
    join = checks.get_by_role("row", name=re.compile("^Active Directory domain join"))
    expect(join).to_contain_text("Failed", timeout=WAIT_MS)
    expect(join).to_contain_text("adJoinCheckIncorrectCredentials")
    expect(join).to_contain_text("Check the domain-join user name and password")
    expect(page.get_by_text("A check failed: policies cannot use this connection")).to_be_visible()
    tab.shot("the second run fails the domain join, with what to do")

    page.get_by_label("New AD domain password").fill("N3w-Passw0rd!")
    page.get_by_role("button", name="Save credentials and re-run checks").click()
    expect(page.get_by_text("Credentials saved: the health checks run again.")).to_be_visible()
    expect(page.get_by_text("Run 3 ·")).to_be_visible(timeout=WAIT_MS)
    expect(checks.get_by_text("Passed", exact=True)).to_have_count(HYBRID_CHECKS, timeout=WAIT_MS)
    expect(page.get_by_label("New AD domain password")).to_have_value("")
    tab.shot("new credentials, checked again")

    page.get_by_role("link", name="All connections").click()
    table = page.get_by_role("table", name="Connections")
    expect(table.get_by_role("row", name=re.compile("Contoso HQ"))).to_contain_text("Passed")
    tab.shot("the connection in the list")
    tab.assert_accessible("connections")

    # a hybrid join policy can now choose it
    tab.open(f"/tenants/{tenant.id}/policies/new")
    page.get_by_label("Hybrid Microsoft Entra join").check()
    connection = page.get_by_role("combobox", name="Azure network connection")
    connection.select_option(label="Contoso HQ (westeurope, health passed)")
    page.get_by_label(NAME).fill("Head office")
    page.get_by_role("button", name="Next").click()
    step(tab, "Image")


def test_a_policy_is_created_in_the_wizard_and_assigned_after_its_plan_is_reviewed(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant = Tenant(owner_api)
    for user in ("ann", "ben"):
        tenant.user(user, [PLAN])
    tenant.group("finance", ["ann", "ben", "cid"])  # cid has no license
    tenant.managed_image()
    tab = portal("admin")
    page = tab.page

    tab.open(f"/tenants/{tenant.id}/images")
    expect(page.get_by_role("table", name="Gallery images").locator("tbody tr").first).to_be_visible()
    page.get_by_label("Image name").fill("Golden Windows 11")
    source = page.get_by_role("combobox", name=re.compile("^Source image"))
    expect(source.locator("optgroup[label='Managed images'] option")).to_have_text(
        ["win11-golden (rg-images) · generation 2"]
    )  # picked from the site's subscription, no id typed
    source.select_option(label="win11-golden (rg-images) · generation 2")
    page.get_by_role("button", name="Review").click()
    review = page.get_by_role("heading", name="Review the custom image")
    expect(review).to_be_focused()
    expect(page.locator("main")).to_contain_text("images/win11-golden")
    tab.shot("a custom image reviewed before it is added")
    tab.assert_accessible("a custom image's review")
    page.get_by_role("button", name="Add image").click()
    images = page.get_by_role("table", name="Device images")
    expect(images.get_by_role("row", name=re.compile("Golden Windows 11"))).to_contain_text("Ready", timeout=WAIT_MS)
    tab.shot("a custom image imported, and the gallery")
    tab.assert_accessible("device images")

    page.get_by_role("link", name="Provisioning policies", exact=True).click()
    page.get_by_role("link", name="Create policy").click()
    step(tab, "General")
    page.get_by_label(NAME).fill("Finance <EU>")
    expect(page.get_by_label("Microsoft Entra join", exact=True)).to_be_checked()
    expect(page.get_by_label("Microsoft-hosted network")).to_be_checked()
    region = page.get_by_label("Region")
    expect(region.locator("optgroup[label='Europe'] option").first).to_have_text("France Central")
    region.select_option(label="West Europe")  # by the name people read, within its geography
    page.get_by_role("button", name="Next").click()
    expect(field(page, "Name").locator(".field-error")).to_have_text("Must not contain < >")
    tab.shot("the server refuses the name")
    page.get_by_label(NAME).fill("Finance EU")
    page.get_by_label("Cloud PC naming template").fill("FIN-%USERNAME:4%-%RAND:5%")
    page.get_by_role("button", name="Next").click()

    step(tab, "Image")
    page.get_by_label("Windows 11 Enterprise multi-session 24H2 + Microsoft 365 Apps").check()
    expect(page.get_by_text("is a multi-session image, made for session hosts that many users share")).to_be_visible()
    tab.shot("a multi-session image does not fit a Cloud PC")
    page.get_by_label("Custom image").check()
    page.get_by_label("Golden Windows 11 1.0.0").check()
    page.get_by_role("button", name="Next").click()

    step(tab, "Configuration")
    language = page.get_by_label("Language and region")
    expect(language.locator("option:checked")).to_have_text("English (United States)")  # Windows 365's default
    language.select_option(label="German (Germany)")
    sleep = page.get_by_role("group", name=re.compile("^Sleep while users are away"))  # an azure tenant's Cloud PCs
    expect(sleep).to_contain_text("Cloud PCs asleep cost only their disk")
    expect(sleep.get_by_role("link", name="Onboarding page")).to_be_visible()
    sleep.get_by_label("Deallocate after disconnected (minutes)").fill("0")
    page.get_by_role("button", name="Next").click()
    minutes = sleep.get_by_label("Deallocate after disconnected (minutes)")
    expect(minutes).to_have_attribute("aria-invalid", "true")  # the server's refusal, at its field
    expect(sleep).to_contain_text("greater than or equal to 1")
    tab.shot("the server refuses a power rule at its field")
    minutes.fill("30")
    sleep.get_by_label("Deallocate when the user signs out").check()
    tab.shot("power rules: asleep while users are away")
    page.get_by_role("button", name="Next").click()

    step(tab, "Assignments")
    page.get_by_label("Find a group").fill("fin")
    page.get_by_role("button", name="Add finance").click()
    expect(page.get_by_role("list", name="Chosen groups")).to_contain_text("finance")
    tab.shot("the group chosen")
    page.get_by_role("button", name="Next").click()

    step(tab, "Review + create")
    wizard = page.locator("form.wizard")
    expect(wizard).to_contain_text("Microsoft-hosted network, westeurope")
    expect(wizard).to_contain_text("Golden Windows 11")
    expect(wizard).to_contain_text("German (Germany)")
    expect(wizard).to_contain_text("Deallocated after 30 minutes disconnected; on sign-out")
    page.get_by_role("button", name="Create and review the assignment").click()
    plan = page.get_by_role("table", name="Who gets, keeps or loses a Cloud PC")
    expect(plan.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_text("2 users get 2 new Cloud PCs; 1 user has no Windows 365 license.")).to_be_visible()
    for user in ("ann", "ben"):
        expect(plan.get_by_role("row", name=re.compile(f"^{user}@"))).to_contain_text("Gets a Cloud PC")
    expect(plan.get_by_role("row", name=re.compile("^cid@"))).to_contain_text("No Cloud PC: no license")
    tab.shot("the assignment plan: who gets a Cloud PC")
    tab.assert_accessible("the assignment plan")
    page.get_by_role("button", name="Assign to 1 group").click()

    expect(page.get_by_role("heading", name="Finance EU", level=1)).to_be_visible()
    expect(page.get_by_text("Policy created and assigned")).to_be_visible()
    assigned = page.get_by_role("table", name="Assigned groups")
    expect(assigned.get_by_role("cell", name="finance", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Cloud PCs of this policy")).to_have_attribute(
        "href", re.compile(r"cloudPCs\?provisioningPolicyId=")
    )
    settings = page.get_by_role("region", name="Settings")
    expect(settings).to_contain_text("Deallocated after 30 minutes disconnected; on sign-out")
    created = next(
        p
        for p in owner_api.get(f"{tenant.path}/provisioningPolicies").json()["value"]
        if p["displayName"] == "Finance EU"
    )
    assert created["powerRules"] == {
        "deallocateWhenDisconnectedMinutes": 30,
        "deallocateOnSignOut": True,
        "hibernate": False,
    }
    tab.shot("the policy, assigned")
    tab.assert_accessible("a policy")
    tab.assert_keyboard_reachable("a policy")

    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("Remove every group under Assignments first")
    tab.shot("an assigned policy is not deleted, and why")

    page.get_by_role("button", name="Change assignments").click()
    page.get_by_role("button", name="Remove finance").click()
    page.get_by_role("button", name="Review the change").click()
    expect(
        page.get_by_text("2 users lose their Cloud PCs after the grace period; 1 user has no Windows 365 license.")
    ).to_be_visible()
    tab.shot("the plan of removing the group")

    page.get_by_role("button", name="Cancel").click()

    page.get_by_role("button", name="Edit").click()
    expect(page.get_by_text("Edits are not retroactive")).to_be_visible()
    expect(page.get_by_label("Golden Windows 11 1.0.0")).to_be_checked()
    tab.shot("editing a policy")
    tab.assert_accessible("editing a policy")
    expect(page.get_by_label("Deallocate after disconnected (minutes)")).to_have_value("30")
    page.get_by_label(NAME).fill("Finance Europe")
    page.get_by_label("Deallocate when the user signs out").uncheck()
    page.get_by_label("Hibernate instead of deallocating").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Finance Europe", level=1)).to_be_visible()
    expect(page.get_by_text("Saved. Cloud PCs provisioned from now on use the new settings.")).to_be_visible()
    expect(settings).to_contain_text(
        "Hibernated where the size allows, else deallocated, after 30 minutes disconnected"
    )
    tab.shot("renamed, and asleep by hibernation: not retroactive")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Deallocate after disconnected (minutes)").fill("")
    page.get_by_label("Hibernate instead of deallocating").uncheck()
    page.get_by_role("button", name="Save changes").click()
    expect(settings).to_contain_text("Never: Cloud PCs keep running while their users are away")
    renamed = owner_api.get(f"{tenant.path}/provisioningPolicies/{created['id']}").json()
    assert renamed["powerRules"] is None  # every rule cleared: null in the merge patch

    page.get_by_role("link", name="Provisioning policies", exact=True).click()
    policies = page.get_by_role("table", name="Provisioning policies")
    expect(policies.get_by_role("row", name=re.compile("Finance Europe"))).to_contain_text("Assigned to 1 group")
    tab.shot("the policy in the list")
    tab.assert_accessible("provisioning policies")

    page.get_by_role("link", name="Device images").click()
    page.get_by_role("button", name="Delete Golden Windows 11 1.0.0").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("give the policy another image first")
    tab.shot("an image in use is not deleted, and why")

"""A new admin's first customer in the portal: found by its domain name, onboarded at the subscription it will use
before any site (the customer's admin consenting on Entra's pages, then granting the role the report names), and its
first site made by picking the subscription and resource group, with no id typed there."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from azure_emulator.consent import administrator_upn
from tests.browser.conftest import WAIT_MS
from tests.utils.api_client import ApiClient
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.onboarding import apply_fixes
from tests.utils.wizard import CLOUD_PC_RG, emulator_from_environment


def test_a_new_admin_adds_a_customer_by_domain_and_its_first_site_after_onboarding(
    portal: Any, owner_api: ApiClient
) -> None:
    emulator, entra, name = emulator_from_environment(), str(uuid.uuid4()), f"fabrikam{uuid.uuid4().hex[:6]}"
    controls = Controls(emulator, entra)
    controls.organization(displayName=f"Fabrikam {name[-6:]}", domains=[f"{name}.onmicrosoft.com", f"{name}.com"])
    arm = ArmAdmin(emulator, entra).waiting_out_throttles()
    arm.resource_group(CLOUD_PC_RG)  # what the customer already has in Azure
    tab = portal("admin")
    page = tab.page
    tab.open("/tenants")

    page.get_by_label("Customer's domain name").fill(f"{name}.com")
    page.get_by_role("button", name="Find the customer").click()
    expect(page.get_by_role("status").filter(has_text="Found in Microsoft Entra")).to_contain_text(
        f"Fabrikam {name[-6:]} ({name}.onmicrosoft.com)", timeout=WAIT_MS
    )
    expect(page.get_by_label("Display name")).to_have_value(f"Fabrikam {name[-6:]}")  # Entra's name, to keep or change
    tab.shot("the customer found by its domain name")
    tab.assert_accessible("tenants, a customer found")
    page.get_by_role("button", name="Add tenant").click()
    expect(page.get_by_role("status").filter(has_text="added")).to_contain_text(f"Tenant Fabrikam {name[-6:]} added")
    page.get_by_role("link", name="Next: onboarding").click()

    expect(page.get_by_role("heading", name="Onboarding", level=1)).to_be_visible()
    tenant_id = page.url.split("/tenants/", 1)[1].split("/", 1)[0]
    assert owner_api.get(f"/tenants/{tenant_id}").json()["entraTenantId"] == entra  # no tenant id typed
    page.get_by_label("Subscription id").fill(arm.subscription_id)  # as the customer's admin gives it
    page.get_by_role("button", name="Add subscription").click()
    checklist = page.get_by_role("table", name="Checklist")
    role = checklist.get_by_role("row").filter(has_text=f"/subscriptions/{arm.subscription_id}")
    expect(role).to_contain_text("Cloud PC provisioning", timeout=WAIT_MS)  # asked for before any site
    tab.shot("onboarding asks for the app's role at the subscription named")

    # the customer's admin consents on Entra's pages, and comes back here: the role is then missing, with its fix
    page.get_by_role("link", name="the admin consent page").click()
    expect(page.get_by_role("heading", name="Sign in to your organization", level=1)).to_be_visible()
    page.get_by_label("Email or user principal name").fill(administrator_upn(entra))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Permissions requested", level=1)).to_be_visible()
    tab.shot("the customer's admin asked to consent")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", name="Onboarding", level=1)).to_be_visible()
    expect(
        page.get_by_role("status").filter(has_text="Consent granted by the customer's administrator.")
    ).to_be_visible()
    expect(role.locator(".badge")).to_have_text("Missing", timeout=WAIT_MS)
    expect(role).to_contain_text(f"--scope /subscriptions/{arm.subscription_id}")
    tab.assert_accessible("onboarding, the role missing at a subscription named")
    apply_fixes(owner_api, f"/tenants/{tenant_id}", emulator, entra)  # the admin grants the role as the report says
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_role("status").filter(has_text="Ready")).to_be_visible(timeout=WAIT_MS)
    tab.shot("ready before the first site")
    page.get_by_role("link", name="its sites").click()

    expect(page.get_by_role("heading", name="Sites", level=1)).to_be_visible()
    page.get_by_label("Display name").fill("EU")
    [listed] = owner_api.get(f"/tenants/{tenant_id}/azureSubscriptions").json()["value"]
    subscription = page.get_by_role("combobox", name="Subscription")
    expect(subscription.locator("option", has_text=listed["displayName"])).to_have_count(1, timeout=WAIT_MS)
    subscription.select_option(label=listed["displayName"])  # by its name
    groups = page.get_by_role("combobox", name="Resource group")
    expect(groups.locator("option", has_text=CLOUD_PC_RG)).to_have_count(1, timeout=WAIT_MS)
    groups.select_option(label=f"{CLOUD_PC_RG} · westeurope")
    expect(page.get_by_label("Subscription id")).to_have_count(0)  # nothing typed
    expect(page.get_by_label("Resource group name")).to_have_count(0)
    tab.shot("the first site picked from what Azure shows the app")
    page.get_by_role("button", name="Add site").click()
    expect(page.get_by_role("cell", name=CLOUD_PC_RG)).to_be_visible(timeout=WAIT_MS)
    [site] = owner_api.get(f"/tenants/{tenant_id}/sites").json()["value"]
    assert (site["subscriptionId"], site["resourceGroupName"]) == (arm.subscription_id, CLOUD_PC_RG)
    tab.shot("the first site added")
    tab.assert_accessible("sites, the first site")

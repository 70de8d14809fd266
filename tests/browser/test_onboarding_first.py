"""A new admin's first customer in the portal, with no id typed: found by its domain name, its admin consenting on
Entra's pages to what the checklist names, its Entra administrator granting the Graph permissions this tenant uses
beyond those, its Azure administrator signing in once to pick the subscription by name and grant the app its role
there, and its first site made by picking the subscription and resource group. One who cannot grant is told so, with
the commands to hand on."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from azure_emulator.consent import administrator_upn
from tests.browser.conftest import WAIT_MS
from tests.utils.admin_sign_in import OWNER, READER, azure_admin_token, give_role, put_in_directory
from tests.utils.api_client import ApiClient
from tests.utils.arm_admin import ArmAdmin, Controls
from tests.utils.wizard import CLOUD_PC_RG, emulator_from_environment


@pytest.mark.parametrize("way_in", ["consent", "lighthouse"])
def test_a_new_admin_adds_a_customer_by_domain_and_its_first_site_after_onboarding(
    portal: Any, owner_api: ApiClient, way_in: str
) -> None:
    """Walked once with the app's own role in the customer's tenant, and once with an Azure Lighthouse delegation."""
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

    # the checklist names what Entra's consent page will ask, and the consent page asks for nothing else
    expect(page.get_by_role("cell", name="Admin consent")).to_be_visible(timeout=WAIT_MS)
    named = set(page.get_by_role("table", name="Checklist").locator("tbody tr strong").all_inner_texts())
    asked = consent(tab, entra)
    assert asked and set(asked) <= named, (asked, named)
    # beyond consent's, this tenant's own Graph permissions: its Entra administrator grants them in one step
    put_in_directory(emulator, entra, "erin", ["Privileged Role Administrator"])
    graph = page.get_by_role("region", name="Grant the Graph permissions in one step")
    expect(graph).to_contain_text("Device.ReadWrite.All", timeout=WAIT_MS)
    admin_grant_sign_in(tab, "erin", "Sign in as the customer's Entra administrator")
    expect(graph).to_contain_text("Signed in as erin", timeout=WAIT_MS)
    tab.shot(f"the customer's Entra administrator grants the Graph permissions ({way_in})")
    graph.get_by_role("button", name="Grant the app its Graph permissions").click()
    expect(page.get_by_role("status").filter(has_text="Granted with erin's sign-in")).to_contain_text(
        "Device.ReadWrite.All granted", timeout=WAIT_MS
    )
    expect(graph).to_have_count(0, timeout=WAIT_MS)  # nothing of Graph's missing any more
    expect(page.get_by_role("cell", name="Azure subscription")).to_be_visible(timeout=WAIT_MS)
    tab.assert_accessible("onboarding, consented, no subscription yet")
    if way_in == "lighthouse":
        page.get_by_role("radio", name="An Azure Lighthouse delegation").check()
        expect(page.get_by_role("region", name="Grant the Azure roles in one step")).to_contain_text(
            "deploys the Azure Lighthouse delegation", timeout=WAIT_MS
        )
        assert owner_api.get(f"/tenants/{tenant_id}").json()["azureAccess"] == "lighthouse"
        # for a customer whose admin deploys it themselves: nothing named yet, so no template yet
        expect(page.get_by_role("heading", name="The Azure Lighthouse delegation")).to_have_count(0)
    # the customer's Azure administrator signs in once, picks the subscription by its name, and the app grants itself
    carol = put_in_directory(emulator, entra, "carol")
    give_role(arm, carol, OWNER)
    admin_grant_sign_in(tab, "carol")
    grant = page.get_by_role("region", name="Grant the Azure roles in one step")
    expect(grant).to_contain_text("Signed in as carol", timeout=WAIT_MS)
    subscriptions = grant.get_by_role("table", name="Subscriptions to grant in")
    [listed] = owner_api.get(
        f"/tenants/{tenant_id}/onboarding/adminSubscriptions", headers=admin_header(emulator, entra)
    ).json()["value"]
    expect(subscriptions.get_by_role("row").filter(has_text=listed["displayName"])).to_have_count(1)
    expect(subscriptions.get_by_role("checkbox", name=f"Select {listed['displayName']}")).to_be_checked()
    tab.shot(f"the customer's Azure administrator picks the subscription by its name ({way_in})")
    tab.assert_accessible("onboarding, the administrator signed in to grant")
    grant.get_by_role("button", name="Grant the app its roles").click()
    given = "Cloud PC provisioning: Reader" if way_in == "lighthouse" else "Cloud PC provisioning"
    expect(page.get_by_role("status").filter(has_text="Granted with carol's sign-in")).to_contain_text(
        f"{given} given to the app on {listed['displayName']}", timeout=WAIT_MS
    )
    expect(page.get_by_role("status").filter(has_text="Ready")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("list", name="Subscriptions named")).to_contain_text(listed["displayName"])
    if way_in == "lighthouse":  # the subscription named: its template and command, each to copy
        page.get_by_text(f"The template for subscription {arm.subscription_id}").click()
        expect(
            page.get_by_role("button", name=f"Copy the command that deploys it in {arm.subscription_id}")
        ).to_be_visible()
    tab.shot("ready before the first site")
    page.get_by_role("link", name="its sites").click()

    expect(page.get_by_role("heading", name="Sites", level=1)).to_be_visible()
    page.get_by_label("Display name").fill("EU")
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


def consent(tab: Any, entra: str) -> list[str]:
    """The customer's admin consents on Entra's pages from the onboarding page, and comes back to it: the permissions
    the consent page asked for."""
    page = tab.page
    page.get_by_role("link", name="the admin consent page").click()
    expect(page.get_by_role("heading", name="Sign in to your organization", level=1)).to_be_visible()
    page.get_by_label("Email or user principal name").fill(administrator_upn(entra))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Permissions requested", level=1)).to_be_visible()
    asked: list[str] = page.get_by_role("list", name="Permissions requested").locator("code").all_inner_texts()
    tab.shot("the customer's admin asked to consent")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", name="Onboarding", level=1)).to_be_visible()
    expect(
        page.get_by_role("status").filter(has_text="Consent granted by the customer's administrator.")
    ).to_be_visible()
    return asked


def admin_grant_sign_in(tab: Any, name: str, button: str = "Sign in as the customer's Azure administrator") -> None:
    """From the onboarding page, the customer's Azure (or Entra) administrator signs in on their tenant's sign-in
    page."""
    page = tab.page
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", name="Sign in to the Azure emulator", level=1)).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("User name").fill(name)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Onboarding", level=1)).to_be_visible(timeout=WAIT_MS)


def admin_header(emulator: Any, entra: str, name: str = "carol") -> dict[str, str]:
    return {"X-Azure-Admin-Token": azure_admin_token(emulator, entra, name)}


def test_an_administrator_who_cannot_grant_is_told_so_with_the_commands_to_copy(
    portal: Any, owner_api: ApiClient
) -> None:
    emulator, entra = emulator_from_environment(), str(uuid.uuid4())
    arm = ArmAdmin(emulator, entra).waiting_out_throttles()
    body = {"displayName": f"Tenant {entra[:6]}", "entraTenantId": entra, "subscriptionIds": [arm.subscription_id]}
    tenant_id = owner_api.created("/tenants", body)["id"]
    dave = put_in_directory(emulator, entra, "dave")
    give_role(arm, dave, READER)
    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant_id}/onboarding")
    consent(tab, entra)
    admin_grant_sign_in(tab, "dave")
    grant = page.get_by_role("region", name="Grant the Azure roles in one step")
    expect(grant.get_by_role("status")).to_contain_text(
        "dave holds neither Owner nor User Access Administrator", timeout=WAIT_MS
    )
    expect(grant.get_by_role("button", name="Grant the app its roles")).to_have_count(0)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])  # as a user allows it
    page.get_by_role("button", name="Copy the command that creates the role").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("az role definition create --role-definition")
    # each missing role's own command, without the words around it
    subscription = f"/subscriptions/{arm.subscription_id}"
    page.get_by_text("actions missing here").click()
    page.get_by_role("button", name=f"Copy the command for Cloud PC provisioning at {subscription}").click()
    assigned = page.evaluate("navigator.clipboard.readText()")
    assert assigned.startswith("az role assignment create --assignee ") and assigned.endswith(
        '--condition-version "2.0"'
    )
    # a Graph permission consent does not give: its own command, to hand to the customer's Entra administrator
    page.get_by_role("button", name="Copy the command for Device.ReadWrite.All").click()
    granting = page.evaluate("navigator.clipboard.readText()")
    assert granting.startswith("graph=$(az ad sp show --id 00000003-0000-0000-c000-000000000000") and (
        "appRoles[?value=='Device.ReadWrite.All'].id" in granting
    )
    tab.shot("an administrator who cannot grant, and the commands to hand on")
    tab.assert_accessible("onboarding, an administrator who cannot grant")

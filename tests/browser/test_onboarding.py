"""A customer's onboarding checklist in the portal: what is missing, its fix, and Ready once the admin consented."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from azure_emulator.consent import administrator_upn
from azure_emulator.launcher import APP_CLIENT_ID
from shared.catalog.graph_permissions import GRAPH_PERMISSIONS, consent_permissions
from tests.browser.conftest import WAIT_MS
from tests.utils.api_client import ApiClient
from tests.utils.onboarding import apply_fixes
from tests.utils.wizard import Tenant, emulator_from_environment


def test_an_admin_reads_what_a_customer_must_grant_and_sees_it_ready(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api, onboard=False)  # a new tenant grants the app nothing
    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/onboarding")  # by address: the menu may still be settling on a busy machine
    expect(page.get_by_role("heading", name="Onboarding", level=1)).to_be_visible()
    checklist = page.get_by_role("table", name="Checklist")
    consent = checklist.get_by_role("row").filter(has=page.get_by_text("Admin consent", exact=True))
    expect(consent.locator(".badge")).to_have_text("Missing", timeout=WAIT_MS)  # the report reads Azure and Graph first
    expect(consent).to_contain_text("/v2.0/adminconsent?client_id=")
    consent_link = re.compile(rf"/{tenant.entra_id}/v2\.0/adminconsent\?client_id={APP_CLIENT_ID}")
    expect(page.get_by_role("link", name="the admin consent page")).to_have_attribute("href", consent_link)
    tab.shot("consent missing, and where the customer's admin gives it")
    tab.assert_accessible("onboarding, consent missing")

    # consented, and so the Graph permissions the registration asks for; no Azure role yet
    tenant.controls.app_access(APP_CLIENT_ID, consented=True, graphPermissions=[p.name for p in GRAPH_PERMISSIONS])
    page.get_by_role("button", name="Refresh").click()
    role = checklist.get_by_role("row").filter(has_text="Microsoft.Compute/skus/read")  # a subscription-scope action
    expect(role.locator(".badge")).to_have_text("Missing")
    role.get_by_text("actions missing here").click()  # the fix unfolds: every missing action, then the commands
    expect(role.locator("code.fix")).to_be_visible()
    expect(role).to_contain_text(f"--scope /subscriptions/{tenant.arm.subscription_id}")
    expect(role).to_contain_text("az role assignment create --assignee")
    expect(consent.locator(".badge")).to_have_text("Present")
    tab.shot("consented; the Azure role still missing, with the commands that grant it")

    apply_fixes(owner_api, tenant.path, emulator_from_environment(), tenant.entra_id)  # as the customer's admin
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_role("status").filter(has_text="Ready")).to_be_visible()
    expect(checklist.locator(".badge", has_text="Missing")).to_have_count(0)
    tab.shot("ready")
    tab.assert_accessible("onboarding, ready")


def test_work_refused_for_want_of_a_permission_shows_on_the_overview_and_the_onboarding_page(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant = Tenant(owner_api, withhold=("User.Read.All",))  # its report tries to follow the users, and is refused
    tab = portal("admin")
    page = tab.page
    tab.open("/")
    row = page.get_by_role("table", name="Tenants").get_by_role("row").filter(has_text=tenant.display_name)
    refused = row.get_by_role("link", name="1 work refused for want of a permission")
    expect(refused).to_be_visible()
    refused.click()
    table = page.get_by_role("table", name="Work refused for want of a permission")
    expect(table).to_contain_text("Following the directory's changes")
    expect(table).to_contain_text("it needs the application permission User.Read.All")
    tab.shot("work refused, and the permission it needs")
    tab.assert_accessible("onboarding, work refused")


def consent_as_the_customers_admin(tab: Any, tenant: Tenant, decision: str) -> None:
    """From the Onboarding page, through the emulator's Entra pages as the tenant's Global Administrator."""
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/onboarding")
    page.get_by_role("link", name="the admin consent page").click()
    expect(page.get_by_role("heading", name="Sign in to your organization", level=1)).to_be_visible()
    tab.shot("Entra's sign-in, as the customer's admin meets it")
    tab.assert_accessible("admin consent, sign-in")
    page.get_by_label("Email or user principal name").fill(administrator_upn(tenant.entra_id))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Permissions requested", level=1)).to_be_visible()
    asked = page.get_by_role("list", name="Permissions requested")
    expect(asked).to_contain_text("Read all users' full profiles")
    # what every customer needs, and only that: the rest is granted where a tenant uses it
    expect(asked.locator("code")).to_have_text([p.name for p in consent_permissions()])
    tab.shot("the permissions the app asks for, Accept or Cancel")
    tab.assert_accessible("admin consent, permissions")
    page.get_by_role("button", name=decision).click()
    expect(page.get_by_role("heading", name="Onboarding", level=1)).to_be_visible()
    # Entra's answer leaves the address bar; the page is the tenant's, named by the state the link sent
    expect(page).to_have_url(re.compile(rf"/api/portal/#/tenants/{tenant.id}/onboarding$"))


def consent_row(page: Any) -> Any:
    """The Onboarding checklist's admin consent line."""
    checklist = page.get_by_role("table", name="Checklist")
    return checklist.get_by_role("row").filter(has=page.get_by_text("Admin consent", exact=True))


def test_the_customers_admin_consents_on_entras_pages_and_the_portal_says_so(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api, onboard=False)
    tab = portal("admin")
    page = tab.page
    consent_as_the_customers_admin(tab, tenant, "Accept")
    expect(
        page.get_by_role("status").filter(has_text="Consent granted by the customer's administrator.")
    ).to_be_visible()
    consent = consent_row(page)
    expect(consent.locator(".badge")).to_have_text("Present", timeout=WAIT_MS)
    tab.shot("back on the Onboarding page: consent granted")
    tab.assert_accessible("onboarding, consent granted")


def test_an_admin_who_cancels_is_heard_in_their_words(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api, onboard=False)
    tab = portal("admin")
    page = tab.page
    consent_as_the_customers_admin(tab, tenant, "Cancel")
    declined = "The customer's administrator declined: User declined to consent to access the app."
    expect(page.get_by_role("status").filter(has_text=declined)).to_be_visible()
    consent = consent_row(page)
    expect(consent.locator(".badge")).to_have_text("Missing", timeout=WAIT_MS)
    tab.shot("back on the Onboarding page: the admin declined")
    tab.assert_accessible("onboarding, consent declined")

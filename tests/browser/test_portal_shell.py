"""Signing in, the overview, tenants and sites, your access, role assignments, the audit log and the API docs page."""

from __future__ import annotations

import re
import shutil
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from azure_emulator.development_issuer import HOME_TENANT_ID
from azure_emulator.launcher import EmulatorProcess
from tests.browser.conftest import ARTEFACTS
from tests.conftest import PROJECT_ROOT, Tokens
from tests.utils.api_client import ApiClient
from tests.utils.graph_admin import GraphAdmin

INVITATION_SHOT = "role-invitation.png"  # the documentation's picture of a tenant's access page
SITE = {
    "displayName": "EU",
    "regionName": "westeurope",
    "subscriptionId": "6f9619ff-8b86-d011-b42d-00cf4fc964ff",
    "resourceGroupName": "rg-cloudpcs",
}


def test_an_organization_owner_signs_in_and_adds_a_tenant_and_a_site(portal: Any, owner_api: ApiClient) -> None:
    tab = portal("admin")
    page = tab.page
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_role("list", name="Totals")).to_be_visible()  # loaded, not "Loading…"
    tab.shot("signed in: the overview")
    tab.assert_accessible("overview")
    page.get_by_role("link", name="Tenants", exact=True).click()
    page.get_by_label("Display name").fill("Fabrikam")
    page.get_by_role("button", name="Add tenant").click()
    expect(page.get_by_role("status")).to_contain_text("Tenant Fabrikam added")
    page.wait_for_load_state("networkidle")
    names, link = [], "/tenants?top=1000"  # every tenant of the session's app, page by page
    while link:
        page_of_tenants = owner_api.get(link).json()
        names += [t["displayName"] for t in page_of_tenants["value"]]
        link = page_of_tenants.get("nextLink")
    assert names.count("Fabrikam") == 1  # sent once
    tab.shot("tenant added")
    tab.assert_accessible("tenants")
    page.get_by_role("link", name="Add its first site").click()
    expect(page.get_by_role("heading", name="Sites")).to_be_visible()
    page.get_by_label("Display name").fill("EU")
    # a tenant not linked to Entra yet: Azure cannot be listed, so the subscription's id is typed
    page.get_by_label("Subscription id").fill("not-a-guid")
    page.get_by_role("combobox", name="Resource group").select_option(label="Another one: type its name")
    page.get_by_label("Resource group name").fill("rg-cloudpcs")
    page.get_by_role("button", name="Add site").click()
    field_error = page.locator(".field.invalid", has=page.get_by_label("Subscription id"))
    expect(field_error.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("Subscription id")).to_be_focused()  # focus goes to the field to correct
    tab.shot("the server's message next to its field")
    page.get_by_label("Subscription id").fill("6f9619ff-8b86-d011-b42d-00cf4fc964ff")
    page.get_by_role("button", name="Add site").click()
    expect(page.get_by_role("cell", name="rg-cloudpcs")).to_be_visible()
    tab.shot("site added")
    tab.assert_accessible("sites")

    # a tenant whose Cloud PCs Windows 365 provisions: chosen when it is added, shown in the list
    page.get_by_role("link", name="Tenants", exact=True).click()
    expect(page.get_by_role("heading", name="Tenants", level=1)).to_be_visible()  # not the Sites form's name field
    page.get_by_label("Display name").fill("Northwind on Windows 365")
    page.get_by_label("Cloud PCs provisioned by").select_option("windows365")
    page.get_by_role("button", name="Add tenant").click()
    expect(page.get_by_role("status")).to_contain_text("Tenant Northwind on Windows 365 added")
    row = page.get_by_role("row").filter(has_text="Northwind on Windows 365")
    expect(row).to_contain_text("Microsoft Windows 365")
    # the row of the tenant named exactly so: another test of the session may add a "Fabrikam <suffix>"
    fabrikam = page.get_by_role("row").filter(has=page.get_by_text("Fabrikam", exact=True))
    expect(fabrikam).to_contain_text("customer's Azure subscription")
    tab.shot("a Windows 365 tenant added")
    tab.assert_accessible("tenants with both backends")


# buttons and links that change something: none may show for a reader
WRITES = re.compile(
    r"\b(add|new|create|delete|remove|save|retry|restart|reboot|power|reprovision|resize|rename|troubleshoot|"
    r"capture|assign|end grace|run health|edit|update|upload)\b",
    re.IGNORECASE,
)
READ_ONLY_PAGES = ("cloudPCs", "policies", "connections", "images", "imageSets", "spotGroups", "sites")


def write_controls(page: Page) -> list[str]:
    """The names of the buttons and links in the page's main area that would change something."""
    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")
    names = main.get_by_role("button").all_inner_texts() + main.get_by_role("link").all_inner_texts()
    return [name.strip() for name in names if WRITES.search(name)]


def test_a_reader_finds_no_write_control_and_an_operator_no_configuration_write(
    portal: Any, owner_api: ApiClient, tokens: Tokens
) -> None:
    tenant = owner_api.created("/tenants", {"displayName": "Read only"})["id"]
    owner_api.created(f"/tenants/{tenant}/sites", SITE)
    for name, role in (("rita", "reader"), ("oscar", "operator")):
        assignment = {"principalId": tokens.principal_id(name), "role": role}
        owner_api.created(f"/tenants/{tenant}/roleAssignments", assignment)

    reader = portal("rita")
    for section in READ_ONLY_PAGES:
        reader.open(f"/tenants/{tenant}/{section}")
        assert write_controls(reader.page) == [], section
    reader.open(f"/tenants/{tenant}/{READ_ONLY_PAGES[0]}")
    expect(reader.page.get_by_role("link", name="Role assignments")).to_have_count(0)  # owners only
    expect(reader.page.get_by_role("link", name="Audit log")).to_have_count(0)  # administrators and up
    reader.shot("a reader's Cloud PCs page")
    reader.assert_accessible("a reader's Cloud PCs page")
    # a wizard's address typed in: the role it needs and who can give it, never a form the API would refuse
    for wizard in ("connections/new", "policies/new", "spotGroups/new"):
        reader.open(f"/tenants/{tenant}/{wizard}")
        expect(reader.page.get_by_role("heading", name="Your role cannot do this here", level=1)).to_be_visible()
        expect(reader.page.locator("main")).to_contain_text("you need the Administrator role; you are reader")
        expect(reader.page.locator("main form")).to_have_count(0)
    reader.shot("a reader at a wizard's address")
    reader.assert_accessible("a reader at a wizard's address")

    operator = portal("oscar")
    for section in READ_ONLY_PAGES[1:]:
        operator.open(f"/tenants/{tenant}/{section}")
        assert write_controls(operator.page) == [], section
    operator.shot("an operator's sites page")


def test_an_owner_gives_and_takes_access_by_keyboard_and_reads_the_audit_log(
    portal: Any, owner_api: ApiClient, tokens: Tokens, azure_emulator: EmulatorProcess
) -> None:
    tenant = owner_api.created("/tenants", {"displayName": "Keyboard"})["id"]
    tab = portal("admin")
    page, keyboard = tab.page, tab.page.keyboard
    tab.open(f"/tenants/{tenant}/roleAssignments")
    expect(page.get_by_role("heading", name="Role assignments")).to_be_visible()

    # the keyboard alone: Enter with nobody chosen, the server's message at the picker; then the person found by name
    adding = page.get_by_role("form", name="Give someone access")
    adding.get_by_role("button", name="Add role assignment").focus()
    keyboard.press("Enter")
    expect(adding.locator("fieldset.invalid .field-error")).to_be_visible()
    tab.shot("the server's message at the person picker")
    rita = f"rita{uuid.uuid4().hex[:6]}"
    GraphAdmin(azure_emulator, HOME_TENANT_ID).create_user(rita)  # one of the organization's own staff
    adding.get_by_label("Find by name").focus()
    keyboard.type(rita)
    expect(adding.get_by_role("button", name=re.compile(f"^Choose {rita}"))).to_be_visible()
    keyboard.press("Tab")
    keyboard.press("Enter")
    expect(adding.get_by_role("button", name="Change")).to_be_focused()
    keyboard.press("Tab")
    keyboard.press("ArrowDown")  # reader, then operator
    expect(adding.get_by_label("Role", exact=True)).to_have_value("operator")
    keyboard.press("Tab")
    keyboard.press("Enter")
    assignments = page.get_by_role("table", name="Who has access")
    expect(assignments.get_by_role("row").filter(has_text=rita)).to_contain_text("Operator")
    tab.shot("an operator found by name and added by keyboard")
    tab.assert_accessible("role assignments")

    # a destructive action asks first; Escape keeps, the confirm button removes
    page.get_by_role("button", name=f"Remove {rita}").focus()
    keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Remove {rita}'s operator role on this tenant?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice has the focus
    tab.shot("the removal asks first")
    keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(assignments.get_by_role("row").filter(has_text=rita)).to_have_count(1)
    expect(page.get_by_role("button", name=f"Remove {rita}")).to_be_focused()  # back to what opened the dialog
    keyboard.press("Enter")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Remove")).to_be_focused()
    keyboard.press("Enter")
    expect(assignments.get_by_role("row").filter(has_text=rita)).to_have_count(0)
    expect(page.get_by_role("heading", name="Role assignments", level=1)).to_be_focused()  # its row is gone

    # an outsider invited by e-mail: the link to send them when Microsoft sends nothing
    inviting = page.get_by_role("form", name="Invite by e-mail")
    email = f"dana{uuid.uuid4().hex[:6]}@fabrikam.example"
    inviting.get_by_role("textbox", name="E-mail").fill(email)
    inviting.get_by_label("Their name").fill("Dana Scully")
    inviting.get_by_label("Microsoft e-mails the invitation").uncheck()
    inviting.get_by_role("button", name="Invite").click()
    expect(inviting.get_by_role("status")).to_contain_text(f"Dana Scully ({email}) is invited as Reader")
    expect(inviting.locator(".redeem-link")).to_contain_text("https://")
    expect(assignments.get_by_role("row").filter(has_text="Dana Scully")).to_contain_text("Guest")
    tab.shot("an outsider invited by e-mail")
    page.locator("main").screenshot(path=str(ARTEFACTS / INVITATION_SHOT))
    shutil.copyfile(ARTEFACTS / INVITATION_SHOT, PROJECT_ROOT / "docs" / "screenshots" / INVITATION_SHOT)
    tab.assert_accessible("an invitation by e-mail")

    # the audit log, filtered to role assignments: the add, the refused add, the removal
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Resource type").select_option("roleAssignment")
    page.get_by_role("button", name="Apply filters").click()
    log = page.get_by_role("table", name="Events, newest first")
    expect(log.locator("tbody tr")).to_have_count(3)
    expect(log).not_to_contain_text("Tenant")
    tab.shot("the audit log filtered to role assignments")
    tab.assert_accessible("the audit log")

    tab.open("/me")
    expect(page.get_by_role("heading", name="Your access")).to_be_visible()
    expect(page.locator("main")).to_contain_text(tokens.principal_id("admin"))
    tab.shot("your access")
    tab.assert_accessible("your access")

    # the API's own docs, Swagger UI from npm, served by the app
    page.goto(tab.url.replace("/api/portal/", "/api/docs/"))
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    # each group of operations opens when asked: 156 operations drawn at once held a loaded browser for a minute
    cloud_pcs = page.get_by_role("heading", name=re.compile(r"^Cloud PCs Expand"))
    cloud_pcs.get_by_role("button", name="Expand operation").click()
    expect(page.get_by_text("/tenants/{tenantId}/cloudPCs").first).to_be_visible()
    tab.shot("the API docs")
    tab.assert_accessible("the API docs")


def test_a_tenant_and_its_site_are_renamed_and_deleted_in_the_portal(portal: Any, owner_api: ApiClient) -> None:
    name = f"Northwind {uuid.uuid4().hex[:6]}"
    tenant = owner_api.created("/tenants", {"displayName": name})["id"]
    owner_api.created(f"/tenants/{tenant}/sites", SITE)
    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant}/sites")
    sites = page.get_by_role("table", name="Sites")
    expect(sites.locator("tbody tr")).to_have_count(1)
    sites.get_by_role("button", name=re.compile("^Rename ")).click()
    rename = page.get_by_role("form", name=re.compile("^Rename the site"))
    rename.get_by_label("Display name").fill("EU West")
    rename.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Renamed to EU West")
    expect(sites.get_by_role("cell", name="EU West", exact=True)).to_be_visible()
    tab.shot("a site renamed")
    tab.assert_accessible("sites with their actions")

    # a tenant that still has a site is not deleted, and says why
    tab.open("/tenants")
    tenants = page.get_by_role("table", name="Tenants")
    tenants.get_by_role("button", name=f"Delete {name}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("still has sites")
    tab.shot("a tenant with a site is not deleted")

    tab.open(f"/tenants/{tenant}/sites")
    page.get_by_role("table", name="Sites").get_by_role("button", name="Delete EU West").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deleted EU West")
    expect(page.get_by_role("table", name="Sites").locator("tbody tr")).to_contain_text("No sites yet")
    tab.open("/tenants")
    page.get_by_role("table", name="Tenants").get_by_role("button", name=f"Delete {name}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text(f"Deleted {name}")
    assert owner_api.get(f"/tenants/{tenant}").status_code == 404

"""The organization's templates in the portal: the list with each template's tenants and drift, a template's fields,
parameters and versions, a tenant's drift field by field kept as a named override or set back by a reapply, and a
tenant's own view of the templates applied to it."""

from __future__ import annotations

import re
import shutil
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTEFACTS, PHONE, WAIT_MS
from tests.browser.test_admin_words import GUID, VISIBLE_TEXT
from tests.browser.test_alerts import UNANSWERED_HOOK
from tests.conftest import PROJECT_ROOT
from tests.e2e.test_spot_groups import group_body, ready_version
from tests.e2e.test_templates import POLICY, rolled_out
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant

DOCS_SHOT, REVIEW_SHOT, PAGE_SHOT = "template-drift.png", "template-review.png", "template-page.png"


CODES = re.compile(r"provisioningPolicy|spotGroup|fieldNotSet|azureADJoin")


def assert_in_words(page: Page, name: str) -> None:
    """What a reader sees says no kind's, field's or error's code and no GUID (a group, a site by its name)."""
    texts: list[str] = page.evaluate(VISIBLE_TEXT)
    coded = [text for text in texts if CODES.search(text) or GUID.search(text)]
    assert not coded, f"on {name}: {coded}"


def drifted_policy_template(api: ApiClient) -> tuple[Tenant, dict[str, Any], dict[str, Any]]:
    """A policy template rolled out to a fresh tenant, whose policy an admin then changed by hand."""
    tenant = Tenant(api)
    tenant.group("staff", [])
    made = api.created(
        "/templates",
        {
            "displayName": "Standard policy",
            "kind": "provisioningPolicy",
            "fields": POLICY,
            "parameters": ["assignments"],
        },
    )
    first = rolled_out(
        api, made, [{"tenantId": tenant.id, "parameters": {"assignments": [{"groupId": tenant.gid("staff")}]}}]
    )
    assert first["status"] == "succeeded", first
    [policy] = api.get(f"{tenant.path}/provisioningPolicies").json()["value"]
    changed = api.patch(f"{tenant.path}/provisioningPolicies/{policy['id']}", {"enableSingleSignOn": False})
    assert changed.status_code == 200, changed.text
    return tenant, made, policy


def test_a_templates_drift_is_shown_field_by_field_kept_as_an_override_and_reapplied(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant, made, policy = drifted_policy_template(owner_api)
    tab = portal("admin")
    page = tab.page

    tab.open("/templates")
    row = page.get_by_role("table", name="Templates").get_by_role("row", name=re.compile(f"^{made['displayName']}"))
    expect(row.first).to_contain_text("Provisioning policy")
    expect(row.first).not_to_contain_text("provisioningPolicy")
    tab.shot("the templates with their tenants and drift")
    tab.assert_accessible("the templates")

    tab.open(f"/templates/{made['id']}")
    expect(page.get_by_role("heading", name=made["displayName"], level=1)).to_be_visible()
    fields = page.get_by_role("table", name="Fields of version 1")
    expect(fields.get_by_role("row", name=re.compile("^Assignments"))).to_contain_text("Each tenant fills it in")
    expect(fields.get_by_role("row", name=re.compile("^Enable single sign on"))).to_contain_text("Yes")
    application = page.get_by_role("region", name=tenant.display_name)
    drift = application.get_by_role("table", name=f"Drift of {policy['displayName']}")
    sso = drift.get_by_role("row", name=re.compile("^Enable single sign on"))
    expect(sso).to_contain_text("Yes")  # the template's
    expect(sso).to_contain_text("No")  # the tenant's
    expect(application).to_contain_text("1 field differs from the template")
    expect(application.locator("dd", has_text="Assignments")).to_contain_text("staff")  # the group by its name
    tab.shot("a tenant's drift, field by field")
    tab.assert_accessible("a template with drift")
    assert_in_words(page, "a template with drift")
    application.screenshot(path=str(ARTEFACTS / DOCS_SHOT))
    shutil.copyfile(ARTEFACTS / DOCS_SHOT, PROJECT_ROOT / "docs" / "screenshots" / DOCS_SHOT)

    # the overview counts it in the tenant's row, a link to the tenant's templates
    tab.open("/")
    tenant_row = page.get_by_role("row").filter(has=page.get_by_role("link", name=tenant.display_name, exact=True))
    drifted = tenant_row.get_by_role("link", name="1 template drifted")
    expect(drifted).to_have_attribute("href", re.compile(f"/tenants/{tenant.id}/templates$"))
    tab.open(f"/templates/{made['id']}")

    # kept as a named override: the drift goes, the override is listed with the tenant's value
    sso.get_by_role("button", name="Keep as override: Enable single sign on").click()
    page.get_by_role("button", name="Keep", exact=True).click()
    expect(application.locator(".field-error")).to_be_visible()  # a name is needed: the server's word at its field
    application.get_by_label(re.compile("^Override name")).fill("sso-off")
    page.get_by_role("button", name="Keep", exact=True).click()
    overrides = application.get_by_role("table", name=f"Overrides of {policy['displayName']}")
    expect(overrides.get_by_role("row", name=re.compile("^sso-off"))).to_contain_text("No")
    expect(application).to_contain_text("No drift")
    tab.shot("the difference kept as an override")
    tab.assert_accessible("a template with an override")

    # reapplied to the tenant: the roll-out is followed to its end, the override holds
    application.get_by_role("button", name=f"Reapply to {tenant.display_name}").click()
    result = application.get_by_role("table", name="Each tenant's result")
    expect(result.get_by_role("row", name=re.compile(f"^{tenant.display_name}"))).to_contain_text(
        "Applied", timeout=WAIT_MS
    )
    expect(result).to_contain_text("left unchanged")
    tab.shot("reapplied to the tenant, the override held")
    assert owner_api.get(f"{tenant.path}/provisioningPolicies/{policy['id']}").json()["enableSingleSignOn"] is False

    # the tenant's own view: the template applied, its override, removed again
    tab.open(f"/tenants/{tenant.id}/templates")
    mine = page.get_by_role("region", name=made["displayName"])
    expect(mine.get_by_role("table", name=f"Overrides of {policy['displayName']}")).to_contain_text("sso-off")
    tab.shot("a tenant's templates and overrides")
    tab.assert_accessible("a tenant's templates")
    assert_in_words(page, "a tenant's templates")
    mine.get_by_role("button", name="Remove the override sso-off").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove").click()
    expect(mine.get_by_role("table", name=f"Drift of {policy['displayName']}")).to_contain_text("Enable single sign on")
    tab.shot("the override removed: the field drifts again")


def test_a_template_fits_a_phone(portal: Any, owner_api: ApiClient) -> None:
    tenant, made, _ = drifted_policy_template(owner_api)
    tab = portal("admin", viewport=PHONE)
    page = tab.page
    shown = {
        "a template": (f"/templates/{made['id']}", "Enable single sign on"),
        "a tenant's templates": (f"/tenants/{tenant.id}/templates", "Enable single sign on"),
        "the templates": ("/templates", made["displayName"]),
        "editing a template": (f"/templates/{made['id']}/edit", "Cloud PC naming template value"),
        "applying a template": (f"/templates/{made['id']}/apply", tenant.display_name),
    }
    for name, (path, text) in shown.items():
        tab.open(path)
        expect(page.get_by_role("main").get_by_text(text).first).to_be_visible()
        if name == "applying a template":
            page.get_by_label(tenant.display_name, exact=True).check()
            page.get_by_role("button", name="Review").click()
            expect(page.get_by_role("region", name=f"Review of {tenant.display_name}")).to_be_visible()
        assert page.evaluate("() => document.scrollingElement.scrollWidth - innerWidth") <= 0, name
        tab.shot(name)
        tab.assert_accessible(f"{name} on a phone")


def test_a_template_is_reviewed_tenant_by_tenant_then_rolled_out_and_followed(
    portal: Any, owner_api: ApiClient
) -> None:
    tenants = [Tenant(owner_api) for _ in range(2)]
    for tenant in tenants:
        tenant.group("staff", [])
    made = owner_api.created(
        "/templates",
        {"displayName": "Desktops", "kind": "provisioningPolicy", "fields": POLICY, "parameters": ["assignments"]},
    )
    tab = portal("admin")
    page = tab.page

    tab.open(f"/templates/{made['id']}")
    page.get_by_role("link", name="Review and apply").click()
    for tenant in tenants:
        page.get_by_label(tenant.display_name, exact=True).check()
    first, second = (page.get_by_role("group", name=tenant.display_name, exact=True) for tenant in tenants)
    # a group of another tenant, pasted by its id: the review says what the policy's service would refuse
    foreign = tenants[1].gid("staff")
    first.get_by_label("Find a group").fill(foreign)
    first.get_by_role("button", name=f"Add group {foreign}").click()
    second.get_by_label("Find a group").fill("sta")
    second.get_by_role("button", name="Add staff").click()
    page.get_by_role("button", name="Review").click()
    refused = page.get_by_role("region", name=f"Review of {tenants[0].display_name}")
    expect(refused.get_by_role("alert")).to_contain_text("Would be refused")
    expect(page.get_by_role("button", name="Apply to 2 tenants")).to_be_disabled()
    tab.shot("the review: a group that is not in the tenant would be refused")
    first.get_by_role("button", name=f"Remove {foreign}").click()
    second.get_by_role("button", name="Remove staff").click()
    first.get_by_label("Find a group").fill("sta")
    first.get_by_role("button", name="Add staff").click()
    expect(first.get_by_role("list", name="Chosen groups")).to_contain_text("staff")
    page.get_by_role("button", name="Review").click()

    # the second tenant has no groups yet: said in words, and nothing can be applied
    missing = page.get_by_role("region", name=f"Review of {tenants[1].display_name}")
    expect(missing).to_contain_text("Still to fill in: Assignments")
    expect(page.get_by_role("region", name=f"Review of {tenants[0].display_name}")).to_contain_text(
        "Creates provisioning policy Standard desktops"
    )
    expect(page.get_by_role("button", name="Apply to 2 tenants")).to_be_disabled()
    tab.shot("the review: one tenant still has a parameter to fill in")
    tab.assert_accessible("a template's review")
    assert_in_words(page, "a template's review")

    second.get_by_label("Find a group").fill("sta")
    second.get_by_role("button", name="Add staff").click()
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("region", name=f"Review of {tenants[1].display_name}")).to_contain_text(
        "Creates provisioning policy Standard desktops"
    )
    page.get_by_role("button", name="Apply to 2 tenants").click()
    results = page.get_by_role("table", name="Each tenant's result")
    for tenant in tenants:
        expect(results.get_by_role("row", name=re.compile(f"^{tenant.display_name}"))).to_contain_text(
            "Applied", timeout=WAIT_MS
        )
    expect(results).to_contain_text("Standard desktops created")
    tab.shot("the roll-out, each tenant's result")
    tab.assert_accessible("a roll-out")
    assert_in_words(page, "a roll-out")

    # a new version: the review says each field's change, its present value beside the new one
    newer = owner_api.patch(
        f"/templates/{made['id']}",
        {"fields": {**POLICY, "enableSingleSignOn": False}},
        headers={"If-Match": made["etag"]},
    )
    assert newer.status_code == 200, newer.text
    page.get_by_role("link", name="See the template and its tenants").click()
    page.get_by_role("link", name="Review and apply").click()
    page.get_by_label(tenants[0].display_name, exact=True).check()
    page.get_by_role("button", name="Review").click()
    changes = page.get_by_role("list", name="Changes to Standard desktops")
    expect(changes).to_contain_text("Enable single sign on: Yes → No")
    tab.shot("the review of a new version: each field old and new")
    tab.assert_accessible("a new version's review")
    page.get_by_role("region", name=f"Review of {tenants[0].display_name}").screenshot(
        path=str(ARTEFACTS / REVIEW_SHOT)
    )
    shutil.copyfile(ARTEFACTS / REVIEW_SHOT, PROJECT_ROOT / "docs" / "screenshots" / REVIEW_SHOT)


def test_a_template_is_made_from_a_policy_with_its_fields_and_edited_into_a_new_version(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant = Tenant(owner_api)
    policy = tenant.policy(displayName="Sales desktops")
    tab = portal("admin")
    page = tab.page

    tab.open(f"/tenants/{tenant.id}/policies/{policy['id']}")
    page.get_by_role("link", name="Make a template").click()
    expect(page.get_by_role("heading", name="Make a template", level=1)).to_be_visible()
    expect(page.get_by_label("Template name")).to_have_value("Sales desktops")
    # the object's own fields, as the create body takes them
    expect(page.get_by_label("Cloud PC naming template value")).to_have_value("FIN-%USERNAME:4%-%RAND:5%")
    expect(page.get_by_label("Image type value")).to_have_value("gallery")
    page.get_by_label("Template name").fill("Sales standard")
    page.get_by_role("group", name="Assignments").get_by_label("Each tenant fills it in").check()
    page.get_by_label("Cloud PC naming template value").fill("SALES")  # no %RAND%: refused by the policy's own rule
    page.get_by_role("button", name="Create template").click()
    naming = page.get_by_label("Cloud PC naming template value")
    expect(naming).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field", has=naming).locator(".field-error")).to_be_visible()
    tab.shot("making a template: the server's refusal at its field")
    tab.assert_accessible("making a template from a policy")
    assert all(t["displayName"] != "Sales standard" for t in owner_api.get("/templates").json()["value"])

    naming.fill("SLS-%USERNAME:4%-%RAND:5%")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name="Sales standard", level=1)).to_be_visible()
    fields = page.get_by_role("table", name="Fields of version 1")
    expect(fields.get_by_role("row", name=re.compile("^Assignments"))).to_contain_text("Each tenant fills it in")
    expect(fields.get_by_role("row", name=re.compile("^Cloud PC naming template"))).to_contain_text("SLS-%USERNAME")
    tab.shot("the template made from the policy")
    page.screenshot(path=str(ARTEFACTS / PAGE_SHOT))  # the top of the page: its fields and parameters
    shutil.copyfile(ARTEFACTS / PAGE_SHOT, PROJECT_ROOT / "docs" / "screenshots" / PAGE_SHOT)

    # an edit of its fields is the next version; the first stays readable
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Enable single sign on value").fill("true")
    page.get_by_role("button", name="Save as a new version").click()
    sso = re.compile("^Enable single sign on")
    expect(page.get_by_role("table", name="Fields of version 2").get_by_role("row", name=sso)).to_contain_text("Yes")
    page.get_by_label("Version shown").select_option(label="Version 1")
    expect(page.get_by_role("table", name="Fields of version 1").get_by_role("row", name=sso)).to_contain_text("No")
    tab.shot("version 2, and version 1 still readable")
    tab.assert_accessible("a template's versions")


def test_a_spot_group_template_is_made_from_its_page_and_reviewed_with_the_tenants_own_lists(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant = Tenant(owner_api)
    tenant.group("sales", [])
    image_set_id = ready_version(owner_api, tenant)
    group = owner_api.created(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id, name="tpl-desks"))
    tab = portal("admin")
    page = tab.page

    tab.open(f"{tenant.path}/spotGroups/{group['id']}")
    page.get_by_role("link", name="Make a template").click()
    expect(page.get_by_label("Template name")).to_have_value("Sales desktops")
    page.get_by_label("Template name").fill(f"Desks {tenant.id[:6]}")
    for parameter in ("Site ID", "Group IDs", "Image set ID"):
        page.get_by_role("group", name=parameter, exact=True).get_by_label("Each tenant fills it in").check()
    page.get_by_role("button", name="Create template").click()
    fields = page.get_by_role("table", name="Fields of version 1")
    expect(fields.get_by_role("row", name=re.compile("^Image set ID"))).to_contain_text("Each tenant fills it in")
    expect(fields.get_by_role("row", name=re.compile("^Name"))).to_contain_text("tpl-desks")
    tab.shot("a Spot Group template, its site, groups and image set filled in by each tenant")

    # the review picks the tenant's own site and image set from lists, and its group by name
    page.get_by_role("link", name="Review and apply").click()
    page.get_by_label(tenant.display_name, exact=True).check()
    mine = page.get_by_role("group", name=tenant.display_name, exact=True)
    mine.get_by_label("Site ID").select_option(label=tenant.site["displayName"])
    mine.get_by_label("Image set ID").select_option(value=image_set_id)
    mine.get_by_label("Find a group").fill("sal")
    mine.get_by_role("button", name="Add sales").click()
    page.get_by_role("button", name="Review").click()
    review = page.get_by_role("region", name=f"Review of {tenant.display_name}")
    expect(review).to_contain_text("Leaves unchanged Spot Group tpl-desks")  # found by its name: nothing to change
    tab.shot("a Spot Group template's review: the tenant's own group left as it is")
    tab.assert_accessible("a Spot Group template's review")
    assert_in_words(page, "a Spot Group template's review")


def test_an_alert_rule_template_is_made_from_a_tenants_rule_without_its_webhook(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant = Tenant(owner_api, onboard=False)
    hook = {"kind": "webhook", "url": UNANSWERED_HOOK, "secret": "a-webhook-secret-of-the-tenant"}
    rule = owner_api.created(
        f"{tenant.path}/alertRules",
        {"displayName": "Grace ending", "kind": "graceEndingSoon", "threshold": 24, "channels": [hook]},
    )
    tab = portal("admin")
    page = tab.page

    tab.open(f"{tenant.path}/alertRules/{rule['id']}")
    page.get_by_role("link", name="Make a template").click()
    expect(page.get_by_label("Template name")).to_have_value("Grace ending")
    # the webhook's secret is a credential, which a template never keeps: its channel is left out
    expect(page.get_by_label("Channels value")).to_have_value("[]")
    page.get_by_label("Template name").fill(f"Grace {tenant.id[:6]}")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name=f"Grace {tenant.id[:6]}", level=1)).to_be_visible()
    fields = page.get_by_role("table", name="Fields of version 1")
    expect(fields.get_by_role("row", name=re.compile("^Threshold"))).to_contain_text("24")
    expect(page.locator("main")).to_contain_text("Alert rule")
    tab.shot("an alert rule template made from a tenant's rule, its webhook left out")
    tab.assert_accessible("an alert rule template")
    assert_in_words(page, "an alert rule template")

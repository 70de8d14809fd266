"""The reclaim rule in a tenant's settings: its preview of a provisioned Cloud PC nobody used follows the days as the
admin types them, a refused value is shown at its field, the rule saved is the rule read back, and a reader sees it
without a control to change it."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from typing import Any

from playwright.sync_api import Locator, Page, expect

from shared.bootstrap import Services
from tests.browser.conftest import ARTEFACTS
from tests.conftest import PROJECT_ROOT, Tokens
from tests.e2e.test_provisioning import provision_one
from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant

SCREENSHOT = "reclaim-settings.png"  # the documentation's picture of the rule
NOTHING = "Saved now, this rule would announce no Cloud PC and put none in its grace period."


def field(page: Page, label: str) -> Locator:
    """The `.field` block around a labelled control: its hint and its server message are inside."""
    return page.locator(".field", has=page.get_by_label(re.compile(f"^{re.escape(label)}\\b")))


def provisioned_long_ago(app_services: Services, tenant_id: str, cloud_pc: dict[str, Any]) -> None:
    """The Cloud PC as if provisioned 40 days ago and never connected to since (no test waits a month)."""
    store = app_services.engine.cloud_pcs
    read = store.get_cloud_pc(tenant_id, cloud_pc["id"])
    long_ago = app_services.engine.clock() - timedelta(days=40)
    store.upsert_cloud_pc(read.model_copy(update={"provisioned_date_time": long_ago}), if_match=read.etag)


def test_the_reclaim_rule_shows_what_it_would_take_before_it_is_saved(
    portal: Any, owner_api: ApiClient, app_services: Services, tokens: Tokens
) -> None:
    tenant = Tenant(owner_api)
    cloud_pc = provision_one(owner_api, tenant)  # Ann's, through the emulator as any other
    assert cloud_pc["lastConnectedDateTime"] is None
    provisioned_long_ago(app_services, tenant.id, cloud_pc)
    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/settings")
    expect(page.get_by_role("link", name="Settings", exact=True)).to_have_attribute("aria-current", "page")
    section = page.get_by_role("form", name="Reclaim unused Cloud PCs")
    preview = section.get_by_role("status")
    expect(preview).to_have_text(
        "Turned on and saved now, this rule would announce 1 Cloud PC and put none in its grace period."
    )  # the API's defaults, 30 and 14 days: Ann's is unused long enough
    page.get_by_label("Reclaim Cloud PCs nobody uses").check()
    expect(section).to_contain_text("A Cloud PC nobody has connected to for 30 days is announced")
    expect(section).to_contain_text("Cloud PCs whose license a group assigns are left alone")

    expect(preview).to_have_text("Saved now, this rule would announce 1 Cloud PC and put none in its grace period.")
    page.get_by_label("Days from the announcement to its grace period").fill("7")
    page.get_by_label("Days unused before it is announced").fill("60")  # longer than Ann's 40 days
    expect(preview).to_have_text(NOTHING)
    expect(section).to_contain_text(
        "for 60 days is announced to the tenant's admins (its user is not e-mailed); 7 days later"
    )

    # a value out of range: the server's word at its field, as the admin types
    page.get_by_label("Days unused before it is announced").fill("6")
    refused = field(page, "Days unused before it is announced").locator(".field-error")
    expect(refused).to_have_text("Must be a whole number from 7 to 365.")
    expect(page.get_by_label("Days unused before it is announced")).to_have_attribute("aria-invalid", "true")
    expect(preview).to_have_text("Not counted: the days above are refused.")
    tab.shot("a refused number of days")
    tab.assert_accessible("a refused number of days")

    # the user e-mailed with no mailbox to send from: the save's refusal at the mailbox, nothing saved
    page.get_by_label("Days unused before it is announced").fill("35")
    page.get_by_label("E-mail the user when their Cloud PC is announced").check()
    page.get_by_role("button", name="Save the rule").click()
    expect(field(page, "Sender mailbox").locator(".field-error")).to_be_visible()
    assert owner_api.get(tenant.path).json().get("reclaim") is None

    tenant.graph.mailbox_user(upn="it@contoso.com")  # the sender: a user of the tenant with a mailbox
    page.get_by_label("Sender mailbox").fill("it@contoso.com")
    expect(section).to_contain_text("announced to its user (by e-mail from it@contoso.com) and the tenant's admins")
    expect(preview).to_have_text("Saved now, this rule would announce 1 Cloud PC and put none in its grace period.")
    section.screenshot(path=str(ARTEFACTS / SCREENSHOT))
    shutil.copyfile(ARTEFACTS / SCREENSHOT, PROJECT_ROOT / "docs" / "screenshots" / SCREENSHOT)
    # saved with days that take nothing now, so the hourly run, whenever it comes, leaves the preview as it is
    page.get_by_label("Days unused before it is announced").fill("60")
    expect(preview).to_have_text(NOTHING)
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_role("status").filter(has_text="The reclaim rule is saved and on")).to_be_visible()
    rule = {"enabled": True, "unusedDays": 60, "noticeDays": 7, "emailUser": True, "mailbox": "it@contoso.com"}
    assert owner_api.get(tenant.path).json()["reclaim"] == rule

    page.reload()
    expect(page.get_by_label("Reclaim Cloud PCs nobody uses")).to_be_checked()
    expect(page.get_by_label("Days unused before it is announced")).to_have_value("60")
    expect(page.get_by_label("Days from the announcement to its grace period")).to_have_value("7")
    expect(page.get_by_label("Sender mailbox")).to_have_value("it@contoso.com")
    expect(preview).to_have_text(NOTHING)
    tab.shot("the rule saved and read back")
    tab.assert_accessible("the rule saved")

    # a reader sees the rule and what it would take, with nothing to change
    owner_api.created(f"{tenant.path}/roleAssignments", {"principalId": tokens.principal_id("rita"), "role": "reader"})
    reader = portal("rita")
    reader.open(f"/tenants/{tenant.id}/settings")
    expect(reader.page.get_by_label("Days unused before it is announced")).to_be_disabled()
    expect(reader.page.get_by_role("status")).to_have_text(NOTHING)
    expect(reader.page.get_by_role("button", name="Save the rule")).to_have_count(0)
    reader.shot("a reader's view of the rule")
    reader.assert_accessible("a reader's view of the rule")

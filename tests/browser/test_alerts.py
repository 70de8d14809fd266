"""Alerts in the portal: a rule made through its form (a refused URL shown at its field), the alert the evaluation
timer raises shown on the Alerts page and counted in the header, its detail with the Cloud PC it covers and each
channel's notice, and Acknowledge; axe and the Tab walk on each page."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from shared.bootstrap import Services
from shared.models.cloud_pcs import CloudPc
from tests.browser.conftest import ARTEFACTS
from tests.browser.test_spot_pc import field, label
from tests.conftest import Tokens
from tests.e2e.test_alerts import run_evaluation
from tests.utils.api_client import ApiClient, eventually

# a loopback address the test app accepts (ALERT_WEBHOOK_PRIVATE_NETWORKS) where nothing listens: each notice fails
UNANSWERED_HOOK = "https://127.0.0.1:9/hooks/alerts"


def in_grace(services: Services, tenant_id: str) -> CloudPc:
    """A Cloud PC whose grace period ends within the hour: what a graceEndingSoon rule watches."""
    now = services.alerts.clock()
    pc = CloudPc(
        id=f"cpc-{uuid.uuid4().hex[:8]}",
        tenant_id=tenant_id,
        display_name="Finance - ann",
        user_id="ann",
        user_principal_name="ann@contoso.com",
        service_plan_id="p",
        service_plan_name="P",
        provisioning_policy_id="finance",
        provisioning_policy_name="Finance",
        status="inGracePeriod",
        grace_period_end_date_time=now + timedelta(hours=1),
        created_date_time=now,
        last_modified_date_time=now,
    )
    services.alerts.cloud_pcs.upsert_cloud_pc(pc)
    return pc


def test_a_rule_made_in_the_form_raises_an_alert_that_is_shown_counted_and_acknowledged(
    portal: Any, owner_api: ApiClient, app_services: Services, tokens: Tokens
) -> None:
    tenant_name = f"Alerts {uuid.uuid4().hex[:6]}"
    tenant_id = owner_api.created("/tenants", {"displayName": tenant_name})["id"]
    pc = in_grace(app_services, tenant_id)
    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant_id}/alerts")
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    expect(page.get_by_text("No open alerts")).to_be_visible()
    expect(page.get_by_role("link", name="0 active alerts")).to_be_visible()

    # the rule: its kind's sentence and threshold in hours, a webhook whose plain-http URL the server refuses
    page.get_by_role("link", name="Alert rules", exact=True).click()
    page.get_by_role("link", name="Create alert rule").click()
    expect(page.get_by_role("heading", name="Create an alert rule")).to_be_visible()
    expect(page.get_by_label("Threshold (hours)")).to_have_count(0)  # failed provisioning takes none
    label(page, "Name").fill("Grace ending")
    page.get_by_label("Watches").select_option("graceEndingSoon")
    expect(field(page, "Watches")).to_contain_text("grace period ends within the threshold's hours")
    label(page, "Threshold (hours)").fill("24")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_role("button", name="Add a webhook").click()
    label(page, "Webhook URL").fill("http://127.0.0.1:9/hooks/alerts")
    label(page, "Signing secret").fill("a-webhook-secret-of-the-tenant")
    page.get_by_role("button", name="Add e-mail").click()
    page.get_by_role("button", name="Remove channel 2").click()  # changed their mind: the webhook alone
    expect(page.get_by_label("Sender mailbox")).to_have_count(0)
    page.get_by_role("button", name="Create alert rule").click()
    expect(field(page, "Webhook URL").locator(".field-error")).to_contain_text("must be https://")
    expect(label(page, "Webhook URL")).to_have_attribute("aria-invalid", "true")
    assert owner_api.get(f"/tenants/{tenant_id}/alertRules").json()["value"] == []  # nothing saved
    tab.shot("a rule's URL refused at its field")
    tab.assert_accessible("the alert rule form with a refused URL")

    label(page, "Webhook URL").fill(UNANSWERED_HOOK)
    page.get_by_role("button", name="Create alert rule").click()
    expect(page.get_by_text("Saved Grace ending.")).to_be_visible()
    rules = page.get_by_role("table", name="Alert rules")
    expect(rules).to_contain_text("Threshold 24 hours")
    expect(rules).to_contain_text("127.0.0.1:9")
    tab.shot("the rules")
    tab.assert_accessible("the alert rules")

    # the evaluation timer raises the alert; the page and the header's count show it once read again
    open_alert(owner_api, tenant_id)
    tab.open(f"/tenants/{tenant_id}/alerts")
    page.reload()
    alerts = page.get_by_role("table", name=re.compile("^Open alerts"))
    row = alerts.locator("tbody tr").filter(has_text="will be deprovisioned within 24 hours")
    expect(row).to_contain_text("Critical")
    expect(row).to_contain_text("Grace periods ending")
    expect(page.get_by_role("link", name="1 active alert", exact=True)).to_be_visible()
    page.screenshot(path=str(ARTEFACTS / "alerts.png"))  # the documentation's picture
    tab.shot("an open alert")
    tab.assert_accessible("the alerts")

    # the overview counts it on the tenant's row and names it the most severe, a link to it
    tab.open("/")
    tenant_row = page.get_by_role("table", name="Tenants").locator("tbody tr").filter(has_text=tenant_name)
    expect(tenant_row.get_by_role("link", name="1 open alert", exact=True)).to_be_visible()
    tab.assert_accessible("the overview with an open alert")
    tenant_row.get_by_role("link", name="Critical: the most severe open alert").click()
    expect(page.get_by_text("will be deprovisioned within 24 hours").first).to_be_visible()
    tab.open(f"/tenants/{tenant_id}/alerts")

    # a reader sees the same alert and rule, with nothing to acknowledge, create or delete
    reader_role = {"principalId": tokens.principal_id("rita"), "role": "reader"}
    owner_api.created(f"/tenants/{tenant_id}/roleAssignments", reader_role)
    reader = portal("rita")
    reader.open(f"/tenants/{tenant_id}/alerts")
    expect(reader.page.locator("main tbody tr")).to_contain_text("will be deprovisioned within 24 hours")
    expect(reader.page.get_by_role("link", name="1 active alert", exact=True)).to_be_visible()
    expect(reader.page.locator("main").get_by_role("button", name=re.compile("^Acknowledge"))).to_have_count(0)
    reader.page.get_by_role("link", name="Alert rules", exact=True).click()
    expect(reader.page.get_by_role("table", name="Alert rules")).to_contain_text("Grace ending")
    expect(reader.page.get_by_role("link", name="Create alert rule")).to_have_count(0)
    expect(reader.page.locator("main").get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)
    reader.shot("a reader's rules: nothing to change")
    reader.page.get_by_role("link", name="Grace ending").click()
    expect(reader.page.locator("dl.details")).to_contain_text(re.compile(r"Threshold\s*24 hours"))
    expect(reader.page.get_by_role("button", name="Save changes")).to_have_count(0)

    # its detail: the Cloud PC it covers by name, and the webhook's notice
    row.get_by_role("link").click()
    title = page.get_by_role("heading", name=re.compile("will be deprovisioned within 24 hours"), level=1)
    expect(title).to_be_visible()
    expect(page.get_by_role("link", name="Finance - ann")).to_have_attribute("href", re.compile(f"/cloudPCs/{pc.id}$"))
    notices = page.get_by_role("table", name="Each channel's notices")
    expect(notices.locator("tbody tr")).to_have_count(1)
    expect(notices).to_contain_text("Webhook")
    expect(notices).to_contain_text("Raised notice")
    tab.shot("an alert's detail")
    tab.assert_accessible("an alert's detail")

    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged: it stays open until its condition clears.")).to_be_visible()
    expect(page.locator("dl.details")).to_contain_text(re.compile(r"Status\s*Acknowledged\s*by admin"))
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    assert owner_api.get(f"/tenants/{tenant_id}/alerts?status=acknowledged").json()["value"][0]["acknowledgedBy"]
    page.get_by_role("link", name="Back to the alerts").click()
    row = page.get_by_role("table", name=re.compile("^Open alerts")).locator("tbody tr").first
    expect(row).to_contain_text("Acknowledged")
    expect(row.get_by_role("button", name=re.compile("^Acknowledge"))).to_have_count(0)
    page.get_by_label("Show").select_option("resolved")
    expect(page.get_by_text("No resolved alerts.")).to_be_visible()
    tab.shot("acknowledged")
    tab.assert_accessible("the alerts after acknowledging")

    # the rule edited: its kind fixed, its webhook's secret kept when left empty
    page.get_by_role("link", name="Alert rules", exact=True).click()
    page.get_by_role("link", name="Grace ending").click()
    expect(field(page, "Signing secret")).to_contain_text("Leave empty to keep the secret it has.")
    expect(page.get_by_label("Watches")).to_have_count(0)
    label(page, "Threshold (hours)").fill("12")
    tab.assert_accessible("an alert rule's edit form")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("table", name="Alert rules")).to_contain_text("Threshold 12 hours")
    [saved] = owner_api.get(f"/tenants/{tenant_id}/alertRules").json()["value"]
    assert saved["channels"][0]["secretSet"] and saved["threshold"] == 12


def open_alert(api: ApiClient, tenant_id: str) -> dict[str, Any]:
    """The alert the evaluation timer raises (run as Core Tools runs a timer) for the tenant's one rule."""
    run_evaluation(api)

    def raised() -> dict[str, Any]:
        listed = api.get(f"/tenants/{tenant_id}/alerts?status=active").json()["value"]
        assert len(listed) == 1, listed
        return dict(listed[0])

    return eventually(raised)


def test_the_organizations_rules_for_every_tenant_are_made_and_listed_beside_the_templates(
    portal: Any, owner_api: ApiClient
) -> None:
    name = f"Every tenant {uuid.uuid4().hex[:6]}"
    tab = portal("admin")
    page = tab.page
    tab.open("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alert rules for every tenant").click()
    expect(page.get_by_role("heading", name="Alert rules for every tenant", level=1)).to_be_visible()
    page.get_by_role("link", name="Create alert rule").click()
    expect(page.get_by_role("heading", name="Create an alert rule for every tenant", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Add e-mail")).to_have_count(0)  # a customer's mailbox is the customer's
    label(page, "Name").fill(name)
    # disabled: a rule of the organization watches every tenant, those of the tests that share this app too
    page.get_by_label("Enabled: the rule raises alerts").uncheck()
    page.get_by_role("button", name="Add a webhook").click()
    label(page, "Webhook URL").fill(UNANSWERED_HOOK)
    label(page, "Signing secret").fill("a-webhook-secret-of-the-msp")
    page.get_by_role("button", name="Create alert rule").click()
    rules = page.get_by_role("table", name="Alert rules")
    try:
        expect(rules.get_by_role("row", name=re.compile(f"^{name}"))).to_contain_text("Webhook")
        tab.shot("the organization's alert rules, for every tenant")
        tab.assert_accessible("the organization's alert rules")
        [saved] = [rule for rule in owner_api.get("/alertRules").json()["value"] if rule["displayName"] == name]
        assert (saved["tenantId"], saved["enabled"], saved["channels"][0]["secretSet"]) == (
            "~organization",
            False,
            True,
        )

        rules.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
        expect(page.get_by_role("link", name="Make a template")).to_have_count(0)  # it watches every tenant already
        tab.assert_accessible("an organization alert rule")
    finally:
        for rule in owner_api.get("/alertRules").json()["value"]:
            if rule["displayName"] == name:
                owner_api.delete(f"/alertRules/{rule['id']}")


def test_open_alerts_are_acknowledged_together_from_the_list(
    portal: Any, owner_api: ApiClient, app_services: Services
) -> None:
    tenant_id = owner_api.created("/tenants", {"displayName": f"Alerts {uuid.uuid4().hex[:6]}"})["id"]
    in_grace(app_services, tenant_id)
    hook = {"kind": "webhook", "url": UNANSWERED_HOOK, "secret": "a-webhook-secret-of-the-tenant"}
    for hours in (24, 48):  # two rules watching the same Cloud PC: two alerts
        body = {"displayName": f"Grace ending {hours}", "kind": "graceEndingSoon", "threshold": hours}
        owner_api.created(f"/tenants/{tenant_id}/alertRules", {**body, "channels": [hook]})
    run_evaluation(owner_api)

    def raised() -> None:
        listed = owner_api.get(f"/tenants/{tenant_id}/alerts?status=active").json()["value"]
        assert len(listed) == 2, listed

    eventually(raised)
    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant_id}/alerts")
    alerts = page.get_by_role("table", name=re.compile("^Open alerts"))
    expect(alerts.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("button", name=re.compile("selected alert"))).to_have_count(0)  # nothing chosen yet
    alerts.get_by_role("checkbox", name="Select every row on this page").check()
    page.get_by_role("button", name="Acknowledge 2 selected alerts").click()
    expect(alerts.locator("tbody tr").filter(has_text="Acknowledged")).to_have_count(2)
    expect(page.get_by_role("button", name=re.compile("selected alert"))).to_have_count(0)
    acknowledged = owner_api.get(f"/tenants/{tenant_id}/alerts?status=acknowledged").json()["value"]
    assert len(acknowledged) == 2 and all(one["acknowledgedBy"] for one in acknowledged)
    tab.shot("two alerts acknowledged together")
    tab.assert_accessible("the alerts after acknowledging two together")

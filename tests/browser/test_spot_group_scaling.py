"""A scaling Spot Group in the portal: the wizard's Scaling fieldset (each refusal at its field, the keyboard through
its controls in order, the review's ceiling and base), and a group's page with its hosts by priority, its evictions,
its timeline by kind and the edit form's scaling beside the replay."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTEFACTS, WAIT_MS
from tests.browser.test_spot_pc import field, label
from tests.e2e.test_spot_group_day import Pool
from tests.e2e.test_spot_groups import group_body, ready_version, run_optimization, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

SCALING_CONTROLS = [
    "Make and delete hosts with the load",
    "Base hosts",
    "Buffer sessions",
    "Ceiling (most hosts)",
    "Delete after (minutes)",
    "Spot share (%)",
    "When Azure evicts a Spot host",
    "Spot max price (US dollars an hour)",
]


def tab_order(page: Page, first: str, count: int) -> list[str]:
    """The labels of the controls Tab reaches from the one labelled `first`, that one included."""
    label(page, first).focus()
    reached = []
    for _ in range(count):
        reached.append(page.evaluate("() => document.activeElement.labels?.[0]?.textContent.trim() ?? ''"))
        page.keyboard.press("Tab")
    return reached


def test_the_wizard_takes_scaling_and_shows_each_refusal_at_its_field(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api)
    tenant.group("finance", ["ann", "ben"])
    ready_version(owner_api, tenant)

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/spotGroups")
    page.get_by_role("link", name="Create Spot Group").click()
    expect(page.get_by_role("heading", name="Basics")).to_be_visible()
    label(page, "Name").fill("finance-desktops")
    page.get_by_label("Friendly name").fill("Finance desktops")
    page.get_by_label("License count").fill("4")
    page.get_by_label("Maximum sessions per host").fill("2")  # the licenses fill 2 hosts
    expect(page.get_by_label("Base hosts")).to_have_count(0)  # off by default: a fixed set, as before
    page.get_by_label("Make and delete hosts with the load").check()
    expect(page.get_by_label("Ceiling (most hosts)")).to_have_attribute("placeholder", "2 hosts: the license bound")
    assert tab_order(page, SCALING_CONTROLS[0], len(SCALING_CONTROLS)) == SCALING_CONTROLS

    page.get_by_label("Base hosts").fill("5")
    page.get_by_label("Buffer sessions").fill("2")
    page.get_by_label("Ceiling (most hosts)").fill("3")
    page.get_by_label("Delete after (minutes)").fill("15")
    page.get_by_label("Spot share (%)").fill("50")
    page.get_by_label("When Azure evicts a Spot host").select_option("Delete")
    page.get_by_label("Spot max price (US dollars an hour)").fill("0.05")
    # the licenses are judged with the whole group: the review's check sends the wizard back to the fields it refuses
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Placement and image")).to_be_visible()
    expect(page.get_by_label("Image version").locator("option", has_text="0.0.0")).to_have_count(1, timeout=WAIT_MS)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Access")).to_be_visible()
    page.get_by_label("Find a group").fill("finance")
    page.get_by_role("button", name="Add finance").click()
    page.get_by_label("Profile path").fill("\\\\files.contoso.com\\profiles")
    page.get_by_role("button", name="Next").click()
    expect(field(page, "Ceiling (most hosts)").locator(".field-error")).to_contain_text("Must be at most 2: 4 licenses")
    expect(field(page, "Base hosts").locator(".field-error")).to_contain_text("at most the ceiling, 2 hosts")
    expect(page.get_by_label("Base hosts")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("heading", name="Basics")).to_be_visible()
    tab.shot("scaling refused at its fields")
    tab.assert_accessible("wizard: scaling with errors")

    page.get_by_label("Base hosts").fill("1")
    page.get_by_label("Ceiling (most hosts)").fill("")
    for heading in ("Placement and image", "Access", "Review + create"):
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()

    # the server's review: the ceiling (the license bound, none typed) and the base; no load to replay yet
    details = page.locator("dl.details")
    expect(details).to_contain_text(re.compile(r"Ceiling\s*2 hosts"))
    expect(details).to_contain_text(re.compile(r"Base hosts\s*1 host"))
    spot = "50% of the hosts above the base on Spot VMs (deleted when evicted, at most $0.05 an hour)"
    expect(details).to_contain_text(spot)
    expect(page.locator("main")).to_contain_text("a group not yet made has none")
    tab.shot("the review with the ceiling and base")
    tab.assert_accessible("wizard: review with scaling")


def test_a_scaling_groups_page_shows_hosts_by_priority_evictions_and_its_timeline_by_kind(
    portal: Any, owner_api: ApiClient
) -> None:
    tenant = Tenant(owner_api)
    tenant.group("sales", ["ann"])
    scaling = {"baseHosts": 1, "maxHosts": 3, "spotSharePercent": 100}  # every host above the base on Spot
    body = group_body(tenant, ready_version(owner_api, tenant), licenseCount=6, scaling=scaling)
    made = owner_api.created(f"{tenant.path}/spotGroups", body)
    group = f"{tenant.path}/spotGroups/{made['id']}"
    assert settled(owner_api, group)["status"] == "ready"
    # 3 users on the base's 2 sessions: the optimization makes a host above the base, as a Spot VM
    Pool(tenant, "spotpc-sales-desktops").load(3)
    run_optimization(owner_api)

    def grown() -> None:
        hosts = owner_api.get(f"{group}/sessionHosts").json()["value"]
        assert sorted((h["priority"], h["status"]) for h in hosts) == [("Regular", "running"), ("Spot", "running")]

    eventually(grown, timeout_s=180)

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/spotGroups/{made['id']}")
    by_priority = page.get_by_role("list", name="Session hosts by priority")
    expect(by_priority).to_contain_text(re.compile(r"1\s*Regular"))
    expect(by_priority).to_contain_text(re.compile(r"1\s*Spot"))
    hosts = page.get_by_role("table", name="Session hosts")
    expect(hosts.locator("thead")).to_contain_text("Priority")
    expect(hosts.locator("tbody tr").filter(has_text="Spot")).to_have_count(1)

    # evictions per day: none yet; a service without the list shows nothing of it
    evictions = page.get_by_role("region", name="Evictions per day")
    if owner_api.get(f"{group}/evictions").status_code == 404:
        expect(evictions).to_have_count(0)
    else:
        expect(evictions).to_contain_text("No evictions in the last 14 days.")

    # the timeline by kind: the server filters, so the scaling kind is the host made and nothing else
    page.get_by_label("Show").select_option("scaling")
    lines = page.get_by_role("table", name="Decisions, newest first").locator("tbody tr")
    expect(lines).to_have_count(1)
    expect(lines).to_contain_text("Create host")
    # the documentation's picture: the hosts by priority and the timeline's scaling kind, in one window
    page.evaluate("() => document.getElementById('hosts-heading').scrollIntoView()")
    page.screenshot(path=str(ARTEFACTS / "spot-group-scaling.png"))
    page.get_by_label("Show").select_option("health")
    expect(page.get_by_text("No decisions of this kind yet.")).to_be_visible()

    # the edit form: scaling cannot be turned off, a base above the ceiling is refused at its field
    edit = page.get_by_role("form", name="Edit")
    expect(edit.get_by_label("Make and delete hosts with the load")).to_have_count(0)
    edit.get_by_label("Base hosts").fill("4")
    edit.get_by_role("button", name="Save changes").click()
    expect(field(page, "Base hosts").locator(".field-error")).to_contain_text("at most the ceiling, 3 hosts")
    edit.get_by_role("button", name="Try these choices").click()  # the replay refuses it at its field too
    expect(field(page, "Base hosts").locator(".field-error")).to_contain_text("at most the ceiling, 3 hosts")

    # the replay's figures for valid choices, beside the group as it is, over the load it recorded
    edit.get_by_label("Base hosts").fill("2")
    edit.get_by_role("button", name="Try these choices").click()
    figures = page.get_by_role("table", name=re.compile("^Replayed over the sessions recorded"))
    for name in ("Host-hours", "Disk-hours", "Sign-ins with no free session", "Hosts created", "Hosts deleted"):
        expect(figures.get_by_role("rowheader", name=name)).to_have_count(1)
    expect(field(page, "Base hosts").locator(".field-error")).to_have_count(0)
    tab.shot("a scaling group with its hosts by priority")
    tab.assert_accessible("a scaling Spot Group")

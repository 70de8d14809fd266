"""A pooled Spot Group's schedule and sessions in the portal: the group's hosts with their sessions and its decision
timeline; the schedule editor, whose week chart follows the fields, tried against the recorded sessions and a load
curve, refused field by field, saved, read back and removed; and the sessions page, searched, one user messaged and
a bulk log-off in which a session that went meanwhile is shown failed on its own row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ARTEFACTS, PHONE, WAIT_MS, Portal
from tests.browser.test_phone import WIDEST
from tests.browser.test_spot_pc import field, label
from tests.e2e.test_spot_group_sessions import Users
from tests.e2e.test_spot_groups import group_body, ready_version, run_optimization, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

USERS = ("ann", "ben", "cid", "dee")


@pytest.fixture(scope="module")
def image_set(owner_api: ApiClient) -> tuple[Tenant, str]:
    """A tenant with the sales group and a ready multi-session image set, shared by the module's groups."""
    tenant = Tenant(owner_api)
    tenant.group("sales", list(USERS))
    return tenant, ready_version(owner_api, tenant)


def pooled_group(api: ApiClient, image_set: tuple[Tenant, str], name: str, licenses: int) -> tuple[str, Users]:
    """A ready pooled group of hosts of 2 sessions: its path, and its users as the emulator signs them in."""
    tenant, image_set_id = image_set
    body = group_body(tenant, image_set_id, name=name, friendlyName="Sales desktops", licenseCount=licenses)
    group = api.created(f"{tenant.path}/spotGroups", body)
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["sessionHostCounts"]["running"] == licenses // 2
    return path, Users(tenant, f"spotpc-{name}")


def span(start: str, end: str) -> str:
    """A stretch of a day as the portal writes it: 07:00\N{EN DASH}09:00."""
    return f"{start}\N{EN DASH}{end}"


def picture(tab: Portal, name: str, first: Locator, last: Locator) -> Path:
    """The page from `first` down to `last`, a margin around them: the part a documentation picture shows."""
    box = tab.page.evaluate(
        """([a, b]) => { const top = a.getBoundingClientRect(), bottom = b.getBoundingClientRect();
          return {x: top.left - 16, y: top.top + scrollY - 16, width: top.width + 32,
                  height: bottom.bottom - top.top + 32}; }""",
        [first.element_handle(), last.element_handle()],
    )
    path = ARTEFACTS / f"{tab.prefix}-{name}.png"
    tab.page.screenshot(path=str(path), full_page=True, clip=box)
    return path


def group_of(scope: Page | Locator, name: str) -> Locator:
    return scope.get_by_role("group", name=name, exact=True)


def day_row(page: Page, day: str) -> Locator:
    return page.get_by_role("table", name="Each day's phases").get_by_role("row", name=re.compile(rf"^{day}\b"))


def test_the_schedule_editor_draws_tries_refuses_saves_and_removes_a_schedule(
    portal: Any, owner_api: ApiClient, image_set: tuple[Tenant, str]
) -> None:
    path, users = pooled_group(owner_api, image_set, "sched-desktops", licenses=6)  # 3 hosts
    users.sign_in("ann")
    users.sign_in("ben")  # breadth-first: one each on the first two hosts, the third idle
    run_optimization(owner_api)

    def deallocated() -> dict[str, Any]:
        lines = owner_api.get(f"{path}/events").json()["value"]
        assert len(lines) == 1, lines
        return dict(lines[0])

    decision = eventually(deallocated, timeout_s=60)
    assert decision["action"] == "deallocate", decision

    tab = portal("admin")
    page = tab.page
    tab.open(path)
    # the group: each host's sessions lead to them, and the optimization's decision with its reason
    hosts = page.get_by_role("table", name="Session hosts")
    expect(hosts.get_by_role("link", name=re.compile(r"^1 session on "))).to_have_count(2, timeout=WAIT_MS)
    decisions = page.get_by_role("table", name="Decisions, newest first").locator("tbody tr")
    expect(decisions).to_have_count(1)
    expect(decisions).to_contain_text(decision["host"])
    expect(decisions).to_contain_text("Deallocate")
    expect(decisions).to_contain_text("Off-peak")
    expect(decisions).to_contain_text(decision["reason"])
    expect(decisions).to_contain_text("Done")
    tab.shot("the group with its hosts' sessions and its decisions")
    tab.assert_accessible("a pooled Spot Group")
    # a host's session count leads to that host's sessions
    first_host = hosts.get_by_role("link", name=re.compile(r"^1 session on ")).first
    host_name = str(first_host.get_attribute("aria-label")).removeprefix("1 session on ")
    first_host.click()
    expect(page.get_by_label("Session host", exact=True)).to_have_value(host_name)
    expect(page.get_by_role("table", name="Sessions").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("table", name="Sessions")).to_contain_text(host_name)
    page.go_back()

    # the editor: no schedule yet, so the built-in rule all week
    page.get_by_role("navigation", name="This Spot Group").get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name="Schedule of Sales desktops", level=1)).to_be_visible()
    expect(page.get_by_text("No schedule is saved")).to_be_visible()
    expect(day_row(page, "Monday")).to_contain_text("The built-in rule all day")
    tab.assert_accessible("the schedule editor with the default schedule")

    # a working week: the chart follows each field as it changes
    label(page, "Time zone").fill("Europe/Amsterdam")
    page.get_by_role("button", name="Add a weekday set").click()
    working = group_of(page, "Weekday set 1")
    expect(group_of(working, "Days").get_by_role("checkbox", name="Friday")).to_be_checked()
    expect(group_of(working, "Days").get_by_role("checkbox", name="Saturday")).not_to_be_checked()
    tuesday = day_row(page, "Tuesday")
    expect(tuesday).to_contain_text(f"Off-peak {span('00:00', '07:00')} (from Monday), ramp-up {span('07:00', '09')}")
    expect(tuesday).to_contain_text(f"peak {span('09:00', '17:00')}, ramp-down {span('17:00', '19:00')}")
    label(group_of(working, "Ramp-up"), "Starts at").fill("06:30")
    expect(tuesday).to_contain_text(f"Off-peak {span('00:00', '06:30')} (from Monday), ramp-up {span('06:30', '09')}")
    expect(day_row(page, "Monday")).to_contain_text("(from Friday)")  # over the weekend
    expect(day_row(page, "Saturday")).to_contain_text(f"Off-peak {span('00:00', '24:00')} (from Friday)")  # in no set
    label(group_of(working, "Off-peak"), "Starts at").fill("00:00")  # before ramp-up: out of order, said at once
    expect(page.get_by_text("off-peak must start after ramp-down")).to_be_visible()
    label(group_of(working, "Off-peak"), "Starts at").fill("19:00")
    expect(page.get_by_text("off-peak must start after ramp-down")).to_have_count(0)
    working.get_by_label("Log-off policy").select_option("notifyThenLogOff")
    expect(label(working, "Log off after (minutes)")).to_have_value("30")
    page.get_by_role("button", name="Add a date").click()
    label(group_of(page, "Date 1"), "Date").fill("2026-12-25")
    label(group_of(page, "Date 1"), "Name").fill("Christmas")
    page.get_by_label("Start hosts before each ramp-up").check()
    label(page, "Hosts").fill("1")
    expect(day_row(page, "Monday")).to_contain_text(f"pre-staging {span('06:00', '06:30')}")
    week = page.get_by_role("img", name=re.compile(r"^The week in Europe\/Amsterdam: ramp-up 12\.5 hours"))
    expect(week).to_be_visible()
    tab.shot("the schedule editor with its chart")
    picture(tab, "picture-editor", page.get_by_role("region", name="The week"), working.locator(".phase-grid"))
    tab.assert_accessible("the schedule editor with a working week")

    # Try it: first over the sessions the optimization recorded, then over a working day's curve
    page.get_by_role("button", name="Try it").click()
    replay = page.get_by_role("region", name="Tried: the proposed schedule beside the current one")
    expect(replay.get_by_role("heading", level=2)).to_be_focused()
    expect(replay).to_contain_text("the sessions recorded in the last 14 days on 3 session hosts")
    expect(replay.get_by_role("table", name="Totals").get_by_role("row")).to_have_count(4)
    page.get_by_role("button", name="Fill in a sample working day").click()
    expect(label(page, "Load curve (optional)")).to_have_value(re.compile(r"T10:00Z 5\n"))
    page.get_by_role("button", name="Try it").click()
    expect(replay).to_contain_text("the load curve you gave")
    expect(replay).to_contain_text("Current: the built-in rule")
    expect(replay.get_by_role("table", name="Totals")).to_contain_text("Host-hours")
    expect(replay.locator(".replay-chart path.line-proposed")).to_have_count(1)
    expect(replay.locator("summary")).to_have_text("Hour by hour (24 hours)")
    replay.scroll_into_view_if_needed()
    tab.shot("the replay beside the current schedule")
    picture(tab, "picture-replay", replay, replay)
    tab.assert_accessible("the schedule editor with a replay")

    # refused: each of the server's messages at its own field, and nothing saved
    label(page, "Time zone").fill("Mars/Olympus")
    label(group_of(working, "Peak"), "Capacity threshold (%)").fill("0")
    page.get_by_role("button", name="Save schedule").click()
    zone = field(page, "Time zone").locator(".field-error")
    expect(zone).to_contain_text("IANA time zone")
    threshold = label(group_of(working, "Peak"), "Capacity threshold (%)")
    expect(threshold).to_have_attribute("aria-invalid", "true")
    expect(group_of(working, "Peak").locator(".field-error")).to_contain_text("greater than or equal to 1")
    expect(label(page, "Time zone")).to_be_focused()  # the first field the server named
    tab.shot("the server's messages at their fields")
    tab.assert_accessible("the schedule editor with errors")
    assert owner_api.get(f"{path}/schedule").json()["isDefault"] is True

    label(page, "Time zone").fill("Europe/Amsterdam")
    threshold.fill("80")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_text("Schedule saved")).to_be_visible()
    page.reload()
    expect(page.get_by_text(re.compile(r"^Saved .*The optimization follows it"))).to_be_visible()
    working = group_of(page, "Weekday set 1")
    expect(label(page, "Time zone")).to_have_value("Europe/Amsterdam")
    expect(label(group_of(working, "Ramp-up"), "Starts at")).to_have_value("06:30")
    expect(working.get_by_label("Log-off policy")).to_have_value("notifyThenLogOff")
    expect(label(group_of(page, "Date 1"), "Name")).to_have_value("Christmas")
    expect(day_row(page, "Monday")).to_contain_text(f"pre-staging {span('06:00', '06:30')}")
    saved = owner_api.get(f"{path}/schedule").json()
    assert (saved["isDefault"], saved["timeZone"], saved["preStaging"]) == (
        False,
        "Europe/Amsterdam",
        {"hosts": 1, "minutesBefore": 30},
    )
    tab.shot("the schedule saved and read back")

    # on a phone: the editor with its chart, and the sessions, fit the screen and are walked by Tab
    phone = portal("admin", viewport=PHONE)
    for name, address in (("the schedule editor", f"{path}/schedule"), ("the sessions page", f"{path}/sessions")):
        phone.open(address)
        expect(phone.page.locator("main")).not_to_contain_text("Loading…", timeout=WAIT_MS)
        expect(phone.page.locator("main table").first).to_be_visible()
        wide = phone.page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= PHONE[0], f"{name} is {wide} px wide on a phone: {phone.page.evaluate(WIDEST, PHONE[0])}"
        phone.shot(name)
        phone.assert_accessible(f"{name} on a phone")

    # back to the default: asked first, then the built-in rule again
    page.get_by_role("button", name="Back to the default").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("The built-in rule holds again")
    dialog.get_by_role("button", name="Remove the schedule").click()
    expect(page.get_by_text("The schedule is removed")).to_be_visible()
    expect(page.get_by_text("No schedule is saved")).to_be_visible()
    assert owner_api.get(f"{path}/schedule").json()["isDefault"] is True


def test_the_sessions_page_finds_messages_and_logs_off_users_in_bulk(
    portal: Any, owner_api: ApiClient, image_set: tuple[Tenant, str], tokens: Any
) -> None:
    tenant = image_set[0]
    path, users = pooled_group(owner_api, image_set, "session-desktops", licenses=4)  # 2 hosts
    for user in USERS:
        users.sign_in(user)
    tab = portal("admin")
    page = tab.page
    tab.open(f"{path}/sessions")
    expect(page.get_by_role("heading", name="Sessions of Sales desktops", level=1)).to_be_visible()
    rows = page.get_by_role("table", name="Sessions").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Active")
    tab.shot("every session of the group")
    tab.assert_accessible("the sessions page")

    # search by a part of the user's name, in any case; then every session again
    page.get_by_label("Search by user").fill(users.upn("ben").split("@")[0].upper())
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(users.upn("ben"))
    page.get_by_role("link", name="Clear filters").click()
    expect(rows).to_have_count(4)

    # a message to one user, with the limits beside the fields
    table = page.get_by_role("table", name="Sessions")
    ann = users.upn("ann")
    table.get_by_role("checkbox", name=re.compile(rf"^Select {re.escape(ann)} on ")).check()
    page.get_by_role("button", name="Send a message…").click()
    dialog = page.get_by_role("dialog", name="Send a message to one user")
    dialog.get_by_label("Title").fill("Maintenance tonight")
    dialog.get_by_label("Message").fill("Please save your work: the desktops restart at 20:00.")
    expect(dialog).to_contain_text("19 of 100 characters")
    expect(dialog).to_contain_text("53 of 1000 characters")
    tab.shot("a message to one user")
    dialog.get_by_role("button", name="Send to 1 session").click()
    results = page.get_by_role("region", name="Send a message: 1 session")
    expect(results).to_contain_text("Message sent: the session.")
    expect(results.get_by_role("heading")).to_be_focused()
    [sent] = users.messages()
    assert (sent["userPrincipalName"], sent["messageTitle"]) == (ann, "Maintenance tonight")

    # a bulk log-off: every session selected but one, and one of them logged off behind the page's back first
    page.get_by_role("checkbox", name="Select every row on this page").check()
    expect(page.get_by_role("heading", name="4 sessions selected")).to_be_visible()
    table.get_by_role("checkbox", name=re.compile(rf"^Select {re.escape(users.upn('dee'))} on ")).uncheck()
    expect(page.get_by_role("heading", name="3 sessions selected")).to_be_visible()
    listed = {s["userPrincipalName"]: s["id"] for s in owner_api.get(f"{path}/sessions").json()["value"]}
    assert owner_api.post(f"{path}/sessions/{listed[users.upn('ben')]}/logOff").status_code == 204
    page.get_by_role("button", name="Log off…").click()
    confirmation = page.get_by_role("dialog")
    expect(confirmation).to_contain_text("work they have not saved is lost")
    tab.shot("the log-off asked first")
    confirmation.get_by_role("button", name="Log off 3 sessions").click()
    results = page.get_by_role("region", name="Log off: 3 sessions")
    expect(results).to_contain_text("Logged off: 2 of 3 sessions. 1 failed: see its row below.")
    gone = results.get_by_role("row").filter(has_text=users.upn("ben"))
    expect(gone).to_contain_text("Failed")
    expect(gone).to_contain_text("The session is gone")
    expect(gone).to_contain_text("404")
    expect(results.get_by_role("row").filter(has_text="Succeeded")).to_have_count(2)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(users.upn("dee"))
    tab.shot("the log-off's result for each session")
    tab.assert_accessible("the sessions page after a bulk log-off")
    assert users.counters()["loggedOff"] == 3

    # a reader sees who is signed in, with nothing to select or press
    users.sign_in("cid")
    owner_api.created(f"{tenant.path}/roleAssignments", {"principalId": tokens.principal_id("rita"), "role": "reader"})
    reader = portal("rita")
    reader.open(f"{path}/sessions")
    expect(reader.page.get_by_role("table", name="Sessions").locator("tbody tr")).to_have_count(2)
    expect(reader.page.locator("main").get_by_role("checkbox")).to_have_count(0)
    expect(reader.page.get_by_role("button", name="Log off…")).to_have_count(0)
    reader.shot("a reader's sessions: nothing to select")
    reader.assert_accessible("a reader's sessions page")

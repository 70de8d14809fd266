"""The wizards by keyboard alone: Tab to a control, keys to fill or choose, Enter to act; after each action the focus
is where a keyboard user looks next (the new step's heading, the field the server refused, the result's heading)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import WAIT_MS
from tests.e2e.test_provisioning import PLAN
from tests.e2e.test_spot_groups import ready_version
from tests.utils.api_client import ApiClient
from tests.utils.wizard import CLOUD_PC_RG, Tenant

TABS = 80  # more than any page has controls before the one wanted


def tab_to(page: Page, target: Locator) -> None:
    """Tab forward until `target` has the focus, as a keyboard user reaches it (never a click or focus())."""
    for _ in range(TABS):
        page.keyboard.press("Tab")
        if target.evaluate("(element) => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def step_heading(page: Page, title: str) -> Locator:
    return page.get_by_role("heading", name=title, level=2)


def test_the_connection_wizard_by_keyboard_alone(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api)  # its site has a subnet; the wizard lists the subscription's subnets to pick from
    # the app's own network for Microsoft-hosted Cloud PCs, its subnet named as the customer's: never offered
    tenant.arm.virtual_network(
        CLOUD_PC_RG, "vnet-cloudpcs-westeurope", address_space="10.200.0.0/16", subnets={"cloudpcs": "10.200.0.0/16"}
    )
    tab = portal("admin")
    page, keyboard = tab.page, tab.page.keyboard
    tab.open(f"/tenants/{tenant.id}/connections/new")
    expect(step_heading(page, "Site")).to_be_visible()
    subnet = page.get_by_role("combobox", name="Subnet")
    expect(subnet.locator("optgroup option")).to_have_count(1)  # Azure's list has been read: vnet-eu's one subnet
    tab_to(page, subnet)
    keyboard.press("ArrowDown")  # from the site's own subnet to the first one Azure listed
    expect(subnet.locator("option:checked")).to_have_text(re.compile(r"^cloudpcs · 10\.0\.1\.0/24"))
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Credentials")).to_be_focused()  # a new step is announced by its heading

    tab_to(page, page.get_by_label("Hybrid Microsoft Entra join"))
    keyboard.press("ArrowUp")  # the radio group's other choice
    expect(page.get_by_label("Microsoft Entra join", exact=True)).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Details")).to_be_focused()

    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")  # no name yet: the focus goes to the field to fix
    name = page.get_by_label(re.compile("^Display name"))
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    tab.shot("the field to fix has the focus")
    keyboard.type("Keyboard HQ")
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Review + create")).to_be_focused()
    expect(page.get_by_text("Every check passed")).to_be_visible()

    tab_to(page, page.get_by_role("button", name="Create connection"))
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard HQ", level=1)).to_be_focused()  # the result, by its title
    # the page settles once its health checks are done: only then is the Tab walk over what stays
    expect(page.get_by_text("Every check passed: provisioning policies can use this connection.")).to_be_visible(
        timeout=WAIT_MS
    )
    tab.shot("the connection made by keyboard")
    tab.assert_accessible("a connection made by keyboard")


def test_the_policy_wizard_by_keyboard_alone(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api)
    tenant.user("kay", [PLAN])
    tenant.group("keyboarders", ["kay"])
    tab = portal("admin")
    page, keyboard = tab.page, tab.page.keyboard
    tab.open(f"/tenants/{tenant.id}/policies/new")
    expect(step_heading(page, "General")).to_be_visible()

    tab_to(page, page.get_by_label(re.compile("^Name")))
    keyboard.type("Keyboard EU")
    region = page.get_by_label("Region")
    tab_to(page, region)
    expect(region).to_have_value("westeurope")
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Image")).to_be_focused()

    gallery = page.get_by_role("group", name="Gallery image").get_by_role("radio")
    tab_to(page, gallery.first)
    keyboard.press("Space")
    expect(gallery.first).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Configuration")).to_be_focused()

    language = page.get_by_label("Language and region")
    tab_to(page, language)
    keyboard.type("German")  # a select's type-ahead, by the name people read
    expect(language).to_have_value("de-DE")
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Assignments")).to_be_focused()

    tab_to(page, page.get_by_label("Find a group"))
    keyboard.type("keyb")
    add = page.get_by_role("button", name="Add keyboarders")
    tab_to(page, add)
    keyboard.press("Enter")
    expect(page.get_by_role("list", name="Chosen groups")).to_contain_text("keyboarders")
    expect(page.get_by_label("Find a group")).to_be_focused()  # the next group is searched for where this one was
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Review + create")).to_be_focused()
    expect(page.locator("form.wizard")).to_contain_text("German (Germany)")

    create = page.get_by_role("button", name="Create and review the assignment")
    expect(create).to_be_enabled()
    tab_to(page, create)
    keyboard.press("Enter")
    expect(page.get_by_text("1 user gets 1 new Cloud PC.")).to_be_visible(timeout=WAIT_MS)
    assign = page.get_by_role("button", name="Assign to 1 group")
    tab_to(page, assign)
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard EU", level=1)).to_be_focused()
    expect(page.get_by_text("Policy created and assigned")).to_be_visible()
    tab.shot("the policy made by keyboard")


def test_the_spot_group_wizard_by_keyboard_alone(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api)
    tenant.user("kay", [PLAN])
    tenant.group("keyboarders", ["kay"])
    ready_version(owner_api, tenant)  # an image set whose version 0.0.0 is built
    tab = portal("admin")
    page, keyboard = tab.page, tab.page.keyboard
    tab.open(f"/tenants/{tenant.id}/spotGroups/new")
    expect(step_heading(page, "Basics")).to_be_visible()

    for name, text in (("Name", "kbd-desks"), ("Friendly name", "Keyboard desks"), ("License count", "1")):
        tab_to(page, page.get_by_label(re.compile(f"^{name}( \\*)?$")))
        keyboard.type(text)
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Placement and image")).to_be_focused()
    expect(page.get_by_label("Image version")).to_have_value("0.0.0", timeout=WAIT_MS)  # the newest ready, chosen
    size = page.get_by_role("combobox", name="VM size")
    expect(size.locator("option[value='Standard_D4s_v5']")).to_have_text("Standard_D4s_v5 · 4 vCPUs, 16 GiB")
    expect(size.locator("option[value='Standard_D2_v2']")).to_have_count(0)  # Generation 1 only: not the image's
    tab_to(page, size)
    keyboard.press("ArrowDown")  # from the default to the smallest size Azure offers here
    expect(size.locator("option:checked")).to_have_text(re.compile(r"^Standard_B1ms · 1 vCPU, 2 GiB"))
    tab.assert_accessible("the VM size picked from Azure's list")
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Access")).to_be_focused()

    tab_to(page, page.get_by_label("Find a group"))
    keyboard.type("keyb")
    tab_to(page, page.get_by_role("button", name="Add keyboarders"))
    keyboard.press("Enter")
    expect(page.get_by_label("Find a group")).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")  # no profile path yet: the server's message, and the focus on the field
    profile = page.get_by_label(re.compile("^Profile path"))
    expect(profile).to_be_focused()
    keyboard.type("\\\\files.contoso.com\\profiles")
    tab_to(page, page.get_by_role("button", name="Next"))
    keyboard.press("Enter")
    expect(step_heading(page, "Review + create")).to_be_focused()
    expect(page.get_by_role("heading", name="Who gets access (1)")).to_be_visible()
    expect(page.locator("form.wizard")).to_contain_text("1 \u00d7 Standard_B1ms")  # hosts times size

    tab_to(page, page.get_by_role("button", name="Create Spot Group"))
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard desks", level=1)).to_be_focused()
    tab.shot("the Spot Group made by keyboard")

    # its schedule's time zone, found by part of a place's name and picked with the arrows
    tab_to(page, page.get_by_role("navigation", name="This Spot Group").get_by_role("link", name="Schedule"))
    keyboard.press("Enter")
    zone = page.get_by_role("combobox", name=re.compile("^Time zone"))
    tab_to(page, zone)
    keyboard.press("ControlOrMeta+a")
    keyboard.type("amster")
    zones = page.get_by_role("listbox", name="Time zone: the zones that match")
    expect(zones.get_by_role("option")).to_have_text(["Europe/Amsterdam"])
    keyboard.press("ArrowDown")
    expect(zone).to_have_attribute("aria-activedescendant", str(zones.get_by_role("option").get_attribute("id")))
    keyboard.press("Enter")  # picks it, and sends nothing
    expect(zone).to_have_value("Europe/Amsterdam")
    expect(zones).to_be_hidden()
    expect(page.get_by_role("img", name=re.compile(r"runs all week, in Europe\/Amsterdam"))).to_be_visible()
    own = str(page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone"))
    keyboard.press("ArrowDown")  # a zone named in full: every zone again, this browser's first
    expect(zones.get_by_role("option").first).to_have_text(f"{own.replace('_', ' ')} (this browser's)")
    tab.shot("the time zones listed")
    keyboard.press("Escape")
    expect(zones).to_be_hidden()
    keyboard.press("ArrowDown")
    tab.assert_accessible("the time zones listed")  # with the list open, then every control reached by Tab

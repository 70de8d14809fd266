"""Every page on a phone (390 x 844) and on a laptop (1366 x 768): nothing wider than the screen, the navigation
behind a menu button on the phone, every tap target 24 x 24 px on the phone, axe without a violation, every control
reached by Tab, and a screenshot."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from shared.bootstrap import Services
from tests.browser.conftest import ARTEFACTS, LAPTOP, PHONE, WAIT_MS, WCAG21, WCAG22
from tests.browser.test_alerts import UNANSWERED_HOOK, in_grace, open_alert
from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.e2e.test_spot_groups import group_body, ready_version
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

# the innermost elements that reach past the screen's right edge, to say what to fix
WIDEST = """(width) => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.parentElement.closest('.table-wrap')
    && (e.matches('.table-wrap') || ![...e.children].some((c) => c.getBoundingClientRect().right > width + 1)))
  .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


# WCAG 2.2's 2.5.8 Target Size (Minimum) as written: a target of at least 24 x 24 CSS px passes; a smaller one passes
# when the 24 px circle centred on its box meets no other target and no other small target's circle (the spacing
# exception), or when it is a link in a sentence (the inline exception). Returns the targets that fail, by name.
SMALL_TARGETS = r"""() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]';
  const interactive = (node) => node.parentElement?.closest(selector);
  const inSentence = (element) => {
    if (element.tagName !== 'A' || getComputedStyle(element).display !== 'inline') return false;
    let block = element.parentElement;
    while (getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      if (!interactive(walker.currentNode) && /[A-Za-z0-9]/.test(walker.currentNode.textContent)) return true;
    }
    return false;
  };
  const targets = [...document.querySelectorAll(selector)]
    .filter((element) => !element.closest('[inert], [aria-hidden=true], .visually-hidden')
      && element.checkVisibility({ visibilityProperty: true }) && element.getClientRects().length)
    .map((element) => ({ element, box: element.getBoundingClientRect() }))
    .filter(({ box }) => box.width > 0 && box.height > 0);
  const small = targets.filter(({ element, box }) => (box.width < 23.5 || box.height < 23.5) && !inSentence(element));
  const centre = ({ box }) => [box.x + box.width / 2, box.y + box.height / 2];
  const meets = (circle, { box }) => {  // the circle of radius 12 at `circle` against a box
    const dx = circle[0] - Math.max(box.left, Math.min(circle[0], box.right));
    const dy = circle[1] - Math.max(box.top, Math.min(circle[1], box.bottom));
    return dx * dx + dy * dy < 12 * 12;
  };
  const contains = (one, other) => one.element.contains(other.element) || other.element.contains(one.element);
  const name = ({ element, box }) => {
    const text = element.getAttribute('aria-label') || element.labels?.[0]?.textContent || element.textContent
      || element.type;
    return `${element.tagName.toLowerCase()}${element.className ? `.${String(element.className).split(' ')[0]}` : ''}`
      + ` "${text.trim().replace(/\s+/g, ' ').slice(0, 40)}" ${Math.round(box.width)}x${Math.round(box.height)}`;
  };
  return small.filter((one) => {
    const circle = centre(one);
    return targets.some((other) => other !== one && !contains(one, other) && (meets(circle, other)
      || (small.includes(other) && Math.hypot(circle[0] - centre(other)[0], circle[1] - centre(other)[1]) < 24)));
  }).map(name);
}"""


# the ids a page shows as text outside <code> and <pre> (an id shown as an id, a command to copy): a name belongs there
IDS_SHOWN = r"""() => {
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const id = node.textContent.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
    const where = node.parentElement;
    if (id && !where.closest('code, pre, option')) found.push(`${id[0]} in ${where.outerHTML.slice(0, 120)}`);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def pages(owner_api: ApiClient, app_services: Services) -> dict[str, str]:
    """One tenant with one of everything a page shows, and each page's address (the wizards' first steps too)."""
    tenant = Tenant(owner_api)
    # first, quinn's Cloud PC fails every attempt at Intune's enrolment: a failure with the catalogue's words
    tenant.fault("enrollIntune", 3, "EnrollmentBlocked")
    tenant.user("quinn", [PLAN])
    tenant.group("blocked", ["quinn"])
    connection = tenant.connection()
    policy = tenant.policy()
    tenant.assign(policy, "blocked")
    [failed] = settled_cloud_pcs(owner_api, tenant, 1)
    assert failed["status"] == "failed", failed
    tenant.user("pat", [PLAN])
    tenant.group("phones", ["pat"])
    tenant.assign(policy, "blocked", "phones")
    image_set_id = ready_version(owner_api, tenant)
    spot_group = owner_api.created(
        f"{tenant.path}/spotGroups",
        group_body(
            tenant,
            image_set_id,
            name="phones",
            friendlyName="Phones",
            licenseCount=1,
            maxSessionsPerHost=1,
            groupIds=[tenant.gid("phones")],
        ),
    )

    def provisioned() -> list[dict[str, Any]]:
        found = [c for c in owner_api.get(f"{tenant.path}/cloudPCs").json()["value"] if c["id"] != failed["id"]]
        assert [c["status"] for c in found] == ["provisioned"]
        return list(found)

    [cloud_pc] = eventually(provisioned, timeout_s=WAIT_MS / 1000)
    bulk = owner_api.post(f"{tenant.path}/bulkActions", {"action": "reboot", "cloudPcIds": [cloud_pc["id"]]})
    assert bulk.status_code == 202, bulk.text
    hook = {"kind": "webhook", "url": UNANSWERED_HOOK, "secret": "a-webhook-secret-of-the-tenant"}
    rule = owner_api.created(
        f"{tenant.path}/alertRules",
        {"displayName": "Grace ending", "kind": "graceEndingSoon", "threshold": 24, "channels": [hook]},
    )
    in_grace(app_services, tenant.id)
    alert = open_alert(owner_api, tenant.id)
    t = f"/tenants/{tenant.id}"
    return {
        "overview": "/",
        "your access": "/me",
        "tenants": "/tenants",
        "sites": f"{t}/sites",
        "Cloud PCs": f"{t}/cloudPCs",
        "a Cloud PC": f"{t}/cloudPCs/{cloud_pc['id']}",
        "a failed Cloud PC": f"{t}/cloudPCs/{failed['id']}",
        "bulk actions": f"{t}/bulkActions",
        "a bulk action": f"{t}/bulkActions/{bulk.json()['id']}",
        "usage": f"{t}/usage",
        "costs": f"{t}/costs",
        "policies": f"{t}/policies",
        "a policy": f"{t}/policies/{policy['id']}",
        "the policy wizard": f"{t}/policies/new",
        "connections": f"{t}/connections",
        "a connection": f"{t}/connections/{connection['id']}",
        "the connection wizard": f"{t}/connections/new",
        "device images": f"{t}/images",
        "image sets": f"{t}/imageSets",
        "an image set": f"{t}/imageSets/{image_set_id}",
        "Spot Groups": f"{t}/spotGroups",
        "a Spot Group": f"{t}/spotGroups/{spot_group['id']}",
        "a Spot Group's schedule": f"{t}/spotGroups/{spot_group['id']}/schedule",
        "a Spot Group's sessions": f"{t}/spotGroups/{spot_group['id']}/sessions",
        "the Spot Group wizard": f"{t}/spotGroups/new",
        "user settings": f"{t}/userSettings",
        "alerts": f"{t}/alerts",
        "an alert": f"{t}/alerts/{alert['id']}",
        "alert rules": f"{t}/alertRules",
        "an alert rule": f"{t}/alertRules/{rule['id']}",
        "the alert rule form": f"{t}/alertRules/new",
        "tenant settings": f"{t}/settings",
        "onboarding": f"{t}/onboarding",
        "role assignments": f"{t}/roleAssignments",
        "the audit log": f"{t}/audit",
    }


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_every_page_fits_the_screen_passes_axe_and_is_walked_by_tab(
    portal: Any, pages: dict[str, str], viewport: tuple[int, int]
) -> None:
    tab = portal("admin", viewport=viewport)
    page = tab.page
    width = viewport[0]
    ids_shown: dict[str, list[str]] = {}
    small_targets: dict[str, list[str]] = {}
    violations: dict[str, list[str]] = {}
    for name, address in pages.items():
        tab.open(address)
        expect(page.locator("#page-title")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("Loading…", timeout=WAIT_MS)  # laid out with its data
        wide = page.evaluate("() => document.scrollingElement.scrollWidth - innerWidth")
        assert wide <= 0, f"{name} scrolls {wide} px sideways on a {width} px screen: {page.evaluate(WIDEST, width)}"
        ids_shown.update({name: page.evaluate(IDS_SHOWN)} if viewport == LAPTOP else {})
        small_targets.update({name: page.evaluate(SMALL_TARGETS)} if viewport == PHONE else {})
        tab.shot(name)
        if name == "a Cloud PC" and viewport == PHONE:
            page.screenshot(path=str(ARTEFACTS / "phone-cloud-pc.png"))  # the documentation's picture: the first screen
        # on a phone, WCAG 2.2's rules too, and axe clean at every impact, not only the serious and critical
        found = tab.assert_accessible(f"{name} at {width} px", WCAG22 if viewport == PHONE else WCAG21)
        if viewport == PHONE and found:
            violations[name] = [
                f"{v['id']} ({v['impact']}): {', '.join(' '.join(n['target']) for n in v['nodes'][:3])}" for v in found
            ]
    shown = {name: ids for name, ids in ids_shown.items() if ids}
    assert not shown, f"ids shown where names belong: {json.dumps(shown, indent=1)}"
    assert not violations, f"axe on a phone: {json.dumps(violations, indent=1)}"
    small = {name: targets for name, targets in small_targets.items() if targets}
    assert not small, f"tap targets under 24 x 24 px on a phone: {json.dumps(small, indent=1)}"


def test_on_a_phone_the_navigation_is_a_menu_that_closes_once_a_page_is_chosen(
    portal: Any, pages: dict[str, str]
) -> None:
    tab = portal("admin", viewport=PHONE)
    page = tab.page
    tab.open(pages["Cloud PCs"])
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Provisioning policies")).to_be_hidden()
    header = page.locator(".top-bar")
    sign_out = header.get_by_role("button", name="Sign out")
    box, bar = sign_out.bounding_box(), header.bounding_box()
    assert box and bar and box["y"] + box["height"] <= bar["y"] + bar["height"], "Sign out stays inside the bar"
    menu.click()
    expect(nav.get_by_role("button", name="Close menu")).to_have_attribute("aria-expanded", "true")
    tab.shot("the menu open")
    page.screenshot(path=str(ARTEFACTS / "phone-menu.png"))
    tab.assert_accessible("the menu open on a phone")
    nav.get_by_role("link", name="Provisioning policies").click()
    expect(page.get_by_role("heading", name="Provisioning policies", level=1)).to_be_visible()
    expect(nav.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Provisioning policies")).to_be_hidden()


def test_on_a_phone_a_list_is_cards_and_a_tap_on_a_timeline_bar_shows_its_step(
    portal: Any, pages: dict[str, str]
) -> None:
    tab = portal("admin", viewport=PHONE)
    page = tab.page
    tab.open(pages["Cloud PCs"])
    # each Cloud PC a card no wider than the screen, its name, user and status seen at once; a table to a screen reader
    row = page.get_by_role("table", name="Cloud PCs").get_by_role("row").nth(1)
    row.scroll_into_view_if_needed()
    for column in ("Name", "User", "Status"):
        expect(row.locator(f"td[data-label='{column}']")).to_be_in_viewport()
    card = row.bounding_box()
    assert card and card["x"] >= 0 and card["x"] + card["width"] <= PHONE[0], f"a card at {card}"
    tab.shot("All Cloud PCs as cards")
    page.screenshot(path=str(ARTEFACTS / "phone-cloud-pcs.png"))

    tab.open(pages["a Cloud PC"])
    chart = page.locator(".timeline svg[role=img]")
    chart.scroll_into_view_if_needed()
    smallest = page.evaluate(
        """(svg) => Math.min(...[...svg.querySelectorAll('text')].map((text) =>
      parseFloat(getComputedStyle(text).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width))""",
        chart.element_handle(),
    )
    assert smallest >= 12, f"the timeline's smallest label is {smallest:.1f} px on a phone"
    expect(page.locator(".timeline figcaption")).to_contain_text("tap or hover a bar")
    bars = chart.locator("rect.bar")
    widths = bars.evaluate_all("(all) => all.map((bar) => bar.width.baseVal.value)")
    bar = bars.nth(widths.index(max(widths)))
    step, box = bar.locator("title").text_content(), bar.bounding_box()
    assert step and box
    bar.tap(position={"x": box["width"] / 2, "y": 1})  # the bar's top edge: a milestone's mark may sit on its middle
    expect(page.locator(".timeline-line")).to_have_text(step)  # the line a hover shows, for a finger
    tab.shot("a timeline bar tapped")
    page.locator(".timeline-chart").screenshot(path=str(ARTEFACTS / "phone-timeline.png"))

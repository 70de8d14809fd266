"""The portal in Debian's Chromium driven by Playwright, signed in through the emulator's sign-in page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from devhost.host import DevHost
from tests.conftest import PROJECT_ROOT
from tests.utils.api_client import ApiClient
from tests.utils.portal_browser import launch, sign_in

ARTEFACTS = PROJECT_ROOT / "test-artefacts" / "portal"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# every table frame that scrolls sideways is a keyboard stop (assert_accessible waits for it)
SCROLLERS_STOPS = """() => [...document.querySelectorAll('.table-wrap')]
  .every((frame) => frame.scrollWidth <= frame.clientWidth + 1 || frame.hasAttribute('tabindex'))"""
# the rules axe holds a page to, by WCAG's tags; only the violations come back (axe's passes, with every node each
# rule looked at, are most of a full result: handing them to the test cost three times the run itself)
WCAG21 = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
WCAG22 = (*WCAG21, "wcag22aa")
AXE_VIOLATIONS = """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},
  resultTypes: ['violations']})).violations"""
WAIT_MS = 90_000  # the longest a test waits for work it watches (provisioning through the emulator)
DESKTOP, LAPTOP, PHONE = (1440, 900), (1366, 768), (390, 844)  # the default viewport, and the two held to
# Playwright's assertions wait 5 s unless told: a heading that follows an API answer on a busy machine takes longer.
# They follow the state they wait for, so a longer bound costs nothing when the page is quick.
STEP_MS = 60_000
expect.set_options(timeout=STEP_MS)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # a module's, not the session's: Playwright's sync API keeps an event loop running in the main thread while it
    # lives, and a parallel worker runs other tiers' files (which call asyncio.run) after a browser file
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = launch(playwright)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def portal_url(app_host: DevHost) -> str:
    index = PROJECT_ROOT / "portal" / "dist" / "index.html"
    if not index.is_file():
        raise RuntimeError("The portal is not built: `make portal` builds it (make test does).")
    return f"{app_host.base_url}/api/portal/"


@pytest.fixture(scope="session")
def owner_api(app_host: DevHost, admin_token: str) -> ApiClient:
    return ApiClient(f"{app_host.base_url}/api", admin_token)


# numbers every visible, enabled control (one per radio group) and returns a description of each
MARK_CONTROLS = """() => {
  const selector = ['a[href]', 'button', 'input:not([type=hidden])', 'select', 'textarea', 'summary', '[tabindex]',
    '[contenteditable]'].join(', ');
  const groups = new Set();
  const controls = [...document.querySelectorAll(selector)].filter((element) => {
    if (element.disabled || element.closest('[inert], [aria-hidden=true]')) return false;
    // taken out of the Tab order on purpose, a duplicate of a control that is in it (Swagger UI's arrows)
    if (element.getAttribute('tabindex')?.startsWith('-')) return false;
    if (!element.checkVisibility({ visibilityProperty: true }) || !element.getClientRects().length) return false;
    if (element.type === 'radio') {
      if (groups.has(element.name)) return false;
      groups.add(element.name);
    }
    return true;
  });
  document.querySelectorAll('[data-keyboard-probe]').forEach((element) => delete element.dataset.keyboardProbe);
  return controls.map((element, index) => {
    element.dataset.keyboardProbe = String(index);
    if (element.type === 'radio') {
      // reaching any radio of the group reaches the group
      for (const radio of document.getElementsByName(element.name)) radio.dataset.keyboardProbe = String(index);
    }
    const label = element.getAttribute('aria-label') || element.labels?.[0]?.textContent || element.textContent;
    return `${element.tagName.toLowerCase()} "${(label || '').trim().slice(0, 40)}"`;
  });
}"""


class Portal:
    """One signed-in browser tab on the portal, saving a screenshot per step under test-artefacts/portal."""

    def __init__(self, context: BrowserContext, url: str, prefix: str) -> None:
        self.context, self.url, self.prefix = context, url, prefix
        self.page: Page = context.new_page()
        self.page.set_default_timeout(STEP_MS)
        self.steps = 0

    def sign_in(self, name: str) -> Portal:
        sign_in(self.page, self.url, name)
        return self

    def open(self, hash_path: str) -> Page:
        self.page.goto(f"{self.url}#{hash_path}")
        return self.page

    def shot(self, name: str) -> Path:
        self.steps += 1
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTEFACTS / f"{self.prefix}-{self.steps:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_accessible(self, name: str, tags: tuple[str, ...] = WCAG21) -> list[dict[str, Any]]:
        """axe-core from npm on the page as it is now: no serious or critical violation of the rules of `tags` (WCAG
        2.1 A and AA unless told), and Tab reaches every control. Returns every violation, whatever its impact."""
        page = self.page
        # a table frame that has just come to scroll sideways is made a keyboard stop at the next frame (ScrollRegion
        # in ui.js watches its size): axe looks at the page once that is done; should it never be, axe says so
        try:
            page.wait_for_function(SCROLLERS_STOPS, timeout=WAIT_MS)
        except PlaywrightTimeoutError:
            pass
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # evaluated, not added as a <script>: the portal's own policy rightly refuses inline scripts
            page.evaluate(f"() => {{ {AXE.read_text(encoding='utf-8')}\n }}")
        violations: list[dict[str, Any]] = page.evaluate(AXE_VIOLATIONS, list(tags))
        serious = [v for v in violations if v.get("impact") in ("serious", "critical")]
        summary = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in serious
        ]
        assert not serious, f"axe on {name}: {json.dumps(summary, indent=1)}"
        self.assert_keyboard_reachable(name)
        return violations

    def assert_keyboard_reachable(self, name: str) -> None:
        """Tab, from the top of the page, reaches every control an admin can see and use (a radio group counts once).

        A page that polls may draw a control anew while Tab walks it (which drops the control's mark), or disable its
        Refresh button while a refresh is under way (which Tab then passes over): a control missed in one walk is
        walked for again on the page as it is then, and only one that no walk reaches is unreachable."""
        missed = self._keyboard_missed()
        for _ in range(5):  # a loaded machine redraws a polling page more often and refreshes it for longer
            if not missed:
                break
            missed = [control for control in self._keyboard_missed() if control in missed]
        assert not missed, f"on {name}, Tab never reaches: {missed}"

    def _keyboard_missed(self) -> list[str]:
        page = self.page
        controls: list[str] = page.evaluate(MARK_CONTROLS)
        wanted = {str(i) for i in range(len(controls))}
        if not controls:
            return []
        # from the first control: Tab's starting point is wherever focus last was, which blur() does not reset
        page.evaluate("() => document.querySelector('[data-keyboard-probe=\"0\"]').focus()")
        reached = {"0"}
        # a control may take several stops (a date-time field one per part), and focus leaves the page once per cycle
        for _ in range(3 * len(controls) + 20):
            page.keyboard.press("Tab")
            focused = page.evaluate("() => document.activeElement?.dataset?.keyboardProbe ?? null")
            if focused == "0" and len(reached) > 1:
                break  # round once: whatever was not reached is not reachable
            if focused is not None:
                reached.add(focused)
            if reached == wanted:
                break
        return [control for i, control in enumerate(controls) if str(i) not in reached]


@pytest.fixture
def portal(browser: Browser, portal_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """`portal(name)` signs `name` in, in a browser context of its own (cookies and storage apart)."""
    contexts: list[BrowserContext] = []

    def signed_in(name: str = "admin", viewport: tuple[int, int] = DESKTOP) -> Portal:
        # the emulator's certificate is from its own local CA, which this throwaway profile does not know
        width, height = viewport
        context = browser.new_context(
            ignore_https_errors=True,
            viewport={"width": width, "height": height},
            is_mobile=width < 640,
            has_touch=width < 640,
        )
        contexts.append(context)
        prefix = f"{request.node.name}-{name}" if viewport == DESKTOP else f"{request.node.name}-{name}-{width}"
        return Portal(context, portal_url, prefix).sign_in(name)

    yield signed_in
    for context in contexts:
        context.close()

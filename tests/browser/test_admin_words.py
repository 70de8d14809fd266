"""Every page in an admin's words: no step name of the engine, no failure code without its sentence, no ISO timestamp
and no GUID in the text a reader sees (what is in `<code>`, or folded in a closed disclosure, is for support)."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect

from shared.models.failures import _CATALOGUE
from tests.browser.conftest import WAIT_MS
from tests.browser.test_phone import pages  # noqa: F401 (the fixture: a tenant with one of everything)
from tests.unit.test_portal_step_words import engine_names

# the text nodes a reader sees: not in <code> or <pre>, not in a closed disclosure (its summary excepted), not hidden
VISIBLE_TEXT = """() => {
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const where = node.parentElement;
    if (!node.textContent.trim() || where.closest('code, pre, option, svg, script, style')) continue;
    const closed = where.closest('details:not([open])');
    if (closed && !where.closest('summary')) continue;
    if (!where.checkVisibility({ visibilityProperty: true })) continue;
    texts.push(node.textContent.trim());
  }
  return texts;
}"""
ISO_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
GUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
# the engine's names and the failure codes that read as nothing but identifiers (camelCase, PascalCase, with '_'):
# 'provisioned' or 'forget' are also plain words, which a page may well say
IDENTIFIER = re.compile(r"^[a-z]+[A-Z]|^[A-Z][a-z]+[A-Z]|_")


def _word_pattern(names: set[str]) -> re.Pattern[str]:
    shown = sorted((name.rstrip(":") for name in names if IDENTIFIER.search(name)), key=len, reverse=True)
    return re.compile(r"(?<![\w/.])(" + "|".join(map(re.escape, shown)) + r")(?![\w])")


STEP_NAME = _word_pattern(engine_names())
FAILURE_CODE = _word_pattern(set(_CATALOGUE))


def engine_words(texts: list[str]) -> list[str]:
    """What of a page's visible text is the engine's rather than an admin's."""
    found = []
    for text in texts:
        for what, pattern in (("step", STEP_NAME), ("code", FAILURE_CODE), ("ISO time", ISO_TIMESTAMP), ("GUID", GUID)):
            if hit := pattern.search(text):
                found.append(f"{what} {hit.group(0)!r} in {text[:120]!r}")
    return found


def test_the_word_check_finds_what_it_is_for() -> None:
    assert (
        engine_words(
            [
                "createVm: The operation createVm failed",
                "Last request 0f8fad5b-d9cb-469f-a165-70867728950e",
                "At 2026-11-26T09:36:46Z",
                "Work refused: QuotaExceeded",
            ]
        )
        != []
    )
    assert len(engine_words(["createVm failed", "2026-11-26T09:36", "QuotaExceeded"])) == 3
    assert engine_words(["Create the VM", "Provisioned", "26 Nov 2026, 09:36:46", "The quota is used up."]) == []


def test_every_page_speaks_an_admins_words(portal: Any, pages: dict[str, str]) -> None:  # noqa: F811
    tab = portal("admin")
    page = tab.page
    found: dict[str, list[str]] = {}
    for name, address in pages.items():
        tab.open(address)
        expect(page.locator("#page-title")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("Loading…", timeout=WAIT_MS)
        if name == "a failed Cloud PC":
            # the catalogue's sentence and what to do, the failed attempts' lines in words, engine details folded
            expect(page.get_by_text("An Intune enrolment restriction blocked the device.").first).to_be_visible()
            expect(page.get_by_text("What to do:").first).to_be_visible()
            expect(page.get_by_role("cell", name="Create the VM", exact=True).first).to_be_visible()
            details = page.locator("details.support-details")
            expect(details.locator("summary")).to_have_text("Details")
            tab.shot("a failed Cloud PC in words")
            details.locator("summary").click()
            expect(details.get_by_text("Attempt", exact=True)).to_be_visible()
            details.locator("summary").click()
        if words := engine_words(page.evaluate(VISIBLE_TEXT)):
            found[name] = words
        tab.assert_accessible(name)
    assert not found, f"the engine's words on pages: {json.dumps(found, indent=1)}"

"""Debian's Chromium under Playwright, and signing in to the portal through the emulator's sign-in page."""

from __future__ import annotations

import shutil

from playwright.sync_api import Browser, Page, Playwright, expect

# the flags a root, offline machine needs: no sandbox for root, and none of Chromium's own calls home
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("Debian's chromium is needed for the browser tests: `make browser` installs it.")
    return found


def launch(playwright: Playwright) -> Browser:
    """Playwright's own browser download cannot work here: Debian's chromium, by path."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)


def sign_in(page: Page, portal_url: str, name: str) -> None:
    """Opens the portal and signs in as `name` on the emulator's page, as a person would."""
    page.goto(portal_url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("User name").fill(name)
    page.get_by_role("button", name="Sign in").last.click()
    expect(page.get_by_role("link", name="Cloud PC provisioning")).to_be_visible()

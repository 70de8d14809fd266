"""Portal benchmark: the All Cloud PCs page of a tenant with N Cloud PCs and the overview, in Debian's Chromium.

Run: .venv/bin/python -m bench.portal [--cloud-pcs 5000] [--tenants 6] [--runs 5] [--screenshots DIR]
Seeds N Cloud PC rows straight into the app's table of one tenant, and fewer into each further tenant (their
provisioning is not what is measured), signs in through the emulator's page as a person would, then times from the
navigation to a page (a hash change, as a click on the navigation does) until what an admin waits for is on screen:
the first rows and status counts of All Cloud PCs, the totals of the overview. Prints min, median and max over the
runs, the two API calls the list makes, and the portal's gzipped size; --screenshots saves both pages (the docs'
picture of the overview comes from here). Also a signed-in reload of the Tenants page, from the reload until its first
data request (anything but the portal's files, its configuration and `me`) is answered, and the OpenAPI document's
size and a 50-row list answer's on the wire (gzipped) and as JSON.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import statistics
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Page, Request, sync_playwright

from bench.scenario import Api, app_host, storage_and_azure
from shared.models.cloud_pcs import CloudPc
from shared.storage.account import table_storage
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository
from tests.utils.portal_browser import launch, sign_in

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "portal" / "dist"
STATUSES = ("provisioned",) * 8 + ("failed", "inGracePeriod", "provisionedWithWarnings", "pendingProvision")
# resolves once the page shows rows of this tenant's Cloud PCs and its counts: what an admin waits for
SHOWN = """async ([hash, total]) => {
  const started = performance.now();
  location.hash = hash;
  await new Promise((resolve) => {
    const ready = () => document.querySelector('main table tbody tr a[href*="/cloudPCs/"]')
      && document.querySelector('main').textContent.includes(total);
    const observer = new MutationObserver(() => { if (ready()) { observer.disconnect(); resolve(); } });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    if (ready()) { observer.disconnect(); resolve(); }
  });
  return performance.now() - started;
}"""


CUSTOMERS = ("Contoso", "Fabrikam", "Northwind Traders", "Tailspin Toys", "Wingtip Toys", "Adventure Works")
# resolves once the overview shows its totals over every tenant
OVERVIEW_SHOWN = """async ([total]) => {
  const started = performance.now();
  location.hash = '#/';
  await new Promise((resolve) => {
    const ready = () => document.querySelector('main [aria-label=Totals]')?.textContent.includes(total);
    const observer = new MutationObserver(() => { if (ready()) { observer.disconnect(); resolve(); } });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    if (ready()) { observer.disconnect(); resolve(); }
  });
  return performance.now() - started;
}"""


def timed(label: str, runs: list[float]) -> None:
    print(
        f"{label} in min {min(runs):.0f} ms, median {statistics.median(runs):.0f} ms, max {max(runs):.0f} ms "
        f"over {len(runs)} navigations",
        flush=True,
    )


def seed(storage: TableStorage, tenant: str, count: int) -> None:
    now = datetime.now(UTC)
    rows = EntityRepository(storage, "CloudPcs", CloudPc, kind="Cloud PC")
    made = []
    for n in range(count):
        cloud_pc = CloudPc(
            id=str(uuid.uuid4()),
            created_date_time=now,
            last_modified_date_time=now,
            tenant_id=tenant,
            display_name=f"Cloud PC {n:05d}",
            managed_device_name=f"CPC-U{n:05d}",
            user_id=str(uuid.uuid4()),
            user_principal_name=f"user{n:05d}@contoso.com",
            service_plan_id="w365-enterprise-2vcpu-8gb-128gb",
            service_plan_name="Windows 365 Enterprise 2 vCPU, 8 GB, 128 GB",
            provisioning_policy_id="bench",
            provisioning_policy_name="Bench",
            status=STATUSES[n % len(STATUSES)],
        )
        made.append((cloud_pc, tenant, cloud_pc.id))
    rows.put_many(made)


# what the portal asks before it can show a page; every other API call of a page reads its data
STARTING = ("/api/portal/", "/api/portal/configuration", "/api/me", "/api/openapi.json")


def first_data(request: Request) -> bool:
    path = request.url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
    return f"/{path}".startswith("/api/") and not any(f"/{path}".startswith(start) for start in STARTING)


def reload_ms(page: Page) -> float:
    """A signed-in reload of the page shown, until its first data request is answered (its body read)."""
    began = time.monotonic()
    with page.expect_response(lambda response: first_data(response.request)) as answered:
        page.reload()
    answered.value.finished()
    return (time.monotonic() - began) * 1000


def answer_sizes(url: str, token: str | None = None) -> tuple[int, int]:
    """An answer's bytes on the wire to a browser (gzip) and as JSON."""
    sizes = []
    signed_in = {"Authorization": f"Bearer {token}"} if token else {}
    for encoding in ("gzip", "identity"):
        asked = urllib.request.Request(url, headers={"Accept-Encoding": encoding, **signed_in})
        with urllib.request.urlopen(asked, timeout=30) as answer:  # urllib leaves the body as sent
            sizes.append(len(answer.read()))
    return sizes[0], sizes[1]


def bundle_kb() -> float:
    shipped = [*BUILD.glob("assets/*.js"), *BUILD.glob("assets/*.css"), BUILD / "index.html"]
    return sum(len(gzip.compress(path.read_bytes(), 9)) for path in shipped) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud-pcs", type=int, default=5000)
    parser.add_argument("--tenants", type=int, default=len(CUSTOMERS), help="tenants in all (at least 1)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", type=Path, help="a folder to save the two pages in")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not (BUILD / "index.html").is_file():
        raise SystemExit("the portal is not built: make portal")
    with storage_and_azure() as (azurite, emulator, workdir):
        tag = f"portal{args.cloud_pcs}"
        host = app_host(azurite, emulator, tag, workdir)
        try:
            began = time.monotonic()  # the host builds the document on its first request, and every page asks for it
            wire, whole = answer_sizes(f"{host.base_url}/api/openapi.json")
            first_document = time.monotonic() - began
            token = emulator.user_token("admin")
            api = Api(f"{host.base_url}/api", token=token)
            storage = table_storage(azurite.connection_string, prefix=tag)
            counts = [args.cloud_pcs] + [max(12, args.cloud_pcs // (8 * n)) for n in range(1, max(1, args.tenants))]
            started = time.monotonic()
            tenants = []
            for n, count in enumerate(counts):
                name = CUSTOMERS[n % len(CUSTOMERS)] + (f" {n // len(CUSTOMERS) + 1}" if n >= len(CUSTOMERS) else "")
                tenants.append(api.call("POST", "/tenants", {"displayName": name})["id"])
                seed(storage, tenants[-1], count)
            tenant = tenants[0]
            print(f"seeded {sum(counts)} Cloud PCs in {len(counts)} tenants in {time.monotonic() - started:.1f} s")
            for path in (f"/tenants/{tenant}/summary", f"/tenants/{tenant}/cloudPCs?top=50"):
                took = []
                for _ in range(args.runs):
                    began = time.monotonic()
                    api.call("GET", path)
                    took.append(time.monotonic() - began)
                print(f"GET {path.split(tenant)[1]}: median {statistics.median(took) * 1000:.0f} ms", flush=True)
            list_wire, list_whole = answer_sizes(f"{host.base_url}/api/tenants/{tenant}/cloudPCs?top=50", token)
            print(
                f"50 Cloud PCs' answer: {list_wire / 1024:.1f} KB on the wire (gzip), "
                f"{list_whole / 1024:.1f} KB as JSON"
            )
            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = browser.new_context(ignore_https_errors=True).new_page()
                portal = f"{host.base_url}/api/portal/"
                sign_in(page, portal, "admin")
                page.set_viewport_size({"width": 1440, "height": 900})
                shown, overview, reloads = [], [], []
                page.evaluate("() => { location.hash = '#/tenants'; }")
                page.get_by_role("heading", name="Tenants").wait_for()
                for _ in range(args.runs):
                    reloads.append(reload_ms(page))
                    page.get_by_role("heading", name="Tenants").wait_for()
                for _ in range(args.runs):
                    page.evaluate("() => { location.hash = '#/tenants'; }")
                    page.get_by_role("heading", name="Tenants").wait_for()
                    shown.append(page.evaluate(SHOWN, [f"#/tenants/{tenant}/cloudPCs", f"{args.cloud_pcs:,}"]))
                    if args.screenshots:
                        args.screenshots.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(args.screenshots / "cloud-pcs.png"))
                    overview.append(page.evaluate(OVERVIEW_SHOWN, [f"{sum(counts):,}"]))
                if args.screenshots:
                    page.screenshot(path=str(args.screenshots / "overview.png"))
                browser.close()
        finally:
            host.stop()
    timed("Signed-in reload of Tenants: its first data request answered", reloads)
    print(
        f"OpenAPI document: {wire / 1024:.1f} KB on the wire (gzip), {whole / 1024:.1f} KB as JSON;"
        f" its first two answers (built, then cached) {first_document:.2f} s",
        flush=True,
    )
    timed(f"All Cloud PCs page, {args.cloud_pcs} Cloud PCs: first rows and counts shown", shown)
    timed(f"Overview, {len(counts)} tenants, {sum(counts)} Cloud PCs: totals shown", overview)
    print(f"portal bundle (script, styles, page): {bundle_kb():.1f} KB gzipped", flush=True)


if __name__ == "__main__":
    main()

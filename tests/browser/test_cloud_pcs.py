"""Cloud PCs as an admin watches and acts on them: the list, one Cloud PC's timeline and explanation, a bulk restart,
where its user connects, and a Cloud PC put to sleep while its user is away and woken by their connection."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from shared.bootstrap import Services
from shared.catalog.app_access import AZURE_VIRTUAL_DESKTOP_APP_ID, POWER_ON_CONTRIBUTOR
from shared.services.cloud_pcs.cloud_pc_sleep import WOKEN_BY_USER, watch_use
from shared.services.cloud_pcs.vm_actions import advance_vm_action
from tests.browser.conftest import ARTEFACTS, WAIT_MS
from tests.conftest import Tokens
from tests.e2e.test_cloud_pc_brokering import connect
from tests.e2e.test_cloud_pc_sleep import run_watch
from tests.e2e.test_provisioning import PLAN, settled_cloud_pcs
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import CLOUD_PC_RG, Tenant

USERS = ("ann", "ben", "cid")


def cloud_pc_rows(page: Page) -> Any:
    return page.get_by_role("table", name="Cloud PCs").locator("tbody tr")


def retried_cloud_pc(api: ApiClient, tenant: Tenant) -> dict[str, Any]:
    """The Cloud PC that needed a second attempt (the one the armed createVm fault hit)."""
    for cloud_pc in api.get(f"{tenant.path}/cloudPCs").json()["value"]:
        events = api.get(f"{tenant.path}/cloudPCs/{cloud_pc['id']}/events").json()["value"]
        if any(event["attempt"] == 2 for event in events):
            return dict(cloud_pc)
    raise AssertionError("no Cloud PC needed a second attempt")


def reload_reads(page: Any) -> list[str]:
    """The list and summary requests a reload of All Cloud PCs sends until both have answered, sorted."""
    sent: list[str] = []

    def note(request: Any) -> None:
        last = urlsplit(request.url).path.rsplit("/", 1)[-1]
        if last in ("cloudPCs", "summary"):
            sent.append(last)

    def answered(last: str) -> Callable[[Any], bool]:
        return lambda response: urlsplit(response.url).path.endswith(f"/{last}")

    page.on("request", note)
    with page.expect_response(answered("summary")) as summary, page.expect_response(answered("cloudPCs")) as listed:
        page.reload()
    summary.value.finished()
    listed.value.finished()
    page.remove_listener("request", note)
    return sorted(sent)


def test_an_admin_watches_cloud_pcs_provision_reads_one_and_restarts_two(
    portal: Any, owner_api: ApiClient, tokens: Tokens
) -> None:
    tenant = Tenant(owner_api)
    for user in USERS:
        tenant.user(user, [PLAN])
    tenant.group("finance", list(USERS))
    tenant.fault("createVm", 1, "AllocationFailed")  # one Cloud PC's first attempt fails: two rows on its timeline
    policy = tenant.policy()

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/cloudPCs")
    expect(page.get_by_role("heading", name="All Cloud PCs")).to_be_visible()
    expect(page.get_by_text("No Cloud PCs yet")).to_be_visible()
    assert reload_reads(page) == ["cloudPCs", "summary"]  # the header's count and the tiles share one summary
    tenant.assign(policy, "finance")
    # no reload from here on: the list refreshes on its own, and faster while Cloud PCs are being made
    expect(cloud_pc_rows(page)).to_have_count(3, timeout=WAIT_MS)
    table = page.get_by_role("table", name="Cloud PCs")
    expect(table.locator(".badge", has_text=re.compile("^Provisioned$"))).to_have_count(3, timeout=WAIT_MS)
    tiles = page.get_by_role("list", name="Cloud PCs by status; each filters the list")
    expect(tiles.get_by_role("link", name="3 provisioned")).to_be_visible(timeout=WAIT_MS)
    # nobody has connected yet: each row says so, with when it was provisioned
    expect(table.locator(".never-connected", has_text=re.compile(r"^Never connected · provisioned "))).to_have_count(3)
    tab.shot("three Cloud PCs provisioned without a reload")
    tab.assert_accessible("All Cloud PCs")

    # the organization overview counts them, each count a link to the list it counts
    tab.open("/")
    overview = page.get_by_role("table", name="Tenants")
    tenant_row = overview.get_by_role("row").filter(has=page.get_by_role("link", name=tenant.display_name, exact=True))
    # the overview reads every tenant's summary (one request for all), and polls them while work runs
    expect(tenant_row.get_by_role("link", name="3 provisioned")).to_be_visible(timeout=WAIT_MS)
    never = tenant_row.get_by_role("link", name="3 never connected to")  # its name starts with its text (axe)
    expect(never).to_have_text("3")
    tab.shot("the organization overview")
    tab.assert_accessible("the overview")
    never.click()
    expect(page.get_by_text("Provisioned, never connected to")).to_be_visible()
    assert "neverConnected=true" in page.url
    expect(cloud_pc_rows(page)).to_have_count(3)
    tab.open("/")
    tenant_row.get_by_role("link", name="3 provisioned").click()
    expect(page.get_by_role("heading", name="All Cloud PCs")).to_be_visible()
    assert "status=provisioned" in page.url
    expect(cloud_pc_rows(page)).to_have_count(3)

    # filters live in the address: a status with none, then the status tile, then a search
    page.get_by_label("Status", exact=True).select_option("failed")
    expect(page.get_by_text("No Cloud PC matches these filters.")).to_be_visible()
    assert "status=failed" in page.url
    tiles.get_by_role("link", name="3 provisioned").click()
    expect(cloud_pc_rows(page)).to_have_count(3)
    expect(tiles.get_by_role("link", name="3 provisioned")).to_have_attribute("aria-current", "true")
    retried_pc = retried_cloud_pc(owner_api, tenant)
    retried = tenant.name_of(retried_pc["userId"])
    page.get_by_label("Search").fill(retried.upper())
    page.get_by_role("button", name="Search", exact=True).click()
    expect(cloud_pc_rows(page)).to_have_count(1)
    expect(cloud_pc_rows(page)).to_contain_text(f"{retried}@")
    assert f"search={retried.upper()}" in page.url and "status=provisioned" in page.url
    tab.shot("filtered by status and searched")

    # one Cloud PC: two attempts on its timeline, the table of the same steps, the winning policy
    table.get_by_role("link", name=re.compile(retried)).first.click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    chart = page.locator(".timeline svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", re.compile(r"2 attempts, 1 failed"))
    expect(chart.locator("text.row-label")).to_have_text(
        [re.compile("Attempt 1 · Failed"), re.compile("Attempt 2 · Succeeded")]
    )
    steps = page.get_by_role("table", name="Every step and milestone")
    expect(steps.get_by_role("row").filter(has_text="Create the VM")).to_have_count(2)
    expect(steps).to_contain_text("AllocationFailed")
    explanation = page.get_by_role("region", name="Why this user has this Cloud PC")
    expect(explanation).to_contain_text(policy["displayName"])
    expect(explanation).to_contain_text("Wins")
    expect(page.get_by_role("button", name="Restart")).to_be_visible()
    built = page.get_by_role("region", name="Built with")
    expect(built).to_contain_text("Microsoft Entra join")  # the join type in the wizard's words
    expect(built).not_to_contain_text("adjoin")
    connects = page.get_by_role("region", name="Where the user connects")  # launchInfo: the feed and the host pool
    expect(connects).to_contain_text("https://rdweb.wvd.microsoft.com/api/arm/feeddiscovery")
    expect(connects).to_contain_text(f"cpc-{policy['id']}-westeurope")  # the host pool by its name...
    expect(connects).not_to_contain_text("/subscriptions/")
    expect(connects.get_by_role("button", name="Copy the host pool's resource id")).to_be_visible()  # ...its id copied
    expect(connects).to_contain_text("Yes: Start VM on Connect")
    expect(connects).to_contain_text("Never connected")  # no user session seen on it yet
    tab.shot("a Cloud PC, its timeline and explanation")
    tab.assert_keyboard_reachable("a Cloud PC")  # the copy buttons among them
    # close up, the documentation's picture of a timeline
    page.get_by_role("region", name="Timeline").screenshot(path=str(ARTEFACTS / "cloud-pc-timeline.png"))
    tab.assert_accessible("a Cloud PC")

    # two selected: a review that refuses a retry for each, then a restart the confirmation counts
    tab.open(f"/tenants/{tenant.id}/cloudPCs")
    for row in range(2):
        cloud_pc_rows(page).nth(row).get_by_role("checkbox").check()
    bulk = page.get_by_role("region", name="2 Cloud PCs selected")
    bulk.get_by_label("Action").select_option("retry")
    bulk.get_by_role("button", name="Review").click()
    expect(bulk.get_by_role("status")).to_contain_text("None of the selected Cloud PCs can be acted on")
    expect(bulk.get_by_role("listitem")).to_have_count(2)
    tab.shot("the review refuses a retry of provisioned Cloud PCs, with the reason")
    bulk.get_by_label("Action").select_option("reboot")
    bulk.get_by_role("button", name="Review").click()
    bulk.get_by_role("button", name="Restart 2 Cloud PCs").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Restart 2 Cloud PCs?")
    tab.shot("the confirmation names the count")
    dialog.get_by_role("button", name="Restart 2 Cloud PCs").click()

    expect(page.get_by_role("heading", name="Restart 2 Cloud PCs", level=1)).to_be_visible()
    results = page.get_by_role("table", name=re.compile("Each Cloud PC's result"))
    expect(results.locator(".badge", has_text="Succeeded")).to_have_count(2, timeout=WAIT_MS)
    expect(page.get_by_text("2 of 2 done")).to_be_visible()
    expect(results.get_by_role("link", name=re.compile("Finance Cloud PCs"))).to_have_count(2)
    tab.shot("per-item results of the bulk restart")
    tab.assert_accessible("a bulk action")
    page.get_by_role("link", name="All bulk actions").click()
    expect(page.get_by_role("table", name=re.compile("Recent bulk actions"))).to_contain_text("Restart 2 Cloud PCs")

    # a page gone stale: the Cloud PC is reprovisioned elsewhere, the admin presses Power off; the refusal says why,
    # and the page then shows the new run at work, refreshing on its own until it is provisioned again
    tab.open(f"/tenants/{tenant.id}/cloudPCs/{retried_pc['id']}")
    expect(page.get_by_role("button", name="Power off")).to_be_visible()
    tenant.latency("createVm", 8)
    assert owner_api.post(f"{tenant.path}/cloudPCs/{retried_pc['id']}/reprovision").status_code == 202
    page.get_by_role("button", name="Power off").click()
    page.get_by_role("dialog").get_by_role("button", name="Power off").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Cannot power off: not in this status")
    expect(refusal).to_contain_text(re.compile("it is (pendingProvision|provisioning); powerOff needs provisioned"))
    expect(page.get_by_role("button", name="Power off")).to_have_count(0)
    expect(page.get_by_label("Run", exact=True)).to_have_value("2")
    expect(chart.locator("text.row-label")).to_have_text([re.compile("Attempt 1 · Running")])
    tab.shot("a refused action, and the new run under way")
    tenant.latency("createVm", 0)
    expect(page.locator(".page-header .badge")).to_have_text("Provisioned", timeout=WAIT_MS)
    expect(chart.locator("text.row-label")).to_have_text([re.compile("Attempt 1 · Succeeded")])
    page.get_by_label("Run", exact=True).select_option("1")
    expect(chart.locator("text.row-label")).to_have_count(2)
    tab.shot("provisioned again; the first run still on its timeline")

    # a reader: the same Cloud PCs, nothing to select and nothing to press
    owner_api.created(f"{tenant.path}/roleAssignments", {"principalId": tokens.principal_id("alice"), "role": "reader"})
    reader = portal("alice")
    reader.open(f"/tenants/{tenant.id}/cloudPCs")
    expect(cloud_pc_rows(reader.page)).to_have_count(3)
    expect(reader.page.locator("main").get_by_role("checkbox")).to_have_count(0)
    reader.shot("a reader's list: no checkboxes")
    reader.page.get_by_role("table", name="Cloud PCs").get_by_role("link", name=re.compile("Finance")).first.click()
    expect(reader.page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(reader.page.get_by_role("heading", name="Actions")).to_have_count(0)
    expect(
        reader.page.locator("main").get_by_role("button", name=re.compile("Restart|Power|Reprovision|Rename"))
    ).to_have_count(0)
    reader.shot("a reader's Cloud PC: no actions")

    # an operator: the same Cloud PCs to select and act on, and no configuration to change
    olga = {"principalId": tokens.principal_id("olga"), "role": "operator"}
    owner_api.created(f"{tenant.path}/roleAssignments", olga)
    operator = portal("olga")
    operator.open(f"/tenants/{tenant.id}/cloudPCs")
    expect(cloud_pc_rows(operator.page).get_by_role("checkbox")).to_have_count(3)
    operator.page.get_by_role("table", name="Cloud PCs").get_by_role("link", name=re.compile("Finance")).first.click()
    for action in ("Restart", "Power off", "Reprovision", "Rename"):
        expect(operator.page.get_by_role("button", name=action, exact=True)).to_be_visible()
    operator.shot("an operator's Cloud PC: its actions")
    operator.open(f"/tenants/{tenant.id}/policies")
    expect(operator.page.get_by_role("link", name=policy["displayName"], exact=True)).to_be_visible()
    expect(operator.page.locator("main").get_by_role("link", name="Create policy")).to_have_count(0)
    operator.page.get_by_role("link", name=policy["displayName"], exact=True).click()
    expect(operator.page.get_by_role("heading", name=policy["displayName"], level=1)).to_be_visible()
    expect(operator.page.locator("main").get_by_role("button", name=re.compile("Edit|Delete|Change"))).to_have_count(0)
    operator.shot("an operator's policy: nothing to change")


def test_a_failed_cloud_pc_reads_in_an_admins_words_with_what_to_do(portal: Any, owner_api: ApiClient) -> None:
    tenant = Tenant(owner_api)
    tenant.user("dee", [PLAN])
    tenant.group("sales", ["dee"])
    tenant.fault("createVm", 3, "AllocationFailed")  # every attempt: the Cloud PC fails
    tenant.assign(tenant.policy(), "sales")

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/cloudPCs")
    table = page.get_by_role("table", name="Cloud PCs")
    expect(table.locator(".badge", has_text=re.compile("^Failed$"))).to_have_count(1, timeout=WAIT_MS)
    expect(table.locator(".status-detail")).to_have_text("Azure has no room for this VM size in the region right now.")
    tab.shot("a failed Cloud PC in the list, in plain words")

    table.locator(".name-cell a").first.click()
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text("Azure has no room for this VM size in the region right now.")
    expect(details).to_contain_text("What to do: Retry later, or choose another size or region in the policy.")
    details.get_by_text("The service's own message").click()  # Azure's message, once, folded away
    expect(details.locator(".failure details p")).to_have_text("The operation createVm failed with AllocationFailed.")
    explanation = page.get_by_role("region", name="Why this user has this Cloud PC")
    expect(explanation).to_contain_text("Provisioning failed: Azure has no room for this VM size in the region")
    expect(explanation).to_contain_text("(group 'sales' at")  # the group by its name, not its id
    expect(details.get_by_title(f"Group id {tenant.gid('sales')}")).to_have_text("sales")
    steps = page.get_by_role("table", name="Every step and milestone")
    expect(steps.get_by_text("What to do: Retry later", exact=False).first).to_be_visible()
    main = page.locator("main")
    expect(main).not_to_contain_text("Injected")
    expect(main).not_to_contain_text("Provisioning failed: Provisioning failed")
    expect(main).not_to_contain_text("Traceback")
    tab.shot("a failed Cloud PC: what happened, what to do, and Azure's own message")
    details.screenshot(path=str(ARTEFACTS / "cloud-pc-failure.png"))  # the documentation's picture of a failure
    tab.assert_accessible("a failed Cloud PC")


def assert_woken(api: ApiClient, path: str) -> None:
    assert any(event["name"] == "awake" for event in api.get(f"{path}/events").json()["value"]), "not woken yet"


def test_a_cloud_pc_put_to_sleep_while_its_user_is_away_wakes_when_they_connect_and_says_why(
    portal: Any,
    owner_api: ApiClient,
    app_services: Services,
) -> None:
    tenant = Tenant(owner_api)
    tenant.user("eve", [PLAN])
    tenant.group("finance", ["eve"])
    tenant.assign(tenant.policy(powerRules={"deallocateWhenDisconnectedMinutes": 30}), "finance")
    [cloud_pc] = settled_cloud_pcs(owner_api, tenant, 1)
    path, upn = f"{tenant.path}/cloudPCs/{cloud_pc['id']}", cloud_pc["userPrincipalName"]
    [pool] = tenant.arm.host_pools(CLOUD_PC_RG)
    control = f"{tenant.arm.emulator.base_url}/emulator/avd{pool['id']}"
    connect(tenant, pool["id"], upn)
    disconnected = tenant.arm.session.post(f"{control}/disconnects", json={"userPrincipalName": upn}, timeout=30)
    assert disconnected.status_code == 200, disconnected.text
    run_watch(owner_api)

    def away_since() -> datetime:
        away = owner_api.get(path).json().get("userAwaySince")
        assert away, "the watch has not seen eve away yet"
        return datetime.fromisoformat(away)

    seen = eventually(away_since, timeout_s=60)

    tab = portal("admin")
    page = tab.page
    tab.open(f"/tenants/{tenant.id}/cloudPCs/{cloud_pc['id']}")
    connects = page.get_by_role("region", name="Where the user connects")
    expect(connects.locator(".last-connected")).to_contain_text(re.compile(r"Last connected .*User away since "))
    expect(connects).to_contain_text("Yes: Start VM on Connect")
    tab.shot("where the user connects, and since when they are away")
    connects.screenshot(path=str(ARTEFACTS / "cloud-pc-connection.png"))  # the documentation's picture of it

    # past the limit the watch puts it to sleep, followed to its end as a power off is
    [sleep] = watch_use(app_services.engine, tenant.id, seen + timedelta(minutes=31)).sleeps
    step = advance_vm_action(app_services.engine, sleep)
    while step.outcome is None:
        step = advance_vm_action(app_services.engine, step.run)
    page.reload()  # a settled Cloud PC's page is not polled: read again
    steps = page.get_by_role("table", name="Every step and milestone")
    slept = steps.get_by_role("row").filter(has_text="Put to sleep")
    expect(slept).to_contain_text("Deallocating: its user disconnected 31 minutes ago (limit 30)", timeout=WAIT_MS)
    expect(steps.get_by_role("row").filter(has_text=re.compile(r"\bAsleep\b"))).to_contain_text("Succeeded")

    # AVD holds the role that Start VM on Connect needs: eve's connection starts it, and the next watch says so
    role = (
        f"/subscriptions/{tenant.arm.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{POWER_ON_CONTRIBUTOR}"
    )
    tenant.arm.assign(
        tenant.arm.group_id(CLOUD_PC_RG), role, tenant.arm.service_principal(AZURE_VIRTUAL_DESKTOP_APP_ID)
    )
    connect(tenant, pool["id"], upn)
    run_watch(owner_api)
    eventually(lambda: assert_woken(owner_api, path), timeout_s=60)
    page.reload()
    expect(steps.get_by_role("row").filter(has_text="Woke up")).to_contain_text(WOKEN_BY_USER, timeout=WAIT_MS)
    expect(connects.locator(".last-connected")).not_to_contain_text("User away since", timeout=WAIT_MS)
    tab.shot("put to sleep and woken, each with its reason")
    tab.assert_accessible("a Cloud PC that slept and woke")
    tab.assert_keyboard_reachable("a Cloud PC that slept and woke")

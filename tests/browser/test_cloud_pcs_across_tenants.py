"""The Cloud PCs of every tenant in the portal: one list naming each row's tenant, searched, filtered by status and
sorted in the address; axe on the page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from shared.bootstrap import Services
from shared.models.cloud_pcs import CloudPc
from tests.browser.conftest import ARTEFACTS
from tests.utils.api_client import ApiClient


def cloud_pc(services: Services, tenant_id: str, name: str, status: str) -> None:
    now = datetime.now(UTC)
    services.engine.cloud_pcs.upsert_cloud_pc(
        CloudPc(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            display_name=name,
            user_id=name,
            user_principal_name=f"{name}@contoso.com",
            service_plan_id="p",
            service_plan_name="P",
            provisioning_policy_id="finance",
            provisioning_policy_name="Finance",
            status=status,
            created_date_time=now,
            last_modified_date_time=now,
        )
    )


def test_the_cloud_pcs_of_every_tenant_are_one_list_searched_filtered_and_sorted(
    portal: Any, owner_api: ApiClient, app_services: Services
) -> None:
    mark = f"xt{uuid.uuid4().hex[:6]}"
    tenants = {
        name: owner_api.created("/tenants", {"displayName": f"{name} {mark}"})["id"] for name in ("Contoso", "Fabrikam")
    }
    cloud_pc(app_services, tenants["Contoso"], f"{mark}-ann", "provisioned")
    cloud_pc(app_services, tenants["Contoso"], f"{mark}-bob", "failed")
    cloud_pc(app_services, tenants["Fabrikam"], f"{mark}-cy", "failed")

    tab = portal("admin")
    page = tab.open("/cloudPCs")
    expect(page.get_by_role("heading", name="Cloud PCs of every tenant", level=1)).to_be_visible()
    page.get_by_label("Search").fill(mark)
    page.get_by_role("button", name="Search").click()
    table = page.get_by_role("table", name="Cloud PCs of every tenant")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(f"Contoso {mark}")
    expect(rows.nth(2)).to_contain_text(f"Fabrikam {mark}")

    page.get_by_label("Status").select_option("failed")
    expect(rows).to_have_count(2)
    page.get_by_label("Sort by").select_option("displayName desc")
    expect(rows.nth(0)).to_contain_text(f"{mark}-cy")
    expect(rows.nth(1)).to_contain_text(f"{mark}-bob")
    page.screenshot(path=str(ARTEFACTS / "cloud-pcs-across-tenants.png"))  # the documentation's picture
    tab.shot("failed Cloud PCs of every tenant")
    tab.assert_accessible("the Cloud PCs of every tenant")

    rows.nth(0).get_by_role("link", name=f"{mark}-cy").click()
    expect(page.get_by_role("heading", name=f"{mark}-cy", level=1)).to_be_visible()

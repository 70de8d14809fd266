"""A `windows365` tenant's onboarding report lists the roles Windows 365's own service principal needs where the
tenant's connection is, as Windows 365's checks found them: missing with their fix while a check fails for want of
one, present once the admin has assigned them; and taking each away fails its check with Windows 365's error."""

from __future__ import annotations

from typing import Any

import pytest

from shared.catalog.app_access import WINDOWS365_ROLES, WINDOWS_365_APP_ID, ServiceRole
from tests.utils.api_client import ApiClient
from tests.utils.onboarding import apply_fixes
from tests.utils.wizard import Tenant, emulator_from_environment


def windows365_items(api: ApiClient, tenant: Tenant) -> dict[str, dict[str, Any]]:
    """The report's items for Windows 365's roles, by role name."""
    found = api.get(f"{tenant.path}/onboarding").json()["items"]
    return {item["name"]: item for item in found if item["reason"].startswith("for Windows 365, not the app")}


def checked_again(api: ApiClient, tenant: Tenant, connection: dict[str, Any], name: str) -> dict[str, Any]:
    """The admin renames the connection: Windows 365 is sent the change and checks it again; its new results."""
    renamed = api.patch(
        f"{tenant.path}/connections/{connection['id']}",
        json={"displayName": name},
        headers={"If-Match": connection["etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    return tenant.settled_connection(connection["id"])


def test_windows_365_s_roles_are_asked_where_its_connection_is_and_the_admin_s_fix_makes_it_pass(
    api: ApiClient,
) -> None:
    tenant = Tenant(api, backend="windows365", windows365_roles=False)  # nobody gave Windows 365 anything yet
    # asked for as soon as the site names where its connections go; not known until Windows 365 checks one
    asked = windows365_items(api, tenant)
    assert {name: item["status"] for name, item in asked.items()} == {r.name: "unknown" for r in WINDOWS365_ROLES}
    failed = tenant.settled_connection(tenant.connection()["id"])
    assert failed["healthCheckStatus"] == "failed"
    errors = {c["errorType"] for c in failed["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "failed"}
    assert errors == {role.error_type for role in WINDOWS365_ROLES}

    report = api.get(f"{tenant.path}/onboarding").json()
    items = windows365_items(api, tenant)
    assert report["ready"] is False and set(items) == {role.name for role in WINDOWS365_ROLES}
    for role in WINDOWS365_ROLES:
        item = items[role.name]
        assert (item["kind"], item["status"], item["scope"]) == (
            "azureRole",
            "missing",
            tenant.windows365_scope(role.role_definition_id),
        )
        assert item["fix"].startswith(
            f'az role assignment create --assignee {WINDOWS_365_APP_ID} --role "{role.name}" --scope {item["scope"]}'
        )
        assert role.error_type is not None and role.error_type in item["reason"]

    apply_fixes(api, tenant.path, emulator_from_environment(), tenant.entra_id)  # the admin follows the report
    passed = checked_again(api, tenant, failed, "Contoso HQ (retried)")
    assert passed["healthCheckStatus"] == "passed", passed["healthCheckStatusDetail"]
    assert {item["status"] for item in windows365_items(api, tenant).values()} == {"present"}
    assert api.get(f"{tenant.path}/onboarding").json()["ready"] is True


@pytest.mark.parametrize("role", WINDOWS365_ROLES, ids=lambda role: role.name)
def test_taking_a_role_from_windows_365_fails_its_check_with_windows_365_s_error_and_the_report_says_so(
    api: ApiClient, role: ServiceRole
) -> None:
    tenant = Tenant(api, backend="windows365")  # the admin gave Windows 365 its roles
    connection = tenant.healthy_connection()
    assert {item["status"] for item in windows365_items(api, tenant).values()} == {"present"}
    tenant.arm.ok("DELETE", tenant.windows365_roles[role.role_definition_id])
    failed = checked_again(api, tenant, connection, "Contoso HQ (checked again)")
    [check] = [c for c in failed["healthCheckStatusDetail"]["healthChecks"] if c["status"] == "failed"]
    assert (check["displayName"], check["errorType"]) == (role.checked_by, role.error_type)
    assert check["recommendedAction"]
    items = windows365_items(api, tenant)
    assert items[role.name]["status"] == "missing" and WINDOWS_365_APP_ID in items[role.name]["fix"]
    assert {name for name, item in items.items() if item["status"] == "present"} == {
        other.name for other in WINDOWS365_ROLES if other != role
    }

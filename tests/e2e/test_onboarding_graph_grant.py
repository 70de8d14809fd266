"""Admin consent gives every customer the same three Graph permissions; the customer's Entra administrator grants the
rest a tenant uses in one step, with their own sign-in: the report turns ready, and one whose roles cannot grant is
told so."""

from __future__ import annotations

import uuid
from typing import Any

from shared.catalog.graph_permissions import consent_permissions
from tests.utils.admin_sign_in import GRAPH_GRANT_SCOPE, azure_admin_token, put_in_directory
from tests.utils.api_client import ApiClient
from tests.utils.onboarding import apply_fixes, report
from tests.utils.wizard import Tenant

HEADER = "X-Entra-Admin-Token"


def graph_items(found: dict[str, Any]) -> dict[str, str]:
    return {i["name"]: i["status"] for i in found["items"] if i["kind"] == "graphPermission"}


def consented(api: ApiClient, backend: str = "windows365") -> Tenant:
    """A tenant whose admin has consented, and done nothing more."""
    tenant = Tenant(api, backend=backend, onboard=False)
    apply_fixes(api, tenant.path, tenant.emulator, tenant.entra_id, fix_graph=False)
    return tenant


def test_consent_gives_what_every_tenant_needs_and_the_entra_admin_grants_the_rest(api: ApiClient) -> None:
    tenant = consented(api)
    before = graph_items(report(api, tenant.path))
    asked = {p.name for p in consent_permissions()}
    assert {name for name, status in before.items() if status == "present"} == asked
    assert before["CloudPC.ReadWrite.All"] == "missing"
    grant = f"{tenant.path}/onboarding:grantGraphPermissions"

    # a sign-in of another tenant, one that is no token, and none at all: refused at the header, nothing granted
    elsewhere = str(uuid.uuid4())
    put_in_directory(tenant.emulator, elsewhere, "gina", ["Global Administrator"])
    foreign = azure_admin_token(tenant.emulator, elsewhere, "gina", GRAPH_GRANT_SCOPE)
    for token, code in ((foreign, "adminSignInRefused"), ("not-a-token", "adminSignInRefused"), ("", None)):
        refused = api.post(grant, None, headers={HEADER: token})
        assert refused.status_code == 400, refused.text
        [detail] = refused.json()["error"]["details"]
        assert detail["target"] == HEADER and (code is None or detail["code"] == code)
    assert graph_items(report(api, tenant.path))["CloudPC.ReadWrite.All"] == "missing"

    put_in_directory(tenant.emulator, tenant.entra_id, "erin", ["Privileged Role Administrator"])
    token = azure_admin_token(tenant.emulator, tenant.entra_id, "erin", GRAPH_GRANT_SCOPE)
    done = api.post(grant, None, headers={HEADER: f"Bearer {token}"})
    assert done.status_code == 200, done.text
    assert [(g["permission"], g["outcome"]) for g in done.json()["granted"]] == [("CloudPC.ReadWrite.All", "granted")]
    assert set(graph_items(done.json()["report"]).values()) == {"present"}
    # again: nothing missing, nothing granted twice
    again = api.post(grant, None, headers={HEADER: token})
    assert again.status_code == 200 and again.json()["granted"] == [], again.text


def test_an_entra_user_without_the_role_is_told_so_and_nothing_is_granted(api: ApiClient) -> None:
    tenant = consented(api, "azure")
    put_in_directory(tenant.emulator, tenant.entra_id, "frank", [])
    token = azure_admin_token(tenant.emulator, tenant.entra_id, "frank", GRAPH_GRANT_SCOPE)
    refused = api.post(f"{tenant.path}/onboarding:grantGraphPermissions", None, headers={HEADER: token})
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "cannotGrant" and "Privileged Role Administrator" in error["message"]
    missing = {name for name, status in graph_items(report(api, tenant.path)).items() if status == "missing"}
    assert {"Device.ReadWrite.All", "DeviceManagementManagedDevices.ReadWrite.All"} <= missing

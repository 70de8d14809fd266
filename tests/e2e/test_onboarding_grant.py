"""The customer's administrator grants the app its Azure roles in one step, with their own sign-in: the report turns
ready; one who holds no role that grants is told so, and nothing is written."""

from __future__ import annotations

from typing import Any

from shared.catalog.app_access import CUSTOM_ROLE_NAME
from tests.e2e.test_onboarding_lighthouse import lighthouse_tenant
from tests.utils.admin_sign_in import OWNER, READER, azure_admin_token, give_role, put_in_directory
from tests.utils.api_client import ApiClient
from tests.utils.onboarding import grant_app, report
from tests.utils.wizard import CLOUD_PC_RG, Tenant

HEADER = "X-Azure-Admin-Token"


def consented_tenant(api: ApiClient) -> Tenant:
    """A tenant whose admin has consented (Graph) but given the app no Azure role."""
    tenant = Tenant(api, onboard=False)
    grant_app(tenant.emulator, tenant.entra_id)
    return tenant


def custom_roles(tenant: Tenant) -> list[dict[str, Any]]:
    scope = f"/subscriptions/{tenant.arm.subscription_id}"
    definitions = f"{scope}/providers/Microsoft.Authorization/roleDefinitions"
    return [role for page in tenant.arm.pages(definitions, "&$filter=type eq 'CustomRole'") for role in page]


def test_an_owner_signs_in_once_and_the_report_turns_ready(api: ApiClient) -> None:
    tenant = consented_tenant(api)
    before = report(api, tenant.path)
    assert not before["ready"]
    assert {i["status"] for i in before["items"] if i["kind"] == "azureRole"} == {"missing"}
    carol = put_in_directory(tenant.emulator, tenant.entra_id, "carol")
    give_role(tenant.arm, carol, OWNER)
    token = azure_admin_token(tenant.emulator, tenant.entra_id, "carol")

    seen = api.get(f"{tenant.path}/onboarding/adminSubscriptions", headers={HEADER: token})
    assert seen.status_code == 200, seen.text
    [subscription] = seen.json()["value"]
    assert subscription["subscriptionId"] == tenant.arm.subscription_id
    assert subscription["displayName"] and subscription["canGrant"] is True

    body = {"subscriptionIds": [tenant.arm.subscription_id]}
    done = api.post(f"{tenant.path}/onboarding:grantAzureAccess", body, headers={HEADER: f"Bearer {token}"})
    assert done.status_code == 200, done.text
    scope = f"/subscriptions/{tenant.arm.subscription_id}"
    assert [(g["role"], g["scope"], g["outcome"]) for g in done.json()["granted"]] == [
        (CUSTOM_ROLE_NAME, scope, "granted")
    ]
    after = done.json()["report"]
    assert after["ready"], [i for i in after["items"] if i["status"] != "present"]
    assert report(api, tenant.path)["ready"]
    # again: the same role and the same assignment, not a second of either
    again = api.post(f"{tenant.path}/onboarding:grantAzureAccess", body, headers={HEADER: token})
    assert again.status_code == 200, again.text
    assert len(custom_roles(tenant)) == 1
    assert len(tenant.arm.role_assignments_at(scope)) == 2  # carol's Owner and the app's role


def test_an_admin_who_cannot_grant_is_told_so_and_nothing_is_written(api: ApiClient) -> None:
    tenant = consented_tenant(api)
    dave = put_in_directory(tenant.emulator, tenant.entra_id, "dave")
    give_role(tenant.arm, dave, READER)
    token = azure_admin_token(tenant.emulator, tenant.entra_id, "dave")
    [subscription] = api.get(f"{tenant.path}/onboarding/adminSubscriptions", headers={HEADER: token}).json()["value"]
    assert subscription["canGrant"] is False
    body = {"subscriptionIds": [tenant.arm.subscription_id]}
    refused = api.post(f"{tenant.path}/onboarding:grantAzureAccess", body, headers={HEADER: token})
    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "cannotGrant"
    assert "Owner or User Access Administrator" in error["message"]
    assert custom_roles(tenant) == []
    assert not report(api, tenant.path)["ready"]


def test_bad_grants_are_refused_naming_what_is_wrong(api: ApiClient) -> None:
    tenant = consented_tenant(api)
    body = {"subscriptionIds": [tenant.arm.subscription_id]}
    missing = api.post(f"{tenant.path}/onboarding:grantAzureAccess", body)
    assert missing.status_code == 400, missing.text
    assert missing.json()["error"]["target"] == HEADER
    for junk in (
        api.get(f"{tenant.path}/onboarding/adminSubscriptions", headers={HEADER: "not-a-token"}),
        api.post(f"{tenant.path}/onboarding:grantAzureAccess", body, headers={HEADER: "0"}),
    ):
        assert junk.status_code == 400, junk.text
        assert junk.json()["error"]["details"][0]["target"] == HEADER
    erin = put_in_directory(tenant.emulator, tenant.entra_id, "erin")
    give_role(tenant.arm, erin, OWNER)
    token = azure_admin_token(tenant.emulator, tenant.entra_id, "erin")
    other = {"subscriptionIds": ["00000000-0000-0000-0000-00000000abcd"]}
    unseen = api.post(f"{tenant.path}/onboarding:grantAzureAccess", other, headers={HEADER: token})
    assert unseen.status_code == 400, unseen.text
    assert unseen.json()["error"]["details"][0]["target"] == "subscriptionIds[0]"
    empty = api.post(f"{tenant.path}/onboarding:grantAzureAccess", {"subscriptionIds": []}, headers={HEADER: token})
    assert empty.status_code == 400, empty.text


def test_under_lighthouse_the_grant_deploys_the_delegation_with_the_admins_sign_in(api: ApiClient) -> None:
    tenant = lighthouse_tenant(api)
    carol = put_in_directory(tenant.emulator, tenant.entra_id, "carol")
    give_role(tenant.arm, carol, OWNER)
    token = azure_admin_token(tenant.emulator, tenant.entra_id, "carol")
    body = {"subscriptionIds": [tenant.arm.subscription_id]}
    done = api.post(f"{tenant.path}/onboarding:grantAzureAccess", body, headers={HEADER: token})
    assert done.status_code == 200, done.text
    granted = {(g["role"], g["scope"]) for g in done.json()["granted"]}
    assert ("Role Based Access Control Administrator", tenant.arm.group_id(CLOUD_PC_RG)) in granted
    assert custom_roles(tenant) == []  # a delegation, not the custom role
    after = done.json()["report"]
    assert after["ready"], [i for i in after["items"] if i["status"] != "present"]
    assert api.get(f"{tenant.path}/sites/{tenant.site['id']}/subnets").status_code == 200  # the app, as itself
    again = api.post(f"{tenant.path}/onboarding:grantAzureAccess", body, headers={HEADER: token})
    assert again.status_code == 200 and again.json()["report"]["ready"]

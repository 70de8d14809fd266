"""Azure Lighthouse in the emulated ARM: what a registration definition may hold, and what its assignment lets a
principal of the managing tenant do in the customer's subscription or resource group, until it is removed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.emulator.test_arm_rbac import App, consented_app, refusal
from tests.utils.arm_admin import ArmAdmin

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"  # a built-in role with DataActions
ROLES = "providers/Microsoft.Authorization/roleDefinitions"
MANAGED = "providers/Microsoft.ManagedServices"


@pytest.fixture
def provider(admin: ArmAdmin) -> App:
    """The app of a managing tenant (the MSP's), consented to in its own tenant, calling ARM as itself there."""
    return consented_app(ArmAdmin(admin.emulator, str(uuid.uuid4()), admin.subscription_id))


def definition_body(provider: App, *authorizations: dict[str, Any]) -> dict[str, Any]:
    return {
        "properties": {
            "registrationDefinitionName": "Cloud PC provisioning",
            "managedByTenantId": provider.admin.tenant_id,
            "authorizations": list(authorizations),
        }
    }


def authorization(provider: App, role: str, **extra: Any) -> dict[str, Any]:
    return {"principalId": provider.principal_id, "roleDefinitionId": f"/{ROLES}/{role}", **extra}


def delegate(admin: ArmAdmin, provider: App, scope: str, *roles: str) -> tuple[str, str]:
    """The customer's admin deploys a delegation of `scope` giving the provider's app `roles`: the definition's and the
    assignment's ids."""
    subscription = f"/subscriptions/{admin.subscription_id}"
    definition = f"{subscription}/{MANAGED}/registrationDefinitions/{uuid.uuid4()}"
    admin.ok("PUT", definition, definition_body(provider, *(authorization(provider, r) for r in roles)))
    assignment = f"{scope}/{MANAGED}/registrationAssignments/{uuid.uuid4()}"
    admin.ok("PUT", assignment, {"properties": {"registrationDefinitionId": definition}})
    return definition, assignment


def test_a_delegation_gives_the_managing_tenants_app_its_role_at_the_scope_until_it_is_removed(
    admin: ArmAdmin, provider: App
) -> None:
    group = admin.resource_group("rg-delegated")
    admin.resource_group("rg-other")
    assert refusal(provider.call("GET", group))[2] == "Microsoft.Resources/subscriptions/resourceGroups/read"

    _, assignment = delegate(admin, provider, group, READER)

    assert provider.call("GET", group).status_code == 200
    assert refusal(provider.call("GET", admin.group_id("rg-other")))[3] == admin.group_id("rg-other")  # its scope only
    vnet = f"{group}/providers/Microsoft.Network/virtualNetworks/vnet"
    written = provider.call("PUT", vnet, {"location": "westeurope", "properties": {"addressSpace": {}}})
    assert refusal(written)[2] == "Microsoft.Network/virtualNetworks/write"  # Reader reads
    listed = provider.session.get(f"{admin.emulator.base_url}/arm/subscriptions?api-version=2021-04-01", timeout=30)
    [subscription] = [s for s in listed.json()["value"] if s["subscriptionId"] == admin.subscription_id]
    assert subscription["tenantId"] == admin.tenant_id  # the customer's, managed by the provider's
    assert subscription["managedByTenants"] == [{"tenantId": provider.admin.tenant_id}]

    admin.ok("DELETE", assignment)

    assert refusal(provider.call("GET", group))[3] == group


def test_a_subscription_delegation_reaches_every_group_and_its_permissions_read_shows_the_role(
    admin: ArmAdmin, provider: App
) -> None:
    group = admin.resource_group("rg-sites")
    delegate(admin, provider, f"/subscriptions/{admin.subscription_id}", CONTRIBUTOR)

    vnet = f"{group}/providers/Microsoft.Network/virtualNetworks/vnet"
    body = {"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}
    assert provider.call("PUT", vnet, body).status_code in (200, 201)
    permissions = provider.call("GET", f"{group}/providers/Microsoft.Authorization/permissions").json()["value"]
    assert any("*" in block["actions"] for block in permissions)


def test_only_a_principal_of_the_managing_tenant_holds_the_delegated_role(admin: ArmAdmin, provider: App) -> None:
    group = admin.resource_group("rg-delegated")
    delegate(admin, provider, group, READER)
    # the same app consented to in a third tenant has another object id there, which the delegation does not name
    stranger = consented_app(ArmAdmin(admin.emulator, str(uuid.uuid4()), admin.subscription_id))

    assert refusal(stranger.call("GET", group))[3] == group


@pytest.mark.parametrize(
    ("role", "extra", "code"),
    [
        (OWNER, {}, "RoleDefinitionNotSupported"),
        (STORAGE_BLOB_DATA_READER, {}, "RoleDefinitionNotSupported"),
        (USER_ACCESS_ADMINISTRATOR, {}, "DelegatedRoleDefinitionIdsRequired"),
    ],
)
def test_a_definition_refuses_the_roles_lighthouse_does_not_take(
    admin: ArmAdmin, provider: App, role: str, extra: dict[str, Any], code: str
) -> None:
    definition = f"/subscriptions/{admin.subscription_id}/{MANAGED}/registrationDefinitions/{uuid.uuid4()}"

    reply = admin.call("PUT", definition, definition_body(provider, authorization(provider, role, **extra)))

    assert (reply.status_code, reply.json()["error"]["code"]) == (400, code)
    assert reply.json()["error"]["target"] == "properties.authorizations[0]"


def test_a_definition_refuses_a_custom_role(admin: ArmAdmin, provider: App) -> None:
    subscription = f"/subscriptions/{admin.subscription_id}"
    custom = f"{subscription}/{ROLES}/{uuid.uuid4()}"
    role = {"roleName": "Custom", "permissions": [{"actions": ["*/read"]}], "assignableScopes": [subscription]}
    admin.ok("PUT", custom, {"properties": role})
    definition = f"{subscription}/{MANAGED}/registrationDefinitions/{uuid.uuid4()}"

    reply = admin.call(
        "PUT", definition, definition_body(provider, {**authorization(provider, READER), "roleDefinitionId": custom})
    )

    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "RoleDefinitionNotSupported")


def test_user_access_administrator_through_a_delegation_assigns_no_role(admin: ArmAdmin, provider: App) -> None:
    group = admin.resource_group("rg-delegated")
    delegated = authorization(provider, USER_ACCESS_ADMINISTRATOR, delegatedRoleDefinitionIds=[READER])
    subscription = f"/subscriptions/{admin.subscription_id}"
    definition = f"{subscription}/{MANAGED}/registrationDefinitions/{uuid.uuid4()}"
    admin.ok("PUT", definition, definition_body(provider, delegated, authorization(provider, CONTRIBUTOR)))
    admin.ok(
        "PUT",
        f"{group}/{MANAGED}/registrationAssignments/{uuid.uuid4()}",
        {"properties": {"registrationDefinitionId": definition}},
    )
    assignment = f"{group}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    body = {"properties": {"roleDefinitionId": f"/{ROLES}/{READER}", "principalId": provider.principal_id}}

    assert refusal(provider.call("PUT", assignment, body))[2] == "Microsoft.Authorization/roleAssignments/write"


def test_only_an_owner_of_the_subscription_deploys_a_delegation(admin: ArmAdmin, provider: App) -> None:
    customer_app = consented_app(admin)
    subscription = f"/subscriptions/{admin.subscription_id}"
    customer_app.grant(CONTRIBUTOR, subscription)  # Contributor may not write role assignments
    definition = f"{subscription}/{MANAGED}/registrationDefinitions/{uuid.uuid4()}"

    reply = customer_app.call("PUT", definition, definition_body(provider, authorization(provider, READER)))

    assert refusal(reply)[2] in (
        "Microsoft.ManagedServices/registrationDefinitions/write",
        "Microsoft.Authorization/roleAssignments/write",
    )


def test_an_assignment_names_a_definition_of_its_subscription(admin: ArmAdmin, provider: App) -> None:
    missing = f"/subscriptions/{admin.subscription_id}/{MANAGED}/registrationDefinitions/{uuid.uuid4()}"
    assignment = f"/subscriptions/{admin.subscription_id}/{MANAGED}/registrationAssignments/{uuid.uuid4()}"

    reply = admin.call("PUT", assignment, {"properties": {"registrationDefinitionId": missing}})

    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "RegistrationDefinitionNotFound")


def test_removing_the_definition_or_the_group_removes_the_access(admin: ArmAdmin, provider: App) -> None:
    group = admin.resource_group("rg-delegated")
    definition, assignment = delegate(admin, provider, group, READER)
    expanded = admin.ok("GET", f"{assignment}?$expandRegistrationDefinition=true")
    assert (
        expanded["properties"]["registrationDefinition"]["properties"]["authorizations"][0]["roleDefinitionId"]
        == READER
    )

    admin.ok("DELETE", definition)

    assert refusal(provider.call("GET", group))[3] == group

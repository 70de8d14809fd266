"""A tenant whose Azure is delegated through Azure Lighthouse: the app's ARM calls go as itself in its own tenant, the
principal the delegation names, while the roles it gives users are still given as its registration in the customer's
tenant (a delegation cannot give users roles)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.network.models import AddressSpace, VirtualNetwork, VirtualNetworkPropertiesFormat

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.credentials import AzureCredentials
from shared.ports.cloud_errors import NOT_DELEGATED, CloudError
from shared.settings import Settings
from tests.utils.arm_admin import ArmAdmin
from tests.utils.onboarding import grant_app

APP_TENANT = "delegated-customer"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
MANAGED = "providers/Microsoft.ManagedServices"


@dataclass
class Customer:
    admin: ArmAdmin
    credentials: AzureCredentials
    arm: ArmClients
    access: list[str]  # the tenant's azureAccess, as the tenant's row would say

    def delegate(self, scope: str, role: str) -> None:
        """The customer's admin deploys the delegation: a registration definition and its assignment at `scope`."""
        subscription = f"/subscriptions/{self.admin.subscription_id}"
        definition = f"{subscription}/{MANAGED}/registrationDefinitions/{uuid.uuid4()}"
        authorization = {"principalId": self.credentials.own_principal_id(), "roleDefinitionId": role}
        body = {
            "properties": {
                "managedByTenantId": self.credentials.own_entra_tenant_id(),
                "authorizations": [authorization],
            }
        }
        self.admin.ok("PUT", definition, body)
        assignment = f"{scope}/{MANAGED}/registrationAssignments/{uuid.uuid4()}"
        self.admin.ok("PUT", assignment, {"properties": {"registrationDefinitionId": definition}})


@pytest.fixture
def customer(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> Iterator[Customer]:
    entra, access = str(uuid.uuid4()), ["consent"]
    grant_app(azure_emulator, entra)  # Graph consent only: no Azure role in the customer's tenant
    settings = Settings()  # the environment points the app at the emulator
    credentials = AzureCredentials(settings, {APP_TENANT: entra}.get, azure_access_of=lambda tenant_id: access[0])
    arm = ArmClients(credentials, settings.arm_endpoint)
    yield Customer(ArmAdmin(azure_emulator, entra), credentials, arm, access)
    arm.close()
    credentials.close()


def test_under_a_delegation_the_app_works_in_the_customers_group_as_itself(customer: Customer) -> None:
    group = customer.admin.resource_group("rg-sites")
    network = customer.arm.network(APP_TENANT, customer.admin.subscription_id)
    with pytest.raises(HttpResponseError) as refused:  # as its registration in the customer's tenant: no role there
        list(network.virtual_networks.list("rg-sites"))
    assert refused.value.status_code == 403

    customer.delegate(f"/subscriptions/{customer.admin.subscription_id}", READER)  # its operations are polled there
    customer.delegate(group, CONTRIBUTOR)
    customer.access[0] = "lighthouse"

    network = customer.arm.network(APP_TENANT, customer.admin.subscription_id)
    assert list(network.virtual_networks.list("rg-sites")) == []
    made = network.virtual_networks.begin_create_or_update(
        "rg-sites",
        "vnet",
        VirtualNetwork(
            location="westeurope",
            properties=VirtualNetworkPropertiesFormat(address_space=AddressSpace(address_prefixes=["10.1.0.0/16"])),
        ),
    ).result()
    assert made.name == "vnet"


def test_the_roles_the_app_gives_users_are_given_in_the_customers_tenant(customer: Customer) -> None:
    group = customer.admin.resource_group("rg-sites")
    customer.delegate(group, CONTRIBUTOR)  # Contributor reads role assignments, as the app in its own tenant
    customer.access[0] = "lighthouse"

    authorization = customer.arm.authorization(APP_TENANT, customer.admin.subscription_id)
    assert isinstance(list(authorization.role_assignments.list_for_scope(group)), list)
    user_roles = customer.arm.user_roles(APP_TENANT, customer.admin.subscription_id)
    with pytest.raises(HttpResponseError) as refused:  # the customer's tenant has given the app no role yet
        list(user_roles.role_assignments.list_for_scope(group))
    assert refused.value.status_code == 403


def test_another_customers_delegated_subscription_is_never_acted_in_for_this_tenant(
    customer: Customer, azure_emulator: EmulatorProcess
) -> None:
    customer.access[0] = "lighthouse"
    other = Customer(ArmAdmin(azure_emulator, str(uuid.uuid4())), customer.credentials, customer.arm, customer.access)
    group = other.admin.resource_group("rg-theirs")
    other.delegate(f"/subscriptions/{other.admin.subscription_id}", READER)  # the app, as itself, may read there
    other.delegate(group, CONTRIBUTOR)

    with pytest.raises(CloudError) as refused:  # but not in this tenant's name
        customer.arm.network(APP_TENANT, other.admin.subscription_id)
    assert refused.value.code == NOT_DELEGATED
    own = customer.admin.resource_group("rg-ours")
    customer.delegate(f"/subscriptions/{customer.admin.subscription_id}", READER)
    customer.delegate(own, CONTRIBUTOR)
    assert list(customer.arm.network(APP_TENANT, customer.admin.subscription_id).virtual_networks.list("rg-ours")) == []

"""Azure Lighthouse as the way into a customer's Azure: the delegation template the customer's admin deploys once, and
the onboarding report's check of it (each role the app needs held at each scope through a delegation to the app)."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from shared.catalog.app_access import (
    CUSTOM_ROLE_NAME,
    USER_ROLES_ACTIONS,
    USER_ROLES_ROLE,
    assignment_condition,
    lighthouse_roles,
)
from shared.models.onboarding import DelegationTemplate, DelegationTemplates, OnboardingItem
from shared.models.tenants import Tenant
from shared.ports.service_role_ports import ServiceRolePorts
from shared.ports.stores import SiteStore
from shared.ports.tenant_access import TenantAccess
from shared.services.access.azure_scopes import ScopeCheck, connection_subnets, scopes_of

API_VERSION = "2022-10-01"  # Microsoft.ManagedServices' latest stable api-version
DEFINITIONS = "Microsoft.ManagedServices/registrationDefinitions"
ASSIGNMENTS = "Microsoft.ManagedServices/registrationAssignments"
NAMES = uuid.UUID("5f1f7b3e-2c1a-4f55-9d0e-6c4f1b2a7d90")  # the namespace of the template's deterministic names
TEMPLATE_PATH = "GET /tenants/{tenantId}/onboarding/delegationTemplate"


class DelegationPorts(ServiceRolePorts, Protocol):
    @property
    def sites(self) -> SiteStore: ...


def _scopes(ports: DelegationPorts, tenant: Tenant) -> list[ScopeCheck]:
    sites = ports.sites.list_all_sites(tenant.id)
    return scopes_of(sites, connection_subnets(ports, tenant.id), tenant.subscription_ids)


def _name(*parts: str) -> str:
    """The same name for the same delegation, so that deploying the template again changes nothing."""
    return str(uuid.uuid5(NAMES, "/".join(parts).lower()))


def delegation_template(ports: DelegationPorts, access: TenantAccess, tenant: Tenant) -> DelegationTemplates:
    """One subscription-level template per subscription the app works in: a registration definition per role, and its
    assignment at each scope that needs the role (https://learn.microsoft.com/azure/lighthouse/how-to/onboard-customer:
    deployed at subscription level by an Owner of the subscription, never in the portal's resource-group deployment)."""
    managed_by, principal = access.app_identity()
    by_subscription: dict[str, list[ScopeCheck]] = {}
    for check in _scopes(ports, tenant):
        by_subscription.setdefault(check.subscription_id.lower(), []).append(check)
    templates = []
    for subscription_id, checks in sorted(by_subscription.items()):
        definitions: dict[str, dict[str, Any]] = {}
        assignments: list[dict[str, Any]] = []
        groups: dict[str, list[dict[str, Any]]] = {}
        for check in checks:
            for role in lighthouse_roles(check.kinds):
                name = _name(tenant.id, subscription_id, role.role_definition_id)
                definition_id = f"/subscriptions/{subscription_id}/providers/{DEFINITIONS}/{name}"
                definitions[name] = {
                    "type": DEFINITIONS,
                    "apiVersion": API_VERSION,
                    "name": name,
                    "properties": {
                        "registrationDefinitionName": f"{CUSTOM_ROLE_NAME}: {role.name}",
                        "description": f"What the {CUSTOM_ROLE_NAME} service does as {role.name}: {role.over_grants}.",
                        "managedByTenantId": managed_by,
                        "authorizations": [
                            {
                                "principalId": principal,
                                "principalIdDisplayName": CUSTOM_ROLE_NAME,
                                "roleDefinitionId": role.role_definition_id,
                            }
                        ],
                    },
                }
                assignment = {
                    "type": ASSIGNMENTS,
                    "apiVersion": API_VERSION,
                    "name": _name(tenant.id, check.scope, role.role_definition_id),
                    "properties": {"registrationDefinitionId": definition_id},
                }
                if check.resource_group is None:
                    assignments.append({**assignment, "dependsOn": [definition_id]})
                else:
                    groups.setdefault(check.resource_group, []).append(assignment)
        nested = [
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2021-04-01",
                "name": f"delegate-{_name(tenant.id, subscription_id, group)}",
                "resourceGroup": group,
                "dependsOn": [f"/subscriptions/{subscription_id}/providers/{DEFINITIONS}/{n}" for n in definitions],
                "properties": {
                    "mode": "Incremental",
                    "template": {
                        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                        "contentVersion": "1.0.0.0",
                        "resources": group_assignments,
                    },
                },
            }
            for group, group_assignments in sorted(groups.items())
        ]
        template = {
            "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [*definitions.values(), *assignments, *nested],
        }
        command = (
            f"az deployment sub create --subscription {subscription_id} --location <any region> "
            "--template-file delegation.json (this template saved as delegation.json)"
        )
        templates.append(DelegationTemplate(subscription_id=subscription_id, template=template, command=command))
    return DelegationTemplates(managed_by_tenant_id=managed_by, principal_id=principal, templates=templates)


def delegation_items(
    access: TenantAccess, tenant: Tenant, checks: list[ScopeCheck], *, consented: bool, app_client_id: str | None
) -> list[OnboardingItem]:
    """The report's Azure items under a delegation: each role the app needs, held (or not) at each scope through the
    delegation to the app itself; and, at each site's group, what gives users their roles, held by the app's
    registration in the customer's tenant (not known without consent, as no token is had there)."""
    items: list[OnboardingItem] = []
    fix = f"Deploy the delegation template ({TEMPLATE_PATH}) in the subscription again: it gives the roles missing."
    for check in checks:
        held = access.delegated_roles(tenant.id, check.subscription_id, check.scope)
        for role in lighthouse_roles(check.kinds):
            status = "unknown" if held is None else "present" if role.role_definition_id in held else "missing"
            items.append(
                OnboardingItem(
                    kind="azureRole",
                    name=role.name,
                    scope=check.scope,
                    status=status,
                    reason="held by the app itself through the Azure Lighthouse delegation: "
                    + "; ".join(check.reasons),
                    fix=f"The delegation gives the app no {role.name} here. {fix}" if status == "missing" else None,
                )
            )
        if "resourceGroup" not in check.kinds or check.resource_group is None:
            continue
        missing = (
            access.missing_actions(
                tenant.id, check.subscription_id, check.resource_group, USER_ROLES_ACTIONS, in_customer_tenant=True
            )
            if consented
            else None
        )
        status = "unknown" if missing is None else "missing" if missing else "present"
        assignee = app_client_id or "<the app's client id>"
        items.append(
            OnboardingItem(
                kind="azureRole",
                name=USER_ROLES_ROLE,
                scope=check.scope,
                status=status,
                reason="held by the app's registration in the customer's tenant, narrowed by its condition to the "
                "roles the app gives: it gives each user the sign-in role on their Cloud PC and Desktop "
                "Virtualization User, which no Azure Lighthouse delegation can give",
                missing_actions=missing or [],
                fix=(
                    f'az role assignment create --assignee {assignee} --role "{USER_ROLES_ROLE}" --scope {check.scope} '
                    f'--condition "{assignment_condition()}" --condition-version "2.0"'
                )
                if status == "missing"
                else None,
            )
        )
    return items

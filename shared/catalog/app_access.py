"""What the app needs in a customer's Azure: its custom role's actions, each with its reason, and others' roles.

One list, read by the onboarding report (`shared/services/access/onboarding.py`), by the custom role it offers, and
said in docs/onboarding.md; what it needs of Graph is in graph_permissions.py. Each Azure action names
the scope it is needed at: the subscription of a site (capacity reads and the polling of long-running operations,
which ARM serves at subscription scope), a site's resource group (everything the app makes), and the resource group
of a connection's virtual network (joining its subnet, and the health checks' reads). Action names are Microsoft's
resource provider operations (https://learn.microsoft.com/azure/role-based-access-control/resource-provider-operations).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

ActionScope = Literal["subscription", "resourceGroup", "network"]
ServiceRoleScope = Literal["subscription", "resourceGroup", "virtualNetwork"]  # where another service's role is held
# the built-in roles the app gives others, and no other: the sign-in roles on a user's own Cloud PC, and access to a
# Spot Group's desktops (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles)
VM_USER_LOGIN = "fb879df8-f326-4884-b1cf-06f3ad86be52"  # Virtual Machine User Login
VM_ADMIN_LOGIN = "1c0163c0-47e6-4577-8991-ea5c82e286e4"  # Virtual Machine Administrator Login
DESKTOP_VIRTUALIZATION_USER = "1d18fff3-a72a-46b5-b4a9-0b38a3cd7e63"  # Desktop Virtualization User
ASSIGNED_ROLES = (VM_USER_LOGIN, VM_ADMIN_LOGIN, DESKTOP_VIRTUALIZATION_USER)
# the built-in role Azure Virtual Desktop's own service principal needs to start session hosts (Start VM on Connect:
# https://learn.microsoft.com/azure/virtual-desktop/start-virtual-machine-connect), and that app's id in every tenant
POWER_ON_CONTRIBUTOR = "489581de-a3bd-480d-9518-53dea7416b33"  # Desktop Virtualization Power On Contributor
AZURE_VIRTUAL_DESKTOP_APP_ID = "9cdead84-a844-4324-93f2-b2e6bb768d07"
# the built-in roles Windows 365's own service principal needs in the customer's Azure for an Azure network connection
# and a custom image (https://learn.microsoft.com/windows-365/enterprise/customer-permissions), and that app's id
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # Reader
WINDOWS_365_NETWORK_INTERFACE_CONTRIBUTOR = "1f135831-5bbe-4924-9016-264044c00788"
WINDOWS_365_NETWORK_USER = "7eabc9a4-85f7-4f71-b8ab-75daaccc1033"
WINDOWS_365_APP_ID = "0af06dc6-e4b5-4f28-818e-e78e62d137a5"
CUSTOM_ROLE_NAME = "Cloud PC provisioning"
CUSTOM_ROLE_DESCRIPTION = "What the Cloud PC provisioning service does in a customer's subscription, and no more."


@dataclass(frozen=True)
class AzureAction:
    action: str
    scope: ActionScope
    reason: str


@dataclass(frozen=True)
class ServiceRole:
    """A built-in role the customer's admin gives another service's principal, which the app's work relies on."""

    name: str
    role_definition_id: str  # the built-in role's GUID
    app_id: str  # the service's application id, the same in every tenant
    principal_name: str
    scope: ServiceRoleScope
    reason: str
    # the service's own check that fails without it (its display name) and that failure's errorType: where the service
    # tells whether its principal holds the role, as Windows 365's connection health checks do
    checked_by: str | None = None
    error_type: str | None = None


@dataclass(frozen=True)
class BuiltInRole:
    """A built-in role that covers part of the app's actions, for admins who prefer them to the custom role."""

    name: str
    role_definition_id: str  # the built-in role's GUID
    scope: ActionScope
    over_grants: str  # what it allows beyond the app's actions, from Microsoft's published definition


def _actions(scope: ActionScope, reason: str, *actions: str) -> tuple[AzureAction, ...]:
    return tuple(AzureAction(action, scope, reason) for action in actions)


AZURE_ACTIONS: tuple[AzureAction, ...] = (
    *_actions(
        "subscription",
        "checks a region's VM sizes and vCPU quota before it creates VMs",
        "Microsoft.Compute/skus/read",
        "Microsoft.Compute/locations/usages/read",
    ),
    *_actions(
        "subscription",
        "follows the long-running operations of its VM, NIC and image writes",
        "Microsoft.Compute/locations/operations/read",
        "Microsoft.Network/locations/operations/read",
    ),
    *_actions(
        "subscription",
        "lists a subscription's resource groups and networks for a site and a connection, and checks a site's group",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Network/virtualNetworks/read",
        "Microsoft.Network/virtualNetworks/usages/read",
    ),
    *_actions(
        "subscription",
        "lists the managed images and gallery image versions a device image can be imported from",
        "Microsoft.Compute/images/read",
        "Microsoft.Compute/galleries/read",
        "Microsoft.Compute/galleries/images/read",
        "Microsoft.Compute/galleries/images/versions/read",
    ),
    *_actions(
        "subscription",
        "lists the marketplace images of a site's region an image set can start from",
        "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read",
    ),
    *_actions(
        "resourceGroup",
        "creates, resizes, restarts and deletes the VMs of Cloud PCs and session hosts",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.Compute/virtualMachines/read",
        "Microsoft.Compute/virtualMachines/write",
        "Microsoft.Compute/virtualMachines/delete",
        "Microsoft.Compute/virtualMachines/instanceView/read",
        "Microsoft.Compute/virtualMachines/start/action",
        "Microsoft.Compute/virtualMachines/restart/action",
        "Microsoft.Compute/virtualMachines/deallocate/action",
        "Microsoft.Compute/disks/write",
    ),
    *_actions(
        "resourceGroup",
        "reads each Cloud PC VM's CPU and free memory (Azure Monitor) for the right-sizing report",
        "Microsoft.Insights/metrics/read",
    ),
    *_actions(
        "resourceGroup",
        "joins VMs to the domain, enrolls them and configures them after provisioning",
        "Microsoft.Compute/virtualMachines/extensions/write",
        "Microsoft.Compute/virtualMachines/runCommands/read",
        "Microsoft.Compute/virtualMachines/runCommands/write",
    ),
    *_actions(
        "resourceGroup",
        "makes the virtual network of a Microsoft-hosted network in the site's group",
        "Microsoft.Network/virtualNetworks/read",
        "Microsoft.Network/virtualNetworks/write",
        "Microsoft.Network/virtualNetworks/subnets/join/action",
    ),
    *_actions(
        "resourceGroup",
        "makes and removes each VM's network interface",
        "Microsoft.Network/networkInterfaces/read",
        "Microsoft.Network/networkInterfaces/write",
        "Microsoft.Network/networkInterfaces/delete",
        "Microsoft.Network/networkInterfaces/join/action",
    ),
    *_actions(
        "resourceGroup",
        "builds image sets: captures a VM into a gallery image version, reads managed images",
        "Microsoft.Compute/virtualMachines/generalize/action",
        "Microsoft.Compute/images/read",
        "Microsoft.Compute/galleries/read",
        "Microsoft.Compute/galleries/write",
        "Microsoft.Compute/galleries/images/read",
        "Microsoft.Compute/galleries/images/write",
        "Microsoft.Compute/galleries/images/delete",
        "Microsoft.Compute/galleries/images/versions/read",
        "Microsoft.Compute/galleries/images/versions/write",
        "Microsoft.Compute/galleries/images/versions/delete",
    ),
    *_actions(
        "resourceGroup",
        "makes the host pools, application groups and workspaces of Spot Groups",
        "Microsoft.DesktopVirtualization/hostpools/read",
        "Microsoft.DesktopVirtualization/hostpools/write",
        "Microsoft.DesktopVirtualization/hostpools/delete",
        "Microsoft.DesktopVirtualization/hostpools/retrieveRegistrationToken/action",
        "Microsoft.DesktopVirtualization/hostpools/sessionhosts/read",
        "Microsoft.DesktopVirtualization/hostpools/sessionhosts/write",
        "Microsoft.DesktopVirtualization/hostpools/sessionhosts/delete",
        "Microsoft.DesktopVirtualization/applicationgroups/read",
        "Microsoft.DesktopVirtualization/applicationgroups/write",
        "Microsoft.DesktopVirtualization/applicationgroups/delete",
        "Microsoft.DesktopVirtualization/workspaces/read",
        "Microsoft.DesktopVirtualization/workspaces/write",
        "Microsoft.DesktopVirtualization/workspaces/delete",
    ),
    *_actions(
        "resourceGroup",
        "lists the users' sessions on Spot Group hosts, sends them messages, disconnects them and logs them off",
        "Microsoft.DesktopVirtualization/hostpools/usersessions/read",
        "Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/read",
        "Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/delete",
        "Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/disconnect/action",
        "Microsoft.DesktopVirtualization/hostpools/sessionhosts/usersessions/sendMessage/action",
    ),
    *_actions(
        "resourceGroup",
        "gives each user the VM sign-in role on their own Cloud PC, and takes it back",
        "Microsoft.Authorization/roleAssignments/read",
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "Microsoft.Authorization/permissions/read",
    ),
    *_actions(
        "network",
        "places each VM's network interface in the connection's subnet and checks the network's health",
        "Microsoft.Network/virtualNetworks/read",
        "Microsoft.Network/virtualNetworks/subnets/join/action",
        "Microsoft.Network/virtualNetworks/usages/read",
        "Microsoft.Authorization/permissions/read",
    ),
)

# the built-in alternative to the custom role, and what each grants beyond the app's actions
BUILT_IN_ROLES: tuple[BuiltInRole, ...] = (
    BuiltInRole(
        "Virtual Machine Contributor",
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
        "resourceGroup",
        "every VM, scale set, availability set and disk action, reading storage account keys, backup vault writes, "
        "serial console; and not the gallery or managed image actions, which need another role",
    ),
    BuiltInRole(
        "Network Contributor",
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        "network",
        "every Microsoft.Network action: the whole network can be changed or deleted",
    ),
    BuiltInRole(
        "Desktop Virtualization Contributor",
        "082f0a83-3be5-4ba1-904c-961cca79b387",
        "resourceGroup",
        "every Microsoft.DesktopVirtualization action and resource deployments",
    ),
    BuiltInRole(
        "Role Based Access Control Administrator",
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "resourceGroup",
        "assigning any role, Owner included: narrow it with a condition to the two VM sign-in roles, or use "
        "Virtual Machine Data Access Administrator, which may assign only those",
    ),
    BuiltInRole(
        "Reader",
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "subscription",
        "reading every resource of the subscription (*/read)",
    ),
)


# Under an Azure Lighthouse delegation the app holds built-in roles only (never a custom role, never Owner, no role
# with DataActions: https://learn.microsoft.com/azure/lighthouse/concepts/tenants-users-roles), each at the scope of
# the delegation's assignment; one role per kind of scope, the narrowest built-in role that covers its actions
# (Microsoft's published definitions): Reader covers every subscription-scope action (all reads); a site's group needs
# Contributor, as the gallery writes leave no narrower built-in role; a network's group, Network Contributor.
LIGHTHOUSE_ROLES: tuple[BuiltInRole, ...] = (
    BuiltInRole("Reader", READER, "subscription", "reading every resource of the subscription (*/read)"),
    BuiltInRole(
        "Contributor",
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "resourceGroup",
        "every action in the site's resource group but access control (a delegation never lets the app assign roles)",
    ),
    BuiltInRole(
        "Network Contributor",
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        "network",
        "every Microsoft.Network action in the network's resource group",
    ),
)
# What gives users their roles, which no delegation can (a Lighthouse delegation's User Access Administrator assigns
# roles to managed identities only, same page): the app's registration in the customer's tenant keeps these actions
# at each site's group, through Role Based Access Control Administrator with the condition that narrows it to the
# roles the app gives (assignment_condition)
USER_ROLES_ROLE = "Role Based Access Control Administrator"
USER_ROLES_ROLE_ID = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
USER_ROLES_ACTIONS = (
    "Microsoft.Authorization/roleAssignments/read",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleAssignments/delete",
)


def lighthouse_roles(kinds: tuple[ActionScope, ...]) -> tuple[BuiltInRole, ...]:
    """The built-in roles a delegation gives the app at a scope of these kinds: Contributor takes in a network's
    needs where the group is a site's too."""
    wanted = {kind for kind in kinds if not (kind == "network" and "resourceGroup" in kinds)}
    return tuple(role for role in LIGHTHOUSE_ROLES if role.scope in wanted)


# roles given to services other than the app: listed on the onboarding report where the app's work needs them
SERVICE_ROLES: tuple[ServiceRole, ...] = (
    ServiceRole(
        "Desktop Virtualization Power On Contributor",
        POWER_ON_CONTRIBUTOR,
        AZURE_VIRTUAL_DESKTOP_APP_ID,
        "Azure Virtual Desktop",
        "resourceGroup",
        "lets Azure Virtual Desktop start a personal desktop when its user connects (Start VM on Connect) once power "
        "rules have put it to sleep: a personal Spot Group's host, or a Cloud PC of a policy with power rules; needed "
        "on the resource group of each site that holds one",
    ),
)
# Windows 365's, asked of a `windows365` tenant where its connections (and its sites' networks, which a connection
# uses) and its custom images' sources are; without one, Windows 365's own check fails with its errorType
# (https://learn.microsoft.com/windows-365/enterprise/troubleshoot-azure-network-connection, "First party app
# permissions"; the health check names, https://learn.microsoft.com/windows-365/enterprise/health-checks)
WINDOWS365_ROLES: tuple[ServiceRole, ...] = (
    ServiceRole(
        "Reader",
        READER,
        WINDOWS_365_APP_ID,
        "Windows 365",
        "subscription",
        "lets Windows 365 read the subscription of an Azure network connection and of a custom image's source; "
        'without it the connection fails its check "First party app permissions exist on Azure subscription" '
        "(permissionCheckNoSubscriptionReaderRole) and an image upload fails (sourceImageNotFound)",
        "First party app permissions exist on Azure subscription",
        "permissionCheckNoSubscriptionReaderRole",
    ),
    ServiceRole(
        "Windows 365 Network Interface Contributor",
        WINDOWS_365_NETWORK_INTERFACE_CONTRIBUTOR,
        WINDOWS_365_APP_ID,
        "Windows 365",
        "resourceGroup",
        "lets Windows 365 make the Cloud PCs' network interfaces in the connection's resource group; without it the "
        'connection fails its check "First party app permissions exist on Azure resource group" '
        "(permissionCheckNoWindows365NetworkInterfaceContributorRole)",
        "First party app permissions exist on Azure resource group",
        "permissionCheckNoWindows365NetworkInterfaceContributorRole",
    ),
    ServiceRole(
        "Windows 365 Network User",
        WINDOWS_365_NETWORK_USER,
        WINDOWS_365_APP_ID,
        "Windows 365",
        "virtualNetwork",
        "lets Windows 365 join those network interfaces to the connection's virtual network; without it the "
        'connection fails its check "First party app permissions exist on Azure virtual network" '
        "(permissionCheckNoWindows365NetworkUserRole)",
        "First party app permissions exist on Azure virtual network",
        "permissionCheckNoWindows365NetworkUserRole",
    ),
)


def actions_at(scope: ActionScope) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.action for a in AZURE_ACTIONS if a.scope == scope))


def custom_role(subscription_ids: list[str]) -> dict[str, Any]:
    """The custom role with exactly the app's actions, as `az role definition create --role-definition` takes it."""
    return {
        "Name": CUSTOM_ROLE_NAME,
        "IsCustom": True,
        "Description": CUSTOM_ROLE_DESCRIPTION,
        "Actions": list(dict.fromkeys(a.action for a in AZURE_ACTIONS)),
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": [f"/subscriptions/{s}" for s in sorted(set(subscription_ids))],
    }


def custom_role_properties(assignable_scopes: list[str]) -> dict[str, Any]:
    """The same role as ARM's role definition properties take it (a PUT of Microsoft.Authorization/roleDefinitions)."""
    role = custom_role([])
    return {
        "roleName": role["Name"],
        "description": role["Description"],
        "type": "CustomRole",
        "permissions": [{"actions": role["Actions"], "notActions": [], "dataActions": [], "notDataActions": []}],
        # ARM scopes are case-insensitive: a scope named twice in two spellings is one
        "assignableScopes": sorted({scope.lower(): scope for scope in assignable_scopes}.values(), key=str.lower),
    }


def assignment_condition() -> str:
    """The condition (ABAC, version 2.0) that narrows the role's assignment writes and deletes to the roles the app
    gives, so that it can never grant Owner (https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-portal)."""
    roles = ", ".join(ASSIGNED_ROLES)
    attribute = "Microsoft.Authorization/roleAssignments:RoleDefinitionId"
    return " AND ".join(
        f"((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{verb}'}})) OR "
        f"(@{source}[{attribute}] ForAnyOfAnyValues:GuidEquals{{{roles}}}))"
        for verb, source in (("write", "Request"), ("delete", "Resource"))
    )


def custom_role_command(subscription_ids: list[str]) -> str:
    return f"az role definition create --role-definition '{json.dumps(custom_role(subscription_ids))}'"

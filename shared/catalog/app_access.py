"""What the app needs in a customer's tenant: Graph application permissions and Azure roles, each with its reason.

One list, read by the onboarding report (`shared/services/onboarding.py`) and said in the README's deploy section.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GraphPermission:
    name: str  # an application permission (app role) of Microsoft Graph
    reason: str


@dataclass(frozen=True)
class AzureRole:
    name: str
    role_definition_id: str  # the built-in role's GUID
    actions: tuple[str, ...]  # what the app does with it, as ARM's permissions name actions
    reason: str


GRAPH_PERMISSIONS: tuple[GraphPermission, ...] = (
    GraphPermission("User.Read.All", "reads the users in assigned groups and the licenses they hold"),
    GraphPermission("GroupMember.Read.All", "reads the members of the groups policies are assigned to"),
    GraphPermission("Device.ReadWrite.All", "removes the Entra device of a Cloud PC or session host that goes"),
    GraphPermission(
        "DeviceManagementManagedDevices.ReadWrite.All", "enrolls Cloud PCs in Intune and retires them when they go"
    ),
    GraphPermission("LicenseAssignment.ReadWrite.All", "moves a user's Windows 365 license when a Cloud PC is resized"),
)

# on each site's resource group (the site's subscription also works)
AZURE_ROLES: tuple[AzureRole, ...] = (
    AzureRole(
        "Virtual Machine Contributor",
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
        ("Microsoft.Compute/virtualMachines/write", "Microsoft.Compute/virtualMachines/delete"),
        "creates, resizes, restarts and deletes the VMs of Cloud PCs and session hosts",
    ),
    AzureRole(
        "Network Contributor",
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        ("Microsoft.Network/networkInterfaces/write", "Microsoft.Network/virtualNetworks/subnets/join/action"),
        "makes each VM's network interface in the site's subnet",
    ),
    AzureRole(
        "Desktop Virtualization Contributor",
        "082f0a83-3be5-4ba1-904c-961cca79b387",
        ("Microsoft.DesktopVirtualization/hostPools/write",),
        "makes the host pools, application groups and workspaces of Spot Groups",
    ),
    AzureRole(
        "Role Based Access Control Administrator",
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        ("Microsoft.Authorization/roleAssignments/write",),
        "gives each user the VM sign-in role on their own Cloud PC (limit it to the two VM sign-in roles)",
    ),
)

"""Windows 365's own access to the customer's Azure: the built-in roles its service principal (consent.py's first-party
app) must hold for an Azure network connection and for a custom image upload, and whether it holds them.

What Windows 365 needs (https://learn.microsoft.com/windows-365/enterprise/customer-permissions and
https://learn.microsoft.com/windows-365/enterprise/role-based-access): Reader on the subscription, Windows 365 Network
Interface Contributor on the connection's resource group, Windows 365 Network User on its virtual network; for an
image upload, Reader on the image's subscription. The connection's health checks look for these very roles
(https://learn.microsoft.com/windows-365/enterprise/troubleshoot-azure-network-connection, "First party app
permissions"), assigned at the scope or above; Microsoft's page for Power Automate's hosted machines, which run on
Windows 365, asks for them "even if other roles with the same or higher permissions are already assigned"
(https://learn.microsoft.com/power-automate/desktop-flows/hosted-machines), so an Owner or Contributor assignment
does not pass them. Windows 365 assigns them itself only when
a signed-in subscription Owner makes the connection in the Intune admin center; an app calling Graph is not one, so
here they are always the customer admin's to assign. Each check happens when it runs, so an assignment made or removed
since counts at once.
"""

from __future__ import annotations

from azure_emulator.arm import rbac
from azure_emulator.consent import WINDOWS_365_APP_ID
from azure_emulator.server import Context
from azure_emulator.tokens import principal_id

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
NETWORK_INTERFACE_CONTRIBUTOR = "1f135831-5bbe-4924-9016-264044c00788"  # Windows 365 Network Interface Contributor
NETWORK_USER = "7eabc9a4-85f7-4f71-b8ab-75daaccc1033"  # Windows 365 Network User


def holds(ctx: Context, tenant: str, role_guid: str, scope: str) -> bool:
    """Whether Windows 365's service principal in the tenant holds the built-in role at `scope` or above."""
    windows365 = principal_id(tenant, WINDOWS_365_APP_ID)
    return any(
        rbac.definition_id_guid(str(assignment["properties"]["roleDefinitionId"])) == role_guid
        for assignment in rbac.assignments_of(ctx, windows365, scope)
    )

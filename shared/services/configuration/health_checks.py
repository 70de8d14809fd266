"""Connection health checks: which run for a connection type, where they run, their names, and how they add up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.models.connections import CheckStatus, HealthCheck


@dataclass(frozen=True)
class CheckSpec:
    name: str  # also the Run Command's name for a check that runs inside the network
    display_name: str
    default_error: str
    hybrid_only: bool = False
    warning_only: bool = False  # a failure of this check only warns
    in_network: bool = False  # runs inside the connection's subnet, on the run's probe VM


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "dnsResolution",
        "DNS can resolve Active Directory domain",
        "dnsCheckFqdnNotFound",
        hybrid_only=True,
        in_network=True,
    ),
    CheckSpec(
        "adDomainJoin",
        "Active Directory domain join",
        "adJoinCheckIncorrectCredentials",
        hybrid_only=True,
        in_network=True,
    ),
    CheckSpec(
        "endpointConnectivity", "Endpoint connectivity", "endpointConnectivityCheckUrlNotAllowListed", in_network=True
    ),
    CheckSpec("subnetIpUsage", "Azure subnet IP address usage", "resourceAvailabilityCheckNoSubnetIP"),
    CheckSpec(
        "virtualNetworkReadiness",
        "Azure virtual network readiness",
        "resourceAvailabilityCheckUnsupportedVNetRegion",
    ),
    CheckSpec(
        "subscriptionPermissions",
        "First party app permissions exist on Azure subscription",
        "permissionCheckNoSubscriptionReaderRole",
    ),
    CheckSpec(
        "entraDeviceSync",
        "Microsoft Entra device sync",
        "azureAdDeviceSyncCheckDeviceNotFound",
        hybrid_only=True,
        warning_only=True,
        in_network=True,
    ),
)
CHECKS_BY_NAME = {check.name: check for check in CHECKS}
# the checks only Windows 365 runs, by their display name (https://learn.microsoft.com/windows-365/enterprise/health-checks):
# a mirrored result keeps a name of the app's vocabulary
WINDOWS365_CHECK_NAMES = {
    "First party app permissions exist on Azure resource group": "resourceGroupPermissions",
    "First party app permissions exist on Azure virtual network": "virtualNetworkPermissions",
}
SEVERITY: dict[CheckStatus, int] = {
    "passed": 0,
    "informational": 0,
    "warning": 1,
    "pending": 2,
    "running": 3,
    "failed": 4,
}
RECOMMENDED_ACTIONS = {
    "dnsCheckFqdnNotFound": "Make sure the virtual network's DNS servers can resolve the Active Directory domain.",
    "dnsCheckNameWithInvalidCharacter": "Check the spelling of the Active Directory domain name.",
    "adJoinCheckIncorrectCredentials": "Check the domain-join user name and password, then update the connection.",
    "adJoinCheckOrganizationalUnitNotFound": "Check that the organizational unit exists in the domain.",
    "adJoinCheckUserInsufficientPermissions": "Grant the domain-join account rights to create computer objects.",
    "adJoinCheckAccessDenied": "Grant the domain-join account rights to create computer objects in the OU.",
    "adJoinCheckServerNotOperational": "Make sure a domain controller is reachable from the subnet.",
    "adJoinCheckUnknownError": "Check the domain, the OU and the join account, then run the checks again.",
    "endpointConnectivityCheckUrlNotAllowListed": "Allow the Windows 365 endpoints through your firewall or proxy.",
    "endpointConnectivityCheckAzureADUrlNotAllowListed": "Allow the Microsoft Entra ID endpoints.",
    "endpointConnectivityCheckIntuneUrlNotAllowListed": "Allow the Intune endpoints (manage.microsoft.com).",
    "endpointConnectivityCheckWVDUrlNotAllowListed": "Allow the Azure Virtual Desktop endpoints (*.wvd.microsoft.com).",
    "resourceAvailabilityCheckNoSubnetIP": "Free IP addresses in the subnet or use a larger subnet.",
    "resourceAvailabilityCheckUnsupportedVNetRegion": "Use a virtual network in a region Windows 365 supports.",
    "resourceAvailabilityCheckVNetInvalid": "Check that the network and subnet exist, in the site's region.",
    "resourceAvailabilityCheckResourceGroupInvalid": "Check that the virtual network's resource group exists.",
    "resourceAvailabilityCheckSubnetDelegationFailed": "Remove the delegation from the subnet.",
    "permissionCheckNoSubscriptionReaderRole": "Grant the Windows 365 app the Reader role on the subscription.",
    "permissionCheckNoResourceGroupNetworkContributorRole": "Grant the app Network Contributor on the resource group.",
    "permissionCheckNoVNetContributorRole": "Grant the app Network Contributor on the virtual network.",
    "permissionCheckNoWindows365NetworkInterfaceContributorRole": "Assign the Windows 365 service principal the "
    "Windows 365 Network Interface Contributor role on the resource group (see the tenant's onboarding report).",
    "permissionCheckNoWindows365NetworkUserRole": "Assign the Windows 365 service principal the Windows 365 Network "
    "User role on the virtual network (see the tenant's onboarding report).",
    "azureAdDeviceSyncCheckScpNotConfigured": "Configure the hybrid join service connection point.",
    "internalServerErrorAllocateResourceFailed": "The check VM could not be made in the subnet; run the checks again.",
    "azureAdDeviceSyncCheckDeviceNotFound": "Check that Microsoft Entra Connect syncs the organizational unit.",
}
DEFAULT_ACTION = "Review the connection's settings and run the health checks again."


def checks_for(connection_type: str) -> list[CheckSpec]:
    return [c for c in CHECKS if connection_type == "hybridAzureADJoin" or not c.hybrid_only]


def in_network(check: str) -> bool:
    """Whether the check runs on the run's probe VM (unknown names: no)."""
    spec = CHECKS_BY_NAME.get(check)
    return spec is not None and spec.in_network


def pending_checks(connection_type: str) -> list[HealthCheck]:
    return [
        HealthCheck(name=c.name, display_name=c.display_name, status="pending") for c in checks_for(connection_type)
    ]


def overall_status(checks: Iterable[HealthCheck]) -> CheckStatus:
    """The worst status of the checks; a connection with no result yet is pending."""
    statuses = [check.status for check in checks]
    if not statuses:
        return "pending"
    worst = max(statuses, key=lambda status: SEVERITY[status])
    return "passed" if worst == "informational" else worst


def finish_check(
    spec: CheckSpec, status: CheckStatus, error_type: str | None, action: str | None
) -> tuple[CheckStatus, str | None, str | None]:
    """Apply the check's severity and fill in the advice an admin sees."""
    if status == "failed":
        error_type = error_type or spec.default_error
        if spec.warning_only:
            status = "warning"
        return status, error_type, action or RECOMMENDED_ACTIONS.get(error_type, DEFAULT_ACTION)
    return status, None, None

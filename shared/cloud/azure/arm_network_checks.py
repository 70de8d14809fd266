"""NetworkChecks over ARM: control-plane checks read ARM; in-network checks are Run Commands on a probe VM.

Control plane: `virtualNetworkReadiness` (the network and subnet exist, in the site's region, which Windows
365 supports; the subnet is not delegated), `subnetIpUsage` (the subnet has free addresses: the network's
usages), `subscriptionPermissions` (the app may read the subscription, make NICs and VMs in the resource
group and join the subnet: ARM's permissions at the resource group and the network).
In the network: `dnsResolution`, `adDomainJoin`, `endpointConnectivity`, `entraDeviceSync` run their scripts
(shared.cloud.azure.arm_check_scripts) on the run's probe VM in the connection's subnet; the join account's
password is read from the secret store and sent only as a protected parameter. Every answer is immediate:
a Run Command still running, or a throttled read, is a `running` outcome to ask again.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from azure.core.exceptions import HttpResponseError

from shared.cloud.azure import arm_check_scripts, arm_lro
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_commands import RunCommands
from shared.cloud.azure.arm_compute import AzureProvisioningCompute
from shared.cloud.azure.arm_ids import parse_id
from shared.cloud.azure.arm_probe import Probe, ProbeVms
from shared.models.regions import REGION_NAMES
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import Placement
from shared.ports.network_checks import CheckOutcome, NetworkTarget
from shared.ports.progress import Progress
from shared.ports.secret_store import SecretStore

MIN_FREE_ADDRESSES = 1
GROUP_ACTIONS = (
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Network/networkInterfaces/write",
    "Microsoft.Compute/virtualMachines/write",
)
VNET_ACTIONS = ("Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/subnets/join/action")
NOT_FOUND = {"ResourceGroupNotFound": "resourceAvailabilityCheckResourceGroupInvalid"}


class AzureNetworkChecks:
    """Implements NetworkChecks (shared.ports.network_checks)."""

    def __init__(self, clients: ArmClients, secrets: SecretStore) -> None:
        self._clients = clients
        compute = AzureProvisioningCompute(clients)
        self._probes = ProbeVms(compute)
        self._commands = RunCommands(clients)
        self._secrets = secrets

    def run_check(
        self, tenant_id: str, check: str, target: NetworkTarget, operation: str | None = None
    ) -> CheckOutcome:
        try:
            try:
                match check:
                    case "virtualNetworkReadiness":
                        return self._network_ready(tenant_id, target)
                    case "subnetIpUsage":
                        return self._free_addresses(tenant_id, target)
                    case "subscriptionPermissions":
                        return self._permissions(tenant_id, target)
                    case "dnsResolution" | "adDomainJoin" | "endpointConnectivity" | "entraDeviceSync":
                        return self._in_network(tenant_id, check, target, operation)
            except HttpResponseError as exc:
                if exc.status_code == 404:
                    code = NOT_FOUND.get(arm_lro.error_code(exc), "resourceAvailabilityCheckVNetInvalid")
                    return CheckOutcome("failed", error_type=code)
                if exc.status_code == 403:
                    return CheckOutcome("failed", error_type="permissionCheckNoSubscriptionReaderRole")
                arm_lro.raise_for(exc, check)
        except arm_lro.Throttled as exc:
            return CheckOutcome("running", retry_after_s=exc.retry_after_s, operation=operation)
        except CloudError as exc:
            return CheckOutcome("failed", error_type=exc.code)
        raise ValueError(f"unknown connection health check {check}")

    # --- the probe --------------------------------------------------------------------------------------
    @arm_lro.hand_back("prepareProbe")
    def prepare_probe(self, tenant_id: str, target: NetworkTarget, operation: str | None = None) -> Progress:
        if not target.subnet_id:
            raise CloudError("prepareProbe", "SubnetRequired", "The connection names no subnet.")
        return self._probes.ensure(
            tenant_id, _placement(target), _probe(tenant_id, target), target.subnet_id, "prepareProbe", operation
        )

    @arm_lro.hand_back("removeProbe")
    def remove_probe(self, tenant_id: str, target: NetworkTarget, operation: str | None = None) -> Progress:
        return self._probes.remove(tenant_id, _placement(target), _probe(tenant_id, target), operation)

    # --- control plane ----------------------------------------------------------------------------------
    def _network_ready(self, tenant_id: str, target: NetworkTarget) -> CheckOutcome:
        ids = _network_ids(target)
        network = self._clients.network(tenant_id, ids["subscriptions"])
        vnet = dict(network.virtual_networks.get(ids["resourcegroups"], ids["virtualnetworks"]))
        location = str(vnet.get("location") or "").lower()
        if location not in REGION_NAMES:
            return CheckOutcome("failed", error_type="resourceAvailabilityCheckUnsupportedVNetRegion")
        props = vnet.get("properties") or {}
        wanted = str(target.subnet_id).lower()
        subnet = next((s for s in props.get("subnets") or [] if str(s.get("id", "")).lower() == wanted), None)
        if location != target.region_name.lower() or subnet is None or props.get("provisioningState") != "Succeeded":
            return CheckOutcome("failed", error_type="resourceAvailabilityCheckVNetInvalid")
        if (subnet.get("properties") or {}).get("delegations"):
            return CheckOutcome("failed", error_type="resourceAvailabilityCheckSubnetDelegationFailed")
        return CheckOutcome("passed")

    def _free_addresses(self, tenant_id: str, target: NetworkTarget) -> CheckOutcome:
        ids = _network_ids(target)
        network = self._clients.network(tenant_id, ids["subscriptions"])
        rows = network.virtual_networks.list_usage(ids["resourcegroups"], ids["virtualnetworks"])
        row = next((r for r in rows if str(r.get("id", "")).lower() == str(target.subnet_id).lower()), None)
        if row is None:
            return CheckOutcome("failed", error_type="resourceAvailabilityCheckVNetInvalid")
        if float(row["limit"]) - float(row["currentValue"]) < MIN_FREE_ADDRESSES:
            return CheckOutcome("failed", error_type="resourceAvailabilityCheckNoSubnetIP")
        return CheckOutcome("passed")

    def _permissions(self, tenant_id: str, target: NetworkTarget) -> CheckOutcome:
        ids = _network_ids(target)
        authorization = self._clients.authorization(tenant_id, ids["subscriptions"])
        group = list(authorization.permissions.list_for_resource_group(target.resource_group))
        if not permissions_allow(group, GROUP_ACTIONS[:1]):
            return CheckOutcome("failed", error_type="permissionCheckNoSubscriptionReaderRole")
        if not permissions_allow(group, GROUP_ACTIONS[1:]):
            return CheckOutcome("failed", error_type="permissionCheckNoResourceGroupNetworkContributorRole")
        on_vnet = list(
            authorization.permissions.list_for_resource(
                ids["resourcegroups"], "Microsoft.Network", "", "virtualNetworks", ids["virtualnetworks"]
            )
        )
        if not permissions_allow(on_vnet, VNET_ACTIONS):
            return CheckOutcome("failed", error_type="permissionCheckNoVNetContributorRole")
        return CheckOutcome("passed")

    # --- in the network ---------------------------------------------------------------------------------
    def _in_network(self, tenant_id: str, check: str, target: NetworkTarget, operation: str | None) -> CheckOutcome:
        domain = target.ad_domain_name or ""
        parameters: dict[str, str] = {}
        protected: dict[str, str] = {}
        if check in ("adDomainJoin", "entraDeviceSync"):
            password = self._password(target)
            if password is None:
                return CheckOutcome("failed", error_type="adJoinCheckIncorrectCredentials")
            parameters = {"Domain": domain, "User": target.ad_domain_username or ""}
            protected = {"Password": password}
        match check:
            case "dnsResolution":
                script, parameters = arm_check_scripts.DNS_RESOLUTION, {"Domain": domain}
            case "adDomainJoin":
                script = arm_check_scripts.AD_DOMAIN_JOIN
                parameters["OrganizationalUnit"] = target.organizational_unit or ""
            case "entraDeviceSync":
                script = arm_check_scripts.ENTRA_DEVICE_SYNC
            case _:
                script = arm_check_scripts.endpoint_connectivity()
        probe = _probe(tenant_id, target)
        ran = self._commands.run(
            tenant_id,
            _placement(target),
            probe.vm_name,
            check,
            script,
            step=check,
            parameters=parameters,
            protected=protected,
            operation=operation,
        )
        if not ran.done:
            return CheckOutcome("running", retry_after_s=ran.retry_after_s, operation=ran.operation)
        return CheckOutcome("passed")

    def _password(self, target: NetworkTarget) -> str | None:
        if not target.password_secret_name:
            return None
        try:
            return self._secrets.get_secret(target.password_secret_name)
        except Exception:  # missing or unreadable: the admin must enter it again, as for a wrong one
            return None


def _placement(target: NetworkTarget) -> Placement:
    return Placement(target.subscription_id, target.resource_group, target.region_name)


def _probe(tenant_id: str, target: NetworkTarget) -> Probe:
    return Probe(f"check/{tenant_id}/{target.probe_key}")


def _network_ids(target: NetworkTarget) -> dict[str, str]:
    ids = parse_id(target.virtual_network_id or "")
    if not all(k in ids for k in ("subscriptions", "resourcegroups", "virtualnetworks")):
        raise CloudError("virtualNetworkReadiness", "resourceAvailabilityCheckVNetInvalid", "No virtual network id.")
    return ids


def permissions_allow(permissions: list[Any], wanted: tuple[str, ...]) -> bool:
    """Whether ARM's permissions (actions minus notActions, with wildcards) grant every wanted action."""

    def granted(action: str) -> bool:
        lowered = action.lower()
        for permission in permissions:
            actions = [a.lower() for a in getattr(permission, "actions", None) or []]
            not_actions = [a.lower() for a in getattr(permission, "not_actions", None) or []]
            if any(fnmatch.fnmatchcase(lowered, a) for a in actions) and not any(
                fnmatch.fnmatchcase(lowered, n) for n in not_actions
            ):
                return True
        return False

    return all(granted(action) for action in wanted)

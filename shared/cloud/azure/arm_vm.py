"""The ARM request bodies of a Cloud PC's (or a probe's) VM with its NIC, and of the hosted network.

- Image: a gallery id `publisher_offer_sku` is a Marketplace image at version `latest`; any ARM id (a managed
  image, a gallery image or one of its versions) is used as `imageReference.id`.
- The VM has a system-assigned identity (Entra join needs it), trusted launch (the images are Gen2), the
  Windows client licence, an OS disk of the plan's size, and its NIC, which the VM's own create makes
  (`networkInterfaceConfigurations`: one ARM write fewer than a NIC PUT first, against ARM's write budget); disk and
  NIC go when the VM is deleted (`deleteOption: Delete`), so a deleted VM never leaves a NIC holding an address in
  the customer's subnet.
- A Spot VM says so (`priority`, `evictionPolicy`, `billingProfile.maxPrice`, -1 for none); a Regular VM sends none
  of them, Azure refusing an eviction policy or a max price on it.
- The local administrator's password is random per VM and never kept: nobody signs in with it (users sign
  in with Entra ID; the app reaches the VM through Run Command), and Azure never shows it again.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from shared.ports.cloud_errors import CloudError
from shared.ports.compute import VmSpec

ADMIN_USERNAME = "cpcadmin"
HOSTED_VNET_PREFIX = "vnet-cloudpcs-"
HOSTED_SUBNET = "cloudpcs"
HOSTED_ADDRESS_SPACE = "10.200.0.0/16"
PASSWORD_LENGTH = 24


def hosted_vnet_name(region: str) -> str:
    """The app's own network for Microsoft-hosted Cloud PCs in a region (one per placement resource group)."""
    return f"{HOSTED_VNET_PREFIX}{region.lower()}"


def hosted_vnet_body(region: str) -> dict[str, Any]:
    return {
        "location": region,
        "properties": {
            "addressSpace": {"addressPrefixes": [HOSTED_ADDRESS_SPACE]},
            "subnets": [{"name": HOSTED_SUBNET, "properties": {"addressPrefix": HOSTED_ADDRESS_SPACE}}],
        },
    }


def image_reference(image_id: str, step: str = "createVm") -> dict[str, Any]:
    if image_id.startswith("/"):
        return {"id": image_id}
    parts = image_id.split("_", 2)
    if len(parts) != 3 or not all(parts):
        raise CloudError(step, "imageNotFound", f"'{image_id}' is neither an ARM image id nor publisher_offer_sku.")
    publisher, offer, sku = parts
    return {"publisher": publisher, "offer": offer, "sku": sku, "version": "latest"}


def random_password() -> str:
    """Azure's rule: 12-123 characters, three of lower, upper, digit, symbol; this one has all four."""
    symbols = "!@#$%^*()-_=+[]{}:,.?"
    alphabet = string.ascii_letters + string.digits + symbols
    required = [
        secrets.choice(group) for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits, symbols)
    ]
    rest = [secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH - len(required))]
    chars = required + rest
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


# the Microsoft.Network API version a VM's own NICs are made with (the VM REST API's `networkApiVersion` values)
NETWORK_API_VERSION = "2020-11-01"


def own_nic(name: str, subnet_id: str) -> dict[str, Any]:
    """A networkProfile whose NIC `name` the VM create makes in `subnet_id`, and whose delete removes it."""
    ip_configuration = {"name": "ipconfig1", "properties": {"subnet": {"id": subnet_id}, "primary": True}}
    return {
        "networkApiVersion": NETWORK_API_VERSION,
        "networkInterfaceConfigurations": [
            {
                "name": name,
                "properties": {"primary": True, "deleteOption": "Delete", "ipConfigurations": [ip_configuration]},
            },
        ],
    }


def vm_body(
    *,
    region: str,
    vm_size: str,
    image: dict[str, Any],
    os_disk_gb: int | None,
    computer_name: str,
    network: dict[str, Any],
    tags: dict[str, str] | None = None,
    license_type: str | None = "Windows_Client",
) -> dict[str, Any]:
    """Windows 10/11 images run under the Windows client licence (`Windows_Client`); a Windows Server probe, none."""
    os_disk: dict[str, Any] = {
        "createOption": "FromImage",
        "caching": "ReadWrite",
        "deleteOption": "Delete",
        "managedDisk": {"storageAccountType": "Premium_LRS"},
    }
    if os_disk_gb:
        os_disk["diskSizeGB"] = os_disk_gb
    body: dict[str, Any] = {
        "location": region,
        "tags": tags or {},
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "hardwareProfile": {"vmSize": vm_size},
            "storageProfile": {"imageReference": image, "osDisk": os_disk},
            "osProfile": {
                "computerName": computer_name,
                "adminUsername": ADMIN_USERNAME,
                "adminPassword": random_password(),
                "windowsConfiguration": {"provisionVMAgent": True, "enableAutomaticUpdates": True},
            },
            "networkProfile": network,
            "securityProfile": {
                "securityType": "TrustedLaunch",
                "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
            },
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
        },
    }
    if license_type:
        body["properties"]["licenseType"] = license_type
    return body


def priority(spec: VmSpec) -> dict[str, Any]:
    """The VM's Spot properties: none for a Regular VM."""
    if spec.priority != "Spot":
        return {}
    found: dict[str, Any] = {
        "priority": "Spot",
        "billingProfile": {"maxPrice": -1 if spec.max_price is None else spec.max_price},
    }
    if spec.eviction_policy is not None:
        found["evictionPolicy"] = spec.eviction_policy
    return found

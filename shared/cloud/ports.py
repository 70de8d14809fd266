"""The ports the domain calls the cloud through: directory, network checks, compute, secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

CheckStatus = Literal["pending", "running", "passed", "failed", "warning", "informational"]


class CloudError(Exception):
    """A cloud call failed; `code` is the provider's error code, `step` the step that failed."""

    def __init__(self, step: str, code: str, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.code = code


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    user_principal_name: str
    display_name: str = ""
    licenses: tuple[str, ...] = ()  # service plan ids; a plan id may repeat (two licenses)


class Directory(Protocol):
    """Entra ID as the provisioning engine reads it (Graph in production)."""

    def get_users(self, tenant_id: str, user_ids: list[str]) -> dict[str, DirectoryUser]:
        """The users that exist among `user_ids`; unknown ids are left out."""
        ...

    def list_group_members(self, tenant_id: str, group_id: str) -> list[str] | None:
        """Direct members' user ids (nested groups are not expanded); None if the group does not exist."""
        ...

    def member_groups(self, tenant_id: str, user_id: str, group_ids: list[str]) -> list[str]:
        """Which of `group_ids` the user is a direct member of (Graph: checkMemberGroups), without listing groups."""
        ...

    def count_licenses(self, tenant_id: str) -> dict[str, int]:
        """Licenses assigned per service plan across the tenant (Graph: subscribedSkus consumedUnits)."""
        ...


@dataclass(frozen=True)
class NetworkTarget:
    """What a connection's health checks look at; the password is fetched by the caller when needed."""

    connection_type: str
    region_name: str
    subscription_id: str
    virtual_network_id: str | None
    subnet_id: str | None
    ad_domain_name: str | None = None
    ad_domain_username: str | None = None
    organizational_unit: str | None = None


@dataclass(frozen=True)
class CheckOutcome:
    status: CheckStatus
    error_type: str | None = None
    recommended_action: str | None = None


class NetworkChecks(Protocol):
    """Runs one named health check of an Azure network connection."""

    def run_check(self, tenant_id: str, check: str, target: NetworkTarget, password: str | None) -> CheckOutcome: ...


@dataclass(frozen=True)
class ManagedImage:
    resource_id: str
    os_type: str = "Windows"
    hyper_v_generation: str = "V2"
    os_state: str = "Generalized"
    os_disk_size_gb: int = 64
    data_disk_count: int = 0
    details: dict[str, str] = field(default_factory=dict)


class Compute(Protocol):
    def get_managed_image(self, tenant_id: str, resource_id: str) -> ManagedImage | None: ...


class SecretStore(Protocol):
    """Write-only secrets such as domain-join passwords (Key Vault in production)."""

    def set_secret(self, name: str, value: str) -> None: ...

    def get_secret(self, name: str) -> str: ...

    def delete_secret(self, name: str) -> None: ...


# --- provisioning ------------------------------------------------------------------------------
# Every provisioning call is idempotent, keyed by a deterministic resource name, and answers with its
# Progress: done, or not yet (a long-running operation or throttling) and when to ask again. The
# orchestrator waits on a durable timer between asks, so no activity slot sits idle while Azure works.


@dataclass(frozen=True)
class Progress:
    done: bool
    retry_after_s: float = 0.0
    resource_id: str | None = None  # the ARM/Graph id of what the call created, once done


@dataclass(frozen=True)
class VmSpec:
    name: str  # deterministic, unique per Cloud PC and provisioning attempt
    region_name: str
    vm_size: str
    image_type: str  # "gallery" | "custom"
    image_id: str  # gallery id (publisher_offer_sku) or managed image resource id
    os_disk_size_gb: int


class ProvisioningCompute(Protocol):
    def allocate_capacity(self, tenant_id: str, region_name: str, vm_size: str, name: str) -> Progress: ...

    def create_vm(self, tenant_id: str, spec: VmSpec) -> Progress: ...

    def delete_vm(self, tenant_id: str, name: str) -> Progress: ...


class ProvisioningNetwork(Protocol):
    def attach_nic(self, tenant_id: str, name: str, vm_name: str, subnet_id: str | None) -> Progress:
        """Create NIC `name` in the subnet (None: the Microsoft-hosted network) and attach it to the VM."""
        ...

    def delete_nic(self, tenant_id: str, name: str) -> Progress: ...


class DeviceDirectory(Protocol):
    """Device objects in Entra ID and, for hybrid join, computer accounts in on-premises AD."""

    def join_device(
        self, tenant_id: str, device_name: str, join_type: str, domain_name: str | None, organizational_unit: str | None
    ) -> Progress: ...

    def delete_device(self, tenant_id: str, device_name: str) -> Progress: ...

    def disable_computer_account(self, tenant_id: str, device_name: str) -> Progress: ...


class DeviceManagement(Protocol):
    """Intune: enrolment, primary user, configuration steps, and the user's assignment."""

    def enroll_device(self, tenant_id: str, device_name: str) -> Progress: ...

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress: ...

    def configure(self, tenant_id: str, device_name: str, step: str, value: str) -> Progress:
        """A post-provisioning step by its name (hideStartMenuPowerIcons, resizeOsDisk, ...)."""
        ...

    def assign_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress: ...

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress: ...

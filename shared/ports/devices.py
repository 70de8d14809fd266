"""A Cloud PC's device: its join to Entra ID or AD, its Intune enrolment and primary user, and the records of both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.ports.compute import Placement
from shared.ports.progress import Progress


@dataclass(frozen=True)
class JoinSpec:
    """How a Cloud PC joins: Entra join, or hybrid join to an AD domain with a connection's credentials."""

    device_name: str
    join_type: str  # "azureADJoin" | "hybridAzureADJoin"
    domain_name: str | None = None
    organizational_unit: str | None = None
    domain_username: str | None = None
    password_secret_name: str | None = None  # the join account's password, read from the secret store


class DeviceDirectory(Protocol):
    """Device objects in Entra ID and, for hybrid join, computer accounts in on-premises AD."""

    def join_device(
        self, tenant_id: str, placement: Placement, vm_name: str, join: JoinSpec, operation: str | None = None
    ) -> Progress:
        """The join extension on the VM, then wait for the Entra device object (hybrid: the synced one)."""
        ...

    def delete_device(self, tenant_id: str, device_name: str) -> Progress: ...

    def disable_computer_account(
        self, tenant_id: str, placement: Placement, join: JoinSpec, subnet_id: str | None, operation: str | None = None
    ) -> Progress:
        """Disable (never delete) the on-premises computer account named `join.device_name`."""
        ...


class DeviceManagement(Protocol):
    """Intune enrolment and primary user (Graph), and the user's right to sign in (an Azure role on the VM)."""

    def enroll_device(
        self, tenant_id: str, placement: Placement, vm_name: str, join: JoinSpec, operation: str | None = None
    ) -> Progress:
        """MDM enrolment (Entra join: the join extension's mdmId), then wait for the Intune managed device."""
        ...

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress: ...

    def assign_user(
        self, tenant_id: str, placement: Placement, vm_name: str, user_id: str, administrator: bool
    ) -> Progress:
        """Virtual Machine User Login (Administrator Login with local admin) for the user on the VM."""
        ...

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress: ...


@dataclass(frozen=True)
class DeviceRecord:
    """An Entra device object; `trust_type` AzureAd (Entra joined) or ServerAd (hybrid joined)."""

    id: str
    account_enabled: bool
    trust_type: str | None


@dataclass(frozen=True)
class ManagedDeviceRecord:
    """An Intune managed device; `primary_user_id` None until one is set, `compliance_state` when Intune has one."""

    id: str
    primary_user_id: str | None
    compliance_state: str | None = None

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

    def list_user_groups(self, tenant_id: str, user_id: str) -> list[str]: ...


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

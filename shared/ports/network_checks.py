"""The health checks of an Azure network connection the app runs itself, on a probe VM in its subnet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.models.connections import CheckStatus
from shared.ports.progress import Progress


@dataclass(frozen=True)
class NetworkTarget:
    """What a connection's health checks look at, and where one check run's probe VM lives.

    The probe (a short-lived VM with a NIC in the subnet) is made in `resource_group` of `subscription_id`, in
    `region_name`, named after `probe_key` (one per connection and run). The domain-join password is read by
    the adapter from the secret store under `password_secret_name`, and goes to Azure as a protected parameter.
    """

    connection_type: str
    region_name: str
    subscription_id: str
    resource_group: str
    virtual_network_id: str | None
    subnet_id: str | None
    probe_key: str = ""
    ad_domain_name: str | None = None
    ad_domain_username: str | None = None
    organizational_unit: str | None = None
    password_secret_name: str | None = None


@dataclass(frozen=True)
class CheckOutcome:
    """A check's result; `running`: not finished, call again after `retry_after_s` passing back `operation`."""

    status: CheckStatus
    error_type: str | None = None
    recommended_action: str | None = None
    retry_after_s: float = 0.0
    operation: str | None = None


class NetworkChecks(Protocol):
    """The health checks of an Azure network connection, each answered without waiting.

    Checks of the control plane read ARM (the network, its free addresses, the app's permissions). Checks
    inside the network (DNS, domain join, endpoints, device sync) run as Run Commands on the run's probe VM,
    which `prepare_probe` makes in the connection's subnet first and `remove_probe` removes afterwards.
    """

    def run_check(
        self, tenant_id: str, check: str, target: NetworkTarget, operation: str | None = None
    ) -> CheckOutcome: ...

    def prepare_probe(self, tenant_id: str, target: NetworkTarget, operation: str | None = None) -> Progress:
        """Done once the probe VM runs in the subnet; CloudError when it cannot be made."""
        ...

    def remove_probe(self, tenant_id: str, target: NetworkTarget, operation: str | None = None) -> Progress:
        """Done once the probe VM, its disk and NIC are gone (also when they never were)."""
        ...

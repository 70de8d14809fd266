"""The `azure` backend: the app builds a tenant's Cloud PCs itself, in the customer's Azure subscription."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.models.sites import Site
from shared.models.tenants import BackendName
from shared.ports.backend_facets import ServiceRoleCheck
from shared.ports.service_role_ports import ServiceRolePorts
from shared.ports.stores import SiteStore
from shared.services.access import azure_scopes
from shared.services.backends.azure_cloud_pcs import AzureCloudPcWork
from shared.services.backends.azure_configuration import AzureConfiguration


class AzureAccess:
    app_needs_azure_roles = True  # the app makes the VMs, disks and network interfaces on the sites' resource groups

    def service_role_checks(
        self,
        ports: ServiceRolePorts,
        tenant_id: str,
        sites: list[Site],
        *,
        consented: bool,
        subscriptions: Sequence[str] = (),
    ) -> list[ServiceRoleCheck]:
        # Start VM on Connect's role is wanted at sites' groups only: a subscription named alone asks nothing of it
        return azure_scopes.asked_of_azure(ports, tenant_id, sites, consented=consented)

    def note_roles_granted(self, store: SiteStore, sites: list[Site], scopes: set[str], at: datetime) -> None:
        """Nothing to keep: the report reads the services' roles from ARM as the app."""


class AzureBackend:
    name: BackendName = "azure"
    serves: frozenset[str] = frozenset()  # all it does, the other backend does too
    configuration: AzureConfiguration = AzureConfiguration()
    cloud_pcs: AzureCloudPcWork = AzureCloudPcWork()
    access: AzureAccess = AzureAccess()


AZURE = AzureBackend()

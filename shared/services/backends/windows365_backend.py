"""The `windows365` backend: Windows 365 provisions a tenant's Cloud PCs, and the app drives and mirrors it through
Graph's Cloud PC API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.models.sites import Site
from shared.models.tenants import BackendName
from shared.ports.backend_facets import ServiceRoleCheck
from shared.ports.service_role_ports import ServiceRolePorts
from shared.ports.stores import SiteStore
from shared.services.backends.windows365_cloud_pcs import Windows365CloudPcWork
from shared.services.backends.windows365_configuration import Windows365Configuration
from shared.services.backends.windows365_roles import note_granted_sites, windows365_role_checks

# user settings are Windows 365's (on the azure backend local admin is a policy field)
USER_SETTING_OPERATIONS = frozenset(
    {
        "createUserSetting",
        "listUserSettings",
        "getUserSetting",
        "updateUserSetting",
        "assignUserSetting",
        "deleteUserSetting",
    }
)


class Windows365Access:
    # Windows 365 works in the customer's Azure as itself (its own service principal, which its connections' health
    # checks verify), never as the app
    app_needs_azure_roles = False

    def service_role_checks(
        self,
        ports: ServiceRolePorts,
        tenant_id: str,
        sites: list[Site],
        *,
        consented: bool,
        subscriptions: Sequence[str] = (),
    ) -> list[ServiceRoleCheck]:
        # Windows 365's own verdicts, consent or not
        return windows365_role_checks(ports, tenant_id, sites, subscriptions)

    def note_roles_granted(self, store: SiteStore, sites: list[Site], scopes: set[str], at: datetime) -> None:
        note_granted_sites(store, sites, scopes, at)  # no app can read Windows 365's roles back later


class Windows365Backend:
    name: BackendName = "windows365"
    serves: frozenset[str] = USER_SETTING_OPERATIONS
    configuration: Windows365Configuration = Windows365Configuration()
    cloud_pcs: Windows365CloudPcWork = Windows365CloudPcWork()
    access: Windows365Access = Windows365Access()


WINDOWS365 = Windows365Backend()

"""Windows 365's own roles in a `windows365` tenant's subscriptions, as Windows 365 last found them: the onboarding
report's word on them (the app holds no Azure role there to read them itself)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.catalog.app_access import WINDOWS365_ROLES, ServiceRole
from shared.errors import PreconditionFailed
from shared.models.sites import Site
from shared.ports.backend_facets import ServiceRoleCheck
from shared.ports.service_role_ports import ServiceRolePorts
from shared.ports.stores import SiteStore
from shared.services.access.azure_scopes import connections_of, resource_group_scope


@dataclass
class _Word:
    """What a service last said of its principal's role at one scope: (when, held) from each of its verdicts."""

    role: ServiceRole
    subscription_id: str
    scope: str
    said: list[tuple[datetime, bool]] = field(default_factory=list)

    def check(self) -> ServiceRoleCheck:
        latest = max(self.said, key=lambda word: word[0], default=None)
        return ServiceRoleCheck(self.role, self.subscription_id, self.scope, None if latest is None else latest[1])


def windows365_role_checks(
    ports: ServiceRolePorts, tenant_id: str, sites: list[Site], subscriptions: Sequence[str] = ()
) -> list[ServiceRoleCheck]:
    """Windows 365's roles where a `windows365` tenant's connections and custom images are, each held or not as
    Windows 365 itself last found it: the app cannot read another principal's role assignments there (it has no Azure
    role in such a tenant), and Windows 365's own verdicts are what the Cloud PCs meet. A connection's finished health
    checks tell of all three (its check of a role passed: held; failed with the role's errorType: not held); an
    uploaded image tells of Reader on its source's subscription (ready: held; failed `sourceImageNotFound`: not, as
    far as the app can tell). The latest word wins; none yet (a run or an upload still going): not known."""
    reader, interfaces, network = WINDOWS365_ROLES
    words: dict[tuple[str, str], _Word] = {}

    def said(role: ServiceRole, subscription_id: str, scope: str, at: datetime | None, held: bool | None) -> None:
        word = words.setdefault((role.name, scope.lower()), _Word(role, subscription_id, scope))
        if at is not None and held is not None:
            word.said.append((at, held))

    groups = {site.id: site.resource_group_name for site in sites}
    for connection in connections_of(ports, tenant_id):
        detail = connection.health_check_status_detail
        sub = connection.subscription_id
        # Windows 365 places the Cloud PCs' network interfaces in the site's resource group (connection_spec)
        group = resource_group_scope(sub, groups.get(connection.site_id, connection.resource_group_name))
        for role, scope in (
            (reader, f"/subscriptions/{sub}"),
            (interfaces, group),
            (network, connection.virtual_network_id or ""),
        ):
            found = next((c for c in detail.health_checks if c.display_name == role.checked_by), None)
            held = None
            if found is not None and found.status == "passed":
                held = True
            elif found is not None and found.status == "failed" and found.error_type == role.error_type:
                held = False
            said(role, sub, scope, (found and found.end_date_time) or detail.end_date_time, held)
    for image in ports.images.list_all_images(tenant_id) if ports.images is not None else []:
        if image.windows365_id is None:  # not uploaded yet: Windows 365 has not looked at its source
            continue
        sub = image.source_image_resource_id.split("/")[2]
        held = True if image.status == "ready" else False if image.error_code == "sourceImageNotFound" else None
        said(reader, sub, f"/subscriptions/{sub}", image.last_modified_date_time, held)
    # a site names where its connections will be: the three are asked for as soon as it exists, since Windows 365
    # checks a connection when it is made but a failed one again only 6 hours later. Held as of the one-step grant
    # that gave them there (the app can read no role in such a tenant); not known otherwise, until Windows 365 says
    for site in sites:
        granted = site.windows365_roles_granted_date_time
        for role, scope in site_scopes(site):
            said(role, site.subscription_id, scope, granted, True if granted is not None else None)
    for sub in subscriptions:  # named before any site: Reader there is asked for, not known until Windows 365 says
        said(reader, sub, f"/subscriptions/{sub}", None, None)
    return [word.check() for word in words.values()]


def site_scopes(site: Site) -> list[tuple[ServiceRole, str]]:
    """Where Windows 365 needs each of its roles for the site's connections: its subscription, its resource group
    (where Windows 365 makes the network interfaces) and its virtual network, when the site names one."""
    reader, interfaces, network = WINDOWS365_ROLES
    sub = site.subscription_id
    network_id = site.virtual_network_id or (site.subnet_id or "").split("/subnets/")[0]
    found = [(reader, f"/subscriptions/{sub}"), (interfaces, resource_group_scope(sub, site.resource_group_name))]
    return [*found, (network, network_id)] if network_id else found


def note_granted_sites(store: SiteStore, sites: list[Site], scopes: set[str], at: datetime) -> None:
    """Each site where the one-step grant saw Windows 365 hold all its roles (`scopes`, lower-cased) keeps when: the
    report's word for them until Windows 365's own checks say otherwise, since the app can read none of them back."""
    for site in sites:
        if {scope.lower() for _, scope in site_scopes(site)} <= scopes:
            stamped = site.model_copy(update={"windows365_roles_granted_date_time": at})
            try:
                store.upsert_site(stamped, if_match=site.etag)
            except PreconditionFailed:  # changed meanwhile: its roles are asked again, as for a new site
                continue

"""Where in a customer's Azure the app works (each subscription, site resource group and network), what it needs
at each scope, and the roles Microsoft's services need there (Start VM on Connect's)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from shared.catalog.app_access import AZURE_ACTIONS, SERVICE_ROLES, ActionScope
from shared.models.connections import Connection
from shared.models.sites import Site
from shared.ports.backend_facets import ServiceRoleCheck
from shared.ports.service_role_ports import ServiceRolePorts


@dataclass(frozen=True)
class ScopeCheck:
    """One ARM scope the app works at, the actions it needs there, and those its roles lack (None: not known)."""

    scope: str
    subscription_id: str
    resource_group: str | None
    actions: tuple[str, ...]
    reasons: tuple[str, ...]
    missing: list[str] | None = None
    kinds: tuple[ActionScope, ...] = ()  # what the app does here: a subscription's, a site group's, a network's


def asked_of_azure(
    ports: ServiceRolePorts, tenant_id: str, sites: list[Site], *, consented: bool
) -> list[ServiceRoleCheck]:
    """The service roles the app's own Cloud PCs need, each held or not as ARM answers (not known without consent)."""
    return [
        replace(
            check,
            held=None
            if not consented
            else ports.access.service_role_held(
                tenant_id, check.subscription_id, check.scope, check.role.app_id, check.role.role_definition_id
            ),
        )
        for check in service_role_scopes(ports, tenant_id, sites)
    ]


def service_role_scopes(ports: ServiceRolePorts, tenant_id: str, sites: list[Site]) -> list[ServiceRoleCheck]:
    """Where a service's role is needed: Start VM on Connect's at the group of each site that holds a personal Spot
    Group whose personal power stops hosts, or Cloud PCs of a policy whose power rules put them to sleep."""
    wanted, token = set(), None
    while ports.spot_groups is not None:
        page, token = ports.spot_groups.list_spot_groups(tenant_id, top=100, skip_token=token)
        wanted |= {
            g.site_id
            for g in page
            if g.personal_power is not None and g.personal_power.stops_hosts and g.user_type == "personal"
        }
        if token is None:
            break
    wanted |= _sleeping_policies_sites(ports, tenant_id, sites)
    groups = {(site.subscription_id, site.resource_group_name.lower()): site for site in sites if site.id in wanted}
    return [
        ServiceRoleCheck(role, sub, resource_group_scope(sub, group))
        for (sub, group) in ((site.subscription_id, site.resource_group_name) for site in groups.values())
        for role in SERVICE_ROLES
    ]


def _sleeping_policies_sites(ports: ServiceRolePorts, tenant_id: str, sites: list[Site]) -> set[str]:
    """The sites a policy with power rules provisions in: its connections' sites, and its hosted regions' (a Cloud PC
    on the hosted network is made in the tenant's first site of its region, build_settings.py)."""
    if ports.policies is None:
        return set()
    found: set[str] = set()
    for policy in ports.policies.list_all_policies(tenant_id):
        if policy.power_rules is None or not policy.power_rules.stops_hosts:
            continue
        for config in policy.domain_join_configurations:
            if config.region_name:
                first = next((s.id for s in sites if s.region_name == config.region_name), None)
                found |= {first} if first is not None else set()
            elif ports.connections is not None and config.on_premises_connection_id:
                connection = ports.connections.find_connection(tenant_id, config.on_premises_connection_id)
                found |= {connection.site_id} if connection is not None else set()
    return found


def resource_group_scope(subscription_id: str, resource_group: str) -> str:
    """A resource group's id, the scope a role is held at."""
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


def connections_of(ports: ServiceRolePorts, tenant_id: str) -> Iterable[Connection]:
    """Every connection of the tenant, page after page."""
    token = None
    while ports.connections is not None:
        page, token = ports.connections.list_connections(tenant_id, top=100, skip_token=token)
        yield from page
        if token is None:
            return


def scopes_of(sites: list[Site], subnets: Sequence[str] = (), subscriptions: Sequence[str] = ()) -> list[ScopeCheck]:
    """Where the app works for these sites: each subscription (the sites' and those the tenant names before any site
    is there, so that the site wizard can list them), each site's group, and the group of each network it places VMs
    in (the sites' and the connections' `subnets`)."""
    wanted: dict[str, ScopeCheck] = {}  # by lower-cased scope: ARM scopes are case-insensitive

    def need(kind: ActionScope, subscription_id: str, resource_group: str | None) -> None:
        scope = f"/subscriptions/{subscription_id}" + (f"/resourceGroups/{resource_group}" if resource_group else "")
        found = wanted.setdefault(scope.lower(), ScopeCheck(scope, subscription_id, resource_group, (), ()))
        items = [item for item in AZURE_ACTIONS if item.scope == kind]
        wanted[scope.lower()] = replace(
            found,
            actions=tuple(dict.fromkeys([*found.actions, *(item.action for item in items)])),
            reasons=tuple(dict.fromkeys([*found.reasons, *(item.reason for item in items)])),
            kinds=tuple(dict.fromkeys([*found.kinds, kind])),
        )

    for site in sites:
        need("subscription", site.subscription_id, None)
        need("resourceGroup", site.subscription_id, site.resource_group_name)
    for subscription_id in subscriptions:  # after the sites: a subscription keeps its sites' spelling
        need("subscription", subscription_id, None)
    for subnet in [*(site.subnet_id for site in sites if site.subnet_id), *subnets]:
        parts = str(subnet).strip("/").split("/")
        need("network", parts[1], parts[3])
    return [wanted[key] for key in sorted(wanted)]


def connection_subnets(ports: ServiceRolePorts, tenant_id: str) -> list[str]:
    return [connection.subnet_id for connection in connections_of(ports, tenant_id) if connection.subnet_id]


def absent_scope_fix(check: ScopeCheck) -> str:
    """A scope ARM does not know, asked with consent given: the group (or subscription) is not there to hold a role."""
    if check.resource_group is None:
        return (
            f"Azure shows the app no subscription {check.subscription_id}: check the subscription id, and that "
            "the subscription is in this customer's tenant."
        )
    return (
        f"Azure knows no resource group {check.resource_group} in subscription {check.subscription_id}: create it "
        f"(az group create --name {check.resource_group} --subscription {check.subscription_id} --location "
        "<the site's region>) or point the site at one that exists; its role can be checked once it does."
    )

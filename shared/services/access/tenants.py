"""Tenant and site administration: create, update and delete with the rules that guard them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from shared.errors import Conflict, ErrorDetail, Unavailable, ValidationFailed
from shared.models.base import is_guid
from shared.models.sites import (
    AzureResourceGroup,
    AzureSubscription,
    Site,
    SiteCreate,
    SiteImage,
    SiteSubnet,
    SiteUpdate,
    SiteVmSize,
)
from shared.models.tenants import ReclaimRule, Tenant, TenantCreate, TenantUpdate
from shared.ports.access_stores import RoleAssignmentStore, TenantStore, UniqueValueStore
from shared.ports.alerts import NoticeSender
from shared.ports.azure_inventory import AzureInventory
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import ConfigurationBackend
from shared.ports.bundles import TenantWatch
from shared.ports.cloud_errors import CloudError
from shared.ports.image_sources import ImageSources
from shared.ports.new_records import NewRecordPorts
from shared.ports.spot_pc_stores import ImageSetStore, SpotGroupStore
from shared.ports.stores import CloudPcStore, ConnectionStore, DeviceImageStore, ListPages, PolicyStore, SiteStore
from shared.services.engine import mail_senders
from shared.services.engine.updates import merge_patch, update_with_etag

ENTRA_TENANT = "entraTenantId"  # the scope of unique Entra tenant ids


class TenantPorts(NewRecordPorts, Protocol):
    """A tenant's registration: its Entra tenant claimed once, its backend changed only while nothing is made on it."""

    @property
    def tenants(self) -> TenantStore: ...
    @property
    def unique(self) -> UniqueValueStore: ...
    @property
    def directory_subscriptions(self) -> TenantWatch | None: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def images(self) -> DeviceImageStore: ...
    @property
    def policies(self) -> PolicyStore: ...
    @property
    def notices(self) -> NoticeSender: ...  # whether the app can send as the reclaim rule's sender


class SitePorts(NewRecordPorts, Protocol):
    """A tenant's sites, and the pick lists of its Azure they are chosen from."""

    @property
    def tenants(self) -> TenantStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def inventory(self) -> AzureInventory: ...
    @property
    def image_sources(self) -> ImageSources: ...  # an image's Hyper-V generation, which a VM size must boot
    @property
    def pages(self) -> ListPages: ...
    @property
    def backends(self) -> BackendChoice[ConfigurationBackend]: ...  # the kinds of image the tenant's takes

    @property
    def connections(self) -> ConnectionStore: ...
    @property
    def images(self) -> DeviceImageStore: ...
    @property
    def image_sets(self) -> ImageSetStore: ...
    @property
    def spot_groups(self) -> SpotGroupStore: ...


def _claim_entra_id(ports: TenantPorts, entra_tenant_id: str | None, tenant_id: str) -> None:
    """One app tenant per Entra tenant, claimed atomically (two racing registrations cannot both win)."""
    if not entra_tenant_id:
        return

    def holds(owner_id: str) -> bool:
        owner = ports.tenants.find_tenant(owner_id)
        return owner is not None and (owner.entra_tenant_id or "").lower() == entra_tenant_id.lower()

    owner = ports.unique.claim(ENTRA_TENANT, entra_tenant_id, tenant_id, holds=holds)
    if owner != tenant_id:
        raise Conflict(
            f"Entra tenant '{entra_tenant_id}' is already registered as tenant '{owner}'.",
            code="alreadyExists",
            target="entraTenantId",
        )


def _release_entra_id(ports: TenantPorts, entra_tenant_id: str | None, tenant_id: str) -> None:
    if entra_tenant_id:
        ports.unique.release(ENTRA_TENANT, entra_tenant_id, tenant_id)


def _check_entra_free(ports: TenantPorts, entra_tenant_id: str | None, tenant_id: str) -> None:
    """For validateOnly: the same answer without claiming."""
    other = ports.tenants.find_tenant_by_entra_id(entra_tenant_id) if entra_tenant_id else None
    if other is not None and other.id != tenant_id:
        raise Conflict(
            f"Entra tenant '{entra_tenant_id}' is already registered as tenant '{other.id}'.",
            code="alreadyExists",
            target="entraTenantId",
        )


def _entra_link_changed(ports: TenantPorts, tenant: Tenant, previous: str | None) -> None:
    """Graph change notifications follow the link; best effort (never raises), the renewal timer catches up."""
    if ports.directory_subscriptions is None or tenant.entra_tenant_id == previous:
        return
    if tenant.entra_tenant_id:
        ports.directory_subscriptions.tenant_linked(tenant, previous)
    else:
        ports.directory_subscriptions.tenant_removed(tenant.id)


def _check_backend_free(ports: TenantPorts, current: Tenant, updated: Tenant) -> None:
    """A tenant's backend changes only while nothing was made with it: its Cloud PCs, connections, device images and
    policies each live in one backend (VMs in the customer's subscription, or Windows 365's own objects) and would be
    stranded by the other."""
    if updated.cloud_pc_backend == current.cloud_pc_backend:
        return
    tenant_id = current.id
    held = {
        "Cloud PCs": sum(ports.cloud_pcs.count_cloud_pcs_by_status(tenant_id).values()),
        "connections": len(ports.connections.list_connections(tenant_id, top=1)[0]),
        "device images": len(ports.images.list_images(tenant_id, top=1)[0]),
        "provisioning policies": len(ports.policies.list_policies(tenant_id, top=1)[0]),
    }
    holding = [name for name, count in held.items() if count]
    if holding:
        raise Conflict(
            f"Tenant '{tenant_id}' still has {', '.join(holding)} on its '{current.cloud_pc_backend}' backend; "
            "deprovision and delete them before it moves to another.",
            code="backendInUse",
            target="cloudPcBackend",
        )


def _check_reclaim_sender(ports: TenantPorts, tenant: Tenant, before: ReclaimRule | None) -> None:
    """A sender the reclaim rule names anew must be a mailbox the app can send as, where the tenant's Graph can tell:
    a tenant not linked, or not consented to yet, is not asked (its sender is checked when a rule next names one)."""
    rule = tenant.reclaim
    if rule is None or not rule.email_user or not rule.mailbox:
        return
    if before is not None and before.email_user and (before.mailbox or "").lower() == rule.mailbox.lower():
        return
    try:
        problems = mail_senders.sender_problems(ports.notices, tenant.id, rule.mailbox, "reclaim.mailbox")
    except CloudError:
        return
    if problems:
        raise ValidationFailed.of(*problems)


def create_tenant(ports: TenantPorts, data: TenantCreate, *, dry_run: bool = False) -> Tenant:
    now = ports.clock()
    tenant = Tenant(id=ports.new_id(), created_date_time=now, last_modified_date_time=now, **data.model_dump())
    if dry_run:
        _check_entra_free(ports, tenant.entra_tenant_id, tenant.id)
        return tenant
    _claim_entra_id(ports, tenant.entra_tenant_id, tenant.id)
    try:
        saved = ports.tenants.upsert_tenant(tenant, if_none_match=True)
    except Exception:
        _release_entra_id(ports, tenant.entra_tenant_id, tenant.id)
        raise
    _entra_link_changed(ports, saved, None)
    return saved


def update_tenant(
    ports: TenantPorts, tenant_id: str, patch: TenantUpdate, *, if_match: str | None, dry_run: bool = False
) -> Tenant:
    previous: list[str | None] = []

    def change(current: Tenant) -> Tenant:
        previous[:] = [current.entra_tenant_id]
        updated = merge_patch(current, patch, TenantCreate, ports.clock())
        _check_entra_free(ports, updated.entra_tenant_id, tenant_id)
        _check_backend_free(ports, current, updated)
        _check_reclaim_sender(ports, updated, current.reclaim)
        return updated

    def save(tenant: Tenant, etag: str | None) -> Tenant:
        before = previous[0] if previous else None
        moved = (tenant.entra_tenant_id or "").lower() != (before or "").lower()
        if moved:
            _claim_entra_id(ports, tenant.entra_tenant_id, tenant_id)
        try:
            saved = ports.tenants.upsert_tenant(tenant, if_match=etag)
        except Exception:
            if moved:
                _release_entra_id(ports, tenant.entra_tenant_id, tenant_id)
            raise
        if moved:
            _release_entra_id(ports, before, tenant_id)
        return saved

    saved = update_with_etag(
        lambda: ports.tenants.get_tenant(tenant_id), change, save, if_match=if_match, dry_run=dry_run
    )
    if not dry_run and previous:
        _entra_link_changed(ports, saved, previous[0])
    return saved


def delete_tenant(ports: TenantPorts, tenant: Tenant, *, if_match: str | None, roles: RoleAssignmentStore) -> None:
    """A tenant without sites; its role assignments go with it, so nobody keeps access to what is gone."""
    tenant_id = tenant.id
    if ports.sites.any_sites(tenant_id):
        raise Conflict(f"Tenant '{tenant_id}' still has sites; delete them first.", code="inUse", target="tenantId")
    ports.tenants.delete_tenant(tenant_id, if_match=if_match or tenant.etag)
    roles.delete_tenant_assignments(tenant_id)
    _release_entra_id(ports, tenant.entra_tenant_id, tenant_id)
    if ports.directory_subscriptions is not None:
        ports.directory_subscriptions.tenant_removed(tenant_id)


def create_site(ports: SitePorts, tenant_id: str, data: SiteCreate, *, dry_run: bool = False) -> Site:
    now = ports.clock()
    site = Site(
        id=ports.new_id(),
        tenant_id=tenant_id,
        created_date_time=now,
        last_modified_date_time=now,
        **data.model_dump(),
    )
    _check_resource_group(ports, site)
    if dry_run:
        return site
    return ports.sites.upsert_site(site, if_none_match=True)


def update_site(
    ports: SitePorts,
    tenant_id: str,
    site_id: str,
    patch: SiteUpdate,
    *,
    if_match: str | None,
    dry_run: bool = False,
) -> Site:
    def change(current: Site) -> Site:
        changed = merge_patch(current, patch, SiteCreate, ports.clock())
        if (changed.subscription_id, changed.resource_group_name) != (
            current.subscription_id,
            current.resource_group_name,
        ):
            _check_resource_group(ports, changed)
        return changed

    return update_with_etag(
        lambda: ports.sites.get_site(tenant_id, site_id),
        change,
        lambda site, etag: ports.sites.upsert_site(site, if_match=etag),
        if_match=if_match,
        dry_run=dry_run,
    )


def _check_resource_group(ports: SitePorts, site: Site) -> None:
    """A site's resource group must exist, when the app can read the subscription already: ARM's 404 is certain,
    while a refusal (no role yet, before onboarding) or an unlinked tenant says nothing, and the site is kept."""
    try:
        exists = ports.inventory.resource_group_exists(site.tenant_id, site.subscription_id, site.resource_group_name)
    except CloudError:
        return
    if not exists:
        raise ValidationFailed.of(ErrorDetail(
            "resourceGroupNotFound",
            f"Resource group '{site.resource_group_name}' does not exist in subscription {site.subscription_id}: "
            "create it there, or choose one of the subscription's resource groups.",
            "resourceGroupName",
        ))  # fmt: skip


def site_subnets(
    ports: SitePorts,
    tenant_id: str,
    site_id: str,
    *,
    search: str | None = None,
    top: int = 100,
    skip_token: str | None = None,
) -> tuple[list[SiteSubnet], str | None]:
    """The subnets a connection of the site can use: the site's subscription's, in the site's region; with `search`,
    those whose name, network or resource group contains it."""
    site = ports.sites.get_site(tenant_id, site_id)
    with _reading_azure("the subscription's networks"):
        choices = ports.inventory.subnets(tenant_id, site.subscription_id, site.region_name)
    wanted = (search or "").casefold()
    found = [
        SiteSubnet(id=c.id, name=c.name, virtual_network_name=c.virtual_network, resource_group_name=c.resource_group,
                   region_name=c.region, address_prefix=c.address_prefix, free_addresses=c.free_addresses)
        for c in choices
        if wanted in f"{c.name}\n{c.virtual_network}\n{c.resource_group}".casefold()
    ]  # fmt: skip
    return ports.pages.page(found, top=top, skip_token=skip_token)


def delete_site(ports: SitePorts, tenant_id: str, site_id: str, *, if_match: str | None) -> None:
    site = ports.sites.get_site(tenant_id, site_id)
    users = (ports.connections, ports.images, ports.image_sets, ports.spot_groups)
    if any(store.any_in_site(tenant_id, site_id) for store in users):
        raise Conflict(
            f"Site '{site_id}' is used by connections, device images, image sets or Spot Groups; delete them first.",
            code="inUse",
            target="siteId",
        )
    ports.sites.delete_site(tenant_id, site_id, if_match=if_match or site.etag)


def site_images(
    ports: SitePorts,
    tenant_id: str,
    site_id: str,
    *,
    search: str | None = None,
    top: int = 100,
    skip_token: str | None = None,
) -> tuple[list[SiteImage], str | None]:
    """The images a device image of the site can come from: the site's subscription's managed images and gallery
    image versions that VMs can be made from in the site's region, of the kinds the tenant's backend takes."""
    site = ports.sites.get_site(tenant_id, site_id)
    with _reading_azure("the subscription's images"):
        choices = ports.inventory.images(tenant_id, site.subscription_id)
    kinds = ports.backends.of(tenant_id).image_kinds
    wanted = (search or "").casefold()
    found = [
        SiteImage(id=c.id, name=c.name, kind=c.kind, resource_group_name=c.resource_group,
                  hyper_v_generation=c.hyper_v_generation)
        for c in choices
        if site.region_name in c.regions and wanted in f"{c.name}\n{c.resource_group}".casefold()
        and c.kind in kinds
    ]  # fmt: skip
    return ports.pages.page(found, top=top, skip_token=skip_token)


def site_vm_sizes(
    ports: SitePorts,
    tenant_id: str,
    site_id: str,
    *,
    image_set_id: str | None = None,
    image_version: str | None = None,
    search: str | None = None,
    top: int = 100,
    skip_token: str | None = None,
) -> tuple[list[SiteVmSize], str | None]:
    """The VM sizes a Spot Group's session hosts can have in the site: those Azure offers the site's subscription in
    its region, fewest vCPUs first; with an image set, only those that boot its version's Hyper-V generation (its
    latest without `image_version`); with `search`, those whose name contains it."""
    site = ports.sites.get_site(tenant_id, site_id)
    generation = _image_generation(ports, tenant_id, image_set_id, image_version) if image_set_id else None
    with _reading_azure("the VM sizes of the site's region"):
        choices = ports.inventory.vm_sizes(tenant_id, site.subscription_id, site.region_name)
    wanted = (search or "").casefold()
    found = [
        SiteVmSize(name=c.name, vcpus=c.vcpus, memory_gb=c.memory_gb)
        for c in choices
        if wanted in c.name.casefold() and (generation is None or generation in c.hyper_v_generations)
    ]
    return ports.pages.page(found, top=top, skip_token=skip_token)


def _image_generation(ports: SitePorts, tenant_id: str, image_set_id: str, version: str | None) -> str | None:
    """The Hyper-V generation of an image set's version as Azure has its image (None before it is captured: no
    size is ruled out for an image not made yet)."""
    image_set = ports.image_sets.get_image_set(tenant_id, image_set_id)
    found = ports.image_sets.get_version(tenant_id, image_set_id, version or image_set.latest_version)
    if not found.image_version_id:
        return None
    with _reading_azure("the image set's image", target="imageSetId"):
        image = ports.image_sources.get_managed_image(tenant_id, found.image_version_id)
    return image.hyper_v_generation.upper() if image else None


def azure_subscriptions(
    ports: SitePorts, tenant_id: str, *, search: str | None = None, top: int = 100, skip_token: str | None = None
) -> tuple[list[AzureSubscription], str | None]:
    """The subscriptions the tenant's identity sees (a role at the subscription or in it), by name or id: the site
    form's pick list. Empty until the customer's admin grants the app a role in one."""
    ports.tenants.get_tenant(tenant_id)
    with _reading_azure("the subscriptions", target="tenantId"):
        choices = ports.inventory.subscriptions(tenant_id)
    wanted = (search or "").casefold()
    found = [AzureSubscription(subscription_id=c.id, display_name=c.name, state=c.state)
             for c in choices if wanted in f"{c.name}\n{c.id}".casefold()]  # fmt: skip
    return ports.pages.page(found, top=top, skip_token=skip_token)


def azure_resource_groups(
    ports: SitePorts,
    tenant_id: str,
    subscription_id: str,
    *,
    search: str | None = None,
    top: int = 100,
    skip_token: str | None = None,
) -> tuple[list[AzureResourceGroup], str | None]:
    """A subscription's resource groups, by name: the site form's pick list once the subscription is chosen."""
    ports.tenants.get_tenant(tenant_id)
    if not is_guid(subscription_id):
        raise ValidationFailed.of(ErrorDetail(
            "invalidGuid", f"'{subscription_id}' is not a subscription id: it must be a GUID.", "subscriptionId"
        ))  # fmt: skip
    with _reading_azure("the subscription's resource groups", target="subscriptionId"):
        choices = ports.inventory.resource_groups(tenant_id, subscription_id)
    wanted = (search or "").casefold()
    found = [AzureResourceGroup(name=c.name, region_name=c.region) for c in choices if wanted in c.name.casefold()]
    return ports.pages.page(found, top=top, skip_token=skip_token)


@contextmanager
def _reading_azure(what: str, *, target: str = "siteId") -> Iterator[None]:
    """Azure throttled or failed: ask again shortly (503); refused (no role there yet): a state to fix (409)."""
    try:
        yield
    except CloudError as exc:
        if exc.transient:
            raise Unavailable(f"Azure could not be read ({exc.code}): {exc}", code="azureUnavailable") from exc
        raise Conflict(f"The app cannot list {what} ({exc.code}): {exc}",
                       code="azureNotReadable", target=target) from exc  # fmt: skip

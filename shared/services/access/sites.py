"""Site administration: create, update and delete, and the pick lists of a tenant's Azure a site is chosen from."""

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
from shared.ports.access_stores import TenantStore
from shared.ports.azure_inventory import AzureInventory
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import ConfigurationBackend
from shared.ports.cloud_errors import CloudError
from shared.ports.image_sources import ImageSources
from shared.ports.new_records import NewRecordPorts
from shared.ports.spot_pc_stores import ImageSetStore, SpotGroupStore
from shared.ports.stores import ConnectionStore, DeviceImageStore, ListPages, SiteStore
from shared.services.engine.updates import merge_patch, update_with_etag


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
        if _scopes(changed) != _scopes(current):  # Windows 365's roles were granted where the site no longer is
            changed = changed.model_copy(update={"windows365_roles_granted_date_time": None})
        return changed

    return update_with_etag(
        lambda: ports.sites.get_site(tenant_id, site_id),
        change,
        lambda site, etag: ports.sites.upsert_site(site, if_match=etag),
        if_match=if_match,
        dry_run=dry_run,
    )


def _scopes(site: Site) -> tuple[str, ...]:
    return tuple(
        (value or "").lower()
        for value in (site.subscription_id, site.resource_group_name, site.virtual_network_id, site.subnet_id)
    )


def _check_resource_group(ports: SitePorts, site: Site) -> None:
    """A site's resource group must exist, when the app can read the subscription already: ARM's 404 is certain,
    while a refusal (no role yet, before onboarding) or an unlinked tenant says nothing, and the site is kept."""
    try:
        exists = ports.inventory.resource_group_exists(site.tenant_id, site.subscription_id, site.resource_group_name)
    except CloudError:
        return
    if not exists:
        raise ValidationFailed.of(
            ErrorDetail(
                "resourceGroupNotFound",
                f"Resource group '{site.resource_group_name}' does not exist in subscription {site.subscription_id}: "
                "create it there, or choose one of the subscription's resource groups.",
                "resourceGroupName",
            )
        )


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
        SiteSubnet(
            id=c.id,
            name=c.name,
            virtual_network_name=c.virtual_network,
            resource_group_name=c.resource_group,
            region_name=c.region,
            address_prefix=c.address_prefix,
            free_addresses=c.free_addresses,
        )
        for c in choices
        if wanted in f"{c.name}\n{c.virtual_network}\n{c.resource_group}".casefold()
    ]
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
        SiteImage(
            id=c.id,
            name=c.name,
            kind=c.kind,
            resource_group_name=c.resource_group,
            hyper_v_generation=c.hyper_v_generation,
        )
        for c in choices
        if site.region_name in c.regions and wanted in f"{c.name}\n{c.resource_group}".casefold() and c.kind in kinds
    ]
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
    found = [
        AzureSubscription(subscription_id=c.id, display_name=c.name, state=c.state)
        for c in choices
        if wanted in f"{c.name}\n{c.id}".casefold()
    ]
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
        raise ValidationFailed.of(
            ErrorDetail(
                "invalidGuid", f"'{subscription_id}' is not a subscription id: it must be a GUID.", "subscriptionId"
            )
        )
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
        raise Conflict(
            f"The app cannot list {what} ({exc.code}): {exc}", code="azureNotReadable", target=target
        ) from exc

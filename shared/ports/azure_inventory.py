"""What an admin picks from in the customer's Azure: subscriptions, resource groups, subnets, images and VM sizes."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol

from shared.models.image_sets import PlatformImage


@dataclass(frozen=True)
class SubnetChoice:
    """A subnet an admin can put a connection in: where it is, and how many addresses are left in it."""

    id: str
    name: str
    virtual_network: str
    resource_group: str
    region: str
    address_prefix: str | None
    free_addresses: int | None  # None when Azure did not say


@dataclass(frozen=True)
class ImageChoice:
    """An image a device image can be imported from: a managed image, or a gallery image version."""

    id: str
    name: str  # a managed image's name; a version as gallery/definition/version
    kind: str  # managedImage or galleryImageVersion
    resource_group: str
    regions: tuple[str, ...]  # where a VM can be made from it: the image's region, or the version's target regions
    hyper_v_generation: str | None


@dataclass(frozen=True)
class VmSizeChoice:
    """A VM size the subscription may deploy in a region: what it has, and the image generations it boots."""

    name: str
    vcpus: int
    memory_gb: float
    hyper_v_generations: tuple[str, ...]  # V1, V2: the SKU's HyperVGenerations


@dataclass(frozen=True)
class SubscriptionChoice:
    """A subscription the tenant's identity sees: one it holds a role in, at the subscription or below."""

    id: str  # the subscription's GUID
    name: str  # its display name, the owner's choice
    state: str  # Enabled, Warned, PastDue, Disabled or Deleted


@dataclass(frozen=True)
class ResourceGroupChoice:
    name: str
    region: str


class AzureInventory(Protocol):
    """What an admin picks from in the customer's Azure, read with the tenant's own identity. A refusal (no role
    there yet) is a CloudError whose code says so."""

    def subscriptions(self, tenant_id: str) -> list[SubscriptionChoice]: ...

    def resource_groups(self, tenant_id: str, subscription_id: str) -> list[ResourceGroupChoice]: ...

    def resource_group_exists(self, tenant_id: str, subscription_id: str, name: str) -> bool: ...

    def subnets(self, tenant_id: str, subscription_id: str, region: str) -> list[SubnetChoice]:
        """Every subnet of the customer's virtual networks of the subscription in `region`: not the app's own network
        for Microsoft-hosted Cloud PCs, which no connection uses."""
        ...

    def vm_sizes(self, tenant_id: str, subscription_id: str, region: str) -> list[VmSizeChoice]:
        """The VM sizes of Azure's resource SKUs in `region`, but those restricted for the subscription there."""
        ...

    def images(self, tenant_id: str, subscription_id: str) -> list[ImageChoice]:
        """Every managed image and gallery image version of the subscription."""
        ...

    def marketplace_images(
        self,
        tenant_id: str,
        subscription_id: str,
        region: str,
        publisher: str,
        offers: Collection[str],
        wanted: Callable[[str, str], bool],
    ) -> list[PlatformImage]:
        """Azure Marketplace's images of `publisher` in `region` among `offers`, those whose (offer, sku) is
        `wanted`, each as its newest version says."""
        ...

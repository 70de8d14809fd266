"""The customer's Azure as pick lists: subscriptions, resource groups, subnets, images, VM sizes and the
marketplace's images, read with the tenant's identity."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from shared.cloud.azure import arm_lro, arm_vm
from shared.cloud.azure.arm_capacity import sku_restricted
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_ids import parse_id
from shared.cloud.azure.credentials import NOT_CONSENTED
from shared.cloud.azure.transport import ARM_PATIENCE
from shared.models.image_sets import PlatformImage
from shared.ports.azure_inventory import (
    ImageChoice,
    ResourceGroupChoice,
    SubnetChoice,
    SubscriptionChoice,
    VmSizeChoice,
)
from shared.ports.cloud_errors import UNANSWERED, CloudError, CloudThrottled

RESOURCES_API = "2021-04-01"  # Microsoft.Resources' resource groups
SUBSCRIPTIONS_API = "2022-12-01"  # Microsoft.Resources' subscriptions (SubscriptionClient)
STEP = "readAzure"
MAX_PAGES = 50  # a pick list is narrowed by search; a subscription with more than 50 pages of groups is not browsed


class AzureInventory:
    def __init__(self, clients: ArmClients) -> None:
        self._clients = clients

    def subscriptions(self, tenant_id: str) -> list[SubscriptionChoice]:
        # "Subscriptions - List": the subscriptions the caller holds a role in, at the subscription or below
        rows = self._list(tenant_id, "", f"{self._clients.endpoint}/subscriptions?api-version={SUBSCRIPTIONS_API}")
        # the customer's own: under an Azure Lighthouse delegation the app sees every customer's that delegated to it,
        # each with its own tenantId
        own = self._clients.entra_tenant_id(tenant_id).lower()
        found = [
            SubscriptionChoice(
                id=str(row["subscriptionId"]), name=str(row.get("displayName") or ""), state=str(row.get("state") or "")
            )
            for row in rows
            if row.get("subscriptionId") and str(row.get("tenantId") or own).lower() == own
        ]
        return sorted(found, key=lambda s: (s.name.lower(), s.id))

    def resource_groups(self, tenant_id: str, subscription_id: str) -> list[ResourceGroupChoice]:
        url = f"{self._clients.endpoint}/subscriptions/{subscription_id}/resourcegroups?api-version={RESOURCES_API}"
        rows = self._list(tenant_id, subscription_id, url)
        found = [
            ResourceGroupChoice(name=str(row["name"]), region=str(row.get("location") or "").lower())
            for row in rows
            if row.get("name")
        ]
        return sorted(found, key=lambda g: g.name.lower())

    def _list(self, tenant_id: str, subscription_id: str, url: str) -> list[dict[str, object]]:
        """Every item of an ARM list, page by page through its nextLink (`subscription_id` "" for a tenant's)."""
        rows: list[dict[str, object]] = []
        next_url: str | None = url
        with reading_azure():
            for _ in range(MAX_PAGES):
                if not next_url:
                    break
                response = self._clients.get_url(tenant_id, subscription_id, next_url, STEP)
                response.raise_for_status()
                body = response.json()
                rows.extend(item for item in body.get("value") or [] if isinstance(item, dict))
                next_url = body.get("nextLink")
        return rows

    def resource_group_exists(self, tenant_id: str, subscription_id: str, name: str) -> bool:
        url = (
            f"{self._clients.endpoint}/subscriptions/{subscription_id}/resourcegroups/{name}"
            f"?api-version={RESOURCES_API}"
        )
        with reading_azure():
            response = self._clients.get_url(tenant_id, subscription_id, url, STEP)
            if response.status_code == 404:
                return False
            response.raise_for_status()
        return True

    def subnets(self, tenant_id: str, subscription_id: str, region: str) -> list[SubnetChoice]:
        network = self._clients.network(tenant_id, subscription_id)
        found: list[SubnetChoice] = []
        # the app's own network, made in a site's resource group for Microsoft-hosted Cloud PCs, is no choice: its
        # subnet is named as a customer's often is, and a connection there would be one to the app's network
        own = arm_vm.hosted_vnet_name(region)
        with reading_azure():
            for listed in network.virtual_networks.list_all():
                vnet = dict(listed)  # the SDK's models read as the wire's JSON (properties nested)
                if str(vnet.get("location") or "").lower() != region.lower() or not vnet.get("id"):
                    continue
                if str(vnet.get("name")).lower() == own:
                    continue
                group, name = parse_id(vnet["id"])["resourcegroups"], str(vnet.get("name"))
                # one usage read per network: what each of its subnets holds against its size (Azure keeps 5)
                free = {
                    str(row["id"]).lower(): int(row["limit"]) - int(row["currentValue"])
                    for row in network.virtual_networks.list_usage(group, name)
                    if row.get("id") is not None and row.get("limit") is not None
                }
                for subnet in (vnet.get("properties") or {}).get("subnets") or []:
                    props = subnet.get("properties") or {}
                    prefix = props.get("addressPrefix") or next(iter(props.get("addressPrefixes") or []), None)
                    subnet_id = str(subnet["id"])
                    found.append(
                        SubnetChoice(
                            id=subnet_id,
                            name=str(subnet.get("name")),
                            virtual_network=name,
                            resource_group=group,
                            region=region.lower(),
                            address_prefix=prefix,
                            free_addresses=free.get(subnet_id.lower()),
                        )
                    )
        return sorted(found, key=lambda s: (s.virtual_network.lower(), s.name.lower()))

    def vm_sizes(self, tenant_id: str, subscription_id: str, region: str) -> list[VmSizeChoice]:
        compute = self._clients.compute(tenant_id, subscription_id)
        region = region.lower()
        with reading_azure():
            skus = [dict(listed) for listed in compute.resource_skus.list(filter=f"location eq '{region}'")]
        found = [
            VmSizeChoice(
                name=str(sku["name"]),
                vcpus=int(_capability(sku, "vCPUs") or 0),
                memory_gb=float(_capability(sku, "MemoryGB") or 0),
                hyper_v_generations=tuple((_capability(sku, "HyperVGenerations") or "V1").split(",")),
            )
            for sku in skus
            if sku.get("resourceType") == "virtualMachines" and sku.get("name") and not sku_restricted(sku, region)
        ]
        return sorted(found, key=lambda s: (s.vcpus, s.memory_gb, s.name.lower()))

    def images(self, tenant_id: str, subscription_id: str) -> list[ImageChoice]:
        compute = self._clients.compute(tenant_id, subscription_id)
        found: list[ImageChoice] = []
        with reading_azure():
            for managed in compute.images.list():
                image = dict(managed)
                found.append(
                    ImageChoice(
                        id=str(image["id"]),
                        name=str(image.get("name")),
                        kind="managedImage",
                        resource_group=parse_id(str(image["id"]))["resourcegroups"],
                        regions=(str(image.get("location") or "").lower(),),
                        hyper_v_generation=(image.get("properties") or {}).get("hyperVGeneration"),
                    )
                )
            # a gallery's versions, definition by definition: ARM lists no versions across a subscription
            for shared_gallery in compute.galleries.list():
                gallery = dict(shared_gallery)
                group, gallery_name = parse_id(str(gallery["id"]))["resourcegroups"], str(gallery.get("name"))
                for definition in compute.gallery_images.list_by_gallery(group, gallery_name):
                    about = dict(definition)
                    name = str(about.get("name"))
                    generation = (about.get("properties") or {}).get("hyperVGeneration")
                    for version in compute.gallery_image_versions.list_by_gallery_image(group, gallery_name, name):
                        shown = dict(version)
                        props = shown.get("properties") or {}
                        regions = (props.get("publishingProfile") or {}).get("targetRegions") or []
                        if props.get("provisioningState") not in (None, "Succeeded"):
                            continue  # still replicating, or failed: nothing can be made from it yet
                        found.append(
                            ImageChoice(
                                id=str(shown["id"]),
                                name=f"{gallery_name}/{name}/{shown.get('name')}",
                                kind="galleryImageVersion",
                                resource_group=group,
                                regions=tuple(_region(r.get("name")) for r in regions),
                                hyper_v_generation=generation,
                            )
                        )
        return sorted(found, key=lambda i: (i.kind, i.name.lower()))

    def marketplace_images(
        self,
        tenant_id: str,
        subscription_id: str,
        region: str,
        publisher: str,
        offers: Collection[str],
        wanted: Callable[[str, str], bool],
    ) -> list[PlatformImage]:
        # Compute's VM image lists (VirtualMachineImages_ListOffers, _ListSkus, then _List with $expand=properties
        # for the newest version's generation and disk): one request per offer, then one per wanted SKU
        images = self._clients.compute(tenant_id, subscription_id).virtual_machine_images
        found: list[PlatformImage] = []
        with reading_azure():
            present = {o.name.lower() for o in images.list_offers(region, publisher)} & {o.lower() for o in offers}
            for offer in sorted(present):
                for sku in sorted(s.name for s in images.list_skus(region, publisher, offer) if wanted(offer, s.name)):
                    newest = images.list_with_properties(
                        region, publisher, offer, sku, expand="properties", top=1, orderby="name desc"
                    )
                    if newest:
                        found.append(_platform_image(publisher, offer, sku, newest[0]))
        return found


def _platform_image(publisher: str, offer: str, sku: str, version: Any) -> PlatformImage:
    # read as the answer's JSON: the SDK's OSDiskImage model has no field for osDiskImage.sizeInGb
    answer = dict(version)
    props = answer.get("properties") or {}
    size = (props.get("osDiskImage") or {}).get("sizeInGb")
    return PlatformImage(
        publisher=publisher.lower(),
        offer=offer.lower(),
        sku=sku.lower(),
        version=str(answer.get("name") or ""),
        hyper_v_generation=props.get("hyperVGeneration") or None,
        os_disk_size_gb=size if isinstance(size, int) else None,
    )


def _capability(sku: dict[str, Any], name: str) -> str | None:
    """A SKU's capability as Azure writes it (a string), or None when it names none."""
    return next((str(c.get("value")) for c in sku.get("capabilities") or [] if c.get("name") == name), None)


def _region(display: object) -> str:
    """A target region as ARM names regions (a version lists them by display name: "West Europe")."""
    return str(display or "").replace(" ", "").lower()


@contextmanager
def reading_azure() -> Iterator[None]:
    """ARM's answer as the port's CloudError: throttled, refused with its code, or no token for the tenant yet."""
    try:
        yield
    except ClientAuthenticationError as exc:  # no consent yet (or taken back): the app has no token there
        # (before HttpResponseError, of which it is a kind)
        code = "appNotConsented" if any(c in str(exc) for c in NOT_CONSENTED) else "AuthenticationFailed"
        unconsented = CloudError(
            STEP, code, "The app has no token for the customer's tenant: its admin has not consented."
        )
        unconsented.status = 401  # a state for the admin to fix, not worth asking again as it is
        raise unconsented from exc
    except HttpResponseError as exc:
        try:
            arm_lro.raise_for(exc, STEP)
        except arm_lro.Throttled as throttled:
            raise CloudThrottled(STEP, throttled.retry_after_s, throttled.code) from exc
    except (ServiceRequestError, ServiceResponseError) as exc:  # refused, reset or timed out: no answer at all
        raise CloudError(STEP, UNANSWERED, f"{ARM_PATIENCE.did_not_answer()}: {exc}") from exc

"""The marketplace images an image set can start from: Compute's image lists of the tenant's regions, narrowed to
what suits Cloud PCs and session hosts, kept a day per region, with Spot PC's recommendations marked on them.

A region's list is read with the identity of the tenant that asks, in its site's subscription, and kept for every
tenant: the marketplace is the same in every subscription of a region. It is read again once a day by the timer, or
when asked for after a day. A region Azure cannot be read in (no role there yet) keeps the list it had.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from shared.catalog.marketplace_images import DESKTOP, OFFERS, marketplace_image, offered, suits
from shared.models.image_sets import MarketplaceImage, RegionImages, Use
from shared.models.sites import Site
from shared.ports.cloud_errors import CloudError
from shared.ports.configuration_ports import MarketplacePorts

log = logging.getLogger(__name__)
MAX_AGE = timedelta(days=1)


def marketplace_images(ports: MarketplacePorts, tenant_id: str, use: Use | None = None) -> list[MarketplaceImage]:
    """The images of every region the tenant has a site in (those recommended for `use`, given one), by id."""
    sites = sorted(ports.sites.list_all_sites(tenant_id), key=lambda s: (s.created_date_time, s.id))
    first_of_region = {site.region_name: site for site in reversed(sites)}
    found: dict[str, MarketplaceImage] = {}
    for site in first_of_region.values():
        for image in images_in(ports, tenant_id, site):
            found.setdefault(image.id, image)
    return sorted((i for i in found.values() if use is None or use in i.recommended_for), key=lambda i: i.id)


def images_in(ports: MarketplacePorts, tenant_id: str, site: Site) -> list[MarketplaceImage]:
    """The images of the site's region, read again when the list kept is a day old."""
    kept = ports.region_images.find_region_images(site.region_name)
    if kept is None or ports.clock() - kept.read_at >= MAX_AGE:
        try:
            kept = read_region(ports, tenant_id, site.subscription_id, site.region_name)
        except CloudError:
            if kept is None:
                raise
            log.warning(
                "marketplace images of %s not read again; the list of %s stays",
                site.region_name,
                kept.read_at.isoformat(),
                exc_info=True,
            )
    named = (marketplace_image(f"{p.publisher}_{p.offer}_{p.sku}") for p in kept.images if offered(p))
    return [image for image in named if image is not None]


def read_region(ports: MarketplacePorts, tenant_id: str, subscription_id: str, region: str) -> RegionImages:
    """The region's images read from Azure now, and kept."""
    images = ports.inventory.marketplace_images(tenant_id, subscription_id, region, DESKTOP, OFFERS, suits)
    fresh = RegionImages(
        region=region, tenant_id=tenant_id, subscription_id=subscription_id, read_at=ports.clock(), images=images
    )
    return ports.region_images.put_region_images(fresh)


def refresh_regions(ports: MarketplacePorts) -> int:
    """Every region's list read again with the identity that read it last; how many were. A region that cannot be
    read now keeps its list, and is tried again when next asked for."""
    done = 0
    for kept in ports.region_images.list_region_images():
        try:
            read_region(ports, kept.tenant_id, kept.subscription_id, kept.region)
            done += 1
        except CloudError:
            log.warning("marketplace images of %s not read again", kept.region, exc_info=True)
    return done

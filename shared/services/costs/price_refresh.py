"""Azure's list prices read into the price cache: what the app's VMs and disks may cost, per currency and region, read
once a day and as soon as a new region or size needs them. A read that fails leaves the days before in place, so the
cost reports price on the last day read."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from shared.catalog.service_plans import SERVICE_PLANS, VM_SIZES
from shared.models.costs import PriceQuery
from shared.models.image_sets import BUILD_VM_SIZE
from shared.models.spot_groups import DEFAULT_VM_SIZES, SpotGroup
from shared.ports.access_stores import TenantStore
from shared.ports.cloud_errors import CloudError
from shared.ports.costs import PriceStore, RetailPrices
from shared.ports.spot_pc_stores import SpotGroupStore
from shared.ports.stores import SiteStore
from shared.services.costs.power_records import premium_ssd_tier

log = logging.getLogger(__name__)
# what the app makes: the Cloud PC sizes, the Spot Groups' defaults and the image builds' VM
CATALOGUE_SIZES = frozenset({*VM_SIZES.values(), *DEFAULT_VM_SIZES.values(), BUILD_VM_SIZE})
# the OS disks the app makes: a Cloud PC's is its plan's storage (a host's and a build VM's are among them)
CATALOGUE_DISK_TIERS = frozenset(premium_ssd_tier(plan.storage_in_gb) for plan in SERVICE_PLANS)


class PriceRefreshPorts(Protocol):
    @property
    def tenants(self) -> TenantStore: ...
    @property
    def sites(self) -> SiteStore: ...
    @property
    def spot_groups(self) -> SpotGroupStore: ...
    @property
    def retail_prices(self) -> RetailPrices: ...
    @property
    def prices(self) -> PriceStore: ...
    @property
    def currencies(self) -> Sequence[str]: ...


class PricesNotRead(Exception):
    """Some regions' or currencies' prices could not be read: they keep the days before. Raised after the others were
    read, so the host's telemetry shows the failed run."""

    def __init__(self, failed: Sequence[str]) -> None:
        super().__init__(f"Prices not read, kept from the days before: {', '.join(failed)}")
        self.failed = list(failed)


@dataclass
class RefreshOutcome:
    read: list[str] = field(default_factory=list)  # "<currency>/<region>"
    failed: list[str] = field(default_factory=list)


def queries(ports: PriceRefreshPorts) -> list[PriceQuery]:
    """One query per currency and region of the tenants' sites: the catalogue's sizes and those of the Spot Groups,
    the catalogue's disk tiers. The tenants are read once for every currency."""
    regions: set[str] = set()
    sizes = set(CATALOGUE_SIZES)
    for tenant in ports.tenants.iter_tenants():
        regions.update(site.region_name for site in ports.sites.list_all_sites(tenant.id))
        sizes.update(group.vm_size for group in _spot_groups(ports.spot_groups, tenant.id))
    return [
        PriceQuery(currency=currency, region=region, vm_sizes=sorted(sizes), disk_tiers=sorted(CATALOGUE_DISK_TIERS))
        for currency in ports.currencies
        for region in sorted(regions)
    ]


def refresh_prices(ports: PriceRefreshPorts, today: date) -> RefreshOutcome:
    """The prices today lacks, read and kept as today's: a currency and region with none of today's (the day's first
    run, a new site's region, a new currency), or any with a Spot Group's size priced nowhere yet (a new size). So a
    frequent timer reads each region once a day, and a new customer's costs are priced at its next run, not the
    next day. Raises PricesNotRead after the rest when any read failed (they are tried again at the next run)."""
    outcome = RefreshOutcome()
    for currency, wanted in _by_currency(queries(ports)).items():
        vms, disks = ports.prices.list_prices(currency)
        fresh = {p.region for p in vms if p.as_of >= today} | {p.region for p in disks if p.as_of >= today}
        priced = {price.vm_size for price in vms}
        for query in wanted:
            if query.region in fresh and priced.issuperset(query.vm_sizes):
                continue
            name = f"{query.currency}/{query.region}"
            try:
                ports.prices.put_prices(ports.retail_prices.read_prices(query))
            except CloudError:
                log.warning("Prices of %s not read: the days before are kept", name, exc_info=True)
                outcome.failed.append(name)
                continue
            outcome.read.append(name)
    if outcome.failed:
        raise PricesNotRead(outcome.failed)
    return outcome


def _by_currency(wanted: list[PriceQuery]) -> dict[str, list[PriceQuery]]:
    grouped: dict[str, list[PriceQuery]] = {}
    for query in wanted:
        grouped.setdefault(query.currency, []).append(query)
    return grouped


def _spot_groups(store: SpotGroupStore, tenant_id: str) -> Iterator[SpotGroup]:
    token: str | None = None
    while True:
        page, token = store.list_spot_groups(tenant_id, top=100, skip_token=token)
        yield from page
        if token is None:
            return

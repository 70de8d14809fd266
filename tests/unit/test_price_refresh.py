"""The daily price read: what it asks for, what it keeps, and a failed read that leaves the days before in place;
the Retail Prices items sorted into a size's prices; the catalogue's Windows 365 prices; COST_CURRENCIES."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from shared.catalog.service_plans import SERVICE_PLANS
from shared.catalog.windows365_prices import WINDOWS365_PRICES
from shared.cloud.azure.retail_prices import disk_filter, disk_prices, vm_filter, vm_prices
from shared.models.costs import DiskPrice, PriceList, PriceQuery, VmPrice
from shared.models.spot_groups import SpotGroup
from shared.ports.bundles import PricePorts
from shared.ports.cloud_errors import CloudError
from shared.services.costs import price_refresh
from shared.settings import SettingsError, load_settings
from shared.storage.prices import PriceRepository
from tests.fakes import Fakes, seed

YESTERDAY, TODAY = date(2026, 3, 1), date(2026, 3, 2)


@dataclass
class FakeRetailPrices:
    """Azure's list as of `day`: 0.1 an hour for every size, 10 a month for every disk; `failing` regions refused."""

    day: date = YESTERDAY
    failing: set[str] = field(default_factory=set)
    asked: list[PriceQuery] = field(default_factory=list)

    def read_prices(self, query: PriceQuery) -> PriceList:
        self.asked.append(query)
        if query.region in self.failing:
            raise CloudError("readRetailPrices", "http503", "The service is unavailable.")
        vms = [
            VmPrice(
                region=query.region,
                vm_size=size,
                currency=query.currency,
                linux_hourly=0.1,
                windows_hourly=0.2,
                as_of=self.day,
            )
            for size in query.vm_sizes
        ]
        disks = [
            DiskPrice(region=query.region, tier=tier, currency=query.currency, monthly=10.0, as_of=self.day)
            for tier in query.disk_tiers
        ]
        return PriceList(currency=query.currency, region=query.region, vms=vms, disks=disks)


@pytest.fixture
def fakes() -> Fakes:
    fakes = Fakes()
    seed.tenant(fakes)
    seed.site(fakes, region="westeurope")
    seed.site(fakes, region="eastus")
    return fakes


def ports(fakes: Fakes, api: FakeRetailPrices, currencies: tuple[str, ...] = ("USD",)) -> PricePorts:
    return PricePorts(
        tenants=fakes.tenants,
        sites=fakes.sites,
        spot_groups=fakes.spot_groups,
        retail_prices=api,
        prices=PriceRepository(fakes.storage),
        currencies=currencies,
    )


def test_a_refresh_asks_each_currency_and_site_region_for_the_catalogues_sizes_and_disk_tiers(fakes: Fakes) -> None:
    api = FakeRetailPrices()
    outcome = price_refresh.refresh_prices(ports(fakes, api, ("USD", "EUR")), YESTERDAY)

    assert outcome.read == ["USD/eastus", "USD/westeurope", "EUR/eastus", "EUR/westeurope"]
    query = api.asked[0]
    assert {"Standard_D2s_v5", "Standard_D4s_v5", "Standard_B2s", "Standard_D16s_v5"} <= set(query.vm_sizes)
    assert query.disk_tiers == ["P10", "P15", "P20", "P30", "P6"]  # 64 GB to 1 TB plans' disks
    vms, disks = PriceRepository(fakes.storage).list_prices("EUR")
    assert {(p.region, p.currency) for p in vms} == {("eastus", "EUR"), ("westeurope", "EUR")}
    assert len(disks) == 2 * 5


def test_a_refresh_whose_api_fails_leaves_yesterdays_prices_in_place_and_says_so(fakes: Fakes) -> None:
    api = FakeRetailPrices(day=YESTERDAY)
    price_refresh.refresh_prices(ports(fakes, api), YESTERDAY)
    api.day, api.failing = TODAY, {"westeurope"}

    with pytest.raises(price_refresh.PricesNotRead) as failed:
        price_refresh.refresh_prices(ports(fakes, api), TODAY)

    assert failed.value.failed == ["USD/westeurope"]
    vms, disks = PriceRepository(fakes.storage).list_prices("USD")
    kept = {(p.region, p.as_of) for p in vms} | {(p.region, p.as_of) for p in disks}
    assert kept == {("westeurope", YESTERDAY), ("eastus", YESTERDAY), ("eastus", TODAY)}


def spot_group_of_size(fakes: Fakes, vm_size: str) -> None:
    now = fakes.clock()
    fakes.spot_groups.put_spot_group(
        SpotGroup.model_validate(
            {
                "id": "sg",
                "tenant_id": seed.TENANT,
                "name": "sg",
                "friendly_name": "sg",
                "profile_path": r"\\files\profiles",
                "user_type": "pooled",
                "license_count": 2,
                "site_id": "site-eastus",
                "group_ids": ["g"],
                "image_set_id": "i",
                "image_version": "0.0.1",
                "image_version_id": "v",
                "vm_size": vm_size,
                "max_sessions_per_host": 4,
                "host_pool_name": "hp-sg",
                "status": "ready",
                "created_date_time": now,
                "last_modified_date_time": now,
            }
        )
    )


def test_a_run_reads_only_what_today_lacks_so_a_new_region_or_size_is_priced_at_the_next_run(fakes: Fakes) -> None:
    api = FakeRetailPrices(day=TODAY)
    assert price_refresh.refresh_prices(ports(fakes, api), TODAY).read == ["USD/eastus", "USD/westeurope"]
    api.asked.clear()
    assert price_refresh.refresh_prices(ports(fakes, api), TODAY).read == [], "the same day: nothing to read"
    assert api.asked == []

    seed.site(fakes, region="northeurope")  # a new customer's first site
    assert price_refresh.refresh_prices(ports(fakes, api), TODAY).read == ["USD/northeurope"]
    # a currency added to COST_CURRENCIES has no prices yet: the next run reads them
    assert price_refresh.refresh_prices(ports(fakes, api, ("USD", "GBP")), TODAY).read == [
        "GBP/eastus",
        "GBP/northeurope",
        "GBP/westeurope",
    ]
    spot_group_of_size(fakes, "Standard_E4s_v5")  # a size no price was read for yet: every region asks for it
    api.asked.clear()
    assert price_refresh.refresh_prices(ports(fakes, api), TODAY).read == [
        "USD/eastus",
        "USD/northeurope",
        "USD/westeurope",
    ]
    assert all("Standard_E4s_v5" in query.vm_sizes for query in api.asked)
    api.day = date(2026, 3, 3)  # the next day: each region once more
    assert len(price_refresh.refresh_prices(ports(fakes, api), api.day).read) == 3


def test_the_filters_escape_a_quote_and_or_the_sizes_in_parentheses() -> None:
    assert vm_filter("westeurope", ["Standard_D2s_v5", "O'Brien"]) == (
        "serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and priceType eq 'Consumption' "
        "and (armSkuName eq 'Standard_D2s_v5' or armSkuName eq 'O''Brien')"
    )
    assert disk_filter("eastus", ["P10"]).endswith(
        "productName eq 'Premium SSD Managed Disks' and (skuName eq 'P10 LRS')"
    )


def item(product: str, meter: str, price: float, unit: str = "1 Hour", size: str = "Standard_D2s_v5") -> dict:
    return {
        "armSkuName": size,
        "productName": product,
        "skuName": meter,
        "meterName": meter,
        "unitPrice": price,
        "unitOfMeasure": unit,
        "type": "Consumption",
    }


def test_a_sizes_items_are_sorted_into_linux_windows_and_spot_leaving_low_priority_out() -> None:
    query = PriceQuery(
        currency="USD", region="eastus", vm_sizes=["Standard_D2s_v5", "Standard_B2s"], disk_tiers=["P10"]
    )
    items = [
        item("Virtual Machines Dsv5 Series", "D2s v5", 0.096),
        item("Virtual Machines Dsv5 Series Windows", "D2s v5", 0.188),
        item("Virtual Machines Dsv5 Series", "D2s v5 Spot", 0.0115),
        item("Virtual Machines Dsv5 Series Windows", "D2s v5 Spot", 0.0345),
        item("Virtual Machines Dsv5 Series", "D2s v5 Low Priority", 0.0001),
        item("Virtual Machines BS Series", "B2s", 0.0416, size="Standard_B2s"),  # no Windows price: left out
    ]
    [price] = vm_prices(items, query, TODAY)
    assert (price.vm_size, price.linux_hourly, price.windows_hourly) == ("Standard_D2s_v5", 0.096, 0.188)
    assert (price.spot_linux_hourly, price.spot_windows_hourly, price.as_of) == (0.0115, 0.0345, TODAY)

    disks = [
        item("Premium SSD Managed Disks", "P10 LRS", 19.71, "1/Month") | {"meterName": "P10 LRS Disk"},
        item("Premium SSD Managed Disks", "P10 LRS", 2.0, "1/Month") | {"meterName": "P10 LRS Disk Mount"},
    ]
    assert [(d.tier, d.monthly) for d in disk_prices(disks, query, TODAY)] == [("P10", 19.71)]


def test_every_dedicated_windows365_plan_has_a_list_price_marked_as_a_sample_with_its_source() -> None:
    dedicated = {plan.id for plan in SERVICE_PLANS if plan.provisioning_type == "dedicated"}
    assert set(WINDOWS365_PRICES) == dedicated
    assert all(p.sample and p.source.startswith("https://www.microsoft.com/") for p in WINDOWS365_PRICES.values())


def test_cost_currencies_are_checked_at_start() -> None:
    assert load_settings(cost_currencies="EUR, USD,EUR").currencies == ["EUR", "USD"]
    with pytest.raises(SettingsError, match=r"COST_CURRENCIES.*XYZ"):
        load_settings(cost_currencies="USD,XYZ")

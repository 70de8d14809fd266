"""Contract tests of AzureRetailPrices against the emulator's Retail Prices API (no credentials): every page read,
past pages with no item, a filter value's quote escaped, a currency asked for; the price cache on Azurite; and the
daily refresh over both, whose failed read leaves the day before in place."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from azure.data.tables import TableServiceClient

from azure_emulator.launcher import EmulatorProcess
from shared.cloud.azure.retail_prices import PATH, AzureRetailPrices, vm_filter
from shared.models.costs import PriceQuery
from shared.ports.bundles import PricePorts
from shared.ports.cloud_errors import CloudError
from shared.services.costs import price_refresh
from shared.settings import Settings
from shared.storage.prices import PriceRepository
from shared.storage.table_service import TableStorage
from tests.fakes import Fakes, seed
from tests.utils.factories import unique_table_prefix

DAY = date(2026, 3, 2)
PAGE = 200  # the emulator's list is ~1,100 items: six pages, most of them empty for one region
SIZES = ["Standard_D2s_v5", "Standard_B2s"]


@pytest.fixture
def prices(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> Iterator[AzureRetailPrices]:
    control = f"{azure_emulator.base_url}/emulator/pageSize/retailPrices"
    session = azure_emulator.session()
    session.put(control, json={"size": PAGE}, timeout=10).raise_for_status()
    adapter = AzureRetailPrices(Settings().retail_prices_endpoint, lambda: DAY)
    try:
        yield adapter
    finally:
        adapter.close()
        session.delete(control, timeout=10)
        session.delete(f"{azure_emulator.base_url}/emulator/faults/retailPrices", timeout=10)


def query(currency: str = "USD", region: str = "westeurope", sizes: list[str] = SIZES) -> PriceQuery:
    return PriceQuery(currency=currency, region=region, vm_sizes=sizes, disk_tiers=["P6", "P10"])


def test_every_page_is_read_past_pages_without_items(
    prices: AzureRetailPrices, azure_emulator: EmulatorProcess
) -> None:
    first = (
        azure_emulator.session()
        .get(
            f"{prices.endpoint}{PATH}",
            params={"api-version": "2023-01-01-preview", "$filter": vm_filter("westeurope", SIZES)},
            timeout=10,
        )
        .json()
    )
    assert first["Items"] == [] and first["Count"] == 0 and first["NextPageLink"]  # an empty page that links on

    found = prices.read_prices(query())

    d2s, b2s = sorted(found.vms, key=lambda p: p.vm_size)[::-1]
    # the emulator's sample list: eastus's price times westeurope's factor (1.2)
    assert (d2s.vm_size, d2s.linux_hourly, d2s.windows_hourly) == ("Standard_D2s_v5", 0.1152, 0.2256)
    assert (d2s.spot_linux_hourly, d2s.spot_windows_hourly, d2s.as_of) == (0.0138, 0.0414, DAY)
    assert (b2s.vm_size, b2s.spot_linux_hourly) == ("Standard_B2s", None)  # no Spot B-series
    assert {(d.tier, d.monthly) for d in found.disks} == {("P6", 12.252), ("P10", 23.652)}


def test_a_currency_is_asked_for_and_answered_in(prices: AzureRetailPrices) -> None:
    found = prices.read_prices(query(currency="EUR", sizes=["Standard_D2s_v5"]))
    assert [(p.currency, p.linux_hourly) for p in found.vms] == [("EUR", 0.105984)]  # x 0.92, the sample rate


def test_a_quote_in_a_value_is_escaped_not_read_as_the_filters_own(prices: AzureRetailPrices) -> None:
    smuggled = "Standard_B2s' or armSkuName eq 'Standard_D4s_v5"
    assert prices.read_prices(query(sizes=[smuggled, "Standard_D2s_v5&$skip=1000"])).vms == []


def test_a_refusal_is_a_cloud_error(prices: AzureRetailPrices, azure_emulator: EmulatorProcess) -> None:
    fault: dict[str, int | str] = {"count": 1, "status": 400, "errorCode": "InvalidFilter"}
    azure_emulator.session().put(
        f"{azure_emulator.base_url}/emulator/faults/retailPrices", json=fault, timeout=10
    ).raise_for_status()
    with pytest.raises(CloudError) as refused:
        prices.read_prices(query())
    assert (refused.value.code, refused.value.status, refused.value.transient) == ("InvalidFilter", 400, False)


def test_an_unknown_currency_is_refused(azure_environment: dict[str, str], azure_emulator: EmulatorProcess) -> None:
    answer = azure_emulator.session().get(f"{Settings().retail_prices_endpoint}{PATH}?currencyCode='XYZ'", timeout=10)
    assert answer.status_code == 400


def test_the_refresh_keeps_the_day_before_where_the_api_fails(
    prices: AzureRetailPrices, azure_emulator: EmulatorProcess, storage_connection_string: str
) -> None:
    service = TableServiceClient.from_connection_string(storage_connection_string)
    store = PriceRepository(TableStorage(service, unique_table_prefix()))
    fakes = Fakes()
    seed.tenant(fakes)
    seed.site(fakes, region="westeurope")
    ports = PricePorts(
        tenants=fakes.tenants, sites=fakes.sites, spot_groups=fakes.spot_groups, retail_prices=prices, prices=store
    )
    today = datetime.now(UTC).date()
    assert price_refresh.refresh_prices(ports, today).read == ["USD/westeurope"]
    yesterday = store.list_prices("USD")

    fault: dict[str, int | str] = {"count": 1, "status": 400, "errorCode": "InvalidFilter"}
    requests.put(
        f"{azure_emulator.base_url}/emulator/faults/retailPrices",
        json=fault,
        timeout=10,
        verify=azure_emulator.ca_bundle,
    ).raise_for_status()
    with pytest.raises(price_refresh.PricesNotRead):  # the next day's read
        price_refresh.refresh_prices(ports, today + timedelta(days=1))

    assert store.list_prices("USD") == yesterday
    assert {p.vm_size for p in yesterday[0]} >= {"Standard_D2s_v5", "Standard_D4s_v5", "Standard_B1ms"}

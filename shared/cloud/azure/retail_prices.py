"""A region's VM and Premium SSD disk prices from the Azure Retail Prices API (no credentials), every page read.

https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices: `GET {endpoint}/api/retail/
prices?currencyCode='EUR'&$filter=...`, pages of up to 1,000 items linked by `NextPageLink` until it is null (a page
may hold no item and still link on). Filter values are case-sensitive from api-version 2023-01-01-preview, the one
asked for. A VM size's items: `productName` ending " Windows" is the licence-included price, else the base (Linux)
rate; `Spot` in `skuName` or `meterName` the Spot price; the retired "Low Priority" meters are left out. Prices per
`1 Hour`; a disk tier's (`skuName` "P10 LRS", meter "P10 LRS Disk") per `1/Month`. A meter billed from another
meter region is listed under this one too, with `isPrimaryMeterRegion` false: only the primary item's price is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from azure.core import PipelineClient
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline.policies import HeadersPolicy, HttpLoggingPolicy, RetryPolicy, UserAgentPolicy
from azure.core.rest import HttpRequest, HttpResponse

from shared.cloud.azure.graph_client import ODATA_SAFE, odata_string, retry_after
from shared.cloud.azure.transport import Patience, http_transport
from shared.models.costs import DiskPrice, PriceList, PriceQuery, VmPrice
from shared.ports.cloud_errors import CloudError

API_VERSION = "2023-01-01-preview"
PATH = "/api/retail/prices"
STEP = "readRetailPrices"
# a public list answered from a cache: a page in well under a second, a long one in a few
RETAIL_PRICES_PATIENCE = Patience("Azure Retail Prices", connect_s=5.0, read_s=30.0)
RETRY_OPTIONS = RETAIL_PRICES_PATIENCE.retry_options()
HOURLY, MONTHLY = "1 Hour", "1/Month"
DISK_PRODUCT = "Premium SSD Managed Disks"
MAX_PAGES = 100  # 100,000 items: far beyond any region's sizes asked; a link that never ends is the API's fault


def any_of(field: str, values: Sequence[str]) -> str:
    return "(" + " or ".join(f"{field} eq {odata_string(value)}" for value in values) + ")"


def vm_filter(region: str, sizes: Sequence[str]) -> str:
    return (
        f"serviceName eq 'Virtual Machines' and armRegionName eq {odata_string(region)} "
        f"and priceType eq 'Consumption' and {any_of('armSkuName', sizes)}"
    )


def disk_filter(region: str, tiers: Sequence[str]) -> str:
    return (
        f"serviceName eq 'Storage' and armRegionName eq {odata_string(region)} and priceType eq 'Consumption' "
        f"and productName eq {odata_string(DISK_PRODUCT)} and {any_of('skuName', [f'{t} LRS' for t in tiers])}"
    )


def vm_prices(items: Sequence[dict[str, Any]], query: PriceQuery, day: date) -> list[VmPrice]:
    """One VmPrice per size with both pay-as-you-go prices (Spot where listed); a size without them is left out."""
    found: dict[str, dict[tuple[bool, bool], float]] = {}
    for item in items:
        names = f"{item.get('skuName', '')} {item.get('meterName', '')}"
        if item.get("unitOfMeasure") != HOURLY or "Low Priority" in names or item.get("type") != "Consumption":
            continue
        if item.get("isPrimaryMeterRegion") is False:  # the meter as billed from another region: its price is not ours
            continue
        windows = str(item.get("productName", "")).endswith(" Windows")
        found.setdefault(str(item.get("armSkuName")), {})[(windows, "Spot" in names)] = float(item["unitPrice"])
    return [
        VmPrice(
            region=query.region,
            vm_size=size,
            currency=query.currency,
            linux_hourly=prices[(False, False)],
            windows_hourly=prices[(True, False)],
            spot_linux_hourly=prices.get((False, True)),
            spot_windows_hourly=prices.get((True, True)),
            as_of=day,
        )
        for size in query.vm_sizes
        if (prices := found.get(size, {})) and (False, False) in prices and (True, False) in prices
    ]


def disk_prices(items: Sequence[dict[str, Any]], query: PriceQuery, day: date) -> list[DiskPrice]:
    found = {
        str(item.get("skuName", "")).removesuffix(" LRS"): float(item["unitPrice"])
        for item in items
        if item.get("unitOfMeasure") == MONTHLY
        and str(item.get("meterName", "")).endswith(" Disk")
        and item.get("isPrimaryMeterRegion") is not False
    }
    return [
        DiskPrice(region=query.region, tier=tier, currency=query.currency, monthly=found[tier], as_of=day)
        for tier in query.disk_tiers
        if tier in found
    ]


class AzureRetailPrices:
    """One pipeline for the public list: retries on 429 and 5xx as Retry-After says, the service's timeouts."""

    def __init__(self, endpoint: str, today: Callable[[], date]) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._today = today  # the UTC day: the prices' as_of
        self._client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            self.endpoint,
            policies=[
                HeadersPolicy({"Accept": "application/json"}),
                UserAgentPolicy("cloudpc-provisioning"),
                RetryPolicy(retry_total=3, **RETRY_OPTIONS),
                HttpLoggingPolicy(),
            ],
            transport=http_transport(RETAIL_PRICES_PATIENCE),
        )

    def read_prices(self, query: PriceQuery) -> PriceList:
        day = self._today()
        vms = [*self._items(query.currency, vm_filter(query.region, query.vm_sizes))] if query.vm_sizes else []
        disks = [*self._items(query.currency, disk_filter(query.region, query.disk_tiers))] if query.disk_tiers else []
        return PriceList(
            currency=query.currency,
            region=query.region,
            vms=vm_prices(vms, query, day),
            disks=disk_prices(disks, query, day),
        )

    def _items(self, currency: str, odata_filter: str) -> Iterator[dict[str, Any]]:
        params = {"api-version": API_VERSION, "currencyCode": odata_string(currency), "$filter": odata_filter}
        url: str | None = f"{self.endpoint}{PATH}?{urlencode(params, quote_via=quote, safe=ODATA_SAFE)}"
        for _ in range(MAX_PAGES):
            if url is None:
                return
            page = self._page(url)
            yield from page.get("Items") or []
            url = self._next(page.get("NextPageLink"))
        raise CloudError(STEP, "tooManyPages", f"The Azure Retail Prices API linked over {MAX_PAGES} pages.")

    def _next(self, link: Any) -> str | None:
        """The next page's link, only on the endpoint's own host: the app follows no link elsewhere."""
        if not link:
            return None
        if urlsplit(str(link)).hostname != urlsplit(self.endpoint).hostname:
            raise CloudError(STEP, "unexpectedLink", f"The Azure Retail Prices API linked off its host: {link}")
        return str(link)

    def _page(self, url: str) -> dict[str, Any]:
        try:
            response = self._client.send_request(HttpRequest("GET", url))
        except (ServiceRequestError, ServiceResponseError) as exc:  # the timeouts too
            raise RETAIL_PRICES_PATIENCE.unanswered(STEP, exc) from exc
        response.read()
        if response.status_code != 200:
            raise error_of(response)
        body = response.json()
        if not isinstance(body, dict):
            raise CloudError(STEP, "unexpectedAnswer", "The Azure Retail Prices API answered no JSON object.")
        return body

    def close(self) -> None:
        self._client.close()


def error_of(response: HttpResponse) -> CloudError:
    """The API's refusal or failure ({"error"|"Error": {"code", "message"}} where it says one)."""
    code, message = f"http{response.status_code}", response.reason or "The Azure Retail Prices API failed"
    try:
        body = response.json()
        error = (body.get("error") or body.get("Error") or {}) if isinstance(body, dict) else {}
        code = str(error.get("code") or error.get("Code") or code)
        message = str(error.get("message") or error.get("Message") or message)
    except ValueError:
        pass
    held = response.status_code == 429 or response.status_code >= 500
    reason = f"{RETAIL_PRICES_PATIENCE.service} said not now ({code})" if held else None
    error = CloudError(STEP, code, message, reason)
    error.status, error.retry_after_s = response.status_code, retry_after(response)
    return error

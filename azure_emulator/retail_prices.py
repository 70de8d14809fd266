"""The Azure Retail Prices API (`GET /prices/api/retail/prices`, the app's RETAIL_PRICES_ENDPOINT `/prices`), served
from `retail_prices.json`: the catalogue's VM sizes and the Premium SSD disk tiers in every emulated region.

As Microsoft documents it (https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices):
- no credentials; `currencyCode` (`'EUR'` or `EUR`) among the supported currencies, USD without one; the emulator
  refuses any other with 400 (the documentation does not say what the API answers then);
- `$filter` of `field eq 'value'` joined by `and` and `or`, with parentheses; a quote inside a value doubled. Field
  names as the items spell them (`priceType` stands for the items' `type`), compared in any case; values compared
  exactly from api-version 2023-01-01-preview on (the documentation: "Filter values are case-sensitive" there, not
  in earlier versions), in any case before it or without one;
- the answer `{BillingCurrency, CustomerEntityId, CustomerEntityType, Items, NextPageLink, Count}`, each item with the
  documented fields, `Count` the items on the page; pages of 1,000 and `NextPageLink` (the same query with `$skip`)
  until the last, whose link is null.
The emulator cuts its pages from the whole list before the filter (page size: `PUT /emulator/pageSize/retailPrices`),
so a page may have no item and still link to the next: a reader ends only at a null link.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from azure_emulator.server import ApiError, Context, Request, Response

DATA_FILE = Path(__file__).with_name("retail_prices.json")
OPERATION = "retailPrices"
PAGE_SIZE = 1000
CASE_SENSITIVE_FROM = "2023-01-01-preview"  # api-versions sort by their date
EFFECTIVE_START = "2024-01-01T00:00:00Z"
# the API lists a region's meters twice where a meter is billed from another meter region too: that item names the
# region with `isPrimaryMeterRegion` false, at a price of its own (learn.microsoft.com/rest/api/cost-management/
# retail-prices/azure-retail-prices, the field's row: a reader keeps the primary meter region's)
NON_PRIMARY_FACTOR = 1.08
ITEM_NAMESPACE = uuid.UUID("7d4f3a0e-5b1c-4e8e-9a57-1c3b2f6d8e90")  # the items' meterIds, stable across runs
FIELD_ALIASES = {"pricetype": "type"}
TOKEN = re.compile(r"\s*(?:(?P<open>\()|(?P<close>\))|'(?P<string>(?:[^']|'')*)'|(?P<word>[A-Za-z_][A-Za-z0-9_]*))")

Item = dict[str, Any]
Test = Callable[[Item], bool]


def _bad(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def price_items(data: dict[str, Any], currency: str) -> list[Item]:
    """Every item of the list in `currency`, in the order pages are cut from."""
    rate = data["currencies"]["perUsd"][currency]
    items: list[Item] = []
    for region, place in data["regions"].items():

        def item(
            service: str,
            product: str,
            sku: str,
            meter: str,
            usd: float,
            unit: str,
            arm_sku: str,
            region: str = region,
            place: dict[str, Any] = place,
            *,
            primary: bool = True,
        ) -> Item:
            price = round(usd * place["factor"] * rate * (1 if primary else NON_PRIMARY_FACTOR), 6)
            meter_id = str(uuid.uuid5(ITEM_NAMESPACE, f"{region}/{product}/{meter}" + ("" if primary else "/other")))
            product_id = "DZH" + uuid.uuid5(ITEM_NAMESPACE, product).hex[:9].upper()
            return {
                "currencyCode": currency,
                "tierMinimumUnits": 0.0,
                "retailPrice": price,
                "unitPrice": price,
                "armRegionName": region,
                "location": place["location"],
                "effectiveStartDate": EFFECTIVE_START,
                "meterId": meter_id,
                "meterName": meter,
                "productId": product_id,
                "skuId": f"{product_id}/{meter_id[:4].upper()}",
                "availabilityId": None,
                "productName": product,
                "skuName": sku,
                "serviceName": service,
                "serviceId": "DZH313Z7MMC8" if service == "Virtual Machines" else "DZH317F1HKN0",
                "serviceFamily": "Compute" if service == "Virtual Machines" else "Storage",
                "unitOfMeasure": unit,
                "type": "Consumption",
                "isPrimaryMeterRegion": primary,
                "armSkuName": arm_sku,
            }

        def priced(*fields: Any) -> list[Item]:
            """A meter's item, then the same meter billed from another meter region, listed under this one too."""
            return [item(*fields), item(*fields, primary=False)]

        for size, vm in data["vmSizes"].items():
            product, short = f"Virtual Machines {vm['series']}", vm["meter"]
            for windows in (False, True):
                os_product = f"{product} Windows" if windows else product
                items += priced(
                    "Virtual Machines", os_product, short, short, vm["windows" if windows else "linux"], "1 Hour", size
                )
                spot = vm["spotWindows" if windows else "spotLinux"]
                if spot is not None:
                    spot_name = f"{short} Spot"
                    items += priced("Virtual Machines", os_product, spot_name, spot_name, spot, "1 Hour", size)
                    # Azure lists the retired Low Priority meters beside Spot: a reader must tell them apart
                    low = f"{short} Low Priority"
                    items.append(item("Virtual Machines", os_product, low, low, spot, "1 Hour", size))
        for tier, disk in data["premiumSsdDisks"].items():
            sku = f"{tier} LRS"
            items += priced(
                "Storage",
                "Premium SSD Managed Disks",
                sku,
                f"{sku} Disk",
                disk["monthly"],
                "1/Month",
                f"Premium_SSD_Managed_Disk_{tier}",
            )
    return items


def tokens(text: str) -> Iterator[tuple[str, str]]:
    at = 0
    while at < len(text.rstrip()):
        found = TOKEN.match(text, at)
        if found is None:
            raise _bad(f"Invalid $filter near '{text[at : at + 20].strip()}'.")
        kind = found.lastgroup or ""
        text_of = found.group(kind) or ""
        yield kind, text_of.replace("''", "'") if kind == "string" else text_of
        at = found.end()


def parse_filter(text: str, case_sensitive: bool) -> Test:
    """`$filter` as the API documents it: `field eq 'value'`, `and`, `or` (looser than `and`), parentheses."""
    stream = list(tokens(text))
    at = 0

    def take(kind: str, word: str | None = None) -> str:
        nonlocal at
        if at >= len(stream) or stream[at][0] != kind or (word and stream[at][1].lower() != word):
            raise _bad(f"Invalid $filter: expected {word or kind} at token {at + 1}.")
        at += 1
        return stream[at - 1][1]

    def peek(word: str) -> bool:
        return at < len(stream) and stream[at][0] == "word" and stream[at][1].lower() == word

    def either() -> Test:
        tests = [both()]
        while peek("or"):
            take("word", "or")
            tests.append(both())
        return lambda item: any(test(item) for test in tests)

    def both() -> Test:
        tests = [one()]
        while peek("and"):
            take("word", "and")
            tests.append(one())
        return lambda item: all(test(item) for test in tests)

    def one() -> Test:
        if at < len(stream) and stream[at][0] == "open":
            take("open")
            inner = either()
            take("close")
            return inner
        field = take("word").lower()
        field = FIELD_ALIASES.get(field, field)
        take("word", "eq")
        wanted = take("string")
        same: Callable[[str, str], bool] = (
            (lambda a, b: a == b) if case_sensitive else (lambda a, b: a.casefold() == b.casefold())
        )

        def test(item: Item) -> bool:
            value = next((v for k, v in item.items() if k.lower() == field), None)
            return value is not None and same(str(value), wanted)

        return test

    found = either()
    if at != len(stream):
        raise _bad(f"Invalid $filter: unexpected '{stream[at][1]}'.")
    return found


def register(ctx: Context) -> None:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    currencies = tuple(data["currencies"]["perUsd"])
    lists: dict[str, list[Item]] = {}

    @ctx.router.route("GET", r"/prices/api/retail/prices", operation=OPERATION, api="prices", auth=False)
    def list_prices(request: Request) -> Response:
        currency = (request.q("currencyCode") or "USD").strip().strip("'")
        if currency not in currencies:
            raise _bad(f"currencyCode '{currency}' is not supported; supported: {', '.join(currencies)}.")
        version, written = request.q("api-version") or "", (request.q("$filter") or "").strip()
        test = parse_filter(written, version >= CASE_SENSITIVE_FROM) if written else (lambda item: True)
        try:
            skip = int(request.q("$skip") or 0)
        except ValueError:
            raise _bad("$skip must be a whole number.") from None
        everything = lists.setdefault(currency, price_items(data, currency))
        size = ctx.controls.page_size(OPERATION, PAGE_SIZE)
        page = [item for item in everything[skip : skip + size] if test(item)]
        link = None
        if skip + size < len(everything):
            query = {k: v for k, v in request.query.items() if k.lower() != "$skip"} | {"$skip": str(skip + size)}
            link = f"{request.base_url}{quote(request.path)}?{urlencode(query, quote_via=quote, safe=SAFE)}"
        return Response(
            200,
            {
                "BillingCurrency": currency,
                "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail",
                "Items": page,
                "NextPageLink": link,
                "Count": len(page),
            },
        )


SAFE = "$'(),"  # left as they are in a link, as the API's own NextPageLink shows them

"""The emulator's Retail Prices API on its own: the filter forms Microsoft documents (eq, and, or, parentheses, a
doubled quote), values compared exactly from api-version 2023-01-01-preview and in any case before it, a currency
converted, an unknown one or a malformed filter refused."""

from __future__ import annotations

from typing import Any

import pytest

from azure_emulator.app import build_context
from azure_emulator.http_messages import Request
from azure_emulator.server import Context, dispatch

PREVIEW = "2023-01-01-preview"


@pytest.fixture(scope="module")
def ctx() -> Context:
    return build_context(None)


def ask(ctx: Context, **query: str) -> tuple[int, Any]:
    response = dispatch(ctx, Request("GET", "/prices/api/retail/prices", query, {}, b"", "https://emulator"))
    return response.status, response.body


def test_or_binds_looser_than_and_and_parentheses_group(ctx: Context) -> None:
    grouped = (
        "armRegionName eq 'eastus' and (armSkuName eq 'Standard_B2s' or armSkuName eq 'Standard_B1ms') "
        "and productName eq 'Virtual Machines BS Series'"
    )
    status, body = ask(ctx, **{"api-version": PREVIEW, "$filter": grouped})
    assert status == 200 and body["BillingCurrency"] == "USD" and body["CustomerEntityType"] == "Retail"
    primary = [i for i in body["Items"] if i["isPrimaryMeterRegion"]]
    assert sorted(i["armSkuName"] for i in primary) == ["Standard_B1ms", "Standard_B2s"]
    assert body["Count"] == 4 and body["NextPageLink"].endswith("&$skip=1000")  # the list's next page, the same query
    assert ask(ctx, **{"api-version": PREVIEW, "$filter": grouped, "$skip": "1000"})[1] | {"Items": None} == {
        "BillingCurrency": "USD",
        "CustomerEntityId": "Default",
        "CustomerEntityType": "Retail",
        "Items": None,
        "NextPageLink": None,
        "Count": 0,
    }  # the last page: none of eastus's items, and no link


def test_values_are_case_sensitive_from_the_preview_version_on(ctx: Context) -> None:
    lower = "serviceName eq 'virtual machines' and armRegionName eq 'eastus' and armSkuName eq 'Standard_B2s'"
    assert ask(ctx, **{"api-version": PREVIEW, "$filter": lower})[1]["Count"] == 0
    assert ask(ctx, **{"api-version": "2021-10-01-preview", "$filter": lower})[1]["Count"] == 2 * 2


def test_a_meter_billed_from_another_meter_region_is_listed_twice_at_prices_of_their_own(ctx: Context) -> None:
    only = "armRegionName eq 'eastus' and meterName eq 'D2s v5' and productName eq 'Virtual Machines Dsv5 Series'"
    primary, other = ask(ctx, **{"$filter": only})[1]["Items"]  # the primary first: a reader keeping the last is wrong
    assert (primary["isPrimaryMeterRegion"], other["isPrimaryMeterRegion"]) == (True, False)
    assert other["armRegionName"] == primary["armRegionName"] and other["meterId"] != primary["meterId"]
    assert other["unitPrice"] != primary["unitPrice"] == 0.096


def test_a_doubled_quote_is_one_quote_of_the_value(ctx: Context) -> None:
    status, body = ask(ctx, **{"$filter": "armSkuName eq 'O''Brien' or armSkuName eq 'x'"})
    assert (status, body["Items"]) == (200, [])


def test_a_currency_is_converted_and_an_unknown_one_refused(ctx: Context) -> None:
    only = "armRegionName eq 'eastus' and meterName eq 'D2s v5' and productName eq 'Virtual Machines Dsv5 Series'"
    [usd, _] = ask(ctx, **{"$filter": only})[1]["Items"]
    [gbp, _] = ask(ctx, **{"currencyCode": "'GBP'", "$filter": only})[1]["Items"]
    assert (usd["unitPrice"], gbp["unitPrice"], gbp["currencyCode"]) == (0.096, round(0.096 * 0.79, 6), "GBP")
    assert ask(ctx, currencyCode="'XYZ'")[0] == 400


@pytest.mark.parametrize("written", ["armSkuName eq", "armSkuName ne 'x'", "(armSkuName eq 'x'", "contains(x, 'y')"])
def test_a_filter_outside_the_documented_forms_is_refused(ctx: Context, written: str) -> None:
    assert ask(ctx, **{"$filter": written})[0] == 400

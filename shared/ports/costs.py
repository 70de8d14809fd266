"""The cost ports: Azure's public price list, the prices and power records kept in tables."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.models.costs import DiskPrice, PowerRecord, PriceList, PriceQuery, VmPrice


class RetailPrices(Protocol):
    """The Azure Retail Prices API (no credentials): one region's prices for the sizes and disk tiers asked, every
    page read. Raises CloudError when the API fails or refuses."""

    def read_prices(self, query: PriceQuery) -> PriceList: ...


class PriceStore(Protocol):
    """Prices as read on each day: a day's row is kept beside the days before, so a day is priced as it was then,
    and a refresh that fails leaves the last day's in place."""

    def put_prices(self, prices: PriceList) -> None: ...

    def list_prices(self, currency: str) -> tuple[list[VmPrice], list[DiskPrice]]:
        """Every day's prices in the currency, every region: the cost reports pick the day's from them."""
        ...


class PowerRecordStore(Protocol):
    def record_power(self, record: PowerRecord) -> None:
        """Create-only under (resource, change, time): the same change written twice is one row."""
        ...

    def list_power_records(self, tenant_id: str, until: datetime) -> list[PowerRecord]:
        """The tenant's records up to `until`, oldest first: a VM running since before a range is metered from
        its own start."""
        ...

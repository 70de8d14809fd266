"""Price repository: the list prices as read each day, partition key = currency, row key = region, size or disk tier,
then the UTC day, so a day's read sits beside the days before and none replaces another."""

from __future__ import annotations

from shared.models.costs import DiskPrice, PriceList, VmPrice
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class PriceRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._vms = EntityRepository(storage, "VmPrices", VmPrice, kind="VM price")
        self._disks = EntityRepository(storage, "DiskPrices", DiskPrice, kind="Disk price")

    def put_prices(self, prices: PriceList) -> None:
        """The day's rows replaced whole (a second read on a day is the newer figure); the days before are kept."""
        self._vms.put_many((p, p.currency, _row_key(p.region, p.vm_size, p.as_of.isoformat())) for p in prices.vms)
        self._disks.put_many((p, p.currency, _row_key(p.region, p.tier, p.as_of.isoformat())) for p in prices.disks)

    def list_prices(self, currency: str) -> tuple[list[VmPrice], list[DiskPrice]]:
        query = "PartitionKey eq @currency"
        return (
            list(self._vms.scan(query, {"currency": currency})),
            list(self._disks.scan(query, {"currency": currency})),
        )


def _row_key(region: str, priced: str, day: str) -> str:
    return f"{region}_{priced}_{day}"

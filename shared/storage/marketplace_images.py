"""Region-image repository: the marketplace images last read in each region, partition key = region."""

from __future__ import annotations

from shared.models.image_sets import RegionImages
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

ROW = "images"  # one row a region


class RegionImageRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "MarketplaceImages", RegionImages, kind="Marketplace images")

    def find_region_images(self, region: str) -> RegionImages | None:
        return self._rows.find(region, ROW)

    def list_region_images(self) -> list[RegionImages]:
        return list(self._rows.scan())

    def put_region_images(self, images: RegionImages) -> RegionImages:
        return self._rows.put(images, images.region, ROW)

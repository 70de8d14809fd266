"""Device-image repository: partition key = tenant id, row key = image id."""

from __future__ import annotations

from shared.models.images import DeviceImage
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


class DeviceImageRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "DeviceImages", DeviceImage, kind="Device image")

    def get_image(self, tenant_id: str, image_id: str) -> DeviceImage:
        return self._rows.get(tenant_id, image_id, target="imageId")

    def find_image(self, tenant_id: str, image_id: str) -> DeviceImage | None:
        return self._rows.find(tenant_id, image_id)

    def list_images(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[DeviceImage], str | None]:
        return self._rows.page("PartitionKey eq @t", {"t": tenant_id}, top=top, skip_token=skip_token)

    def list_all_images(self, tenant_id: str) -> list[DeviceImage]:
        return list(self._rows.scan("PartitionKey eq @t", {"t": tenant_id}))

    def any_in_site(self, tenant_id: str, site_id: str) -> bool:
        return self._rows.exists("PartitionKey eq @t and siteId eq @s", {"t": tenant_id, "s": site_id})

    def upsert_image(
        self, image: DeviceImage, *, if_match: str | None = None, if_none_match: bool = False
    ) -> DeviceImage:
        return self._rows.put(image, image.tenant_id, image.id, if_match=if_match, if_none_match=if_none_match)

    def delete_image(self, tenant_id: str, image_id: str, *, if_match: str | None = None) -> None:
        self._rows.delete(tenant_id, image_id, if_match=if_match)

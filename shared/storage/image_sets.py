"""Image-set repository: sets keyed by id, and their versions keyed by set and version, oldest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shared.errors import NotFound
from shared.models.image_sets import ImageSet, ImageSetVersion
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository


def version_row(image_set_id: str, version: str) -> str:
    """`<set>_000000000.000000000.000001`: a set's versions list in version order (Table keys sort as text)."""
    return f"{image_set_id}_" + ".".join(f"{int(part):09d}" for part in version.split("."))


class ImageSetRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._sets = EntityRepository(storage, "ImageSets", ImageSet, kind="Image set")
        self._versions = EntityRepository(storage, "ImageSetVersions", ImageSetVersion, kind="Image set version")

    def get_image_set(self, tenant_id: str, image_set_id: str) -> ImageSet:
        return self._sets.get(tenant_id, image_set_id, target="imageSetId")

    def find_image_set(self, tenant_id: str, image_set_id: str) -> ImageSet | None:
        return self._sets.find(tenant_id, image_set_id)

    def list_image_sets(
        self, tenant_id: str, *, top: int = 100, skip_token: str | None = None
    ) -> tuple[list[ImageSet], str | None]:
        return self._sets.page("PartitionKey eq @t", {"t": tenant_id}, top=top, skip_token=skip_token)

    def any_in_site(self, tenant_id: str, site_id: str) -> bool:
        return self._sets.exists("PartitionKey eq @t and siteId eq @s", {"t": tenant_id, "s": site_id})

    def put_image_set(
        self, image_set: ImageSet, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ImageSet:
        return self._sets.put(
            image_set, image_set.tenant_id, image_set.id, if_match=if_match, if_none_match=if_none_match
        )

    def delete_image_set(self, tenant_id: str, image_set_id: str) -> None:
        self._sets.delete(tenant_id, image_set_id)

    def get_version(self, tenant_id: str, image_set_id: str, version: str) -> ImageSetVersion:
        found = self.find_version(tenant_id, image_set_id, version)
        if found is None:
            self.get_image_set(tenant_id, image_set_id)  # the set's 404 first, when it is the set that is missing
            raise NotFound.resource("Image set version", version, "version")
        return found

    def find_version(self, tenant_id: str, image_set_id: str, version: str) -> ImageSetVersion | None:
        try:
            row = version_row(image_set_id, version)
        except ValueError:
            return None  # not Major.Minor.Patch: no version has it
        return self._versions.find(tenant_id, row)

    def list_versions(self, tenant_id: str, image_set_id: str) -> list[ImageSetVersion]:
        """Every version of the set, oldest first (a set has a few dozen at most)."""
        bounds = {"t": tenant_id, "first": f"{image_set_id}_", "end": f"{image_set_id}`"}  # '`' follows '_'
        query = "PartitionKey eq @t and RowKey ge @first and RowKey lt @end"
        return list(self._versions.scan(query, bounds))

    def put_version(
        self, version: ImageSetVersion, *, if_match: str | None = None, if_none_match: bool = False
    ) -> ImageSetVersion:
        row = version_row(version.image_set_id, version.version)
        return self._versions.put(version, version.tenant_id, row, if_match=if_match, if_none_match=if_none_match)

    def list_quiet(self, before: datetime, statuses: Iterable[str]) -> tuple[list[ImageSet], list[ImageSetVersion]]:
        """In every tenant: sets being removed, and versions in one of `statuses`, unwritten since `before`
        (Table Storage's own Timestamp: every status change is a write). A few rows: builds are rare."""
        busy = sorted(statuses)
        statuses = " or ".join(f"status eq @s{i}" for i in range(len(busy)))
        values: dict[str, Any] = {f"s{i}": status for i, status in enumerate(busy)}
        # the SDK finds parameters between spaces: the parentheses stand apart from them
        versions = list(self._versions.scan(f"( {statuses} ) and Timestamp lt @before", {**values, "before": before}))
        sets = list(self._sets.scan("status eq @s and Timestamp lt @before", {"s": "deleting", "before": before}))
        return sets, versions

    def delete_version(self, tenant_id: str, image_set_id: str, version: str) -> None:
        self._versions.delete(tenant_id, version_row(image_set_id, version))

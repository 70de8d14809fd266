"""A tenant's simulator settings (faults, latencies) read once per process, kept current by its own writes.

Every provisioning call consults them, and they only change through this process's /sim routes, so a
table read per call would be pure overhead; the table still holds them across restarts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from pydantic import BaseModel

from shared.storage.tables import EntityRepository

M = TypeVar("M", bound=BaseModel)


class TenantRows(Generic[M]):
    def __init__(self, rows: EntityRepository[M], key: Callable[[M], str]) -> None:
        self.rows = rows
        self._key = key
        self._cache: dict[str, dict[str, M]] = {}
        self._lock = threading.Lock()

    def all(self, tenant_id: str) -> dict[str, M]:
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is None:
            cached = {self._key(row): row for row in self.rows.scan("PartitionKey eq @t", {"t": tenant_id})}
            with self._lock:
                cached = self._cache.setdefault(tenant_id, cached)
        return cached

    def get(self, tenant_id: str, key: str) -> M | None:
        return self.all(tenant_id).get(key)

    def put(self, tenant_id: str, key: str, item: M, *, if_match: str | None = None) -> M:
        saved = self.rows.put(item, tenant_id, key, if_match=if_match)
        with self._lock:
            self._cache.setdefault(tenant_id, {})[key] = saved
        return saved

    def reload(self, tenant_id: str, key: str) -> M | None:
        found = self.rows.find(tenant_id, key)
        with self._lock:
            tenant = self._cache.setdefault(tenant_id, {})
            if found is None:
                tenant.pop(key, None)
            else:
                tenant[key] = found
        return found

    def delete(self, tenant_id: str, key: str) -> None:
        self.rows.delete(tenant_id, key)
        with self._lock:
            self._cache.get(tenant_id, {}).pop(key, None)

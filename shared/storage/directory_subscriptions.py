"""Directory subscription repository: partition key = Graph's subscription id (what a notification names)."""

from __future__ import annotations

from collections.abc import Iterator

from shared.models.directory_subscriptions import DirectorySubscription
from shared.storage.table_service import TableStorage
from shared.storage.tables import EntityRepository

ROW = "subscription"


class DirectorySubscriptionRepository:
    def __init__(self, storage: TableStorage) -> None:
        self._rows = EntityRepository(storage, "DirectorySubscriptions", DirectorySubscription, kind="Subscription")

    def find(self, subscription_id: str) -> DirectorySubscription | None:
        """A point read: how each incoming notification is checked."""
        return self._rows.find(subscription_id, ROW)

    def list_for_tenant(self, tenant_id: str) -> list[DirectorySubscription]:
        """A tenant's rows (two, or none); a filtered scan, only done on tenant changes and lifecycle events."""
        return list(self._rows.scan("tenantId eq @tenant", {"tenant": tenant_id}))

    def iter_all(self) -> Iterator[DirectorySubscription]:
        return self._rows.scan()

    def put(self, subscription: DirectorySubscription) -> DirectorySubscription:
        return self._rows.put(subscription, subscription.id, ROW)

    def delete(self, subscription_id: str) -> None:
        self._rows.delete(subscription_id, ROW)

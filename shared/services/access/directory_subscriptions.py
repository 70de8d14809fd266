"""Graph change notifications for each linked tenant: subscribe, keep alive, and turn notifications into hints.

Each tenant with an Entra tenant id holds two subscriptions (users, groups) with a random clientState that only
Graph and the notifications carry: the app keeps its SHA-256, never the value. Subscribing is best effort: a
tenant is saved whether or not Graph answers, and the renewal timer creates what is missing.

Notifications are hints, never the record: Graph gives no latency for users and groups, drops what its webhook did
not take within 4 hours, and sends no `missed` lifecycle event for these resources (only `reauthorizationRequired`;
https://learn.microsoft.com/graph/change-notifications-lifecycle-events). What a lost notification would have said
is found by the `driftReconcile` timer (DRIFT_RECONCILE_SCHEDULE, hourly by default), which reconciles every tenant
in full: a change is acted on at the latest at the next drift reconcile after it. The webhook calls no Graph API,
as Graph wants its answer within 3 s: lifecycle events are verified, queued, and acted on by a queue trigger.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.catalog.graph_permissions import subscription_permission
from shared.models.base import utc_now
from shared.models.directory_subscriptions import DirectorySubscription, SubscribedResource
from shared.models.tenants import Tenant
from shared.ports.cloud_errors import CloudError
from shared.ports.directory import SubscriptionApi
from shared.ports.queues import SubscriptionLifecycleQueue
from shared.ports.stores import RefusedWorkStore
from shared.services.engine import refused_work
from shared.storage.directory_subscriptions import DirectorySubscriptionRepository

log = logging.getLogger(__name__)
RESOURCES: tuple[SubscribedResource, ...] = ("users", "groups")
LIFETIME = timedelta(days=3)  # Graph allows 29 days for users and groups; short enough to lapse if the app is gone
RENEW_WITHIN = timedelta(days=1)
KNOWN_TTL_S = 300.0
ACTED_ON = {"reauthorizationRequired", "subscriptionRemoved"}  # the lifecycle events that call for Graph calls


@dataclass(frozen=True)
class DirectoryHint:
    """What a batch of notifications says changed in one app tenant."""

    tenant_id: str
    user_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()


@dataclass
class KeepAliveOutcome:
    created: int = 0
    renewed: int = 0
    removed: int = 0
    failed: int = 0


def digest(client_state: str) -> str:
    return hashlib.sha256(client_state.encode()).hexdigest()


class DirectorySubscriptions:
    def __init__(
        self,
        api: SubscriptionApi,
        rows: DirectorySubscriptionRepository,
        notification_url: str | None,
        clock: Callable[[], datetime] = utc_now,
        refusals: RefusedWorkStore | None = None,  # where a refusal for want of a permission is kept for the admin
        lifecycle_queue: SubscriptionLifecycleQueue | None = None,  # without it, the renewal timer catches up
    ) -> None:
        self._api = api
        self._lifecycle_queue = lifecycle_queue
        self._refusals = refusals
        self._rows = rows
        self._url = notification_url.rstrip("/") if notification_url else None
        self._clock = clock
        self._known: dict[str, tuple[DirectorySubscription, float]] = {}  # verified rows, by subscription id
        self._lock = threading.Lock()

    @property
    def lifecycle_url(self) -> str | None:
        return f"{self._url}/lifecycle" if self._url else None

    # --- tenants ------------------------------------------------------------------------------------------
    def tenant_linked(self, tenant: Tenant, previous_entra_tenant_id: str | None = None) -> None:
        """A tenant got (or changed) its Entra tenant id: subscribe there. Never raises: the timer catches up."""
        try:
            self._sync(tenant, self._rows.list_for_tenant(tenant.id), KeepAliveOutcome())
        except Exception as exc:
            log.warning(
                "Subscribing tenant %s to Graph notifications failed (%s); the timer will retry",
                tenant.id,
                type(exc).__name__,
            )

    def tenant_removed(self, tenant_id: str) -> None:
        """A tenant was deleted or unlinked: its subscriptions go. Never raises."""
        try:
            for row in self._rows.list_for_tenant(tenant_id):
                self._drop(row, KeepAliveOutcome())
        except Exception as exc:
            log.warning("Removing tenant %s's Graph subscriptions failed (%s)", tenant_id, type(exc).__name__)

    def keep_alive(self, tenants: Iterable[Tenant]) -> KeepAliveOutcome:
        """The timer: renew what expires within a day, create what is missing, remove what no tenant needs."""
        outcome = KeepAliveOutcome()
        by_tenant: dict[str, list[DirectorySubscription]] = {}
        for row in self._rows.iter_all():
            by_tenant.setdefault(row.tenant_id, []).append(row)
        for tenant in tenants:
            rows = by_tenant.pop(tenant.id, [])
            try:
                self._sync(tenant, rows, outcome)
            except Exception as exc:
                outcome.failed += 1
                log.warning("Keeping tenant %s's Graph subscriptions alive failed (%s)", tenant.id, type(exc).__name__)
        for rows in by_tenant.values():  # tenants that are gone
            for row in rows:
                self._drop(row, outcome)
        return outcome

    def _sync(self, tenant: Tenant, rows: list[DirectorySubscription], outcome: KeepAliveOutcome) -> None:
        kept: dict[str, DirectorySubscription] = {}
        for row in rows:
            if row.entra_tenant_id != tenant.entra_tenant_id or row.resource in kept:
                self._drop(row, outcome)  # another Entra tenant's (the link changed), or a duplicate
            else:
                kept[row.resource] = row
        if not tenant.entra_tenant_id:
            return
        if self._url is None:
            log.info("NOTIFICATION_URL is not set: tenant %s gets no Graph change notifications", tenant.id)
            return
        refusals: list[CloudError] = []
        for resource in RESOURCES:
            found = kept.get(resource)
            try:
                if found is None:
                    self._create(tenant.id, tenant.entra_tenant_id, resource, outcome)
                elif found.expiration_date_time - self._clock() < RENEW_WITHIN:
                    self._renew_or_recreate(found, outcome)
            except CloudError as exc:
                if not exc.permission_denied or self._refusals is None:
                    raise
                outcome.failed += 1  # the other resource is still followed
                refusals.append(
                    CloudError(
                        exc.step,
                        exc.code,
                        (
                            f"Microsoft Graph refused the app's subscription to changes of {resource}: it needs the "
                            f"application permission {subscription_permission(resource)}."
                        ),
                    )
                )
        if self._refusals is not None:
            if refusals:
                joined = CloudError(refusals[0].step, refusals[0].code, " ".join(str(r) for r in refusals))
                refused_work.refused(self._refusals, tenant.id, "directoryNotifications", joined, self._clock())
            else:
                refused_work.succeeded(self._refusals, tenant.id, "directoryNotifications")

    def _create(self, tenant_id: str, entra: str, resource: SubscribedResource, outcome: KeepAliveOutcome) -> None:
        assert self._url is not None and self.lifecycle_url is not None
        client_state = secrets.token_urlsafe(32)
        now = self._clock()
        subscription_id, expires = self._api.create(
            entra, resource, self._url, self.lifecycle_url, client_state, now + LIFETIME
        )
        self._rows.put(
            DirectorySubscription(
                id=subscription_id,
                tenant_id=tenant_id,
                entra_tenant_id=entra,
                resource=resource,
                client_state_hash=digest(client_state),
                expiration_date_time=expires,
                created_date_time=now,
            )
        )
        outcome.created += 1

    def _renew_or_recreate(self, row: DirectorySubscription, outcome: KeepAliveOutcome) -> None:
        expires = self._api.renew(row.entra_tenant_id, row.id, self._clock() + LIFETIME)
        if expires is None:  # Graph dropped it: start again
            self._forget(row.id)
            self._rows.delete(row.id)
            self._create(row.tenant_id, row.entra_tenant_id, row.resource, outcome)
            return
        self._rows.put(row.model_copy(update={"expiration_date_time": expires}))
        self._forget(row.id)
        outcome.renewed += 1

    def _drop(self, row: DirectorySubscription, outcome: KeepAliveOutcome) -> None:
        try:
            self._api.delete(row.entra_tenant_id, row.id)
        except Exception as exc:  # it expires on its own; the row must go either way
            log.info("Deleting Graph subscription %s failed (%s)", row.id, type(exc).__name__)
        self._forget(row.id)
        self._rows.delete(row.id)
        outcome.removed += 1

    # --- notifications ------------------------------------------------------------------------------------
    def verified(self, item: dict[str, Any]) -> DirectorySubscription | None:
        """The subscription a notification (or lifecycle event) belongs to, if its clientState and tenant match."""
        subscription_id, client_state = item.get("subscriptionId"), item.get("clientState")
        if not isinstance(subscription_id, str) or not isinstance(client_state, str):
            return None
        row = self._lookup(subscription_id)
        if row is None or not hmac.compare_digest(row.client_state_hash, digest(client_state)):
            return None
        if item.get("tenantId") not in (None, row.entra_tenant_id):
            return None
        return row

    def hints(self, notifications: Iterable[dict[str, Any]]) -> list[DirectoryHint]:
        """Verified notifications as directory hints, one per tenant; the rest are dropped (and counted in logs)."""
        users: dict[str, set[str]] = {}
        groups: dict[str, set[str]] = {}
        rejected = 0
        for item in notifications:
            row = self.verified(item)
            object_id = (item.get("resourceData") or {}).get("id")
            if row is None or not isinstance(object_id, str):
                rejected += 1
                continue
            (users if row.resource == "users" else groups).setdefault(row.tenant_id, set()).add(object_id)
        if rejected:
            log.warning("Dropped %d Graph notifications that failed verification", rejected)
        tenants = sorted(set(users) | set(groups))
        return [DirectoryHint(t, tuple(sorted(users.get(t, ()))), tuple(sorted(groups.get(t, ())))) for t in tenants]

    def accept_lifecycle(self, item: dict[str, Any]) -> str | None:
        """A lifecycle event as the webhook takes it, calling no Graph API: a verified `reauthorizationRequired` or
        `subscriptionRemoved` is queued for `act_on_lifecycle`. `missed` (which Graph sends for Outlook resources,
        not these) is harmless: the tenant to reconcile in full is returned, as for any hint."""
        row = self.verified(item)
        if row is None:
            log.warning("Dropped a Graph lifecycle notification that failed verification")
            return None
        event = item.get("lifecycleEvent")
        if event == "missed":
            return row.tenant_id
        if event not in ACTED_ON:
            log.info("Ignored Graph lifecycle event %r", event)
        elif self._lifecycle_queue is None:
            log.warning("No queue for Graph lifecycle event %s; the renewal timer catches up", event)
        else:
            self._lifecycle_queue.enqueue_lifecycle(row.tenant_id, row.id, str(event))
        return None

    def act_on_lifecycle(self, tenant_id: str, subscription_id: str, event: str) -> str | None:
        """The queue's work for a lifecycle event: a renewal (which also reauthorizes) or, for a subscription Graph
        removed, a new one. The tenant to reconcile in full when a subscription was gone for a while."""
        row = self._rows.find(subscription_id)
        if row is None or row.tenant_id != tenant_id:
            return None  # removed or replaced since: nothing is left to do
        outcome = KeepAliveOutcome()
        if event == "reauthorizationRequired":
            self._renew_or_recreate(row, outcome)
        elif event == "subscriptionRemoved":
            self._forget(row.id)
            self._rows.delete(row.id)
            self._create(row.tenant_id, row.entra_tenant_id, row.resource, outcome)
        return row.tenant_id if outcome.created else None  # what changed while none was there is unknown

    def _lookup(self, subscription_id: str) -> DirectorySubscription | None:
        with self._lock:
            known = self._known.get(subscription_id)
        if known is not None and time.monotonic() - known[1] < KNOWN_TTL_S:
            return known[0]
        row = self._rows.find(subscription_id)
        if row is not None:
            with self._lock:
                self._known[subscription_id] = (row, time.monotonic())
        return row

    def _forget(self, subscription_id: str) -> None:
        with self._lock:
            self._known.pop(subscription_id, None)

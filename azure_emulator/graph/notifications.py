"""Graph change notifications, one feature of Graph: subscriptions on `users` and `groups`, the validation
handshake, delivery, and the lifecycle events Graph sends for these resources.

Each rule names its source page on Microsoft Learn:
- [overview] https://learn.microsoft.com/graph/change-notifications-overview (its supported-resources and latency
  tables)
- [webhooks] https://learn.microsoft.com/graph/change-notifications-delivery-webhooks
- [lifecycle] https://learn.microsoft.com/graph/change-notifications-lifecycle-events

- `POST /subscriptions` validates `notificationUrl` (and `lifecycleNotificationUrl`) as Graph does: it POSTs
  `{url}?validationToken=<token>` and needs `200 text/plain` echoing the token within 10 s, else 400.
  Graph requires https; the emulator also accepts plain http for loopback hosts (127.0.0.1, localhost, ::1), where
  a local Functions host listens. Expiry is at most 41,760 minutes (29 days) ahead, Graph's maximum for users and
  groups; `PATCH` renews, `POST /subscriptions/{id}/reauthorize` reauthorizes, `DELETE` removes. An expired
  subscription is gone: it gets nothing and answers 404. Users and groups subscriptions are limited to 100 per app
  and tenant, 1,000 per tenant for all apps and 50,000 per app for all tenants [overview]: beyond, 403.
- A user or group created, updated (licenses, members too) or deleted queues a change. Creation and soft deletion
  of users and groups notify `updated` [overview]; the emulator's `DELETE` is Graph's soft delete (the object goes
  to deleted items), so a delete arrives as `updated`, never `deleted`.
- Delivery lags: Graph gives no latency for users or groups ("Unknown" in [overview]'s table), so the lag is an
  emulator timer, `graph.notificationLag` (0 s unless a test sets it, per tenant, with `PUT /emulator/timers/...`).
  A delivery is one POST of `{value: [...]}` per subscription with a 3 s timeout [webhooks]: anything but a 2xx
  within it fails, and is retried with backoff for up to 4 hours, then dropped [webhooks], with no lifecycle event:
  Graph sends `missed` (and `subscriptionRemoved`) only for Outlook and Teams resources; users and groups get only
  `reauthorizationRequired` [lifecycle]. An app learns of dropped notifications only by reading the directory again.
- `POST /emulator/graph/lifecycle` `{tenantId, subscriptionId?, lifecycleEvent: "reauthorizationRequired"}` sends
  it at once; other events are refused, as Graph never sends them for these resources.
  `DELETE /emulator/graph/subscriptions/{id}?tenantId=` ends a subscription as Graph does when it stops one on its
  own (no notification, as for users and groups). `GET /emulator/graph/deliveries?tenantId=` counts deliveries
  pending, delivered and dropped, so tests see them without waiting.

Store kind: `graph.subscription` `{tid}/{id}`.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import secrets
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from azure_emulator.graph.common import GraphRoutes, bad_request, odata_context
from azure_emulator.server import ApiError, Context, Request, Response

log = logging.getLogger("azure_emulator.graph")
SUBSCRIPTION = "graph.subscription"
RESOURCES = {"users": "#Microsoft.Graph.User", "groups": "#Microsoft.Graph.Group"}
CHANGE_TYPES = {"created", "updated", "deleted"}
MAX_MINUTES = 41_760
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
VALIDATION_TIMEOUT_S = 10.0
# [overview]: the users and groups quotas
MAX_PER_APP_AND_TENANT, MAX_PER_TENANT, MAX_PER_APP = 100, 1_000, 50_000
# The only lifecycle event Graph sends for users and groups [lifecycle]
LIFECYCLE_EVENTS = {"reauthorizationRequired"}
# The emulator's timers (`PUT /emulator/timers/{name}` {seconds, tenantId?}) with Graph's values as defaults
LAG = "graph.notificationLag"  # Graph publishes none for users and groups; 0 keeps tests that wait on delivery quick
DELIVERY_TIMEOUT = "graph.notificationTimeout"  # 3 s [webhooks]; tests shorten it rather than wait
DELIVERY_TIMEOUT_S = 3.0
RETRY_DELAY = "graph.notificationRetryDelay"
# Graph does not publish its retry schedule, only that it retries "multiple times" for 4 hours and that a throttled
# endpoint's failures are retried 10 minutes later [webhooks]: the emulator doubles a first delay of a minute (not
# confirmed) up to those 10 minutes.
RETRY_DELAY_S, MAX_RETRY_DELAY_S = 60.0, 600.0
RETENTION = "graph.notificationRetention"
RETENTION_S = 4 * 3600.0  # [webhooks]: dropped when no 2xx came within 4 hours


def _parse_time(value: Any) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"expirationDateTime '{value}' is not an ISO-8601 date and time.", "InvalidRequest") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _check_expiry(value: Any, now: dt.datetime) -> str:
    expiry = _parse_time(value)
    if expiry <= now:
        raise bad_request("Subscription expiration must be in the future.", "InvalidRequest")
    if expiry > now + dt.timedelta(minutes=MAX_MINUTES):
        raise bad_request(f"Subscription expiration can only be {MAX_MINUTES} minutes in the future.", "InvalidRequest")
    return _iso(expiry)


def _check_url(url: Any, name: str) -> str:
    parts = urlsplit(str(url or ""))
    secure = parts.scheme == "https" and parts.hostname
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK  # the emulator's one relaxation
    if not (secure or loopback):
        raise bad_request(f"{name} must be an https URL (or http on loopback).", "InvalidRequest")
    return str(url)


def _resource(value: Any) -> str:
    resource = str(value or "").strip("/").lower()
    if resource not in RESOURCES:
        raise bad_request(f"Resource '{value}' is not supported: use 'users' or 'groups'.", "InvalidRequest")
    return resource


def _shown(sub: dict[str, Any], with_client_state: bool = False) -> dict[str, Any]:
    shown = {k: v for k, v in sub.items() if k != "clientState"}
    shown["clientState"] = sub.get("clientState") if with_client_state else None
    return shown


@dataclass
class Delivery:
    """The notifications of one subscription that went out together, and how their delivery is going."""

    tenant_id: str
    subscription_id: str
    url: str
    values: list[dict[str, Any]]
    queued_at: float
    first_try: float | None = None
    failed_at: float | None = None
    failures: int = 0
    busy: bool = False  # a try is under way


@dataclass
class Tally:
    pending: list[Delivery] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (tenant, delivered|dropped)


class Notifier:
    """Queues directory changes and delivers them to the subscriptions that want them, off the request thread."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.session = requests.Session()
        self._queue: queue.Queue[tuple[str, str, str, str, dict[str, Any] | None]] = queue.Queue()
        self._tally = Tally()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="graph-notify")
        self._thread = threading.Thread(target=self._run, name="graph-notifications", daemon=True)
        self._thread.start()

    def changed(
        self, tid: str, resource: str, change_type: str, object_id: str, extra: dict[str, Any] | None = None
    ) -> None:
        """A change as users.py and groups.py report it, notified as Graph notifies it [overview]."""
        if change_type == "deleted":  # the emulator's DELETE is Graph's soft delete: `updated`
            self._queue.put((tid, resource, "updated", object_id, extra))
            return
        self._queue.put((tid, resource, change_type, object_id, extra))
        if change_type == "created":  # creation notifies `updated` too
            self._queue.put((tid, resource, "updated", object_id, extra))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.ctx.clock(), dt.UTC)

    def live(self, tid: str) -> list[dict[str, Any]]:
        now = self.now()
        return [s for s in self.ctx.store.scan(SUBSCRIPTION, f"{tid}/") if _parse_time(s["expirationDateTime"]) > now]

    def timer(self, name: str, tid: str, default: float) -> float:
        """A timer control's seconds for `tid`: the worker threads answer no request, so they name the tenant."""
        controls = self.ctx.controls
        controls.set_request_tenant(tid)
        try:
            return controls.timer(name, default)
        finally:
            controls.set_request_tenant(None)

    def deliveries(self, tid: str | None) -> dict[str, int]:
        with self._lock:
            pending = sum(1 for d in self._tally.pending if tid in (None, d.tenant_id))
            counts = self._tally.counts
            delivered = sum(n for (t, what), n in counts.items() if what == "delivered" and tid in (None, t))
            dropped = sum(n for (t, what), n in counts.items() if what == "dropped" and tid in (None, t))
        return {"pending": pending, "delivered": delivered, "dropped": dropped}

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=0.1)
            except queue.Empty:
                first = None
            if first is not None:
                changes = [first]
                while len(changes) < 1000:  # what queued together goes out together, as Graph batches
                    try:
                        changes.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                try:
                    self._fan_out(changes)
                except Exception:
                    log.exception("graph notifications: fan-out failed")
            try:
                self._send_due()
            except Exception:
                log.exception("graph notifications: delivery failed")

    def _fan_out(self, changes: list[tuple[str, str, str, str, dict[str, Any] | None]]) -> None:
        batches: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        subscriptions: dict[str, list[dict[str, Any]]] = {}
        for tid, resource, change_type, object_id, extra in changes:
            if tid not in subscriptions:
                subscriptions[tid] = self.live(tid)
            for sub in subscriptions[tid]:
                if sub["resource"] != resource or change_type not in sub["changeType"].split(","):
                    continue
                label = resource.capitalize()
                data = {
                    "@odata.type": RESOURCES[resource],
                    "@odata.id": f"{label}/{object_id}",
                    "id": object_id,
                    "organizationId": tid,
                    **(extra or {}),
                }
                notification = {
                    "changeType": change_type,
                    "clientState": sub.get("clientState"),
                    "resource": f"{label}/{object_id}",
                    "resourceData": data,
                    "subscriptionExpirationDateTime": sub["expirationDateTime"],
                    "subscriptionId": sub["id"],
                    "tenantId": tid,
                }
                batches.setdefault(sub["id"], (sub, []))[1].append(notification)
        now = self.ctx.clock()
        with self._lock:
            for sub, values in batches.values():
                self._tally.pending.append(Delivery(sub["tenantId"], sub["id"], sub["notificationUrl"], values, now))

    def _due(self, delivery: Delivery, now: float) -> bool:
        """Whether a delivery's next try is due. Timers are read each time, so a test that shortens one (instead of
        waiting) moves what is already pending."""
        if delivery.failed_at is None:
            return now >= delivery.queued_at + self.timer(LAG, delivery.tenant_id, 0.0)
        first = self.timer(RETRY_DELAY, delivery.tenant_id, RETRY_DELAY_S)
        backoff = min(MAX_RETRY_DELAY_S, first * 2 ** (delivery.failures - 1))
        return now >= delivery.failed_at + backoff

    def _send_due(self) -> None:
        now = self.ctx.clock()
        with self._lock:
            waiting = [d for d in self._tally.pending if not d.busy]
        for delivery in waiting:
            if self._due(delivery, now):
                delivery.busy = True
                self._pool.submit(self._try, delivery)

    def _try(self, delivery: Delivery) -> None:
        tid = delivery.tenant_id
        delivered = False
        if self.ctx.store.get(SUBSCRIPTION, f"{tid}/{delivery.subscription_id}") is None:
            outcome = "dropped"  # deleted meanwhile: nothing goes to a subscription that is gone
        else:
            now = self.ctx.clock()
            delivery.first_try = delivery.first_try or now
            timeout = self.timer(DELIVERY_TIMEOUT, tid, DELIVERY_TIMEOUT_S)
            delivered = self.post(delivery.url, {"value": delivery.values}, timeout) // 100 == 2
            if delivered:
                outcome = "delivered"
            else:
                delivery.failures += 1
                delivery.failed_at = self.ctx.clock()
                over = delivery.failed_at - delivery.first_try >= self.timer(RETENTION, tid, RETENTION_S)
                outcome = "dropped" if over else "retried"
                log.info(
                    "graph notifications: delivery to subscription %s failed (%s)",
                    delivery.subscription_id,
                    "dropped" if over else f"try {delivery.failures}",
                )
        with self._lock:
            delivery.busy = False
            if outcome != "retried":
                self._tally.pending.remove(delivery)
                self._tally.counts[(tid, outcome)] += 1

    def post(self, url: str, body: dict[str, Any], timeout_s: float = DELIVERY_TIMEOUT_S) -> int:
        """The status of one POST, 0 when none came within `timeout_s` in all: a slow answer counts as none
        [webhooks]."""
        started = time.monotonic()
        try:
            status = self.session.post(url, json=body, timeout=timeout_s).status_code
        except requests.RequestException as exc:
            log.info("graph notifications: %s unreachable (%s)", urlsplit(url).netloc, type(exc).__name__)
            return 0
        return status if time.monotonic() - started <= timeout_s else 0

    def lifecycle(self, sub: dict[str, Any], event: str) -> int:
        item = {
            "subscriptionId": sub["id"],
            "subscriptionExpirationDateTime": sub["expirationDateTime"],
            "tenantId": sub["tenantId"],
            "clientState": sub.get("clientState"),
            "lifecycleEvent": event,
        }
        timeout = self.timer(DELIVERY_TIMEOUT, sub["tenantId"], DELIVERY_TIMEOUT_S)
        return self.post(sub["lifecycleNotificationUrl"], {"value": [item]}, timeout)

    def validate(self, url: str) -> bool:
        """Graph's handshake: the endpoint echoes the validation token as text/plain within 10 s."""
        token = f"Validation: {secrets.token_urlsafe(16)}"
        try:
            answer = self.session.post(
                url,
                params={"validationToken": token},
                headers={"Content-Type": "text/plain"},
                timeout=VALIDATION_TIMEOUT_S,
            )
        except requests.RequestException:
            return False
        content_type = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return answer.status_code == 200 and content_type == "text/plain" and answer.text == token


def register(ctx: Context, routes: GraphRoutes, notifier: Notifier) -> None:
    store = ctx.store

    def get_live(request: Request) -> dict[str, Any]:
        tid, sub_id = request.tenant, request.params["subscription"].lower()
        sub = store.get(SUBSCRIPTION, f"{tid}/{sub_id}")
        if sub is None or _parse_time(sub["expirationDateTime"]) <= notifier.now():
            raise ApiError(404, "ResourceNotFound", f"The object was not found: subscription '{sub_id}'.")
        return sub

    def requested_resource(request: Request) -> str | None:
        """The resource a new subscription asks for: its permission is the one an app-only caller needs."""
        body = request.json()
        return str(body.get("resource") or "").strip("/").lower() if isinstance(body, dict) else None

    def stored_resource(request: Request) -> str | None:
        """The resource of an existing subscription, which managing it needs the permission of."""
        tid = str((request.claims or {}).get("tid") or "")
        sub = store.get(SUBSCRIPTION, f"{tid}/{request.params['subscription'].lower()}")
        return str(sub["resource"]) if sub else None

    def check_quotas(tid: str, appid: Any) -> None:
        """[overview]'s quotas for users and groups (the only resources here), counted over live subscriptions."""
        everywhere = [s for s in store.scan(SUBSCRIPTION) if _parse_time(s["expirationDateTime"]) > notifier.now()]
        in_tenant = [s for s in everywhere if s["tenantId"] == tid]
        of_app = [s for s in everywhere if s.get("applicationId") == appid]
        if (
            sum(1 for s in in_tenant if s.get("applicationId") == appid) >= MAX_PER_APP_AND_TENANT
            or len(in_tenant) >= MAX_PER_TENANT
            or len(of_app) >= MAX_PER_APP
        ):
            # 403 [overview]; the code and the message's form are those of Graph's answers quoted in public issues
            # (microsoftgraph/msgraph-sdk-dotnet#365, microsoftgraph/microsoft-graph-docs-contrib#112); the reason
            # Graph gives for users and groups is not confirmed: that (a OneDrive subscription) stands in.
            raise ApiError(
                403,
                "ExtensionError",
                "Operation: Create; Exception: [Status Code: Forbidden; Reason: Maximum number of subscriptions "
                "has been reached]",
            )

    # subscriptions are not among the directory's resources its throttling limits list: the global limit only
    @routes.route("POST", r"/subscriptions", "createSubscription", service="other", resource=requested_resource)
    def create(request: Request) -> Response:
        tid, body, claims = request.tenant, request.json(), request.claims or {}
        change_types = [c.strip() for c in str(body.get("changeType") or "").split(",") if c.strip()]
        if not change_types or not set(change_types) <= CHANGE_TYPES:
            raise bad_request(
                "changeType must be a comma-separated list of created, updated, deleted.", "InvalidRequest"
            )
        sub = {
            "id": str(uuid.uuid4()),
            "resource": _resource(body.get("resource")),
            "applicationId": claims.get("appid"),
            "changeType": ",".join(change_types),
            "clientState": body.get("clientState"),
            "notificationUrl": _check_url(body.get("notificationUrl"), "notificationUrl"),
            "lifecycleNotificationUrl": None,
            "expirationDateTime": _check_expiry(body.get("expirationDateTime"), notifier.now()),
            "creatorId": claims.get("oid"),
            "latestSupportedTlsVersion": "v1_2",
            "includeResourceData": False,
            "tenantId": tid,
        }
        if body.get("lifecycleNotificationUrl"):
            sub["lifecycleNotificationUrl"] = _check_url(body["lifecycleNotificationUrl"], "lifecycleNotificationUrl")
        check_quotas(tid, sub["applicationId"])
        for url in filter(None, (sub["notificationUrl"], sub["lifecycleNotificationUrl"])):
            if not notifier.validate(url):
                raise bad_request(
                    "Subscription validation request failed. Notification endpoint must respond with 200 OK "
                    "to validation request.",
                    "InvalidRequest",
                )
        store.put(SUBSCRIPTION, f"{tid}/{sub['id']}", sub)
        shown = _shown(sub, with_client_state=True)
        return Response(201, {"@odata.context": odata_context(request, "subscriptions/$entity"), **shown})

    @routes.route("GET", r"/subscriptions", "listSubscriptions", service="other", resource=lambda request: None)
    def list_all(request: Request) -> Response:
        appid = (request.claims or {}).get("appid")
        value = [_shown(s) for s in notifier.live(request.tenant) if s.get("applicationId") == appid]
        return Response(200, {"@odata.context": odata_context(request, "subscriptions"), "value": value})

    @routes.route(
        "GET", r"/subscriptions/(?P<subscription>[^/]+)", "getSubscription", service="other", resource=stored_resource
    )
    def read(request: Request) -> Response:
        return Response(
            200, {"@odata.context": odata_context(request, "subscriptions/$entity"), **_shown(get_live(request))}
        )

    @routes.route(
        "PATCH",
        r"/subscriptions/(?P<subscription>[^/]+)",
        "renewSubscription",
        service="other",
        resource=stored_resource,
    )
    def renew(request: Request) -> Response:
        body = request.json()
        with store.transaction():
            sub = get_live(request)
            if "expirationDateTime" in body:
                sub["expirationDateTime"] = _check_expiry(body["expirationDateTime"], notifier.now())
            if "notificationUrl" in body:
                sub["notificationUrl"] = _check_url(body["notificationUrl"], "notificationUrl")
            store.put(SUBSCRIPTION, f"{sub['tenantId']}/{sub['id']}", sub)
        return Response(200, {"@odata.context": odata_context(request, "subscriptions/$entity"), **_shown(sub)})

    @routes.route(
        "POST",
        r"/subscriptions/(?P<subscription>[^/]+)/reauthorize",
        "reauthorizeSubscription",
        service="other",
        resource=stored_resource,
    )
    def reauthorize(request: Request) -> Response:
        get_live(request)
        return Response(204)

    @routes.route(
        "DELETE",
        r"/subscriptions/(?P<subscription>[^/]+)",
        "deleteSubscription",
        service="other",
        resource=stored_resource,
    )
    def delete(request: Request) -> Response:
        sub = get_live(request)
        store.delete(SUBSCRIPTION, f"{sub['tenantId']}/{sub['id']}")
        return Response(204)

    @ctx.router.route("POST", r"/emulator/graph/lifecycle", operation="emulatorControl", api="emulator", auth=False)
    def send_lifecycle(request: Request) -> Response:
        body = request.json()
        tid, event, wanted = body.get("tenantId"), body.get("lifecycleEvent"), body.get("subscriptionId")
        if not isinstance(tid, str) or event not in LIFECYCLE_EVENTS:
            raise ApiError(
                400,
                "InvalidRequestContent",
                f"'tenantId' and a lifecycleEvent of {sorted(LIFECYCLE_EVENTS)}: Graph sends no other for users and "
                "groups.",
            )
        targets = [s for s in notifier.live(tid) if s.get("lifecycleNotificationUrl") and wanted in (None, s["id"])]
        delivered = [{"subscriptionId": s["id"], "status": notifier.lifecycle(s, str(event))} for s in targets]
        return Response(200, {"value": delivered})

    @ctx.router.route(
        "DELETE",
        r"/emulator/graph/subscriptions/(?P<subscription>[^/]+)",
        operation="emulatorControl",
        api="emulator",
        auth=False,
    )
    def end_subscription(request: Request) -> Response:
        """Graph ends a subscription on its own; for users and groups it says nothing [lifecycle]."""
        store.delete(SUBSCRIPTION, f"{request.q('tenantId')}/{request.params['subscription'].lower()}")
        return Response(204)

    @ctx.router.route("GET", r"/emulator/graph/deliveries", operation="emulatorControl", api="emulator", auth=False)
    def count_deliveries(request: Request) -> Response:
        return Response(200, notifier.deliveries(request.q("tenantId")))

    @ctx.router.route("GET", r"/emulator/graph/subscriptions", operation="emulatorControl", api="emulator", auth=False)
    def inspect(request: Request) -> Response:
        """Every tenant's subscriptions without client states, so tests can look without a token."""
        value = [_shown(s) for s in store.scan(SUBSCRIPTION) if request.q("tenantId") in (None, s["tenantId"])]
        return Response(200, {"value": value})

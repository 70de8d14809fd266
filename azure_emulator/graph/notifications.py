"""Graph change notifications, one feature of Graph: subscriptions on `users` and `groups`, the validation
handshake, and delivery.

- `POST /subscriptions` validates `notificationUrl` (and `lifecycleNotificationUrl`) as Graph does: it POSTs
  `{url}?validationToken=<token>` and needs `200 text/plain` echoing the token within 10 s, else 400.
  Graph requires https; the emulator also accepts plain http for loopback hosts (127.0.0.1, localhost, ::1), where
  a local Functions host listens. Expiry is at most 41,760 minutes (29 days) ahead, Graph's maximum for users and
  groups; `PATCH` renews, `POST /subscriptions/{id}/reauthorize` reauthorizes, `DELETE` removes. An expired
  subscription is gone: it gets nothing and answers 404.
- A user created/updated (licenses too)/deleted, or a group whose members changed, queues a change; a background
  worker delivers `{value: [...]}` to every live subscription of that tenant and resource whose changeType
  matches, batching what queued together, retrying 3 times (0.5, 1, 2 s apart). When every try fails, a `missed`
  lifecycle notification goes to the lifecycle URL, as Graph does when it drops notifications.
- `POST /emulator/graph/lifecycle` `{tenantId, subscriptionId?, lifecycleEvent}` sends `missed`,
  `reauthorizationRequired` or `subscriptionRemoved` (which also deletes the subscription) at once, for tests.

Store kind: `graph.subscription` `{tid}/{id}`.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import secrets
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
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
DELIVERY_TIMEOUT_S = 10.0
RETRY_DELAYS_S = (0.5, 1.0, 2.0)  # Graph retries for hours; a test cannot wait that long
LIFECYCLE_EVENTS = {"missed", "reauthorizationRequired", "subscriptionRemoved"}


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


class Notifier:
    """Queues directory changes and delivers them to the subscriptions that want them, off the request thread."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.session = requests.Session()
        self._queue: queue.Queue[tuple[str, str, str, str, dict[str, Any] | None]] = queue.Queue()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="graph-notify")
        self._thread = threading.Thread(target=self._run, name="graph-notifications", daemon=True)
        self._thread.start()

    def changed(
        self, tid: str, resource: str, change_type: str, object_id: str, extra: dict[str, Any] | None = None
    ) -> None:
        self._queue.put((tid, resource, change_type, object_id, extra))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.ctx.clock(), dt.UTC)

    def live(self, tid: str) -> list[dict[str, Any]]:
        now = self.now()
        return [s for s in self.ctx.store.scan(SUBSCRIPTION, f"{tid}/") if _parse_time(s["expirationDateTime"]) > now]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
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
        for sub, values in batches.values():
            self._pool.submit(self._deliver, sub, values)

    def _deliver(self, sub: dict[str, Any], values: list[dict[str, Any]]) -> None:
        for delay in (0.0, *RETRY_DELAYS_S):
            if delay and self._stop.wait(delay):
                return
            if self.post(sub["notificationUrl"], {"value": values}) // 100 == 2:
                return
        log.warning("graph notifications: %d undelivered for subscription %s", len(values), sub["id"])
        if sub.get("lifecycleNotificationUrl"):
            self.lifecycle(sub, "missed")

    def post(self, url: str, body: dict[str, Any]) -> int:
        try:
            return self.session.post(url, json=body, timeout=DELIVERY_TIMEOUT_S).status_code
        except requests.RequestException as exc:
            log.info("graph notifications: %s unreachable (%s)", urlsplit(url).netloc, type(exc).__name__)
            return 0

    def lifecycle(self, sub: dict[str, Any], event: str) -> int:
        item = {
            "subscriptionId": sub["id"],
            "subscriptionExpirationDateTime": sub["expirationDateTime"],
            "tenantId": sub["tenantId"],
            "clientState": sub.get("clientState"),
            "lifecycleEvent": event,
        }
        return self.post(sub["lifecycleNotificationUrl"], {"value": [item]})

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

    @routes.route("POST", r"/subscriptions", "createSubscription", resource=requested_resource)
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

    @routes.route("GET", r"/subscriptions", "listSubscriptions", resource=lambda request: None)
    def list_all(request: Request) -> Response:
        appid = (request.claims or {}).get("appid")
        value = [_shown(s) for s in notifier.live(request.tenant) if s.get("applicationId") == appid]
        return Response(200, {"@odata.context": odata_context(request, "subscriptions"), "value": value})

    @routes.route("GET", r"/subscriptions/(?P<subscription>[^/]+)", "getSubscription", resource=stored_resource)
    def read(request: Request) -> Response:
        return Response(
            200, {"@odata.context": odata_context(request, "subscriptions/$entity"), **_shown(get_live(request))}
        )

    @routes.route("PATCH", r"/subscriptions/(?P<subscription>[^/]+)", "renewSubscription", resource=stored_resource)
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
        resource=stored_resource,
    )
    def reauthorize(request: Request) -> Response:
        get_live(request)
        return Response(204)

    @routes.route("DELETE", r"/subscriptions/(?P<subscription>[^/]+)", "deleteSubscription", resource=stored_resource)
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
                400, "InvalidRequestContent", f"'tenantId' and a lifecycleEvent of {sorted(LIFECYCLE_EVENTS)}."
            )
        targets = [s for s in notifier.live(tid) if s.get("lifecycleNotificationUrl") and wanted in (None, s["id"])]
        delivered = []
        for sub in targets:
            delivered.append({"subscriptionId": sub["id"], "status": notifier.lifecycle(sub, str(event))})
            if event == "subscriptionRemoved":
                store.delete(SUBSCRIPTION, f"{tid}/{sub['id']}")
        return Response(200, {"value": delivered})

    @ctx.router.route("GET", r"/emulator/graph/subscriptions", operation="emulatorControl", api="emulator", auth=False)
    def inspect(request: Request) -> Response:
        """Every tenant's subscriptions without client states, so tests can look without a token."""
        value = [_shown(s) for s in store.scan(SUBSCRIPTION) if request.q("tenantId") in (None, s["tenantId"])]
        return Response(200, {"value": value})

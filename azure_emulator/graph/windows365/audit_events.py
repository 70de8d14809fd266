"""Windows 365's audit log (https://learn.microsoft.com/graph/api/resources/cloudpcauditevent): every change an app or
an admin makes through Windows 365's Graph routes, kept as the service keeps it, and listed with
`$filter=activityDateTime ge {time}`.

The log is written by AuditedRoutes, which every Windows 365 module registers its routes through: each write that
succeeds becomes one event, naming the resource from the path or from the answer. A write is any method but GET, and
no POST registered as a read: a report's retrieval changes nothing, and the log's activityOperationType has no member
for a read. That type is the HTTP operation (create for a POST, an action's too; patch; delete): the enum has no
other member but `unknownFutureValue`.

Each version shows the resource as it documents cloudPcAuditResource: v1.0
(https://learn.microsoft.com/graph/api/resources/cloudpcauditresource) has displayName, modifiedProperties and
resourceId only; beta (https://learn.microsoft.com/graph/api/resources/cloudpcauditresource?view=graph-rest-beta)
adds resourceType, and its `type` is deprecated and returns no data since 8 May 2024.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

from azure_emulator.graph.common import GraphRoutes, bad_request, odata_context
from azure_emulator.graph.windows365 import records
from azure_emulator.server import Context, Request, Response

AUDIT_EVENTS = records.BASE + "/auditEvents"
EVENT_TYPE = "#microsoft.graph.cloudPcAuditEvent"
RESOURCE_TYPE = "#microsoft.graph.cloudPcAuditResource"
RESOURCE_TYPES = {
    "cloudPCs": "cloudPc",
    "provisioningPolicies": "provisioningPolicy",
    "userSettings": "userSetting",
    "onPremisesConnections": "onPremisesConnection",
    "deviceImages": "deviceImage",
}
SINCE = re.compile(r"^\s*activityDateTime\s+ge\s+(\S+)\s*$")
Handler = Callable[[Request], Response]


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AuditedRoutes(GraphRoutes):
    """GraphRoutes whose successful writes are kept in the tenant's Windows 365 audit log."""

    def route(self, method: str, path: str, operation: str, **options: Any) -> Callable[[Handler], Handler]:
        register = super().route(method, path, operation, **options)
        if method == "GET" or options.get("kind") == "read":
            return register

        def audited_register(handler: Handler) -> Handler:
            def audited(request: Request) -> Response:
                response = handler(request)
                if response.status < 300:
                    _record(self.ctx, request, method, operation, response)
                return response

            register(audited)
            return handler

        return audited_register


def _record(ctx: Context, request: Request, method: str, operation: str, response: Response) -> None:
    segments = request.path.split("/virtualEndpoint/", 1)[-1].split("/")
    answered = response.body if isinstance(response.body, dict) else {}
    resource_id = request.params.get("id") or answered.get("id")
    kind = RESOURCE_TYPES.get(segments[0], segments[0])
    stored = {
        "cloudPc": records.CLOUD_PC,
        "provisioningPolicy": records.POLICY,
        "userSetting": records.USER_SETTING,
        "onPremisesConnection": records.CONNECTION,
        "deviceImage": records.DEVICE_IMAGE,
    }.get(kind)
    doc = ctx.store.get(stored, records.key(request.tenant, str(resource_id))) if stored and resource_id else None
    name = answered.get("displayName") or (doc or {}).get("displayName")
    operation_type = {"PATCH": "patch", "DELETE": "delete"}.get(method, "create")
    claims = request.claims or {}
    now, event_id = ctx.clock(), str(uuid.uuid4())
    event = {
        "@odata.type": EVENT_TYPE,
        "id": event_id,
        "displayName": operation,
        "componentName": kind,
        "activity": operation,
        "activityType": operation,
        "activityDateTime": _iso(now),
        "activityOperationType": operation_type,
        "activityResult": "success",
        "category": "cloudPC",
        "correlationId": response.headers.get("request-id") or str(uuid.uuid4()),
        "actor": {
            "type": "application",
            "applicationId": claims.get("appid") or claims.get("azp"),
            "applicationDisplayName": claims.get("app_displayname"),
            "userPrincipalName": None,
        },
        "resources": [
            {
                "@odata.type": RESOURCE_TYPE,
                "displayName": name,
                "modifiedProperties": [],
                "resourceId": resource_id,
                "resourceType": kind,
            }
        ]
        if resource_id
        else [],
        "_at": now,
    }
    ctx.store.put(records.AUDIT_EVENT, records.key(request.tenant, event_id), event)


def _view(request: Request, event: dict[str, Any]) -> dict[str, Any]:
    """The event as the request's version documents it (the module's docstring)."""
    shown = {k: v for k, v in event.items() if not k.startswith("_")}
    if request.params.get("version") == "v1.0":
        shown["resources"] = [{k: v for k, v in r.items() if k != "resourceType"} for r in event["resources"]]
    else:
        shown["resources"] = [{**r, "type": None} for r in event["resources"]]
    return shown


def register(ctx: Context, routes: GraphRoutes) -> None:
    @routes.route("GET", AUDIT_EVENTS, "listCloudPcAuditEvents", service="intune")
    def list_events(request: Request) -> Response:
        since = 0.0
        if request.q("$filter"):
            match = SINCE.match(request.q("$filter") or "")
            if match is None:  # the one filter the emulator serves; Graph's others are not modelled
                raise bad_request("Only $filter=activityDateTime ge {time} is supported here.", "BadRequest")
            since = dt.datetime.fromisoformat(match[1].replace("Z", "+00:00")).timestamp()
        found = sorted(
            (e for e in ctx.store.scan(records.AUDIT_EVENT, f"{request.tenant}/") if e["_at"] >= since),
            key=lambda e: e["_at"],
        )
        shown = [_view(request, event) for event in found]
        context = odata_context(request, "deviceManagement/virtualEndpoint/auditEvents")
        return Response(200, {"@odata.context": context, "value": shown})

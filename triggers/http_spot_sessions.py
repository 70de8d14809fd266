"""HTTP routes of a Spot Group's user sessions: the group's and a host's lists, and a message, disconnect and log off
on one session or on many at once, every session's action in the audit log."""

from __future__ import annotations

from typing import cast, get_args

import azure.durable_functions as df

from shared.models.spot_sessions import (
    SessionActionName,
    SessionBulkAction,
    SessionBulkActionCreate,
    SessionMessage,
    SessionState,
    SpotGroupSessionList,
)
from shared.ports.bundles import AuditPorts, SpotGroupPorts
from shared.services.access import audit
from shared.services.access.audit import Target
from shared.services.spot_pc import spot_group_sessions as service
from triggers.http_api import Api
from triggers.http_request import ApiRequest, QueryParam
from triggers.http_responses import ApiResponse

GROUP = "tenants/{tenantId}/spotGroups/{spotGroupId}"
SESSION = f"{GROUP}/sessions/{{sessionId}}"
SEARCH = QueryParam(
    "search",
    "Only the sessions whose user principal name holds this text, in any case.",
    {"type": "string", "maxLength": 100},
)
STATE = QueryParam("state", "Only the sessions in this state.", {"type": "string", "enum": [*get_args(SessionState)]})
FILTERS = (SEARCH, STATE)
# the operation of each action on one session: a bulk action's event for each session is named after it, so the
# audit log shows a session's log-off alike however it was asked for
OPERATION_OF: dict[SessionActionName, str] = {
    "sendMessage": "sendSessionMessage",
    "disconnect": "disconnectSession",
    "logOff": "logOffSession",
}


def blueprint(api: Api, cloud: SpotGroupPorts, audit_ports: AuditPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Spot Group sessions")

    def listed(req: ApiRequest, host_name: str | None = None) -> SpotGroupSessionList:
        state = cast(SessionState | None, req.query(STATE.name))  # one of the enum: checked by its schema
        found = service.list_sessions(
            cloud,
            req.param("tenantId"),
            req.param("spotGroupId"),
            search=req.query(SEARCH.name),
            state=state,
            host_name=host_name,
        )
        return SpotGroupSessionList(value=found)

    @routes.get(
        f"{GROUP}/sessions",
        "listSpotGroupSessions",
        "A Spot Group's user sessions: the user, state, host and start",
        response=SpotGroupSessionList,
        query=FILTERS,
    )
    def list_group_sessions(req: ApiRequest) -> SpotGroupSessionList:
        return listed(req)

    @routes.get(
        f"{GROUP}/sessionHosts/{{sessionHostName}}/sessions",
        "listSessionHostSessions",
        "The user sessions on one of a Spot Group's session hosts",
        response=SpotGroupSessionList,
        query=FILTERS,
    )
    def list_host_sessions(req: ApiRequest) -> SpotGroupSessionList:
        return listed(req, req.param("sessionHostName"))

    def act(req: ApiRequest, action: SessionActionName, message: SessionMessage | None = None) -> ApiResponse:
        service.act(cloud, req.param("tenantId"), req.param("spotGroupId"), req.param("sessionId"), action, message)
        return ApiResponse(204)

    @routes.post(
        f"{SESSION}/sendMessage",
        "sendSessionMessage",
        "Show the user a message (a title and a text) in their session",
        body=SessionMessage,
        status=204,
        review=False,
    )
    def send_message(req: ApiRequest) -> ApiResponse:
        return act(req, "sendMessage", req.body(SessionMessage))

    @routes.post(
        f"{SESSION}/disconnect",
        "disconnectSession",
        "Disconnect the user: the session stays on its host for them to come back to",
        status=204,
        review=False,
    )
    def disconnect(req: ApiRequest) -> ApiResponse:
        return act(req, "disconnect")

    @routes.post(
        f"{SESSION}/logOff",
        "logOffSession",
        "Log the user off now: what they have not saved is lost",
        status=204,
        review=False,
    )
    def log_off(req: ApiRequest) -> ApiResponse:
        return act(req, "logOff")

    @routes.post(
        f"{GROUP}/sessionActions",
        "bulkSessionAction",
        "One action on many sessions, each with its own result (404 for a session that is gone)",
        body=SessionBulkActionCreate,
        response=SessionBulkAction,
        review=False,
    )
    def bulk_action(req: ApiRequest) -> SessionBulkAction:
        tenant_id = req.param("tenantId")
        request = req.body(SessionBulkActionCreate)
        done = service.act_in_bulk(cloud, tenant_id, req.param("spotGroupId"), request)
        for result in done.results:
            target = Target(tenant_id, OPERATION_OF[request.action], "session", result.session_id)
            audit.acted(
                audit_ports,
                req.caller,
                target,
                succeeded=result.status == "succeeded",
                error_code=result.error.code if result.error else None,
            )
        return done

    return bp

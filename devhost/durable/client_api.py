"""The extension's client HTTP API under /runtime/webhooks/durabletask/, served with aiohttp.

Bodies arrive as the SDK client sends them (a JSON string holding JSON text); the parsed value
is passed on unchanged, as the extension does. Every answer is JSON or empty, because the SDK
parses every response body as JSON.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from devhost.durable import history as h
from devhost.durable.binding import WEBHOOK_PATH, management_urls
from devhost.durable.management import InstanceGoneError, InstanceNotFoundError

if TYPE_CHECKING:
    from devhost.durable.engine import DurableEngine

_ENGINE: web.AppKey[DurableEngine] = web.AppKey("durable_engine")
_RUNNING = {"Running", "Pending", "ContinuedAsNew", "Suspended"}


def add_routes(app: web.Application, engine: DurableEngine) -> None:
    app[_ENGINE] = engine
    p = WEBHOOK_PATH
    app.router.add_post(p + "/orchestrators/{name}", _start)
    app.router.add_post(p + "/orchestrators/{name}/{instance_id}", _start)
    for path in (p + "/instances", p + "/instances/"):
        app.router.add_get(path, _list)
        app.router.add_delete(path, _purge_by)
    app.router.add_get(p + "/instances/{instance_id}", _status)
    app.router.add_delete(p + "/instances/{instance_id}", _purge)
    app.router.add_post(p + "/instances/{instance_id}/raiseEvent/{event}", _raise_event)
    app.router.add_post(p + "/instances/{instance_id}/{operation}", _operation)


def _engine(request: web.Request) -> DurableEngine:
    return request.app[_ENGINE]


def _flag(value: str | None, default: bool) -> bool:
    return default if value is None else value.strip().lower() == "true"


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return h.parse_ts(value)
    except ValueError:
        return datetime.fromisoformat(value)


def _statuses(value: str | None) -> list[str] | None:
    return [s for s in value.split(",") if s] if value else None


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _error(status: int, message: str, detail: str = "") -> web.Response:
    return web.json_response({"Message": message, "ExceptionMessage": detail or message}, status=status)


async def _body_value(request: web.Request) -> tuple[bool, Any]:
    text = await request.text()
    if not text.strip():
        return True, None
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


def _check_status_response(request: web.Request, instance_id: str) -> web.Response:
    engine = _engine(request)
    payload = management_urls(_origin(request), engine.task_hub, instance_id, engine.webhook_code)
    return web.json_response(
        payload, status=202, headers={"Location": payload["statusQueryGetUri"], "Retry-After": "10"}
    )


async def _start(request: web.Request) -> web.Response:
    from devhost.durable.engine import OrchestrationAlreadyExistsError, UnknownOrchestratorError

    ok, value = await _body_value(request)
    if not ok:
        return _error(400, "Invalid JSON content")
    try:
        # the SDK's start_new(..., version=) sends ?version=; without it the host's defaultVersion applies
        instance_id = _engine(request).create_instance(
            request.match_info["name"],
            request.match_info.get("instance_id"),
            value,
            version=request.query.get("version"),
        )
    except UnknownOrchestratorError as exc:
        return _error(400, "One or more of the arguments submitted is incorrect", str(exc))
    except OrchestrationAlreadyExistsError as exc:
        return _error(409, str(exc))
    return _check_status_response(request, instance_id)


async def _status(request: web.Request) -> web.Response:
    query = request.query
    status = await _engine(request).get_status(
        request.match_info["instance_id"],
        show_history=_flag(query.get("showHistory"), False),
        show_history_output=_flag(query.get("showHistoryOutput"), False),
        show_input=_flag(query.get("showInput"), True),
    )
    if status is None:
        return web.Response(status=404)
    runtime = status["runtimeStatus"]
    if runtime in _RUNNING:
        return web.json_response(status, status=202, headers={"Location": str(request.url), "Retry-After": "5"})
    failed_as_500 = _flag(query.get("returnInternalServerErrorOnFailure"), False)
    return web.json_response(status, status=500 if runtime == "Failed" and failed_as_500 else 200)


async def _list(request: web.Request) -> web.Response:
    query = request.query
    statuses = await _engine(request).list_statuses(
        runtime_status=_statuses(query.get("runtimeStatus")),
        created_from=_when(query.get("createdTimeFrom")),
        created_to=_when(query.get("createdTimeTo")),
        prefix=query.get("instanceIdPrefix"),
        show_input=_flag(query.get("showInput"), False),
    )
    return web.json_response(statuses)


async def _purge(request: web.Request) -> web.Response:
    deleted = await _engine(request).purge(request.match_info["instance_id"])
    if not deleted:
        return web.Response(status=404)
    return web.json_response({"instancesDeleted": deleted})


async def _purge_by(request: web.Request) -> web.Response:
    query = request.query
    deleted = await _engine(request).purge_by(
        created_from=_when(query.get("createdTimeFrom")),
        created_to=_when(query.get("createdTimeTo")),
        runtime_status=_statuses(query.get("runtimeStatus")),
    )
    if not deleted:
        return web.Response(status=404)
    return web.json_response({"instancesDeleted": deleted})


async def _raise_event(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return _error(400, "Only application/json request content is supported")
    ok, value = await _body_value(request)
    if not ok:
        return _error(400, "Invalid JSON content")
    try:
        await _engine(request).raise_event(request.match_info["instance_id"], request.match_info["event"], value)
    except InstanceNotFoundError:
        return web.Response(status=404)
    except InstanceGoneError:
        return web.Response(status=410)
    return web.Response(status=202)


async def _operation(request: web.Request) -> web.Response:
    engine = _engine(request)
    instance_id = request.match_info["instance_id"]
    operation = request.match_info["operation"].lower()
    reason = request.query.get("reason", "")
    try:
        if operation == "terminate":
            await engine.terminate(instance_id, reason)
        elif operation == "suspend":
            await engine.suspend(instance_id, reason)
        elif operation == "resume":
            await engine.resume(instance_id, reason)
        elif operation == "restart":
            new_id = await engine.restart(instance_id, _flag(request.query.get("restartWithNewInstanceId"), True))
            return _check_status_response(request, new_id)
        elif operation == "rewind":
            return web.json_response("rewind is not supported by devhost", status=501)
        else:
            return web.Response(status=404)
    except InstanceNotFoundError:
        return web.Response(status=404)
    except InstanceGoneError:
        return web.Response(status=410)
    return web.Response(status=202)

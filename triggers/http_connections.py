"""HTTP routes of the connection wizard: create, read, update, delete, run health checks."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.starting import start_orchestration
from shared.models.base import Page
from shared.models.connections import Connection, ConnectionCreate, ConnectionUpdate
from shared.models.orchestrations import HealthCheckRun
from shared.ports.admin_ports import AdminPorts
from shared.services.configuration import connections as service
from triggers.http_api import Api, created, page_of, updated
from triggers.http_request import PAGING, VALIDATE_ONLY, ApiRequest
from triggers.http_responses import ApiResponse

CONNECTIONS = "tenants/{tenantId}/connections"
CONNECTION = "tenants/{tenantId}/connections/{connectionId}"


async def start_health_checks(req: ApiRequest, connection: Connection) -> None:
    await start_orchestration(
        req.durable,
        names.CONNECTION_HEALTH_CHECK,
        names.health_check_instance_id(connection.tenant_id, connection.id, connection.health_check_run),
        HealthCheckRun.of(connection),
    )


def blueprint(api: Api, ports: AdminPorts) -> df.Blueprint:
    bp = df.Blueprint()
    routes = api.section(bp, "Connections")

    @routes.post(
        CONNECTIONS,
        "createConnection",
        "Create an Azure network connection; health checks start at once",
        body=ConnectionCreate,
        response=Connection,
        status=201,
        query=(VALIDATE_ONLY,),
        durable=True,
    )
    async def create_connection(req: ApiRequest) -> ApiResponse:
        tenant_id = req.param("tenantId")
        connection = service.create_connection(ports, tenant_id, req.body(ConnectionCreate), dry_run=req.validate_only)
        if not req.validate_only:
            await start_health_checks(req, connection)
        return created(req, connection, f"tenants/{tenant_id}/connections/{connection.id}")

    @routes.get(CONNECTIONS, "listConnections", "List connections", response=Page[Connection], query=PAGING)
    def list_connections(req: ApiRequest) -> dict[str, Any]:
        tenant_id = req.param("tenantId")
        items, token = ports.connections.list_connections(tenant_id, top=req.top, skip_token=req.skip_token)
        return page_of(req, service.with_usage(ports, items), token)

    @routes.get(CONNECTION, "getConnection", "Get a connection with its health checks", response=Connection)
    def get_connection(req: ApiRequest) -> Connection:
        return service.get_connection(ports, req.param("tenantId"), req.param("connectionId"))

    @routes.patch(
        CONNECTION,
        "updateConnection",
        "Rename or change credentials (re-runs the health checks)",
        body=ConnectionUpdate,
        response=Connection,
        query=(VALIDATE_ONLY,),
        durable=True,
    )
    async def update_connection(req: ApiRequest) -> ApiResponse:
        patch = req.body(ConnectionUpdate)
        connection = service.update_connection(
            ports,
            req.param("tenantId"),
            req.param("connectionId"),
            patch,
            if_match=req.if_match,
            dry_run=req.validate_only,
        )
        if connection.health_check_status == "pending" and not req.validate_only:
            await start_health_checks(req, connection)  # the change queued a run (a duplicate start collapses)
        return updated(req, connection)

    @routes.post(
        f"{CONNECTION}/runHealthChecks",
        "runHealthChecks",
        "Run the health checks again",
        response=Connection,
        status=202,
        durable=True,
    )
    async def run_health_checks(req: ApiRequest) -> ApiResponse:
        tenant_id, connection_id = req.param("tenantId"), req.param("connectionId")
        connection = service.request_health_checks(ports, tenant_id, connection_id, by_admin=True)
        await start_health_checks(req, connection)
        location = req.url(f"tenants/{tenant_id}/connections/{connection_id}")
        return ApiResponse(202, connection, {"Location": location, "Operation-Location": location})

    @routes.delete(CONNECTION, "deleteConnection", "Delete a connection no policy uses")
    def delete_connection(req: ApiRequest) -> ApiResponse:
        service.delete_connection(ports, req.param("tenantId"), req.param("connectionId"), if_match=req.if_match)
        return ApiResponse(204)

    return bp

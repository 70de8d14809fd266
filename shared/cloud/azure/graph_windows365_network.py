"""The tenant's Azure network connections, which Windows 365 itself checks, through Graph's Cloud PC API v1.0
(https://learn.microsoft.com/graph/api/resources/cloudpconpremisesconnection), asking as graph_windows365.py says."""

from __future__ import annotations

from typing import Any, cast

from shared.cloud.azure.graph_client import GraphClients, GraphError
from shared.cloud.azure.graph_windows365 import EVERY_ENUM_MEMBER
from shared.models.connections import CheckStatus
from shared.ports.windows365 import Windows365Check, Windows365ConnectionSpec, Windows365ConnectionState

CONNECTIONS = "deviceManagement/virtualEndpoint/onPremisesConnections"
# what the app reads of a connection: healthCheckStatusDetail is "Returned only on $select"
# (https://learn.microsoft.com/graph/api/resources/cloudpconpremisesconnection), so without it no check would show
CONNECTION_FIELDS = "id,displayName,subnetId,healthCheckStatus,healthCheckStatusDetail"
STATUSES = frozenset({"pending", "running", "passed", "failed", "warning", "informational"})
# a status this app does not know yet (Graph enums grow: `unknownFutureValue`) reads as still running, never passed
UNKNOWN_STATUS: CheckStatus = "running"


def _status(value: Any) -> CheckStatus:
    return cast(CheckStatus, value) if value in STATUSES else UNKNOWN_STATUS


def _state(body: dict[str, Any]) -> Windows365ConnectionState:
    detail = body.get("healthCheckStatusDetail") or {}
    checks = tuple(
        Windows365Check(
            display_name=str(check.get("displayName") or ""),
            status=_status(check.get("status")),
            start_date_time=check.get("startDateTime"),
            end_date_time=check.get("endDateTime"),
            error_type=check.get("errorType") or None,
            recommended_action=check.get("recommendedAction") or None,
        )
        for check in detail.get("healthChecks") or []
    )
    return Windows365ConnectionState(
        id=str(body["id"]),
        display_name=str(body.get("displayName") or ""),
        subnet_id=body.get("subnetId"),
        health_check_status=_status(body.get("healthCheckStatus")),
        start_date_time=detail.get("startDateTime"),
        end_date_time=detail.get("endDateTime"),
        checks=checks,
    )


def _body(spec: Windows365ConnectionSpec) -> dict[str, Any]:
    """The create request's fields (https://learn.microsoft.com/graph/api/virtualendpoint-post-onpremisesconnections)."""
    body: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.cloudPcOnPremisesConnection",
        "displayName": spec.display_name,
        "connectionType": spec.connection_type,
        "subscriptionId": spec.subscription_id,
        "resourceGroupId": spec.resource_group_id,
        "virtualNetworkId": spec.virtual_network_id,
        "subnetId": spec.subnet_id,
    }
    return body | _domain_fields(spec)


def _domain_fields(spec: Windows365ConnectionSpec) -> dict[str, Any]:
    """A hybrid join's domain fields, which Graph takes on create and update alike; an Entra join has none."""
    if spec.connection_type != "hybridAzureADJoin":
        return {}
    return {
        "adDomainName": spec.ad_domain_name,
        "adDomainUsername": spec.ad_domain_username,
        "organizationalUnit": spec.organizational_unit,
    }


class GraphWindows365Network:
    """The Windows365Network port on Graph v1.0."""

    def __init__(self, clients: GraphClients) -> None:
        self._clients = clients.with_headers(EVERY_ENUM_MEMBER)

    def find_connection(self, tenant_id: str, display_name: str, subnet_id: str) -> Windows365ConnectionState | None:
        client = self._clients.client(tenant_id)
        params = {"$select": CONNECTION_FIELDS}
        for body in client.pages(CONNECTIONS, step="findWindows365Connection", params=params):
            same_subnet = str(body.get("subnetId") or "").lower() == subnet_id.lower()
            if body.get("displayName") == display_name and same_subnet:
                return _state(body)
        return None

    def create_connection(
        self, tenant_id: str, spec: Windows365ConnectionSpec, password: str | None
    ) -> Windows365ConnectionState:
        body = _body(spec)
        if spec.connection_type == "hybridAzureADJoin":
            body["adDomainPassword"] = password  # write-only in Graph; the app keeps it in its secret store only
        client = self._clients.client(tenant_id)
        return _state(client.call("POST", CONNECTIONS, step="createWindows365Connection", body=body))

    def read_connection(self, tenant_id: str, connection_id: str) -> Windows365ConnectionState | None:
        found = self._clients.client(tenant_id).get_or_none(
            f"{CONNECTIONS}/{connection_id}", step="readWindows365Connection", params={"$select": CONNECTION_FIELDS}
        )
        return _state(found) if found else None

    def update_connection(
        self, tenant_id: str, connection_id: str, spec: Windows365ConnectionSpec, password: str | None
    ) -> None:
        """Graph's update takes the name and the domain fields; the password has an action of its own
        (https://learn.microsoft.com/graph/api/cloudpconpremisesconnection-updateaddomainpassword), which applies to a
        hybrid join only."""
        client = self._clients.client(tenant_id)
        changed = {"displayName": spec.display_name} | _domain_fields(spec)
        client.call("PATCH", f"{CONNECTIONS}/{connection_id}", step="updateWindows365Connection", body=changed)
        if spec.connection_type == "hybridAzureADJoin" and password is not None:
            client.call(
                "POST",
                f"{CONNECTIONS}/{connection_id}/updateAdDomainPassword",
                step="updateWindows365DomainPassword",
                body={"adDomainPassword": password},
            )

    def delete_connection(self, tenant_id: str, connection_id: str) -> None:
        try:
            self._clients.client(tenant_id).call(
                "DELETE", f"{CONNECTIONS}/{connection_id}", step="deleteWindows365Connection"
            )
        except GraphError as exc:
            if exc.status != 404:
                raise

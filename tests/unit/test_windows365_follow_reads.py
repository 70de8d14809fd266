"""Following Windows 365's Cloud PCs reads Graph's list a page at a time: a round of the follower costs a request per
page of the tenant's Cloud PCs (and one for the audit log), never one per Cloud PC, counted at Graph's client."""

from __future__ import annotations

import math
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken

from shared.catalog.service_plans import WINDOWS365_ID_BY_PLAN_ID
from shared.cloud.azure.graph_client import GraphClient, GraphClients
from shared.cloud.azure.graph_windows365 import AUDIT_EVENTS, CLOUD_PCS, GraphWindows365Provisioning
from shared.services.backends.windows365_mirror import mirror
from tests.fakes import Fakes
from tests.fakes.seed import PLAN, TENANT

ENDPOINT = "https://graph.microsoft.com"
SERVER_PAGE, MAX_TOP = 100, 999  # Graph's page without $top, and the most it takes
CLOUD_PC_COUNT = 250


class StaticToken:
    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        return AccessToken("token", 2**31)


class CountingGraph(GraphClient):
    """Graph's Cloud PC list and audit log for one tenant, in pages as Graph serves them, every request counted by
    path; any other request fails the test."""

    def __init__(self, cloud_pcs: list[dict[str, Any]]) -> None:
        super().__init__(ENDPOINT, StaticToken())
        self.cloud_pcs = cloud_pcs
        self.paths: list[str] = []

    def with_headers(self, headers: Any) -> CountingGraph:
        return self

    def client(self, tenant_id: str) -> CountingGraph:
        return self

    def call(self, method: str, path: str, *, step: str, **kwargs: Any) -> Any:
        url = urlsplit(path)
        asked = {key: values[0] for key, values in parse_qs(url.query).items()} | (kwargs.get("params") or {})
        relative = url.path.removeprefix("/beta/").removeprefix("/v1.0/") if url.netloc else path
        self.paths.append(relative)
        assert method == "GET", (method, path)
        if relative == AUDIT_EVENTS:
            return {"value": []}
        assert relative == CLOUD_PCS, f"a request Graph's list serves: {method} {relative}"
        top = min(int(asked.get("$top", SERVER_PAGE)), MAX_TOP)
        start = int(asked.get("$skiptoken", 0))
        page: dict[str, Any] = {"value": self.cloud_pcs[start : start + top]}
        if start + top < len(self.cloud_pcs):
            query = f"$top={top}&$skiptoken={start + top}"
            page["@odata.nextLink"] = f"{ENDPOINT}/beta/{CLOUD_PCS}?{query}"
        return page


def reported(n: int, status: str) -> dict[str, Any]:
    return {
        "id": f"w365-{n:04d}",
        "displayName": f"Finance - User {n}",
        "managedDeviceName": f"CPC-user{n}",
        "userPrincipalName": f"user{n:04d}@contoso.com",
        "servicePlanId": WINDOWS365_ID_BY_PLAN_ID[PLAN],
        "servicePlanName": "Windows 365 Enterprise",
        "status": status,
        "lastModifiedDateTime": "2026-11-02T09:00:05Z",
    }


def test_each_round_of_following_reads_the_list_by_page_never_a_cloud_pc_at_a_time() -> None:
    fakes = Fakes()
    graph = CountingGraph([reported(n, "provisioning") for n in range(CLOUD_PC_COUNT)])
    ports = fakes.engine_ports(windows365=GraphWindows365Provisioning(cast(GraphClients, graph)))
    rounds = []
    for status in ("provisioning", "provisioning", "provisioned"):
        graph.cloud_pcs = [reported(n, status) for n in range(CLOUD_PC_COUNT)]
        graph.paths.clear()
        mirror(ports, TENANT)
        rounds.append(list(graph.paths))
        fakes.clock.advance(seconds=60)
    assert {pc.status for pc in fakes.cloud_pcs.list_all_cloud_pcs(TENANT)} == {"provisioned"}
    for paths in rounds:
        assert paths.count(AUDIT_EVENTS) == 1
        # a page of up to MAX_TOP Cloud PCs a request: at most what Graph's own page size would take
        assert paths.count(CLOUD_PCS) <= math.ceil(CLOUD_PC_COUNT / SERVER_PAGE), paths
        assert len(paths) < CLOUD_PC_COUNT / 10, paths

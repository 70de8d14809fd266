"""Windows 365's restore points of a Cloud PC (beta: https://learn.microsoft.com/graph/api/resources/cloudpcsnapshot,
read through https://learn.microsoft.com/graph/api/cloudpc-retrievesnapshots).

Windows 365 takes an automatic restore point of each provisioned Cloud PC at the frequency of the user setting that
applies to its user (the first assigned of the user's groups), every 12 hours by default
(https://learn.microsoft.com/graph/api/resources/cloudpcrestorepointsetting), and keeps the latest 10
(https://learn.microsoft.com/windows-365/enterprise/restore-overview). They are derived when read from the time the
Cloud PC was provisioned: no thread takes them. A test shortens every interval with the timer
`windows365.restorePoint` (seconds). An admin can take one at once (`createSnapshot`, beta: a manual restore point)
and restore the Cloud PC to any of them (`restore`, https://learn.microsoft.com/graph/api/cloudpc-restore): it is
`restoring` for the latency of `cloudPcProvisioning`, then provisioned again, and the restore point shows when it
was last restored to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from azure_emulator.graph import directory_rows, users
from azure_emulator.graph.common import GraphRoutes, bad_request, odata_context
from azure_emulator.graph.common import select as project
from azure_emulator.graph.common import select_fields as selected
from azure_emulator.graph.windows365 import records
from azure_emulator.graph.windows365.cloud_pc_service import CLOUD_PCS, PROVISIONING, WORKING, Service
from azure_emulator.server import ApiError, Context, Request, Response

KEPT = 10
HOURS = {"default": 12, "fourHours": 4, "sixHours": 6, "twelveHours": 12, "sixteenHours": 16, "twentyFourHours": 24}
SNAPSHOT_TYPE = "#microsoft.graph.cloudPcSnapshot"


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _interval_s(ctx: Context, tenant: str, pc: dict[str, Any]) -> float:
    """The frequency of the user setting that applies to the Cloud PC's user: the first assigned of its groups."""
    member_of = set(directory_rows.direct_groups(ctx.store, tenant, pc["_userId"]))
    assigned = []
    for setting in ctx.store.scan(records.USER_SETTING, f"{tenant}/"):
        for assignment in setting.get("_assignments") or []:
            if assignment["groupId"] in member_of:
                assigned.append((assignment["at"], setting))
    first = min(assigned, key=lambda item: item[0])[1] if assigned else None
    frequency = first["restorePointSetting"]["frequencyType"] if first else "default"
    return ctx.controls.timer("windows365.restorePoint", HOURS[frequency] * 3600)


def _shown(
    pc: dict[str, Any], key: str, at: float, expires: float, kind: str, restored: dict[str, float]
) -> dict[str, Any]:
    snapshot_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pc['id']}/{key}"))
    last = restored.get(snapshot_id)
    return {
        "@odata.type": SNAPSHOT_TYPE,
        "id": snapshot_id,
        "cloudPcId": pc["id"],
        "createdDateTime": _iso(at),
        "expirationDateTime": _iso(expires),
        "lastRestoredDateTime": _iso(last) if last else None,
        "snapshotType": kind,
        "status": "ready",
    }


def snapshots_of(ctx: Context, tenant: str, pc: dict[str, Any]) -> list[dict[str, Any]]:
    """The Cloud PC's restore points as Windows 365 would have taken them by now, newest first."""
    since = pc.get("_provisionedAt")
    if since is None or pc["status"] not in (
        "provisioned",
        "provisionedWithWarnings",
        "inGracePeriod",
        "restoring",
        "resizing",
    ):
        return []
    interval = _interval_s(ctx, tenant, pc)
    taken = int((ctx.clock() - since) // interval)
    restored: dict[str, float] = pc.get("_restored") or {}
    shown = [
        _shown(pc, f"manual-{at}", at, at + KEPT * interval, "manual", restored)
        for at in reversed(pc.get("_manual") or [])
    ]
    for number in range(taken, max(0, taken - KEPT), -1):
        at = since + number * interval
        shown.append(_shown(pc, str(number), at, at + KEPT * interval, "automatic", restored))
    return shown


def register(ctx: Context, routes: GraphRoutes, notify: users.Notify) -> None:
    @routes.route(
        "GET",
        CLOUD_PCS + r"/(?P<id>[^/]+)/retrieveSnapshots",
        "retrieveCloudPcSnapshots",
        service="intune",
        versions=("beta",),
    )  # a beta function: v1.0 does not have it
    def retrieve_snapshots(request: Request) -> Response:
        Service(ctx, request.tenant, notify).reconcile()  # the service's work up to now, as any read
        pc = ctx.store.get(records.CLOUD_PC, records.key(request.tenant, request.params["id"]))
        if pc is None:
            raise ApiError(404, "ResourceNotFound", f"The Cloud PC '{request.params['id']}' was not found.")
        found = [project(doc, selected(request)) for doc in snapshots_of(ctx, request.tenant, pc)]
        return Response(
            200,
            {"@odata.context": odata_context(request, "Collection(microsoft.graph.cloudPcSnapshot)"), "value": found},
        )

    def working(request: Request) -> dict[str, Any]:
        Service(ctx, request.tenant, notify).reconcile()
        pc = ctx.store.get(records.CLOUD_PC, records.key(request.tenant, request.params["id"]))
        if pc is None:
            raise ApiError(404, "ResourceNotFound", f"The Cloud PC '{request.params['id']}' was not found.")
        if pc["status"] not in WORKING:
            raise bad_request(f"The Cloud PC is {pc['status']}: it cannot be restored or snapshotted.", "BadRequest")
        return pc

    @routes.route(
        "POST",
        CLOUD_PCS + r"/(?P<id>[^/]+)/createSnapshot",
        "createCloudPcSnapshot",
        service="intune",
        versions=("beta",),
    )
    def create_snapshot(request: Request) -> Response:
        pc = working(request)
        pc["_manual"] = [*(pc.get("_manual") or []), ctx.clock()]
        ctx.store.put(records.CLOUD_PC, records.key(request.tenant, pc["id"]), pc)
        return Response(204)

    @routes.route("POST", CLOUD_PCS + r"/(?P<id>[^/]+)/restore", "restoreCloudPc", service="intune")
    def restore(request: Request) -> Response:
        pc = working(request)
        snapshot_id = str(request.json().get("cloudPcSnapshotId") or "")
        if snapshot_id not in {s["id"] for s in snapshots_of(ctx, request.tenant, pc)}:
            raise bad_request(
                f"cloudPcSnapshotId '{snapshot_id}' is not a restore point of the Cloud PC.", "BadRequest"
            )
        now = ctx.clock()
        pc |= {
            "status": "restoring",
            "_due": now + ctx.controls.latency(PROVISIONING),
            "_restored": {**(pc.get("_restored") or {}), snapshot_id: now},
        }
        ctx.store.put(records.CLOUD_PC, records.key(request.tenant, pc["id"]), pc)
        return Response(204)

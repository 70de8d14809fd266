"""The `windows365` backend's Cloud PC work: Windows 365 is asked, and the app follows what it then reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID, WINDOWS365_ID_BY_PLAN_ID
from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.events import DirectoryEvent
from shared.models.cloud_pc_actions import ActionName
from shared.models.cloud_pc_work import Performed, ReconcileOutcome, UseWatch
from shared.models.cloud_pcs import CloudPc, CloudPcLaunchInfo, RestorePoint
from shared.ports.cloud_pc_work_ports import (
    ActionCheckPorts,
    ActionPorts,
    DirectoryChangePorts,
    RestorePointPorts,
    UsageImportPorts,
    UsePorts,
    Windows365CloudPcPorts,
)
from shared.ports.windows365 import Windows365Recommendation
from shared.services.backends import windows365_usage
from shared.services.cloud_pcs import cloud_pc_actions
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.desktop_brokering import FEED_URL
from shared.services.cloud_pcs.timeline import save_move
from shared.services.engine.windows365_refusals import refused_as_conflict

# what Windows 365 does of the admin's actions, by Graph's name of each (https://learn.microsoft.com/graph/api/resources/cloudpc)
WINDOWS365_ACTIONS: dict[str, str] = {
    "reboot": "reboot",
    "reprovision": "reprovision",
    "resize": "resize",
    "endGracePeriod": "endGracePeriod",
    "troubleshoot": "troubleshoot",
}
# where a Windows 365 user connects from a browser; its clients list the Cloud PCs in the same feed as Azure Virtual
# Desktop's (https://learn.microsoft.com/windows-365/end-user-access-cloud-pc). Graph's per-Cloud PC launch URL
# (retrieveCloudPcLaunchDetail, which replaced getCloudPcLaunchInfo) is served to the signed-in user only: its
# Application permission is "Not supported" (https://learn.microsoft.com/graph/api/cloudpc-retrievecloudpclaunchdetail)
WINDOWS365_WEB_URL = "https://windows365.microsoft.com"


class Windows365CloudPcWork:
    watches_use = False  # Windows 365 keeps its Cloud PCs running and reports their use itself

    def directory_changed(self, ports: DirectoryChangePorts, event: DirectoryEvent) -> ReconcileOutcome:
        # Windows 365 acts on the directory itself: the app follows its Cloud PCs (one follower a tenant)
        return ReconcileOutcome(tenant_id=event.tenant_id, follow_backend=True)

    def carries_out(self, action: str) -> bool:
        return action in WINDOWS365_ACTIONS or action == "rename"  # Windows 365 has its own set, and its rename

    def check(
        self, ports: ActionCheckPorts, cloud_pc: CloudPc, action: ActionName, target_service_plan_id: str | None
    ) -> None:
        if not self.carries_out(action):
            raise Conflict(
                f"Windows 365 offers no {action} for Cloud PC '{cloud_pc.display_name}' through this service yet.",
                code="backendNotServed",
                target="action",
            )
        if action == "resize":
            cloud_pc_actions.check_resize(ports, cloud_pc, target_service_plan_id)
            if target_service_plan_id not in WINDOWS365_ID_BY_PLAN_ID:
                unknown = "Windows 365 provisions no Cloud PC of this plan."
                raise ValidationFailed.of(ErrorDetail("invalidServicePlan", unknown, "targetServicePlanId"))

    def perform(
        self,
        ports: ActionPorts,
        cloud_pc: CloudPc,
        action: ActionName,
        request_id: str,
        target_service_plan_id: str | None,
    ) -> Performed:
        """Windows 365 is asked to do it; the app records the request, and follows what Windows 365 then reports."""
        body: dict[str, str] | None = None
        asked: str = action
        if action == "resize":  # Windows 365 names the size by its own service plan id
            assert target_service_plan_id is not None
            body = {"targetServicePlanId": WINDOWS365_ID_BY_PLAN_ID[target_service_plan_id]}
            asked = f"resize to {SERVICE_PLANS_BY_ID[target_service_plan_id].display_name}"
        with refused_as_conflict(f"{action} Cloud PC '{cloud_pc.display_name}'", "status"):
            ports.windows365.act(cloud_pc.tenant_id, _id_of(cloud_pc), WINDOWS365_ACTIONS[action], body)
        # the request's own line; the status is Windows 365's to change, and the follower brings it in
        saved = save_move(
            ports,
            cloud_pc,
            lambda current: machine.move(
                current, "mirror", ports.clock(), request_id=request_id, message=f"{asked} asked of Windows 365"
            ),
            doing=action,
        )
        return Performed(saved, follow_backend=True)

    def work_of(
        self, cloud_pc: CloudPc, action: ActionName, request_id: str, target_service_plan_id: str | None
    ) -> Performed:
        return Performed(cloud_pc, follow_backend=True)

    def rename(self, ports: Windows365CloudPcPorts, cloud_pc: CloudPc, display_name: str) -> None:
        # Windows 365 keeps the name
        ports.windows365.act(cloud_pc.tenant_id, _id_of(cloud_pc), "rename", {"displayName": display_name})

    def restore_points(self, ports: Windows365CloudPcPorts, cloud_pc: CloudPc) -> list[RestorePoint]:
        # they change on Windows 365's schedule, so nothing of them is stored
        snapshots = ports.windows365.list_snapshots(cloud_pc.tenant_id, _id_of(cloud_pc))
        found = [RestorePoint.model_validate(asdict(snapshot)) for snapshot in snapshots]
        return sorted(found, key=lambda point: point.created_date_time, reverse=True)

    def restore(self, ports: RestorePointPorts, cloud_pc: CloudPc, snapshot_id: str, request_id: str) -> Performed:
        """It is `restoring` (cloudpc-restore), then provisioned again, which the follower brings in."""
        return _asked(
            ports,
            cloud_pc,
            "restoreSnapshot",
            request_id,
            "restore",
            {"cloudPcSnapshotId": snapshot_id},
            f"restore to restore point {snapshot_id}",
        )

    def take_restore_point(self, ports: RestorePointPorts, cloud_pc: CloudPc, request_id: str) -> Performed:
        """Beside Windows 365's scheduled ones (cloudpc-createsnapshot)."""
        return _asked(ports, cloud_pc, "createSnapshot", request_id, "createSnapshot", None, "a restore point")

    def launch_info(self, cloud_pc: CloudPc) -> CloudPcLaunchInfo:
        return CloudPcLaunchInfo(
            cloud_pc_id=cloud_pc.id,
            feed_url=FEED_URL,
            web_client_url=WINDOWS365_WEB_URL,
            host_pool_id=None,
            workspace_id=None,
            application_group_id=None,
            starts_on_connect=False,
        )

    def watch_use(self, ports: UsePorts, tenant_id: str, now: datetime) -> UseWatch:
        return UseWatch()  # Windows 365 keeps its Cloud PCs running, and reports their use itself

    def import_usage(self, ports: UsageImportPorts, tenant_id: str, now: datetime) -> int:
        return windows365_usage.import_usage(ports, tenant_id, now)

    def size_recommendations(
        self, ports: Windows365CloudPcPorts, tenant_id: str, cloud_pcs: Sequence[CloudPc]
    ) -> dict[str, Windows365Recommendation]:
        """Windows 365's recommendation report: its own view of each Cloud PC's CPU and memory, which only it can
        read."""
        ours = {_id_of(cloud_pc).lower(): cloud_pc.id for cloud_pc in cloud_pcs}
        rows = ports.windows365.list_recommendations(tenant_id, [_id_of(cloud_pc) for cloud_pc in cloud_pcs])
        return {ours[row.cloud_pc_id.lower()]: row for row in rows if row.cloud_pc_id.lower() in ours}


def _id_of(cloud_pc: CloudPc) -> str:
    assert cloud_pc.windows365_id is not None  # the mirror makes every Cloud PC of the tenant with it
    return cloud_pc.windows365_id


def _asked(
    ports: RestorePointPorts,
    cloud_pc: CloudPc,
    action: machine.Action,
    request_id: str,
    graph_action: str,
    body: dict[str, str] | None,
    what: str,
) -> Performed:
    machine.check(cloud_pc, action)
    verb = "restore" if body else "take a restore point of"
    with refused_as_conflict(f"{verb} Cloud PC '{cloud_pc.display_name}'", "snapshotId" if body else "status"):
        ports.windows365.act(cloud_pc.tenant_id, _id_of(cloud_pc), graph_action, body)
    saved = save_move(
        ports,
        cloud_pc,
        lambda current: machine.move(
            current, action, ports.clock(), request_id=request_id, message=f"{what} asked of Windows 365"
        ),
        doing=action,
    )
    return Performed(saved, follow_backend=True)

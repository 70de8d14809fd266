"""The `azure` backend's Cloud PC work: the app provisions, acts on and removes the VMs itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.catalog.service_plans import SERVICE_PLANS_BY_ID
from shared.errors import Conflict
from shared.events import DirectoryEvent
from shared.models.cloud_pc_actions import ActionName
from shared.models.cloud_pc_work import Performed, ReconcileOutcome, UseWatch
from shared.models.cloud_pcs import CloudPc, CloudPcLaunchInfo, RestorePoint
from shared.models.orchestrations import VmActionRun
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
from shared.services.cloud_pcs import (
    cloud_pc_actions,
    cloud_pc_sleep,
    desktop_brokering,
    lifecycle,
    reconcile,
    vm_actions,
)
from shared.services.cloud_pcs import cloud_pc_transitions as machine
from shared.services.cloud_pcs.timeline import save_move

NEEDS_VM = frozenset({"reboot", "powerOn", "powerOff", "resize", "troubleshoot"})


class AzureCloudPcWork:
    watches_use = True  # the app's own use watch puts Cloud PCs to sleep and counts their connected time

    def directory_changed(self, ports: DirectoryChangePorts, event: DirectoryEvent) -> ReconcileOutcome:
        outcome = reconcile.reconcile_watched(ports, event)
        return reconcile.paced_starts(outcome, ports.compute.start_pace(), ports.clock())

    def carries_out(self, action: str) -> bool:
        return True

    def check(
        self, ports: ActionCheckPorts, cloud_pc: CloudPc, action: ActionName, target_service_plan_id: str | None
    ) -> None:
        if action in NEEDS_VM and cloud_pc.build is None:
            raise Conflict(f"Cloud PC '{cloud_pc.display_name}' has no VM yet.", code="wrongStatus", target="status")
        if action == "resize":
            cloud_pc_actions.check_resize(ports, cloud_pc, target_service_plan_id)

    def perform(
        self,
        ports: ActionPorts,
        cloud_pc: CloudPc,
        action: ActionName,
        request_id: str,
        target_service_plan_id: str | None,
    ) -> Performed:
        tenant_id = cloud_pc.tenant_id
        if action in ("retry", "reprovision"):
            cloud_pc = lifecycle.new_run(ports, tenant_id, cloud_pc.id, action, request_id=request_id)
        elif action == "endGracePeriod":
            cloud_pc = lifecycle.end_grace_period(ports, tenant_id, cloud_pc.id, request_id)
        elif action == "resize":
            assert target_service_plan_id is not None
            plan = SERVICE_PLANS_BY_ID[target_service_plan_id]
            slot = sum(
                1
                for c in ports.cloud_pcs.list_users_cloud_pcs(tenant_id, cloud_pc.user_id)
                if c.service_plan_id == plan.id
            )
            cloud_pc = save_move(
                ports,
                cloud_pc,
                lambda current: machine.move(
                    current,
                    "resize",
                    ports.clock(),
                    request_id=request_id,
                    message=f"{current.service_plan_name} -> {plan.display_name}",
                    service_plan_id=plan.id,
                    service_plan_name=plan.display_name,
                    slot_index=slot,
                    resize_from_service_plan_id=current.service_plan_id,
                ),
                doing=action,
            )
        else:
            cloud_pc = save_move(
                ports,
                cloud_pc,
                lambda current: machine.move(current, action, ports.clock(), request_id=request_id),
                doing=action,
            )
        return self.work_of(cloud_pc, action, request_id, target_service_plan_id)

    def work_of(
        self, cloud_pc: CloudPc, action: ActionName, request_id: str, target_service_plan_id: str | None
    ) -> Performed:
        if action in ("retry", "reprovision"):
            return Performed(cloud_pc, provisioning_run=cloud_pc.run if cloud_pc.status == "pendingProvision" else None)
        if action in vm_actions.PHASES:
            run = VmActionRun(
                tenant_id=cloud_pc.tenant_id,
                cloud_pc_id=cloud_pc.id,
                action=action,
                request_id=request_id,
                from_service_plan_id=cloud_pc.resize_from_service_plan_id if action == "resize" else None,
            )
            return Performed(cloud_pc, vm_action=run)
        return Performed(cloud_pc)

    def rename(self, ports: Windows365CloudPcPorts, cloud_pc: CloudPc, display_name: str) -> None:
        pass  # the friendly name is the app's alone

    def restore_points(self, ports: Windows365CloudPcPorts, cloud_pc: CloudPc) -> list[RestorePoint]:
        raise Conflict(
            f"Cloud PC '{cloud_pc.display_name}' is not provisioned by Windows 365: it has no restore points.",
            code="backendNotServed",
            target="cloudPcId",
        )

    def restore(self, ports: RestorePointPorts, cloud_pc: CloudPc, snapshot_id: str, request_id: str) -> Performed:
        raise _keeps_no_restore_points(cloud_pc)

    def take_restore_point(self, ports: RestorePointPorts, cloud_pc: CloudPc, request_id: str) -> Performed:
        raise _keeps_no_restore_points(cloud_pc)

    def launch_info(self, cloud_pc: CloudPc) -> CloudPcLaunchInfo:
        return desktop_brokering.avd_launch_info(cloud_pc)

    def watch_use(self, ports: UsePorts, tenant_id: str, now: datetime) -> UseWatch:
        return cloud_pc_sleep.watch_use(ports, tenant_id, now)

    def import_usage(self, ports: UsageImportPorts, tenant_id: str, now: datetime) -> int:
        return 0  # the use watch counts each connection as it sees it: there is no report to read

    def size_recommendations(
        self, ports: Windows365CloudPcPorts, tenant_id: str, cloud_pcs: Sequence[CloudPc]
    ) -> dict[str, Windows365Recommendation]:
        return {}  # the app reads its own VMs' metrics, and judges them itself


def _keeps_no_restore_points(cloud_pc: CloudPc) -> Conflict:
    return Conflict(
        f"Cloud PC '{cloud_pc.display_name}' is not provisioned by Windows 365, which keeps restore points.",
        code="backendNotServed",
        target="cloudPcId",
    )

"""The facets of the backend port (shared/ports/cloud_pc_backend.py), one per domain that the two backends serve
differently: configuration, a Cloud PC's work, and what a tenant grants. A facet never names a port bundle back, so a
bundle can carry its facet's choice: each method takes the least of the ports it reads
(shared/ports/configuration_ports.py, shared/ports/cloud_pc_work_ports.py, shared/ports/service_role_ports.py), which
the caller's satisfy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from shared.catalog.app_access import ServiceRole
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
from shared.ports.configuration_ports import (
    GallerySourcePorts,
    HealthCheckRunPorts,
    ImageImportPorts,
    PolicySyncPorts,
    UserSettingSyncPorts,
    Windows365Ports,
)
from shared.ports.service_role_ports import ServiceRolePorts
from shared.ports.windows365 import Windows365Recommendation

if TYPE_CHECKING:
    from datetime import datetime

    from shared.events import DirectoryEvent
    from shared.models.connections import Connection
    from shared.models.images import DeviceImage, DeviceImageCreate, GalleryImage
    from shared.models.orchestrations import HealthCheckRun, PhasedStep
    from shared.models.policies import AssignRequest, PolicyFields, ProvisioningPolicy
    from shared.models.sites import Site
    from shared.models.user_settings import UserSetting, UserSettingCreate, UserSettingUpdate
    from shared.ports.stores import SiteStore


@dataclass(frozen=True)
class ServiceRoleCheck:
    """A role another service's principal needs at a scope (a subscription, a resource group, a virtual network), and
    whether it holds it (None: not known)."""

    role: ServiceRole
    subscription_id: str
    scope: str
    held: bool | None = None


class ConfigurationBackend(Protocol):
    """Connections, device images and provisioning policies: what each backend takes, and where a change goes. Each
    method takes the least of the ports it reads (shared/ports/configuration_ports.py), which the caller's satisfy."""

    # connections and their health checks
    @property
    def checks_every_change(self) -> bool:
        """Whether any change of a connection starts a new health-check run (not only a change of credentials)."""
        ...

    def check_admin_may_run_checks(self) -> None:
        """Refuses (Conflict) an admin's request for a new health-check run the backend does not let an app start."""
        ...

    def advance_health_checks(self, ports: HealthCheckRunPorts, run: HealthCheckRun) -> PhasedStep[HealthCheckRun]:
        """Take a connection's health-check run as far as it goes (shared/services/configuration/health_check_runs)."""
        ...

    def connection_deleted(self, ports: Windows365Ports, connection: Connection) -> None:
        """Before the app forgets the connection (Conflict: the backend refused)."""
        ...

    # device images
    @property
    def image_kinds(self) -> frozenset[str]:
        """The kinds of a site's images (azure_inventory's) a device image may come from."""
        ...

    def gallery(self, ports: GallerySourcePorts, tenant_id: str) -> list[GalleryImage]:
        """The gallery images a policy of the tenant may name."""
        ...

    def check_image_source(self, data: DeviceImageCreate) -> None:
        """Refuses (ValidationFailed) a source the backend does not take."""
        ...

    def import_image(self, ports: ImageImportPorts, image: DeviceImage) -> DeviceImage | None:
        """One step of a pending image's import: the image after it (still pending: ask again), None when deleted.
        A throttle or an outage raises, for the retries."""
        ...

    def image_deleted(self, ports: Windows365Ports, image: DeviceImage) -> None:
        """Before the app forgets the image (Conflict: the backend refused)."""
        ...

    # provisioning policies
    def check_policy(self, fields: PolicyFields, before: ProvisioningPolicy | None) -> None:
        """Refuses (ValidationFailed) what the backend does not take in a new policy, or in a change of `before`."""
        ...

    def policy_made(self, ports: PolicySyncPorts, policy: ProvisioningPolicy) -> ProvisioningPolicy:
        """The new policy as the app keeps it, once the backend holds it."""
        ...

    def policy_changed(self, ports: PolicySyncPorts, policy: ProvisioningPolicy) -> None:
        """Before a change is saved (ValidationFailed: the backend refused)."""
        ...

    def policy_deleted(self, ports: Windows365Ports, policy: ProvisioningPolicy) -> None:
        """Before the app forgets the policy (Conflict: the backend refused)."""
        ...

    def policy_assigned(self, ports: Windows365Ports, policy: ProvisioningPolicy) -> None:
        """Before new assignments are saved (ValidationFailed: the backend refused)."""
        ...

    # Windows 365 user settings: only Windows 365 has them (ValidationFailed notTakenByBackend elsewhere)
    def create_user_setting(
        self, ports: UserSettingSyncPorts, tenant_id: str, data: UserSettingCreate, *, dry_run: bool
    ) -> UserSetting: ...

    def update_user_setting(
        self,
        ports: UserSettingSyncPorts,
        tenant_id: str,
        setting_id: str,
        patch: UserSettingUpdate,
        *,
        if_match: str | None,
        dry_run: bool,
    ) -> UserSetting: ...

    def assign_user_setting(
        self, ports: UserSettingSyncPorts, tenant_id: str, setting_id: str, request: AssignRequest, *, dry_run: bool
    ) -> UserSetting: ...


class CloudPcWork(Protocol):
    """A Cloud PC's work: provisioning after a directory change, the admin's actions, restore points, where its user
    connects. Each method takes the least of the ports it reads (shared/ports/cloud_pc_work_ports.py), which the
    caller's satisfy."""

    def directory_changed(self, ports: DirectoryChangePorts, event: DirectoryEvent) -> ReconcileOutcome:
        """What a change of the tenant's users or groups comes to: the Cloud PCs to provision, or the backend to
        follow while it acts on the directory itself."""
        ...

    def carries_out(self, action: str) -> bool:
        """Whether the backend carries out the admin's `action` (or `rename`) on its Cloud PCs."""
        ...

    def check(
        self, ports: ActionCheckPorts, cloud_pc: CloudPc, action: ActionName, target_service_plan_id: str | None
    ) -> None:
        """Every reason the backend refuses an action the Cloud PC's status allows, without changing anything."""
        ...

    def perform(
        self,
        ports: ActionPorts,
        cloud_pc: CloudPc,
        action: ActionName,
        request_id: str,
        target_service_plan_id: str | None,
    ) -> Performed:
        """Carry out a checked action, and say what it leaves to run."""
        ...

    def work_of(
        self, cloud_pc: CloudPc, action: ActionName, request_id: str, target_service_plan_id: str | None
    ) -> Performed:
        """What an action this request applied already leaves to run (a repeated request starts it again)."""
        ...

    def rename(self, ports: Windows365CloudPcPorts, cloud_pc: CloudPc, display_name: str) -> None:
        """Give the backend the friendly name the app is about to keep."""
        ...

    def restore_points(self, ports: Windows365CloudPcPorts, cloud_pc: CloudPc) -> list[RestorePoint]:
        """The Cloud PC's restore points, newest first; `409 backendNotServed` where the backend keeps none."""
        ...

    def restore(self, ports: RestorePointPorts, cloud_pc: CloudPc, snapshot_id: str, request_id: str) -> Performed:
        """Restore the Cloud PC to one of its restore points; `409 backendNotServed` where the backend keeps none."""
        ...

    def take_restore_point(self, ports: RestorePointPorts, cloud_pc: CloudPc, request_id: str) -> Performed:
        """Take a restore point now; `409 backendNotServed` where the backend keeps none."""
        ...

    def launch_info(self, cloud_pc: CloudPc) -> CloudPcLaunchInfo:
        """Where the user of a provisioned Cloud PC connects to it."""
        ...

    @property
    def watches_use(self) -> bool:
        """Whether the app watches the tenant's use (the use watch's timer queues only such tenants)."""
        ...

    def watch_use(self, ports: UsePorts, tenant_id: str, now: datetime) -> UseWatch:
        """Who was seen connected, and the Cloud PCs put to sleep or found awake, at a watch of the tenant's use."""
        ...

    def import_usage(self, ports: UsageImportPorts, tenant_id: str, now: datetime) -> int:
        """The usage rows the backend's own report of connections gives (the daily import); 0 where the use watch
        counts them as it goes."""
        ...

    def size_recommendations(
        self, ports: Windows365CloudPcPorts, tenant_id: str, cloud_pcs: Sequence[CloudPc]
    ) -> dict[str, Windows365Recommendation]:
        """The backend's own verdict on the Cloud PCs' sizes, by the app's id: none where the app judges them by
        their VMs' metrics."""
        ...


class AccessBackend(Protocol):
    """What a tenant must grant for its backend to work in its Azure."""

    def service_role_checks(
        self,
        ports: ServiceRolePorts,
        tenant_id: str,
        sites: list[Site],
        *,
        consented: bool,
        subscriptions: Sequence[str] = (),
    ) -> list[ServiceRoleCheck]:
        """The Azure roles services other than the app need, and where (the sites', and the `subscriptions` the tenant
        names before any site): each held, not held, or not known yet (the app gets no token in a tenant that has not
        consented, so what only Azure could say is not known then)."""
        ...

    def note_roles_granted(self, store: SiteStore, sites: list[Site], scopes: set[str], at: datetime) -> None:
        """Keeps that the one-step grant saw the services hold their roles at `scopes` (lower-cased), where Azure
        cannot be asked again later (a backend whose app reads them from ARM keeps nothing)."""
        ...

    @property
    def app_needs_azure_roles(self) -> bool:
        """Whether the app itself works in the tenant's Azure (and so needs roles on its sites' resource groups)."""
        ...

"""The port for what differs between the two backends that provision a tenant's Cloud PCs: the app itself in the
customer's Azure subscription (`azure`), or Windows 365 driven through Graph's Cloud PC API (`windows365`).

Services ask `BackendChoice` for a tenant's backend and call it; they never ask which one it is. Each facet holds one
domain's differences; an adapter of each backend implements every facet (shared/services/backends)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from shared.catalog.app_access import ServiceRole
from shared.models.cloud_pc_actions import ActionName
from shared.models.cloud_pc_work import Performed, ReconcileOutcome
from shared.models.cloud_pcs import CloudPc, RestorePoint
from shared.models.tenants import BackendName, Tenant

if TYPE_CHECKING:  # the port bundles name the backend choice in turn
    from shared.events import DirectoryEvent
    from shared.models.connections import Connection
    from shared.models.images import DeviceImage, DeviceImageCreate, GalleryImage
    from shared.models.orchestrations import HealthCheckRun, PhasedStep
    from shared.models.policies import PolicyFields, ProvisioningPolicy
    from shared.models.sites import Site
    from shared.ports.admin_ports import AdminPorts
    from shared.ports.bundles import OnboardingPorts
    from shared.ports.engine_ports import EnginePorts


@dataclass(frozen=True)
class ServiceRoleCheck:
    """A role another service's principal needs at a scope (a subscription, a resource group, a virtual network), and
    whether it holds it (None: not known)."""

    role: ServiceRole
    subscription_id: str
    scope: str
    held: bool | None = None


class ConfigurationBackend(Protocol):
    """Connections, device images and provisioning policies: what each backend takes, and where a change goes."""

    # connections and their health checks
    @property
    def checks_every_change(self) -> bool:
        """Whether any change of a connection starts a new health-check run (not only a change of credentials)."""
        ...

    def check_admin_may_run_checks(self) -> None:
        """Refuses (Conflict) an admin's request for a new health-check run the backend does not let an app start."""
        ...

    def advance_health_checks(self, ports: AdminPorts, run: HealthCheckRun) -> PhasedStep[HealthCheckRun]:
        """Take a connection's health-check run as far as it goes (shared/services/configuration/health_check_runs)."""
        ...

    def connection_deleted(self, ports: AdminPorts, connection: Connection) -> None:
        """Before the app forgets the connection (Conflict: the backend refused)."""
        ...

    # device images
    @property
    def image_kinds(self) -> frozenset[str]:
        """The kinds of a site's images (azure_inventory's) a device image may come from."""
        ...

    def gallery(self, ports: AdminPorts, tenant_id: str) -> list[GalleryImage]:
        """The gallery images a policy of the tenant may name."""
        ...

    def check_image_source(self, data: DeviceImageCreate) -> None:
        """Refuses (ValidationFailed) a source the backend does not take."""
        ...

    def import_image(self, ports: AdminPorts, image: DeviceImage) -> DeviceImage | None:
        """One step of a pending image's import: the image after it (still pending: ask again), None when deleted.
        A throttle or an outage raises, for the retries."""
        ...

    def image_deleted(self, ports: AdminPorts, image: DeviceImage) -> None:
        """Before the app forgets the image (Conflict: the backend refused)."""
        ...

    # provisioning policies
    def check_policy(self, fields: PolicyFields, before: ProvisioningPolicy | None) -> None:
        """Refuses (ValidationFailed) what the backend does not take in a new policy, or in a change of `before`."""
        ...

    def policy_made(self, ports: AdminPorts, policy: ProvisioningPolicy) -> ProvisioningPolicy:
        """The new policy as the app keeps it, once the backend holds it."""
        ...

    def policy_changed(self, ports: AdminPorts, policy: ProvisioningPolicy) -> None:
        """Before a change is saved (ValidationFailed: the backend refused)."""
        ...

    def policy_deleted(self, ports: AdminPorts, policy: ProvisioningPolicy) -> None:
        """Before the app forgets the policy (Conflict: the backend refused)."""
        ...

    def policy_assigned(self, ports: AdminPorts, policy: ProvisioningPolicy) -> None:
        """Before new assignments are saved (ValidationFailed: the backend refused)."""
        ...


class CloudPcWork(Protocol):
    """A Cloud PC's work: provisioning after a directory change, the admin's actions, restore points."""

    def directory_changed(self, ports: EnginePorts, event: DirectoryEvent) -> ReconcileOutcome:
        """What a change of the tenant's users or groups comes to: the Cloud PCs to provision, or the backend to
        follow while it acts on the directory itself."""
        ...

    def carries_out(self, action: str) -> bool:
        """Whether the backend carries out the admin's `action` (or `rename`) on its Cloud PCs."""
        ...

    def check(
        self, ports: EnginePorts, cloud_pc: CloudPc, action: ActionName, target_service_plan_id: str | None
    ) -> None:
        """Every reason the backend refuses an action the Cloud PC's status allows, without changing anything."""
        ...

    def perform(
        self, ports: EnginePorts, cloud_pc: CloudPc, action: ActionName, request_id: str,
        target_service_plan_id: str | None,
    ) -> Performed:  # fmt: skip
        """Carry out a checked action, and say what it leaves to run."""
        ...

    def work_of(
        self, cloud_pc: CloudPc, action: ActionName, request_id: str, target_service_plan_id: str | None
    ) -> Performed:
        """What an action this request applied already leaves to run (a repeated request starts it again)."""
        ...

    def rename(self, ports: EnginePorts, cloud_pc: CloudPc, display_name: str) -> None:
        """Give the backend the friendly name the app is about to keep."""
        ...

    def restore_points(self, ports: EnginePorts, cloud_pc: CloudPc) -> list[RestorePoint]:
        """The Cloud PC's restore points, newest first; `409 backendNotServed` where the backend keeps none."""
        ...

    def restore(self, ports: EnginePorts, cloud_pc: CloudPc, snapshot_id: str, request_id: str) -> Performed:
        """Restore the Cloud PC to one of its restore points; `409 backendNotServed` where the backend keeps none."""
        ...

    def take_restore_point(self, ports: EnginePorts, cloud_pc: CloudPc, request_id: str) -> Performed:
        """Take a restore point now; `409 backendNotServed` where the backend keeps none."""
        ...


class AccessBackend(Protocol):
    """What a tenant must grant for its backend to work in its Azure."""

    def service_role_checks(
        self, ports: OnboardingPorts, tenant_id: str, sites: list[Site], *, consented: bool
    ) -> list[ServiceRoleCheck]:
        """The Azure roles services other than the app need, and where: each held, not held, or not known yet (the app
        gets no token in a tenant that has not consented, so what only Azure could say is not known then)."""
        ...

    @property
    def app_needs_azure_roles(self) -> bool:
        """Whether the app itself works in the tenant's Azure (and so needs roles on its sites' resource groups)."""
        ...


class CloudPcBackend(Protocol):
    @property
    def name(self) -> BackendName: ...

    @property
    def serves(self) -> frozenset[str]:
        """The API operations only this backend serves: a tenant of the other is refused them (409 backendNotServed),
        and the OpenAPI document marks them `x-served-only-by`."""
        ...

    @property
    def configuration(self) -> ConfigurationBackend: ...

    @property
    def cloud_pcs(self) -> CloudPcWork: ...

    @property
    def access(self) -> AccessBackend: ...


class BackendChoice(Protocol):
    """The one place a tenant's backend is picked (shared/services/backends/backend_choice.py)."""

    def of(self, tenant_id: str) -> CloudPcBackend:
        """The tenant's backend; NotFound for a tenant that does not exist."""
        ...

    def of_tenant(self, tenant: Tenant) -> CloudPcBackend:
        """The backend of a tenant already read."""
        ...

    def named(self, name: BackendName) -> CloudPcBackend:
        """The backend a record names (a run started on it keeps it)."""
        ...

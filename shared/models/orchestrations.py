"""The Durable contracts: what each orchestration takes, and what its activities are sent and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import ConfigDict, Field

from shared.models.base import ApiModel
from shared.models.cloud_pc_actions import VmActionName
from shared.models.connections import Connection, HealthCheck
from shared.models.image_updates import MaintenanceWindow
from shared.models.provisioning import RunState
from shared.models.spot_group_records import SpotGroupEvent
from shared.models.tenants import BackendName

T = TypeVar("T", bound="Contract")

# The advance call answers `shared.models.provisioning.Advanced`, every other piece of phased work a PhasedStep of
# its run; the activities that settle a run that could not go on answer a plain str or bool.


class Contract(ApiModel):
    """Base of the Durable contracts: both sides are ours, so an unknown field is a bug, not a typo to forgive."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Traced(Contract):
    """Work that continues a trace: the W3C traceparent of the span that started it (shared/telemetry.py), which
    its orchestration hands to every activity call, so their spans join the trace of the request or message."""

    traceparent: str | None = Field(default=None, exclude_if=lambda value: value is None)  # untraced: not sent

    def derive(self, kind: type[T], **fields: Any) -> T:
        """A `kind` contract for the same work (an activity call, say): the fields both declare, this trace, and
        `fields` over them."""
        shared = {name: getattr(self, name) for name in kind.model_fields if name in type(self).model_fields}
        return kind(**{**shared, **fields})


# -- provisioning ------------------------------------------------------------------------------------------------


class CloudPcRun(Traced):
    """One provisioning run of one Cloud PC: what its instance id is made of."""

    tenant_id: str
    cloud_pc_id: str
    run: int


# a provisioning run continues as new after every call: each call then replays a history of at most a dozen events,
# at the cost of one more episode per call (after every three calls took the same CPU a Cloud PC, bench/provisioning.py
# on 2026-11-28)
PROVISIONING_CALLS_PER_EXECUTION = 1


class Looped(Traced):
    """Work an orchestration takes call by call (orchestrators/phases.py): how many activity calls it has made, and
    how many an execution makes before it continues as new. That is fixed when the work starts and carried in its
    input, so a change of it never alters an execution in flight (its replay would meet calls it no longer makes);
    None for work started before it was carried, and for work that keeps the loop's default."""

    calls: int = 0
    per_execution: int | None = Field(default=None, exclude_if=lambda value: value is None)
    # when the orchestration asked for this call (its replay-safe clock): the activity tells how long it waited
    asked_at: datetime | None = Field(default=None, exclude_if=lambda value: value is None)


class ProvisionInput(CloudPcRun, Looped):
    """The `provision_cloud_pc` input; after a continue-as-new it carries the run's state and calls so far."""

    state: RunState | None = None
    # the run's first call waits until then: a burst's runs start at the pace its subscription takes new Cloud PCs
    not_before: datetime | None = Field(default=None, exclude_if=lambda value: value is None)

    @classmethod
    def starting(cls, tenant_id: str, cloud_pc_id: str, run: int, not_before: datetime | None = None) -> ProvisionInput:
        """The input of a run that starts now (or at `not_before`)."""
        per_execution = PROVISIONING_CALLS_PER_EXECUTION
        return cls(
            tenant_id=tenant_id, cloud_pc_id=cloud_pc_id, run=run, per_execution=per_execution, not_before=not_before
        )


class FailCall(CloudPcRun):
    """The `fail_provisioning` payload: settle the Cloud PC as failed at `step`."""

    step: str
    code: str
    message: str


# -- phased work: every long-running piece of work below is taken phase by phase --------------------------------


class PhasedRun(Looped):
    """Where phased work stands between calls of its activity (orchestrators/phases.py)."""

    phase: int = 0  # the phases already done
    operation: str | None = None  # the Azure operation the current phase waits for
    started_at: datetime | None = None  # when the current phase started
    held: str | None = None  # what Azure holds the current phase with (a throttle's or an outage's code), if it does
    # why, in words naming the service (as the adapter said), for the timeline's line: written in the call the hold
    # begins, so never carried between calls (the orchestration's state stays as it was)
    held_reason: str | None = Field(default=None, exclude=True)


Run = TypeVar("Run", bound=PhasedRun)


class PhasedStep(Contract, Generic[Run]):
    """What one call of phased work achieved (shared/services/engine/phased.py): its outcome, or where it stands and
    when to call again; or that it waits for a person (a build for the admin's capture) until `resume_at`."""

    outcome: str | None = None
    run: Run
    wait_seconds: float = 0
    resume_at: datetime | None = None
    awaiting_capture: bool = False


# -- connection health checks ------------------------------------------------------------------------------------


class ConnectionRun(Traced):
    """One health-check run of one connection: what its instance id is made of."""

    tenant_id: str
    connection_id: str
    run: int


class RecordedCheck(Contract):
    """One finished check of a run: its result, or why it could not run."""

    name: str
    result: HealthCheck | None = None
    error_type: str | None = None  # without a result: the check counts as failed with this error type


class HealthCheckRun(ConnectionRun, PhasedRun):
    """The `connection_health_check` input, and what it carries between calls of its activity: the checks this run
    is made of, who runs them, and what it has found so far (shared/services/configuration/health_check_runs.py)."""

    checks: list[str]
    backend: BackendName = "azure"  # windows365: Windows 365 checks; the run sends it the connection and mirrors
    push: bool = True  # windows365: send the connection's settings first (not on a scheduled re-read)
    results: list[RecordedCheck] = []  # the checks finished so far
    probe: dict[str, str] | None = None  # where its probe VM goes: kept, so it is removed even if the connection goes
    superseded: bool = False  # a newer run replaced this one before it recorded its results

    @classmethod
    def of(cls, connection: Connection, *, push: bool = True) -> HealthCheckRun:
        """The connection's current run, of the checks it lists."""
        return cls(
            tenant_id=connection.tenant_id,
            connection_id=connection.id,
            run=connection.health_check_run,
            checks=[check.name for check in connection.health_check_status_detail.health_checks],
            backend=connection.cloud_pc_backend,
            push=push,
        )


class UnfinishedChecks(HealthCheckRun):
    """The `record_unfinished_health_checks` payload: a run that could not go on; the checks it has no result for
    count as failed with `error_type`."""

    error_type: str


# -- device images -----------------------------------------------------------------------------------------------


class ImageImport(PhasedRun):
    """The `import_device_image` input, and what it carries between calls of its activity."""

    tenant_id: str
    image_id: str


class ImageImportFailure(ImageImport):
    """The `fail_device_image` payload."""

    error_code: str
    details: str


# -- Cloud PC VM actions (power, resize, troubleshoot) -----------------------------------------------------------


class VmActionRun(PhasedRun):
    """What the `cloud_pc_action` orchestration carries between calls of its activity."""

    tenant_id: str
    cloud_pc_id: str
    action: VmActionName
    request_id: str
    from_service_plan_id: str | None = None  # resize: the plan it leaves


# -- image sets ----------------------------------------------------------------------------------------------------


class ImageBuildRun(PhasedRun):
    """What the `build_image_version` orchestration carries between calls of its activity."""

    tenant_id: str
    image_set_id: str
    version: str
    build_vm_id: str | None = None  # the build VM's ARM id, once made: what the image version is captured from
    failed: bool = False  # the build failed and is recorded so: only the clean-up phases are left
    customization_expired: bool = False  # nobody asked for the capture within the customization window


class ImageRemovalRun(PhasedRun):
    """What the `remove_image_set_resources` orchestration carries: a version's gallery image version, or a whole
    set's (each of `versions`, then its image definition), removed before their records are."""

    tenant_id: str
    image_set_id: str
    version: str | None = None  # None: the whole set
    versions: list[str] = []  # the set's versions that have a gallery image version to remove


# -- Spot Groups -------------------------------------------------------------------------------------------------


class SpotGroupRun(PhasedRun):
    """What the `run_spot_group_work` orchestration carries: a group's deployment (at its creation or after an
    update: the host pool brought to the group, then the hosts named by index added, reconfigured or removed),
    or its removal (every host, then the host pool). It goes in stages: `prepare` (the group's own phases
    first), one `host` run per host (sub-orchestrations, in parallel), then `finish`. A pooled group that scales
    has a host made or deleted as the optimization decides (`scale`): one `host` run on its own, while the group
    stays ready."""

    tenant_id: str
    spot_group_id: str
    work: Literal["deploy", "remove", "scale"]
    revision: int = 0  # the group's change count: host runs of one change have instance ids of their own
    add: list[int] = []
    reconfigure: list[int] = []  # hosts to configure again for a new profile path
    remove: list[int] = []
    replace: list[int] = []  # an image update: hosts rebuilt on `image_version_id`, the canary's first
    image_update_id: str | None = None
    canary: int = 0  # how many of `replace` come first, alone
    batch: int = 1  # then this many at a time
    drain_timeout_s: float = 3600  # how long a removed or replaced host's users have to sign out
    maintenance_window: MaintenanceWindow | None = None  # an image update's: hosts are drained only inside it
    notify_before_s: float = 0  # with a window: how long before its drain a host's users are told
    told_of: datetime | None = None  # stage `host` with a window: the drain the host's users were told of
    image_version: str | None = None  # what added or replaced hosts are built from (None: the group's)
    image_version_id: str | None = None
    previous: tuple[str, str] | None = None  # an image update: (version, image version id) to roll back to
    update_outcome: Literal["succeeded", "failed", "rolledBack", "cancelled"] | None = None  # stage `finish`
    stage: Literal["prepare", "host", "finish"] = "prepare"
    host: int | None = None  # stage `host`: which one
    host_work: Literal["add", "reconfigure", "remove", "replace"] | None = None


class HostPowerRun(PhasedRun):
    """What the `follow_host_power` orchestration carries: a Spot Group host's start, deallocation or hibernation
    that Azure took, followed to its end (shared/services/spot_pc/host_power.py); `event` is its timeline line, kept
    by the optimization's `slot`, and `operation` Azure's from the first answer."""

    tenant_id: str
    spot_group_id: str
    slot: datetime
    event: SpotGroupEvent


class Windows365MirrorRun(PhasedRun):
    """The `mirror_windows365_cloud_pcs` input, and what it carries between reads: one windows365 tenant's Cloud PCs
    followed while Windows 365 works on them."""

    tenant_id: str
    audit_since: datetime | None = None  # where the read of Windows 365's audit log starts (None: a day back)


class Windows365MirrorAnswer(Contract):
    """What a read of Windows 365's Cloud PCs answered before the follower was phased work (histories in flight
    hold it): whether Windows 365 was still at work, when to read again, where the audit log's next read starts."""

    in_flight: bool
    wait_seconds: float = 60.0
    audit_since: datetime | None = None

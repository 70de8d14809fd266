"""What a provisioning run carries between activity calls (the orchestration holds it, so nothing is read back)."""

from __future__ import annotations

from datetime import datetime

from shared.models.base import ApiModel
from shared.models.cloud_pcs import BuildSettings


class CloudPcJob(ApiModel):
    """What one provisioning run works from; decided by `begin`."""

    tenant_id: str
    cloud_pc_id: str
    policy_id: str = ""  # its host pool's (runs begun before Cloud PCs were brokered through AVD have none)
    run: int
    generation: int
    device_name: str
    user_id: str
    user_principal_name: str = ""
    build: BuildSettings
    core: list[str]
    post: list[str] = []
    assignment: list[str]

    @property
    def steps(self) -> list[str]:
        return [*self.core, *self.post, *self.assignment]


class StepWait(ApiModel):
    """A step (or a phase of a failed attempt's removal) still in progress: where the phased-work driver stands in
    the run's steps, in the shape the run's in-flight histories hold (shared/services/cloud_pcs/provisioning.py)."""

    step: str
    started_at: datetime | None = None  # when the step started: its time limit counts from here
    retry_after_seconds: float = 0  # no longer written (the answer's resume_at says when); runs in flight hold it
    operation: str | None = None  # the Azure operation it waits for
    held: str | None = None  # what Azure holds it with (a throttle's or an outage's code), if it does


class StepFailure(ApiModel):
    """The step that failed an attempt, and why."""

    step: str
    code: str
    message: str


class RunState(ApiModel):
    """Where a run stands between two activity calls."""

    job: CloudPcJob
    attempt: int = 1
    completed: int = 0  # the attempt's steps already taken
    resume: StepWait | None = None  # the step (or attempt removal) being waited for
    warnings: list[str] = []
    resources: dict[str, str] = {}
    failure: StepFailure | None = None  # the attempt failed: the next calls remove it first


class Advanced(ApiModel):
    """What one call of `advance` achieved: the run is over, or where it stands and how long to wait."""

    outcome: str | None = None  # the Cloud PC's final status, or why the run did not start
    state: RunState | None = None
    wait_seconds: float = 0
    # when to call again, by the clock that measured the wait: a timer set from the orchestration's own
    # (later) time would add the delivery delay to every wait
    resume_at: datetime | None = None

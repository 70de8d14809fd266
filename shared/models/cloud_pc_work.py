"""What a Cloud PC's work leaves the triggers to start: provisioning runs, VM actions (an admin's, or a sleep its
policy's power rules began), or following the tenant's backend where it works on its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.models.cloud_pcs import CloudPc
from shared.models.orchestrations import VmActionRun


@dataclass(frozen=True)
class Performed:
    """An action applied (or found applied by the same request), and the background work it needs started."""

    cloud_pc: CloudPc
    provisioning_run: int | None = None  # start this provisioning run (retry, reprovision)
    vm_action: VmActionRun | None = None  # start this VM action
    follow_backend: bool = False  # the backend carries it out: follow the tenant's Cloud PCs until it is done


@dataclass(frozen=True)
class UseWatch:
    """One watch of a tenant's Cloud PCs' use: the sleeps it began (each for a VM action to follow), the wakes it
    recorded, and how many Cloud PCs' users it saw connected."""

    sleeps: list[VmActionRun] = field(default_factory=list)
    woken: int = 0
    connected: int = 0


@dataclass(frozen=True)
class RunToStart:
    """A pendingProvision Cloud PC's run to start: now, or at `not_before` (a burst's runs are paced)."""

    cloud_pc_id: str
    run: int
    not_before: datetime | None = None


@dataclass
class ReconcileOutcome:
    """What a directory change came to: the Cloud PCs the app made and must start, or the backend to follow."""

    tenant_id: str
    users_considered: int = 0
    created: list[str] = field(default_factory=list)
    to_provision: list[RunToStart] = field(default_factory=list)
    untargeted: list[str] = field(default_factory=list)  # Cloud PCs whose slot is no longer desired
    entered_grace: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    start_check: str | None = None  # remove it (`started`) once every run in `to_provision` is started
    follow_backend: bool = False  # the backend acts on the directory itself: follow the tenant's Cloud PCs

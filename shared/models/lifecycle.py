"""Lifecycle work that falls due later: grace-period expiry and clean-up after failures and deprovisions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.models.base import ApiModel
from shared.models.cloud_pcs import BuildSettings

DueKind = Literal["graceExpiry", "cleanUp", "removeVms"]  # removeVms: VM deletes followed to their end


class DueWork(ApiModel):
    """One piece of due work; it carries what it needs, so it can finish after the Cloud PC row is gone."""

    kind: DueKind
    due_date_time: datetime
    tenant_id: str
    cloud_pc_id: str
    run: int
    generation: int
    device_name: str | None = None
    build: BuildSettings | None = None  # where its resources live and how it joined
    vm_names: list[str] = []
    nic_names: list[str] = []
    # removeVms: the Azure Virtual Desktop pool the run's settled VM is a session host of, and that VM (a failed
    # attempt's host left the pool with its attempt)
    host_pool: str | None = None
    session_host_vm: str | None = None
    # the long-running operation a clean-up's last step handed back (the AD account's probe VM, its Run Command, its
    # removal), or a VM's delete (`<vm name> <operation>`), so the next try polls it instead of starting it again
    operation: str | None = None
    since: datetime | None = None  # removeVms: when the deletes were asked (its timeline line's start)

    @property
    def key(self) -> str:
        """Sorts by due time, so a sweep reads a key range, never the whole table."""
        return f"{self.due_date_time:%Y%m%dT%H%M%S%f}|{self.kind}|{self.tenant_id}|{self.cloud_pc_id}|{self.run}"

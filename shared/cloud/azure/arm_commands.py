"""Managed Run Commands (`virtualMachines/{vm}/runCommands/{name}`), started and polled without waiting.

A run command is created once per name: when it already exists its state is the answer (a repeated
activity never runs a script twice), unless the caller's script is idempotent and it saves that read.
`treatFailureAsDeploymentFailure` makes a failing script fail the
operation, so a failure arrives as Azure's error; a script may name its own error code by writing a line
`ERRORTYPE=<code>` (the health checks do), which then wins. Secrets go in protectedParameters only:
Azure neither stores nor shows them, and they are never logged here.

A command may take several steps (`run_step`): its script writes each step's outcome as a STEP_OUTCOME line, the
first step's call makes the command, which is then read (not its operation polled) until it ended, and every step
reads its own line from the command's output. An
ended command's output never changes (it is made once and never run again), so it is read once per process and the
other steps take their lines from that read: a Cloud PC's post-provisioning costs one read, not one a step.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, cast

from azure.mgmt.compute import types as compute_json

from shared.cloud.azure import arm_lro
from shared.cloud.azure.arm_clients import ArmClients
from shared.cloud.azure.arm_ids import vm_id
from shared.ports.cloud_errors import CloudError
from shared.ports.compute import STEP_OUTCOME, Placement
from shared.ports.progress import Progress

PHASE = "command"
TIMEOUT_S = 3600
MARKER = re.compile(r"ERRORTYPE=([A-Za-z][A-Za-z0-9_]*)")  # AVD agent reasons are upper snake case
MESSAGE_LIMIT = 500
OUTCOME = re.compile(
    rf"^{STEP_OUTCOME} (?P<step>\S+) (?P<outcome>succeeded|failed)(?: ERRORTYPE=(?P<code>\S+))?\s*(?P<message>.*)$"
)
RUNNING = {"creating", "updating", "running", "pending", ""}
ENDED_KEPT = 4096  # ended multi-step commands whose output is kept (about a fan-out's worth of Cloud PCs)


class RunCommands:
    def __init__(self, clients: ArmClients) -> None:
        self._clients = clients
        self._ended: OrderedDict[tuple[str, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def run(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        name: str,
        script: str,
        *,
        step: str,
        parameters: dict[str, str] | None = None,
        protected: dict[str, str] | None = None,
        operation: str | None = None,
        create_only: bool = True,
    ) -> Progress:
        """Done when the script ran and succeeded; CloudError(step, code) when it failed.

        `create_only`: a command that exists already is not run again (its state is the answer), at the cost
        of a read first; an idempotent script may do without it and simply run again on a repeated call."""
        compute = self._clients.compute(tenant_id, placement.subscription_id)
        rg, command_id = placement.resource_group, f"{vm_id(placement, vm_name)}/runCommands/{name}"
        _, url = arm_lro.decode(operation)
        if url:
            try:
                polled = arm_lro.poll(self._clients, tenant_id, placement.subscription_id, url, step)
            except CloudError as exc:
                if exc.transient:  # held (the request budget) or unanswered: asked again, not the script's failure
                    raise
                raise self._failure(tenant_id, placement, vm_name, name, step, exc) from exc
            if isinstance(polled, arm_lro.Later):
                return arm_lro.progress(polled, PHASE)
            return Progress(done=True, resource_id=command_id)
        existing = self.instance(tenant_id, placement, vm_name, name, step) if create_only else None
        if existing is not None:
            state = str(existing.get("properties", {}).get("provisioningState") or "")
            if state == "Succeeded":
                return Progress(done=True, resource_id=command_id)
            if state == "Failed":
                raise self._failure(tenant_id, placement, vm_name, name, step, None, existing)
            return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)
        body = {
            "location": placement.region_name,
            "properties": {
                "source": {"script": script},
                "parameters": [{"name": k, "value": v} for k, v in (parameters or {}).items()],
                "protectedParameters": [{"name": k, "value": v} for k, v in (protected or {}).items()],
                "asyncExecution": False,
                "treatFailureAsDeploymentFailure": True,
                "timeoutInSeconds": TIMEOUT_S,
            },
        }
        command = cast(compute_json.VirtualMachineRunCommand, body)
        try:
            started = arm_lro.start(
                lambda **kw: compute.virtual_machine_run_commands.begin_create_or_update(
                    rg, vm_name, name, command, **kw
                ),
                step,
            )
        except CloudError as exc:
            if exc.transient:
                raise
            raise self._failure(tenant_id, placement, vm_name, name, step, exc) from exc
        if isinstance(started, arm_lro.Later):
            return arm_lro.progress(started, PHASE)
        return Progress(done=True, resource_id=command_id)

    def run_step(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        name: str,
        script: str,
        *,
        step: str,
        protected: Callable[[], Mapping[str, str]] | None = None,
    ) -> Progress:
        """`step` of the command `name` whose script takes several: the command is made if it is not there yet, then
        the step's STEP_OUTCOME line in its output is the answer (done, or CloudError with the step's own code).
        Once made, the command itself is read at each call rather than its operation polled: its instanceView says
        whether the script still runs and, once it ended, carries the output (one read a poll, not two at the end;
        a failed command's output too says how far each step got)."""
        key = (tenant_id, placement.subscription_id, placement.resource_group, vm_name, name)
        with self._lock:
            found = self._ended.get(key)
        if found is None:
            found = self.instance(tenant_id, placement, vm_name, name, step)
            if found is None:
                secrets = dict(protected()) if protected is not None else None  # asked only to make the command
                started = self.run(
                    tenant_id, placement, vm_name, name, script, step=step, protected=secrets, create_only=False
                )
                if not started.done:
                    return started
                found = self.instance(tenant_id, placement, vm_name, name, step) or {}
        props = found.get("properties") or {}
        view = props.get("instanceView") or {}
        state = str(props.get("provisioningState") or "").lower()
        if state not in RUNNING and str(view.get("executionState") or "").lower() not in RUNNING - {""}:
            self._keep_ended(key, found)
        for line in str(view.get("output") or "").splitlines():
            outcome = OUTCOME.match(line.strip())
            if outcome is not None and outcome.group("step") == step:
                if outcome.group("outcome") == "succeeded":
                    return Progress(done=True)
                message = outcome.group("message") or f"{step} failed"
                raise CloudError(step, outcome.group("code") or "StepFailed", message[:MESSAGE_LIMIT])
        if state in RUNNING or str(view.get("executionState") or "").lower() in RUNNING - {""}:
            return Progress(done=False, retry_after_s=arm_lro.DEFAULT_POLL_S, reason=arm_lro.RUNNING)
        if state == "failed":
            raise self._failure(tenant_id, placement, vm_name, name, step, None, found)
        raise CloudError(step, "StepNotRun", f"The Run Command {name} ended without taking {step}.")

    def _keep_ended(self, key: tuple[str, ...], found: dict[str, Any]) -> None:
        with self._lock:
            self._ended[key] = found
            self._ended.move_to_end(key)
            while len(self._ended) > ENDED_KEPT:
                self._ended.popitem(last=False)

    def instance(
        self, tenant_id: str, placement: Placement, vm_name: str, name: str, step: str
    ) -> dict[str, Any] | None:
        """The run command with its instanceView (executionState, exitCode, output, error), None if absent."""
        compute = self._clients.compute(tenant_id, placement.subscription_id)
        return arm_lro.found_json(
            lambda **kw: compute.virtual_machine_run_commands.get_by_virtual_machine(
                placement.resource_group, vm_name, name, expand="instanceView", **kw
            ),
            step,
        )

    def _failure(
        self,
        tenant_id: str,
        placement: Placement,
        vm_name: str,
        name: str,
        step: str,
        error: CloudError | None,
        found: dict[str, Any] | None = None,
    ) -> CloudError:
        """The script's own ERRORTYPE if it wrote one, else Azure's code; the message is the script's error text."""
        if found is None:
            try:
                found = self.instance(tenant_id, placement, vm_name, name, step)
            except CloudError:
                found = None
        view = (found or {}).get("properties", {}).get("instanceView") or {}
        text = "\n".join(str(view.get(k) or "") for k in ("output", "error"))
        marker = MARKER.search(text) or MARKER.search(str(error or ""))
        code = marker.group(1) if marker else error.code if error else arm_lro.failure_code(view.get("statuses"))
        message = str(view.get("error") or view.get("executionMessage") or error or "the script failed")
        return CloudError(step, code, message[:MESSAGE_LIMIT])

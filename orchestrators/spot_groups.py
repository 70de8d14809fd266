"""The orchestrator of a Spot Group's deployment or removal: the group's phases, then every host's in parallel
(one sub-orchestration each, so hundreds of hosts take about as long as one), then the group's again. A rolling
image update replaces hosts in batches instead, as shared/services/spot_pc/rollout.py decides after each: a cancel
stops it at the hosts not yet drained (their runs end `cancelled`), and no batch starts after."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.phases import take_phases, timer
from shared.models.orchestrations import HostPowerRun, PhasedStep, SpotGroupRun
from shared.services.spot_pc.rollout import after_batch
from shared.services.spot_pc.spot_group_deployments import awaits_turn, host_runs, replacement_plan

Orchestration = Generator[Any, Any, Any]
HOSTS_AT_ONCE = 500  # sub-orchestrations started together: a group's every host (a batch waits for its slowest)


def run_hosts(
    context: df.DurableOrchestrationContext, run: SpotGroupRun, hosts: list[SpotGroupRun], again: str = ""
) -> Orchestration:
    """The hosts' runs side by side; their outcomes, in order. `again` tells a second run of a host apart."""
    outcomes: list[Any] = []
    for first in range(0, len(hosts), HOSTS_AT_ONCE):
        outcomes += yield context.task_all(
            [
                context.call_sub_orchestrator(
                    names.RUN_SPOT_GROUP_WORK,
                    host.model_dump(mode="json", by_alias=True),
                    names.spot_group_host_instance_id(context.instance_id, run.revision, host.host or 0) + again,
                )
                for host in hosts[first : first + HOSTS_AT_ONCE]
            ]
        )
    return outcomes


def replace_hosts(context: df.DurableOrchestrationContext, run: SpotGroupRun) -> Orchestration:
    """An image update's outcome: the canary, then each batch, until rollout.after_batch ends it."""
    plan = replacement_plan(run)
    for index, batch in enumerate([plan.canary, *plan.batches]):
        outcomes = yield from run_hosts(context, run, batch)
        verdict = after_batch(run, batch, outcomes, canary=index == 0)
        if verdict.back:
            yield from run_hosts(context, run, verdict.back, again="-back")
        if verdict.ends is not None:
            return verdict.ends
    return "succeeded"


def turn_or_cancel(context: df.DurableOrchestrationContext, run: Any, step: Any) -> Orchestration | None:
    """A host waiting for its turn in a maintenance window (perhaps days) waits for the turn or the update's cancel,
    first come; then its run asks again (and ends, when cancelled)."""
    if not (isinstance(run, SpotGroupRun) and isinstance(step, PhasedStep) and awaits_turn(run)):
        return None
    return _turn_or_cancel(context, run, step)


def _turn_or_cancel(context: df.DurableOrchestrationContext, run: SpotGroupRun, step: PhasedStep[Any]) -> Orchestration:
    cancelled = context.wait_for_external_event(names.IMAGE_UPDATE_CANCELLED)
    turn = timer(context, step.wait_seconds, step.resume_at)
    first = yield context.task_any([cancelled, turn])
    if first == cancelled:
        turn.cancel()
    return run


def run_work(context: df.DurableOrchestrationContext, run: SpotGroupRun) -> Orchestration:
    """Stage by stage; a stage that continued as new comes back here with its run as the input."""
    if run.stage == "host":  # a sub-orchestration: one host's phases
        return (yield from take_phases(context, names.ADVANCE_SPOT_GROUP, run, pause=turn_or_cancel))
    if run.stage == "prepare":
        prepared = yield from take_phases(context, names.ADVANCE_SPOT_GROUP, run)
        if prepared != "succeeded":
            return prepared  # failed, superseded, or None: continued as new, still preparing
        yield from run_hosts(context, run, [host for host in host_runs(run) if host.host_work != "replace"])
        outcome = (yield from replace_hosts(context, run)) if run.replace else None
        run = run.model_copy(
            update={
                "stage": "finish",
                "phase": 0,
                "operation": None,
                "started_at": None,
                "calls": 0,
                "update_outcome": outcome,
            }
        )
    return (yield from take_phases(context, names.ADVANCE_SPOT_GROUP, run))


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.RUN_SPOT_GROUP_WORK)
    def run_spot_group_work(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input SpotGroupRun; the work's outcome: succeeded, failed or superseded."""
        return (yield from run_work(context, SpotGroupRun.model_validate(context.get_input())))

    @bp.orchestration_trigger(context_name="context", orchestration=names.FOLLOW_HOST_POWER)
    def follow_host_power(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input HostPowerRun; the power action's outcome: succeeded, failed or superseded."""
        run = HostPowerRun.model_validate(context.get_input())
        return (yield from take_phases(context, names.ADVANCE_HOST_POWER, run))

    return bp

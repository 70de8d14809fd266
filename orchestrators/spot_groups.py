"""The orchestrator of a Spot Group's deployment or removal: the group's phases, then every host's in parallel
(one sub-orchestration each, so hundreds of hosts take about as long as one), then the group's again."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from orchestrators import names
from orchestrators.phases import take_phases
from shared.models.orchestrations import SpotGroupRun, SpotGroupStep
from shared.services.spot_group_deployments import host_runs

Orchestration = Generator[Any, Any, Any]
HOSTS_AT_ONCE = 500  # sub-orchestrations started together: a group's every host (a batch waits for its slowest)


def run_work(context: df.DurableOrchestrationContext, run: SpotGroupRun) -> Orchestration:
    """Stage by stage; a stage that continued as new comes back here with its run as the input."""
    if run.stage == "host":  # a sub-orchestration: one host's phases
        return (yield from take_phases(context, names.ADVANCE_SPOT_GROUP, run, SpotGroupStep.model_validate))
    if run.stage == "prepare":
        prepared = yield from take_phases(context, names.ADVANCE_SPOT_GROUP, run, SpotGroupStep.model_validate)
        if prepared != "succeeded":
            return prepared  # failed, superseded, or None: continued as new, still preparing
        me = context.instance_id
        hosts = host_runs(run)
        for first in range(0, len(hosts), HOSTS_AT_ONCE):
            yield context.task_all([
                context.call_sub_orchestrator(
                    names.RUN_SPOT_GROUP_WORK, host.model_dump(mode="json", by_alias=True),
                    names.spot_group_host_instance_id(me, run.revision, host.host or 0),
                )
                for host in hosts[first : first + HOSTS_AT_ONCE]
            ])  # fmt: skip
        run = run.model_copy(update={"stage": "finish", "phase": 0, "operation": None, "started_at": None, "calls": 0})
    return (yield from take_phases(context, names.ADVANCE_SPOT_GROUP, run, SpotGroupStep.model_validate))


def blueprint() -> df.Blueprint:
    bp = df.Blueprint()

    @bp.orchestration_trigger(context_name="context", orchestration=names.RUN_SPOT_GROUP_WORK)
    def run_spot_group_work(context: df.DurableOrchestrationContext) -> Orchestration:
        """Input SpotGroupRun; the work's outcome: succeeded, failed or superseded."""
        return (yield from run_work(context, SpotGroupRun.model_validate(context.get_input())))

    return bp

"""A connection's health-check run as phased work, taken by the backend the run names; the app's own run here.

The app's own run marks the checks running, takes the checks outside the network one by one, makes a probe VM in
the connection's subnet for the checks inside it (Azure runs one Run Command at a time on a VM), records the
results and removes the probe. A check that cannot finish counts as failed, never as stuck.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from shared.models.connections import HealthCheck
from shared.models.orchestrations import HealthCheckRun, PhasedStep, RecordedCheck
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import ConfigurationBackend
from shared.ports.cloud_errors import CloudError
from shared.ports.configuration_ports import HealthCheckRunPorts
from shared.ports.progress import Progress
from shared.services.configuration import connections
from shared.services.configuration.connections import CheckWait
from shared.services.configuration.health_checks import in_network
from shared.services.engine import phased

PHASE_TIMEOUT = timedelta(hours=1)  # a probe VM or a check that takes longer counts as failed
RAN_TOO_LONG = "internalServerErrorVMDeploymentTimeout"
COULD_NOT_RUN = "internalServerError"
NO_PROBE = "internalServerErrorAllocateResourceFailed"
MARK, PREPARE_PROBE, RECORD, REMOVE_PROBE = "markRunning", "prepareProbe", "record", "removeProbe"


class HealthCheckPorts(HealthCheckRunPorts, Protocol):
    """A run, and the backend it names to take it."""

    @property
    def backends(self) -> BackendChoice[ConfigurationBackend]: ...


def advance(ports: HealthCheckPorts, run: HealthCheckRun) -> PhasedStep[HealthCheckRun]:
    """Take the run's phases as far as they go; a phase still running answers when to ask again."""
    return ports.backends.named(run.backend).advance_health_checks(ports, run)


def own_phases(run: HealthCheckRun) -> list[str]:
    """The phases of a run of the app's own checks; a check's phase is its name."""
    inside = [check for check in run.checks if in_network(check)]
    outside = [check for check in run.checks if not in_network(check)]
    probed = [PREPARE_PROBE, *inside] if inside else []
    return [MARK, *outside, *probed, RECORD, *([REMOVE_PROBE] if inside else [])]


def advance_own_checks(ports: HealthCheckRunPorts, run: HealthCheckRun) -> PhasedStep[HealthCheckRun]:
    tenant, connection, number = run.tenant_id, run.connection_id, run.run
    table = own_phases(run)

    def take(now: HealthCheckRun, phase: str) -> phased.Taken[HealthCheckRun]:
        if phase == MARK:
            if not connections.mark_checks_running(ports, tenant, connection, number):
                return PhasedStep(outcome="superseded", run=now)
            if PREPARE_PROBE not in table:
                return phased.DONE
            probe = connections.probe_of(ports, tenant, connection, number)  # kept: removed even if the connection goes
            return now.model_copy(update={"probe": probe}), phased.DONE
        if phase == PREPARE_PROBE:
            return connections.prepare_probe(ports, tenant, connection, number, now.operation)
        if phase == RECORD:
            return now.model_copy(update={"superseded": not record(ports, now)}), phased.DONE
        if phase == REMOVE_PROBE:
            return connections.remove_probe(ports, tenant, now.probe or {}, now.operation)
        result = connections.run_check(ports, tenant, connection, number, phase, now.operation, now.started_at)
        if isinstance(result, CheckWait):
            return Progress(done=False, retry_after_s=result.retry_after_s, operation=result.operation)
        return now.model_copy(update={"results": [*now.results, RecordedCheck(name=phase, result=result)]}), phased.DONE

    def failed(now: HealthCheckRun, phase: str, exc: CloudError) -> PhasedStep[HealthCheckRun] | HealthCheckRun:
        error_type = RAN_TOO_LONG if exc.code == phased.TIMED_OUT else COULD_NOT_RUN
        if phase in (MARK, RECORD):
            raise exc  # storage out of reach: the activity's retries, then the orchestrator's record
        if phase == REMOVE_PROBE:  # the probe is left behind; the results are recorded all the same
            return finished(now)
        if phase == PREPARE_PROBE:  # the checks that need the probe fail; the run goes on to record
            error_type = RAN_TOO_LONG if exc.code == phased.TIMED_OUT else NO_PROBE
            inside = [RecordedCheck(name=check, error_type=error_type) for check in now.checks if in_network(check)]
            at_record = {"phase": table.index(RECORD), "operation": None, "started_at": None}
            return now.model_copy(update={"results": [*now.results, *inside], **at_record})
        unfinished = RecordedCheck(name=phase, error_type=error_type)
        return phased.next_phase(now.model_copy(update={"results": [*now.results, unfinished]}))

    return phased.drive(run, table, take, clock=ports.clock, limit=PHASE_TIMEOUT, on_fail=failed, finish=finished)


def finished(run: HealthCheckRun) -> PhasedStep[HealthCheckRun]:
    """The answer of a run that took its last phase."""
    return PhasedStep(outcome="superseded" if run.superseded else "recorded", run=run)


def record(ports: HealthCheckRunPorts, run: HealthCheckRun, error_type: str = COULD_NOT_RUN) -> bool:
    """The run's results in the run's order, a check without one failed with `error_type`; False when a newer run
    superseded it. Also what the orchestrator records for a run that could not go on at all."""
    by_name = {check.name: check for check in run.results}
    results: list[HealthCheck] = []
    for check in run.checks:
        recorded = by_name.get(check) or RecordedCheck(name=check, error_type=error_type)
        results.append(recorded.result or connections.could_not_run(check, recorded.error_type or error_type))
    return connections.record_checks(ports, run.tenant_id, run.connection_id, run.run, results)

"""A connection's health-check run as phased work, taken by the backend the run names; the app's own run here.

The app's own run marks the checks running, takes the checks outside the network one by one, makes a probe VM in
the connection's subnet for the checks inside it (Azure runs one Run Command at a time on a VM), records the
results and removes the probe. A check that cannot finish counts as failed, never as stuck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared.models.connections import CheckStatus, Connection, HealthCheck, HealthCheckStatusDetail
from shared.models.orchestrations import HealthCheckRun, PhasedStep, RecordedCheck
from shared.ports.backend_choice import BackendChoice
from shared.ports.backend_facets import ConfigurationBackend
from shared.ports.cloud_errors import CloudError
from shared.ports.configuration_ports import HealthCheckRunPorts
from shared.ports.network_checks import CheckOutcome, NetworkTarget
from shared.ports.progress import Progress
from shared.services.configuration.health_checks import (
    CHECKS_BY_NAME,
    finish_check,
    in_network,
    overall_status,
    pending_checks,
)
from shared.services.engine import phased
from shared.services.engine.updates import update_with_etag

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
            if not mark_checks_running(ports, tenant, connection, number):
                return PhasedStep(outcome="superseded", run=now)
            if PREPARE_PROBE not in table:
                return phased.DONE
            probe = probe_of(ports, tenant, connection, number)  # kept: removed even if the connection goes
            return now.model_copy(update={"probe": probe}), phased.DONE
        if phase == PREPARE_PROBE:
            return prepare_probe(ports, tenant, connection, number, now.operation)
        if phase == RECORD:
            return now.model_copy(update={"superseded": not record(ports, now)}), phased.DONE
        if phase == REMOVE_PROBE:
            return remove_probe(ports, tenant, now.probe or {}, now.operation)
        result = run_check(ports, tenant, connection, number, phase, now.operation, now.started_at)
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
        results.append(recorded.result or could_not_run(check, recorded.error_type or error_type))
    return record_checks(ports, run.tenant_id, run.connection_id, run.run, results)


# --- one run's steps (called by activities) ------------------------------------------------


def mark_checks_running(ports: HealthCheckRunPorts, tenant_id: str, connection_id: str, run: int) -> bool:
    """Move the run to `running`; False when a newer run superseded it or the connection is gone."""
    now = ports.clock()

    def change(current: Connection) -> Connection:
        if current.health_check_run != run:
            raise _Superseded
        detail = HealthCheckStatusDetail(start_date_time=now, health_checks=pending_checks(current.connection_type))
        return current.model_copy(update={"health_check_status": "running", "health_check_status_detail": detail})

    return apply_to_run(ports, tenant_id, connection_id, change)


@dataclass(frozen=True)
class CheckWait:
    """A check still running in Azure: ask again after `retry_after_s`, passing back `operation` and `started`."""

    name: str
    operation: str | None
    retry_after_s: float
    started: datetime


def check_target(ports: HealthCheckRunPorts, connection: Connection, run: int) -> NetworkTarget:
    """What one run's checks look at. The run's probe VM goes where the Cloud PCs' VMs go, the site's resource
    group (in the network's subscription and region), so the checks need no role the Cloud PCs do not."""
    site = ports.sites.find_site(connection.tenant_id, connection.site_id)
    return NetworkTarget(
        connection_type=connection.connection_type,
        region_name=connection.region_name,
        subscription_id=connection.subscription_id,
        resource_group=site.resource_group_name if site is not None else connection.resource_group_name,
        virtual_network_id=connection.virtual_network_id,
        subnet_id=connection.subnet_id,
        probe_key=f"{connection.id}/r{run}",
        ad_domain_name=connection.ad_domain_name,
        ad_domain_username=connection.ad_domain_username,
        organizational_unit=connection.organizational_unit,
        password_secret_name=connection.password_secret_name if connection.ad_domain_name else None,
    )


def run_check(
    ports: HealthCheckRunPorts,
    tenant_id: str,
    connection_id: str,
    run: int,
    check: str,
    operation: str | None = None,
    started: datetime | None = None,
) -> HealthCheck | CheckWait:
    """One call of one check: its result, or how to ask again. Cloud errors become a failed check."""
    spec = CHECKS_BY_NAME[check]
    started = started or ports.clock()
    target = check_target(ports, ports.connections.get_connection(tenant_id, connection_id), run)
    try:
        outcome = ports.network.run_check(tenant_id, check, target, operation)
    except CloudError as exc:
        outcome = CheckOutcome("failed", error_type=exc.code)
    if outcome.status == "running":
        return CheckWait(check, outcome.operation, outcome.retry_after_s, started)
    status, error_type, action = finish_check(spec, outcome.status, outcome.error_type, outcome.recommended_action)
    return HealthCheck(
        name=spec.name,
        display_name=spec.display_name,
        status=status,
        start_date_time=started,
        end_date_time=ports.clock(),
        error_type=error_type,
        recommended_action=action,
    )


def probe_of(ports: HealthCheckRunPorts, tenant_id: str, connection_id: str, run: int) -> dict[str, str]:
    """Where the run's probe VM is (kept by the orchestration, so it is removed even if the connection goes)."""
    target = check_target(ports, ports.connections.get_connection(tenant_id, connection_id), run)
    return {
        "subscriptionId": target.subscription_id,
        "resourceGroup": target.resource_group,
        "regionName": target.region_name,
        "probeKey": target.probe_key,
    }


def prepare_probe(
    ports: HealthCheckRunPorts, tenant_id: str, connection_id: str, run: int, operation: str | None
) -> Progress:
    """The run's probe VM in the connection's subnet, for the checks inside the network (CloudError: cannot)."""
    target = check_target(ports, ports.connections.get_connection(tenant_id, connection_id), run)
    return ports.network.prepare_probe(tenant_id, target, operation)


def remove_probe(ports: HealthCheckRunPorts, tenant_id: str, probe: dict[str, str], operation: str | None) -> Progress:
    target = NetworkTarget(
        connection_type="",
        region_name=probe["regionName"],
        subscription_id=probe["subscriptionId"],
        resource_group=probe["resourceGroup"],
        virtual_network_id=None,
        subnet_id=None,
        probe_key=probe["probeKey"],
    )
    return ports.network.remove_probe(tenant_id, target, operation)


def could_not_run(check: str, error_type: str) -> HealthCheck:
    """A check that could not run at all (its probe could not be made, or the calls kept failing)."""
    spec = CHECKS_BY_NAME[check]
    status, error_type_, action = finish_check(spec, "failed", error_type, None)
    return HealthCheck(
        name=spec.name, display_name=spec.display_name, status=status, error_type=error_type_, recommended_action=action
    )


def record_checks(
    ports: HealthCheckRunPorts,
    tenant_id: str,
    connection_id: str,
    run: int,
    results: list[HealthCheck],
    mirrored: HealthCheckStatusDetail | None = None,
    status: CheckStatus | None = None,
) -> bool:
    """The run's results, unless a newer run superseded it; `mirrored` and `status` as the backend gave them."""
    now = ports.clock()

    def change(current: Connection) -> Connection:
        if current.health_check_run != run:
            raise _Superseded
        detail = mirrored or HealthCheckStatusDetail(
            start_date_time=current.health_check_status_detail.start_date_time or now,
            end_date_time=now,
            health_checks=results,
        )
        return current.model_copy(
            update={"health_check_status": status or overall_status(results), "health_check_status_detail": detail}
        )

    return apply_to_run(ports, tenant_id, connection_id, change)


class _Superseded(Exception):
    pass


def apply_to_run(
    ports: HealthCheckRunPorts, tenant_id: str, connection_id: str, change: Callable[[Connection], Connection]
) -> bool:
    """`change` saved on the connection; False when the connection is gone, or `change` found its run superseded."""
    if ports.connections.find_connection(tenant_id, connection_id) is None:
        return False
    try:
        update_with_etag(
            lambda: ports.connections.get_connection(tenant_id, connection_id),
            change,
            lambda connection, etag: ports.connections.upsert_connection(connection, if_match=etag),
            if_match=None,
        )
    except _Superseded:
        return False
    return True

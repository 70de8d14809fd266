"""A `windows365` connection's health-check run: Windows 365 checks the connection itself; the app sends it the
connection as the app holds it, then mirrors Windows 365's checks onto it."""

from __future__ import annotations

from shared.models.connections import CHECKING, Connection, HealthCheck, HealthCheckStatusDetail
from shared.models.orchestrations import HealthCheckRun, PhasedStep
from shared.ports.cloud_errors import CloudError
from shared.ports.configuration_ports import HealthCheckRunPorts
from shared.ports.progress import Progress
from shared.ports.windows365 import Windows365Check, Windows365ConnectionSpec
from shared.services.configuration import health_check_runs
from shared.services.configuration.health_check_runs import MARK, PHASE_TIMEOUT, RAN_TOO_LONG
from shared.services.configuration.health_checks import (
    CHECKS,
    DEFAULT_ACTION,
    RECOMMENDED_ACTIONS,
    WINDOWS365_CHECK_NAMES,
)
from shared.services.engine import phased

PUSH, MIRROR = "pushToWindows365", "mirrorWindows365Checks"  # a health-check run's phases, after MARK
WINDOWS365_CHECK = "windows365Connection"  # the stand-in check of a connection Windows 365 refused or lost
NAMES_BY_DISPLAY_NAME = {
    name.lower(): check
    for name, check in [*((c.display_name, c.name) for c in CHECKS), *WINDOWS365_CHECK_NAMES.items()]
}


def health_check_phases(run: HealthCheckRun) -> list[str]:
    """A scheduled run (no `push`) only reads Windows 365's latest results."""
    return [MARK, *([PUSH] if run.push else []), MIRROR]


def advance_checks(ports: HealthCheckRunPorts, run: HealthCheckRun) -> PhasedStep[HealthCheckRun]:
    tenant, connection, number = run.tenant_id, run.connection_id, run.run

    def take(now: HealthCheckRun, phase: str) -> phased.Taken[HealthCheckRun]:
        if phase == MARK:
            marked = health_check_runs.mark_checks_running(ports, tenant, connection, number)
            return phased.DONE if marked else PhasedStep(outcome="superseded", run=now)
        if phase == PUSH:
            pushed = push_to_windows365(ports, tenant, connection, number)
            return phased.DONE if pushed == "pushed" else PhasedStep(outcome=pushed, run=now)
        wait = mirror_windows365_checks(ports, tenant, connection, number)
        return phased.DONE if wait is None else Progress(done=False, retry_after_s=wait)

    def failed(now: HealthCheckRun, phase: str, exc: CloudError) -> PhasedStep[HealthCheckRun]:
        if phase != MIRROR or exc.code != phased.TIMED_OUT:
            raise exc  # storage, or Windows 365 out of reach: the activity's retries, then the orchestrator's record
        recorded = health_check_runs.record(ports, now, RAN_TOO_LONG)
        return PhasedStep(outcome="recorded" if recorded else "superseded", run=now)

    return phased.drive(
        run,
        health_check_phases(run),
        take,
        clock=ports.clock,
        limit=PHASE_TIMEOUT,
        on_fail=failed,
        finish=health_check_runs.finished,
    )


def connection_spec(ports: HealthCheckRunPorts, connection: Connection) -> Windows365ConnectionSpec:
    """The connection as Windows 365 takes it: its network interfaces go in the site's resource group, as the app's
    own Cloud PCs' do."""
    site = ports.sites.find_site(connection.tenant_id, connection.site_id)
    group = site.resource_group_name if site is not None else connection.resource_group_name
    return Windows365ConnectionSpec(
        display_name=connection.display_name,
        connection_type=connection.connection_type,
        subscription_id=connection.subscription_id,
        resource_group_id=f"/subscriptions/{connection.subscription_id}/resourceGroups/{group}",
        virtual_network_id=connection.virtual_network_id or "",
        subnet_id=connection.subnet_id or "",
        ad_domain_name=connection.ad_domain_name,
        ad_domain_username=connection.ad_domain_username,
        organizational_unit=connection.organizational_unit,
    )


def _refused_check(code: str, message: str) -> HealthCheck:
    return HealthCheck(
        name=WINDOWS365_CHECK,
        display_name="Azure network connection in Windows 365",
        status="failed",
        error_type=code,
        recommended_action=message,
    )


def push_to_windows365(ports: HealthCheckRunPorts, tenant_id: str, connection_id: str, run: int) -> str:
    """Windows 365 holds the connection as the app does now: made once (or adopted, when an earlier attempt made it
    and was lost before its id was kept), else updated. `pushed`, `superseded`, or `refused` (recorded as the run's
    failed check with Windows 365's words). A throttle or an outage raises, for the activity's retries."""
    connection = ports.connections.find_connection(tenant_id, connection_id)
    if connection is None or connection.health_check_run != run:
        return "superseded"
    windows365 = ports.windows365
    spec = connection_spec(ports, connection)
    hybrid = connection.connection_type == "hybridAzureADJoin"
    password = ports.secrets.get_secret(connection.password_secret_name) if hybrid else None
    try:
        known = connection.windows365_id and windows365.read_connection(tenant_id, connection.windows365_id)
        if known:
            windows365.update_connection(tenant_id, known.id, spec, password)
            return "pushed"
        made = windows365.find_connection(tenant_id, spec.display_name, spec.subnet_id)
        if made is None:
            made = windows365.create_connection(tenant_id, spec, password)
    except CloudError as exc:
        if exc.transient:
            raise
        health_check_runs.record_checks(ports, tenant_id, connection_id, run, [_refused_check(exc.code, str(exc))])
        return "refused"
    keep = {"windows365_id": made.id}
    health_check_runs.apply_to_run(ports, tenant_id, connection_id, lambda current: current.model_copy(update=keep))
    return "pushed"


def _mirrored(check: Windows365Check) -> HealthCheck:
    status, error_type = check.status, check.error_type
    action = check.recommended_action
    if status in ("failed", "warning") and error_type and not action:
        action = RECOMMENDED_ACTIONS.get(error_type, DEFAULT_ACTION)
    return HealthCheck(
        name=NAMES_BY_DISPLAY_NAME.get(check.display_name.lower(), check.display_name),
        display_name=check.display_name,
        status=status,
        start_date_time=check.start_date_time,  # pydantic parses Graph's ISO 8601
        end_date_time=check.end_date_time,
        error_type=error_type if status in ("failed", "warning") else None,
        recommended_action=action if status in ("failed", "warning") else None,
    )


def mirror_windows365_checks(ports: HealthCheckRunPorts, tenant_id: str, connection_id: str, run: int) -> float | None:
    """Windows 365's latest checks written on the app's connection once they are finished: None when done (or
    superseded), else the seconds to wait before reading again."""
    connection = ports.connections.find_connection(tenant_id, connection_id)
    if connection is None or connection.health_check_run != run:
        return None
    state = ports.windows365.read_connection(tenant_id, connection.windows365_id) if connection.windows365_id else None
    if state is None:
        lost = _refused_check(
            "connectionNotFound", "Windows 365 has no such connection any more: delete it here and make it again."
        )
        health_check_runs.record_checks(ports, tenant_id, connection_id, run, [lost])
        return None
    if state.health_check_status in CHECKING:
        return ports.windows365_checks_poll.total_seconds()
    results = [_mirrored(check) for check in state.checks]
    detail = HealthCheckStatusDetail.model_validate(
        {"startDateTime": state.start_date_time, "endDateTime": state.end_date_time, "healthChecks": results}
    )
    health_check_runs.record_checks(ports, tenant_id, connection_id, run, results, detail, state.health_check_status)
    return None

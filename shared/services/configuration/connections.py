"""Azure network connections, one aggregate: the wizard's rules, credentials in the secret store, health-check runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.errors import Conflict, ErrorDetail, ValidationFailed
from shared.models.connections import (
    CHECKING,
    CheckStatus,
    Connection,
    ConnectionCreate,
    ConnectionUpdate,
    HealthCheck,
    HealthCheckStatusDetail,
)
from shared.models.sites import SUBNET_ID
from shared.ports.admin_ports import AdminPorts
from shared.ports.cloud_errors import CloudError
from shared.ports.network_checks import CheckOutcome, NetworkTarget
from shared.ports.progress import Progress
from shared.ports.windows365 import Windows365Check, Windows365ConnectionSpec
from shared.services.configuration.health_checks import (
    CHECKS,
    CHECKS_BY_NAME,
    DEFAULT_ACTION,
    RECOMMENDED_ACTIONS,
    WINDOWS365_CHECK_NAMES,
    finish_check,
    overall_status,
    pending_checks,
)
from shared.services.engine.updates import update_with_etag
from shared.services.engine.windows365_refusals import refused_as_conflict

MAX_CONNECTIONS_PER_TENANT = 10


def _referenced_site_missing(target: str, site_id: str) -> ValidationFailed:
    return ValidationFailed.of(
        ErrorDetail("referenceNotFound", f"Site '{site_id}' does not exist in this tenant.", target)
    )


def with_usage(ports: AdminPorts, connections: list[Connection]) -> list[Connection]:
    """Set `inUse` from the tenant's policies (a handful per tenant, read once)."""
    if not connections:
        return connections
    used = {
        cid for policy in ports.policies.list_all_policies(connections[0].tenant_id) for cid in policy.connection_ids
    }
    return [c.model_copy(update={"in_use": c.id in used}) for c in connections]


def get_connection(ports: AdminPorts, tenant_id: str, connection_id: str) -> Connection:
    return with_usage(ports, [ports.connections.get_connection(tenant_id, connection_id)])[0]


def create_connection(
    ports: AdminPorts, tenant_id: str, data: ConnectionCreate, *, dry_run: bool = False
) -> Connection:
    site = ports.sites.find_site(tenant_id, data.site_id)
    if site is None:
        raise _referenced_site_missing("siteId", data.site_id)
    subnet_id = data.subnet_id or site.subnet_id
    if not subnet_id:
        raise ValidationFailed.of(
            ErrorDetail("subnetRequired", "subnetId is required because the site names no subnet.", "subnetId")
        )
    if ports.connections.count_connections(tenant_id) >= MAX_CONNECTIONS_PER_TENANT:
        raise Conflict(
            f"A tenant can have at most {MAX_CONNECTIONS_PER_TENANT} connections; delete one first.",
            code="limitExceeded",
            target="connections",
        )
    match = SUBNET_ID.match(subnet_id)
    assert match is not None  # validated by the model or the site
    if match.group("sub").lower() != site.subscription_id.lower():
        # a network interface joins only a virtual network of its own subscription and region
        # (https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface), and the app makes
        # the Cloud PCs' network interfaces in the site's resource group
        raise ValidationFailed.of(ErrorDetail(
            "subnetSubscriptionMismatch",
            f"The subnet must be in the site's subscription ({site.subscription_id}): Azure joins a network "
            "interface only to a virtual network of its own subscription.", "subnetId",
        ))  # fmt: skip
    now = ports.clock()
    connection = Connection(
        id=ports.new_id(),
        cloud_pc_backend=ports.tenants.get_tenant(tenant_id).cloud_pc_backend,
        tenant_id=tenant_id,
        created_date_time=now,
        last_modified_date_time=now,
        display_name=data.display_name,
        site_id=site.id,
        connection_type=data.connection_type,
        ad_domain_name=data.ad_domain_name,
        ad_domain_username=data.ad_domain_username,
        organizational_unit=data.organizational_unit,
        subscription_id=match.group("sub").lower(),
        resource_group_name=match.group("rg"),
        region_name=site.region_name,
        virtual_network_id=subnet_id.rsplit("/subnets/", 1)[0],
        subnet_id=subnet_id,
        health_check_status="pending",
        health_check_status_detail=HealthCheckStatusDetail(health_checks=pending_checks(data.connection_type)),
        health_check_run=1,
    )
    if dry_run:
        return connection
    if data.ad_domain_password is not None:
        ports.secrets.set_secret(connection.password_secret_name, data.ad_domain_password.get_secret_value())
    return ports.connections.upsert_connection(connection, if_none_match=True)


def update_connection(
    ports: AdminPorts,
    tenant_id: str,
    connection_id: str,
    patch: ConnectionUpdate,
    *,
    if_match: str | None,
    dry_run: bool,
) -> Connection:
    """Rename, or change the domain-join settings; a credential change queues a new health-check run."""

    def change(current: Connection) -> Connection:
        fields = patch.model_dump(exclude_unset=True, by_alias=False, exclude={"ad_domain_password"})
        if patch.changes_credentials and current.connection_type != "hybridAzureADJoin":
            raise ValidationFailed.of(
                ErrorDetail(
                    "domainFieldsNotAllowed",
                    "An Entra join connection takes no Active Directory domain or credentials.",
                    sorted(patch.model_fields_set - {"display_name"})[0],
                )
            )
        for required in ("display_name", "ad_domain_name", "ad_domain_username"):
            if (
                required in fields
                and fields[required] is None
                and (required == "display_name" or current.ad_domain_name)
            ):
                alias = ConnectionUpdate.model_fields[required].alias or required
                raise ValidationFailed.of(ErrorDetail("missing", f"{alias} cannot be removed.", alias))
        if patch.changes_credentials or current.cloud_pc_backend == "windows365":
            fields |= _new_run(current)  # Windows 365 is sent every change, by the run
        return current.model_copy(update={**fields, "last_modified_date_time": ports.clock()})

    def save(connection: Connection, etag: str | None) -> Connection:
        if patch.ad_domain_password is not None:
            ports.secrets.set_secret(connection.password_secret_name, patch.ad_domain_password.get_secret_value())
        return ports.connections.upsert_connection(connection, if_match=etag)

    updated = update_with_etag(
        lambda: ports.connections.get_connection(tenant_id, connection_id),
        change,
        save,
        if_match=if_match,
        dry_run=dry_run,
    )
    return with_usage(ports, [updated])[0]


def _new_run(current: Connection) -> dict[str, object]:
    return {
        "health_check_run": current.health_check_run + 1,
        "health_check_status": "pending",
        "health_check_status_detail": HealthCheckStatusDetail(health_checks=pending_checks(current.connection_type)),
    }


def request_health_checks(
    ports: AdminPorts, tenant_id: str, connection_id: str, *, by_admin: bool = False
) -> Connection:
    """Queue a new run: the connection goes back to pending; older runs' results will be ignored. An admin cannot
    have Windows 365 check one of its connections: Graph gives an app no permission for it."""

    def change(current: Connection) -> Connection:
        if by_admin and current.cloud_pc_backend == "windows365":
            raise Conflict(
                "Windows 365 runs this connection's health checks itself, when it is made or changed and every 6 "
                "hours, and lets no app start them (Graph's runHealthChecks takes no application permission); its "
                "latest results are shown here.", code="checkedByWindows365", target="connectionId",
            )  # fmt: skip
        return current.model_copy(update={**_new_run(current), "last_modified_date_time": ports.clock()})

    return update_with_etag(
        lambda: ports.connections.get_connection(tenant_id, connection_id),
        change,
        lambda connection, etag: ports.connections.upsert_connection(connection, if_match=etag),
        if_match=None,
    )


def delete_connection(ports: AdminPorts, tenant_id: str, connection_id: str, *, if_match: str | None) -> None:
    connection = get_connection(ports, tenant_id, connection_id)
    if connection.in_use:
        raise Conflict(
            f"Connection '{connection.display_name}' is used by a provisioning policy; change the policy first.",
            code="inUse",
            target="connectionId",
        )
    if connection.windows365_id:
        with refused_as_conflict(f"delete connection '{connection.display_name}'", "connectionId"):
            ports.windows365.delete_connection(tenant_id, connection.windows365_id)
    ports.connections.delete_connection(tenant_id, connection_id, if_match=if_match or connection.etag)
    ports.secrets.delete_secret(connection.password_secret_name)


# --- the health-check run (called by activities) ------------------------------------------------


def mark_checks_running(ports: AdminPorts, tenant_id: str, connection_id: str, run: int) -> bool:
    """Move the run to `running`; False when a newer run superseded it or the connection is gone."""
    now = ports.clock()

    def change(current: Connection) -> Connection:
        if current.health_check_run != run:
            raise _Superseded
        detail = HealthCheckStatusDetail(start_date_time=now, health_checks=pending_checks(current.connection_type))
        return current.model_copy(update={"health_check_status": "running", "health_check_status_detail": detail})

    return _apply_to_run(ports, tenant_id, connection_id, change)


@dataclass(frozen=True)
class CheckWait:
    """A check still running in Azure: ask again after `retry_after_s`, passing back `operation` and `started`."""

    name: str
    operation: str | None
    retry_after_s: float
    started: datetime


def check_target(ports: AdminPorts, connection: Connection, run: int) -> NetworkTarget:
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
    ports: AdminPorts, tenant_id: str, connection_id: str, run: int, check: str,
    operation: str | None = None, started: datetime | None = None,
) -> HealthCheck | CheckWait:  # fmt: skip
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


def probe_of(ports: AdminPorts, tenant_id: str, connection_id: str, run: int) -> dict[str, str]:
    """Where the run's probe VM is (kept by the orchestration, so it is removed even if the connection goes)."""
    target = check_target(ports, ports.connections.get_connection(tenant_id, connection_id), run)
    return {"subscriptionId": target.subscription_id, "resourceGroup": target.resource_group,
            "regionName": target.region_name, "probeKey": target.probe_key}  # fmt: skip


def prepare_probe(ports: AdminPorts, tenant_id: str, connection_id: str, run: int, operation: str | None) -> Progress:
    """The run's probe VM in the connection's subnet, for the checks inside the network (CloudError: cannot)."""
    target = check_target(ports, ports.connections.get_connection(tenant_id, connection_id), run)
    return ports.network.prepare_probe(tenant_id, target, operation)


def remove_probe(ports: AdminPorts, tenant_id: str, probe: dict[str, str], operation: str | None) -> Progress:
    target = NetworkTarget(
        connection_type="", region_name=probe["regionName"], subscription_id=probe["subscriptionId"],
        resource_group=probe["resourceGroup"], virtual_network_id=None, subnet_id=None, probe_key=probe["probeKey"],
    )  # fmt: skip
    return ports.network.remove_probe(tenant_id, target, operation)


def could_not_run(check: str, error_type: str) -> HealthCheck:
    """A check that could not run at all (its probe could not be made, or the calls kept failing)."""
    spec = CHECKS_BY_NAME[check]
    status, error_type_, action = finish_check(spec, "failed", error_type, None)
    return HealthCheck(
        name=spec.name, display_name=spec.display_name, status=status, error_type=error_type_, recommended_action=action
    )


def record_checks(
    ports: AdminPorts, tenant_id: str, connection_id: str, run: int, results: list[HealthCheck],
    mirrored: HealthCheckStatusDetail | None = None, status: CheckStatus | None = None,
) -> bool:  # fmt: skip
    """The run's results, unless a newer run superseded it; `mirrored` and `status` as Windows 365 gave them."""
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

    return _apply_to_run(ports, tenant_id, connection_id, change)


# --- a Windows 365 connection's run (called by activities): Windows 365 checks, the app sends and mirrors --------

WINDOWS365_WAIT_S = 15.0  # between reads of checks Windows 365 is still running (they take minutes)
WINDOWS365_CHECK = "windows365Connection"  # the stand-in check of a connection Windows 365 refused or lost
NAMES_BY_DISPLAY_NAME = {name.lower(): check for name, check in
                         [*((c.display_name, c.name) for c in CHECKS), *WINDOWS365_CHECK_NAMES.items()]}  # fmt: skip


def connection_spec(ports: AdminPorts, connection: Connection) -> Windows365ConnectionSpec:
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
        name=WINDOWS365_CHECK, display_name="Azure network connection in Windows 365", status="failed",
        error_type=code, recommended_action=message,
    )  # fmt: skip


def push_to_windows365(ports: AdminPorts, tenant_id: str, connection_id: str, run: int) -> str:
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
        record_checks(ports, tenant_id, connection_id, run, [_refused_check(exc.code, str(exc))])
        return "refused"
    keep = {"windows365_id": made.id}
    _apply_to_run(ports, tenant_id, connection_id, lambda current: current.model_copy(update=keep))
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


def mirror_windows365_checks(ports: AdminPorts, tenant_id: str, connection_id: str, run: int) -> float | None:
    """Windows 365's latest checks written on the app's connection once they are finished: None when done (or
    superseded), else the seconds to wait before reading again."""
    connection = ports.connections.find_connection(tenant_id, connection_id)
    if connection is None or connection.health_check_run != run:
        return None
    state = (
        ports.windows365.read_connection(tenant_id, connection.windows365_id) if connection.windows365_id else None
    )
    if state is None:
        lost = _refused_check("connectionNotFound", "Windows 365 has no such connection any more: delete it here "
                              "and make it again.")  # fmt: skip
        record_checks(ports, tenant_id, connection_id, run, [lost])
        return None
    if state.health_check_status in CHECKING:
        return WINDOWS365_WAIT_S
    results = [_mirrored(check) for check in state.checks]
    detail = HealthCheckStatusDetail.model_validate(
        {"startDateTime": state.start_date_time, "endDateTime": state.end_date_time, "healthChecks": results}
    )
    record_checks(ports, tenant_id, connection_id, run, results, detail, state.health_check_status)
    return None


class _Superseded(Exception):
    pass


def _apply_to_run(
    ports: AdminPorts, tenant_id: str, connection_id: str, change: Callable[[Connection], Connection]
) -> bool:
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

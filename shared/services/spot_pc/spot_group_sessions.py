"""A Spot Group's user sessions: who is on which host, and the admin's actions on them (a message, disconnect, log
off), on one session or on many at once with a result for each."""

from __future__ import annotations

from typing import Protocol

from shared.errors import NotFound
from shared.models.spot_groups import SpotGroup
from shared.models.spot_sessions import (
    SessionActionCounts,
    SessionActionError,
    SessionActionName,
    SessionActionResult,
    SessionBulkAction,
    SessionBulkActionCreate,
    SessionMessage,
    SessionState,
    SpotGroupSession,
    address_of,
    session_id_of,
)
from shared.ports.cloud_errors import SESSION_GONE, CloudError
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import UserSessionRecord
from shared.ports.spot_group_work_ports import SpotHostPorts
from shared.services.spot_pc.host_records import placement_of


class SpotSessionPorts(SpotHostPorts, Protocol):
    """A pooled group's user sessions, as its host pool has them."""


class _Group:
    """A group with what its sessions are reached through: its host pool's place, and its hosts' names (a session
    is the group's only when it is on one of them)."""

    def __init__(self, ports: SpotSessionPorts, tenant_id: str, group_id: str) -> None:
        self.group: SpotGroup = ports.spot_groups.get_spot_group(tenant_id, group_id)
        site = ports.sites.find_site(tenant_id, self.group.site_id)
        self.placement: Placement | None = placement_of(site) if site is not None else None
        self.hosts = {host.name for host in ports.spot_groups.list_hosts(tenant_id, group_id)}


def list_sessions(
    ports: SpotSessionPorts,
    tenant_id: str,
    group_id: str,
    *,
    search: str | None = None,
    state: SessionState | None = None,
    host_name: str | None = None,
) -> list[SpotGroupSession]:
    """The group's sessions, by user: those whose user principal name holds `search` (in any case), in `state`, on
    `host_name` (404 when it is not one of the group's hosts)."""
    found = _Group(ports, tenant_id, group_id)
    if host_name is not None and host_name not in found.hosts:
        raise NotFound.resource("Session host", host_name, "sessionHostName")
    if found.placement is None:  # its site is gone: no host pool to ask
        return []
    wanted = (search or "").casefold()
    records = ports.avd.list_user_sessions(tenant_id, found.placement, found.group.host_pool_name)
    shown = [
        _shown(r)
        for r in records
        if r.vm_name in found.hosts
        and host_name in (None, r.vm_name)
        and state in (None, r.state)
        and wanted in r.user_principal_name.casefold()
    ]
    return sorted(shown, key=lambda s: (s.user_principal_name.casefold(), s.id))


def _shown(record: UserSessionRecord) -> SpotGroupSession:
    return SpotGroupSession(
        id=session_id_of(record.vm_name, record.session_id),
        user_principal_name=record.user_principal_name,
        state=record.state,
        session_host_name=record.vm_name,
        start_date_time=record.started,
    )


def act(
    ports: SpotSessionPorts,
    tenant_id: str,
    group_id: str,
    session_id: str,
    action: SessionActionName,
    message: SessionMessage | None = None,
) -> None:
    """One action on one session; 404 when the session is not one of the group's, or is gone."""
    _perform(ports, _Group(ports, tenant_id, group_id), session_id, action, message)


def act_in_bulk(
    ports: SpotSessionPorts, tenant_id: str, group_id: str, request: SessionBulkActionCreate
) -> SessionBulkAction:
    """The action on each session (once, in the order asked), exactly as on one: a session that fails does not
    stop the others, and its result says why."""
    found = _Group(ports, tenant_id, group_id)
    message = None
    if request.action == "sendMessage" and request.title and request.message:  # the model holds both for it
        message = SessionMessage(title=request.title, message=request.message)
    results = []
    for session_id in dict.fromkeys(request.session_ids):
        try:
            _perform(ports, found, session_id, request.action, message)
            results.append(SessionActionResult(session_id=session_id, status="succeeded", status_code=204))
        except NotFound as gone:
            results.append(_failed(session_id, 404, gone.code, gone.message))
        except CloudError as refused:  # Azure's refusal or outage: this session's, the others may go through
            results.append(_failed(session_id, 503, refused.code, str(refused)))
    counts = SessionActionCounts(
        succeeded=sum(r.status == "succeeded" for r in results), failed=sum(r.status == "failed" for r in results)
    )
    status = "succeeded" if not counts.failed else "failed" if not counts.succeeded else "partiallySucceeded"
    return SessionBulkAction(action=request.action, status=status, counts=counts, results=results)


def _failed(session_id: str, status_code: int, code: str, message: str) -> SessionActionResult:
    return SessionActionResult(
        session_id=session_id,
        status="failed",
        status_code=status_code,
        error=SessionActionError(code=code, message=message),
    )


def _perform(
    ports: SpotSessionPorts, found: _Group, session_id: str, action: SessionActionName, message: SessionMessage | None
) -> None:
    address = address_of(session_id)
    if address is None or address[0] not in found.hosts or found.placement is None:
        raise NotFound.resource("Session", session_id, "sessionId")
    vm_name, number = address
    tenant_id, place, pool = found.group.tenant_id, found.placement, found.group.host_pool_name
    try:
        if action == "sendMessage":
            if message is None:
                raise ValueError("sendMessage needs the message to send")
            ports.avd.send_session_message(tenant_id, place, pool, vm_name, number, message.title, message.message)
        elif action == "disconnect":
            ports.avd.disconnect_session(tenant_id, place, pool, vm_name, number)
        else:
            ports.avd.log_off_session(tenant_id, place, pool, vm_name, number)
    except CloudError as exc:
        if exc.code == SESSION_GONE:
            raise NotFound(
                f"Session '{session_id}' is gone: its user signed out, or was logged off.",
                code="notFound",
                target="sessionId",
            ) from exc
        raise

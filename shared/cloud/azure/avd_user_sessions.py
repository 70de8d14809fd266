"""The user sessions of a host pool, read and acted on.

User sessions are read for the whole pool at once (userSessions of the host pool) and named by their session
host's VM; an action on one finds its session host by the VM first. Azure answers a log-off of a session that is
not there 204, and the other actions 404: both are SESSION_GONE. A log-off is forced: the admin asked for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from azure.core.exceptions import HttpResponseError
from azure.mgmt.desktopvirtualization import models as avd_models

from shared.cloud.azure import arm_lro
from shared.cloud.azure.avd_common import same, short_host_name, vm_of
from shared.cloud.azure.avd_session_hosts import SessionHosts
from shared.ports.cloud_errors import SESSION_GONE, CloudError, CloudThrottled
from shared.ports.compute import Placement
from shared.ports.desktop_virtualization import UserSessionRecord

T = TypeVar("T")


class UserSessions(SessionHosts):
    """Lists a pool's user sessions; messages, disconnects and logs off one."""

    def list_user_sessions(self, tenant_id: str, placement: Placement, host_pool: str) -> list[UserSessionRecord]:
        step = "listUserSessions"
        rg = placement.resource_group
        try:
            vms = {
                short_host_name(h).lower(): vm_of(h) for h in self._session_hosts(tenant_id, placement, host_pool, step)
            }
            found = arm_lro.found(
                lambda: list(self._avd(tenant_id, placement).user_sessions.list_by_host_pool(rg, host_pool)), step
            )
        except arm_lro.Throttled as exc:
            raise CloudThrottled(step, exc.retry_after_s, exc.code) from exc
        records = []
        for session in found or []:
            host, number = _session_address(str(session.id))
            if host.lower() in vms:  # a host that left the pool between the two reads has no sessions to show
                records.append(
                    UserSessionRecord(
                        vm_name=vms[host.lower()],
                        session_id=number,
                        user_principal_name=str(session.user_principal_name or ""),
                        # Pending and LogOff are moments of a session that holds its place, as an active one does
                        state="disconnected" if same(session.session_state, "Disconnected") else "active",
                        started=session.create_time,
                    )
                )
        return records

    def send_session_message(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        session_id: str,
        title: str,
        message: str,
    ) -> None:
        def send(host: str) -> None:
            self._avd(tenant_id, placement).user_sessions.send_message(
                placement.resource_group,
                host_pool,
                host,
                session_id,
                avd_models.SendMessage(message_title=title, message_body=message),
            )

        self._on_session(tenant_id, placement, host_pool, vm_name, session_id, "sendSessionMessage", send)

    def disconnect_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        def disconnect(host: str) -> None:
            self._avd(tenant_id, placement).user_sessions.disconnect(
                placement.resource_group, host_pool, host, session_id
            )

        self._on_session(tenant_id, placement, host_pool, vm_name, session_id, "disconnectSession", disconnect)

    def log_off_session(
        self, tenant_id: str, placement: Placement, host_pool: str, vm_name: str, session_id: str
    ) -> None:
        def log_off(host: str) -> int:
            status: Any = self._avd(tenant_id, placement).user_sessions.delete(
                placement.resource_group,
                host_pool,
                host,
                session_id,
                force=True,
                cls=_status,
            )
            return int(status)  # `cls` answers the status, which the SDK's None-typed delete does not say

        if self._on_session(tenant_id, placement, host_pool, vm_name, session_id, "logOffSession", log_off) == 204:
            raise _gone("logOffSession", vm_name, session_id)  # Azure's "User session does not exist"

    def _on_session(
        self,
        tenant_id: str,
        placement: Placement,
        host_pool: str,
        vm_name: str,
        session_id: str,
        step: str,
        act: Callable[[str], T],
    ) -> T:
        """`act(<the session host's name>)`, the VM's session host found first; SESSION_GONE for a host or a session
        that is not there, CloudThrottled for a throttled or failing call."""
        try:
            try:
                host = self._session_host(tenant_id, placement, host_pool, vm_name, step)
                if host is None:
                    raise _gone(step, vm_name, "")
                return act(short_host_name(host))
            except HttpResponseError as exc:
                if arm_lro.is_not_found(exc):
                    raise _gone(step, vm_name, session_id) from exc
                arm_lro.raise_for(exc, step)
        except arm_lro.Throttled as exc:
            raise CloudThrottled(step, exc.retry_after_s, exc.code) from exc


def _session_address(session_id: str) -> tuple[str, str]:
    """`.../sessionHosts/<host>/userSessions/<id>` -> (host, id)."""
    parts = session_id.rstrip("/").split("/")
    return parts[-3], parts[-1]


def _status(pipeline_response: Any, *_: Any) -> int:
    return int(pipeline_response.http_response.status_code)


def _gone(step: str, vm_name: str, session_id: str) -> CloudError:
    what = f"The user session {session_id} on {vm_name}" if session_id else f"The session host {vm_name}"
    gone = CloudError(step, SESSION_GONE, f"{what} is not there.")
    gone.status = 404
    return gone

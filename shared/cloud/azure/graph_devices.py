"""Entra device objects and Intune managed devices through Graph: find, delete, set the Intune primary user.

Every write answers a Progress: a throttled call is not waited out here (an activity slot would sit idle) but
handed back as not done with Graph's Retry-After, for the orchestrator's durable timer.
"""

from __future__ import annotations

from typing import Any

from shared.cloud.azure.graph_client import GraphClients, GraphError, error_of, odata_string
from shared.ports.cloud_errors import CloudError
from shared.ports.progress import Progress

# longer Retry-After advice goes back to the caller (a step's to its orchestrator's timer, and the timeline), for reads
# too: a device read waits in a provisioning step, and a throttle slept through there holds a worker thread unseen
MAX_WAIT_S = 5.0
THROTTLE_DEFAULT_S = 10.0
DEVICES, MANAGED_DEVICES = "devices", "deviceManagement/managedDevices"
DEVICE_FIELDS = "id,displayName,accountEnabled,trustType"  # what troubleshooting reads; the waits need only ids
MANAGED_DEVICE_FIELDS = "id,deviceName,userId,complianceState"


def _later(exc: GraphError) -> Progress:
    """Graph's throttle, held: the timeline says Graph holds the step."""
    return Progress(done=False, retry_after_s=exc.retry_after_s or THROTTLE_DEFAULT_S, held=exc.code, reason=exc.reason)


class GraphDevices:
    """Device clean-up and the primary user, by device name (the Cloud PC's NetBIOS name)."""

    def __init__(self, clients: GraphClients) -> None:
        self._clients = clients
        # managed device ids once found: provisioning finds a device (enrolment) and at once uses it again
        # (primary user); an id never changes, and one found gone is forgotten
        self._managed: dict[tuple[str, str], str] = {}

    def _first(self, tenant_id: str, collection: str, field: str, name: str, select: str) -> dict[str, Any] | None:
        """The first object of `collection` whose `field` is `name`, with the `select`ed properties."""
        step = "findDevice" if collection == DEVICES else "findManagedDevice"
        params = {"$filter": f"{field} eq {odata_string(name)}", "$select": select}
        client = self._clients.client(tenant_id)
        page = client.call("GET", collection, step=step, params=params, retry_max_wait=MAX_WAIT_S)
        items = (page or {}).get("value") or []
        return dict(items[0]) if items else None

    def find_device(self, tenant_id: str, display_name: str) -> str | None:
        """The object id of the Entra device with that display name, if any."""
        found = self._first(tenant_id, DEVICES, "displayName", display_name, "id,displayName")
        return str(found["id"]) if found else None

    def device(self, tenant_id: str, display_name: str) -> dict[str, Any] | None:
        """The Entra device with that display name (DEVICE_FIELDS), if any."""
        return self._first(tenant_id, DEVICES, "displayName", display_name, DEVICE_FIELDS)

    def managed_device(self, tenant_id: str, device_name: str) -> dict[str, Any] | None:
        """The Intune managed device with that device name (MANAGED_DEVICE_FIELDS), if any."""
        return self._first(tenant_id, MANAGED_DEVICES, "deviceName", device_name, MANAGED_DEVICE_FIELDS)

    def find_managed_device(self, tenant_id: str, device_name: str, *, known: bool = False) -> str | None:
        """The id of the Intune managed device with that device name, if any (`known`: one found before will do)."""
        key = (tenant_id, device_name.lower())
        remembered = self._managed.get(key) if known else None  # one read: another thread may pop the key
        if remembered is not None:
            return remembered
        device = self._first(tenant_id, MANAGED_DEVICES, "deviceName", device_name, "id,deviceName")
        found = str(device["id"]) if device else None
        if found is None:
            self._managed.pop(key, None)
        else:
            self._managed[key] = found
        return found

    def delete_device(self, tenant_id: str, device_name: str) -> Progress:
        return self._delete(tenant_id, "deleteDevice", "devices", lambda: self.find_device(tenant_id, device_name))

    def delete_managed_device(self, tenant_id: str, device_name: str) -> Progress:
        return self._delete(
            tenant_id,
            "deleteManagedDevice",
            "deviceManagement/managedDevices",
            lambda: self.find_managed_device(tenant_id, device_name),
        )

    def _delete(self, tenant_id: str, step: str, collection: str, find: Any) -> Progress:
        try:
            object_id = find()
            if object_id is None:
                return Progress(done=True)  # never made, or already gone
            response = self._clients.client(tenant_id).send(
                "DELETE", f"{collection}/{object_id}", step=step, retry_max_wait=MAX_WAIT_S
            )
        except GraphError as exc:
            if exc.status == 429:
                return _later(exc)
            raise
        if response.status_code == 429:
            return _later(error_of(step, response))
        if response.status_code >= 400 and response.status_code != 404:  # 404: deleted meanwhile
            raise error_of(step, response)
        return Progress(done=True, resource_id=object_id)

    def set_primary_user(self, tenant_id: str, device_name: str, user_id: str) -> Progress:
        """Intune's primary user of the managed device (Graph beta: managedDevices/{id}/users/$ref)."""
        step = "assignPrimaryUser"
        client = self._clients.client(tenant_id)
        try:
            device_id = self.find_managed_device(tenant_id, device_name, known=True)
            if device_id is None:
                raise CloudError(step, "managedDeviceNotFound", f"Intune has no managed device named '{device_name}'.")
            reference = {"@odata.id": client.url(f"users/{user_id}", "beta")}
            client.call(
                "POST",
                f"deviceManagement/managedDevices/{device_id}/users/$ref",
                step=step,
                body=reference,
                version="beta",
                retry_max_wait=MAX_WAIT_S,
            )
        except GraphError as exc:
            if exc.status == 429:
                return _later(exc)
            if exc.status == 404 and self._managed.pop((tenant_id, device_name.lower()), None) is not None:
                return self.set_primary_user(tenant_id, device_name, user_id)  # the id known was stale: find again
            if exc.status == 404:
                raise CloudError(
                    step, "userNotFound", f"User '{user_id}' or the device is not in the directory."
                ) from exc
            raise
        return Progress(done=True, resource_id=device_id)

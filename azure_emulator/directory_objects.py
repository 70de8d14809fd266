"""Directory objects that ARM-side events create (a join extension makes an Entra device, an Intune managed device,
an on-premises computer account) and the Graph API serves: one schema, shared by the ARM and Graph modules.

Store kinds and keys:
- `graph.device`        `{tid}/{id}`      Graph device: id, deviceId, displayName, trustType, operatingSystem, ...
- `graph.managedDevice` `{tid}/{id}`      Intune managedDevice: id, deviceName, azureADDeviceId, userId, ...
- `ad.computer`         `{domain}/{name}` on-premises computer account: name, domain, enabled, organizationalUnit
Names are matched case-insensitively, as Entra and AD do.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from azure_emulator.store import Store

DEVICE, MANAGED_DEVICE, COMPUTER = "graph.device", "graph.managedDevice", "ad.computer"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _by_name(store: Store, kind: str, tid: str, field: str, name: str) -> dict[str, Any] | None:
    wanted = name.lower()
    found = store.scan(kind, f"{tid}/", where=lambda d: str(d[field]).lower() == wanted)
    return found[0] if found else None


def _ensure(store: Store, kind: str, tid: str, field: str, name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The object of `kind` named `name` (in `field`), made once with `fields`."""
    with store.transaction():
        found = _by_name(store, kind, tid, field, name)
        if found is not None:
            return found
        object_id = str(uuid.uuid4())
        return store.put(kind, f"{tid}/{object_id}", {"id": object_id, field: name, **fields})


def find_device(store: Store, tid: str, display_name: str) -> dict[str, Any] | None:
    return _by_name(store, DEVICE, tid, "displayName", display_name)


def ensure_device(store: Store, tid: str, display_name: str, trust_type: str) -> dict[str, Any]:
    """The Entra device of that name (trustType `AzureAd` for Entra join, `ServerAd` for hybrid), made once."""
    fields = {
        "deviceId": str(uuid.uuid4()),
        "trustType": trust_type,
        "operatingSystem": "Windows",
        "accountEnabled": True,
        "createdDateTime": _now(),
    }
    return _ensure(store, DEVICE, tid, "displayName", display_name, fields)


def find_managed_device(store: Store, tid: str, device_name: str) -> dict[str, Any] | None:
    return _by_name(store, MANAGED_DEVICE, tid, "deviceName", device_name)


def ensure_managed_device(store: Store, tid: str, device_name: str, azure_ad_device_id: str) -> dict[str, Any]:
    """The Intune managed device of that name, enrolled once."""
    fields = {
        "azureADDeviceId": azure_ad_device_id,
        "userId": None,
        "userPrincipalName": None,
        "operatingSystem": "Windows",
        "managementAgent": "mdm",
        "enrolledDateTime": _now(),
    }
    return _ensure(store, MANAGED_DEVICE, tid, "deviceName", device_name, fields)


def ensure_computer(store: Store, domain: str, name: str, ou: str | None) -> dict[str, Any]:
    """The on-premises computer account a domain join makes (enabled again if it was disabled)."""
    key = f"{domain.lower()}/{name.lower()}"
    account = {"name": name.upper(), "domain": domain.lower(), "enabled": True, "organizationalUnit": ou}
    return store.put(COMPUTER, key, account)


def disable_computer(store: Store, domain: str, name: str) -> bool:
    """Disable, never delete; False when there is no such account."""
    key = f"{domain.lower()}/{name.lower()}"
    with store.transaction():
        account = store.get(COMPUTER, key)
        if account is None:
            return False
        store.put(COMPUTER, key, {**account, "enabled": False})
        return True


def list_computers(store: Store) -> list[dict[str, Any]]:
    return store.scan(COMPUTER)

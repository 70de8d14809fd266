"""Windows 365's user settings on a windows365 tenant: made, changed and assigned in Windows 365 through Graph, kept
by the app as Windows 365 holds them, and refused on an azure tenant (whose policies carry local admin)."""

from __future__ import annotations

from typing import Any

from tests.utils.api_client import ApiClient
from tests.utils.wizard import Tenant

REMOTE = "deviceManagement/virtualEndpoint/userSettings"


def _remote(tenant: Tenant, setting: dict[str, Any]) -> dict[str, Any]:
    url = f"{tenant.graph.graph}/{REMOTE}/{setting['windows365Id']}?$expand=assignments"
    return dict(tenant.graph.call("GET", url))


def test_user_settings_are_made_changed_and_assigned_in_windows_365(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    tenant.user("adele", [])
    tenant.group("finance", ["adele"])
    body = {
        "displayName": "Finance admins",
        "localAdminEnabled": True,
        "restorePointSetting": {"frequencyType": "sixHours", "userRestoreEnabled": True},
    }
    made = api.post(f"{tenant.path}/userSettings", body)
    assert made.status_code == 201, made.text
    setting = made.json()
    remote = _remote(tenant, setting)
    assert remote["localAdminEnabled"] is True and remote["resetEnabled"] is False
    assert remote["restorePointSetting"] == {"frequencyType": "sixHours", "userRestoreEnabled": True}

    assigned = api.post(
        f"{tenant.path}/userSettings/{setting['id']}/assign", {"assignments": [{"groupId": tenant.gid("finance")}]}
    )
    assert assigned.status_code == 200, assigned.text
    assert [a["groupId"] for a in assigned.json()["assignments"]] == [tenant.gid("finance")]
    assert [a["target"]["groupId"] for a in _remote(tenant, setting)["assignments"]] == [tenant.gid("finance")]

    changed = api.patch(f"{tenant.path}/userSettings/{setting['id']}", {"resetEnabled": True})
    assert changed.status_code == 200, changed.text
    assert _remote(tenant, setting)["resetEnabled"] is True
    listed = api.get(f"{tenant.path}/userSettings").json()["value"]
    assert [(s["displayName"], s["resetEnabled"]) for s in listed] == [("Finance admins", True)]

    # an assigned one is not deleted; unassigned, it goes from Windows 365 too
    refused = api.delete(f"{tenant.path}/userSettings/{setting['id']}")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "userSettingAssigned"
    api.post(f"{tenant.path}/userSettings/{setting['id']}/assign", {"assignments": []})
    assert api.delete(f"{tenant.path}/userSettings/{setting['id']}").status_code == 204
    assert tenant.graph.call("GET", f"{tenant.graph.graph}/{REMOTE}")["value"] == []


def test_bad_user_settings_are_refused_naming_the_field_with_nothing_made(api: ApiClient) -> None:
    tenant = Tenant(api, backend="windows365")
    bad = api.post(
        f"{tenant.path}/userSettings", {"displayName": "Weekly", "restorePointSetting": {"frequencyType": "weekly"}}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["target"] == "restorePointSetting.frequencyType", bad.json()
    unknown_group = api.post(f"{tenant.path}/userSettings", {"displayName": "Ok"})
    assert unknown_group.status_code == 201
    missing = api.post(
        f"{tenant.path}/userSettings/{unknown_group.json()['id']}/assign",
        {"assignments": [{"groupId": "00000000-0000-0000-0000-000000000000"}]},
    )
    assert missing.status_code == 400 and missing.json()["error"]["details"][0]["code"] == "groupNotFound"
    assert [s["displayName"] for s in tenant.graph.call("GET", f"{tenant.graph.graph}/{REMOTE}")["value"]] == ["Ok"]
    # an azure tenant's local admin is its policies' field: user settings are not served there
    azure = Tenant(api)
    refused = api.post(f"{azure.path}/userSettings", {"displayName": "Finance admins"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "backendNotServed"

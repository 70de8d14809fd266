"""An image update waiting for its maintenance window is cancelled end to end: the host replaced already keeps the new
version, the one waiting for its turn keeps the old one, the waiting run stops at once (the cancel's event, not its
next look at the window hours later), and the group is ready again with a line on its timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.test_spot_group_sessions import Users
from tests.e2e.test_spot_groups import _ready, group_body, ready_version, settled
from tests.utils.api_client import ApiClient, eventually
from tests.utils.wizard import Tenant

EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def test_a_waiting_image_update_is_cancelled_and_the_group_is_ready_on_both_versions(api: ApiClient) -> None:
    tenant = Tenant(api)
    tenant.group("sales", ["ann", "bob", "cat"])
    image_set_id = ready_version(api, tenant)
    group = api.created(f"{tenant.path}/spotGroups", group_body(tenant, image_set_id))  # 2 hosts
    path = f"{tenant.path}/spotGroups/{group['id']}"
    assert settled(api, path)["status"] == "ready"
    versions = f"{tenant.path}/imageSets/{image_set_id}/versions"
    assert api.post(versions, {"customizationScripts": [{"name": "apps", "script": "echo"}]}).status_code == 202
    eventually(lambda: _ready(api, f"{versions}/0.0.1"), timeout_s=120)
    busy, idle = sorted(h["name"] for h in api.get(f"{path}/sessionHosts").json()["value"])
    Users(tenant, "spotpc-sales-desktops").sign_in_to("ann", busy)

    # a window open for 30 more minutes: the idle host is replaced in it at once; the busy one's users need an hour
    # to sign out, which this window cannot hold, so it waits for tomorrow's
    opened = datetime.now(UTC) - timedelta(minutes=60)
    window = {"daysOfWeek": EVERY_DAY, "startTime": f"{opened:%H:%M}", "durationMinutes": 90, "timeZone": "UTC"}
    rollout = {"canaryCount": 0, "maxUnavailable": 2, "drainTimeoutMinutes": 60, "maintenanceWindow": window}
    assert api.patch(path, {"imageVersion": "0.0.1", "rollout": rollout}).status_code == 202
    [update] = api.get(f"{path}/imageUpdates").json()["value"]
    update_path = f"{path}/imageUpdates/{update['id']}"

    def idle_replaced_busy_waiting() -> None:
        hosts = {h["name"]: h["imageVersion"] for h in api.get(f"{path}/sessionHosts").json()["value"]}
        assert hosts == {busy: "0.0.0", idle: "0.0.1"}, hosts
        # waitingForWindow, or running: the idle host's turn, in the open window, may be recorded after the busy
        # one's wait (hosts of a batch record the update's status side by side)
        assert api.get(update_path).json()["status"] in ("running", "waitingForWindow")

    eventually(idle_replaced_busy_waiting, timeout_s=180)
    refused = api.patch(path, {"licenseCount": 4})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "wrongStatus")

    cancelling = api.post(f"{update_path}/cancel", {})
    assert cancelling.status_code == 202, cancelling.text
    assert cancelling.json()["status"] == "cancelling"
    assert cancelling.headers["Location"].endswith(update_path)

    done = settled(api, path)  # the waiting run heard the cancel: no wait for tomorrow's window
    assert (done["status"], done["imageVersion"]) == ("ready", "0.0.0"), done
    assert done["statusDetail"]["code"] == "imageUpdateCancelled"
    hosts = {h["name"]: (h["status"], h["imageVersion"]) for h in api.get(f"{path}/sessionHosts").json()["value"]}
    assert hosts == {busy: ("running", "0.0.0"), idle: ("running", "0.0.1")}
    ended = api.get(update_path).json()
    assert (ended["status"], ended["replaced"], ended["remaining"]) == ("cancelled", 1, 1), ended
    [line] = [e for e in api.get(f"{path}/events").json()["value"] if e["action"] == "cancelImageUpdate"]
    assert "1 host runs 0.0.1, 1 stays on 0.0.0" in line["reason"]

    again = api.post(f"{update_path}/cancel", {})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "wrongStatus")
    assert api.post(f"{path}/imageUpdates/{group['id']}/cancel", {}).status_code == 404
    assert api.patch(path, {"licenseCount": 5}).status_code == 202  # the group takes changes again (a third host)

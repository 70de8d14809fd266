"""Windows 365's custom images in the emulator's Graph: the upload reads the source as Windows 365's own service
principal (without Reader on the image's subscription it fails as Windows 365 reports an image it cannot see), and
an upload's error code is an evolvable enum member."""

from __future__ import annotations

from typing import Any

from azure_emulator.consent import WINDOWS_365_APP_ID
from azure_emulator.graph.windows365 import service_roles
from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_permissions import App
from tests.emulator.test_graph_windows365_cloud_pcs import INCLUDE_UNKNOWN
from tests.emulator.test_graph_windows365_connections import Windows365
from tests.utils.api_client import eventually
from tests.utils.arm_admin import ArmAdmin

PATH = "/deviceImages"


def uploaded(app: App, source: str, version: str) -> dict[str, Any]:
    made = app.call(
        "POST",
        f"/deviceManagement/virtualEndpoint{PATH}",
        {"displayName": "Golden", "version": version, "sourceImageResourceId": source},
    )
    assert made.status_code == 201, made.text

    def settled() -> dict[str, Any]:
        found: dict[str, Any] = app.call("GET", f"/deviceManagement/virtualEndpoint{PATH}/{made.json()['id']}").json()
        assert found["status"] != "pending", found
        return found

    return eventually(settled, timeout_s=30)


def test_an_upload_needs_windows_365_to_hold_reader_on_the_image_s_subscription(
    azure_emulator: EmulatorProcess,
) -> None:
    app = App(azure_emulator)
    app.grant("CloudPC.ReadWrite.All")
    app.controls.latency("cloudPcDeviceImageUpload", 0.1)
    arm = ArmAdmin(azure_emulator, app.tenant_id)
    source = arm.managed_image("rg-images", "golden")
    refused = uploaded(app, source, "1.0.0")  # a good image, but Windows 365 may not read the subscription
    assert (refused["status"], refused["errorCode"]) == ("failed", "sourceImageNotFound")

    windows365 = arm.service_principal(WINDOWS_365_APP_ID)
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"  # Owner on the image's group is not the Reader Microsoft asks for
    arm.assign_built_in(arm.group_id("rg-images"), owner, windows365)
    assert uploaded(app, source, "1.0.1")["errorCode"] == "sourceImageNotFound"

    arm.assign_built_in(f"/subscriptions/{arm.subscription_id}", service_roles.READER, windows365)
    ready = uploaded(app, source, "1.0.2")
    assert (ready["status"], ready["errorCode"]) == ("ready", None)


DEVICE_IMAGES = "/deviceManagement/virtualEndpoint/deviceImages"


def test_an_error_code_listed_after_unknown_future_value_is_sent_only_to_who_asks_for_it(
    azure_emulator: EmulatorProcess,
) -> None:
    w365 = Windows365(azure_emulator)
    w365.grant("CloudPC.ReadWrite.All")
    w365.controls.latency("cloudPcDeviceImageUpload", 0.2)
    source = w365.arm.managed_image("rg-images", "win11-big", disk_gb=128)  # more than Windows 365 takes
    made = w365.call("POST", DEVICE_IMAGES, {"displayName": "Big", "version": "1.0.0", "sourceImageResourceId": source})
    assert made.status_code == 201, made.text
    url = f"{w365.graph}{DEVICE_IMAGES}/{made.json()['id']}"

    def failed(headers: dict[str, str]) -> dict[str, Any]:
        found: dict[str, Any] = w365.session.get(url, headers=headers, timeout=30).json()
        assert found["status"] == "failed", found
        return found

    assert eventually(lambda: failed({}), timeout_s=30)["errorCode"] == "unknownFutureValue"
    assert failed({"Prefer": INCLUDE_UNKNOWN})["errorCode"] == "sourceImageSizeExceedsLimitation"
    listed = w365.session.get(f"{w365.graph}{DEVICE_IMAGES}", timeout=30).json()["value"]
    assert [image["errorCode"] for image in listed] == ["unknownFutureValue"]

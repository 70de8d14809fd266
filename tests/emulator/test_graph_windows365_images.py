"""Windows 365's custom images in the emulator's Graph: an upload's error code is an evolvable enum member."""

from __future__ import annotations

from typing import Any

from azure_emulator.launcher import EmulatorProcess
from tests.emulator.test_graph_windows365_cloud_pcs import INCLUDE_UNKNOWN
from tests.emulator.test_graph_windows365_connections import Windows365
from tests.utils.api_client import eventually

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

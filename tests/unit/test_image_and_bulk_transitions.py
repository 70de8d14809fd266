"""The device image and bulk action state machines: each action from the states it is allowed in, and nowhere else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import Conflict
from shared.models.cloud_pc_actions import BulkAction, BulkActionItem
from shared.models.images import DeviceImage
from shared.services.cloud_pcs.bulk_action_transitions import BULK_ACTIONS, BULK_ITEMS
from shared.services.configuration.device_image_transitions import DEVICE_IMAGES

T0 = datetime(2026, 11, 25, tzinfo=UTC)


def image() -> DeviceImage:
    return DeviceImage(
        id="i1",
        tenant_id="t",
        display_name="Golden",
        site_id="s",
        version="1.0.0",
        source_image_resource_id="/subscriptions/x/images/golden",
        created_date_time=T0,
        last_modified_date_time=T0,
    )


def test_an_import_settles_once_ready_or_failed_and_never_again() -> None:
    ready = DEVICE_IMAGES.move(image(), "import", os_version="Windows 11")
    assert (ready.status, ready.os_version) == ("ready", "Windows 11")
    failed = DEVICE_IMAGES.move(image(), "fail", error_code="sourceImageNotFound", status_details="gone")
    assert (failed.status, failed.error_code) == ("failed", "sourceImageNotFound")
    for settled in (ready, failed):
        for action in ("import", "fail"):
            with pytest.raises(Conflict) as refused:
                DEVICE_IMAGES.move(settled, action)
            assert refused.value.code == "wrongStatus"
    assert refused.value.message == "Cannot fail the device image: it is failed; fail needs pending."


def test_a_bulk_item_is_started_again_after_a_crash_and_keeps_its_result() -> None:
    item = BulkActionItem(cloud_pc_id="c1")
    started = BULK_ITEMS.move(BULK_ITEMS.move(item, "start"), "start")  # a crash between the two: started again
    assert started.status == "running"
    done = BULK_ITEMS.move(started, "succeed")
    assert BULK_ITEMS.move(done, "succeed").status == "succeeded"  # a repeated delivery changes nothing
    assert not BULK_ITEMS.allows("start", done.status) and not BULK_ITEMS.allows("fail", done.status)


def test_a_bulk_actions_status_follows_its_items() -> None:
    bulk = BulkAction(id="b1", tenant_id="t", action="reboot", created_date_time=T0, last_modified_date_time=T0)
    assert BULK_ACTIONS.move(bulk, "summarize", "partiallySucceeded").status == "partiallySucceeded"
    with pytest.raises(ValueError, match="not 'done'"):
        BULK_ACTIONS.move(bulk, "summarize", "done")

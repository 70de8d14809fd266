"""The device image state machine: an import settles once, ready or failed (with why)."""

from __future__ import annotations

from typing import Literal, get_args

from shared.models.images import DeviceImage, ImageStatus
from shared.services.engine.state_machines import StateMachine, table

DeviceImageAction = Literal["import", "fail"]  # the image can be used / its import failed, with why

IMAGE_STATUSES: tuple[str, ...] = get_args(ImageStatus)

DEVICE_IMAGES: StateMachine[DeviceImage, DeviceImageAction] = StateMachine(
    "device image",
    IMAGE_STATUSES,
    table({"import": ({"pending"}, "ready"), "fail": ({"pending"}, "failed")}),
)

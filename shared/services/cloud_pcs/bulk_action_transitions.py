"""The bulk action state machines: each item's result, and the action's status, which follows from its items'."""

from __future__ import annotations

from typing import Literal, get_args

from shared.models.cloud_pc_actions import BulkAction, BulkActionItem, ItemStatus
from shared.services.engine.state_machines import FOLLOW, StateMachine, table

BulkItemAction = Literal["start", "succeed", "fail"]  # applied now / the action was taken / it was refused
BulkSummaryAction = Literal["summarize"]  # the action's status follows its items' (running, succeeded, ...)

ITEM_STATUSES: tuple[str, ...] = get_args(ItemStatus)
BULK_STATUSES: tuple[str, ...] = get_args(BulkAction.model_fields["status"].annotation)

# an item is marked running (saved) before it is applied, so a crash finds it and applies it again
BULK_ITEMS: StateMachine[BulkActionItem, BulkItemAction] = StateMachine(
    "bulk action item",
    ITEM_STATUSES,
    table(
        {
            "start": ({"pending", "running"}, "running"),
            "succeed": ({"pending", "running", "succeeded"}, "succeeded"),
            "fail": ({"pending", "running", "failed"}, "failed"),
        }
    ),
)
BULK_ACTIONS: StateMachine[BulkAction, BulkSummaryAction] = StateMachine(
    "bulk action", BULK_STATUSES, table({"summarize": (set(BULK_STATUSES), FOLLOW)})
)

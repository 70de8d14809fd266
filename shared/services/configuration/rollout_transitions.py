"""The template roll-out state machines: each tenant's result, and the roll-out's status, which follows its tenants'."""

from __future__ import annotations

from typing import Literal, get_args

from shared.models.templates import RolloutItem, RolloutItemStatus, RolloutStatus, TemplateRollout
from shared.services.engine.state_machines import FOLLOW, StateMachine, table

RolloutItemAction = Literal["start", "succeed", "fail"]  # being applied now / applied / refused
RolloutSummaryAction = Literal["summarize"]  # the roll-out's status follows its tenants' (running, succeeded, ...)

ITEM_STATUSES: tuple[str, ...] = get_args(RolloutItemStatus)
ROLLOUT_STATUSES: tuple[str, ...] = get_args(RolloutStatus)

# a tenant is marked running (saved) before it is applied, so a crash finds it and applies it again
ROLLOUT_ITEMS: StateMachine[RolloutItem, RolloutItemAction] = StateMachine(
    "roll-out tenant",
    ITEM_STATUSES,
    table(
        {
            "start": ({"pending", "running"}, "running"),
            "succeed": ({"running"}, "succeeded"),
            "fail": ({"running"}, "failed"),
        }
    ),
)
ROLLOUTS: StateMachine[TemplateRollout, RolloutSummaryAction] = StateMachine(
    "template roll-out", ROLLOUT_STATUSES, table({"summarize": (set(ROLLOUT_STATUSES), FOLLOW)})
)

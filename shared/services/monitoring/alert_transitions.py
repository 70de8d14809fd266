"""The alert state machines: an alert raised, seen again, acknowledged and resolved; each channel's notice of it."""

from __future__ import annotations

from typing import Literal, get_args

from shared.models.alerts import Alert, AlertStatus, ChannelDelivery
from shared.services.engine.state_machines import StateMachine, table

AlertAction = Literal["acknowledge", "resolve"]
DeliveryAction = Literal["retry", "deliver", "give_up"]

ALERT_STATUSES: tuple[str, ...] = get_args(AlertStatus)
DELIVERY_STATUSES: tuple[str, ...] = get_args(ChannelDelivery.model_fields["status"].annotation)

# a sighting of an open alert moves no status (it counts and dates it); a resolved alert is never reopened: the
# condition's return is a new alert, so its history stays true
ALERTS: StateMachine[Alert, AlertAction] = StateMachine(
    "alert",
    ALERT_STATUSES,
    table(
        {
            "acknowledge": ({"active", "acknowledged"}, "acknowledged"),
            "resolve": ({"active", "acknowledged", "resolved"}, "resolved"),
        }
    ),
)
# a notice is pending until its channel took it, or until its attempts ran out
CHANNEL_DELIVERIES: StateMachine[ChannelDelivery, DeliveryAction] = StateMachine(
    "alert delivery",
    DELIVERY_STATUSES,
    table(
        {
            "retry": ({"pending"}, "pending"),
            "deliver": ({"pending", "delivered"}, "delivered"),
            "give_up": ({"pending", "failed"}, "failed"),
        }
    ),
)

"""Monitoring: alert rules and the alerts they raise and resolve, with the notices their channels carry.

The face: the modules named here are what the rest of the app may import; the others are this package's own."""

__all__ = [
    "alert_channels",
    "alert_delivery",
    "alert_evaluation",
    "alert_rules",
    "alert_transitions",
    "right_sizing",
    "right_sizing_report",
]

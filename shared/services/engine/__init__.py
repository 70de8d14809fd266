"""The engine every piece of work runs on: the phased-work driver, the state-machine mechanism, updates
conditional on an etag, how refusals (for want of a permission, by Windows 365, or by Exchange of a mailbox the app
sends as) are kept and answered, the timers' work fanned out one message per group, connection or tenant, and one
key's work at a time with what arrives meanwhile merged into one run.

The face: the modules named here are what the rest of the app may import; the others are this package's own."""

__all__ = [
    "coalescing",
    "item_counts",
    "mail_senders",
    "phased",
    "refused_work",
    "state_machines",
    "timer_work",
    "updates",
    "windows365_refusals",
]

"""Cloud PCs from provisioning to clean-up: the reconcile, the provisioning run, the actions, bulk actions (in a
tenant or across tenants), the lifecycle, sleep while unused, connected time and usage reports, the reclaim of unused
ones, and restore points (Windows 365's own user settings and the mirror of its Cloud PCs live with their backend:
services/backends).

The face: the modules named here are what the rest of the app may import; the others are this package's own."""

__all__ = [
    "bulk_across_tenants",
    "bulk_actions",
    "cloud_pc_actions",
    "cloud_pc_sleep",
    "cloud_pc_transitions",
    "connected_time",
    "desktop_brokering",
    "due_sweep",
    "explanation",
    "lifecycle",
    "pending_starts",
    "provisioning",
    "reclaim",
    "reconcile",
    "restore_points",
    "timeline",
    "usage_reports",
    "vm_actions",
]

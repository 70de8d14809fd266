"""Spot PC: image sets, the marketplace images they start from and their builds, Spot Groups, their deployments,
rollouts, power (pooled and personal, each action followed to its end), scaling and healing of their hosts,
Spot hosts' evictions, schedules, sessions and who holds a group's desktop.

The face: the modules named here are what the rest of the app may import; the others are this package's own."""

__all__ = [
    "group_schedules",
    "host_evictions",
    "host_power",
    "host_records",
    "image_builds",
    "image_sets",
    "image_updates",
    "marketplace_images",
    "personal_power",
    "rollout",
    "spot_group_access",
    "spot_group_deployments",
    "spot_group_hosts",
    "spot_group_power",
    "spot_group_sessions",
    "spot_groups",
    "spot_schedules",
]

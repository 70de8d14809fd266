"""What admins configure before Cloud PCs are made: connections and their health checks, device images, policies
with their naming, image rules and assignment planning; the registry of the configurable kinds (configurable.py) and
a tenant's configuration as one document (documents.py).

The face: the modules named here are what the rest of the app may import; the others are this package's own."""

__all__ = [
    "configurable",
    "connections",
    "device_images",
    "documents",
    "group_members",
    "health_check_runs",
    "health_checks",
    "image_rules",
    "naming",
    "policies",
    "targeting",
]

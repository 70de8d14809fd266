"""What admins configure before Cloud PCs are made: connections and their health checks, device images, policies
with their naming, image rules and assignment planning; the registry of the configurable kinds (configurable.py), a
tenant's configuration as one document (documents.py), and the organization's templates of them, rolled out to tenants
with their drift and overrides (templates.py, template_rollouts.py); the organization's alert rules and templates as
one document (organization_document.py).

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
    "organization_document",
    "policies",
    "targeting",
    "template_rollouts",
    "templates",
]

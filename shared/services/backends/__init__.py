"""The two backends that provision a tenant's Cloud PCs, each one adapter of the port shared/ports/cloud_pc_backend.py:
`azure` (the app builds them in the customer's subscription) and `windows365` (Windows 365, driven through Graph), and
the one place that picks a tenant's, and what only Windows 365 has: its user settings, and the mirror of its Cloud
PCs with their audit events. Services reach a backend through the `BackendChoice` their ports carry, never
by importing this package, which sits above the domains it adapts.

The face: the modules named here are what the rest of the app may import; the others are this package's own."""

__all__ = ["backend_choice", "user_settings", "windows365_mirror"]

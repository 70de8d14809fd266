"""Windows 365 as Graph serves it under `deviceManagement/virtualEndpoint`, one module per concern: the Azure network
connections, the gallery and custom images, the service's policies and Cloud PCs, the user settings, restore points,
the remote connection and recommendation reports and the audit log. Nothing here imports the app: it behaves as
Microsoft's service does, its rules cited."""

from __future__ import annotations

from azure_emulator.graph.users import Notify
from azure_emulator.graph.windows365 import (
    audit_events,
    cloud_pc_service,
    connections,
    device_images,
    gallery_images,
    recommendation_report,
    report_aggregation,
    reports,
    snapshots,
    user_settings,
)
from azure_emulator.server import Context


def register(ctx: Context, notify: Notify) -> None:
    routes = audit_events.AuditedRoutes(ctx)  # every change through these routes lands in Windows 365's audit log
    audit_events.register(ctx, routes)
    connections.register(ctx, routes)
    cloud_pc_service.register(ctx, routes, notify)  # a resize moves the user's license: Graph tells of it
    user_settings.register(ctx, routes)
    device_images.register(ctx, routes)
    gallery_images.register(ctx, routes)
    snapshots.register(ctx, routes, notify)
    report_aggregation.register(ctx)  # the reports show its last aggregation; a control takes one now
    reports.register(ctx, routes, notify)
    recommendation_report.register(ctx, routes, notify)

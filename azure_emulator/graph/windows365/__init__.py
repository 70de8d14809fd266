"""Windows 365 as Graph serves it under `deviceManagement/virtualEndpoint`, one module per resource: so far the Azure
network connections. Nothing here imports the app: it behaves as Microsoft's service does, its rules cited."""

from __future__ import annotations

from azure_emulator.graph.common import GraphRoutes
from azure_emulator.graph.windows365 import connections
from azure_emulator.server import Context


def register(ctx: Context, routes: GraphRoutes) -> None:
    for module in (connections,):
        module.register(ctx, routes)

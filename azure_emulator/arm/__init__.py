"""Azure Resource Manager: the resource providers the app calls (to be written)."""

from __future__ import annotations

from azure_emulator.server import Context


def register(ctx: Context) -> None:
    pass

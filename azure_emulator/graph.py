"""(to be written)"""

from __future__ import annotations

from azure_emulator.server import Context


def register(ctx: Context) -> None:
    pass

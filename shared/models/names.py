"""Claims that keep names unique across concurrent writers (one row per name)."""

from __future__ import annotations

from shared.models.base import ApiModel


class DeviceNameClaim(ApiModel):
    name: str
    cloud_pc_id: str

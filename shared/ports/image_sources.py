"""Where a device image comes from: a managed image, read to check it can be one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ManagedImage:
    resource_id: str
    os_type: str = "Windows"
    hyper_v_generation: str = "V2"
    os_state: str = "Generalized"
    os_disk_size_gb: int = 64
    data_disk_count: int = 0
    details: dict[str, str] = field(default_factory=dict)


class ImageSources(Protocol):
    """Where a custom image comes from: a managed image or gallery image version, read to check it can be one."""

    def get_managed_image(self, tenant_id: str, resource_id: str) -> ManagedImage | None: ...

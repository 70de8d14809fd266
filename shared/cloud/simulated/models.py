"""What the simulator stores: directory objects, injected faults, managed images."""

from __future__ import annotations

from pydantic import Field

from shared.models.base import ApiModel, InputModel


class SimUser(ApiModel):
    id: str
    user_principal_name: str
    display_name: str = ""
    licenses: list[str] = []


class SimUserInput(InputModel):
    user_principal_name: str = Field(min_length=3, max_length=113, pattern=r"^[^@\s]+@[^@\s]+$")
    display_name: str = Field(default="", max_length=256)
    licenses: list[str] = Field(default=[], max_length=20)


class SimGroup(ApiModel):
    id: str
    display_name: str
    members: list[str] = []


class SimGroupInput(InputModel):
    display_name: str = Field(min_length=1, max_length=256)
    members: list[str] = Field(default=[], max_length=5000)


class SimFault(ApiModel):
    step: str
    count: int
    error_code: str | None = None
    etag: str | None = None


class SimFaultInput(InputModel):
    count: int = Field(ge=0, le=10_000)
    error_code: str | None = Field(default=None, max_length=100)


class SimManagedImage(InputModel):
    resource_id: str = Field(
        pattern=r"(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/images/[^/]+$"
    )
    os_type: str = "Windows"
    hyper_v_generation: str = "V2"
    os_state: str = "Generalized"
    os_disk_size_gb: int = Field(default=64, ge=1, le=4096)
    data_disk_count: int = Field(default=0, ge=0)

"""What the simulator stores: directory objects, faults, images, and the resources provisioning creates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

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


class SimGroupRecord(ApiModel):
    """A group's row; its members are rows of their own (a list in one property would cap the group)."""

    id: str
    display_name: str
    member_count: int = 0


class SimMembership(ApiModel):
    user_id: str


class SimGroupInput(InputModel):
    display_name: str = Field(min_length=1, max_length=256)
    members: list[str] = Field(default=[], max_length=20_000)


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


# --- provisioning: what the simulated Azure, Entra ID and Intune hold for each Cloud PC ----------


class SimStepLatency(ApiModel):
    step: str
    seconds: float


class SimStepLatencyInput(InputModel):
    seconds: float = Field(ge=0, le=86_400)


class SimOperation(ApiModel):
    """A long-running operation under way: when it started and how long it takes."""

    step: str
    key: str
    started_date_time: datetime
    duration_seconds: float


class SimTokenBucket(ApiModel):
    tokens: float
    updated_date_time: datetime
    etag: str | None = None


class SimCapacityReservation(ApiModel):
    id: str
    name: str
    region_name: str
    vm_size: str
    reserved_date_time: datetime


class SimVirtualMachine(ApiModel):
    id: str
    vm_id: str
    name: str
    region_name: str
    vm_size: str
    image_type: str
    image_id: str
    os_disk_size_gb: int
    created_date_time: datetime


class SimNetworkSecurityGroup(ApiModel):
    id: str
    name: str
    subnet_id: str | None = None  # None: the Microsoft-hosted network (None is not stored, hence the default)
    address_prefix: str
    next_host: int = 0  # addresses handed out so far, the allocator of private IPs
    created_date_time: datetime
    etag: str | None = None


class SimNetworkInterface(ApiModel):
    id: str
    name: str
    vm_name: str
    subnet_id: str | None = None
    private_ip_address: str
    network_security_group_id: str
    created_date_time: datetime


class SimEntraDevice(ApiModel):
    id: str
    device_id: str
    display_name: str
    join_type: str
    trust_type: str  # "AzureAd" (Entra join) or "ServerAd" (hybrid join)
    created_date_time: datetime


class SimComputerAccount(ApiModel):
    name: str
    enabled: bool
    domain_name: str | None = None
    organizational_unit: str | None = None
    etag: str | None = None


SETTING_PREFIX = "setting_"


class SimManagedDevice(ApiModel):
    id: str
    device_name: str
    azure_ad_device_id: str
    enrolled_date_time: datetime
    primary_user_id: str | None = None
    assigned_user_id: str | None = None
    settings: dict[str, str] = {}  # configuration step -> applied value
    etag: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _gather_settings(cls, data: Any) -> Any:
        """Each configuration step is stored as its own `setting_<step>` property, so steps never contend."""
        if isinstance(data, dict) and any(str(k).startswith(SETTING_PREFIX) for k in data):
            settings = dict(data.get("settings") or {})
            settings |= {k[len(SETTING_PREFIX) :]: v for k, v in data.items() if str(k).startswith(SETTING_PREFIX)}
            data = {k: v for k, v in data.items() if not str(k).startswith(SETTING_PREFIX)} | {"settings": settings}
        return data

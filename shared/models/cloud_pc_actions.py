"""Admin actions on Cloud PCs: the request bodies, the troubleshoot report, bulk actions and their items."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from shared.models.base import ApiModel, DisplayName, Guid, InputModel, Resource
from shared.models.failures import CodedFailure

ActionName = Literal[
    "reprovision", "retry", "endGracePeriod", "reboot", "powerOn", "powerOff", "resize", "troubleshoot"
]
BulkActionName = Literal["reprovision", "retry", "endGracePeriod", "reboot", "powerOn", "powerOff", "resize"]
# the admin's, and the app's own: a policy's power rules put a Cloud PC to sleep (deallocated, or hibernated)
VmActionName = Literal["reboot", "powerOn", "powerOff", "resize", "troubleshoot", "sleep", "hibernate"]
MAX_BULK_ITEMS = 1000


class RenameRequest(InputModel):
    display_name: DisplayName


class RestoreRequest(InputModel):
    snapshot_id: str = Field(min_length=1, max_length=64, description="One of GET .../snapshots' ids.")


class ResizeRequest(InputModel):
    target_service_plan_id: str = Field(min_length=1, max_length=64)


class TroubleshootCheck(ApiModel):
    name: str  # virtualMachine, extensions, entraDevice, intuneDevice, userSignInRole
    status: Literal["passed", "failed"]
    message: str


class TroubleshootResult(ApiModel):
    date_time: datetime
    status: Literal["healthy", "unhealthy"]
    checks: list[TroubleshootCheck]


class ActionError(CodedFailure):
    """Why one Cloud PC's part of a bulk action failed."""


ItemStatus = Literal["pending", "running", "succeeded", "failed"]


class BulkActionItem(ApiModel):
    cloud_pc_id: str
    status: ItemStatus = "pending"
    error: ActionError | None = None


class BulkActionCounts(ApiModel):
    succeeded: int = 0
    failed: int = 0
    running: int = 0


class BulkActionCreate(InputModel):
    """targetServicePlanId is required for resize and refused (left out or null) for every other action."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"action": {"const": "resize"}}},
            "then": {"properties": {"targetServicePlanId": {"type": "string"}}, "required": ["targetServicePlanId"]},
            "else": {"properties": {"targetServicePlanId": {"type": "null"}}},
        }
    )

    action: BulkActionName
    cloud_pc_ids: list[Guid] = Field(min_length=1, max_length=MAX_BULK_ITEMS)
    target_service_plan_id: str | None = Field(default=None, min_length=1, max_length=64)


class BulkAction(Resource):
    tenant_id: str
    action: BulkActionName
    target_service_plan_id: str | None = None
    status: Literal["running", "succeeded", "partiallySucceeded", "failed"] = "running"
    counts: BulkActionCounts = BulkActionCounts()
    results: list[BulkActionItem] = Field(default=[], description="Per Cloud PC; only on GET of one bulk action.")


class BulkActionReview(ApiModel):
    """`?validateOnly=true`: which Cloud PCs the action would be refused for, and why; nothing is done."""

    action: BulkActionName
    counts: BulkActionCounts
    results: list[BulkActionItem]

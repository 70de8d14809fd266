"""Background work Azure or Graph refused for want of a permission: kept per tenant until that work next succeeds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.models.failures import CodedFailure

# the tenant's work that has no Cloud PC, image or Spot Group of its own to carry a status detail
RefusedWorkKind = Literal[
    "directoryReconcile", "userReconcile", "directoryNotifications", "cleanUp", "windows365CloudPcs"
]
RECONCILES: tuple[RefusedWorkKind, ...] = ("directoryReconcile", "userReconcile")


class RefusedWork(CodedFailure):
    tenant_id: str
    work: RefusedWorkKind = Field(
        description="directoryReconcile: reading the assigned groups' members and their licenses; userReconcile: "
        "confirming a changed user's group memberships; directoryNotifications: following the directory's changes; "
        "cleanUp: removing a deprovisioned Cloud PC's devices and NICs; windows365CloudPcs: reading the Cloud PCs "
        "Windows 365 provisions."
    )
    code: str = Field(description="The provider's refusal: AuthorizationFailed (ARM) or Authorization_RequestDenied.")
    message: str = Field(description="Names the missing permission or action, and where the fix is.")
    first_refused_date_time: datetime
    last_refused_date_time: datetime

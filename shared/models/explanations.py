"""The provisioning explanation: which policy serves a user and why, their licenses, and the Cloud PCs behind them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.models.base import ApiModel
from shared.models.cloud_pcs import CloudPcStatus, StatusDetail


class PolicyChoice(ApiModel):
    """A policy that targets the user, through the earliest of its assignments whose group holds the user."""

    policy_id: str
    policy_name: str
    group_id: str = Field(description="The group of the assignment that decides this policy's place in the order.")
    group_display_name: str | None = Field(default=None, description="That group's name in Entra ID, if it has one.")
    assigned_date_time: datetime


class PolicyCandidate(PolicyChoice):
    """One policy whose assigned groups hold the user; only the winner provisions their Cloud PCs."""

    matching_group_ids: list[str] = Field(
        description="Every group of this policy's assignments that holds the user, earliest assignment first."
    )
    wins: bool
    reason: str


class LicenseCount(ApiModel):
    """Windows 365 licenses of one service plan the user holds: one Cloud PC each."""

    service_plan_id: str
    service_plan_name: str
    count: int
    assigned_by_group_ids: list[str] = Field(
        default_factory=list,
        description="The groups the user has this plan's license from (Entra group-based licensing); empty when it "
        "is assigned to the user directly. Only a group's license assignment can change such a license.",
    )


class HeldCloudPc(ApiModel):
    """A Cloud PC the user has now, and whether the targeting rule still wants it."""

    id: str
    display_name: str
    managed_device_name: str | None = None
    status: CloudPcStatus
    status_detail: StatusDetail | None = None
    service_plan_id: str
    service_plan_name: str
    slot_index: int
    provisioning_policy_id: str
    provisioning_policy_name: str
    grace_period_end_date_time: datetime | None = None
    expected: bool = Field(description="It serves one of the licenses the winning policy provisions for.")
    note: str


class ExpectedCloudPc(ApiModel):
    """One Cloud PC the user should have: the n-th license of a plan, from the winning policy."""

    service_plan_id: str
    service_plan_name: str
    slot_index: int = Field(description="Which of the user's licenses of this plan it serves (0-based).")
    provisioning_policy_id: str
    provisioning_policy_name: str
    existing_cloud_pc_id: str | None = Field(
        default=None, description="The user's Cloud PC from this policy for this license, once it exists."
    )
    other_policy_cloud_pc_ids: list[str] = Field(
        default_factory=list,
        description="Cloud PCs of this license from policies that no longer serve the user: they keep the license "
        "through their grace period.",
    )
    note: str


class ProvisioningExplanation(ApiModel):
    """Why a user has, or would get, the Cloud PCs they do (earliest assignment wins, one Cloud PC per license)."""

    user_id: str
    user_principal_name: str
    display_name: str
    winning_policy: PolicyChoice | None = None
    reason: str
    candidates: list[PolicyCandidate] = Field(
        description="Every policy whose assigned groups hold the user, in assignment order (the winner first)."
    )
    licenses: list[LicenseCount]
    cloud_pcs: list[HeldCloudPc]
    expected: list[ExpectedCloudPc]

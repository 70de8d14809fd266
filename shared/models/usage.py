"""How much Cloud PCs are used: each one's connected time per UTC day, and the reports the API makes of it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from shared.models.base import ApiModel


class ConnectedDay(ApiModel):
    """One Cloud PC's connected time on one UTC day, as far as the app has seen it."""

    day: date
    connected_minutes: float = 0.0
    sessions: int = Field(default=0, description="The sessions seen connected that day, each counted once.")
    first_connected_date_time: datetime | None = None
    last_connected_date_time: datetime | None = None


class ConnectedTally(ConnectedDay):
    """What the use watch keeps on a Cloud PC between its runs: the day it counts, and what it saw last."""

    watched_date_time: datetime = Field(description="The watch that last counted this Cloud PC's time.")
    connected: bool = Field(description="Whether that watch saw its user connected (an active session).")


class UsageDay(ConnectedDay):
    """A stored usage row: a Cloud PC's connected time on a day (partition = tenant, row = day and Cloud PC)."""

    tenant_id: str
    cloud_pc_id: str
    user_id: str


class CloudPcUsage(ApiModel):
    """A Cloud PC's use over the range asked for."""

    id: str
    display_name: str
    user_id: str
    user_principal_name: str
    connected_hours: float
    sessions: int
    last_connected_date_time: datetime | None = Field(
        default=None, description="When its user was last seen connected, at any time; absent: never."
    )
    days_since_last_connection: int | None = Field(
        default=None, description="Whole days from the last connection to now; absent when never connected."
    )


class UserUsage(ApiModel):
    """A user's use over the range asked for: the sum of their Cloud PCs'."""

    user_id: str
    user_principal_name: str
    cloud_pc_count: int
    connected_hours: float
    sessions: int
    last_connected_date_time: datetime | None = None
    days_since_last_connection: int | None = None


class DailyUsage(ApiModel):
    """One UTC day's use across the tenant (the portal's chart)."""

    date: date
    connected_hours: float
    active_cloud_pcs: int = Field(description="Cloud PCs seen connected that day.")
    active_users: int = Field(description="Users seen connected to any of their Cloud PCs that day.")

"""How a Spot Group treats its users' sessions: the RDS session time limits, and a personal group's power rules."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool

from shared.models.base import NOT_A_TRUTH_VALUE, InputModel

# The RDS session time-limit policies offer limits from 1 minute to 5 days in their lists ("Session Time Limits",
# Remote Desktop Session Host policies: https://learn.microsoft.com/windows/client-management/mdm/policy-csp-admx-terminalserver);
# a limit is written as milliseconds (shared/services/spot_pc/session_limits.py), well inside a DWORD at 5 days.
MAX_LIMIT_MINUTES = 5 * 24 * 60
# a personal host may wait a week for its disconnected user; the optimization looks every 5 minutes
MAX_AWAY_MINUTES = 7 * 24 * 60


class SessionLimits(InputModel):
    """The session time limits applied to every host of the group (each null or left out: no limit). Idle: an
    active session without input is disconnected; disconnected: a disconnected session is ended (its user signed
    out); active: a session is disconnected after this long, however busy."""

    idle_minutes: Annotated[int, Field(ge=1, le=MAX_LIMIT_MINUTES), NOT_A_TRUTH_VALUE] | None = None
    disconnected_minutes: Annotated[int, Field(ge=1, le=MAX_LIMIT_MINUTES), NOT_A_TRUTH_VALUE] | None = None
    active_minutes: Annotated[int, Field(ge=1, le=MAX_LIMIT_MINUTES), NOT_A_TRUTH_VALUE] | None = None


class PersonalPower(InputModel):
    """Personal desktops (a personal Spot Group's hosts, a policy's Cloud PCs) stopped while their users are away,
    and started by Azure Virtual Desktop's Start VM on Connect when they come back. deallocateWhenDisconnectedMinutes:
    after the user has been disconnected this long (null: never for that); deallocateOnSignOut: once the user has
    signed out; hibernate: hibernate instead, where the VM size supports it (the user's open apps come back as they
    were)."""

    deallocate_when_disconnected_minutes: Annotated[int, Field(ge=1, le=MAX_AWAY_MINUTES), NOT_A_TRUTH_VALUE] | None = (
        None
    )
    deallocate_on_sign_out: StrictBool = False
    hibernate: StrictBool = False

    @property
    def stops_hosts(self) -> bool:
        """Whether any rule stops a host: then its user needs Start VM on Connect to start it again."""
        return self.deallocate_when_disconnected_minutes is not None or self.deallocate_on_sign_out

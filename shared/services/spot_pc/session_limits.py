"""A Spot Group's session settings as its hosts and host pool take them: the RDS time limits by Run Command, and a
PATCH's partial sessionLimits, personalPower or scaling merged into what the group has.

The limits are the Remote Desktop Session Host "Session Time Limits" computer policies, written where Group Policy
writes them: DWORD values in milliseconds under HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services,
MaxIdleTime ("Set time limit for active but idle Remote Desktop Services sessions"), MaxDisconnectionTime ("Set time
limit for disconnected sessions") and MaxConnectionTime ("Set time limit for active Remote Desktop Services
sessions"): the ADMX mappings of TS_SESSIONS_Idle_Limit_2, TS_SESSIONS_Disconnected_Timeout_2 and
TS_SESSIONS_Limits_2 in https://learn.microsoft.com/windows/client-management/mdm/policy-csp-admx-terminalserver.
A limit that is not set is removed, so the session host is back to no limit (the policy "not configured").
The lines join the FSLogix ones in the host's one configuration Run Command (spot_group_deployments.py), so a new
host costs no ARM write more, and a change is applied to every running host the way a new profile path is.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.models.host_scaling import HostScaling
from shared.models.session_policies import PersonalPower, SessionLimits
from shared.models.spot_groups import SpotGroup

POLICY_KEY = r"HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"
# each limit's registry value (its ADMX mapping, in the page above)
POLICY_VALUES = {
    "idle_minutes": "MaxIdleTime",
    "disconnected_minutes": "MaxDisconnectionTime",
    "active_minutes": "MaxConnectionTime",
}
MS_PER_MINUTE = 60_000


def session_limit_script(limits: SessionLimits | None) -> list[str]:
    """PowerShell lines that set each limit (milliseconds) and remove each one not set."""
    lines = [f"New-Item -Path '{POLICY_KEY}' -Force | Out-Null"]
    for field, value_name in POLICY_VALUES.items():
        minutes = getattr(limits, field) if limits is not None else None
        if minutes is None:
            lines.append(f"Remove-ItemProperty -Path '{POLICY_KEY}' -Name {value_name} -ErrorAction SilentlyContinue")
        else:
            lines.append(
                f"New-ItemProperty -Path '{POLICY_KEY}' -Name {value_name} -Value {minutes * MS_PER_MINUTE} "
                "-PropertyType DWord -Force | Out-Null"
            )
    return lines


def merged_settings(group: SpotGroup, changes: dict[str, Any]) -> dict[str, Any]:
    """A merge patch's sessionLimits, personalPower and scaling as the group's new values: the fields the patch names
    change, the others stay (RFC 7396), and null clears the whole setting (scaling refuses null)."""
    merged = dict(changes)
    settings: tuple[tuple[str, type[BaseModel]], ...] = (
        ("session_limits", SessionLimits),
        ("personal_power", PersonalPower),
        ("scaling", HostScaling),
    )
    for name, model in settings:
        if name not in changes:
            continue
        current = getattr(group, name)
        named = changes[name]
        merged[name] = (
            None
            if named is None
            else model.model_validate({**(current.model_dump(by_alias=False) if current is not None else {}), **named})
        )
    return merged


def starts_on_connect(group: SpotGroup) -> bool:
    """A personal group whose hosts its personal power stops: AVD's Start VM on Connect starts them again."""
    return group.user_type == "personal" and group.personal_power is not None and group.personal_power.stops_hosts


def hibernates(group: SpotGroup) -> bool:
    """A personal group that hibernates its hosts: they are made with hibernation enabled where the size allows it,
    as Azure lets only such a VM hibernate (https://learn.microsoft.com/azure/virtual-machines/hibernate-resume)."""
    power = group.personal_power
    return group.user_type == "personal" and power is not None and power.stops_hosts and power.hibernate

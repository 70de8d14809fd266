"""A tenant's usage over a range of UTC days: per Cloud PC, per user and per day, from the usage rows and the Cloud
PCs' own last connection (which both backends keep)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.cloud_pcs import CloudPc
from shared.models.usage import CloudPcUsage, DailyUsage, UsageDay, UserUsage
from shared.ports.stores import CloudPcStore, ListPages, UsageStore

K = TypeVar("K")
V = TypeVar("V")
DEFAULT_DAYS = 30
MAX_DAYS = 90


class UsageReportPorts(Protocol):
    """The Cloud PCs' measured use, made whole, then paged."""

    @property
    def cloud_pcs(self) -> CloudPcStore: ...
    @property
    def usage(self) -> UsageStore: ...
    @property
    def pages(self) -> ListPages: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date


def day_range(asked_from: str | None, asked_to: str | None, today: date) -> DayRange:
    """`from` and `to` as dates, both included: by default the last 30 days to today, at most 90."""
    last = _date("to", asked_to) if asked_to else today
    first = _date("from", asked_from) if asked_from else date.fromordinal(max(1, last.toordinal() - DEFAULT_DAYS + 1))
    if first > last:
        raise _bad("from", f"from ({first}) must not be after to ({last}).", "rangeReversed")
    if (last - first).days + 1 > MAX_DAYS:
        raise _bad(
            "to",
            f"The range from {first} to {last} has {(last - first).days + 1} days: at most {MAX_DAYS}.",
            "rangeTooLong",
        )
    return DayRange(first, last)


def cloud_pc_usage(
    ports: UsageReportPorts, tenant_id: str, days: DayRange, *, top: int, skip_token: str | None
) -> tuple[list[CloudPcUsage], str | None]:
    """Every Cloud PC of the tenant, used or not, by user then name."""
    return ports.pages.page(_every_cloud_pc(ports, tenant_id, days), top=top, skip_token=skip_token)


def user_usage(
    ports: UsageReportPorts, tenant_id: str, days: DayRange, *, top: int, skip_token: str | None
) -> tuple[list[UserUsage], str | None]:
    """Each user with a Cloud PC: the sum of their Cloud PCs'."""
    every = _every_cloud_pc(ports, tenant_id, days)
    found = [_of_user(theirs) for theirs in _by(every, lambda u: u.user_id).values()]
    found.sort(key=lambda u: (u.user_principal_name.lower(), u.user_id))
    return ports.pages.page(found, top=top, skip_token=skip_token)


def daily_usage(ports: UsageReportPorts, tenant_id: str, days: DayRange) -> list[DailyUsage]:
    """Every day of the range, the days nobody connected too."""
    rows = _by(ports.usage.list_usage_days(tenant_id, days.first, days.last), lambda d: d.day)
    span = (days.last - days.first).days + 1
    return [_of_day(day, rows.get(day, [])) for day in (days.first + timedelta(days=n) for n in range(span))]


def _every_cloud_pc(ports: UsageReportPorts, tenant_id: str, days: DayRange) -> list[CloudPcUsage]:
    """The range's rows and the tenant's Cloud PCs, each read once and whole: a report is made whole, then paged."""
    now = ports.clock()
    rows = _by(ports.usage.list_usage_days(tenant_id, days.first, days.last), lambda d: d.cloud_pc_id)
    found = [_of_cloud_pc(pc, rows.get(pc.id, []), now) for pc in ports.cloud_pcs.list_all_cloud_pcs(tenant_id)]
    return sorted(found, key=lambda u: (u.user_principal_name.lower(), u.display_name.lower(), u.id))


def _of_cloud_pc(cloud_pc: CloudPc, rows: Sequence[UsageDay], now: datetime) -> CloudPcUsage:
    last = cloud_pc.last_connected_date_time
    return CloudPcUsage(
        id=cloud_pc.id,
        display_name=cloud_pc.display_name,
        user_id=cloud_pc.user_id,
        user_principal_name=cloud_pc.user_principal_name,
        connected_hours=_hours(rows),
        sessions=sum(d.sessions for d in rows),
        last_connected_date_time=last,
        days_since_last_connection=_days(last, now),
    )


def _of_user(theirs: Sequence[CloudPcUsage]) -> UserUsage:
    seen = [u.last_connected_date_time for u in theirs if u.last_connected_date_time is not None]
    since = [u.days_since_last_connection for u in theirs if u.days_since_last_connection is not None]
    return UserUsage(
        user_id=theirs[0].user_id,
        user_principal_name=theirs[0].user_principal_name,
        cloud_pc_count=len(theirs),
        connected_hours=round(sum(u.connected_hours for u in theirs), 2),
        sessions=sum(u.sessions for u in theirs),
        last_connected_date_time=max(seen) if seen else None,
        days_since_last_connection=min(since) if since else None,
    )


def _of_day(day: date, rows: Sequence[UsageDay]) -> DailyUsage:
    used = [d for d in rows if d.connected_minutes > 0 or d.sessions > 0]
    return DailyUsage(
        date=day,
        connected_hours=_hours(rows),
        active_cloud_pcs=len({d.cloud_pc_id for d in used}),
        active_users=len({d.user_id for d in used}),
    )


def _hours(rows: Sequence[UsageDay]) -> float:
    return round(sum(d.connected_minutes for d in rows) / 60, 2)


def _days(last: datetime | None, now: datetime) -> int | None:
    """Whole days since; 0 for a connection stamped later than now (a clock ahead of this one)."""
    return None if last is None else max(0, (now - last).days)


def _by(items: Sequence[V], key: Callable[[V], K]) -> dict[K, list[V]]:
    grouped: dict[K, list[V]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped


def _date(name: str, value: str) -> date:
    try:
        found = date.fromisoformat(value) if len(value) == 10 else _refuse(name, value)
    except ValueError:
        return _refuse(name, value)
    return found


def _refuse(name: str, value: str) -> date:
    raise _bad(name, f"{name} must be a date such as 2026-01-31, not '{value}'.")


def _bad(name: str, message: str, code: str = "invalidQueryParameter") -> ValidationFailed:
    return ValidationFailed.of(ErrorDetail(code, message, name))

"""Usage on the fakes: the use watch keeps a Cloud PC's connected time on it and writes the day's row, and the
reports (per Cloud PC, per user, per day) read them back; a range the API refuses names its field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.errors import ValidationFailed
from shared.ports.bundles import UsagePorts
from shared.services.cloud_pcs import usage_reports
from shared.services.cloud_pcs.cloud_pc_sleep import watch_use
from shared.services.cloud_pcs.usage_reports import DayRange, day_range
from shared.storage.continuation_tokens import PROCESS_TOKENS
from tests.fakes.seed import TENANT
from tests.unit.test_cloud_pc_sleep import connect, provisioned, signed_out, stored

TODAY = date(2026, 11, 20)


def test_the_watch_writes_each_day_once_per_run_and_the_reports_read_it() -> None:
    ports, fakes, row = provisioned(power=None)
    report = UsagePorts(fakes.cloud_pcs, fakes.usage, PROCESS_TOKENS, fakes.clock)
    day = fakes.clock().date()
    days = DayRange(day - timedelta(days=1), day)
    [never] = usage_reports.cloud_pc_usage(report, TENANT, days, top=10, skip_token=None)[0]
    assert (never.connected_hours, never.last_connected_date_time, never.days_since_last_connection) == (0, None, None)

    connect(fakes, row, started=fakes.clock() - timedelta(minutes=3))
    watch_use(ports, TENANT, fakes.clock())
    for _ in range(11):  # an hour in all
        fakes.clock.advance(seconds=300)
        watch_use(ports, TENANT, fakes.clock())
    signed_out(fakes, row)
    fakes.clock.advance(seconds=300)
    watch_use(ports, TENANT, fakes.clock())
    kept = stored(fakes, row).connected_today
    assert kept is not None and kept.connected is False and round(kept.connected_minutes) == 58
    assert len(fakes.tables.entities("CloudPcUsage")) == 1  # one row a day, replaced by each run

    fakes.clock.advance(seconds=86400)  # a day later: nobody connected, nothing written, and one day since
    watch_use(ports, TENANT, fakes.clock())
    [used] = usage_reports.cloud_pc_usage(report, TENANT, days, top=10, skip_token=None)[0]
    assert (used.id, used.connected_hours, used.sessions, used.days_since_last_connection) == (row.id, 0.97, 1, 1)
    [theirs] = usage_reports.user_usage(report, TENANT, days, top=10, skip_token=None)[0]
    assert (theirs.user_id, theirs.cloud_pc_count, theirs.connected_hours) == (row.user_id, 1, 0.97)
    daily = usage_reports.daily_usage(report, TENANT, days)
    assert [(d.date, d.connected_hours, d.active_cloud_pcs, d.active_users) for d in daily] == [
        (day - timedelta(days=1), 0, 0, 0),
        (day, 0.97, 1, 1),
    ]


def test_the_range_defaults_to_the_last_30_days_and_holds_at_most_90() -> None:
    assert day_range(None, None, TODAY) == DayRange(TODAY - timedelta(days=29), TODAY)
    assert day_range("2026-09-01", "2026-11-29", TODAY) == DayRange(date(2026, 9, 1), date(2026, 11, 29))
    assert day_range(None, "0001-01-02", TODAY) == DayRange(date(1, 1, 1), date(1, 1, 2))  # as far back as dates go
    refused_ranges = [
        (("2026-11-21", "2026-11-20"), "from"),
        (("2026-08-01", "2026-11-20"), "to"),
        (("yesterday", None), "from"),
        ((None, "2026-11-31"), "to"),
        ((None, "20261120"), "to"),
        (("2026-11-01", "9999-12-31"), "to"),
    ]
    for asked, field in refused_ranges:
        with pytest.raises(ValidationFailed) as refused:
            day_range(*asked, TODAY)
        assert refused.value.target == field, asked

"""Timer triggers through DevHost: every-second schedule, run_on_startup, past-due detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devhost.host import DevHost
from devhost.ncrontab import parse_schedule
from devhost.timers import ScheduleMonitor, ScheduleStatus
from tests.devhost.support import SAMPLE_APP, call, eventually, quiet_env


def _observed(host: DevHost, kind: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = call("GET", f"{host.base_url}/api/observed/{kind}").json()
    return result


def test_every_second_timer_runs_on_startup_and_keeps_firing(sample_host: DevHost) -> None:
    def three_runs() -> list[dict[str, Any]] | None:
        runs = _observed(sample_host, "timer")
        return runs if len(runs) >= 3 else None

    runs = eventually(three_runs, what="three timer runs")
    # run_on_startup and on-schedule runs are never past due
    assert all(run["past_due"] is False for run in runs)


def test_missed_occurrence_is_run_at_start_with_past_due(storage_connection_string: str, tmp_path: Path) -> None:
    schedule = parse_schedule("0 0 3 * * *")  # SAMPLE_DAILY_SCHEDULE
    last = datetime.now(UTC) - timedelta(days=2)
    monitor = ScheduleMonitor(tmp_path / "timers")
    missed = schedule.next_after(last)
    monitor.put("daily", ScheduleStatus(last, missed, last))

    env = {"AzureWebJobsStorage": storage_connection_string, **quiet_env("every_second", "work_item", "text_item")}
    with DevHost(SAMPLE_APP, env=env, state_dir=tmp_path) as host:
        runs = eventually(lambda: _observed(host, "daily"), what="the past-due run")
        assert runs[0]["past_due"] is True
        assert datetime.fromisoformat(runs[0]["status"]["Next"]) == missed

        def moved_on() -> ScheduleStatus | None:
            status = monitor.get("daily")
            return status if status is not None and status.next > missed else None

        status = eventually(moved_on, what="the status to move on")
        assert status.next > datetime.now(UTC)
        assert _observed(host, "timer") == []  # disabled through AzureWebJobs.<name>.Disabled

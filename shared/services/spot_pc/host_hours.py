"""The hours a session host runs: its current run's start, and the runs that ended added up, as the cost view needs."""

from __future__ import annotations

from datetime import datetime

from shared.models.spot_groups import SessionHost

HOUR_S = 3600.0


def started(host: SessionHost, at: datetime) -> SessionHost:
    """Its VM started (or was made, which starts it); a start asked of a running host goes on with the same run."""
    return host if host.running_since is not None else host.model_copy(update={"running_since": at})


def stopped(host: SessionHost, at: datetime) -> SessionHost:
    """Its VM was deallocated or deleted: the run ends and is added to the ones before."""
    if host.running_since is None:
        return host
    run = max(0.0, (at - host.running_since).total_seconds() / HOUR_S)  # a clock set back never takes hours away
    return host.model_copy(update={"running_since": None, "hours_accumulated": host.hours_accumulated + run})


def hours_run(host: SessionHost, now: datetime) -> float:
    """The runs that ended and the current one up to `now`."""
    return round(stopped(host, now).hours_accumulated, 3)


def with_hours(host: SessionHost, now: datetime) -> SessionHost:
    return host.model_copy(update={"hours_run": hours_run(host, now)})

"""The Durable SDK's history events read their timestamps when asked, not when made.

Each episode the SDK builds every event of the history, and each event parsed its `Timestamp` with dateutil's
general parser (70 to 400 microseconds on a slow core), though the replay reads only the timestamps of the
`OrchestratorStarted` events (a quarter of them): the orchestration's clock. Here the text is kept as it came and
parsed the first time it is read, to the instant the SDK's parser gives; and as each episode replays the same events
again, a text parsed once is remembered (a datetime is immutable). `install` is idempotent, and
tests/unit/test_history_timestamps.py holds it to the pinned SDK's shape.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
from typing import Any

from dateutil.parser import parse as dt_parse

# the module (the package's attribute of the same name is its class)
history_event = importlib.import_module("azure.durable_functions.models.history.HistoryEvent")


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> dt.datetime:
    """An ISO 8601 text (the extension's: `2026-11-27T00:55:03.1234567Z`) by the standard library's parser, sixty
    times as fast as dateutil's, to the same instant; any other text by dateutil's, as the SDK read it."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        moment: dt.datetime = dt_parse(text)
        return moment


def _read(event: Any) -> dt.datetime:
    moment = event._timestamp
    if isinstance(moment, str):
        moment = event._timestamp = _parsed(moment)
    return moment


def install() -> None:
    """The SDK's constructor keeps the text (its module's `dt_parse` made the identity), its `timestamp` parses."""
    history_event.dt_parse = str  # type: ignore[attr-defined]
    history_event.HistoryEvent.timestamp = property(_read)

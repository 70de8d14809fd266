"""The Durable SDK's history events keep their timestamps' text and parse it when read, by the SDK's own parser:
every value the replay reads is the one it read before (orchestrators/history_timestamps.py)."""

from __future__ import annotations

import json

import pytest
from azure.durable_functions.models.DurableOrchestrationContext import DurableOrchestrationContext
from azure.durable_functions.models.history import HistoryEvent
from dateutil.parser import parse

from orchestrators import history_timestamps

STARTED = "2026-11-27T00:55:03.1234567Z"  # as the Durable extension writes it: seven digits of a second


def _history(*stamps: str) -> list[dict[str, object]]:
    started, execution, scheduled = stamps
    return [
        {"EventType": 12, "EventId": -1, "IsPlayed": False, "Timestamp": started},  # OrchestratorStarted
        {
            "EventType": 0,
            "EventId": -1,
            "IsPlayed": False,
            "Timestamp": execution,
            "Name": "o",
            "Input": None,
            "Version": None,
        },
        {"EventType": 4, "EventId": 0, "IsPlayed": False, "Timestamp": scheduled, "Name": "a"},  # TaskScheduled
    ]


def test_an_event_parses_its_timestamp_when_read_and_reads_what_the_sdk_read() -> None:
    history_timestamps.install()
    history_timestamps.install()  # idempotent
    event = HistoryEvent(EventType=12, EventId=-1, IsPlayed=False, Timestamp=STARTED)
    assert event._timestamp == STARTED  # kept as text until asked
    assert event.timestamp == parse(STARTED)
    assert event.timestamp.utcoffset() == parse(STARTED).utcoffset()
    assert event.timestamp is event.timestamp  # parsed once
    replayed = HistoryEvent(EventType=12, EventId=-1, IsPlayed=True, Timestamp=STARTED)
    assert replayed.timestamp is event.timestamp  # and once for every replay of the same event


def test_the_orchestrations_clock_is_the_sdks_and_only_its_started_events_are_parsed() -> None:
    history_timestamps.install()
    context = DurableOrchestrationContext.from_json(
        json.dumps(
            {
                "history": _history(STARTED, "2026-11-27T00:55:04Z", "not a time the replay reads"),
                "instanceId": "i",
                "isReplaying": False,
                "parentInstanceId": None,
                "input": None,
            }
        )
    )
    assert context.current_utc_datetime == parse(STARTED)
    assert [type(event._timestamp) for event in context.histories][1:] == [str, str]


@pytest.mark.parametrize(
    "text",
    [
        STARTED,
        "2026-11-27T23:59:59.9999999Z",
        "2026-11-27T00:55:03Z",
        "2026-11-27T00:55:03.12+01:00",
        "2026-11-27T00:55:03.1234567",  # the seventh digit cut by both, never rounded into the next second
        "Fri, 27 Nov 2026 00:55:03 GMT",  # no ISO 8601: dateutil's, as the SDK read it
    ],
)
def test_each_text_reads_as_the_instant_dateutil_reads(text: str) -> None:
    read = history_timestamps._parsed(text)
    assert read == parse(text) and read.utcoffset() == parse(text).utcoffset()

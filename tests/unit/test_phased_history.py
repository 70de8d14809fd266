"""Runs in flight when the four step contracts became one PhasedStep still replay: the answers their activities
recorded in a history (tests/unit/fixtures/phased_steps_recorded.json, written by the old contracts) are read by
take_phases as they were, so an orchestration replaying its history makes the same decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrators.phases import take_phases
from shared.models.orchestrations import ImageBuildRun, ImageRemovalRun, PhasedRun, SpotGroupRun, VmActionRun

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "phased_steps_recorded.json").read_text())["answers"]
RUNS: dict[str, type[PhasedRun]] = {kind.__name__: kind for kind in (VmActionRun, ImageBuildRun, ImageRemovalRun,
                                                                     SpotGroupRun)}  # fmt: skip
AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class ReplayingContext:
    """The durable context as a replay sees it: each task the orchestrator yields is named, and answered by the test."""

    current_utc_datetime = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

    def __init__(self) -> None:
        self.continued: Any = None

    def call_activity_with_retry(self, name: str, retry: Any, payload: Any) -> tuple[str, Any]:
        return ("activity", payload)

    def create_timer(self, when: datetime) -> tuple[str, datetime]:
        return ("timer", when)

    def continue_as_new(self, payload: Any) -> None:
        self.continued = payload


@pytest.mark.parametrize("kind", sorted(RECORDED))
def test_an_answer_recorded_before_phased_step_replays_as_it_did(kind: str) -> None:
    answer = RECORDED[kind]
    run = RUNS[kind].model_validate(answer["run"])
    context = ReplayingContext()
    replay = take_phases(context, "advance", run)
    assert next(replay)[0] == "activity"
    if answer["outcome"] is not None:  # the work was over: the orchestration returns its outcome
        with pytest.raises(StopIteration) as ended:
            replay.send(answer)
        assert ended.value.value == answer["outcome"] == "succeeded"
        return
    task = replay.send(answer)
    assert task == ("timer", AT)  # the wait the answer named, from when Azure answered
    sent = replay.send(None)  # the timer fired: the next call carries the recorded run on
    assert sent[0] == "activity"
    assert sent[1]["phase"] == answer["run"]["phase"] and sent[1]["operation"] == answer["run"]["operation"]
    assert sent[1]["calls"] == answer["run"]["calls"] + 1

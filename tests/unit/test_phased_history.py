"""Runs in flight when the four step contracts became one PhasedStep still replay: the answers their activities
recorded in a history (tests/unit/fixtures/phased_steps_recorded.json, written by the old contracts) are read by
take_phases as they were, so an orchestration replaying its history makes the same decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrators.phases import take_phases
from shared.models.orchestrations import ImageBuildRun, ImageRemovalRun, PhasedRun, SpotGroupRun, VmActionRun
from tests.utils.orchestration import Call, Context, Timer

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "phased_steps_recorded.json").read_text())["answers"]
RUNS: dict[str, type[PhasedRun]] = {kind.__name__: kind for kind in (VmActionRun, ImageBuildRun, ImageRemovalRun,
                                                                     SpotGroupRun)}  # fmt: skip
AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", sorted(RECORDED))
def test_an_answer_recorded_before_phased_step_replays_as_it_did(kind: str) -> None:
    answer = RECORDED[kind]
    run = RUNS[kind].model_validate(answer["run"])
    replay = take_phases(Context(), "advance", run)
    assert isinstance(next(replay), Call)
    if answer["outcome"] is not None:  # the work was over: the orchestration returns its outcome
        with pytest.raises(StopIteration) as ended:
            replay.send(answer)
        assert ended.value.value == answer["outcome"] == "succeeded"
        return
    task = replay.send(answer)
    assert task == Timer(AT)  # the wait the answer named, from when Azure answered
    sent = replay.send(None)  # the timer fired: the next call carries the recorded run on
    assert isinstance(sent, Call)
    assert (sent.payload["phase"], sent.payload["operation"]) == (answer["run"]["phase"], answer["run"]["operation"])
    assert sent.payload["calls"] == answer["run"]["calls"] + 1

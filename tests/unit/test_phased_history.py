"""Runs in flight when the four step contracts became one PhasedStep still replay: the answers their activities
recorded in a history (tests/unit/fixtures/phased_steps_recorded.json, written by the old contracts) are read by
take_phases as they were, so an orchestration replaying its history makes the same decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrators.phases import take_phases
from orchestrators.windows365 import mirror_windows365_cloud_pcs
from shared.models.orchestrations import (
    HealthCheckRun,
    ImageBuildRun,
    ImageImport,
    ImageRemovalRun,
    PhasedRun,
    SpotGroupRun,
    VmActionRun,
)
from tests.utils.orchestration import NOW, Call, Context, Timer

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "phased_steps_recorded.json").read_text())["answers"]
RUNS: dict[str, type[PhasedRun]] = {
    kind.__name__: kind for kind in (VmActionRun, ImageBuildRun, ImageRemovalRun, SpotGroupRun)
}
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


# the inputs of a health-check run and an image import as they were started before both became phased work
STARTED_BEFORE: dict[str, dict[str, object]] = {
    "HealthCheckRun": {
        "tenantId": "t1",
        "connectionId": "c1",
        "run": 4,
        "checks": ["subnetIpUsage"],
        "backend": "azure",
        "push": True,
    },
    "ImageImport": {"tenantId": "t1", "imageId": "img1"},
}


@pytest.mark.parametrize("kind", sorted(STARTED_BEFORE))
def test_work_started_before_it_was_phased_starts_at_its_first_phase(kind: str) -> None:
    kinds: dict[str, type[PhasedRun]] = {"HealthCheckRun": HealthCheckRun, "ImageImport": ImageImport}
    run = kinds[kind].model_validate(STARTED_BEFORE[kind])
    first = next(take_phases(Context(), "advance", run))
    assert isinstance(first, Call) and (first.payload["phase"], first.payload["calls"]) == (0, 0)
    assert STARTED_BEFORE[kind].items() <= first.payload.items()


def test_a_windows_365_follower_replays_the_answers_its_reads_recorded_before_it_was_phased() -> None:
    since = "2026-11-24T08:00:00Z"
    orchestration = mirror_windows365_cloud_pcs(Context(input={"tenantId": "t1"}))
    assert isinstance(next(orchestration), Call)
    timer = orchestration.send({"inFlight": True, "waitSeconds": 60.0, "auditSince": since})
    assert timer == Timer(NOW + timedelta(seconds=60))
    again = orchestration.send(None)
    assert isinstance(again, Call) and again.payload["auditSince"] == since and again.payload["calls"] == 1
    with pytest.raises(StopIteration) as ended:
        orchestration.send({"inFlight": False, "waitSeconds": 60.0, "auditSince": since})
    assert ended.value.value == "settled"

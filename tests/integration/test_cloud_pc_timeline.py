"""A Cloud PC's timeline against a real Azurite: one row per write, read back as one ordered list of lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.bootstrap import Services
from shared.services.cloud_pcs.timeline import timeline_event

TENANT = "tenant-t"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_lines_written_together_come_back_in_order_and_a_later_line_replaces_an_earlier_one(
    services: Services,
) -> None:
    repo = services.engine.cloud_pcs
    steps = [f"step{i:02d}" for i in range(45)]  # more than one row holds
    repo.upsert_events(
        TENANT,
        [timeline_event("cpc-1", 1, 1, step, T0 + timedelta(seconds=i), kind="step") for i, step in enumerate(steps)],
    )
    running = timeline_event("cpc-1", 1, 1, "late", T0 + timedelta(minutes=1), kind="step", outcome="running")
    repo.upsert_event(TENANT, running)
    repo.upsert_event(
        TENANT, running.model_copy(update={"outcome": "succeeded", "date_time": T0 + timedelta(minutes=2)})
    )
    repo.upsert_event(TENANT, timeline_event("cpc-2", 1, 1, "other", T0))

    lines = repo.list_events(TENANT, "cpc-1")
    assert [line.name for line in lines] == [*steps, "late"]
    assert lines[-1].outcome == "succeeded"
    # a write repeated after a crash adds no line
    repo.upsert_event(
        TENANT, running.model_copy(update={"outcome": "succeeded", "date_time": T0 + timedelta(minutes=2)})
    )
    assert len(repo.list_events(TENANT, "cpc-1")) == 46
    assert [line.name for line in repo.list_events(TENANT, "cpc-2")] == ["other"]
    assert repo.list_events(TENANT, "cpc-3") == []

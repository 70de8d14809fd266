"""Durable state survives the engine: a SIGKILLed host and a graceful restart both resume."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devhost.durable import DurableStore
from devhost.durable import history as h
from tests.devhost import durable_sample as sample

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAN_OUT = 40

_HOST_SCRIPT = """
import asyncio, sys
from devhost.durable import DurableStore
from tests.devhost.durable_sample import make_engine

async def main() -> None:
    engine = make_engine(DurableStore(sys.argv[1]), max_concurrent_activities=3)
    await engine.start()
    await engine.start_new("ds_record_fanout", "restart-me", int(sys.argv[2]))
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def _runs(log: Path, tag: str) -> list[int]:
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [int(line.split()[1]) for line in lines if line.split()[0] == tag]


def _persisted_completions(db: Path) -> set[int]:
    """Inputs of activities whose completion reached the store (history or inbox)."""
    store = DurableStore(db)
    try:
        (instance,) = [i for i in store.load() if i.row["instance_id"] == "restart-me"]
    finally:
        store.close()
    inputs = {e["EventId"]: json.loads(e["Input"]) for e in instance.history if e["EventType"] == h.TASK_SCHEDULED}
    done = [e for e in instance.history if e["EventType"] == h.TASK_COMPLETED]
    done += [
        m["event"] for _, m in instance.inbox if m["type"] == "event" and m["event"]["EventType"] == h.TASK_COMPLETED
    ]
    return {inputs[e["TaskScheduledId"]] for e in done}


def test_sigkilled_host_resumes_without_rerunning_persisted_activities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, log = tmp_path / "hub.sqlite", tmp_path / "runs.log"
    env = dict(os.environ, DURABLE_SAMPLE_LOG=str(log), DURABLE_SAMPLE_RUN="first", PYTHONPATH=str(PROJECT_ROOT))
    host = subprocess.Popen([sys.executable, "-c", _HOST_SCRIPT, str(db), str(FAN_OUT)], cwd=PROJECT_ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while len(_runs(log, "first")) < 10:
            assert time.monotonic() < deadline, "the first host never got going"
            assert host.poll() is None, "the first host died"
            time.sleep(0.01)
    finally:
        host.send_signal(signal.SIGKILL)
        host.wait()
    persisted = _persisted_completions(db)
    assert 0 < len(persisted) < FAN_OUT

    monkeypatch.setenv("DURABLE_SAMPLE_LOG", str(log))
    monkeypatch.setenv("DURABLE_SAMPLE_RUN", "second")

    async def resume() -> dict[str, object]:
        engine = sample.make_engine(DurableStore(db), max_concurrent_activities=3)
        await engine.start()
        try:
            return await engine.wait_for_completion("restart-me", 30)
        finally:
            await engine.stop()

    status = asyncio.run(resume())
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == sum(range(FAN_OUT))
    second = set(_runs(log, "second"))
    assert second, "nothing was left to re-run"
    assert not second & persisted, "an activity with a persisted completion ran again"
    assert second | persisted == set(range(FAN_OUT))


def test_graceful_restart_keeps_waits_timers_and_buffered_events(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite"

    async def first() -> None:
        engine = sample.make_engine(DurableStore(db))
        await engine.start()
        await engine.start_new("ds_any", "waiting", None)
        await engine.start_new("ds_events", "buffered", None)
        for _ in range(500):
            if engine.instances["waiting"].status == "Running":
                break
            await asyncio.sleep(0.01)
        await engine.raise_event("buffered", "A", "early")
        await engine.stop()

    async def second() -> tuple[dict[str, object], dict[str, object]]:
        engine = sample.make_engine(DurableStore(db))
        await engine.start()
        try:
            await engine.raise_event("waiting", "approve", "yes")
            await engine.raise_event("buffered", "B", "go")
            await engine.raise_event("buffered", "A", "late")
            return (await engine.wait_for_completion("waiting", 10), await engine.wait_for_completion("buffered", 10))
        finally:
            await engine.stop()

    asyncio.run(first())
    waiting, buffered = asyncio.run(second())
    assert waiting["output"] == ["approved", "yes", 9]
    assert buffered["output"] == ["go", "early", "late"]


def test_a_store_written_before_versions_gains_the_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE instances (instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, execution_id TEXT NOT NULL, "
        "status TEXT NOT NULL, input TEXT, output TEXT, custom_status TEXT, created TEXT NOT NULL, "
        "updated TEXT NOT NULL, parent TEXT, waits TEXT)"
    )
    db.execute(
        "INSERT INTO instances VALUES ('old', 'ds_echo', 'e1', 'Completed', 'null', '1', NULL, "
        "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', NULL, NULL)"
    )
    db.commit()
    db.close()
    store = DurableStore(path)
    try:
        (instance,) = store.load()
        assert instance.row["instance_id"] == "old"
        assert instance.row["version"] is None
    finally:
        store.close()

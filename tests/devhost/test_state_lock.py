"""`make run` holds its state folders: a second run over them stops at once and names the first one's process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devhost.__main__ import EMULATOR_FOLDER, QUIET_LOGGERS, main
from devhost.state_lock import LOCK_NAME, FolderHeld, holding


@contextmanager
def logging_kept() -> Iterator[None]:
    """`main` sets the process's logging up for a console (its handler on the stdout of the moment, here this test's
    capture, and quieter SDK loggers); the test process's own is put back after it, or every later log of the process
    would go to the closed capture ("Logging error" in the tests' output)."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in QUIET_LOGGERS)]
    kept = [(logger, list(logger.handlers), logger.level) for logger in loggers]
    try:
        yield
    finally:
        for logger, handlers, level in kept:
            logger.handlers[:] = handlers
            logger.setLevel(level)


def test_a_second_holder_of_a_folder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    with holding(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(FolderHeld) as refused, holding(tmp_path):
            pass
    assert refused.value.pid == os.getpid()
    assert f"process {os.getpid()}" in str(refused.value)
    with holding(tmp_path):  # released when the first run ends
        pass


def test_a_folder_held_by_another_process_names_that_process(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from devhost.state_lock import holding\nwith holding(__import__('pathlib').Path("
            f"{str(tmp_path)!r})):\n    print('held', flush=True)\n    input()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderHeld) as refused, holding(tmp_path):
            pass
        assert refused.value.pid == holder.pid
    finally:
        holder.communicate("\n", timeout=30)


def test_the_lock_of_a_run_that_crashed_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text("4194303\n")  # left by a run killed before it could let go
    with holding(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())


def test_make_run_over_a_held_emulator_folder_stops_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signal, "signal", lambda *_: None)  # the test process keeps its own handlers
    with holding(tmp_path / EMULATOR_FOLDER), logging_kept():
        code = main(["--app-dir", str(tmp_path), "--start-azure-emulator", "--durable-store", "memory"])
    assert code == 1
    assert f"in use by process {os.getpid()}" in capsys.readouterr().out
    assert not (tmp_path / EMULATOR_FOLDER / "endpoint.txt").exists()

"""The app's composition freezes what it made for the collector, once a process (function_app.py's last lines)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# imports the app twice in one process, as devhost does for each host it starts, and prints the frozen counts
TWICE = """
import gc, importlib, sys
counts = [gc.get_freeze_count()]
for _ in range(2):
    sys.modules.pop("function_app", None)
    importlib.import_module("function_app")
    counts.append(gc.get_freeze_count())
print(*counts)
"""


def test_the_first_composition_is_frozen_and_a_second_one_is_not(
    azure_environment: dict[str, str], storage_connection_string: str
) -> None:
    env = {**os.environ, "AzureWebJobsStorage": storage_connection_string}
    done = subprocess.run(
        [sys.executable, "-c", TWICE], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    before, first, second = (int(count) for count in done.stdout.split()[-3:])
    assert before == 0
    assert first > 0  # the modules, classes and clients of the composition
    # a second composition leaves its objects to the collector (the first's, let go since, leave the frozen ones)
    assert second <= first

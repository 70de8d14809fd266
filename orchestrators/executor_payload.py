"""The Durable SDK's executor makes its payload class once a process, not at every episode.

Each episode the SDK builds a new `TaskOrchestrationExecutor`, and its constructor makes a new namedtuple class
(`SetTaskValuePayload`) to describe how each kind of completion event resolves a task: a class built from source by
`eval`, tens of microseconds, at every episode of every orchestration, and garbage for the collector right after.
Here the executor's module gets a `namedtuple` that answers the same class for the same name and fields, so every
executor after the first reuses it; the values it holds are the same tuples. `install` is idempotent, and
tests/unit/test_executor_payload.py holds it to the pinned SDK's shape.
"""

from __future__ import annotations

import collections
import functools
import importlib

# the module (the package's attribute of the same name is its class)
task_executor = importlib.import_module("azure.durable_functions.models.TaskOrchestrationExecutor")
# a class for each name and fields (strings and a tuple of strings), made the first time they are asked for
_made_once = functools.cache(collections.namedtuple)


def install() -> None:
    task_executor.namedtuple = _made_once  # type: ignore[attr-defined]

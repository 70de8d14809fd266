"""Calling an activity the way the Python worker does: decode input, run, encode the result."""

from __future__ import annotations

import asyncio
import inspect
import json
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from azure.durable_functions.models.utils.df_serialization import df_dumps, df_loads


@dataclass(frozen=True)
class ActivityFunction:
    """An activity's user function and the name of its activityTrigger parameter.

    The engine calls `fn(**{input_param_name: decoded_input})`. A bare callable in the
    engine's `activities` mapping is called with the decoded input as its only positional
    argument instead.
    """

    fn: Callable[..., Any]
    input_param_name: str


@dataclass
class ActivityOutcome:
    ok: bool
    result: str | None = None  # df_dumps text of the return value
    reason: str = ""
    details: str = ""


def decode_input(text: str | None) -> Any:
    """`ActivityTriggerConverter.decode`: JSON via df_loads, else the raw string."""
    if text is None:
        return None
    try:
        return df_loads(text)
    except json.JSONDecodeError:
        return text


async def run_activity(
    name: str, target: ActivityFunction | Callable[..., Any] | None, input_text: str | None, pool: Executor
) -> ActivityOutcome:
    if target is None:
        return ActivityOutcome(
            ok=False,
            reason=f"The function '{name}' doesn't exist, is disabled, or is not an activity function.",
            details="",
        )
    try:
        value = decode_input(input_text)
        fn, kwargs, args = _call_shape(target, value)
        if inspect.iscoroutinefunction(fn):
            result = await fn(*args, **kwargs)
        else:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(pool, lambda: fn(*args, **kwargs))
            if inspect.isawaitable(result):
                result = await result
        return ActivityOutcome(ok=True, result=df_dumps(result))
    except asyncio.CancelledError:
        raise
    except Exception as error:  # the activity's failure becomes the orchestration's TaskFailed
        return ActivityOutcome(
            ok=False,
            reason=f"Activity function '{name}' failed: {error}",
            details="".join(traceback.format_exception(error)),
        )


def _call_shape(
    target: ActivityFunction | Callable[..., Any], value: Any
) -> tuple[Callable[..., Any], dict[str, Any], tuple[Any, ...]]:
    if isinstance(target, ActivityFunction):
        return target.fn, {target.input_param_name: value}, ()
    return target, {}, (value,)

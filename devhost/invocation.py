"""Calls a user function as the worker does: sync ones on a thread pool, async ones on the loop."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import threading
import time
import typing
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import azure.functions as func
from azure.functions import _abc as func_abc

from devhost.indexing import FunctionInfo

log = logging.getLogger("devhost")


class _TraceContext(func_abc.TraceContext):
    def __init__(self, invocation_id: str) -> None:
        self._parent = f"00-{uuid.UUID(invocation_id).hex}-{uuid.uuid4().hex[:16]}-00"

    @property
    def trace_state(self) -> str:
        return ""

    @property
    def trace_parent(self) -> str:
        return self._parent

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RetryContext(func_abc.RetryContext):
    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> Any:
        return None


class InvocationContext(func.Context):
    """What a function's `context` parameter receives."""

    _local = threading.local()

    def __init__(self, invocation_id: str, function_name: str, function_directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> func_abc.TraceContext:
        return _TraceContext(self._invocation_id)

    @property
    def retry_context(self) -> func_abc.RetryContext:
        return _RetryContext()


class OutValue(func.Out[Any]):
    """An output binding parameter (`func.Out[...]`); the host reads it after the call."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


def mark_logged(error: BaseException) -> None:
    """Flag a failure the invoker already reported, so callers up the stack stay quiet."""
    with contextlib.suppress(AttributeError, TypeError):
        error.__dict__["_devhost_logged"] = True


def was_logged(error: BaseException) -> bool:
    return bool(getattr(error, "__dict__", {}).get("_devhost_logged"))


def annotation_of(fn: Any, param: str) -> Any:
    """The parameter's annotation, resolving string annotations when possible."""
    target = getattr(fn, "client_function", fn)
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # unresolvable forward references: fall back to the raw text
        hints = dict(getattr(target, "__annotations__", {}))
    return hints.get(param)


def is_type(annotation: Any, kind: type) -> bool:
    return annotation is kind or annotation == kind.__name__


class Invoker:
    """Runs invocations and logs them the way Core Tools does (name, id, outcome, duration)."""

    def __init__(self, app_dir: str, max_workers: int | None = None) -> None:
        if max_workers is None and os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT", "").isdigit():
            max_workers = int(os.environ["PYTHON_THREADPOOL_THREAD_COUNT"]) or None
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="devhost-fn")
        self._app_dir = app_dir

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def make_outputs(self, info: FunctionInfo) -> dict[str, OutValue]:
        return {b.name: OutValue() for b in info.output_bindings() if b.name != "$return" and b.name in info.parameters}

    async def call(self, info: FunctionInfo, kwargs: Mapping[str, Any], *, reason: str) -> Any:
        """Invoke; returns the function's return value, re-raises its exception after logging."""
        invocation_id, started = self._begin(info, reason)
        arguments = dict(kwargs)
        if info.wants_context:
            arguments["context"] = InvocationContext(invocation_id, info.name, self._app_dir)
        try:
            result = await self._run(info, arguments)
        except Exception as exc:
            self._end(info, invocation_id, started, exc)
            raise
        self._end(info, invocation_id, started, None)
        return result

    def call_blocking(self, info: FunctionInfo, fn: Callable[[], Any], *, reason: str) -> Any:
        """Same logging around code the caller already runs off the loop (orchestrator episodes)."""
        invocation_id, started = self._begin(info, reason)
        try:
            result = fn()
        except Exception as exc:
            self._end(info, invocation_id, started, exc)
            raise
        self._end(info, invocation_id, started, None)
        return result

    @staticmethod
    def _begin(info: FunctionInfo, reason: str) -> tuple[str, float]:
        invocation_id = str(uuid.uuid4())
        log.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", info.name, reason, invocation_id)
        return invocation_id, time.perf_counter()

    @staticmethod
    def _end(info: FunctionInfo, invocation_id: str, started: float, error: Exception | None) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        if error is None:
            log.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%.0fms)", info.name, invocation_id, elapsed)
            return
        mark_logged(error)
        text, _, state = str(error).partition("\n\n$OutOfProcData$:")
        # an orchestrator's failure carries its whole state; the traceback adds nothing there
        log.error(
            "Executed 'Functions.%s' (Failed, Id=%s, Duration=%.0fms) %s: %s",
            info.name,
            invocation_id,
            elapsed,
            type(error).__name__,
            text,
            exc_info=None if state else error,
        )

    async def _run(self, info: FunctionInfo, arguments: dict[str, Any]) -> Any:
        if info.is_async:
            return await info.fn(**arguments)
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, functools.partial(info.fn, **arguments))
        return await loop.run_in_executor(self._pool, call)

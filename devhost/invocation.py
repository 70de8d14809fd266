"""Calls a user function as the worker does: sync ones on a thread pool, async ones on the loop, within a timeout;
one concern, since converting its bindings in and its result out is part of the one call."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import time
import typing
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import azure.functions as func

from devhost.host_json import format_timespan
from devhost.indexing import FunctionInfo
from devhost.invocation_context import InvocationContext, host_trace
from devhost.worker import REMOTE_NOTE, OutValue

if TYPE_CHECKING:
    from devhost.workers import WorkerPool, WorkerProcess

log = logging.getLogger("devhost")
THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"
PROCESS_COUNT_SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"


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


class FunctionTimeoutError(Exception):
    """The invocation ran longer than host.json's functionTimeout (the host's FunctionTimeoutException)."""


def thread_count_setting(environ: Mapping[str, str] | None = None) -> int | None:
    """PYTHON_THREADPOOL_THREAD_COUNT as the Python worker reads it: None (the pool's own default) unless valid."""
    env = os.environ if environ is None else environ
    text = env.get(THREAD_COUNT_SETTING)
    if text is None or not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        log.warning("%s must be an integer", THREAD_COUNT_SETTING)
        return None
    if value < 1:
        log.warning(
            "%s must be set to a value between 1 and sys.maxint. Reverting to default value for max_workers",
            THREAD_COUNT_SETTING,
        )
        return None
    return value


def process_count_setting(environ: Mapping[str, str] | None = None) -> int:
    """FUNCTIONS_WORKER_PROCESS_COUNT: 1 unless set to an integer from 1 to 10 (the host's bounds)."""
    from devhost.workers import MAX_WORKER_PROCESSES

    env = os.environ if environ is None else environ
    text = (env.get(PROCESS_COUNT_SETTING) or "").strip()
    if not text:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKER_PROCESSES:
        log.warning(
            "%s must be an integer from 1 to %d, not '%s'; using 1", PROCESS_COUNT_SETTING, MAX_WORKER_PROCESSES, text
        )
        return 1
    return int(text)


class Invoker:
    """Runs invocations and logs them the way Core Tools does (name, id, outcome, duration).

    With one worker process (FUNCTIONS_WORKER_PROCESS_COUNT unset or 1) functions run here, in devhost's own
    process, as in a single Python worker: sync ones on a pool of PYTHON_THREADPOOL_THREAD_COUNT threads, async
    ones on the host's loop. With more, they run in that many worker processes (devhost.workers), each with such
    a pool and loop, and the host sends them invocations in turn.
    """

    def __init__(
        self,
        app_dir: str,
        max_workers: int | None = None,
        *,
        worker_processes: int = 1,
        function_timeout_s: float | None = None,
    ) -> None:
        self.thread_count = max_workers if max_workers is not None else thread_count_setting()
        self.worker_processes = worker_processes
        self.function_timeout_s = function_timeout_s
        self._pool = ThreadPoolExecutor(max_workers=self.thread_count, thread_name_prefix="devhost-fn")
        self._app_dir = app_dir
        self._workers: WorkerPool | None = None
        # sync invocations that timed out here: their threads run on, since a thread cannot be stopped
        self._abandoned: set[Future[Any]] = set()

    @property
    def pool_size(self) -> int:
        return int(self._pool._max_workers)

    @property
    def abandoned(self) -> int:
        """Timed-out sync invocations still running on devhost's own threads."""
        return len(self._abandoned)

    @property
    def worker_pids(self) -> list[int]:
        return self._workers.pids if self._workers is not None else [os.getpid()]

    async def start(self) -> None:
        """Start the worker processes, if any; returns once each has loaded the app."""
        if self.worker_processes > 1:
            from devhost.workers import WorkerPool

            self._workers = WorkerPool(Path(self._app_dir), self.worker_processes, self.thread_count)
            await self._workers.start()

    async def aclose(self) -> None:
        if self._workers is not None:
            await self._workers.stop()
        if self._abandoned:
            log.warning(
                "%d timed-out invocation(s) still run on devhost's threads; not waiting for them", len(self._abandoned)
            )
            self._pool.shutdown(wait=False, cancel_futures=True)
            return
        # invocations still running finish first, as the worker drains on a graceful stop
        await asyncio.get_running_loop().run_in_executor(None, functools.partial(self._pool.shutdown, wait=True))

    def make_outputs(self, info: FunctionInfo) -> dict[str, OutValue]:
        return {b.name: OutValue() for b in info.output_bindings() if b.name != "$return" and b.name in info.parameters}

    async def call(self, info: FunctionInfo, kwargs: Mapping[str, Any], *, reason: str) -> Any:
        """Invoke; returns the function's return value, re-raises its exception after logging.

        Past functionTimeout the invocation fails with FunctionTimeoutError, as in the host.
        """
        invocation_id, started = self._begin(info, reason)
        arguments = dict(kwargs)
        if info.wants_context:
            request = next((v for v in kwargs.values() if isinstance(v, func.HttpRequest)), None)
            trace = host_trace(request.headers if request is not None else None)
            arguments["context"] = InvocationContext(invocation_id, info.name, self._app_dir, trace)
        try:
            result = await self._bounded(info, invocation_id, arguments)
        except Exception as exc:
            self._end(info, invocation_id, started, exc)
            raise
        self._end(info, invocation_id, started, None)
        return result

    async def call_orchestrator(self, info: FunctionInfo, context_json: str) -> str:
        """One orchestrator episode: the SDK handle, a sync function, gets the orchestration context JSON.

        functionTimeout is not applied: an episode replays history and returns at once.
        """
        invocation_id, started = self._begin(info, "(orchestration episode)")
        try:
            if self._workers is not None:
                _, future = await self._workers.invoke(info.name, "orchestration", context_json)
                result, _ = await future
            else:
                result = await asyncio.wrap_future(self._pool.submit(_run_orchestrator, info, context_json))
        except Exception as exc:
            self._end(info, invocation_id, started, exc)
            raise
        self._end(info, invocation_id, started, None)
        return str(result)

    async def _bounded(self, info: FunctionInfo, invocation_id: str, arguments: dict[str, Any]) -> Any:
        worker: WorkerProcess | None = None
        concurrent: Future[Any] | None = None
        if self._workers is not None:
            worker, remote = await self._workers.invoke(info.name, "call", arguments)
            future: asyncio.Future[Any] = remote
        elif info.is_async:
            future = asyncio.ensure_future(info.fn(**arguments))
        else:
            context = contextvars.copy_context()
            concurrent = self._pool.submit(context.run, functools.partial(info.fn, **arguments))
            future = asyncio.wrap_future(concurrent)
        try:
            done, _ = await asyncio.wait({future}, timeout=self.function_timeout_s)
        except asyncio.CancelledError:
            future.cancel()
            raise
        if future in done:
            result = future.result()
            if worker is None:
                return result
            value, outputs = result
            for name, out in outputs.items():
                arguments[name].set(out)
            return value
        await self._timed_out(info, invocation_id, future, worker, concurrent)
        span = format_timespan(self.function_timeout_s or 0)
        raise FunctionTimeoutError(f"Timeout value of {span} was exceeded by function: Functions.{info.name}")

    async def _timed_out(
        self,
        info: FunctionInfo,
        invocation_id: str,
        future: asyncio.Future[Any],
        worker: WorkerProcess | None,
        concurrent: Future[Any] | None,
    ) -> None:
        span = format_timespan(self.function_timeout_s or 0)
        log.error(
            "Timeout value of %s exceeded by function 'Functions.%s' (Id: '%s'). Initiating cancellation.",
            span,
            info.name,
            invocation_id,
        )
        # whatever the invocation does later is no longer anyone's business; keep asyncio quiet about it
        future.add_done_callback(lambda f: None if f.cancelled() else f.exception())
        if worker is not None and self._workers is not None:
            await self._workers.restart_after_timeout(worker, invocation_id)
            return
        future.cancel()  # an async function stops at its next await
        if info.is_async or concurrent is None or concurrent.done():
            return
        self._abandoned.add(concurrent)
        concurrent.add_done_callback(self._abandoned.discard)
        log.warning(
            "A function timeout has occurred. Invocation '%s' runs in devhost's own process "
            "(%s is 1), which devhost cannot restart: its thread runs on until the function returns. "
            "Set %s to 2 or more to have the worker process restarted, as Azure does.",
            invocation_id,
            PROCESS_COUNT_SETTING,
            PROCESS_COUNT_SETTING,
        )

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
        # an orchestrator's failure carries its whole state, and a timeout has no useful stack; an error
        # from a worker process brings its stack as a note, and the host's own frames would add nothing
        remote = [n for n in getattr(error, "__notes__", ()) if str(n).startswith(REMOTE_NOTE)]
        quiet = bool(state) or isinstance(error, FunctionTimeoutError)
        log.error(
            "Executed 'Functions.%s' (Failed, Id=%s, Duration=%.0fms) %s: %s%s",
            info.name,
            invocation_id,
            elapsed,
            getattr(error, "type_name", type(error).__name__),
            text,
            f"\n{remote[-1]}" if remote and not quiet else "",
            exc_info=None if quiet or remote else error,
        )


def _run_orchestrator(info: FunctionInfo, context_json: str) -> str:
    # the SDK handle takes the worker's OrchestrationContext as its one argument
    return str(info.fn(func.OrchestrationContext(context_json)))

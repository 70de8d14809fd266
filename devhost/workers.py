"""Worker processes for FUNCTIONS_WORKER_PROCESS_COUNT > 1: started with the host, sent invocations round-robin,
restarted when one of their invocations times out or when they exit, as the Functions host does with its workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from devhost.worker import FRAME_HEADER, dumps

log = logging.getLogger("devhost")

MAX_WORKER_PROCESSES = 10  # the host's upper bound for FUNCTIONS_WORKER_PROCESS_COUNT
START_TIMEOUT_S = 120.0
STOP_GRACE_S = 5.0
_ROOT = str(Path(__file__).resolve().parent.parent)
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from devhost.worker import main; main()"


class WorkerExitedError(RuntimeError):
    """The worker process running the invocation went away (it crashed, or was restarted after a timeout)."""


class WorkerStartError(RuntimeError):
    """A worker process could not load the app."""


def _log_levels() -> dict[str, int]:
    """Levels for a worker's loggers: INFO and up at least, as the Python worker sends them, since the host
    filters again when it logs them; loggers the host set a level on (e.g. a chatty SDK's) keep it."""
    levels = {"": min(logging.INFO, logging.getLogger().getEffectiveLevel())}
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            levels[name] = logger.level
    return levels


def _emit(fields: dict[str, Any]) -> None:
    """Log a worker's record through the host's own loggers and handlers."""
    record = logging.makeLogRecord(fields)
    logger = logging.getLogger(record.name if record.name != "root" else None)
    if logger.isEnabledFor(record.levelno):
        logger.handle(record)


async def _handshake(reader: asyncio.StreamReader) -> tuple[Any, ...]:
    """The worker's first word after loading the app ("ready" or "failed"); what the app logged while it was
    being imported arrives before it and is shown like any other log line."""
    while True:
        message = await _read(reader)
        if message[0] != "log":
            return tuple(message)
        _emit(message[1])


async def _read(reader: asyncio.StreamReader) -> Any:
    (size,) = FRAME_HEADER.unpack(await reader.readexactly(FRAME_HEADER.size))
    return pickle.loads(await reader.readexactly(size))


class WorkerProcess:
    """One child process running `devhost.worker`, and the invocations it has been sent."""

    _ids = itertools.count(1)

    def __init__(self, app_dir: Path, thread_count: int | None) -> None:
        self.app_dir = app_dir
        self.thread_count = thread_count
        self.pid: int | None = None
        self.ready = False
        self.exited = asyncio.Event()
        self.exit_reason: str | None = None  # set when the host stops or restarts it on purpose
        self._process: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[tuple[Any, dict[str, Any]]]] = {}

    @property
    def running(self) -> int:
        return len(self._pending)

    async def start(self) -> None:
        parent, child = socket.socketpair()
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _BOOT, _ROOT, str(child.fileno()), pass_fds=(child.fileno(),)
            )
        finally:
            child.close()
        reader, self._writer = await asyncio.open_connection(sock=parent)
        settings = {
            "app_dir": str(self.app_dir),
            "sys_path": list(sys.path),
            "log_levels": _log_levels(),
            "thread_count": self.thread_count,
        }
        self._send(settings)
        try:
            first = await asyncio.wait_for(_handshake(reader), START_TIMEOUT_S)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
            await self._discard()
            raise WorkerStartError(f"a worker process did not start: {exc!r}") from None
        if first[0] != "ready":
            await self._discard()
            raise WorkerStartError(f"a worker process could not load the app:\n{first[1]}")
        self.pid = int(first[1])
        self.ready = True
        self._reader_task = asyncio.get_running_loop().create_task(self._read_loop(reader))

    def invoke(self, function: str, kind: str, payload: Any) -> asyncio.Future[tuple[Any, dict[str, Any]]]:
        """Send one invocation; the future gets (return value, output binding values) or the function's error."""
        call_id = next(self._ids)
        future: asyncio.Future[tuple[Any, dict[str, Any]]] = asyncio.get_running_loop().create_future()
        try:
            self._send(("invoke", call_id, function, kind, payload))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise TypeError(f"devhost cannot send this invocation's arguments to a worker process: {exc}") from exc
        self._pending[call_id] = future
        return future

    async def stop(self, reason: str, grace_s: float = STOP_GRACE_S) -> None:
        """Ask the worker to finish what it runs and exit; kill it after grace_s."""
        self.exit_reason = self.exit_reason or reason
        self.ready = False
        if self._process is None:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            self._send(("stop",))
        try:
            await asyncio.wait_for(self._process.wait(), grace_s)
        except TimeoutError:
            self._signal_kill()
        await self._finished()

    async def kill(self, reason: str) -> None:
        """End the process now; its running invocations fail with WorkerExitedError(reason)."""
        self.exit_reason = self.exit_reason or reason
        self.ready = False
        self._signal_kill()
        await self._finished()

    def _signal_kill(self) -> None:
        # not Process.kill(): Popen polls first, which can reap the child under asyncio's child watcher
        # (which then reports exit code 255); an unreaped child keeps its pid, so signalling it is safe
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._process.pid, signal.SIGKILL)

    async def _finished(self) -> None:
        if self._reader_task is not None:
            await asyncio.gather(self._reader_task, return_exceptions=True)
        elif self._process is not None:
            await self._process.wait()

    async def _discard(self) -> None:
        if self._process is not None:
            self._signal_kill()
            await self._process.wait()
        if self._writer is not None:
            self._writer.close()

    def _send(self, message: Any) -> None:
        if self._writer is None or self._writer.is_closing():
            raise WorkerExitedError("the worker process is not running")
        data = dumps(message)
        self._writer.write(FRAME_HEADER.pack(len(data)) + data)

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                try:
                    message = await _read(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                if message[0] == "log":
                    _emit(message[1])
                elif message[0] == "done":
                    _, call_id, ok, value, outputs = message
                    future = self._pending.pop(call_id, None)
                    if future is not None and not future.done():
                        if ok:
                            future.set_result((value, outputs))
                        else:
                            future.set_exception(value)
        finally:
            self.ready = False
            assert self._process is not None
            code = await self._process.wait()
            if self._writer is not None:
                self._writer.close()
            reason = self.exit_reason or f"the worker process (pid {self.pid}) exited with code {code}"
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(WorkerExitedError(reason))
            self._pending.clear()
            if self.exit_reason is None:
                log.error("Language Worker Process exited. Pid=%s. python exited with code %s", self.pid, code)
            self.exited.set()


class WorkerPool:
    """FUNCTIONS_WORKER_PROCESS_COUNT worker processes; an exited or timed-out one is replaced."""

    def __init__(self, app_dir: Path, count: int, thread_count: int | None) -> None:
        self.app_dir = app_dir
        self.count = count
        self.thread_count = thread_count
        self.workers: list[WorkerProcess] = []
        self._turn = 0
        self._stopping = False
        self._watchers: set[asyncio.Task[None]] = set()
        self._replaced = asyncio.Event()

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self.workers if w.pid is not None and w.ready]

    async def start(self) -> None:
        self.workers = [WorkerProcess(self.app_dir, self.thread_count) for _ in range(self.count)]
        results = await asyncio.gather(*(w.start() for w in self.workers), return_exceptions=True)
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            await self.stop()
            raise failure
        for worker in self.workers:
            self._watch(worker)

    async def invoke(self, function: str, kind: str, payload: Any) -> tuple[WorkerProcess, asyncio.Future[Any]]:
        """Send the invocation to the next ready worker in turn (waiting while all are being restarted).

        In turn, not to the least busy: the Functions host's dispatcher load balancer counts round the worker
        channels the same way, so a slow invocation holds up its process's share here as in Azure."""
        while True:
            for _ in range(len(self.workers)):
                worker = self.workers[self._turn % len(self.workers)]
                self._turn += 1
                if worker.ready:
                    return worker, worker.invoke(function, kind, payload)
            if self._stopping or not self._watchers:
                raise WorkerExitedError("no worker process is running")
            self._replaced.clear()
            await self._replaced.wait()

    async def restart_after_timeout(self, worker: WorkerProcess, invocation_id: str) -> None:
        """The host's answer to a timed-out invocation: restart the worker process that runs it."""
        if self._stopping or worker not in self.workers or not worker.ready:
            return  # already gone, as when several of its invocations time out together
        log.warning(
            "A function timeout has occurred. Restarting worker process executing invocationId '%s'.", invocation_id
        )
        await worker.kill(f"the worker process was restarted after invocation {invocation_id} timed out")

    async def stop(self) -> None:
        self._stopping = True
        for task in list(self._watchers):
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        await asyncio.gather(
            *(w.stop("devhost is stopping") for w in self.workers if w.pid is not None), return_exceptions=True
        )

    def _watch(self, worker: WorkerProcess) -> None:
        task = asyncio.get_running_loop().create_task(self._replace_when_exited(worker))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def _replace_when_exited(self, worker: WorkerProcess) -> None:
        await worker.exited.wait()
        if self._stopping:
            return
        fresh = WorkerProcess(self.app_dir, self.thread_count)
        self.workers[self.workers.index(worker)] = fresh
        try:
            await fresh.start()
        except Exception as exc:
            log.error("A worker process could not be restarted: %s", exc)
            self._replaced.set()
            return
        log.info("Restart of language worker process(es) completed.")
        self._watch(fresh)
        self._replaced.set()

"""A worker process (FUNCTIONS_WORKER_PROCESS_COUNT > 1): imports the app and runs the invocations the host sends.

Like the Python worker, it runs sync functions on a thread pool of PYTHON_THREADPOOL_THREAD_COUNT threads and
async ones on its event loop, and it sends its log records to the host. The host keeps every trigger (HTTP,
queues, timers, Durable); a worker only runs functions. Frames on the socket are a 4-byte length and a pickle.
"""

from __future__ import annotations

import asyncio
import contextlib
import copyreg
import io
import logging
import os
import pickle
import signal
import socket
import struct
import sys
import threading
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import azure.functions as func

FRAME_HEADER = struct.Struct(">I")
REMOTE_NOTE = "(raised in worker process"  # how the note carrying a worker's traceback begins


class RemoteError(Exception):
    """A function's exception that could not travel back to the host as itself: its type name and text."""

    def __init__(self, text: str, type_name: str = "Exception") -> None:
        super().__init__(text)
        self.type_name = type_name

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteError, (str(self), self.type_name), self.__dict__)


class OutValue(func.Out[Any]):
    """An output binding parameter (`func.Out[...]`); the host reads it after the call."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


def _http_request(
    method: str, url: str, headers: dict[str, str], params: dict[str, str], route: dict[str, str], body: bytes
) -> Any:
    from azure.functions.http import HttpRequest

    return HttpRequest(
        method=method, url=url, headers=headers, params=params, route_params=route, body_type="bytes", body=body
    )


def _reduce_http_request(request: Any) -> tuple[Any, ...]:
    # the SDK's request keeps its parameters in mappingproxy objects, which do not pickle
    fields = (dict(request.headers), dict(request.params), dict(request.route_params))
    return _http_request, (request.method, request.url, *fields, request.get_body())


def dumps(message: Any) -> bytes:
    """Pickle a message, HTTP requests included."""
    from azure.functions.http import HttpRequest

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, HttpRequest: _reduce_http_request}
    pickler.dump(message)
    return buffer.getvalue()


class Channel:
    """Framed pickles over a blocking socket; send() may be called from any thread."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._send_lock = threading.Lock()

    def send(self, message: Any) -> None:
        data = dumps(message)
        with self._send_lock:
            self._sock.sendall(FRAME_HEADER.pack(len(data)) + data)

    def recv(self) -> Any:
        (size,) = FRAME_HEADER.unpack(self._exactly(FRAME_HEADER.size))
        return pickle.loads(self._exactly(size))

    def _exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        while size:
            chunk = self._sock.recv(min(size, 1 << 20))
            if not chunk:
                raise EOFError("the host closed the channel")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)


def portable_error(error: BaseException) -> BaseException:
    """The exception itself if it survives a pickle round trip, else a RemoteError with its type and text.

    Either way it carries this process's traceback as a note, since tracebacks do not pickle.
    """
    where = "".join(traceback.format_exception(error)).rstrip()
    try:
        error.add_note(f"{REMOTE_NOTE} {os.getpid()})\n{where}")
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        remote = RemoteError(str(error), type(error).__name__)
        remote.add_note(f"{REMOTE_NOTE} {os.getpid()})\n{where}")
        return remote


class _ForwardingHandler(logging.Handler):
    """Sends each record to the host, formatted here since arguments and tracebacks may not pickle."""

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = dict(record.__dict__)
            fields["msg"] = record.getMessage()
            fields["args"] = None
            if record.exc_info:
                fields["exc_text"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            fields["exc_info"] = None
            fields["stack_info"] = record.stack_info
            safe = {k: v for k, v in fields.items() if _picklable(v)}
            self._channel.send(("log", safe))
        except Exception:
            self.handleError(record)


def _picklable(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


class Worker:
    """Runs invocations by function name; results go back on the channel as they finish."""

    def __init__(self, channel: Channel, app_dir: Path, thread_count: int | None) -> None:
        from devhost.indexing import index_app

        self._channel = channel
        self.functions = {info.name: info for info in index_app(app_dir)}
        self._pool = ThreadPoolExecutor(thread_count, thread_name_prefix="devhost-worker")
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="devhost-worker-loop", daemon=True).start()

    def serve(self) -> None:
        while True:
            message = self._channel.recv()
            if message[0] == "stop":
                self._pool.shutdown(wait=True)
                return
            _, call_id, name, kind, payload = message
            try:
                self._start(call_id, name, kind, payload)
            except Exception as exc:
                self._reply(call_id, False, portable_error(exc), {})

    def _start(self, call_id: int, name: str, kind: str, payload: Any) -> None:
        info = self.functions[name]
        if kind == "orchestration":
            from azure.functions import OrchestrationContext

            def episode() -> str:
                # the SDK handle takes the worker's OrchestrationContext as its one argument
                return str(info.fn(OrchestrationContext(payload)))

            self._pool.submit(episode).add_done_callback(lambda f: self._finish(call_id, f, {}))
            return
        arguments: dict[str, Any] = payload
        outputs = {k: v for k, v in arguments.items() if isinstance(v, OutValue)}
        if info.is_async:
            future = asyncio.run_coroutine_threadsafe(info.fn(**arguments), self._loop)
        else:
            future = self._pool.submit(info.fn, **arguments)
        future.add_done_callback(lambda f: self._finish(call_id, f, outputs))

    def _finish(self, call_id: int, future: Future[Any], outputs: dict[str, Any]) -> None:
        if future.cancelled():  # the host must hear back about every invocation it sent
            self._reply(call_id, False, RemoteError("the invocation was cancelled", "CancelledError"), {})
            return
        error = future.exception()
        if error is not None:
            self._reply(call_id, False, portable_error(error), {})
            return
        self._reply(call_id, True, future.result(), {k: v.get() for k, v in outputs.items()})

    def _reply(self, call_id: int, ok: bool, value: Any, outputs: dict[str, Any]) -> None:
        try:
            self._channel.send(("done", call_id, ok, value, outputs))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            problem = RemoteError(f"devhost cannot send the function's result back to the host: {exc}", "TypeError")
            self._channel.send(("done", call_id, False, problem, {}))


def _configure_logging(channel: Channel, levels: dict[str, int]) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_ForwardingHandler(channel))
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    # Ctrl-C reaches the whole process group; the host decides when its workers stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = Channel(socket.socket(fileno=int(args[-1])))
    settings: dict[str, Any] = channel.recv()
    sys.path[:] = settings["sys_path"]
    _configure_logging(channel, settings["log_levels"])
    try:
        worker = Worker(channel, Path(settings["app_dir"]), settings["thread_count"])
    except BaseException as exc:
        channel.send(("failed", "".join(traceback.format_exception(exc)).rstrip()))
        sys.stdout.flush()
        os._exit(1)
    channel.send(("ready", os.getpid(), sorted(worker.functions)))
    with contextlib.suppress(EOFError, OSError):
        worker.serve()
    # the host has gone or asked us to stop; invocations still running die with the process, as in Azure
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

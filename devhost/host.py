"""DevHost: indexes an app and serves it (HTTP, timers, queues, Durable) on a background loop; one concern, the host's
lifecycle, which starts and stops the parts that live in modules of their own (trigger_wiring.py and durable_wiring.py
connect the functions to their triggers)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import logging
import os
import socket
import sys
import threading
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from aiohttp import web

from devhost import durable_wiring, trigger_wiring
from devhost.bindings import (
    REASON_HTTP,
    Dispatcher,
    is_disabled,
)
from devhost.durable.binding import WEBHOOK_PATH
from devhost.durable.engine import DurableEngine
from devhost.host_json import function_timeout_s, load_host_json
from devhost.host_keys import HostKeys, host_key_required, is_loopback, key_middleware, load_host_keys
from devhost.http_server import MAX_BODY, HttpFront
from devhost.indexing import (
    HTTP_TRIGGER,
    FunctionInfo,
    index_app,
)
from devhost.invocation import (
    PROCESS_COUNT_SETTING,
    THREAD_COUNT_SETTING,
    Invoker,
    process_count_setting,
    was_logged,
)
from devhost.loop_watch import LoopWatch
from devhost.queues import QueueOptions
from devhost.settings import (
    EnvironmentPatch,
    extension_section,
    load_local_settings,
)

log = logging.getLogger("devhost")
KEYS_NOTICE = (
    "Function keys are not checked: HTTP functions accept every request whatever their auth level, "
    "with or without ?code= or x-functions-key; host keys, when required, guard only the Durable and admin endpoints."
)


def url_host(address: str) -> str:
    """The host part of a URL that reaches a server bound to `address` from this machine."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "127.0.0.1"  # a host name; "" binds every interface
    if ip.is_unspecified:  # 0.0.0.0 and :: accept connections, but are no address to connect to
        return "127.0.0.1" if ip.version == 4 else "[::1]"
    return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed


def connect_url(address: str, port: int) -> str:
    return f"http://{url_host(address)}:{port}"


class DevHost:
    """Runs `function_app.py` from app_dir the way the Functions host and Python worker would."""

    def __init__(
        self,
        app_dir: Path,
        env: dict[str, str] | None = None,
        port: int = 0,
        durable_store_path: Path | None = None,
        *,
        state_dir: Path | None = None,
        host: str = "127.0.0.1",
        require_host_key: bool | None = None,
    ) -> None:
        self.app_dir = Path(app_dir).resolve()
        self.env = dict(env or {})
        self.port = port
        self.durable_store_path = durable_store_path
        self.state_dir = state_dir  # timer schedule status and host keys; None keeps them in memory
        self.bind_host = host
        self.require_host_key = require_host_key  # None: required iff the bind address is not loopback
        self.host_keys: HostKeys | None = None  # set by start() when keys are required
        self.functions: list[FunctionInfo] = []
        self.host_json: dict[str, Any] = {}
        self.engine: DurableEngine | None = None  # for tests: direct access to the Durable engine
        self.invoker: Invoker | None = None  # set while serving: where and how functions run
        self.routes: dict[str, str] = {}  # function name -> route template with prefix
        self._env = EnvironmentPatch()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sock: socket.socket | None = None
        self._rpc_sock: socket.socket | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._saved_path: list[str] | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def base_url(self) -> str:
        return connect_url(self.bind_host, self.port)

    @property
    def host_key_required(self) -> bool:
        return host_key_required(self.bind_host, self.require_host_key)

    @property
    def master_key(self) -> str | None:
        """The key that opens the Durable and admin endpoints; None while they are open."""
        return self.host_keys.master if self.host_keys is not None else None

    def start(self, timeout_s: float = 60.0) -> DevHost:
        """Index the app and start serving; returns once HTTP is listening."""
        if self._thread is not None:
            raise RuntimeError("DevHost already started")
        self._env.apply(self.env, load_local_settings(self.app_dir))
        self._saved_path = list(sys.path)
        try:
            # AzureFunctionsJobHost__* app settings override host.json, from the environment or local settings
            self.host_json = load_host_json(self.app_dir, os.environ)
            family, _, _, _, address = socket.getaddrinfo(
                self.bind_host or None, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            self._sock = socket.socket(family, socket.SOCK_STREAM)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind(address)
            self.port = int(self._sock.getsockname()[1])
            # the app's host name and port, as Azure Functions and Core Tools set it: known before the app is read
            self._env.set_host_name(f"{url_host(self.bind_host)}:{self.port}")
            self.functions = [f for f in index_app(self.app_dir) if not is_disabled(f.name)]
            # after the settings are applied: DEVHOST_MASTER_KEY may come from local.settings.json
            self.host_keys = load_host_keys(self.state_dir, os.environ) if self.host_key_required else None
            self._ready.clear()
            self._thread = threading.Thread(target=self._thread_main, name="devhost", daemon=True)
            self._thread.start()
            if not self._ready.wait(timeout_s):
                raise TimeoutError(f"devhost did not start within {timeout_s:.0f} s")
            if self._error is not None:
                raise self._error
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop serving, wait for the loop to finish, and restore the environment."""
        if self._thread is not None:
            if self._loop is not None and self._stop is not None and self._thread.is_alive():
                with contextlib.suppress(RuntimeError):  # the loop may be closing on its own
                    self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout_s)
            self._thread = None
        for sock in (self._sock, self._rpc_sock):
            if sock is not None:
                sock.close()
        self._sock = self._rpc_sock = None
        folder = str(self.app_dir)
        if self._saved_path is not None and folder not in self._saved_path:
            # indexing put the app folder first on sys.path; take back only that
            while folder in sys.path:
                sys.path.remove(folder)
        self._saved_path = None
        self._env.restore()

    def __enter__(self) -> DevHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def listing(self) -> str:
        """Functions with their trigger and URL, like Core Tools' start-up list."""
        lines = ["Functions:", ""]
        for info in self.functions:
            if info.trigger_type == HTTP_TRIGGER:
                methods = ",".join(info.http_methods)
                lines.append(f"\t{info.name}: [{methods}] {self.base_url}/{self.routes[info.name]}")
            else:
                lines.append(f"\t{info.name}: {info.trigger_type}")
            lines.append("")
        return "\n".join(lines)

    # ---- inside the host thread -------------------------------------------------------
    def _thread_main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surface start-up failures to start()
            self._error = self._error or exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        watch = LoopWatch(self._loop).start()
        invoker = self.invoker = Invoker(
            str(self.app_dir),
            worker_processes=process_count_setting(),
            function_timeout_s=function_timeout_s(self.host_json),
        )
        runners: list[web.AppRunner] = []
        engine: DurableEngine | None = None
        try:
            await invoker.start()
            self._log_workers(invoker)
            engine = self.engine = durable_wiring.create_engine(
                self.functions, invoker, self.host_json, self.base_url, self.durable_store_path
            )
            if engine is not None and self.host_keys is not None:
                engine.webhook_code = self.host_keys.durable
                await self._serve_rpc(engine, runners)
            queue_options = QueueOptions.from_host_json(extension_section(self.host_json, "queues"))
            dispatcher = Dispatcher(invoker, queue_options, engine.client_binding_json if engine is not None else None)
            guards = [key_middleware(self.host_keys)] if self.host_keys is not None else []
            app = web.Application(client_max_size=MAX_BODY, middlewares=guards)
            if engine is not None:
                engine.add_routes(app)
            router, routes = trigger_wiring.http_router(self.functions, self.host_json)
            self.routes.update(routes)
            HttpFront(
                router,
                lambda i, r: dispatcher.run(i, r, REASON_HTTP),
                trigger_wiring.admin_calls(self.functions, dispatcher),
                self._spawn,
            ).install(app)
            if engine is not None:  # resume stored instances before anyone can call in
                await engine.start()
            runner = web.AppRunner(app, access_log=None)
            runners.append(runner)
            await runner.setup()
            assert self._sock is not None
            await web.SockSite(runner, self._sock).start()
            for listener in itertools.chain(
                trigger_wiring.timer_listeners(self.functions, dispatcher, self.state_dir),
                trigger_wiring.queue_listeners(self.functions, dispatcher, queue_options),
            ):
                self._spawn(listener, quiet=False)
            log.info("%s", KEYS_NOTICE)
            self._log_key_mode()
            self._ready.set()
            await self._stop.wait()
        except BaseException as exc:
            self._error = exc
        finally:
            await self._shutdown(runners, engine, invoker)
            watch.stop()

    async def _serve_rpc(self, engine: DurableEngine, runners: list[web.AppRunner]) -> None:
        """The Durable client API on a loopback-only port, without keys, for the SDK inside functions.

        The extension does the same in Azure (its local RPC listener), which is why the Python SDK's
        client calls, all sent to `rpcBaseUrl`, carry no key.
        """
        app = web.Application(client_max_size=MAX_BODY)
        engine.add_routes(app)
        runner = web.AppRunner(app, access_log=None)
        runners.append(runner)
        await runner.setup()
        self._rpc_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._rpc_sock.bind(("127.0.0.1", 0))
        await web.SockSite(runner, self._rpc_sock).start()
        engine.rpc_base_url = f"http://127.0.0.1:{self._rpc_sock.getsockname()[1]}{WEBHOOK_PATH}/"

    @staticmethod
    def _log_workers(invoker: Invoker) -> None:
        where = (
            f"{invoker.worker_processes} worker processes"
            if invoker.worker_processes > 1
            else "devhost's own process (one worker)"
        )
        log.info(
            "Functions run in %s (%s), sync ones on %d threads each (%s)",
            where,
            PROCESS_COUNT_SETTING,
            invoker.pool_size,
            THREAD_COUNT_SETTING,
        )

    def _log_key_mode(self) -> None:
        """One line saying whether the Durable and admin endpoints need a key, and where it is (never the key)."""
        where = "loopback" if is_loopback(self.bind_host) else "not loopback"
        if self.host_keys is not None:
            log.info(
                "Bound to %s (%s): Durable and admin endpoints require the host key (%s) from %s",
                self.bind_host,
                where,
                "x-functions-key or ?code=",
                self.host_keys.source,
            )
        elif is_loopback(self.bind_host):
            log.info("Durable and admin endpoints are open: the host is bound to loopback")
        else:
            log.warning(
                "Durable and admin endpoints are open although the host is bound to %s (not loopback): "
                "host keys are switched off (require_host_key=False)",
                self.bind_host,
            )

    async def _shutdown(self, runners: list[web.AppRunner], engine: DurableEngine | None, invoker: Invoker) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        if engine is not None:
            await engine.stop()
            engine.store.close()
        await durable_wiring.release_sdk_session()
        for runner in reversed(runners):
            await runner.cleanup()
        await invoker.aclose()

    def _spawn(self, work: Awaitable[Any], *, quiet: bool = True) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception as exc:
                if not (quiet and was_logged(exc)):
                    log.exception("devhost background task failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

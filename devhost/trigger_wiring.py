"""Connects indexed HTTP, timer and queue functions to their triggers: the routes, the admin calls, the listeners."""

from __future__ import annotations

from collections.abc import Awaitable, Iterator, Mapping
from pathlib import Path
from typing import Any

from azure.functions.queue import QueueMessage as FunctionMessage
from azure.functions.timer import TimerRequest

from devhost.bindings import Dispatcher, manual_queue_message, queue_argument
from devhost.http_server import AdminCall
from devhost.indexing import HTTP_TRIGGER, QUEUE_TRIGGER, TIMER_TRIGGER, FunctionInfo
from devhost.ncrontab import parse_schedule
from devhost.queues import QueueListener, QueueOptions, check_queue_name
from devhost.routing import Router, join_prefix
from devhost.settings import extension_section, resolve, storage_connection_string
from devhost.timers import ScheduleMonitor, TimerListener


def http_router(functions: list[FunctionInfo], host_json: dict[str, Any]) -> tuple[Router, dict[str, str]]:
    """The router of the HTTP functions, and each one's route template with the prefix, by function name."""
    prefix = extension_section(host_json, "http").get("routePrefix", "api")
    router = Router()
    routes: dict[str, str] = {}
    for info in functions:
        if info.trigger_type == HTTP_TRIGGER:
            template = join_prefix(str(prefix), str(info.attribute("route", info.name)))
            router.add(template, info.http_methods, info)
            routes[info.name] = template
    return router, routes


def admin_calls(functions: list[FunctionInfo], dispatcher: Dispatcher) -> Mapping[str, tuple[FunctionInfo, AdminCall]]:
    async def timer(info: FunctionInfo, _text: str) -> None:
        await dispatcher.run(info, TimerRequest(past_due=False), "Manually invoked")

    async def queue(info: FunctionInfo, text: str) -> None:
        message = manual_queue_message(text)
        await dispatcher.run(info, queue_argument(info, message), "Manually invoked")

    calls: dict[str, AdminCall] = {TIMER_TRIGGER: timer, QUEUE_TRIGGER: queue}
    return {i.name: (i, calls[i.trigger_type]) for i in functions if i.trigger_type in calls}


def timer_listeners(
    functions: list[FunctionInfo], dispatcher: Dispatcher, state_dir: Path | None
) -> Iterator[Awaitable[None]]:
    """Each timer function's listener, to be run until the host stops; one at a time, as the host starts it."""
    monitor = ScheduleMonitor(state_dir / "timers" if state_dir else None)
    for info in functions:
        if info.trigger_type != TIMER_TRIGGER:
            continue
        schedule = parse_schedule(resolve(str(info.attribute("schedule"))))

        async def invoke(request: TimerRequest, info: FunctionInfo = info) -> Any:
            return await dispatcher.run(info, request, "Timer fired")

        listener = TimerListener(
            info.name,
            schedule,
            run_on_startup=bool(info.attribute("run_on_startup", False)),
            use_monitor=bool(info.attribute("use_monitor", True)),
            monitor=monitor,
            invoke=invoke,
        )
        yield listener.run()


def queue_listeners(
    functions: list[FunctionInfo], dispatcher: Dispatcher, options: QueueOptions
) -> Iterator[Awaitable[None]]:
    """Each queue function's listener, to be run until the host stops; one at a time, as the host starts it."""
    for info in functions:
        if info.trigger_type != QUEUE_TRIGGER:
            continue
        queue_name = check_queue_name(resolve(str(info.attribute("queue_name"))))
        connection = storage_connection_string(info.attribute("connection"))

        async def invoke(message: FunctionMessage, info: FunctionInfo = info, queue_name: str = queue_name) -> Any:
            reason = f"New queue message detected on '{queue_name}'."
            return await dispatcher.run(info, queue_argument(info, message), reason)

        yield _run_queue(QueueListener(info.name, connection, queue_name, options, invoke))


async def _run_queue(listener: QueueListener) -> None:
    try:
        await listener.run()
    finally:
        await listener.close()

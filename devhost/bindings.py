"""Builds each trigger's arguments and applies output bindings after an invocation."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import azure.functions as func
from azure.functions.queue import QueueMessage as FunctionMessage

from devhost.indexing import HTTP_TRIGGER, FunctionInfo
from devhost.invocation import Invoker, annotation_of, is_type
from devhost.queues import QueueOptions, check_queue_name, send_messages
from devhost.settings import resolve, storage_connection_string
from devhost.worker import OutValue

REASON_HTTP = "This function was programmatically called via the host APIs."


def is_disabled(name: str) -> bool:
    """`AzureWebJobs.<name>.Disabled` set to true/1 switches a function off, as in Azure."""
    value = os.environ.get(f"AzureWebJobs.{name}.Disabled", "")
    return value.strip().lower() in ("true", "1")


def queue_argument(info: FunctionInfo, message: func.QueueMessage) -> Any:
    """A queue trigger parameter gets str, bytes or the QueueMessage, per its annotation."""
    annotation = annotation_of(info.fn, info.trigger_param)
    if is_type(annotation, str):
        return message.get_body().decode("utf-8")
    if is_type(annotation, bytes):
        return message.get_body()
    return message


def manual_queue_message(text: str) -> FunctionMessage:
    return FunctionMessage(id=str(uuid.uuid4()), body=text.encode("utf-8"), dequeue_count=1)


class Dispatcher:
    """Runs a function with its trigger value plus the durable client and output bindings."""

    def __init__(self, invoker: Invoker, queue_options: QueueOptions, client_json: Callable[[], str] | None) -> None:
        self._invoker = invoker
        self._queue_options = queue_options
        self._client_json = client_json

    async def run(self, info: FunctionInfo, trigger_value: Any, reason: str) -> Any:
        kwargs: dict[str, Any] = {info.trigger_param: trigger_value}
        client = info.durable_client_param
        if client is not None:
            if self._client_json is None:
                raise RuntimeError("the durable client binding needs the Durable engine")
            kwargs[client] = self._client_json()
        outputs = self._invoker.make_outputs(info)
        kwargs.update(outputs)
        result = await self._invoker.call(info, kwargs, reason=reason)
        await self._send_queue_outputs(info, outputs, result)
        if info.trigger_type == HTTP_TRIGGER:
            for binding in info.output_bindings():
                if binding.type == "http" and binding.name != "$return":
                    return outputs[binding.name].get() if binding.name in outputs else None
        return result

    async def _send_queue_outputs(self, info: FunctionInfo, outputs: dict[str, OutValue], result: Any) -> None:
        for binding in info.output_bindings():
            if binding.type != "queue":
                continue
            value = (
                result
                if binding.name == "$return"
                else (outputs[binding.name].get() if binding.name in outputs else None)
            )
            if value is None:
                continue
            items = value if isinstance(value, list | tuple) else [value]
            texts: list[str | bytes] = [
                item.get_body() if isinstance(item, func.QueueMessage) else item for item in items
            ]
            await send_messages(
                storage_connection_string(binding.connection),
                check_queue_name(resolve(binding.queue_name)),
                texts,
                self._queue_options.base64,
            )

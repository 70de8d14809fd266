"""Storage queue triggers: polling with back-off, batches, leases kept while functions run, retries, poison."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import random
import re
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions.queue import QueueMessage as FunctionMessage
from azure.storage.queue import QueueMessage as StorageMessage
from azure.storage.queue.aio import QueueClient

from devhost.invocation import was_logged
from devhost.settings import SettingsError, parse_timespan

log = logging.getLogger("devhost")

MIN_POLL_S = 0.1
# the host's default is 1 minute, but 2 s when it runs in development, as Core Tools does
DEV_MAX_POLL_S = 2.0
# A fetched message stays hidden this long, and the host renews that halfway through for as long as its
# function runs (the queues extension's 10 minutes), so a long invocation never lets it reappear.
LEASE_S = 600.0
_QUEUE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")


@dataclass(frozen=True)
class QueueOptions:
    """host.json `extensions.queues`, with the host's defaults."""

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_dequeue_count: int = 5
    visibility_timeout_s: float = 0.0
    max_polling_interval_s: float = DEV_MAX_POLL_S
    base64: bool = True

    @classmethod
    def from_host_json(cls, section: Mapping[str, Any]) -> QueueOptions:
        batch = int(section.get("batchSize", 16))
        if not 1 <= batch <= 32:
            raise SettingsError("extensions.queues.batchSize must be between 1 and 32")
        poll = section.get("maxPollingInterval")
        encoding = str(section.get("messageEncoding", "base64")).lower()
        if encoding not in ("base64", "none"):
            raise SettingsError("extensions.queues.messageEncoding must be base64 or none")
        return cls(
            batch_size=batch,
            new_batch_threshold=int(section.get("newBatchThreshold", batch // 2)),
            max_dequeue_count=int(section.get("maxDequeueCount", 5)),
            visibility_timeout_s=parse_timespan(section.get("visibilityTimeout", 0)),
            # a bare number is milliseconds, as in host.json
            max_polling_interval_s=max(MIN_POLL_S, parse_timespan(poll, int_unit_s=0.001))
            if poll is not None
            else DEV_MAX_POLL_S,
            base64=encoding == "base64",
        )


def queue_client(connection_string: str, queue_name: str) -> QueueClient:
    """A queue's client. Its transport reads the environment (netrc, proxies) at every request only where the
    environment names a proxy: otherwise each poll of each queue paid a netrc lookup on a thread and a walk of
    every variable of the environment, for nothing."""
    uses_proxy = bool(urllib.request.getproxies_environment())
    return QueueClient.from_connection_string(connection_string, queue_name, use_env_settings=uses_proxy)


def check_queue_name(name: str) -> str:
    if not _QUEUE_NAME.fullmatch(name):
        raise SettingsError(f"invalid queue name {name!r}: 3-63 lowercase letters, digits, dashes")
    return name


def decode_body(text: str, use_base64: bool) -> bytes | None:
    """Message bytes; None when base64 is expected but the text is not base64."""
    if not use_base64:
        return text.encode("utf-8")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def encode_body(data: str | bytes, use_base64: bool) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii") if use_base64 else raw.decode("utf-8")


def to_function_message(message: StorageMessage, body: bytes) -> FunctionMessage:
    return FunctionMessage(
        id=message.id,
        body=body,
        dequeue_count=message.dequeue_count,
        expiration_time=message.expires_on,
        insertion_time=message.inserted_on,
        time_next_visible=message.next_visible_on,
        pop_receipt=message.pop_receipt,
    )


class QueueListener:
    """Polls one queue for one function; failed messages return after visibilityTimeout."""

    def __init__(
        self,
        function_name: str,
        connection_string: str,
        queue_name: str,
        options: QueueOptions,
        invoke: Callable[[FunctionMessage], Awaitable[object]],
        *,
        lease_s: float = LEASE_S,
    ) -> None:
        self.function_name = function_name
        self.queue_name = queue_name
        self.options = options
        self.lease_s = lease_s
        self.renewals = 0  # lease renewals so far, all messages together
        self._invoke = invoke
        self._queue = queue_client(connection_string, queue_name)
        self._poison = queue_client(connection_string, f"{queue_name}-poison")
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()

    async def close(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self._queue.close()
        await self._poison.close()

    async def run(self) -> None:
        delay = MIN_POLL_S
        while True:
            if len(self._in_flight) > self.options.new_batch_threshold:
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            try:
                batch = await self._fetch()
            except ResourceNotFoundError:
                batch = []  # the queue may not exist yet; the host keeps polling
            except Exception as exc:
                log.warning("queue '%s': polling failed: %s", self.queue_name, exc)
                batch = []
            for message in batch:
                task = asyncio.create_task(self._guarded(message))
                self._in_flight.add(task)
                task.add_done_callback(self._done)
            if batch:
                delay = MIN_POLL_S
                continue
            await asyncio.sleep(delay)
            # empty queue: back off exponentially with some jitter up to the maximum
            delay = min(self.options.max_polling_interval_s, delay * 2 * random.uniform(0.8, 1.2))

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slot_freed.set()

    async def _fetch(self) -> list[StorageMessage]:
        pager = self._queue.receive_messages(
            max_messages=self.options.batch_size, visibility_timeout=max(1, round(self.lease_s))
        )
        return [message async for message in pager]

    async def _guarded(self, message: StorageMessage) -> None:
        try:
            await self._process(message)
        except Exception:
            log.exception("queue '%s': handling message %s failed", self.queue_name, message.id)

    async def _process(self, message: StorageMessage) -> None:
        body = decode_body(str(message.content), self.options.base64)
        if body is None:
            # retrying cannot fix an encoding mismatch, so the host poisons it straight away
            log.error(
                "queue '%s': message %s is not valid base64 (messageEncoding is base64); moving it to '%s-poison'",
                self.queue_name,
                message.id,
                self.queue_name,
            )
            await self._to_poison(message)
            return
        if message.dequeue_count and message.dequeue_count > self.options.max_dequeue_count:
            await self._to_poison(message)
            return
        finished = asyncio.Event()
        renewing = asyncio.create_task(self._keep_leased(message, finished))
        error: Exception | None = None
        try:
            await self._invoke(to_function_message(message, body))
        except Exception as exc:
            error = exc
        finally:
            # not cancelled: an update in flight must land, since it changes the pop receipt used below
            finished.set()
            await renewing
        if error is not None:
            if not was_logged(error):
                log.error("queue '%s': message %s failed: %s", self.queue_name, message.id, error, exc_info=error)
            await self._failed(message)
            return
        # already gone if the lease lapsed while the function ran: nothing left to delete
        with contextlib.suppress(ResourceNotFoundError):
            await self._queue.delete_message(message.id, message.pop_receipt)

    async def _keep_leased(self, message: StorageMessage, finished: asyncio.Event) -> None:
        """Renew the message's invisibility halfway through each lease until its function has finished."""
        while True:
            try:
                await asyncio.wait_for(finished.wait(), self.lease_s / 2)
                return
            except TimeoutError:
                pass
            try:
                updated = await self._queue.update_message(
                    message.id, message.pop_receipt, visibility_timeout=max(1, round(self.lease_s))
                )
            except ResourceNotFoundError:
                return  # deleted meanwhile, or the lease was lost: nothing to keep
            except Exception as exc:  # a transient failure: the next renewal may succeed in time
                log.warning("queue '%s': renewing the lease of message %s failed: %s", self.queue_name, message.id, exc)
                continue
            message.pop_receipt = updated.pop_receipt
            message.next_visible_on = updated.next_visible_on
            self.renewals += 1

    async def _failed(self, message: StorageMessage) -> None:
        if (message.dequeue_count or 0) >= self.options.max_dequeue_count:
            log.warning(
                "Message has reached MaxDequeueCount of %d. Moving message to queue '%s'.",
                self.options.max_dequeue_count,
                f"{self.queue_name}-poison",
            )
            await self._to_poison(message)
            return
        with contextlib.suppress(ResourceNotFoundError):
            await self._queue.update_message(
                message.id, message.pop_receipt, visibility_timeout=int(self.options.visibility_timeout_s)
            )

    async def _to_poison(self, message: StorageMessage) -> None:
        with contextlib.suppress(ResourceExistsError):
            await self._poison.create_queue()
        # the raw text is copied, so the poison copy keeps the original encoding
        await self._poison.send_message(str(message.content))
        with contextlib.suppress(ResourceNotFoundError):
            await self._queue.delete_message(message.id, message.pop_receipt)


async def send_messages(connection_string: str, queue_name: str, values: list[str | bytes], use_base64: bool) -> None:
    """What a `queue` output binding does with the values a function set."""
    async with queue_client(connection_string, queue_name) as client:
        with contextlib.suppress(ResourceExistsError):
            await client.create_queue()
        for value in values:
            await client.send_message(encode_body(value, use_base64))

"""What a function's `context` parameter receives, as the host gives it: its ids and the host span's W3C trace."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def host_trace(headers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The W3C traceparent and tracestate of the host's span of an invocation, as the host hands them to a function.

    The host's span of an HTTP request continues the caller's `traceparent` (same trace, a span of its own, the
    caller's sampling flag); any other invocation begins a trace, sampled, since devhost keeps every trace.
    devhost exports no span of its own: the function's spans name this one as their parent, as they do in Azure,
    where the host's span is exported by the host.
    """
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    given = TRACEPARENT.match(lowered.get("traceparent", "").strip().lower())
    span_id = secrets.token_hex(8)
    whole = given is not None and (given[1] != "00" or len(lowered["traceparent"].strip()) == 55)
    if given and whole and given[1] != "ff" and int(given[2], 16) and int(given[3], 16):
        return f"00-{given[2]}-{span_id}-{given[4]}", lowered.get("tracestate", "")
    return f"00-{secrets.token_hex(16)}-{span_id}-01", ""


@dataclass(frozen=True)
class HostTraceContext:
    """The trace a function's context names, as the worker's (azure.functions keeps its abstract class private)."""

    trace_parent: str
    trace_state: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NoRetries:
    """The retry context of an invocation devhost does not retry."""

    retry_count: int = 0
    max_retry_count: int = 0
    exception: Any = None


class InvocationContext(func.Context):
    """What a function's `context` parameter receives."""

    _local = threading.local()

    def __init__(
        self,
        invocation_id: str,
        function_name: str,
        function_directory: str,
        trace: tuple[str, str] | None = None,
    ) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._trace = trace or host_trace()

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
    def trace_context(self) -> Any:
        return HostTraceContext(*self._trace)

    @property
    def retry_context(self) -> Any:
        return NoRetries()

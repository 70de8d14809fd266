"""Traces and logs with OpenTelemetry: where they go, how many are kept, and the spans the worker opens.

Where: Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set (with the managed identity when
APPLICATIONINSIGHTS_AUTHENTICATION_STRING says `Authorization=AAD`), else an OTLP/HTTP collector when the standard
OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set, else nowhere: spans are then the API's no-op ones.
How many: TELEMETRY_SAMPLING_RATIO of the traces begun here (all by default), parent-based, so a trace is kept or
dropped whole; the distro's own default (a rate limit of a few traces a second) would cut provisioning traces apart.

The Functions host (host.json `telemetryMode: OpenTelemetry`) reports each invocation itself - the HTTP request,
continuing its caller's `traceparent` - and hands the worker that span's context (`context.trace_context`). The
worker's spans are its children, never a second request: an HTTP request's span is an internal one. Work that
carries its own trace continues that one instead: a queue message (its body carries `traceparent`, since
storage-queue triggers carry no trace context; the host's span of the invocation is linked), and an activity (the
`traceparent` its orchestration's start put in the input). Every Azure SDK call has azure-core's own span. The
ids of the work - tenant, Cloud PC, Spot Group, image set - are put on every span opened inside it, the SDK's
included, and on every log record; nothing else of a request or a message is, so no secret or token reaches an
attribute.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.settings import Settings

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
# the work's ids as the app's payloads name them, and the span/log attribute each becomes
ID_ATTRIBUTES = {
    "tenantId": "cloudpc.tenant_id",
    "cloudPcId": "cloudpc.cloud_pc_id",
    "spotGroupId": "cloudpc.spot_group_id",
    "imageSetId": "cloudpc.image_set_id",
}
SERVICE_NAME = "cloudpc-provisioning"
# what Azure Monitor's distro would instrument besides the Azure SDK: the SDK's spans already cover every call
# the app makes (requests under azure-core would only duplicate them), and the app uses no web framework or DB API
NOT_INSTRUMENTED = ("django", "fastapi", "flask", "psycopg2", "requests", "urllib", "urllib3")

_ids: ContextVar[Mapping[str, str]] = ContextVar("telemetry_ids")
_propagator = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("cloudpc")
_configured: str | None = None
F = TypeVar("F", bound=Callable[..., Any])


class HostTrace(Protocol):
    @property
    def trace_parent(self) -> str: ...
    @property
    def trace_state(self) -> str: ...


class Invocation(Protocol):
    """A function's `context` parameter (azure.functions.Context) as far as traces go: the host's span of the call."""

    @property
    def trace_context(self) -> HostTrace: ...


class IdsOnSpans(SpanProcessor):
    """Every span started inside a piece of work gets the work's ids, the Azure SDK's and azure-identity's too."""

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        ids = _ids.get({})
        for key, value in ids.items():
            span.set_attribute(ID_ATTRIBUTES[key], value)
        if not ids:  # a thread the SDK started (an LRO poller) carries the trace context but not the ids: inherit
            parent = getattr(trace.get_current_span(parent_context), "attributes", None) or {}
            for attribute in ID_ATTRIBUTES.values():
                if attribute in parent:
                    span.set_attribute(attribute, parent[attribute])

    def on_end(self, span: ReadableSpan) -> None:
        pass


class IdsOnLogs(logging.Filter):
    """Log records carry the trace and span ids and the work's ids (exported as the record's attributes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = trace.format_trace_id(context.trace_id)
            record.span_id = trace.format_span_id(context.span_id)
        for key, value in _ids.get({}).items():
            setattr(record, ID_ATTRIBUTES[key], value)
        return True


def configure(settings: Settings) -> str:
    """Send traces and logs where the settings say, once per process: "azureMonitor", "otlp" or "off"."""
    global _configured
    if _configured is None:
        if settings.applicationinsights_connection_string is not None:
            _configure_azure_monitor(settings)
            _configured = "azureMonitor"
        elif settings.otel_exporter_otlp_endpoint or settings.otel_exporter_otlp_traces_endpoint:
            _configure_otlp(settings)
            _configured = "otlp"
        else:
            _configured = "off"
    return _configured


def sampler(settings: Settings) -> Sampler:
    """The share of traces begun here that is kept; a span with a parent follows its parent's decision."""
    return ParentBased(TraceIdRatioBased(settings.telemetry_sampling_ratio))


def _configure_azure_monitor(settings: Settings) -> None:
    from azure.identity import ManagedIdentityCredential
    from azure.monitor.opentelemetry import configure_azure_monitor
    from opentelemetry.sdk.resources import Resource

    assert settings.applicationinsights_connection_string is not None
    chosen = sampler(settings)
    configured = trace.get_tracer_provider()
    if isinstance(configured, TracerProvider):
        # PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: the Python worker ran the distro itself before loading the
        # app, and a global provider is set only once; so the app joins that pipeline instead of a second one
        _join(configured, chosen)
        _filter_exported_logs()
        return
    auth = settings.applicationinsights_authentication_string or ""
    options: dict[str, Any] = {}
    if "authorization=aad" in auth.lower():  # local auth is off on the resource: the identity sends telemetry
        client_id = next((p.split("=", 1)[1] for p in auth.split(";") if p.lower().startswith("clientid=")), None)
        options["credential"] = ManagedIdentityCredential(client_id=client_id)
    configure_azure_monitor(
        connection_string=settings.applicationinsights_connection_string.get_secret_value(),
        resource=Resource.create({"service.name": SERVICE_NAME}),
        span_processors=[IdsOnSpans()],
        instrumentation_options={name: {"enabled": False} for name in NOT_INSTRUMENTED},
        # the distro's names for OTEL_TRACES_SAMPLER(_ARG); left out, it would rate-limit to 5 traces a second
        sampler_type="parentbased_trace_id_ratio",
        sampling_arg=settings.telemetry_sampling_ratio,
        **options,
    )
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):  # OTEL_TRACES_SAMPLER in the environment would otherwise win
        _join(provider, chosen)
    _filter_exported_logs()


def _join(provider: TracerProvider, chosen: Sampler) -> None:
    """Put the app's sampler and span processor on a provider someone else set up (the Functions worker)."""
    provider.sampler = chosen  # the tracers the app gets from now on sample with it
    processors = getattr(provider, "_active_span_processor", None)
    present = getattr(processors, "_span_processors", ())
    if not any(isinstance(p, IdsOnSpans) for p in present):
        provider.add_span_processor(IdsOnSpans())


def _configure_otlp(settings: Settings) -> None:
    from azure.core.settings import settings as azure_settings
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": SERVICE_NAME})  # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
    provider = TracerProvider(resource=resource, sampler=sampler(settings))
    provider.add_span_processor(IdsOnSpans())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # endpoint, headers, timeout: OTEL_* env
    trace.set_tracer_provider(provider)
    azure_settings.tracing_implementation = "opentelemetry"  # azure-core-tracing-opentelemetry: a span per call
    if settings.otel_exporter_otlp_endpoint:  # logs go where traces go unless only the traces endpoint is given
        logs = LoggerProvider(resource=resource)
        logs.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
        set_logger_provider(logs)
        logging.getLogger().addHandler(LoggingHandler(level=logging.INFO, logger_provider=logs))
        _filter_exported_logs()


def _exporting_handlers() -> tuple[type[logging.Handler], ...]:
    """The handlers that export log records: the SDK's, and the logging instrumentation's the distro now uses."""
    from opentelemetry.sdk._logs import LoggingHandler

    kinds: list[type[logging.Handler]] = [LoggingHandler]
    try:
        from opentelemetry.instrumentation.logging.handler import LoggingHandler as InstrumentationHandler
    except ImportError:  # an older distro, which used the SDK's
        pass
    else:
        kinds.append(InstrumentationHandler)
    return tuple(kinds)


def _filter_exported_logs() -> None:
    kinds = _exporting_handlers()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, kinds) and not any(isinstance(f, IdsOnLogs) for f in handler.filters):
            handler.addFilter(IdsOnLogs())


def ids_of(payload: Mapping[str, Any]) -> dict[str, str]:
    """The work's ids in a payload as the app words it (camelCase), the ones present and not empty."""
    return {key: str(payload[key]) for key in ID_ATTRIBUTES if payload.get(key)}


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: str | None = None,
    invocation: Invocation | None = None,
    ids: Mapping[str, Any] | None = None,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[trace.Span]:
    """A span for a piece of work, continuing the trace `parent` (a W3C traceparent) when the work carries one,
    else the host's span of the `invocation` (the function's `context`); `ids` (ID_ATTRIBUTES' keys) go on it and
    on every span and log record inside it."""
    host = _host_context(invocation)
    context, links = host, None
    if parent:
        context = _propagator.extract({TRACEPARENT: parent})
        called = trace.get_current_span(host).get_span_context() if host is not None else None
        # the work's own trace goes on; the host's span of this call is linked, so either leads to the other
        links = [Link(called)] if called is not None and called.is_valid else None
    token = _ids.set({**_ids.get({}), **{k: str(v) for k, v in (ids or {}).items() if v and k in ID_ATTRIBUTES}})
    try:
        with _tracer.start_as_current_span(
            name, context=context, kind=kind, attributes=attributes, links=links
        ) as current:
            yield current
    finally:
        _ids.reset(token)


def _host_context(invocation: Invocation | None) -> otel_context.Context | None:
    """The host's span of an invocation as a parent context; None when there is none (a call without a host)."""
    traced = getattr(invocation, "trace_context", None)
    given = getattr(traced, "trace_parent", None)
    if not given:
        return None
    carrier = {TRACEPARENT: given, TRACESTATE: getattr(traced, "trace_state", None) or ""}
    context = _propagator.extract(carrier)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def traceparent() -> str | None:
    """The current span's context as a W3C traceparent, for a message or an orchestration input; None untraced."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


def activity(function: F) -> F:
    """An activity's span, continuing the trace its input carries (`traceparent`), with the input's ids."""

    @functools.wraps(function)  # the host binds the input by the function's own parameter name (its signature)
    def traced(*args: Any, **kwargs: Any) -> Any:
        payload = next(iter([*args, *kwargs.values()]), None)
        given = payload if isinstance(payload, Mapping) else {}
        with span(f"activity {function.__name__}", parent=given.get(TRACEPARENT), ids=ids_of(given)):
            return function(*args, **kwargs)

    return traced  # type: ignore[return-value]

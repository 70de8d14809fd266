"""host.json as the host reads it: comments allowed, `AzureFunctionsJobHost__*` overrides, checked settings (one
concern: checking each setting is part of reading it)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.settings import SettingsError, parse_timespan

OVERRIDE_PREFIX = "AzureFunctionsJobHost__"
# the host's functionTimeout when host.json sets none, outside the Consumption plan (Core Tools included)
DEFAULT_FUNCTION_TIMEOUT_S = 30 * 60.0
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()

Path_ = tuple[str, ...]


class HostJsonError(SettingsError):
    """host.json cannot be used; the message is one paragraph naming the file, the place and the problem."""


@dataclass(frozen=True)
class _Rule:
    kind: str  # object, string, int, timespan, timeout, poll or choice
    expectation: str = ""
    low: int = 0
    high: int | None = None
    choices: tuple[str, ...] = ()


def _int(low: int, high: int | None = None) -> _Rule:
    text = f"an integer from {low} to {high}" if high is not None else f"an integer of at least {low}"
    return _Rule("int", text, low, high)


def _choice(*choices: str) -> _Rule:
    return _Rule("choice", "one of " + ", ".join(choices), choices=choices)


_OBJECT = _Rule("object", "a JSON object")
_STRING = _Rule("string", "a string")
_TIMESPAN = _Rule("timespan", 'a time span such as "00:00:30"')
# The settings devhost reads, with their documented spelling; keys match case-insensitively, as in the host.
_RULES: dict[Path_, _Rule] = {
    ("functionTimeout",): _Rule("timeout", 'a time span such as "00:10:00", or "-1" for no limit'),
    ("logging",): _OBJECT,
    ("extensions",): _OBJECT,
    ("extensions", "http"): _OBJECT,
    ("extensions", "http", "routePrefix"): _STRING,
    ("extensions", "queues"): _OBJECT,
    ("extensions", "queues", "batchSize"): _int(1, 32),
    ("extensions", "queues", "newBatchThreshold"): _int(0),
    ("extensions", "queues", "maxDequeueCount"): _int(1),
    ("extensions", "queues", "visibilityTimeout"): _TIMESPAN,
    ("extensions", "queues", "maxPollingInterval"): _Rule(
        "poll", 'a time span such as "00:00:02", or a number of milliseconds'
    ),
    ("extensions", "queues", "messageEncoding"): _choice("base64", "none"),
    ("extensions", "durableTask"): _OBJECT,
    ("extensions", "durableTask", "hubName"): _STRING,
    ("extensions", "durableTask", "maxConcurrentActivityFunctions"): _int(1),
    ("extensions", "durableTask", "maxConcurrentOrchestratorFunctions"): _int(1),
    ("extensions", "durableTask", "overridableExistingInstanceStates"): _choice("NonRunningStates", "AnyState"),
    ("extensions", "durableTask", "defaultVersion"): _STRING,
    # checked so a typo is caught, but not enforced: one devhost is one worker, whose defaultVersion is the newest
    ("extensions", "durableTask", "versionMatchStrategy"): _choice("None", "Strict", "CurrentOrOlder"),
    ("extensions", "durableTask", "versionFailureStrategy"): _choice("Reject", "Fail"),
}


def load_host_json(app_dir: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """host.json of app_dir (empty when absent) with the environment's overrides applied and checked.

    Raises HostJsonError with a one-paragraph message when the file is not JSON or a setting is unusable.
    """
    path = app_dir / "host.json"
    if not path.is_file():
        return {}
    # the host reads it with Newtonsoft, which skips comments and a byte-order mark
    text = _blank_comments(path.read_text(encoding="utf-8-sig"))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HostJsonError(
            f"Unable to parse host configuration file '{path}': {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    if not isinstance(document, dict):
        raise HostJsonError(f"Unable to parse host configuration file '{path}': it must hold a JSON object.")
    places = _Places(path, text)
    _check_version(document, places)
    overridden = apply_overrides(document, environ if environ is not None else {})
    places.overridden = overridden
    for rule_path, rule in _RULES.items():
        _check(document, rule_path, rule, places)
    return document


def function_timeout_s(host_json: Mapping[str, Any]) -> float | None:
    """Seconds an invocation may run (host.json `functionTimeout`); None when unbounded ("-1")."""
    value = host_json.get("functionTimeout")
    if value is None:
        return DEFAULT_FUNCTION_TIMEOUT_S
    text = str(value).strip()
    return None if text.startswith("-") else parse_timespan(text)


def format_timespan(seconds: float) -> str:
    """.NET's TimeSpan text, as the host prints it in its timeout messages: [d.]hh:mm:ss[.fffffff]."""
    ticks = round(seconds * 10_000_000)
    whole, fraction = divmod(ticks, 10_000_000)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{days}." if days else ""
    text += f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return text + (f".{fraction:07d}" if fraction else "")


def apply_overrides(document: dict[str, Any], environ: Mapping[str, str]) -> dict[Path_, str]:
    """Apply every `AzureFunctionsJobHost__a__b=value` to document["a"]["b"]; returns the paths set, by setting.

    Path segments match existing keys case-insensitively, as .NET configuration keys do; a value
    arrives as text, which the checks then read as the setting's type (as the configuration binder does).
    """
    applied: dict[Path_, str] = {}
    prefix = OVERRIDE_PREFIX.lower()
    for name in sorted(environ):
        if not name.lower().startswith(prefix) or len(name) == len(prefix):
            continue
        segments = name[len(prefix) :].split("__")
        if not all(segments):
            continue
        node: Any = document
        for segment in segments[:-1]:
            key = _key_in(node, segment)
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[_key_in(node, segments[-1])] = environ[name]
        applied[tuple(s.lower() for s in segments)] = name
    return applied


def _key_in(node: dict[str, Any], segment: str) -> str:
    """The existing key spelt like segment in any case, else segment itself."""
    return next((k for k in reversed(list(node)) if k.lower() == segment.lower()), segment)


def _check_version(document: dict[str, Any], places: _Places) -> None:
    key = _key_in(document, "version")
    if key not in document:
        raise HostJsonError(
            f"The host configuration file '{places.file}' is missing the required 'version' property: "
            'add "version": "2.0".'
        )
    if document[key] != "2.0":
        raise HostJsonError(
            f"Invalid host configuration file '{places.file}', {places.where(('version',))}: "
            f"{json.dumps(document[key])} is an invalid value for the 'version' property; set it to \"2.0\"."
        )


def _check(document: dict[str, Any], path: Path_, rule: _Rule, places: _Places) -> None:
    """Give the setting its documented spelling and type, or raise HostJsonError saying where it is."""
    node: Any = document
    for segment in path[:-1]:
        node = node.get(segment) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return  # a parent is absent (or already reported)
    name = path[-1]
    spellings = [k for k in node if k.lower() == name.lower()]
    if not spellings:
        return
    value = node[spellings[-1]]  # the last spelling wins, as the last value of a key does in .NET configuration
    for key in spellings:
        del node[key]
    if value is None or (value == "" and rule.kind not in ("string", "object")):
        return  # null (or an empty override) leaves the host's default
    normalized = _normalize(value, rule)
    if normalized is None:
        lowered = tuple(p.lower() for p in path)
        dotted = ".".join(path)
        setting = places.overridden.get(lowered)
        shown = json.dumps(value)
        if setting is not None:
            raise HostJsonError(
                f"Invalid host configuration: app setting '{setting}' sets '{dotted}' to {shown}, "
                f"but it must be {rule.expectation}."
            )
        raise HostJsonError(
            f"Invalid host configuration file '{places.file}', {places.where(lowered)}: "
            f"'{dotted}' must be {rule.expectation}, not {shown}."
        )
    node[name] = normalized


def _normalize(value: Any, rule: _Rule) -> Any:
    """The value in the type devhost reads, or None when it cannot be one."""
    if rule.kind == "object":
        return value if isinstance(value, dict) else None
    if isinstance(value, bool | list | dict):
        return None
    if rule.kind == "string":
        return str(value)
    if rule.kind == "int":
        number = _as_int(value)
        if number is None or number < rule.low or (rule.high is not None and number > rule.high):
            return None
        return number
    if rule.kind == "choice":
        return next((c for c in rule.choices if c.lower() == str(value).strip().lower()), None)
    if rule.kind == "poll":
        number = _as_int(value)
        if number is not None:
            return number if number >= 0 else None  # milliseconds, as a bare number has always meant here
        return _timespan(value)
    if rule.kind == "timeout":
        if str(value).strip() == "-1":
            return "-1"
        span = _timespan(value)
        return span if span is not None and parse_timespan(span) > 0 else None
    return _timespan(value)


def _as_int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def _timespan(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parse_timespan(value)
    except SettingsError:
        return None
    return value.strip()


class _Places:
    """Where each value of the file starts, to name a line and column in messages."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self._text = text
        self._starts: dict[Path_, int] = {}
        self.overridden: dict[Path_, str] = {}
        try:
            _scan(text, _WS.match(text, 0).end(), (), self._starts)  # type: ignore[union-attr]
        except (ValueError, IndexError):  # json.loads accepted it, so this should not happen
            self._starts = {}

    def where(self, path: Path_) -> str:
        offset = self._starts.get(tuple(p.lower() for p in path))
        if offset is None:
            return "(position unknown)"
        line = self._text.count("\n", 0, offset) + 1
        column = offset - (self._text.rfind("\n", 0, offset) + 1) + 1
        return f"line {line}, column {column}"


def _scan(text: str, i: int, path: Path_, starts: dict[Path_, int]) -> int:
    """Record where the value at text[i] (and each value inside it) starts; returns the index after it."""
    starts[path] = i
    char = text[i]
    if char == "{":
        i = _skip(text, i + 1)
        if text[i] == "}":
            return i + 1
        while True:
            key, i = _DECODER.raw_decode(text, i)  # text[i] is the key's opening quote
            i = _skip(text, i) + 1  # past the colon
            i = _skip(text, _scan(text, _skip(text, i), (*path, key.lower()), starts))
            if text[i] == "}":
                return i + 1
            i = _skip(text, i + 1)  # past the comma
    if char == "[":
        i = _skip(text, i + 1)
        index = 0
        if text[i] == "]":
            return i + 1
        while True:
            i = _skip(text, _scan(text, i, (*path, str(index)), starts))
            index += 1
            if text[i] == "]":
                return i + 1
            i = _skip(text, i + 1)
    _, end = _DECODER.raw_decode(text, i)
    return int(end)


def _skip(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _blank_comments(text: str) -> str:
    """Replace // and /* */ comments outside strings by spaces (newlines kept), so positions stay true."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif char == '"':
                in_string = False
            i += 1
        elif char == '"':
            in_string = True
            out.append(char)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("".join(c if c == "\n" else " " for c in text[i:end]))
            i = end
        else:
            out.append(char)
            i += 1
    return "".join(out)

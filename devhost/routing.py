"""HTTP route templates as the Functions host reads them: `{p}`, `{p:int}`, `{p?}`, `{*rest}`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class RouteError(ValueError):
    """A route template that cannot be parsed."""


def _number(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            parse(value)
        except (ValueError, InvalidOperation):
            return False
        return True

    return check


def _int_checker(bits: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        if not re.fullmatch(r"[+-]?\d+", value):
            return False
        return -(2 ** (bits - 1)) <= int(value) < 2 ** (bits - 1)

    return check


def _float_checker(value: str) -> bool:
    # ASP.NET refuses "nan"/"inf" spellings that Python's float() would accept
    return bool(re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value))


_SIMPLE: dict[str, Callable[[str], bool]] = {
    "int": _int_checker(32),
    "long": _int_checker(64),
    "bool": lambda v: v.lower() in ("true", "false"),
    "decimal": lambda v: _float_checker(v) and _number(Decimal)(v),
    "double": _float_checker,
    "float": _float_checker,
    "guid": _number(uuid.UUID),
    "datetime": _number(datetime.fromisoformat),
    "alpha": lambda v: bool(re.fullmatch(r"[A-Za-z]+", v)),
}


def _constraint(spec: str) -> Callable[[str], bool]:
    match = re.fullmatch(r"(\w+)(?:\((.*)\))?", spec, re.S)
    if match is None:
        raise RouteError(f"bad route constraint {spec!r}")
    name, arg = match.group(1).lower(), match.group(2)
    if arg is None and name in _SIMPLE:
        return _SIMPLE[name]
    if arg is None:
        raise RouteError(f"unknown route constraint {spec!r}")
    if name == "regex":
        pattern = re.compile(arg, re.IGNORECASE)
        return lambda v: pattern.search(v) is not None
    nums = [int(x) for x in arg.split(",")]
    checks: dict[str, Callable[[str], bool]] = {
        "minlength": lambda v: len(v) >= nums[0],
        "maxlength": lambda v: len(v) <= nums[0],
        "length": lambda v: (len(v) == nums[0]) if len(nums) == 1 else nums[0] <= len(v) <= nums[1],
        "min": lambda v: _int_checker(64)(v) and int(v) >= nums[0],
        "max": lambda v: _int_checker(64)(v) and int(v) <= nums[0],
        "range": lambda v: _int_checker(64)(v) and nums[0] <= int(v) <= nums[-1],
    }
    if name not in checks:
        raise RouteError(f"unknown route constraint {spec!r}")
    return checks[name]


@dataclass
class Param:
    name: str
    group: str
    optional: bool = False
    catch_all: bool = False
    default: str | None = None
    checks: list[Callable[[str], bool]] = field(default_factory=list)


def _split_param(body: str) -> tuple[str, list[str], bool, bool, str | None]:
    catch_all = body.startswith("*")
    body = body.lstrip("*")
    # constraints are separated by ':' but a regex(...) argument may contain ':' itself
    parts = re.findall(r"(?:[^:(]|\([^)]*\))+", body)
    head, constraints = parts[0], parts[1:]
    last = constraints[-1] if constraints else head
    default = None
    tail = re.search(r"=([^)]*)$", last)
    if tail:
        default, last = tail.group(1), last[: tail.start()]
    optional = last.endswith("?")
    last = last.removesuffix("?")
    if constraints:
        constraints[-1] = last
    else:
        head = last
    return head.strip(), constraints, optional, catch_all, default


def _tokens(segment: str) -> list[tuple[bool, str]]:
    """(is_param, text) pieces of one segment; `{{` and `}}` stand for literal braces."""
    out: list[tuple[bool, str]] = []
    literal, i = "", 0
    while i < len(segment):
        if segment.startswith(("{{", "}}"), i):
            literal, i = literal + segment[i], i + 2
        elif segment[i] == "{":
            body, i = "", i + 1
            while i < len(segment) and not (segment[i] == "}" and not segment.startswith("}}", i)):
                doubled = segment.startswith(("{{", "}}"), i)
                body, i = body + segment[i], i + (2 if doubled else 1)
            if i >= len(segment):
                raise RouteError(f"unclosed parameter in route segment {segment!r}")
            if literal:
                out.append((False, literal))
            out.append((True, body))
            literal, i = "", i + 1
        else:
            literal, i = literal + segment[i], i + 1
    if literal:
        out.append((False, literal))
    return out


@dataclass
class Route:
    """A compiled template; `match` returns the route parameters or None."""

    template: str
    regex: re.Pattern[str]
    params: list[Param]
    precedence: tuple[int, ...]

    def match(self, path: str) -> dict[str, str] | None:
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        values: dict[str, str] = {}
        for param in self.params:
            value = found.group(param.group)
            if value is None or value == "":
                if param.default is not None:
                    values[param.name] = param.default
                continue
            if not all(check(value) for check in param.checks):
                return None
            values[param.name] = value
        return values


def compile_route(template: str) -> Route:
    """Compile a route template (already including any prefix such as `api/`)."""
    segments = template.strip("/").split("/") if template.strip("/") else []
    pattern = ""
    params: list[Param] = []
    precedence: list[int] = []
    for index, segment in enumerate(segments):
        tokens = _tokens(segment)
        pieces, seg_params = "", []
        for position, (is_param, text) in enumerate(tokens):
            if not is_param:
                pieces += re.escape(text)
                continue
            name, constraints, optional, catch_all, default = _split_param(text)
            if not re.fullmatch(r"[\w-]+", name):
                raise RouteError(f"bad parameter name {name!r} in route {template!r}")
            param = Param(
                name,
                f"p{len(params)}",
                optional or default is not None,
                catch_all,
                default,
                [_constraint(c) for c in constraints],
            )
            last = position == len(tokens) - 1
            body = ".*" if catch_all else "[^/]+" if last else "[^/]+?"
            pieces += f"(?P<{param.group}>{body})"
            params.append(param)
            seg_params.append(param)
        whole = len(tokens) == 1 and bool(seg_params)
        if whole and (seg_params[0].optional or seg_params[0].catch_all):
            if index != len(segments) - 1:
                raise RouteError(f"optional/catch-all parameter must be last in {template!r}")
            pattern += f"(?:/{pieces})?" if index else f"(?:{pieces})?"
        else:
            pattern += f"/{pieces}" if index else pieces
        precedence.append(_segment_rank(seg_params, whole))
    # DOTALL: a catch-all takes a decoded newline too (ASP.NET matches any character)
    return Route(template, re.compile(pattern, re.IGNORECASE | re.DOTALL), params, tuple(precedence))


def _segment_rank(params: list[Param], whole: bool) -> int:
    # lower sorts first: literals beat parameters, constrained beat free, catch-alls come last
    if not params:
        return 1
    if any(p.catch_all for p in params):
        return 5
    if not whole:
        return 2
    return 3 if params[0].checks else 4


@dataclass
class RouteEntry:
    route: Route
    methods: frozenset[str]
    target: Any


class Router:
    """Finds the function for a method and path; tells "no such path" from "wrong method"."""

    def __init__(self) -> None:
        self._entries: list[RouteEntry] = []

    def add(self, template: str, methods: Iterable[str], target: Any) -> Route:
        route = compile_route(template)
        self._entries.append(RouteEntry(route, frozenset(m.upper() for m in methods), target))
        self._entries.sort(key=lambda e: e.route.precedence or (0,))
        return route

    def resolve(self, method: str, path: str) -> tuple[Any, dict[str, str]] | int:
        """(target, route params) or an HTTP status: 404 no route, 405 method not allowed."""
        path = path.strip("/")
        path_matched = False
        for entry in self._entries:
            values = entry.route.match(path)
            if values is None:
                continue
            if method.upper() in entry.methods:
                return entry.target, values
            path_matched = True
        return 405 if path_matched else 404

    def allowed(self, path: str) -> list[str]:
        """The methods some function takes on `path` (the Allow header of a 405)."""
        path = path.strip("/")
        return sorted({m for e in self._entries if e.route.match(path) is not None for m in e.methods})


def join_prefix(prefix: str, route: str) -> str:
    prefix, route = prefix.strip("/"), route.strip("/")
    return f"{prefix}/{route}" if prefix and route else prefix or route

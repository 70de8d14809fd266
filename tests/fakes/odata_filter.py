"""OData $filter as Table Storage reads it, for the in-memory table service: comparisons of a property with a
literal (the SDK's own rendering of each parameter), and/or/not and parentheses; a row without the property, or
holding another type, matches no comparison."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.data.tables import EntityProperty, TableEntity
from azure.data.tables._deserialize import _from_entity_datetime

Predicate = Callable[[TableEntity], bool]


def _refused(message: str) -> HttpResponseError:
    refusal = HttpResponseError(message=message)
    refusal.status_code = 400  # the service's answer to a filter it cannot parse
    return refusal


_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<typed>datetime|guid|X)'(?P<typed_text>[^']*)'"
    r"|'(?P<text>(?:[^']|'')*)'|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?L?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def parse_filter(text: str) -> Predicate:
    tokens = _tokens(text)
    predicate = _or(tokens)
    if next(tokens, None) is not None:
        raise _refused(f"The filter is not one Table Storage takes: {text}")
    return predicate


class _Tokens(Iterator[tuple[str, Any]]):
    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self._items, self._at = items, 0

    def __next__(self) -> tuple[str, Any]:
        if self._at >= len(self._items):
            raise StopIteration
        self._at += 1
        return self._items[self._at - 1]

    def peek(self) -> tuple[str, Any] | None:
        return self._items[self._at] if self._at < len(self._items) else None


def _tokens(text: str) -> _Tokens:
    items: list[tuple[str, Any]] = []
    at = 0
    while text[at:].strip():
        match = _TOKEN.match(text, at)
        if match is None:
            raise _refused(f"The filter is not one Table Storage takes: {text}")
        at = match.end()
        if match["open"] or match["close"]:
            items.append((match["open"] or match["close"], None))
        elif match["typed"]:
            items.append(("value", _typed(match["typed"], match["typed_text"])))
        elif match["text"] is not None:
            items.append(("value", match["text"].replace("''", "'")))
        elif match["number"]:
            number = match["number"]
            whole = "." not in number and "e" not in number.lower()
            items.append(("value", int(number.rstrip("L")) if whole else float(number)))
        elif match["word"] in ("true", "false"):
            items.append(("value", match["word"] == "true"))
        else:
            items.append(("word", match["word"]))
    return _Tokens(items)


def _typed(kind: str, text: str) -> Any:
    if kind == "datetime":
        return _from_entity_datetime(text if text.endswith("Z") else text + "Z")
    return uuid.UUID(text) if kind == "guid" else bytes.fromhex(text)


def _or(tokens: _Tokens) -> Predicate:
    return _joined(tokens, "or", _and, lambda a, b: lambda e: a(e) or b(e))


def _and(tokens: _Tokens) -> Predicate:
    return _joined(tokens, "and", _unary, lambda a, b: lambda e: a(e) and b(e))


Join = Callable[[Predicate, Predicate], Predicate]


def _joined(tokens: _Tokens, word: str, operand: Callable[[_Tokens], Predicate], join: Join) -> Predicate:
    """Operands joined left to right by `word` (`and` binds tighter than `or`: it is `or`'s operand)."""
    left = operand(tokens)
    while tokens.peek() == ("word", word):
        next(tokens)
        left = join(left, operand(tokens))
    return left


def _unary(tokens: _Tokens) -> Predicate:
    kind, value = next(tokens, ("end", None))
    if (kind, value) == ("word", "not"):
        inner = _unary(tokens)
        return lambda e: not inner(e)
    if kind == "(":
        inner = _or(tokens)
        if next(tokens, None) != (")", None):
            raise _refused("The filter's parentheses do not match.")
        return inner
    operator, literal = next(tokens, ("end", None)), next(tokens, ("end", None))
    if kind != "word" or operator[0] != "word" or operator[1] not in _COMPARE or literal[0] != "value":
        raise _refused("A comparison is a property, an operator and a literal.")
    return _comparison(str(value), _COMPARE[operator[1]], literal[1])


def _comparison(name: str, compare: Callable[[Any, Any], bool], literal: Any) -> Predicate:
    def holds(entity: TableEntity) -> bool:
        value = entity.metadata.get("timestamp") if name == "Timestamp" else entity.get(name)
        if isinstance(value, EntityProperty):
            value = value.value
        if value is None or not _comparable(value, literal):
            return False  # a row without the property, or holding another type, matches no comparison
        return compare(value, literal)

    return holds


def _comparable(value: Any, literal: Any) -> bool:
    if isinstance(value, bool) or isinstance(literal, bool):
        return isinstance(value, bool) and isinstance(literal, bool)
    numbers = (int, float)
    return (
        (isinstance(value, numbers) and isinstance(literal, numbers))
        or type(value) is type(literal)
        or (isinstance(value, datetime) and isinstance(literal, datetime))
    )

"""Pydantic's validation errors in the contract's words: each a detail naming the field path the caller sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from shared.errors import ErrorDetail
from shared.models.base import UNION_TAGS


def _pydantic_target(loc: Sequence[int | str]) -> str:
    target = ""
    for index, part in enumerate(loc):
        if part in UNION_TAGS and index + 1 < len(loc):  # a union member's tag, not a field of the caller's
            continue
        target += f"[{part}]" if isinstance(part, int) else (f".{part}" if target else str(part))
    return target


FRIENDLY = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this resource; remove it",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}


def _sized(err: Any) -> str | None:
    """A length rule in words: an empty name is "must not be empty", not pydantic's "at least 1 character"."""
    limits = err.get("ctx") or {}
    if err["type"] == "string_too_short":
        least = int(limits.get("min_length", 1))
        return "must not be empty" if least <= 1 else f"must be at least {least} characters"
    if err["type"] == "string_too_long":
        return f"must be at most {limits.get('max_length')} characters"
    if err["type"] == "too_short":
        least = int(limits.get("min_length", 1))
        return f"needs at least {least} item{'s' if least != 1 else ''}"
    if err["type"] == "too_long":
        return f"takes at most {limits.get('max_length')} items"
    return None


def _camel(code: str) -> str:
    head, *rest = code.split("_")
    return head + "".join(word.capitalize() for word in rest)


def validation_details(exc: ValidationError, under: tuple[int | str, ...] = ()) -> list[ErrorDetail]:
    """Each of pydantic's errors as the contract's detail, its target the field path (below `under`, when the
    model validated is a field of the caller's body)."""
    details = []
    for err in exc.errors(include_url=False):
        target = _pydantic_target((*under, *err["loc"])) or None
        message = _sized(err) or FRIENDLY.get(err["type"], err["msg"].removeprefix("Value error, "))
        details.append(ErrorDetail(_camel(err["type"]), f"{target}: {message}" if target else message, target))
    return details

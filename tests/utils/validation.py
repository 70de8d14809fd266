"""Whether a pydantic type takes a value: what the model tests compare each schema pattern with."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError


def accepted(kind: Any, value: Any) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return False
    return True

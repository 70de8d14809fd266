"""No orchestration input, activity payload or answer carries an untyped dict: every field of every Durable
contract, and of every model inside one, is a named type all the way down."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

import shared.models.orchestrations as contracts
from shared.models.provisioning import Advanced


def _untyped(annotation: Any, seen: set[type], path: str) -> list[str]:
    if annotation is Any or annotation is object or annotation in (dict, list):
        return [path]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _fields(annotation, seen)
    found = []
    for argument in typing.get_args(annotation):
        if argument is not types.NoneType and argument is not Ellipsis:
            found += _untyped(argument, seen, path)
    return found


def _fields(model: type[BaseModel], seen: set[type]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, field in model.model_fields.items():
        found += _untyped(field.annotation, seen, f"{model.__name__}.{name}")
    return found


def test_every_durable_contract_is_typed_all_the_way_down() -> None:
    models: list[type[BaseModel]] = [
        m for m in vars(contracts).values() if isinstance(m, type) and issubclass(m, contracts.Contract)
    ]
    assert len(models) > 15, "the walk found no contracts: it no longer reads shared/models/orchestrations.py"
    seen: set[type] = set()
    models.append(Advanced)  # what the provisioning activity answers
    untyped = [path for model in models for path in _fields(model, seen)]
    assert untyped == []


def test_the_walk_finds_an_untyped_field() -> None:
    class Loose(BaseModel):
        state: dict[str, Any] | None = None
        items: list[dict[str, object]] = []
        fine: dict[str, str] = {}

    assert _fields(Loose, set()) == ["Loose.state", "Loose.items"]

"""How a pydantic model is a table entity and back: scalars as properties, nested values as JSON, the etag aside;
the keys Table Storage takes, and a row as the audit log compares it."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from azure.data.tables import EdmType, EntityProperty
from pydantic import BaseModel

from shared.storage.change_capture import STAMP, Image

M = TypeVar("M", bound=BaseModel)
ETAG_FIELD = "etag"
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def _is_complex(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, dict, tuple, set, frozenset):
        return True
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(_is_complex(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class EntityCodec(Generic[M]):
    """Maps a pydantic model to a table entity: scalars as properties, nested values as JSON text."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._complex = {
            (field.alias or name) for name, field in model.model_fields.items() if _is_complex(field.annotation)
        }

    def to_entity(self, item: M, partition_key: str, row_key: str) -> dict[str, Any]:
        entity: dict[str, Any] = {"PartitionKey": partition_key, "RowKey": row_key}
        # what the API derives on the way out (a failure's catalogue words) is not stored: today's words show
        native = item.model_dump(by_alias=True, exclude={ETAG_FIELD}, exclude_computed_fields=True)
        wire = item.model_dump(by_alias=True, exclude={ETAG_FIELD}, mode="json", exclude_computed_fields=True)
        for key, value in native.items():
            if value is None:
                continue
            if key in self._complex:
                entity[key] = json.dumps(wire[key], separators=(",", ":"))
            elif isinstance(value, datetime):
                entity[key] = value
            elif isinstance(value, Enum):
                entity[key] = value.value
            elif isinstance(value, int) and not isinstance(value, bool) and not INT32_MIN <= value <= INT32_MAX:
                entity[key] = EntityProperty(value, EdmType.INT64)
            else:
                entity[key] = wire[key]
        return entity

    def from_entity(self, entity: Mapping[str, Any]) -> M:
        data: dict[str, Any] = {}
        for key, value in entity.items():
            if key in ("PartitionKey", "RowKey", "Timestamp", STAMP):
                continue
            if isinstance(value, EntityProperty):
                value = value.value
            data[key] = json.loads(value) if key in self._complex and isinstance(value, str) else value
        etag = getattr(entity, "metadata", {}).get("etag")
        if ETAG_FIELD in self.model.model_fields:
            data[ETAG_FIELD] = etag
        return self.model.model_validate(data)


UNSTORABLE_KEY = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")  # characters Table Storage refuses in keys


def storable_key(key: str) -> bool:
    """Whether Table Storage takes the text as a partition or row key."""
    try:
        size = len(key.encode("utf-8"))  # a lone surrogate is no character: no key holds one
    except UnicodeEncodeError:
        return False
    return size <= 1024 and not UNSTORABLE_KEY.search(key)


def image_of(item: BaseModel) -> Image:
    """A row as the audit log compares it: the model's wire fields."""
    return item.model_dump(mode="json", by_alias=True, exclude={ETAG_FIELD}, exclude_computed_fields=True)


def plain_value(value: Any) -> Any:
    if isinstance(value, EntityProperty):
        value = value.value
    return value.isoformat() if isinstance(value, datetime) else value

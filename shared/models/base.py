"""Model conventions shared by every aggregate: camelCase aliases, strict inputs, common field types."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from shared.models.json_schema import HIDDEN_CATEGORIES, JsonSchemaKeywords, name_pattern, text_pattern

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# a list's skipToken, as shared/storage/continuation_tokens.py issues it: base64url JSON, a period, a
# base64url HMAC of 18 bytes (or nothing: the first page)
SKIP_TOKEN_PATTERN = r"^(?:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{24})?$"


class ApiModel(BaseModel):
    """Base of every wire model: camelCase aliases, names accepted too, serialized by alias."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, frozen=False)


class InputModel(ApiModel):
    """Base of request bodies: unknown fields are refused so typos don't pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _no_control_chars(value: str) -> str:
    if CONTROL_CHARS.search(value) or any(unicodedata.category(c) in HIDDEN_CATEGORIES for c in value):
        raise PydanticCustomError(
            "invalidCharacters", "must not contain control, invisible or text-direction characters"
        )
    return value


def _something_visible(value: str) -> str:
    if not any(unicodedata.category(c)[0] in "LNPS" for c in value):
        raise PydanticCustomError("invalidCharacters", "must contain a visible letter, digit or symbol")
    return value


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _guid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PydanticCustomError(
            "invalidGuid", "must be a GUID such as 00000000-0000-0000-0000-000000000000"
        ) from None


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256),
    AfterValidator(_no_control_chars),
    AfterValidator(_something_visible),
    JsonSchemaKeywords(
        "DisplayName",
        description="1-256 characters once surrounding spaces are trimmed, at least one of them a visible letter, "
        "digit, punctuation mark or symbol; control, format (zero-width, text-direction), line and paragraph "
        "separator, private-use and surrogate characters are refused.",
        pattern=name_pattern,
    ),
]
# DisplayName's character checks, for other text a person reads (a message's title and body)
NO_HIDDEN_CHARACTERS = AfterValidator(_no_control_chars)
SOMETHING_VISIBLE = AfterValidator(_something_visible)
Description = Annotated[
    str,
    StringConstraints(max_length=1024),
    AfterValidator(_no_control_chars),
    JsonSchemaKeywords(pattern=text_pattern),
]
Guid = Annotated[str, AfterValidator(_guid), JsonSchemaKeywords(format="uuid")]


def _not_a_truth_value(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic reads false as 0; JSON's true and false are no numbers
        raise PydanticCustomError("intType", "must be a whole number")
    return value


def _not_a_truth_number(value: Any) -> Any:
    if isinstance(value, bool):  # as for a whole number: JSON's true and false are no numbers
        raise PydanticCustomError("floatType", "must be a number")
    return value


# put after a number's bounds (Annotated[int, Field(ge=...), NOT_A_TRUTH_VALUE]): before them, the schema loses them
NOT_A_TRUTH_VALUE = BeforeValidator(_not_a_truth_value)
NOT_A_TRUTH_NUMBER = BeforeValidator(_not_a_truth_number)  # the same, for a number that need not be whole


# the tags of the discriminated unions: pydantic names a member's tag in an error's location, where the caller's
# field path has none (`channels[0].webhook.url` is `channels[0].url` to them); triggers/http_responses.py drops it
UNION_TAGS: set[str] = set()


def union_tags(*members: type[BaseModel], by: str) -> None:
    """Register the tags of a discriminated union's members (the values of their `by` field's Literal)."""
    for member in members:
        UNION_TAGS.update(str(tag) for tag in get_args(member.model_fields[by].annotation))


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Resource(ApiModel):
    """Fields every stored resource carries."""

    id: str
    created_date_time: datetime
    last_modified_date_time: datetime
    etag: str | None = Field(default=None, description="Pass back in If-Match to update safely.")


ItemT = TypeVar("ItemT")


class Page(ApiModel, Generic[ItemT]):
    """One page of a list: `value` and an opaque `nextLink` while more remain."""

    value: list[ItemT]
    next_link: str | None = Field(default=None, alias="nextLink")


class Review(ApiModel, Generic[ItemT]):
    """What `?validateOnly=true` answers: every check ran, nothing was saved."""

    validate_only: bool = True
    valid: bool = True
    summary: ItemT


def merged(model: BaseModel, changes: dict[str, Any]) -> dict[str, Any]:
    """A model's fields overlaid with a merge-patch's changes (by field name)."""
    return {**model.model_dump(by_alias=False), **changes}

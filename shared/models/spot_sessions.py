"""A Spot Group's user sessions as the API shows them, and the admin's actions on them, one or many at a time."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.models.base import NO_HIDDEN_CHARACTERS, SOMETHING_VISIBLE, ApiModel, InputModel
from shared.models.failures import CodedFailure
from shared.models.json_schema import JsonSchemaKeywords, ecma_pattern, name_pattern

SessionState = Literal["active", "disconnected"]
SessionActionName = Literal["sendMessage", "disconnect", "logOff"]
# <the session host's VM name>-<AVD's number of the session on that host>: AVD numbers sessions per host only, and a
# VM name holds no slash, so the pair is one path segment
SESSION_ID = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})-([0-9]{1,9})$")
MAX_TITLE, MAX_MESSAGE = 100, 1000  # a line for a dialog's title bar, and a few sentences for its text
MAX_BULK_SESSIONS = 500  # a whole Spot Group (500 licenses at most) in one request


def session_id_of(vm_name: str, number: str) -> str:
    return f"{vm_name}-{number}"


def address_of(session_id: str) -> tuple[str, str] | None:
    """(VM name, AVD's session number) of a session id; None for what is not one."""
    found = SESSION_ID.match(session_id)
    return (found.group(1), found.group(2)) if found else None


def _session_id(value: str) -> str:
    if address_of(value) is None:
        raise PydanticCustomError("invalidSessionId", "must be a session id as the sessions list gives it")
    return value


SessionId = Annotated[
    str,
    AfterValidator(_session_id),
    JsonSchemaKeywords(pattern=ecma_pattern(SESSION_ID), description="A session's id from the sessions list."),
]
MessageTitle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE),
    NO_HIDDEN_CHARACTERS,
    SOMETHING_VISIBLE,
    JsonSchemaKeywords(description=f"1-{MAX_TITLE} characters on one line, as a display name's.", pattern=name_pattern),
]
MessageText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE),
    NO_HIDDEN_CHARACTERS,
    SOMETHING_VISIBLE,
    JsonSchemaKeywords(description=f"1-{MAX_MESSAGE} characters on one line.", pattern=name_pattern),
]


class SpotGroupSession(ApiModel):
    """One user's session on one of the group's session hosts, as Azure Virtual Desktop reports it."""

    id: str = Field(description="`<session host>-<number>`: what the session's actions take.")
    user_principal_name: str
    state: SessionState = Field(description="disconnected: the user left without signing out; the session waits.")
    session_host_name: str
    start_date_time: datetime | None = None


class SpotGroupSessionList(ApiModel):
    value: list[SpotGroupSession]


class SessionMessage(InputModel):
    """What the user sees: a dialog with this title and text in their session."""

    title: MessageTitle
    message: MessageText


class SessionBulkActionCreate(InputModel):
    """title and message are required for sendMessage and refused (left out or null) for the other actions."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"action": {"const": "sendMessage"}}},
            "then": {
                "properties": {"title": {"type": "string"}, "message": {"type": "string"}},
                "required": ["title", "message"],
            },
            "else": {"properties": {"title": {"type": "null"}, "message": {"type": "null"}}},
        }
    )

    action: SessionActionName
    session_ids: list[SessionId] = Field(min_length=1, max_length=MAX_BULK_SESSIONS)
    title: MessageTitle | None = Field(default=None, validate_default=True)
    message: MessageText | None = Field(default=None, validate_default=True)

    @field_validator("title", "message")
    @classmethod
    def _only_for_a_message(cls, value: Any, info: ValidationInfo) -> Any:
        """Each field its own error: a message needs both, the other actions take neither."""
        action = info.data.get("action")
        if action == "sendMessage" and value is None:
            raise PydanticCustomError("required", "is required to send a message")
        if action not in (None, "sendMessage") and value is not None:
            raise PydanticCustomError("notAllowed", "is only for sendMessage")
        return value


class SessionActionError(CodedFailure):
    """Why the action failed for one session."""


class SessionActionResult(ApiModel):
    session_id: str
    status: Literal["succeeded", "failed"]
    status_code: int = Field(
        description="What the action on this session alone would have answered: 204, 404 for a session that is "
        "gone, 503 when Azure said not now."
    )
    error: SessionActionError | None = None


class SessionActionCounts(ApiModel):
    succeeded: int = 0
    failed: int = 0


class SessionBulkAction(ApiModel):
    """Every session's result, in the order asked (each session once)."""

    action: SessionActionName
    status: Literal["succeeded", "partiallySucceeded", "failed"]
    counts: SessionActionCounts
    results: list[SessionActionResult]

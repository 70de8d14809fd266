"""Microsoft Graph's app roles (its application permissions) as its service principal lists them, from app_roles.json.

Each has Microsoft's own id (the data file names where it was read); an application permission that permissions.json
names but whose id could not be found is left out (the file's `notFound`), never given an invented one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("app_roles.json")


@cache
def _data() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return found


def graph_app_roles() -> list[dict[str, Any]]:
    """Graph's `appRoles`, in the shape of the appRole resource
    (https://learn.microsoft.com/graph/api/resources/approle): application permissions only, every one enabled."""
    return [
        {**role, "allowedMemberTypes": ["Application"], "isEnabled": True, "origin": "Application"}
        for role in _data()["appRoles"]
    ]


def not_found() -> tuple[str, ...]:
    """The application permissions whose ids no source read gave."""
    return tuple(_data()["notFound"])


def by_id(role_id: str) -> dict[str, Any] | None:
    return next((role for role in graph_app_roles() if role["id"] == role_id.lower()), None)


def by_value(value: str) -> dict[str, Any] | None:
    """The app role whose value is `value`, compared ignoring case as Entra compares permission names."""
    return next((role for role in graph_app_roles() if role["value"].lower() == value.lower()), None)

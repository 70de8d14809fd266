"""A configuration as one document, a tenant's (every kind of the registry) or the organization's (its alert rules and
templates): exported with every reference by its stable name, planned field by field against what is stored, and
applied through the configurable kinds. Objects the document leaves out stay: an apply never deletes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, ValidationError

from shared.errors import DomainError, ErrorDetail, PreconditionFailed, ValidationFailed
from shared.models.base import UNION_TAGS, ApiModel, InputModel
from shared.models.templates import FieldChange
from shared.services.configuration.configurable import (
    REGISTRY,
    Body,
    Configurable,
    ConfigurationPorts,
    Work,
    field_changes,
)
from shared.services.configuration.document_names import Names, renamed_fields, with_ids, with_names

IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
MAX_OBJECTS = 500  # per section: far more than a tenant keeps (10 connections, 20 images, a handful of policies)
Section = list[dict[str, Any]]
Kinds = tuple[Configurable[Any], ...]  # a document's kinds, in the order they are applied


class ConfigurationDocument(InputModel):
    """A tenant's configuration: each section's objects in the shape of their create bodies, naming what they refer
    to by its stable name (a site, connection, image set, Spot Group or group by display name, a device image as
    `displayName@version`). `version` is the export's; a plan or apply ignores it (apply takes If-Match)."""

    version: str | None = Field(default=None, max_length=128)
    reclaim_settings: dict[str, Any] | None = None
    connections: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    device_images: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    provisioning_policies: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    user_settings: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    spot_groups: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    spot_group_schedules: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    alert_rules: Section = Field(default_factory=list, max_length=MAX_OBJECTS)


Action = Literal["create", "update", "unchanged"]


class PlannedObject(ApiModel):
    kind: str
    name: str
    action: Action
    changes: list[FieldChange] = Field(default_factory=list, description="update: each field that changes.")


class Problem(ApiModel):
    code: str
    message: str
    target: str | None = Field(default=None, description="The field's JSON path in the document.")


class ConfigurationPlan(ApiModel):
    """What the document would change: an unchanged document plans no create and no update."""

    version: str = Field(description="The configuration's version now: apply's If-Match.")
    creates: int = 0
    updates: int = 0
    unchanged: int = 0
    objects: list[PlannedObject] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)


@dataclass
class Applied:
    plan: ConfigurationPlan
    work: list[Work] = field(default_factory=list)  # for the Functions side to start


SECTIONS = {
    "reclaimSettings": "reclaimSettings",
    "connection": "connections",
    "deviceImage": "deviceImages",
    "provisioningPolicy": "provisioningPolicies",
    "userSetting": "userSettings",
    "spotGroup": "spotGroups",
    "spotGroupSchedule": "spotGroupSchedules",
    "alertRule": "alertRules",
    "template": "templates",
}
SINGLE = {"reclaimSettings"}  # one per tenant: the section is that object, not a list
# an object's stable name, read off its body in the document's terms
NAME_IN_DOCUMENT: dict[str, Callable[[Body], object]] = {
    "reclaimSettings": lambda body: "reclaim",
    "deviceImage": lambda body: f"{body.get('displayName')}@{body.get('version')}",
    "spotGroup": lambda body: body.get("name"),
    "spotGroupSchedule": lambda body: body.get("spotGroup"),
}


def _document_name(kind: str, body: Body) -> str:
    name = NAME_IN_DOCUMENT.get(kind, lambda b: b.get("displayName"))(body)
    return name.strip() if isinstance(name, str) else ""


def _version(sections: Body) -> str:
    text = json.dumps(sections, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def export(ports: ConfigurationPorts, owner: str, kinds: Kinds = REGISTRY) -> Body:
    """The configuration document of `owner` (a tenant's id, or the organization's key) over `kinds`, its objects in
    name order, and its version (a hash of its content)."""
    names = Names(ports, owner)
    sections: Body = {}
    for kind in kinds:
        objects = sorted(kind.list_all(ports, owner), key=kind.name)
        bodies = [with_names(kind.kind, kind.fields(obj), names) for obj in objects]
        sections[SECTIONS[kind.kind]] = bodies[0] if kind.kind in SINGLE else bodies
    return {"version": _version(sections), **sections}


def _problem(detail: ErrorDetail, path: str, renamed: dict[str, str]) -> Problem:
    """A service's or model's problem at its field in the document: under the object's path, each id field by the
    document's name for it."""
    target = IDENTIFIER.sub(lambda m: renamed.get(m.group(), m.group()), detail.target or "")
    return Problem(code=detail.code, message=detail.message, target=f"{path}.{target}" if target else path)


def _pydantic_details(exc: ValidationError) -> list[ErrorDetail]:
    details = []
    for err in exc.errors(include_url=False):
        target = ""
        for index, part in enumerate(err["loc"]):
            if part in UNION_TAGS and index + 1 < len(err["loc"]):
                continue
            target += f"[{part}]" if isinstance(part, int) else (f".{part}" if target else str(part))
        message = err["msg"].removeprefix("Value error, ")
        details.append(ErrorDetail(err["type"], f"{target}: {message}" if target else message, target or None))
    return details


@dataclass
class _Step:
    kind: Configurable[Any]
    planned: PlannedObject
    current: Any = None
    body: Body = field(default_factory=dict)  # create: the whole body; update: the fields that change


def _plan_kind(
    ports: ConfigurationPorts,
    owner: str,
    kind: Configurable[Any],
    given: Section,
    names: Names,
    made: dict[str, set[str]],
    problems: list[Problem],
    *,
    check: bool,
) -> list[_Step]:
    """Each object of the section matched by name with those stored: to make, to change (the fields that differ), or
    left; with `check`, each change is tried by its service without a save, unless it names an object not yet made."""
    section = SECTIONS[kind.kind]
    existing: dict[str, list[Any]] = {}
    for obj in kind.list_all(ports, owner):
        existing.setdefault(kind.name(obj), []).append(obj)
    steps: list[_Step] = []
    seen: set[str] = set()
    for index, raw in enumerate(given):
        path = section if kind.kind in SINGLE else f"{section}[{index}]"
        renamed = renamed_fields(kind.kind, raw)
        found: list[ErrorDetail] = []
        step = _step(ports, owner, kind, raw, names, made, existing, seen, found, check=check)
        problems += [_problem(detail, path, renamed) for detail in found]
        if step is not None and not found:
            steps.append(step)
    return steps


def _step(
    ports: ConfigurationPorts,
    owner: str,
    kind: Configurable[Any],
    raw: Body,
    names: Names,
    made: dict[str, set[str]],
    existing: dict[str, list[Any]],
    seen: set[str],
    problems: list[ErrorDetail],
    *,
    check: bool,
) -> _Step | None:
    name = _document_name(kind.kind, raw)
    if name in seen:
        problems.append(ErrorDetail("duplicateName", f"Another {kind.kind} of the document is named '{name}'."))
        return None
    seen.add(name)
    resolved = with_ids(kind.kind, raw, names, made)
    problems += resolved.problems
    try:
        desired = kind.normalized(resolved.body)
    except ValidationError as exc:
        problems += _pydantic_details(exc)
        return None
    matches = existing.get(name, [])
    if resolved.problems:
        return None
    if len(matches) > 1:
        problems.append(ErrorDetail("ambiguousName", f"There is more than one {kind.kind} named '{name}'."))
        return None
    current = matches[0] if matches else None
    if current is None:
        step = _Step(kind, PlannedObject(kind=kind.kind, name=name, action="create"), None, desired)
        made.setdefault(kind.kind, set()).add(name)
    else:
        stored = kind.fields(current)
        changed = {c.field: desired[c.field] for c in field_changes(stored, kind.readable(desired))}
        fixed = sorted(set(changed) & kind.fixed)
        problems += [ErrorDetail("notUpdatable", f"{f} is set when the {kind.kind} is made.", f) for f in fixed]
        if fixed:
            return None
        shown = kind.shown_changes(
            with_names(kind.kind, stored, names), with_names(kind.kind, kind.readable(desired), names)
        )
        action: Action = "update" if changed else "unchanged"
        step = _Step(kind, PlannedObject(kind=kind.kind, name=name, action=action, changes=shown), current, changed)
    if check and _action_of(step) != "unchanged" and not resolved.pending:
        try:  # the service's own checks, nothing saved
            if current is None:
                kind.create(ports, owner, step.body, True)
            else:
                kind.patch(ports, owner, current, step.body, True)
        except ValidationError as exc:
            problems += _pydantic_details(exc)
        except DomainError as exc:
            problems += exc.details or [ErrorDetail(exc.code, exc.message, exc.target)]
    return step


def _action_of(step: _Step) -> Action:
    return step.planned.action


def _given(kind: Configurable[Any], sections: Body) -> Section:
    value = sections.get(SECTIONS[kind.kind])
    if kind.kind in SINGLE:
        return [value] if value is not None else []
    return list(value or [])


def _run(
    ports: ConfigurationPorts, owner: str, document: InputModel, version: str, kinds: Kinds, *, write: bool
) -> tuple[ConfigurationPlan, list[Work]]:
    names, made, problems = Names(ports, owner), dict[str, set[str]](), list[Problem]()
    sections = document.model_dump(by_alias=True, exclude={"version"})
    plan = ConfigurationPlan(version=version)
    work: list[Work] = []
    for kind in kinds:
        given = _given(kind, sections)
        for step in _plan_kind(ports, owner, kind, given, names, made, problems, check=not write):
            plan.objects.append(step.planned)
            action = _action_of(step)
            plan.creates += action == "create"
            plan.updates += action == "update"
            plan.unchanged += action == "unchanged"
            if write and action != "unchanged":
                if step.current is None:
                    written = kind.create(ports, owner, step.body, False)
                else:
                    written = kind.patch(ports, owner, step.current, step.body, False)
                work += written.work
        names.forget(kind.kind)  # what this kind made is named by the next kinds
    plan.problems = problems
    return plan, work


def plan(ports: ConfigurationPorts, owner: str, document: InputModel, kinds: Kinds = REGISTRY) -> ConfigurationPlan:
    """What applying `document` would create, change (field by field) or leave, and each problem at its field."""
    return _run(ports, owner, document, export(ports, owner, kinds)["version"], kinds, write=False)[0]


def apply(
    ports: ConfigurationPorts, owner: str, document: InputModel, kinds: Kinds = REGISTRY, *, if_match: str | None
) -> Applied:
    """Apply `document` over the configuration of `owner` whose version `if_match` is (412 otherwise, 400 without one):
    every object checked first, then each kind written in turn, so nothing is written when any has a problem (400).

    A schedule naming a Spot Group the same document makes is checked by its model alone: its service can check it
    only once the group exists."""
    if if_match is None:  # no write is blind: the caller says which version the document was planned against
        raise ValidationFailed.of(
            ErrorDetail(
                "ifMatchRequired",
                "Send If-Match: the configuration version the document was planned against.",
                "If-Match",
            )
        )
    version = export(ports, owner, kinds)["version"]
    if _unquoted(if_match) != version:
        raise PreconditionFailed(
            "If-Match must be the configuration's version now (GET .../configuration gives it as its ETag); "
            "read it again, plan, and retry.",
            code="preconditionFailed",
            target="If-Match",
        )
    checked, _ = _run(ports, owner, document, version, kinds, write=False)
    if checked.problems:
        raise ValidationFailed.of(*(ErrorDetail(p.code, p.message, p.target) for p in checked.problems))
    done, work = _run(ports, owner, document, version, kinds, write=True)
    return Applied(done, work)


def etag_of(version: str) -> str:
    return f'"{version}"'


def _unquoted(if_match: str) -> str:
    return if_match.removeprefix("W/").strip('"')

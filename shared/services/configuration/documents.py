"""A tenant's configuration as one document: exported with every reference by its stable name, planned field by field
against what is stored, and applied through the registry of configurable kinds. Objects the document leaves out stay:
an apply never deletes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, ValidationError

from shared.errors import DomainError, ErrorDetail, PreconditionFailed, ValidationFailed
from shared.models.base import UNION_TAGS, ApiModel, InputModel
from shared.services.configuration.configurable import (
    REGISTRY,
    Body,
    Configurable,
    ConfigurationPorts,
    FieldChange,
    Work,
    field_changes,
)

IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
MAX_OBJECTS = 500  # per section: far more than a tenant keeps (10 connections, 20 images, a handful of policies)
Section = list[dict[str, Any]]


class ConfigurationDocument(InputModel):
    """A tenant's configuration: each section's objects in the shape of their create bodies, naming what they refer
    to by its stable name (a site, connection, image set, Spot Group or group by display name, a device image as
    `displayName@version`). `version` is the export's; a plan or apply ignores it (apply takes If-Match)."""

    version: str | None = Field(default=None, max_length=128)
    reclaim_settings: dict[str, Any] | None = None
    connections: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    device_images: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
    provisioning_policies: Section = Field(default_factory=list, max_length=MAX_OBJECTS)
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

    version: str = Field(description="The tenant's configuration version now: apply's If-Match.")
    creates: int = 0
    updates: int = 0
    unchanged: int = 0
    objects: list[PlannedObject] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)


@dataclass
class Applied:
    plan: ConfigurationPlan
    work: list[Work] = field(default_factory=list)  # for the Functions side to start


@dataclass(frozen=True)
class Reference:
    """A body's id of another object (`field`) and the document's field naming it instead (`named`); `within`: the
    list of objects holding it; `when`: the bodies where the field is a reference at all."""

    field: str
    named: str
    target: str  # site, group, imageSet, or a registry kind
    within: str | None = None
    when: Callable[[Body], bool] = lambda body: True


REFERENCES: dict[str, tuple[Reference, ...]] = {
    "connection": (Reference("siteId", "site", "site"),),
    "deviceImage": (Reference("siteId", "site", "site"),),
    "provisioningPolicy": (
        Reference("onPremisesConnectionId", "onPremisesConnection", "connection", within="domainJoinConfigurations"),
        Reference("imageId", "image", "deviceImage", when=lambda body: body.get("imageType") == "custom"),
        Reference("groupId", "group", "group", within="assignments"),
    ),
    "spotGroup": (
        Reference("siteId", "site", "site"),
        Reference("groupIds", "groups", "group"),
        Reference("imageSetId", "imageSet", "imageSet"),
    ),
    "spotGroupSchedule": (Reference("spotGroupId", "spotGroup", "spotGroup"),),
}
SECTIONS = {
    "reclaimSettings": "reclaimSettings",
    "connection": "connections",
    "deviceImage": "deviceImages",
    "provisioningPolicy": "provisioningPolicies",
    "spotGroup": "spotGroups",
    "spotGroupSchedule": "spotGroupSchedules",
    "alertRule": "alertRules",
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


class Names:
    """The tenant's objects by id and by stable name, read once per target and read again once a kind is written."""

    def __init__(self, ports: ConfigurationPorts, tenant_id: str) -> None:
        self.ports, self.tenant_id = ports, tenant_id
        self._tables: dict[str, list[tuple[str, str]]] = {}  # target: (id, name)
        self._groups: dict[str, list[str]] = {}  # the ids of the groups of each display name
        self._subnets: dict[object, str | None] = {}  # each site's subnet, by the site's id

    def _table(self, target: str) -> list[tuple[str, str]]:
        if target not in self._tables:
            self._tables[target] = list(self._read(target))
        return self._tables[target]

    def _read(self, target: str) -> Iterator[tuple[str, str]]:
        ports, tenant_id = self.ports, self.tenant_id
        if target == "site":
            yield from ((s.id, s.display_name) for s in ports.sites.list_all_sites(tenant_id))
        elif target == "imageSet":
            token: str | None = None
            while True:
                sets, token = ports.image_sets.list_image_sets(tenant_id, top=100, skip_token=token)
                yield from ((s.id, s.display_name) for s in sets)
                if not token:
                    return
        else:
            kind = next(k for k in REGISTRY if k.kind == target)
            yield from ((obj.id, kind.name(obj)) for obj in kind.list_all(ports, tenant_id))

    def site_subnet(self, site_id: object) -> str | None:
        if site_id not in self._subnets:
            site = self.ports.sites.find_site(self.tenant_id, str(site_id))
            self._subnets[site_id] = site.subnet_id if site is not None else None
        return self._subnets[site_id]

    def forget(self, target: str) -> None:
        self._tables.pop(target, None)

    def name_of(self, target: str, object_id: str) -> str:
        if target == "group":
            group = self.ports.directory.get_group(self.tenant_id, object_id)
            return group.display_name if group is not None else object_id
        return next((name for oid, name in self._table(target) if oid == object_id), object_id)

    def ids_of(self, target: str, name: str) -> list[str]:
        if target == "group":  # a look-up by name: the directory is not listed whole
            if name not in self._groups:
                found = self.ports.directory.find_groups(self.tenant_id, name, 10)
                self._groups[name] = [g.id for g in found if g.display_name == name]
            return self._groups[name]
        return [oid for oid, known in self._table(target) if known == name]


def _version(sections: Body) -> str:
    text = json.dumps(sections, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _each_holder(body: Body, reference: Reference) -> list[Body]:
    if reference.within is None:
        return [body] if reference.when(body) else []
    held = body.get(reference.within)
    return [item for item in held if isinstance(item, dict)] if isinstance(held, list) else []


def _named(kind: str, body: Body, names: Names) -> Body:
    """`body` (ids as stored) with each reference as the document writes it: by name, under its named field."""
    body = json.loads(json.dumps(body))  # a copy to rename in
    if kind == "connection" and body.get("subnetId") and body.get("subnetId") == names.site_subnet(body.get("siteId")):
        del body["subnetId"]  # the site's subnet is the default, and names the customer's own subscription
    for reference in REFERENCES.get(kind, ()):
        for holder in _each_holder(body, reference):
            if reference.field in holder:
                value = holder.pop(reference.field)
                ids = value if isinstance(value, list) else [value]
                named = [names.name_of(reference.target, str(i)) for i in ids]
                holder[reference.named] = named if isinstance(value, list) else named[0]
    return body


def export(ports: ConfigurationPorts, tenant_id: str) -> Body:
    """The tenant's configuration document, its objects in name order, and its version (a hash of its content)."""
    names = Names(ports, tenant_id)
    sections: Body = {}
    for kind in REGISTRY:
        objects = sorted(kind.list_all(ports, tenant_id), key=kind.name)
        bodies = [_named(kind.kind, kind.fields(obj), names) for obj in objects]
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
class _Resolved:
    body: Body  # ids as stored; a reference to an object the document makes holds its name until it is made
    pending: bool = False
    problems: list[ErrorDetail] = field(default_factory=list)


def _resolved(kind: str, body: Body, names: Names, made: dict[str, set[str]]) -> _Resolved:
    """`body` with each named reference replaced by its id in this tenant: a name the tenant does not have (an object
    of another tenant, say) is a problem at its field, unless the document makes it first."""
    result = _Resolved(json.loads(json.dumps(body)))
    for reference in REFERENCES.get(kind, ()):
        holders = _each_holder(result.body, reference)
        for index, holder in enumerate(holders):
            within = f"{reference.within}[{index}]." if reference.within else ""
            at = within + reference.named
            if reference.field in holder:
                message = f"Name it by `{reference.named}`, not by id."
                result.problems.append(ErrorDetail("nameExpected", message, within + reference.field))
                continue
            if reference.named not in holder:
                continue
            value = holder.pop(reference.named)
            wanted = value if isinstance(value, list) else [value]
            ids = []
            for position, name in enumerate(wanted):
                where = f"{at}[{position}]" if isinstance(value, list) else at
                found = names.ids_of(reference.target, name) if isinstance(name, str) else []
                if len(found) == 1:
                    ids.append(found[0])
                elif isinstance(name, str) and name in made.get(reference.target, set()):
                    ids.append(name)  # made earlier in this document
                    result.pending = True
                else:
                    ids.append(str(name))  # in its place, so the model checks the rest of the body
                    code, message = (
                        ("ambiguousName", f"More than one {reference.target} is named '{name}'.")
                        if len(found) > 1
                        else ("referenceNotFound", f"This tenant has no {reference.target} named '{name}'.")
                    )
                    result.problems.append(ErrorDetail(code, message, where))
            holder[reference.field] = ids if isinstance(value, list) else ids[0]
    return result


@dataclass
class _Step:
    kind: Configurable[Any]
    planned: PlannedObject
    current: Any = None
    body: Body = field(default_factory=dict)  # create: the whole body; update: the fields that change


def _sections(document: ConfigurationDocument) -> Body:
    return document.model_dump(by_alias=True, exclude={"version"})


def _renamed(kind: str, raw: Body) -> dict[str, str]:
    """The id fields this object of the document names by name instead (an image id stays one for a gallery image)."""
    return {r.field: r.named for r in REFERENCES.get(kind, ()) if r.within is not None or r.named in raw}


def _plan_kind(
    ports: ConfigurationPorts,
    tenant_id: str,
    kind: Configurable[Any],
    given: Section,
    names: Names,
    made: dict[str, set[str]],
    problems: list[Problem],
    *,
    check: bool,
) -> list[_Step]:
    """Each object of the section matched by name with the tenant's: to make, to change (the fields that differ), or
    left; with `check`, each change is tried by its service without a save, unless it names an object not yet made."""
    section = SECTIONS[kind.kind]
    existing: dict[str, list[Any]] = {}
    for obj in kind.list_all(ports, tenant_id):
        existing.setdefault(kind.name(obj), []).append(obj)
    steps: list[_Step] = []
    seen: set[str] = set()
    for index, raw in enumerate(given):
        path = section if kind.kind in SINGLE else f"{section}[{index}]"
        renamed = _renamed(kind.kind, raw)
        found: list[ErrorDetail] = []
        step = _step(ports, tenant_id, kind, raw, names, made, existing, seen, found, check=check)
        problems += [_problem(detail, path, renamed) for detail in found]
        if step is not None and not found:
            steps.append(step)
    return steps


def _step(
    ports: ConfigurationPorts,
    tenant_id: str,
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
    resolved = _resolved(kind.kind, raw, names, made)
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
        problems.append(ErrorDetail("ambiguousName", f"This tenant has more than one {kind.kind} named '{name}'."))
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
        shown = field_changes(_named(kind.kind, stored, names), _named(kind.kind, kind.readable(desired), names))
        action: Action = "update" if changed else "unchanged"
        step = _Step(kind, PlannedObject(kind=kind.kind, name=name, action=action, changes=shown), current, changed)
    if check and action_of(step) != "unchanged" and not resolved.pending:
        try:  # the service's own checks, nothing saved
            if current is None:
                kind.create(ports, tenant_id, step.body, True)
            else:
                kind.patch(ports, tenant_id, current, step.body, True)
        except ValidationError as exc:
            problems += _pydantic_details(exc)
        except DomainError as exc:
            problems += exc.details or [ErrorDetail(exc.code, exc.message, exc.target)]
    return step


def action_of(step: _Step) -> Action:
    return step.planned.action


def _given(kind: Configurable[Any], sections: Body) -> Section:
    value = sections.get(SECTIONS[kind.kind])
    if kind.kind in SINGLE:
        return [value] if value is not None else []
    return list(value or [])


def _run(
    ports: ConfigurationPorts, tenant_id: str, document: ConfigurationDocument, version: str, *, write: bool
) -> tuple[ConfigurationPlan, list[Work]]:
    names, made, problems = Names(ports, tenant_id), dict[str, set[str]](), list[Problem]()
    sections = document.model_dump(by_alias=True, exclude={"version"})
    plan = ConfigurationPlan(version=version)
    work: list[Work] = []
    for kind in REGISTRY:
        given = _given(kind, sections)
        for step in _plan_kind(ports, tenant_id, kind, given, names, made, problems, check=not write):
            plan.objects.append(step.planned)
            action = action_of(step)
            plan.creates += action == "create"
            plan.updates += action == "update"
            plan.unchanged += action == "unchanged"
            if write and action != "unchanged":
                if step.current is None:
                    written = kind.create(ports, tenant_id, step.body, False)
                else:
                    written = kind.patch(ports, tenant_id, step.current, step.body, False)
                work += written.work
        names.forget(kind.kind)  # what this kind made is named by the next kinds
    plan.problems = problems
    return plan, work


def plan(ports: ConfigurationPorts, tenant_id: str, document: ConfigurationDocument) -> ConfigurationPlan:
    """What applying `document` would create, change (field by field) or leave, and each problem at its field."""
    return _run(ports, tenant_id, document, export(ports, tenant_id)["version"], write=False)[0]


def apply(
    ports: ConfigurationPorts, tenant_id: str, document: ConfigurationDocument, *, if_match: str | None
) -> Applied:
    """Apply `document` over the tenant's configuration whose version `if_match` is (412 otherwise, 400 without one):
    every object checked first, then each kind written in turn, so nothing is written when any has a problem (400).

    An object naming one the same document makes (a policy and its new connection) is checked by its model alone:
    its service can check it only once that one exists."""
    if if_match is None:  # no write is blind: the caller says which version the document was planned against
        raise ValidationFailed.of(
            ErrorDetail(
                "ifMatchRequired",
                "Send If-Match: the configuration version the document was planned against.",
                "If-Match",
            )
        )
    version = export(ports, tenant_id)["version"]
    if _unquoted(if_match) != version:
        raise PreconditionFailed(
            "If-Match must be the tenant's configuration version (GET .../configuration gives it as its ETag); "
            "read it again, plan, and retry.",
            code="preconditionFailed",
            target="If-Match",
        )
    checked, _ = _run(ports, tenant_id, document, version, write=False)
    if checked.problems:
        raise ValidationFailed.of(*(ErrorDetail(p.code, p.message, p.target) for p in checked.problems))
    done, work = _run(ports, tenant_id, document, version, write=True)
    return Applied(done, work)


def etag_of(version: str) -> str:
    return f'"{version}"'


def _unquoted(if_match: str) -> str:
    return if_match.removeprefix("W/").strip('"')

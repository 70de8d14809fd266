"""The portal speaks the API's vocabulary: portal/src/vocabulary.js is generated from the served OpenAPI document,
with the subsets of each record kind's statuses that the service names (x-subsets: under way, busy, ...); the portal
keeps no status set of its own, and its orderings of statuses name only what the API has. The number fields' ranges
and defaults (minimum, maximum, default) come the same way: the portal writes none of its own. So do the role each
operation needs (x-access) and the backend that alone serves one (x-served-only-by): the portal never fetches the
document to start.

A stale vocabulary.js fails here; `PORTAL_VOCABULARY=write` renews it from the document:
    PORTAL_VOCABULARY=write .venv/bin/python -m pytest tests/integration/test_portal_vocabulary.py
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

from shared.models.alerts import THRESHOLD_UNITS
from tests.utils.function_client import FunctionClient

PORTAL = Path(__file__).resolve().parents[2] / "portal" / "src"
GENERATED = PORTAL / "vocabulary.js"
# each constant of vocabulary.js: the schema and property whose enum (or x- extension) it is
ENUMS = {
    "CLOUD_PC_STATUSES": ("CloudPc", "status"),
    "BULK_ACTIONS": ("BulkActionCreate", "action"),
    "BULK_ACTION_STATUSES": ("BulkAction", "status"),
    "TIMELINE_OUTCOMES": ("CloudPcEvent", "outcome"),
    "SPOT_GROUP_STATUSES": ("SpotGroup", "status"),
    "SESSION_HOST_STATUSES": ("SessionHost", "status"),
    "IMAGE_UPDATE_STATUSES": ("ImageUpdate", "status"),
    "IMAGE_VERSION_STATUSES": ("ImageSetVersion", "status"),
    "DEVICE_IMAGE_STATUSES": ("DeviceImage", "status"),
    "CONNECTION_STATUSES": ("Connection", "healthCheckStatus"),
    "WEEKDAYS": ("WeekdaySet", "days"),
    "SCHEDULE_PHASES": ("ScheduleException", "phase"),
    "LOAD_BALANCING": ("Phase", "loadBalancing"),
    "LOG_OFF_POLICIES": ("LogOff", "policy"),
    "DECISION_ACTIONS": ("SpotGroupEvent", "action"),
    "DECISION_OUTCOMES": ("SpotGroupEvent", "outcome"),
    "SESSION_STATES": ("SpotGroupSession", "state"),
    "SESSION_ACTIONS": ("SessionBulkActionCreate", "action"),
    "ALERT_RULE_KINDS": ("AlertRuleCreate", "kind"),
    "ALERT_SEVERITIES": ("AlertRuleCreate", "severity"),
    "ALERT_STATUSES": ("Alert", "status"),
    "ALERT_DELIVERY_STATUSES": ("ChannelDelivery", "status"),
    "COST_CURRENCIES": ("CostReport", "currency"),
}
# each record kind whose status field names its subsets (x-subsets): CLOUD_PC_UNDER_WAY is CloudPc's `underWay`
SUBSETS = {
    "CLOUD_PC": ("CloudPc", "status"),
    "SPOT_GROUP": ("SpotGroup", "status"),
    "SESSION_HOST": ("SessionHost", "status"),
    "IMAGE_UPDATE": ("ImageUpdate", "status"),
    "IMAGE_VERSION": ("ImageSetVersion", "status"),
    "CONNECTION": ("Connection", "healthCheckStatus"),
}
TEMPLATE_FIELDS = {
    "provisioningPolicy": "PolicyTemplateFields",
    "spotGroup": "SpotGroupTemplateFields",
    "alertRule": "AlertRuleTemplateFields",
}
DEFAULTS = {"SPOT_GROUP_DEFAULTS": ("SpotGroupCreate", ("vmSize", "maxSessionsPerHost"))}
# the number fields a form shows the range (and the default) of: each schema's whole numbers
RANGES = {
    "ROLLOUT_RANGES": "Rollout",
    "MAINTENANCE_WINDOW_RANGES": "MaintenanceWindow",
    "SESSION_LIMIT_RANGES": "SessionLimits",
    "PERSONAL_POWER_RANGES": "PersonalPower",
    "PRE_STAGING_RANGES": "PreStaging",
    "LOG_OFF_RANGES": "LogOff",
    "SPOT_GROUP_RANGES": "SpotGroupCreate",
    "HOST_SCALING_RANGES": "HostScaling",
    "ALERT_RULE_RANGES": "AlertRuleCreate",
    "RECLAIM_RANGES": "ReclaimRule",
}
# and an operation's number parameters: (path, method)
PARAMETER_RANGES = {"SPOT_GROUP_DELETE_RANGES": ("/tenants/{tenantId}/spotGroups/{spotGroupId}", "delete")}
# the longest text a field takes, which a form shows beside it (schema, fields)
MAX_LENGTHS = {
    "SESSION_MESSAGE_MAX_LENGTHS": ("SessionMessage", ("title", "message")),
    "LOG_OFF_MAX_LENGTHS": ("LogOff", ("message",)),
}
# the portal's orderings: file, constant, the generated list each is drawn from, and whether it must name all of it
# (a filter offers every status, in the portal's order; the tiles always shown are an order, not a rule)
GROUPINGS = [
    ("lib/cloud-pcs.js", "ALWAYS_TILED", "CLOUD_PC_STATUSES", False),
    ("lib/timeline.js", "OUTCOMES", "TIMELINE_OUTCOMES", False),
    ("pages/spot-groups.js", "STATUSES", "SPOT_GROUP_STATUSES", True),
    ("pages/connections.js", "STATUSES", "CONNECTION_STATUSES", True),
]


# a range written out in words or a hint: 1-240 (not a date's 2026-11-02 nor a time's 07:00-09:00)
WRITTEN_RANGE = re.compile(r"(?<![\d:.-])(?P<low>\d+)-(?P<high>\d+)(?![\d:-])")
# a constant or key set to a number, which its name may say is a bound or a default: `max: 22 * 60`,
# `NOTIFY_DEFAULT_MINUTES = 15`
BOUND_CONSTANT = re.compile(r"\b(?P<name>\w+)\s*[:=]\s*(?P<value>\d+(?:\s*\*\s*\d+)*)(?![\w.(])")
NAME_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")  # NOTIFY_MAX_MINUTES, maxUnavailable
BOUND_WORDS = {"min": "min", "minimum": "min", "max": "max", "maximum": "max", "default": "default"}
# what the vocabulary does not carry yet: a list's length (customizationScripts' maxItems), and a parameter's default
# that the document says only in words (drainTimeoutMinutes of a group's delete)
NOT_RANGES = {("pages/image-set-versions.js", "MAX_SCRIPTS"), ("pages/spot-group-page.js", "DRAIN_DEFAULT_MINUTES")}
# a status set of its own: a list of two or more statuses of one record kind, every string of it one
STATUS_LIST = re.compile(r"\[\s*'[^'\]]*'(?:\s*,\s*'[^'\]]*')+\s*,?\s*\]")


def enum_of(schema: dict[str, Any]) -> list[str]:
    if "enum" in schema:
        return list(schema["enum"])
    if "items" in schema:  # a list of the enum's values (a weekday set's days)
        return enum_of(schema["items"])
    return next(list(option["enum"]) for option in schema.get("anyOf", []) if "enum" in option)


def max_length_of(schema: dict[str, Any]) -> int:
    if "maxLength" in schema:
        return int(schema["maxLength"])
    return next(int(option["maxLength"]) for option in schema.get("anyOf", []) if "maxLength" in option)


def range_of(schema: dict[str, Any]) -> dict[str, int] | None:
    """A whole number's minimum, maximum and default (one that is not null), or None for a field of another kind."""
    number = next((option for option in [schema, *schema.get("anyOf", [])] if option.get("type") == "integer"), None)
    if number is None or "minimum" not in number or "maximum" not in number:
        return None
    found = {"minimum": number["minimum"], "maximum": number["maximum"]}
    return found if schema.get("default") is None else {**found, "default": schema["default"]}


def document_ranges(document: dict[str, Any]) -> dict[tuple[int, int], list[str]]:
    """Every whole number's range in the document, with the fields that have it."""
    found: dict[tuple[int, int], list[str]] = {}
    for model, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if (bounds := range_of(prop)) is not None:
                found.setdefault((bounds["minimum"], bounds["maximum"]), []).append(f"{model}.{field}")
    return found


def vocabulary(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    found: dict[str, Any] = {
        name: enum_of(schemas[model]["properties"][field]) for name, (model, field) in ENUMS.items()
    }
    for kind, (model, field) in SUBSETS.items():
        for subset, statuses in schemas[model]["properties"][field]["x-subsets"].items():
            found[f"{kind}_{re.sub(r'(?<!^)(?=[A-Z])', '_', subset).upper()}"] = statuses
    for name, (model, fields) in DEFAULTS.items():
        properties = schemas[model]["properties"]
        found[name] = {field: properties[field]["x-default-by-user-type"] for field in fields}
    for name, model in RANGES.items():
        ranges = {field: range_of(prop) for field, prop in schemas[model]["properties"].items()}
        found[name] = {field: bounds for field, bounds in ranges.items() if bounds is not None}
    for name, (path, method) in PARAMETER_RANGES.items():
        parameters = {p["name"]: range_of(p["schema"]) for p in document["paths"][path][method].get("parameters", [])}
        found[name] = {parameter: bounds for parameter, bounds in parameters.items() if bounds is not None}
    for name, (model, texts) in MAX_LENGTHS.items():
        properties = schemas[model]["properties"]
        found[name] = {field: max_length_of(properties[field]) for field in texts}
    # who may call each operation, and the backend that alone serves it: the portal hides what would fail without
    # waiting for the document at start
    operations = [operation for methods in document["paths"].values() for operation in methods.values()]
    # the fields a template of each kind may set (the create body's, each optional): a template made from an object
    # takes these of its body
    found["TEMPLATE_FIELDS"] = {kind: list(schemas[model]["properties"]) for kind, model in TEMPLATE_FIELDS.items()}
    found["OPERATION_ACCESS"] = {operation["operationId"]: operation["x-access"] for operation in operations}
    # the unit of each rule kind that takes a threshold: the rules service's own table (the document says only that
    # a threshold is a whole number), so the form asks for it where the server will
    found["ALERT_THRESHOLD_UNITS"] = THRESHOLD_UNITS
    found["SERVED_ONLY_BY"] = {
        operation["operationId"]: operation["x-served-only-by"]
        for operation in operations
        if "x-served-only-by" in operation
    }
    return found


def render(found: dict[str, Any]) -> str:
    lines = [
        "// The API's vocabulary, generated from the served OpenAPI document (/api/openapi.json) by",
        "// tests/integration/test_portal_vocabulary.py, which fails when this file is stale: do not edit by hand.",
        "",
    ]
    lines += [f"export const {name} = {json.dumps(value)};" for name, value in found.items()]
    return "\n".join(lines) + "\n"


def line_of(source: str, found: re.Match[str]) -> int:
    return source.count("\n", 0, found.start()) + 1


def portal_list(file: str, constant: str) -> list[str]:
    """The strings of `export const CONSTANT = [...]` (or `const`) in a portal module."""
    source = (PORTAL / file).read_text()
    match = re.search(rf"\bconst {constant} = \[([^\]]*)\]", source)
    assert match, f"{file} has no list {constant}"
    return re.findall(r"'([^']*)'", match.group(1))


@pytest.fixture
def document(client: FunctionClient) -> dict[str, Any]:
    return client.get("/api/openapi.json").json()


@pytest.fixture
def generated(document: dict[str, Any]) -> dict[str, Any]:
    return vocabulary(document)


def test_the_portals_vocabulary_is_the_served_documents(generated: dict[str, Any]) -> None:
    text = render(generated)
    if os.environ.get("PORTAL_VOCABULARY") == "write":
        GENERATED.write_text(text)
    assert GENERATED.read_text() == text, "portal/src/vocabulary.js is stale: PORTAL_VOCABULARY=write renews it"


@pytest.mark.parametrize(("file", "constant", "source", "whole"), GROUPINGS, ids=[f"{g[0]}:{g[1]}" for g in GROUPINGS])
def test_the_portal_names_only_what_the_api_has(
    generated: dict[str, Any], file: str, constant: str, source: str, whole: bool
) -> None:
    named, api = portal_list(file, constant), set(generated[source])
    assert named and set(named) <= api, f"{file} {constant} names what the API does not have: {set(named) - api}"
    assert not whole or set(named) == api, f"{file} {constant} leaves out {api - set(named)}"


def test_the_portal_takes_its_status_sets_from_the_vocabulary(generated: dict[str, Any]) -> None:
    """A subset of a record kind's statuses is the API's (x-subsets, in vocabulary.js), never the portal's own copy."""
    kinds = [set(values) for name, values in generated.items() if name.endswith("_STATUSES")]
    orderings = {(file, constant) for file, constant, _, _ in GROUPINGS}
    outcomes = set(generated["TIMELINE_OUTCOMES"])  # a timeline line's outcome shares words with statuses
    own = []
    for path in sorted(PORTAL.rglob("*.js")):
        if path == GENERATED:
            continue
        file, source = path.relative_to(PORTAL).as_posix(), path.read_text()
        for found in STATUS_LIST.finditer(source):
            named = set(re.findall(r"'([^']*)'", found.group()))
            constant = re.search(r"\bconst (\w+) = $", source[: found.start()])
            if (file, constant and constant.group(1)) in orderings or named <= outcomes:
                continue
            if any(named <= kind for kind in kinds):
                own.append(f"{file}:{line_of(source, found)} {found.group()}")
    assert not own, f"status sets of the portal's own, not from vocabulary.js: {own}"


def test_the_portal_takes_its_ranges_from_the_vocabulary(document: dict[str, Any]) -> None:
    """A field's range written out ('1-240') or a bound or default kept as a constant of the portal's own
    (`max: 22 * 60`, `NOTIFY_DEFAULT_MINUTES = 15`) is the API's, in vocabulary.js's *_RANGES, never a copy."""
    ranges = document_ranges(document)
    bounds = {"min": {low for low, _ in ranges}, "max": {high for _, high in ranges}, "default": set()}
    for name in RANGES:
        bounds["default"] |= {found["default"] for found in vocabulary(document)[name].values() if "default" in found}
    own = []
    for path in sorted(PORTAL.rglob("*.js")):
        if path == GENERATED:
            continue
        file, source = path.relative_to(PORTAL).as_posix(), path.read_text()
        for found in WRITTEN_RANGE.finditer(source):
            if (fields := ranges.get((int(found["low"]), int(found["high"])))) is not None:
                own.append(f"{file}:{line_of(source, found)} {found.group()} is {', '.join(fields)}")
        for found in BOUND_CONSTANT.finditer(source):
            named = map(str.lower, NAME_WORD.findall(found["name"]))
            words = {BOUND_WORDS[word] for word in named if word in BOUND_WORDS}
            value = math.prod(int(factor) for factor in found["value"].split("*"))
            if (file, found["name"]) not in NOT_RANGES and any(value in bounds[word] for word in words):
                own.append(f"{file}:{line_of(source, found)} {found.group()}")
    assert not own, f"ranges of the portal's own, not from vocabulary.js: {own}"

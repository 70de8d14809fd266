"""Azure ABAC conditions on role assignments and role definitions, the part of the language the emulator needs.

A condition (https://learn.microsoft.com/azure/role-based-access-control/conditions-format) limits what a role
grants: `(!(ActionMatches{'A'})) OR (@Request[attribute] Operator value)` joined with AND and OR. The emulator
evaluates the role-assignment attributes that delegating role assignments uses
(https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-portal):
`Microsoft.Authorization/roleAssignments:RoleDefinitionId`, `:PrincipalId` and `:PrincipalType`, from the request
(`@Request`) or the assignment acted on (`@Resource`), with GuidEquals, GuidNotEquals, StringEqualsIgnoreCase and
their `ForAnyOfAnyValues:` and `ForAnyOfAllValues:` forms. A condition it cannot read grants nothing: the emulator
is never kinder than Azure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<not>!)|(?P<and>AND\b)|(?P<or>OR\b)"
    r"|ActionMatches\{'(?P<action>[^']*)'\}"
    r"|@(?P<source>Request|Resource)\[(?P<attribute>[^\]]+)\]\s*(?P<operator>[A-Za-z:]+)\s*(?P<values>\{[^}]*\}|'[^']*'|[^\s()]+))",
    re.IGNORECASE,
)
Attributes = dict[str, dict[str, list[str]]]  # source (request, resource) -> attribute (lower case) -> values


class Unreadable(ValueError):
    """A condition outside the part of the language the emulator evaluates."""


def _values(raw: str) -> list[str]:
    return [v.strip().strip("'").lower() for v in raw.strip("{}").split(",") if v.strip()] if raw else []


def _compare(operator: str, actual: list[str], wanted: list[str]) -> bool:
    quantifier, _, base = operator.rpartition(":")
    base = base.lower()
    if base in ("guidequals", "stringequalsignorecase", "stringequals"):
        test: Callable[[str], bool] = lambda value: value in wanted  # noqa: E731 - one line per operator
    elif base in ("guidnotequals", "stringnotequalsignorecase", "stringnotequals"):
        test = lambda value: value not in wanted  # noqa: E731
    else:
        raise Unreadable(f"operator {operator}")
    if quantifier.lower() in ("", "foranyofanyvalues"):
        return any(test(value) for value in actual)
    if quantifier.lower() == "foranyofallvalues":
        return all(test(value) for value in actual)
    raise Unreadable(f"operator {operator}")


Node = tuple[Any, ...]  # ("and"|"or", left, right), ("not", node), ("action", pattern), ("test", match)


def evaluate(condition: str, action: str, attributes: Attributes) -> bool:
    """Whether the condition holds for `action` with these attributes; False for a condition it cannot read.

    AND and OR stop at their left side when it decides, as Azure's do: a branch about another action may name
    attributes this request does not have.
    """
    try:
        node, rest = _expression(_tokens(condition))
        if rest:
            raise Unreadable("trailing text")
        return _value(node, action.lower(), attributes)
    except Unreadable:
        return False


def _tokens(condition: str) -> list[re.Match[str]]:
    found, at = [], 0
    while at < len(condition.rstrip()):
        match = TOKEN.match(condition, at)
        if match is None or match.end() == at:
            raise Unreadable(condition[at : at + 40])
        found.append(match)
        at = match.end()
    return found


def _expression(tokens: list[re.Match[str]]) -> tuple[Node, list[re.Match[str]]]:
    node, rest = _term(tokens)
    while rest and (rest[0].group("and") or rest[0].group("or")):
        joiner = "and" if rest[0].group("and") else "or"
        right, rest = _term(rest[1:])
        node = (joiner, node, right)
    return node, rest


def _term(tokens: list[re.Match[str]]) -> tuple[Node, list[re.Match[str]]]:
    if not tokens:
        raise Unreadable("an expression ends early")
    head = tokens[0]
    if head.group("not"):
        node, rest = _term(tokens[1:])
        return ("not", node), rest
    if head.group("open"):
        node, rest = _expression(tokens[1:])
        if not rest or not rest[0].group("close"):
            raise Unreadable("a parenthesis is not closed")
        return node, rest[1:]
    if head.group("action") is not None:
        return ("action", head.group("action").lower()), tokens[1:]
    if head.group("attribute"):
        return ("test", head), tokens[1:]
    raise Unreadable(head.group(0))


def _value(node: Node, action: str, attributes: Attributes) -> bool:
    kind = node[0]
    if kind == "and":
        return _value(node[1], action, attributes) and _value(node[2], action, attributes)
    if kind == "or":
        return _value(node[1], action, attributes) or _value(node[2], action, attributes)
    if kind == "not":
        return not _value(node[1], action, attributes)
    if kind == "action":
        return re.fullmatch(re.escape(node[1]).replace(r"\*", ".*"), action) is not None
    head = node[1]
    source, attribute = head.group("source").lower(), head.group("attribute").lower()
    if source not in attributes or attribute not in attributes[source]:
        raise Unreadable(f"attribute {attribute}")
    return _compare(head.group("operator"), attributes[source][attribute], _values(head.group("values")))

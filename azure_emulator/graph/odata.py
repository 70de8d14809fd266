"""The OData Graph clients use on lists: a `$filter` subset, `$orderby`, `$count`, `$top`, and `$skiptoken` paging
with `@odata.nextLink`.

`$filter` grammar: comparisons `path eq|ne 'text'|true|false|null|number|guid`, `path in ('a', 'b')`,
`startswith(path, 'text')`, `path/any(x: x/prop eq value)`, combined with `and`, `or`, `not` and parentheses.
Strings compare case-insensitively, as directory properties do. `$orderby` takes one property, `asc` or `desc`.
Anything else is Graph's 400 Unsupported Query.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from azure_emulator.server import ApiError, Request

Predicate = Callable[[dict[str, Any]], bool]
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_@][\w.@]*(?:/[A-Za-z_@][\w.@]*)*)|(?P<punct>[(),:]))"
)
ORDER_BY = re.compile(r"(?P<path>[A-Za-z_@][\w.@]*(?:/[A-Za-z_@][\w.@]*)*)(?:\s+(?P<direction>asc|desc))?", re.I)
MAX_TOP = 999


def unsupported(message: str = "Unsupported Query.") -> ApiError:
    return ApiError(400, "Request_UnsupportedQuery", message)


def _tokens(text: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise unsupported(f"Invalid filter clause near '{text[position : position + 20]}'.")
        position = match.end()
        kind = match.lastgroup or ""
        value: Any = match.group(kind)
        if kind == "str":
            value = value[1:-1].replace("''", "'")
        elif kind == "num":
            value = float(value) if "." in value else int(value)
        found.append((kind, value))
    return found


def _lookup(doc: Any, path: str) -> Any:
    for part in path.split("/"):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return bool(left == right)


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", None)

    def take(self, kind: str | None = None, value: Any = None) -> Any:
        token = self.peek()
        if (kind and token[0] != kind) or (value is not None and str(token[1]).lower() != value):
            raise unsupported(f"Invalid filter clause: expected {value or kind}, found '{token[1]}'.")
        self.at += 1
        return token[1]

    def keyword(self, word: str) -> bool:
        kind, value = self.peek()
        if kind == "name" and str(value).lower() == word:
            self.at += 1
            return True
        return False

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self.keyword("or"):
            right = self.conjunction()
            left = (lambda a, b: lambda d: a(d) or b(d))(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.unary()
        while self.keyword("and"):
            right = self.unary()
            left = (lambda a, b: lambda d: a(d) and b(d))(left, right)
        return left

    def unary(self) -> Predicate:
        if self.keyword("not"):
            inner = self.unary()
            return lambda d: not inner(d)
        if self.peek() == ("punct", "("):
            self.take("punct")
            inner = self.expression()
            self.take("punct", ")")
            return inner
        return self.clause()

    def literal(self) -> Any:
        kind, value = self.peek()
        self.at += 1
        if kind in ("str", "guid", "num"):
            return value
        if kind == "name" and str(value).lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[str(value).lower()]
        raise unsupported(f"Invalid filter clause: '{value}' is not a literal.")

    def clause(self) -> Predicate:
        path = self.take("name")
        if str(path).lower() == "startswith":
            self.take("punct", "(")
            field = self.take("name")
            self.take("punct", ",")
            prefix = str(self.literal()).lower()
            self.take("punct", ")")
            return lambda d: str(_lookup(d, field) or "").lower().startswith(prefix)
        if str(path).lower().endswith("/any"):
            collection = path[: -len("/any")]
            self.take("punct", "(")
            variable = self.take("name")
            self.take("punct", ":")
            inner = _Parser(self.tokens)
            inner.at = self.at
            item_test = inner.comparison(strip=f"{variable}/")
            self.at = inner.at
            self.take("punct", ")")
            return lambda d: any(item_test(item) for item in (_lookup(d, collection) or []))
        self.at -= 1
        return self.comparison()

    def comparison(self, strip: str = "") -> Predicate:
        path = str(self.take("name")).removeprefix(strip)
        operator = str(self.take("name")).lower()
        if operator == "in":
            self.take("punct", "(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.take("punct")
                values.append(self.literal())
            self.take("punct", ")")
            return lambda d: any(_equal(_lookup(d, path), v) for v in values)
        value = self.literal()
        if operator == "eq":
            return lambda d: _equal(_lookup(d, path), value)
        if operator == "ne":
            return lambda d: not _equal(_lookup(d, path), value)
        raise unsupported(f"Unsupported filter operator '{operator}'.")


def parse_filter(text: str | None) -> Predicate:
    if not text:
        return lambda d: True
    parser = _Parser(_tokens(text))
    predicate = parser.expression()
    if parser.peek()[0] != "end":
        raise unsupported(f"Invalid filter clause near '{parser.peek()[1]}'.")
    return predicate


def page_size(request: Request, default: int = 100) -> int:
    raw = request.q("$top")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
        raise ApiError(400, "Request_BadRequest", f"Invalid page size specified: '{raw}'. Must be between 1 and 999.")
    return int(raw)


def check_directory_query(request: Request) -> None:
    """Graph's rule for directory objects: `$count`, and sorting a filtered list, are advanced queries, answered only
    with `ConsistencyLevel: eventual` (sorting a filtered list also needs `$count=true`)."""
    eventual = request.headers.get("consistencylevel", "").lower() == "eventual"
    counting = (request.q("$count") or "").lower() == "true"
    if counting and not eventual:
        raise ApiError(400, "Request_BadRequest", "$count is not currently supported.")
    if request.q("$filter") and request.q("$orderby") and not (eventual and counting):
        raise unsupported("Sorting not supported for current query.")


def _order(request: Request) -> tuple[str, bool] | None:
    """`$orderby`'s property and whether it sorts descending; None without one."""
    raw = (request.q("$orderby") or "").strip()
    if not raw:
        return None
    match = ORDER_BY.fullmatch(raw)
    if match is None:
        raise unsupported(f"Unsupported $orderby '{raw}': one property, optionally asc or desc.")
    return match["path"], (match["direction"] or "asc").lower() == "desc"


def _encode(position: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": position}).encode()).decode().rstrip("=")


def _decode(token: str) -> list[str]:
    try:
        after = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["after"]
    except (ValueError, KeyError, TypeError):
        after = None
    if not isinstance(after, list) or not all(isinstance(part, str) for part in after):
        raise ApiError(400, "Request_BadRequest", "The $skiptoken is not valid.")
    return after


def paged(
    request: Request,
    items: list[dict[str, Any]],
    context: str,
    project: Callable[[dict[str, Any]], dict[str, Any]] = lambda doc: doc,
    default_top: int = 100,
    key: str = "id",
) -> dict[str, Any]:
    """One page of `items` (ordered by `$orderby`, then by `key`; then `project`ed) with `@odata.nextLink` when more
    follow, and `@odata.count` (every item, not the page's) with `$count=true`."""
    top = page_size(request, default_top)
    order = _order(request)
    descending = order is not None and order[1]

    def position(item: dict[str, Any]) -> list[str]:  # `key` breaks ties, so a position is never shared
        sort = [] if order is None else [str(_lookup(item, order[0]) or "").lower()]
        return [*sort, str(item.get(key, ""))]

    ordered = sorted(items, key=position, reverse=descending)
    token = request.q("$skiptoken")
    if token:
        after = _decode(token)
        ordered = [item for item in ordered if (position(item) < after if descending else position(item) > after)]
    page = ordered[:top]
    body: dict[str, Any] = {"@odata.context": context}
    if (request.q("$count") or "").lower() == "true":
        body["@odata.count"] = len(items)
    body["value"] = [project(item) for item in page]
    if len(ordered) > top:
        query = {k: v for k, v in request.query.items() if k.lower() != "$skiptoken"}
        query["$skiptoken"] = _encode(position(page[-1]))
        encoded = urlencode(query, safe="$',()", quote_via=quote)  # Graph's links keep `$skiptoken` readable
        body["@odata.nextLink"] = f"{request.base_url}{request.path}?{encoded}"
    return body

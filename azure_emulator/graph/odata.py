"""The OData Graph clients use on lists: a `$filter` subset, `$orderby`, `$count`, `$top`, and `$skiptoken` paging
with `@odata.nextLink`.

`$filter` grammar: comparisons `path eq|ne 'text'|true|false|null|number|guid`, `path in ('a', 'b')`,
`startswith(path, 'text')`, `path/any(x: x/prop eq value)`, combined with `and`, `or`, `not` and parentheses.
Strings compare case-insensitively, as directory properties do. `$orderby` takes one property, `asc` or `desc`.
Anything else is Graph's 400 Unsupported Query. On directory objects `directory_query` adds Graph's advanced-query
rules (`ne`, `not`, `endsWith`, `$search`, sorting a filtered list, `$count`) and its limit on `in` values.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from azure_emulator.server import ApiError, Request
from azure_emulator.tokens import PUBLIC_GRAPH

Predicate = Callable[[dict[str, Any]], bool]
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_@][\w.@]*(?:/[A-Za-z_@][\w.@]*)*)|(?P<punct>[(),:]))"
)
ORDER_BY = re.compile(r"(?P<path>[A-Za-z_@][\w.@]*(?:/[A-Za-z_@][\w.@]*)*)(?:\s+(?P<direction>asc|desc))?", re.I)
MAX_TOP = 999
# Which queries on directory objects Graph answers only as advanced queries (header `ConsistencyLevel: eventual`
# and, except for `$search`, `$count=true`), and its errors when they are sent without:
ADVANCED_QUERIES = "https://learn.microsoft.com/graph/aad-advanced-queries"
ADVANCED_OPERATORS = ("ne", "not", "endswith")  # the negations and endsWith are advanced-only on every property
ENDSWITH_PROPERTIES = {"mail", "othermails", "userprincipalname", "proxyaddresses"}  # the only ones, even advanced
# Query parameter limits (https://learn.microsoft.com/graph/known-issues, "Some limitations apply to query
# parameters"): a filter's `in` is held to 15 expressions by default, an advanced query to a 2,048-character URL.
MAX_OR_CLAUSES = 15
MAX_ADVANCED_URL = 2048


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
    """Recursive descent; each rule answers its predicate and its width: how many OR'ed alternatives it expands to
    (an `in` of n values is n), which Graph counts against its limit on a filter's child clauses."""

    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens, self.at = tokens, 0
        self.operators: set[str] = set()  # the lower-cased operators and functions the filter uses
        self.endswith_paths: list[str] = []
        self.widest = 0  # the most OR'ed alternatives in any one part of the filter
        self.predicate: Predicate = lambda d: True

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

    def expression(self) -> tuple[Predicate, int]:
        left, width = self.conjunction()
        while self.keyword("or"):
            right, more = self.conjunction()
            left, width = (lambda a, b: lambda d: a(d) or b(d))(left, right), width + more
        self.widest = max(self.widest, width)
        return left, width

    def conjunction(self) -> tuple[Predicate, int]:
        left, width = self.unary()
        while self.keyword("and"):
            right, more = self.unary()
            left, width = (lambda a, b: lambda d: a(d) and b(d))(left, right), max(width, more)
        return left, width

    def unary(self) -> tuple[Predicate, int]:
        if self.keyword("not"):
            self.operators.add("not")
            inner, width = self.unary()
            return (lambda d: not inner(d)), width
        if self.peek() == ("punct", "("):
            self.take("punct")
            inner, width = self.expression()
            self.take("punct", ")")
            return inner, width
        return self.clause()

    def literal(self) -> Any:
        kind, value = self.peek()
        self.at += 1
        if kind in ("str", "guid", "num"):
            return value
        if kind == "name" and str(value).lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[str(value).lower()]
        raise unsupported(f"Invalid filter clause: '{value}' is not a literal.")

    def clause(self) -> tuple[Predicate, int]:
        path = self.take("name")
        function = str(path).lower()
        if function in ("startswith", "endswith"):
            self.operators.add(function)
            self.take("punct", "(")
            field = self.take("name")
            self.take("punct", ",")
            affix = str(self.literal()).lower()
            self.take("punct", ")")
            if function == "endswith":
                self.endswith_paths.append(field)
                return (lambda d: str(_lookup(d, field) or "").lower().endswith(affix)), 1
            return (lambda d: str(_lookup(d, field) or "").lower().startswith(affix)), 1
        if str(path).lower().endswith("/any"):
            collection = path[: -len("/any")]
            self.take("punct", "(")
            variable = self.take("name")
            self.take("punct", ":")
            inner = _Parser(self.tokens)
            inner.at = self.at
            item_test, width = inner.comparison(strip=f"{variable}/")
            self.operators |= inner.operators
            self.at = inner.at
            self.take("punct", ")")
            return (lambda d: any(item_test(item) for item in (_lookup(d, collection) or []))), width
        self.at -= 1
        return self.comparison()

    def comparison(self, strip: str = "") -> tuple[Predicate, int]:
        path = str(self.take("name")).removeprefix(strip)
        operator = str(self.take("name")).lower()
        self.operators.add(operator)
        if operator == "in":
            self.take("punct", "(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.take("punct")
                values.append(self.literal())
            self.take("punct", ")")
            self.widest = max(self.widest, len(values))
            return (lambda d: any(_equal(_lookup(d, path), v) for v in values)), len(values)
        value = self.literal()
        if operator == "eq":
            return (lambda d: _equal(_lookup(d, path), value)), 1
        if operator == "ne":
            return (lambda d: not _equal(_lookup(d, path), value)), 1
        raise unsupported(f"Unsupported filter operator '{operator}'.")


def _parse(text: str | None) -> _Parser:
    parser = _Parser(_tokens(text or ""))
    if text:
        parser.predicate = parser.expression()[0]
    if parser.peek()[0] != "end":
        raise unsupported(f"Invalid filter clause near '{parser.peek()[1]}'.")
    return parser


def parse_filter(text: str | None) -> Predicate:
    """The filter as a predicate, without the directory's rules (Intune and other non-directory lists)."""
    return _parse(text).predicate


def page_size(request: Request, default: int = 100) -> int:
    raw = request.q("$top")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
        raise ApiError(400, "Request_BadRequest", f"Invalid page size specified: '{raw}'. Must be between 1 and 999.")
    return int(raw)


SEARCH_CLAUSE = re.compile(r'"(?P<property>[A-Za-z]+):(?P<text>[^"]*)"')
# the clauses in double quotes and the AND or OR between them: a word inside the quotes is the clause's text
SEARCH_PART = re.compile(r'\s*("[^"]*"|[^\s"]+)')
TOKENIZED = {"displayname", "description"}  # other properties are matched as a prefix of the whole value
WORD = re.compile(r"[A-Z]*[a-z]+|[A-Z]+(?![a-z])|\d+")


def _words(text: str) -> list[str]:
    """A value's search tokens: split at spaces, symbols, digits and a change from lower to upper case."""
    return [word.lower() for word in WORD.findall(text)]


def _search_clause(prop: str, text: str) -> Predicate:
    wanted = text.lower()
    if prop.lower() not in TOKENIZED:
        return lambda d: str(d.get(prop) or "").lower().startswith(wanted)
    terms = _words(text)

    def matches(d: dict[str, Any]) -> bool:  # every term starts a word of the value (not confirmed: prefix match)
        words = _words(str(_lookup(d, prop) or ""))
        return bool(terms) and all(any(w.startswith(t) for w in words) for t in terms)

    return matches


def parse_search(text: str) -> Predicate:
    """`$search="property:text"` clauses joined by AND or OR (evaluated left to right), as directory objects take it
    (https://learn.microsoft.com/graph/search-query-parameter, "Use $search on directory object collections")."""
    parts = [match.group(1) for match in SEARCH_PART.finditer(text)]
    clauses, joins = parts[0::2], parts[1::2]
    if not clauses or any(join not in ("AND", "OR") for join in joins) or len(joins) != len(clauses) - 1:
        raise unsupported(f"Invalid $search '{text}': \"property:text\" clauses joined by AND or OR.")
    predicates = []
    for clause in clauses:
        match = SEARCH_CLAUSE.fullmatch(clause.strip())
        if match is None:
            raise unsupported(f"Invalid $search clause '{clause}': it takes \"property:text\".")
        predicates.append(_search_clause(match["property"], match["text"]))
    result = predicates[0]
    for join, predicate in zip(joins, predicates[1:], strict=True):
        if join == "AND":
            result = (lambda a, b: lambda d: a(d) and b(d))(result, predicate)
        else:
            result = (lambda a, b: lambda d: a(d) or b(d))(result, predicate)
    return result


def _url_length(request: Request) -> int:
    """The request's URL as sent to Graph's public endpoint (its path after the emulator's `/graph` prefix)."""
    query = urlencode(request.query, quote_via=quote, safe="$',()")
    return len(PUBLIC_GRAPH) + len(request.path.removeprefix("/graph")) + (len(query) + 1 if query else 0)


@dataclass(frozen=True)
class DirectoryQuery:
    """A directory list's `$filter` and `$search` as one predicate, and whether `@odata.count` is answered."""

    matches: Predicate
    count: bool


def directory_query(request: Request, resource: str) -> DirectoryQuery:
    """Graph's rules for a list of directory objects (`resource`: User, Group, Device, DirectoryObject for a
    relationship's mixed members), each from ADVANCED_QUERIES unless noted.

    - `ne`, `not` and `endsWith` need the advanced query parameters; `endsWith` works on ENDSWITH_PROPERTIES only.
    - `$search` needs `ConsistencyLevel: eventual` (not `$count`).
    - `$filter` with `$orderby` needs both advanced query parameters.
    - `$count=true` without the header is ignored: no `@odata.count`, no error.
    - `in` and OR'ed clauses: MAX_OR_CLAUSES by default; an advanced query is held to MAX_ADVANCED_URL instead.
    """
    eventual = request.headers.get("consistencylevel", "").lower() == "eventual"
    counting = (request.q("$count") or "").lower() == "true"
    advanced = eventual and counting
    search = request.q("$search")
    if search is not None and not eventual:  # Graph's wording (ADVANCED_QUERIES, error handling)
        raise unsupported(
            "Request with $search query parameter only works through MSGraph with a special request header: "
            "'ConsistencyLevel: eventual'"
        )
    parsed = _parse(request.q("$filter"))
    for operator in ADVANCED_OPERATORS:
        if operator in parsed.operators and not advanced:
            # Graph's wording for endsWith (ADVANCED_QUERIES); for ne and not the same wording is assumed, not confirmed
            display = "endsWith" if operator == "endswith" else operator
            raise unsupported(
                f"Operator '{display}' is not supported because the required parameters might be missing. Try adding "
                "$count=true query parameter and ConsistencyLevel:eventual header. Refer to "
                "https://aka.ms/graph-docs/advanced-queries for more information"
            )
    for path in parsed.endswith_paths:
        if path.lower() not in ENDSWITH_PROPERTIES:  # Graph's wording for a property not indexed for the operator
            raise unsupported(
                f"Unsupported or invalid query filter clause specified for property '{path}' of resource '{resource}'."
            )
    if request.q("$filter") and request.q("$orderby") and not advanced:
        raise unsupported("Sorting not supported for current query.")
    if advanced:
        if _url_length(request) > MAX_ADVANCED_URL:  # the code and wording of this refusal are not confirmed
            raise unsupported(f"The request URL is longer than {MAX_ADVANCED_URL} characters.")
    elif parsed.widest > MAX_OR_CLAUSES:
        # the code and wording are those of a Graph answer quoted in a public repository, not Microsoft's docs
        raise unsupported(
            "Too many child clauses specified in search filter expression containing 'OR' operators: "
            f"{parsed.widest}. Max allowed: {MAX_OR_CLAUSES}."
        )
    matches = parsed.predicate
    if search is not None:
        searched = parse_search(search)
        matches = (lambda a, b: lambda d: a(d) and b(d))(matches, searched)
    return DirectoryQuery(matches, count=eventual and counting)


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
    count: bool = False,
) -> dict[str, Any]:
    """One page of `items` (ordered by `$orderby`, then by `key`; then `project`ed) with `@odata.nextLink` when more
    follow, and with `count` `@odata.count` (every item, not the page's) on the first page only, as Graph answers
    directory objects (https://learn.microsoft.com/graph/known-issues, "Some limitations apply to query
    parameters")."""
    top = page_size(request, default_top)
    order = _order(request)
    descending = order is not None and order[1]

    def position(item: dict[str, Any]) -> list[str]:  # `key` breaks ties, so a position is never shared
        sort = [] if order is None else [str(_lookup(item, order[0]) or "").lower()]
        return [*sort, str(item.get(key, ""))]

    ordered = sorted(items, key=position, reverse=descending)
    token = request.q("$skiptoken")
    first_page = not token
    if token:
        after = _decode(token)
        ordered = [item for item in ordered if (position(item) < after if descending else position(item) > after)]
    page = ordered[:top]
    body: dict[str, Any] = {"@odata.context": context}
    if count and first_page:
        body["@odata.count"] = len(items)
    body["value"] = [project(item) for item in page]
    if len(ordered) > top:
        query = {k: v for k, v in request.query.items() if k.lower() != "$skiptoken"}
        query["$skiptoken"] = _encode(position(page[-1]))
        encoded = urlencode(query, safe="$',()", quote_via=quote)  # Graph's links keep `$skiptoken` readable
        body["@odata.nextLink"] = f"{request.base_url}{request.path}?{encoded}"
    return body

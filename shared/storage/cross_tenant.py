"""Rows of many tenants as one list (one mechanism for each kind): searched by name prefix, filtered by equal columns,
sorted by a named order and paged from the last row given.

Two ways to read, one result (order, ties, filters): rows sort by their order's text, then their name, tenant and
key, all without case.
- In memory: every row the filters keep, read in one query across the tenants' partitions (narrowed on the server by
  the equal columns, the prefix's key ranges and, for a few tenants, their partition keys), then sorted and cut. Cost
  grows with the rows that match: fine for session hosts, too slow for 100,000 Cloud PCs sorted without a filter.
- From sorted copies: a kind with many rows keeps a copy of each in a table of its own, in one partition whose row
  keys sort as the order does (`SortedCopy`, kept in step by the kind's repository at each write). A page is then
  one key-range query from the last row given (bounded by a fence when no filter narrows it), the filters applied
  on the server, whatever the number of rows. An order by a column of few values (status, tenant) reads the name's
  copy one value after the other. Descending orders are read in memory (a key sorts one way only).
The continuation token holds where the last page ended, so a row added or removed between two pages shifts no other.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared.models.base import ApiModel
from shared.models.cross_tenant import TENANT_ORDER, CrossTenantQuery
from shared.storage import change_capture
from shared.storage.entity_codec import UNSTORABLE_KEY
from shared.storage.prefix_search import MAX_COMPARISONS, key_ranges, range_filter, starts_with
from shared.storage.tables import EntityRepository

M = TypeVar("M", bound=BaseModel)
FEW_TENANTS = 2  # up to this many tenants are named in the filter; more are read across and kept as they come
COPY_PARTITION = "all"  # a sorted copy's one partition: a key range across every tenant
KEY_TEXT = 200  # characters of an order's text a copy's key keeps (a key holds at most 1 KiB)
FENCE_EVERY = 128  # about one copy in this many is also a fence (by its id's hash)
FENCES = "fences"


@dataclass(frozen=True)
class Row(Generic[M]):
    """A row as listed across tenants: its tenant (partition), its row key and the item."""

    tenant_id: str
    key: str
    item: M


def _key_text(text: str | None) -> str:
    """An order's text as a key sorts it: without case, the characters a key may not hold as one that sorts low."""
    return UNSTORABLE_KEY.sub(" ", (text or "").casefold()[:KEY_TEXT])


class Fence(ApiModel):
    """A copy's key that bounds a range (the key is all it holds)."""


@dataclass(frozen=True)
class SortedCopy(Generic[M]):
    """Every row of a kind, copied into one partition of its own table under a key that sorts by one order's text,
    then the row's name, tenant and id (`|` between them sorts below every letter and digit).

    About one key in FENCE_EVERY is also kept in a small table of fences: a page read with no filter to narrow it
    asks for the keys up to a fence a few hundred rows on, not for every key after the last page, which a store that
    sorts what matches before it cuts the page (the local emulator) would sort whole. A fence is only ever a bound:
    one left behind by a row since renamed or removed changes which ranges are read, never what they hold.
    """

    rows: EntityRepository[M]
    fences: EntityRepository[Fence]
    text: Callable[[M], str | None]
    name: Callable[[M], str | None]
    tenant_of: Callable[[M], str]
    id_of: Callable[[M], str]

    def key(self, item: M) -> str:
        parts = (_key_text(self.text(item)), _key_text(self.name(item)), self.tenant_of(item), self.id_of(item))
        return "|".join(parts)

    def _fenced(self, item: M) -> bool:
        return zlib.crc32(self.id_of(item).encode()) % FENCE_EVERY == 0

    # a copy is the row's shadow, not a change of its own: an audited request's record shows the row alone
    def keep(self, item: M, before: M | None) -> None:
        """The copy of `item` as it is stored now; `before`: as it was, whose copy goes if its key differs."""
        with change_capture.capturing(None):
            if before is not None and self.key(before) != self.key(item):
                self.rows.delete(COPY_PARTITION, self.key(before))
            self.rows.put(item, COPY_PARTITION, self.key(item))
            if self._fenced(item):
                self.fences.put(Fence(), FENCES, self.key(item))

    def drop(self, before: M) -> None:
        with change_capture.capturing(None):
            self.rows.delete(COPY_PARTITION, self.key(before))

    def load(self, items: Iterable[M]) -> int:
        """Copies of rows loaded in bulk (new rows, in batches)."""
        items = list(items)
        self.fences.put_many((Fence(), FENCES, self.key(item)) for item in items if self._fenced(item))
        return self.rows.put_many((item, COPY_PARTITION, self.key(item)) for item in items)

    def mend(self, tenant_id: str, items: Callable[[], list[M]]) -> tuple[int, int]:
        """The tenant's copies set right against its rows (`items`, read after its copies' keys, so that a copy a
        writer makes meanwhile is never taken for a stray): the copy of each row that has none (rows stored before
        the copies were, or whose copy a crash kept from being written), and no copy of a row that is gone or has
        another key now. A row changed or removed while this runs is set right by its next write, or the next mend.
        Returns (copies written, copies removed)."""
        with change_capture.capturing(None):
            present = set(
                self.rows.row_keys("PartitionKey eq @p and tenantId eq @t", {"p": COPY_PARTITION, "t": tenant_id})
            )
            wanted = {self.key(item): item for item in items()}
            strays = present - wanted.keys()
            for key in strays:
                self.rows.delete(COPY_PARTITION, key)
            written = self.load(item for key, item in wanted.items() if key not in present)
        return written, len(strays)

    def fence_keys(self, after: str) -> list[str]:
        """The fences above `after`, in order (one query over the small table)."""
        return sorted(self.fences.row_keys("PartitionKey eq @p and RowKey gt @after", {"p": FENCES, "after": after}))


@dataclass(frozen=True)
class CrossTenantList(Generic[M]):
    """How one kind of row is listed across tenants: the model fields `search` looks at, each order's text (the
    tenant's name is an order of every list), the name that breaks ties; and, for a kind with many rows, the sorted
    copies by order, the order whose copy an order by a column of few values reads (`grouped`: its column, and its
    values in order for a query), and the stored column that holds the tenant."""

    rows: EntityRepository[M]
    searched: Sequence[str]
    orders: Mapping[str, Callable[[Row[M]], str | None]]
    name_order: str
    copies: Mapping[str, SortedCopy[M]] = field(default_factory=dict)
    grouped: Mapping[str, tuple[str, Callable[[CrossTenantQuery], list[str]]]] = field(default_factory=dict)
    tenant_column: str = "tenantId"

    def page(self, query: CrossTenantQuery, *, top: int, skip_token: str | None) -> tuple[list[Row[M]], str | None]:
        copied = query.order_by in self.copies or (query.order_by in self.grouped and self.name_order in self.copies)
        if copied and not query.descending:
            return self._page_of_copies(query, top=top, skip_token=skip_token)
        return self._page_in_memory(query, top=top, skip_token=skip_token)

    # --- in memory ---------------------------------------------------------------------------------------------
    def _order_text(self, query: CrossTenantQuery, row: Row[M]) -> str | None:
        if query.order_by == TENANT_ORDER:
            return query.tenant_names[row.tenant_id]
        return self.orders[query.order_by](row)

    def _page_in_memory(
        self, query: CrossTenantQuery, *, top: int, skip_token: str | None
    ) -> tuple[list[Row[M]], str | None]:
        def sort_key(row: Row[M]) -> tuple[str, str, str, str]:
            name = self.orders[self.name_order](row)
            return (_key_text(self._order_text(query, row)), _key_text(name), row.tenant_id, row.key)

        ordered = sorted(self.matching(query), key=sort_key, reverse=query.descending)
        after = (self.rows.continuations.decode(skip_token) or {}).get("after")
        if isinstance(after, list) and len(after) == 4:
            last = tuple(str(part) for part in after)
            ordered = [row for row in ordered if (sort_key(row) < last if query.descending else sort_key(row) > last)]
        page = ordered[:top]
        more = len(ordered) > top
        return page, self.rows.continuations.encode({"after": list(sort_key(page[-1]))}) if more else None

    def _narrowing(
        self, query: CrossTenantQuery, equals: Mapping[str, str], tenant_column: str, used: int
    ) -> tuple[list[str], dict[str, Any]]:
        """The filter's clauses and parameters: the equal columns, a few tenants, the search's key ranges with the
        comparisons left of the `used` ones."""
        clauses = [f"{column} eq @eq{n}" for n, column in enumerate(sorted(equals))]
        parameters: dict[str, Any] = {f"eq{n}": equals[c] for n, c in enumerate(sorted(equals))}
        tenants = sorted(query.tenant_names)
        if len(tenants) <= FEW_TENANTS:
            clauses.append(f"( {' or '.join(f'{tenant_column} eq @t{n}' for n in range(len(tenants)))} )")
            parameters |= {f"t{n}": tenant for n, tenant in enumerate(tenants)}
        if query.search:
            columns = [self.rows.codec.model.model_fields[name].alias or name for name in self.searched]
            comparisons = used + len(equals) + (len(tenants) if len(tenants) <= FEW_TENANTS else 0)
            ranges = key_ranges(query.search, len(columns), MAX_COMPARISONS - comparisons)
            if ranges:
                narrowing, bounds = range_filter(columns, ranges)
                clauses.append(f"( {narrowing} )")
                parameters |= bounds
        return clauses, parameters

    def _found(self, query: CrossTenantQuery, item: M) -> bool:
        search = query.search
        return not search or any(starts_with(getattr(item, name), search) for name in self.searched)

    def matching(self, query: CrossTenantQuery) -> Iterator[Row[M]]:
        """Every row of the query's tenants that its filters and search keep, in no order."""
        if not query.tenant_names:
            return
        clauses, parameters = self._narrowing(query, query.equals, "PartitionKey", 0)
        for tenant_id, key, item in self.rows.scan_keyed(" and ".join(clauses) or None, parameters):
            if tenant_id in query.tenant_names and self._found(query, item):
                yield Row(tenant_id, key, item)

    # --- from sorted copies ------------------------------------------------------------------------------------
    def _page_of_copies(
        self, query: CrossTenantQuery, *, top: int, skip_token: str | None
    ) -> tuple[list[Row[M]], str | None]:
        """Key ranges of the order's copy from where the token left off (for a grouped order: the name's copy, one
        value of its column after the other), until a row past the page shows there are more."""
        if query.order_by in self.copies:
            copy, column, values = self.copies[query.order_by], None, [""]
        else:
            column, values_of = self.grouped[query.order_by]
            copy, values = self.copies[self.name_order], values_of(query)
            if column in query.equals:  # filtered on the very column: its one value
                values = [value for value in values if value == query.equals[column]]
        left_off = self.rows.continuations.decode(skip_token) or {}
        group, after = int(left_off.get("group", 0)), str(left_off.get("after", ""))
        found: list[tuple[int, Row[M]]] = []
        while group < len(values) and len(found) <= top:
            equals = dict(query.equals) | ({column: values[group]} if column else {})
            wanted = top + 1 - len(found)
            rows = self._copied(copy, query, equals, after, wanted)
            found += [(group, row) for row in rows]
            if len(rows) < wanted:
                group, after = group + 1, ""
        page = found[:top]
        if len(found) <= top or not page:
            return [row for _, row in page], None
        last_group, last = page[-1]
        return [row for _, row in page], self.rows.continuations.encode({"group": last_group, "after": last.key})

    def _copied(
        self, copy: SortedCopy[M], query: CrossTenantQuery, equals: Mapping[str, str], after: str, wanted: int
    ) -> list[Row[M]]:
        """Up to `wanted` copies after `after` that the query keeps. With a filter that narrows on the server, one
        query; without, ranges up to a fence, each reaching twice as far as the last, until enough are kept."""
        if not query.tenant_names:
            return []
        clauses, parameters = self._narrowing(query, equals, self.tenant_column, 3)
        narrowed = bool(clauses) or query.search is not None
        fences = [] if narrowed else copy.fence_keys(after)
        found: list[M] = []
        low, reach, fence = after, wanted // FENCE_EVERY + 2, 0
        while len(found) < wanted:
            fence += reach
            high = fences[fence - 1] if fence <= len(fences) else None
            bounds = ["PartitionKey eq @copy", "RowKey gt @low" if low == after else "RowKey ge @low"]
            bounds += ["RowKey lt @high"] if high is not None else []
            items, _ = copy.rows.page(
                " and ".join([*bounds, *clauses]),
                {"copy": COPY_PARTITION, "low": low, **({"high": high} if high else {}), **parameters},
                top=wanted - len(found),
                keep=lambda item: copy.tenant_of(item) in query.tenant_names and self._found(query, item),
            )
            found += items
            if high is None:
                break
            low, reach = high, reach * 2
        return [Row(copy.tenant_of(item), copy.key(item), item) for item in found]

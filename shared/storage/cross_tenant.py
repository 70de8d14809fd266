"""Rows of many tenants as one list (one mechanism for each kind): searched by name prefix, filtered by equal
columns, sorted by a named order and paged from the last row given.

The rows are read in one query across the tenants' partitions, narrowed on the server by the equal columns, the
prefix's key ranges (prefix_search) and, for a few tenants, their partition keys; then judged by the exact rules,
sorted and cut. The continuation token holds the sort key of the page's last row, so a row added or removed between
two pages shifts no other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from shared.models.cross_tenant import TENANT_ORDER, CrossTenantQuery
from shared.storage.prefix_search import MAX_COMPARISONS, key_ranges, range_filter, starts_with
from shared.storage.tables import EntityRepository

M = TypeVar("M", bound=BaseModel)
FEW_TENANTS = 2  # up to this many tenants are named in the filter; more are read across and kept as they come


@dataclass(frozen=True)
class Row(Generic[M]):
    """A row as listed across tenants: its tenant (partition), its row key and the item."""

    tenant_id: str
    key: str
    item: M


@dataclass(frozen=True)
class CrossTenantList(Generic[M]):
    """How one kind of row is listed across tenants: the model fields `search` looks at, and each order's text
    (the tenant's name is an order of every list, and breaks every tie)."""

    rows: EntityRepository[M]
    searched: Sequence[str]
    orders: Mapping[str, Callable[[Row[M]], str | None]]

    def page(self, query: CrossTenantQuery, *, top: int, skip_token: str | None) -> tuple[list[Row[M]], str | None]:
        names = query.tenant_names

        def sort_key(row: Row[M]) -> tuple[str, str, str, str]:
            text = names[row.tenant_id] if query.order_by == TENANT_ORDER else self.orders[query.order_by](row)
            return ((text or "").casefold(), names[row.tenant_id].casefold(), row.tenant_id, row.key)

        ordered = sorted(self.matching(query), key=sort_key, reverse=query.descending)
        after = (self.rows.continuations.decode(skip_token) or {}).get("after")
        if isinstance(after, list) and len(after) == 4:
            last = tuple(str(part) for part in after)
            ordered = [row for row in ordered if (sort_key(row) < last if query.descending else sort_key(row) > last)]
        page = ordered[:top]
        more = len(ordered) > top
        return page, self.rows.continuations.encode({"after": list(sort_key(page[-1]))}) if more else None

    def matching(self, query: CrossTenantQuery) -> Iterator[Row[M]]:
        """Every row of the query's tenants that its filters and search keep, in no order."""
        clauses = [f"{column} eq @eq{n}" for n, column in enumerate(sorted(query.equals))]
        parameters: dict[str, str] = {f"eq{n}": query.equals[c] for n, c in enumerate(sorted(query.equals))}
        tenants = sorted(query.tenant_names)
        if len(tenants) <= FEW_TENANTS:
            clauses.append(f"( {' or '.join(f'PartitionKey eq @t{n}' for n in range(len(tenants)))} )")
            parameters |= {f"t{n}": tenant for n, tenant in enumerate(tenants)}
        search = query.search
        if search:
            columns = [self.rows.codec.model.model_fields[name].alias or name for name in self.searched]
            comparisons = len(query.equals) + (len(tenants) if len(tenants) <= FEW_TENANTS else 0)
            ranges = key_ranges(search, len(columns), MAX_COMPARISONS - comparisons)
            if ranges:
                narrowing, bounds = range_filter(columns, ranges)
                clauses.append(f"( {narrowing} )")
                parameters |= bounds
        if not tenants:
            return
        for tenant_id, key, item in self.rows.scan_keyed(" and ".join(clauses) or None, parameters):
            if tenant_id not in query.tenant_names:
                continue
            if search and not any(starts_with(getattr(item, name), search) for name in self.searched):
                continue
            yield Row(tenant_id, key, item)

"""An MSP's overview: each customer tenant's costs and savings for a month, beside the month before."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from shared.errors import ErrorDetail, ValidationFailed
from shared.models.costs import TenantCosts
from shared.services.costs.cost_reports import CostReportPorts, cost_query, tenant_totals
from shared.services.costs.costing import PriceBook

# a month whose month before is a date too: from 0001-02 on
MONTH = re.compile(r"^(?!0000|0001-01)([0-9]{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class MonthQuery:
    month: date  # its first day
    currency: str


def month_query(
    asked_month: str | None, asked_currency: str | None, *, today: date, currencies: Sequence[str]
) -> MonthQuery:
    """The month (default: this one) and currency, every bad field refused at once, one detail each."""
    details: list[ErrorDetail] = []
    month = _month(asked_month, details) if asked_month else today.replace(day=1)
    try:
        currency = cost_query(None, None, None, asked_currency, today=today, currencies=currencies).currency
    except ValidationFailed as refused:
        details += refused.details
    if details:
        raise ValidationFailed.of(*details)
    assert month is not None
    return MonthQuery(month, currency)


def tenant_costs(ports: CostReportPorts, tenants: Mapping[str, str], query: MonthQuery) -> list[TenantCosts]:
    """Each tenant (id: display name) in the order given, with the month's and the month before's totals."""
    previous = (query.month - timedelta(days=1)).replace(day=1)
    months = [(first, _last_day(first)) for first in (query.month, previous)]
    prices = PriceBook.of(*ports.prices.list_prices(query.currency))  # every tenant's, read once
    found = []
    for tenant_id, display_name in tenants.items():
        current, before = tenant_totals(ports, tenant_id, months, prices)
        found.append(
            TenantCosts(
                tenant_id=tenant_id,
                display_name=display_name,
                month=f"{query.month:%Y-%m}",
                currency=query.currency,
                current=current,
                previous=before,
            )
        )
    return found


def _last_day(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _month(value: str, details: list[ErrorDetail]) -> date | None:
    matched = MONTH.match(value)
    if matched:
        return date(int(matched[1]), int(matched[2]), 1)
    details.append(
        ErrorDetail("invalidQueryParameter", f"month must be a month such as 2026-01, not '{value}'.", "month")
    )
    return None

"""Windows 365 list prices per Enterprise and Business plan, per user and month in USD, each with its source and date.

Microsoft publishes them on its compare-plans pages (ENTERPRISE_PAGE, BUSINESS_PAGE). The stored copies searched on
2026-11-26 held no figure from those pages (only third parties' own, which disagree), so every price here is a
sample (`sample=True`): of the magnitude of Windows 365's list prices, never passed off as them. Replace one with the
page's figure and the day it was read, and drop its sample mark.
"""

from __future__ import annotations

from datetime import date

from shared.catalog.service_plans import SERVICE_PLANS
from shared.models.costs import Windows365Price

ENTERPRISE_PAGE = "https://www.microsoft.com/windows-365/enterprise/compare-plans-pricing"
BUSINESS_PAGE = "https://www.microsoft.com/windows-365/business/compare-plans-pricing"
SEARCHED = date(2026, 11, 26)

# (vCPU, GB of RAM, GB of storage) -> USD per user and month: samples (see above)
SAMPLE_MONTHLY = {
    (1, 2, 64): 20.0,
    (2, 4, 64): 28.0,
    (2, 4, 128): 31.0,
    (2, 4, 256): 41.0,
    (2, 8, 128): 41.0,
    (2, 8, 256): 51.0,
    (4, 16, 128): 66.0,
    (4, 16, 256): 76.0,
    (4, 16, 512): 98.0,
    (8, 32, 128): 123.0,
    (8, 32, 256): 133.0,
    (8, 32, 512): 155.0,
    (16, 64, 512): 252.0,
    (16, 64, 1024): 296.0,
}


def _prices() -> dict[str, Windows365Price]:
    found = {}
    for plan in SERVICE_PLANS:
        if plan.provisioning_type != "dedicated":
            continue  # Shared Use licenses count concurrent users of a pool: no one user's Cloud PC to compare
        monthly = SAMPLE_MONTHLY.get((plan.v_cpu_count, plan.ram_in_gb, plan.storage_in_gb))
        if monthly is None:
            continue
        page = ENTERPRISE_PAGE if plan.type == "enterprise" else BUSINESS_PAGE
        found[plan.id] = Windows365Price(
            service_plan_id=plan.id, monthly=monthly, source=page, as_of=SEARCHED, sample=True
        )
    return found


WINDOWS365_PRICES: dict[str, Windows365Price] = _prices()


def windows365_price(service_plan_id: str) -> Windows365Price | None:
    """The plan's list price per user and month; None for a plan the catalogue prices not (Shared Use, retired)."""
    return WINDOWS365_PRICES.get(service_plan_id)

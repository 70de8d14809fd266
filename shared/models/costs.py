"""What the app's Azure resources cost and saved: list prices, the power records they are metered from, and the
cost reports made of them (per day, Spot Group, Cloud PC or site; per user; per tenant for an MSP)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from shared.models.base import ApiModel

# The currencies the Azure Retail Prices API prices in (its `currencyCode`); USD is Microsoft's own, the others are
# for reference ("Azure Retail Prices overview", Supported currencies)
Currency = Literal[
    "USD",
    "AUD",
    "BRL",
    "CAD",
    "CHF",
    "CNY",
    "DKK",
    "EUR",
    "GBP",
    "INR",
    "JPY",
    "KRW",
    "NOK",
    "NZD",
    "RUB",
    "SEK",
    "TWD",
]
CURRENCIES: tuple[str, ...] = Currency.__args__  # type: ignore[attr-defined]

# ---- the power records: what ran, where, from when to when --------------------------------------------------------

# sessionHost: a Spot Group's VM; cloudPc: an azure-backend Cloud PC's VM; imageBuild: an image-set version's build VM
MeteredKind = Literal["sessionHost", "cloudPc", "imageBuild"]
# created: the VM exists (and runs: Azure starts a VM it makes); started and stopped: it runs, or is deallocated
# (its disk still bills); deleted: it and its disk are gone
PowerChange = Literal["created", "started", "stopped", "deleted"]
CapacityPriority = Literal["regular", "spot"]
# customer: the VM runs under licenseType Windows_Client (the customer's eligible Windows 10/11 licences, which Azure
# Virtual Desktop's users hold), so Azure bills it at the base (Linux) compute rate; included: Azure's Windows price
WindowsLicence = Literal["customer", "included"]


class MeteredResource(ApiModel):
    """A VM the app made, as its power records name it: what it is, where, and what it bills as."""

    tenant_id: str
    resource_id: str = Field(description="The VM's ARM id, lower case: one meter per VM.")
    kind: MeteredKind
    display_name: str  # the host's, the Cloud PC's, or the build VM's name
    vm_size: str
    region: str
    priority: CapacityPriority = "regular"
    windows_licence: WindowsLicence = "customer"
    disk_tier: str | None = Field(default=None, description="The OS disk's managed-disk tier, e.g. P10 (128 GiB).")
    spot_group_id: str | None = None
    cloud_pc_id: str | None = None
    user_id: str | None = None
    site_id: str | None = None
    image_set_id: str | None = None  # an image build's set
    image_version: str | None = None  # and the version it builds


class PowerRecord(MeteredResource):
    """One change of a metered VM, as the app did or saw it. Written create-only under (resource, change, time): a
    repeated write of the same change is the same row, and a start while it runs or a stop while it is stopped adds
    nothing when metered, so a retried activity never counts twice."""

    change: PowerChange
    date_time: datetime


class MeteredDay(ApiModel):
    """A metered VM's one UTC day (or the part of it in the range): how long it existed and how long it ran."""

    resource: MeteredResource
    day: date
    existed_hours: float
    running_hours: float


# ---- prices ------------------------------------------------------------------------------------------------------

PriceSource = Literal["azureRetailPrices", "windows365ListPrice"]


class VmPrice(ApiModel):
    """A VM size's hourly pay-as-you-go prices in a region, as the Retail Prices API lists them on a day."""

    region: str
    vm_size: str
    currency: Currency
    linux_hourly: float = Field(description="Pay as you go, the base compute rate (what a Windows_Client VM bills).")
    windows_hourly: float = Field(description="Pay as you go with the Windows licence included.")
    spot_linux_hourly: float | None = Field(default=None, description="Spot, base rate; none: no Spot in the region.")
    spot_windows_hourly: float | None = None
    as_of: date = Field(description="The UTC day the app read it.")
    source: PriceSource = "azureRetailPrices"


class DiskPrice(ApiModel):
    """A managed disk tier's monthly price in a region (Premium SSD P10 and so on), metered by the hour it exists."""

    region: str
    tier: str
    currency: Currency
    monthly: float
    as_of: date
    source: PriceSource = "azureRetailPrices"


class PriceQuery(ApiModel):
    """What a price refresh asks the Retail Prices API for: the sizes and disk tiers in use, per region."""

    currency: Currency
    region: str
    vm_sizes: list[str]
    disk_tiers: list[str]


class PriceList(ApiModel):
    """The prices one refresh read for one currency and region."""

    currency: Currency
    region: str
    vms: list[VmPrice]
    disks: list[DiskPrice]


class Windows365Price(ApiModel):
    """A Windows 365 plan's monthly list price per user, from Microsoft's published prices (the catalogue's entry
    carries its source and date); `sample` where no published price was found, never passed off as one."""

    service_plan_id: str
    currency: Currency = "USD"
    monthly: float
    source: str = Field(description="Where the price was published.")
    as_of: date
    sample: bool = False


# ---- the reports -------------------------------------------------------------------------------------------------

CostGroupBy = Literal["day", "spotGroup", "cloudPc", "site"]
GROUP_BYS: tuple[str, ...] = CostGroupBy.__args__  # type: ignore[attr-defined]
# schedules: a Spot Group's hosts deallocated by its schedule or its load; onDemand: hosts that did not exist (made
# and deleted as load asked) against the group's peak kept all day; spot: Spot VMs at the Spot price instead of pay as
# you go; sleep: azure-backend Cloud PCs deallocated while unused
SavingsCause = Literal["schedules", "onDemand", "spot", "sleep"]


class SavingsByCause(ApiModel):
    schedules: float = 0.0
    on_demand: float = 0.0
    spot: float = 0.0
    sleep: float = 0.0


class CostFigures(ApiModel):
    """Actual cost against the baseline (the same hosts on demand, pay as you go, 24x7) and what that saved."""

    actual: float = Field(description="What the VMs and disks cost as metered, at list prices.")
    baseline: float = Field(description="The same VMs pay as you go and running 24x7 (a Spot Group: its peak).")
    savings: float = Field(description="baseline - actual.")
    savings_by_cause: SavingsByCause = Field(default_factory=SavingsByCause)
    running_hours: float = 0.0
    estimate: bool = Field(
        default=True, description="An estimate from list prices: the customer's bill carries their own discounts."
    )


CostGroupKind = Literal["day", "spotGroup", "cloudPc", "sessionHost", "imageBuild", "site", "unassigned"]


class CostGroup(CostFigures):
    """One row of a cost report: a day, a Spot Group, a VM (Cloud PC, host or build VM) or a site."""

    key: str = Field(description="The day (YYYY-MM-DD), or the Spot Group's, Cloud PC's, VM's or site's id.")
    kind: CostGroupKind
    display_name: str


class PricesUsed(ApiModel):
    """Where a report's prices came from."""

    source: PriceSource = "azureRetailPrices"
    as_of: date | None = Field(default=None, description="The latest day the prices were read; none: never read.")
    missing: list[str] = Field(
        default_factory=list,
        description="What had no price (`<region>/<size or disk tier>`): its cost is left out, and the report says.",
    )


class WaitingBuild(ApiModel):
    """An image-set version's build VM waiting for the admin's customization: it bills while it waits."""

    image_set_id: str
    image_set_name: str
    version: str
    vm_size: str
    waiting_since: datetime
    hours_waiting: float
    cost_so_far: float
    warning: bool = Field(description="Waiting over 24 hours: capture it or delete the version.")


class CostReport(ApiModel):
    tenant_id: str
    from_: date = Field(alias="from")
    to: date
    currency: Currency
    group_by: CostGroupBy
    total: CostFigures
    value: list[CostGroup]
    prices: PricesUsed
    waiting_builds: list[WaitingBuild] = Field(default_factory=list)
    currencies: list[Currency] = Field(
        default_factory=lambda: list[Currency](["USD"]),
        description="The currencies the app prices in (its COST_CURRENCIES): the `currency` a report may ask for.",
    )


CostOption = Literal["windows365", "azure", "pooled"]


class UserCostComparison(ApiModel):
    """A user's month three ways, from their measured use: their Windows 365 licence, an azure-backend Cloud PC of
    the same size under the tenant's power rules, and a seat in a pooled Spot Group."""

    user_id: str
    user_principal_name: str
    service_plan_id: str | None = None
    connected_hours_per_month: float = Field(description="Measured over the range, scaled to 730 hours' month.")
    windows365_monthly: float | None = Field(default=None, description="The plan's list price per user and month.")
    azure_monthly: float | None = None
    pooled_monthly: float | None = None
    cheapest: CostOption | None = None
    recommendation: str | None = Field(default=None, description="Set where the difference is large, with why.")
    evidence: str = ""
    sample_price: bool = Field(default=False, description="A Windows 365 price the catalogue marks as a sample.")


class TenantCosts(ApiModel):
    """One customer tenant's month beside the month before (the MSP's overview)."""

    tenant_id: str
    display_name: str
    month: str = Field(description="YYYY-MM")
    currency: Currency
    current: CostFigures
    previous: CostFigures

"""A user's month three ways, against hand-computed figures: a user who barely connects is better off on an azure
Cloud PC that sleeps (or a pooled seat), a heavy one on their licence; a price in another currency or a sample price
is said so."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.catalog.windows365_prices import WINDOWS365_PRICES
from shared.errors import ValidationFailed
from shared.models.cloud_pcs import CloudPc
from shared.models.costs import CostOption, DiskPrice, PriceList, VmPrice, Windows365Price
from shared.models.session_policies import PersonalPower
from shared.models.usage import UsageDay
from shared.services.costs.user_costs import (
    Desktop,
    Pooled,
    Prices,
    compare,
    desktops,
    pooled_seat,
    running_hours,
    user_costs,
)
from tests.fakes import Fakes
from tests.fakes.seed import BIG_PLAN, PLAN, REGION, TENANT, cloud_pc, policy, site, tenant
from tests.unit.test_tenant_summary import spot_group

DAY = date(2026, 11, 1)
DAYS = 30  # 720 hours: a month of 730 is 730/720 of the range
SLEEPS = PersonalPower(deallocate_when_disconnected_minutes=30)
POOLED = Pooled("Standard_D4s_v5", "P10", 6)


def prices(currency: str = "USD", *, pooled_priced: bool = True) -> Prices:
    hourly = {"Standard_D2s_v5": 0.1, **({"Standard_D4s_v5": 0.2} if pooled_priced else {})}
    vms = {
        size: VmPrice(
            region=REGION, vm_size=size, currency=currency, linux_hourly=rate, windows_hourly=rate * 2, as_of=DAY
        )
        for size, rate in hourly.items()
    }
    disk = DiskPrice(region=REGION, tier="P10", currency=currency, monthly=20.0, as_of=DAY)
    listed = {
        PLAN: Windows365Price(service_plan_id=PLAN, monthly=41.0, source="microsoft.com", as_of=DAY),
        BIG_PLAN: Windows365Price(service_plan_id=BIG_PLAN, monthly=66.0, source="an estimate", as_of=DAY, sample=True),
    }
    return Prices(
        currency,
        lambda region, size: vms.get(size) if region == REGION else None,
        lambda region, tier: disk if (region, tier) == (REGION, "P10") else None,
        listed,
    )


def desktop(hours: float, sessions: int, rules: PersonalPower | None = SLEEPS, plan: str = PLAN) -> Desktop:
    return Desktop(
        user_id="adele",
        user_principal_name="adele@contoso.com",
        service_plan_id=plan,
        region=REGION,
        power_rules=rules,
        connected_hours=hours,
        sessions=sessions,
    )


def test_a_user_who_barely_connects_is_told_an_azure_cloud_pc_that_sleeps_would_cost_less() -> None:
    # 7.2 h in 6 sessions over 30 days: 7.3 h and 6.0833 sessions a month; asleep 30 minutes after each session:
    # 7.3 + 6.0833 x 0.5 = 10.3417 h at 0.10, plus a P10 disk at 20.00 = 21.0342, against a 41.00 licence
    found = compare(desktop(7.2, 6), DAYS, "windows365", POOLED, prices(pooled_priced=False))
    assert (found.connected_hours_per_month, found.windows365_monthly, found.azure_monthly) == (7.3, 41.0, 21.0342)
    assert (found.pooled_monthly, found.cheapest, found.sample_price) == (None, "azure", False)
    assert found.recommendation == (
        "7.3 h connected a month: an azure Cloud PC that sleeps when unused would cost 21.03 USD against the 41.00 USD "
        "licence"
    )
    assert "no USD price for westeurope/Standard_D4s_v5" in found.evidence
    assert "for 10.3 h (connected, plus 30 min before it sleeps after each of 6.1 sessions)" in found.evidence


def test_a_pooled_seat_shares_its_host_and_disk_by_the_sessions_a_host_takes() -> None:
    # (0.20 x 7.3 h + 20.00) / 6 sessions = 3.5767
    found = compare(desktop(7.2, 6), DAYS, "windows365", POOLED, prices())
    assert (found.pooled_monthly, found.cheapest) == (3.5767, "pooled")
    assert found.recommendation == (
        "7.3 h connected a month: a seat in a pooled Spot Group would cost 3.58 USD against the 41.00 USD licence"
    )


@pytest.mark.parametrize(
    ("current", "rules", "azure", "cheapest", "recommendation"),
    [
        # 146 h in 22.3 sessions a month: (146 + 22.3056 x 0.5) h x 0.10 + 20.00 = 35.7153; 5.28 under the licence
        ("windows365", SLEEPS, 35.7153, "azure", None),
        # no power rules: 730 h x 0.10 + 20.00 = 93.00, and the licence saves 52.00 of it
        (
            "azure",
            None,
            93.0,
            "windows365",
            "146 h connected a month: a Windows 365 licence would cost 41.00 USD against 93.00 USD for their azure "
            "Cloud PC",
        ),
    ],
)
def test_a_heavy_user_keeps_their_licence_or_is_told_to_take_one(
    current: CostOption, rules: PersonalPower | None, azure: float, cheapest: str, recommendation: str | None
) -> None:
    found = compare(desktop(144, 22, rules), DAYS, current, POOLED, prices(pooled_priced=False))
    assert (found.connected_hours_per_month, found.azure_monthly, found.cheapest) == (146, azure, cheapest)
    assert found.recommendation == recommendation


def test_a_pooled_seat_is_recommended_to_a_light_user_only_a_heavier_one_to_their_own_cheaper_desktop() -> None:
    """A pooled seat is a shared desktop: cheapest for nearly everyone, it is recommended only up to LIGHT_USE_HOURS
    a month; above, the cheaper desktop of their own (or none)."""
    heavy = compare(desktop(144, 22, None), DAYS, "azure", POOLED, prices())
    # pooled: (0.20 x 146 h + 20.00) / 6 = 8.20, the cheapest; not recommended to 146 h a month: the licence is
    assert (heavy.cheapest, heavy.pooled_monthly) == ("pooled", 8.2)
    assert heavy.recommendation == (
        "146 h connected a month: a Windows 365 licence would cost 41.00 USD against 93.00 USD for their azure Cloud PC"
    )
    # 39.4 h a month, in an azure tenant without rules (93.00): a pooled seat, (0.20 x 39.4 h + 20.00) / 6 = 4.65
    light = compare(desktop(38.86, 6, None), DAYS, "azure", POOLED, prices())
    assert (
        light.recommendation is not None and "a seat in a pooled Spot Group would cost 4.65 USD" in light.recommendation
    )


def test_windows365_has_no_figure_in_another_currency_and_says_so() -> None:
    found = compare(desktop(7.2, 6), DAYS, "windows365", POOLED, prices("EUR"))
    assert (found.windows365_monthly, found.azure_monthly, found.pooled_monthly) == (None, 21.0342, 3.5767)
    assert found.recommendation is None  # nothing to compare with what they have
    assert "Windows 365: no list price in EUR (Microsoft lists it in USD)" in found.evidence


def test_a_sample_price_is_flagged_and_named_in_the_evidence() -> None:
    found = compare(desktop(7.2, 6, plan=BIG_PLAN), DAYS, "windows365", POOLED, prices(pooled_priced=False))
    assert (found.windows365_monthly, found.sample_price, found.azure_monthly) == (66.0, True, None)
    assert "a sample price, not a published one" in found.evidence
    assert "no USD price for westeurope/Standard_D4s_v5 or westeurope/P15" in found.evidence


def test_the_hours_a_desktop_runs_under_its_rules() -> None:
    assert running_hours(10, 4, SLEEPS) == 12
    assert running_hours(10, 4, PersonalPower(deallocate_on_sign_out=True)) == pytest.approx(10 + 4 * 5 / 60)
    assert running_hours(10, 4, None) == running_hours(10, 4, PersonalPower()) == 730  # nothing stops it
    assert running_hours(729, 100, SLEEPS) == 730


def test_a_pooled_seat_takes_the_fewest_sessions_of_the_tenants_pooled_groups() -> None:
    assert pooled_seat([8, 4], 128) == Pooled("Standard_D4s_v5", "P10", 4)
    assert pooled_seat([], 128) == Pooled("Standard_D4s_v5", "P10", 6)  # the model's default


def test_a_user_with_two_cloud_pcs_is_compared_on_the_plan_of_the_one_they_use_most() -> None:
    def cloud_pc(cloud_pc_id: str, plan: str, region: str | None) -> CloudPc:
        now = datetime(2026, 11, 1, tzinfo=UTC)
        build = (
            None
            if region is None
            else {
                "image_type": "gallery",
                "image_id": "win11",
                "image_display_name": "W",
                "domain_join_type": "azureADJoin",
                "region_name": region,
                "vm_size": "Standard_D2s_v5",
                "os_disk_size_gb": 128,
                "naming_template": "CPC-%RAND:5%",
            }
        )
        return CloudPc.model_validate(
            {
                "id": cloud_pc_id,
                "tenant_id": TENANT,
                "created_date_time": now,
                "last_modified_date_time": now,
                "display_name": cloud_pc_id,
                "user_id": "adele",
                "user_principal_name": "adele@contoso.com",
                "service_plan_id": plan,
                "service_plan_name": plan,
                "provisioning_policy_id": "finance",
                "provisioning_policy_name": "Finance",
                "build": build,
            }
        )

    def used(cloud_pc_id: str, minutes: float, sessions: int) -> UsageDay:
        return UsageDay(
            tenant_id=TENANT,
            cloud_pc_id=cloud_pc_id,
            user_id="adele",
            day=DAY,
            connected_minutes=minutes,
            sessions=sessions,
        )

    pcs = [cloud_pc("cpc-a", PLAN, "northeurope"), cloud_pc("cpc-b", BIG_PLAN, None)]
    rows = [used("cpc-a", 60, 2), used("cpc-b", 120, 0), used("other", 600, 9)]  # a day used, its sessions not seen
    [found] = desktops(pcs, rows, lambda pc: SLEEPS if pc.id == "cpc-b" else None, default_region=REGION)
    assert found == Desktop(
        user_id="adele",
        user_principal_name="adele@contoso.com",
        service_plan_id=BIG_PLAN,
        region=REGION,
        power_rules=SLEEPS,
        connected_hours=3,
        sessions=3,
        cloud_pc_count=2,
    )


# ---- the report over the tenant's rows ---------------------------------------------------------------------------


def test_the_tenants_users_are_compared_over_the_last_30_days_by_name_a_page_at_a_time() -> None:
    fakes = Fakes(datetime(2026, 11, 30, 12, tzinfo=UTC))
    tenant(fakes, backend="windows365")
    site(fakes)  # no Cloud PC built here: they are priced in the site's region
    policy(fakes, "finance", power_rules=SLEEPS)
    spot_group(fakes, "pool", "ready")  # pooled, 4 sessions a host
    for user in ("ben", "adele"):
        cloud_pc(fakes, user)
    fakes.usage.put_usage_days(
        [
            UsageDay(
                tenant_id=TENANT,
                cloud_pc_id="cpc-adele",
                user_id="adele",
                day=date(2026, 11, 10),
                connected_minutes=432,
                sessions=6,
            ),
            UsageDay(
                tenant_id=TENANT,
                cloud_pc_id="cpc-ben",
                user_id="ben",
                day=date(2026, 10, 31),
                connected_minutes=600,
                sessions=2,
            ),  # before the range
        ]
    )
    fakes.prices.put_prices(
        PriceList(
            currency="USD",
            region=REGION,
            vms=[
                VmPrice(region=REGION, vm_size=size, currency="USD", linux_hourly=rate, windows_hourly=1, as_of=day)
                for size, rate, day in (
                    ("Standard_D2s_v5", 0.5, date(2026, 10, 1)),
                    ("Standard_D2s_v5", 0.1, DAY),
                    ("Standard_D4s_v5", 0.2, DAY),
                )
            ],
            disks=[DiskPrice(region=REGION, tier="P10", currency="USD", monthly=20.0, as_of=DAY)],
        )
    )
    ports = fakes.cost_ports()

    [adele], token = user_costs(ports, TENANT, None, None, None, top=1, skip_token=None)
    # as in the first test, at the day's price (0.10, not October's 0.50); a seat: (0.20 x 7.3 + 20.00) / 4 = 5.365
    licence = WINDOWS365_PRICES[PLAN].monthly
    assert (adele.user_id, adele.connected_hours_per_month, adele.windows365_monthly) == ("adele", 7.3, licence)
    assert (adele.azure_monthly, adele.pooled_monthly, adele.cheapest) == (21.0342, 5.365, "pooled")
    assert adele.recommendation is not None and adele.recommendation.endswith(f"against the {licence:.2f} USD licence")
    [ben], token = user_costs(ports, TENANT, None, None, None, top=1, skip_token=token)
    assert (ben.connected_hours_per_month, ben.azure_monthly, ben.pooled_monthly, token) == (0, 20.0, 5.0, None)

    [adele, ben] = user_costs(ports, TENANT, "2026-10-31", "2026-11-29", "EUR", top=10, skip_token=None)[0]
    assert (ben.connected_hours_per_month, ben.windows365_monthly, ben.azure_monthly) == (10.14, None, None)
    assert "no EUR price for westeurope/Standard_D2s_v5 or westeurope/P10" in ben.evidence

    with pytest.raises(ValidationFailed) as refused:
        user_costs(ports, TENANT, "2026-11-31", None, "XYZ", top=10, skip_token=None)
    assert [d.target for d in refused.value.details] == ["from", "currency"]

"""The MSP's overview: each tenant's month beside the month before, from the tenants' cost reports; a bad month or
currency is refused naming each field."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.errors import ValidationFailed
from shared.models.costs import PowerRecord, PriceList, VmPrice
from shared.services.costs.tenant_costs import MonthQuery, month_query, tenant_costs
from tests.fakes import Fakes
from tests.fakes.seed import REGION

TODAY = date(2026, 11, 30)


def test_the_month_is_this_one_by_default_and_each_bad_field_is_named() -> None:
    currencies = ("USD", "EUR")
    assert month_query(None, None, today=TODAY, currencies=currencies) == MonthQuery(date(2026, 11, 1), "USD")
    assert month_query("2026-01", "EUR", today=TODAY, currencies=currencies) == MonthQuery(date(2026, 1, 1), "EUR")
    for asked in ("2026-13", "2026-1", "26-01", "0000-05", "0001-01", "2026-01-01", "٢٠٢٦-01"):
        with pytest.raises(ValidationFailed) as refused:
            month_query(asked, None, today=TODAY, currencies=currencies)
        assert [d.target for d in refused.value.details] == ["month"], asked
    with pytest.raises(ValidationFailed) as refused:
        month_query("2026-00", "XYZ", today=TODAY, currencies=currencies)
    assert [d.target for d in refused.value.details] == ["month", "currency"]


def test_each_tenant_has_its_month_and_the_month_before_in_the_order_given() -> None:
    fakes = Fakes(datetime(2026, 11, 30, 12, tzinfo=UTC))
    made = PowerRecord(
        tenant_id="contoso",
        resource_id="/vms/cpc-1",
        kind="cloudPc",
        display_name="CPC-1",
        vm_size="Standard_D2s_v5",
        region=REGION,
        change="created",
        date_time=datetime(2026, 10, 31, tzinfo=UTC),
    )
    price = VmPrice(
        region=REGION,
        vm_size="Standard_D2s_v5",
        currency="USD",
        linux_hourly=0.1,
        windows_hourly=0.2,
        as_of=date(2026, 10, 1),
    )
    fakes.prices.put_prices(PriceList(currency="USD", region=REGION, vms=[price], disks=[]))
    fakes.power_records.record_power(made)
    ports = fakes.cost_ports()
    query = MonthQuery(date(2026, 11, 1), "USD")

    contoso, fabrikam = tenant_costs(ports, {"contoso": "Contoso", "fabrikam": "Fabrikam"}, query)
    # running since October 31: 24 h in October and 708 h of November up to now, at 0.10
    assert (contoso.display_name, contoso.month, contoso.currency) == ("Contoso", "2026-11", "USD")
    assert (contoso.current.actual, contoso.current.running_hours, contoso.previous.actual) == (70.8, 708, 2.4)
    assert (fabrikam.current.actual, fabrikam.previous.actual) == (0, 0)
    [january] = tenant_costs(ports, {"contoso": "Contoso"}, MonthQuery(date(2026, 1, 1), "USD"))
    assert (january.month, january.current.actual, january.previous.actual) == ("2026-01", 0, 0)  # and December 2025
    [last] = tenant_costs(ports, {"contoso": "Contoso"}, month_query("9999-12", None, today=TODAY, currencies=["USD"]))
    assert (last.month, last.current.actual) == ("9999-12", 0)  # the last month dates have

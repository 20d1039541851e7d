"""Rates, readings and one-off charges: validation, scoping, corrections and the rule that
nothing may change a month already billed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from core.errors import NotFound
from property_mgmt.errors import (
    ChargeInvalid,
    ChargeMonthBilled,
    FeeRateInvalid,
    FeeRateMonthBilled,
    ReadingAboveNext,
    ReadingBelowPrevious,
    ReadingInFuture,
    ReadingMonthBilled,
    ReadingsFileUnreadable,
    ReadingsImportInvalid,
)
from property_mgmt.models import BillingRun, Building, FeeRate, MeterReading, OneOffCharge
from property_mgmt.services import fees as fee_services
from tests.property_mgmt.billing.conftest import JULY, JUNE, WATER_TIERS, set_rate
from tests.property_mgmt.conftest import make_manager, unit_of

pytestmark = pytest.mark.django_db
MAY = date(2026, 5, 1)


def record(manager, unit, value, period=JUNE, meter="water"):
    return fee_services.reading_record(
        manager=manager, unit=unit, meter=meter, period=period, reading=Decimal(value)
    )


# --- rates -----------------------------------------------------------------------------------


def test_a_metered_rate_keeps_its_tiers_and_a_flat_price_becomes_one_tier(manager, estate):
    water = set_rate(manager, estate, FeeRate.Kind.WATER, tiers=WATER_TIERS)
    power = set_rate(manager, estate, FeeRate.Kind.ELECTRICITY, "0.60")
    assert water.tiers == [["10", "3.50"], [None, "5.00"]]
    assert water.price == Decimal("3.50")
    assert power.tiers == [[None, "0.60"]]


def test_setting_a_rate_again_for_the_same_scope_and_day_replaces_it(manager, estate):
    set_rate(manager, estate, FeeRate.Kind.PROPERTY, "2.50", effective_from=JUNE)
    set_rate(manager, estate, FeeRate.Kind.PROPERTY, "2.80", effective_from=JUNE)
    assert list(FeeRate.objects.values_list("price", flat=True)) == [Decimal("2.80")]


@pytest.mark.parametrize(
    ("kind", "price", "tiers", "field"),
    [
        ("property", None, None, "price"),
        ("property", "-1", None, "price"),
        ("property", "2.123456", None, "price"),
        ("property", "2.50", WATER_TIERS, "tiers"),
        ("water", None, None, "tiers"),
        ("water", None, [["10", "3.50"]], "tiers"),
    ],
)
def test_bad_rates_are_refused_with_the_field_at_fault(manager, estate, kind, price, tiers, field):
    with pytest.raises(FeeRateInvalid) as refused:
        set_rate(manager, estate, kind, price, tiers=tiers)
    assert list(refused.value.fields) == [field]
    assert not FeeRate.objects.exists()


def test_a_building_of_another_estate_is_refused(manager, estate, other_estate):
    theirs = Building.objects.filter(neighbourhood=other_estate).first()
    with pytest.raises(FeeRateInvalid):
        set_rate(manager, estate, FeeRate.Kind.PROPERTY, "3.00", building=theirs)


def test_a_manager_of_another_estate_gets_404(estate, other_estate):
    stranger = make_manager(other_estate)
    with pytest.raises(NotFound):
        set_rate(stranger, estate, FeeRate.Kind.PROPERTY, "2.50")
    with pytest.raises(NotFound):
        record(stranger, unit_of(estate), "10")
    with pytest.raises(NotFound):
        fee_services.one_off_charge_add(
            manager=stranger,
            unit=unit_of(estate),
            description="门禁卡",
            amount_minor=20_00,
            period=JUNE,
        )
    with pytest.raises(NotFound):
        fee_services.readings_import(
            manager=stranger,
            neighbourhood=estate,
            period=JUNE,
            data=b"building,unit,meter,reading\n",
        )


def test_no_rate_may_start_in_or_before_a_billed_month(manager, estate):
    BillingRun.objects.create(neighbourhood=estate, period=JUNE, status=BillingRun.Status.ISSUED)
    for day in (date(2026, 6, 20), date(2026, 5, 20)):
        with pytest.raises(FeeRateMonthBilled):
            set_rate(manager, estate, FeeRate.Kind.PROPERTY, "3.00", effective_from=day)
    set_rate(manager, estate, FeeRate.Kind.PROPERTY, "3.00", effective_from=JULY)
    assert FeeRate.objects.count() == 1


# --- readings --------------------------------------------------------------------------------


def test_usage_is_the_rise_since_the_previous_reading_and_the_first_is_a_baseline(manager, estate):
    unit = unit_of(estate)
    # Given the meter read 1,234.50 at the end of May (the first reading: usage 0)
    may = record(manager, unit, "1234.50", MAY)
    assert may.usage == 0
    # When June reads 1,248.50
    june = record(manager, unit, "1248.50")
    # Then June used 14 m³
    assert june.usage == Decimal("14.00")


def test_a_reading_below_the_previous_one_is_refused(manager, estate):
    unit = unit_of(estate)
    record(manager, unit, "100", MAY)
    with pytest.raises(ReadingBelowPrevious):
        record(manager, unit, "99.99")
    assert MeterReading.objects.count() == 1


def test_correcting_a_month_moves_the_next_months_usage(manager, estate):
    unit = unit_of(estate)
    record(manager, unit, "100", MAY)
    record(manager, unit, "120")
    record(manager, unit, "130", JULY)
    # When June is corrected to 125
    record(manager, unit, "125")
    # Then June used 25 and July 5
    usage = dict(MeterReading.objects.values_list("period", "usage"))
    assert usage == {MAY: 0, JUNE: Decimal("25.00"), JULY: Decimal("5.00")}
    # And June cannot rise above July's reading
    with pytest.raises(ReadingAboveNext):
        record(manager, unit, "131")


def test_readings_of_a_billed_month_or_earlier_are_refused(manager, estate):
    BillingRun.objects.create(neighbourhood=estate, period=JUNE, status=BillingRun.Status.ISSUING)
    for period in (JUNE, MAY):
        with pytest.raises(ReadingMonthBilled):
            record(manager, unit_of(estate), "10", period)
    record(manager, unit_of(estate), "10", JULY)


def test_readings_for_a_future_month_are_refused(manager, estate):
    with time_machine.travel(date(2026, 6, 30), tick=False), pytest.raises(ReadingInFuture):
        record(manager, unit_of(estate), "10", JULY)


def test_an_import_writes_every_row_with_its_usage(manager, estate):
    record(manager, unit_of(estate, "1号楼", "101"), "100", MAY)
    data = (
        "building,unit,meter,reading\n"
        "1号楼,101,water,114\n"
        "1号楼,101,electricity,2500.5\n"
        "2号楼,202,水,7\n"
    ).encode()
    assert (
        fee_services.readings_import(manager=manager, neighbourhood=estate, period=JUNE, data=data)
        == 3
    )
    june = {
        (r.unit.building.name, r.unit.number, r.meter): r.usage
        for r in MeterReading.objects.filter(period=JUNE).select_related("unit__building")
    }
    assert june == {
        ("1号楼", "101", "water"): Decimal("14.00"),
        ("1号楼", "101", "electricity"): Decimal("0.00"),
        ("2号楼", "202", "water"): Decimal("0.00"),
    }


def test_an_import_from_excel_in_chinese_gbk_with_chinese_headers(manager, estate):
    data = "楼栋,房号,表,读数\r\n1号楼,102,电表,88\r\n".encode("gb18030")
    assert (
        fee_services.readings_import(manager=manager, neighbourhood=estate, period=JUNE, data=data)
        == 1
    )
    assert MeterReading.objects.get().meter == "electricity"


def test_importing_the_same_file_twice_corrects_instead_of_duplicating(manager, estate):
    data = b"building,unit,meter,reading\n1\xe5\x8f\xb7\xe6\xa5\xbc,101,water,50\n"
    for _ in range(2):
        fee_services.readings_import(manager=manager, neighbourhood=estate, period=JUNE, data=data)
    assert MeterReading.objects.count() == 1


def test_an_import_with_bad_rows_imports_nothing_and_names_each_bad_row(manager, estate):
    record(manager, unit_of(estate, "1号楼", "102"), "500", MAY)
    data = (
        "building,unit,meter,reading\n"
        "1号楼,101,water,10\n"  # fine
        "1号楼,999,water,10\n"  # no such unit
        "1号楼,101,gas,10\n"  # no such meter
        "1号楼,102,water,499\n"  # below May's 500
        "2号楼,101,water,abc\n"  # not a number
        "1号楼,101,water,11\n"  # the same meter twice
    ).encode()
    with pytest.raises(ReadingsImportInvalid) as refused:
        fee_services.readings_import(manager=manager, neighbourhood=estate, period=JUNE, data=data)
    assert [(r["row"], r["column"]) for r in refused.value.extra["rows"]] == [
        (3, "unit"),
        (4, "meter"),
        (5, "reading"),
        (6, "reading"),
        (7, "unit"),
    ]
    assert MeterReading.objects.filter(period=JUNE).count() == 0


@pytest.mark.parametrize(
    "data", [b"", b"name,phone\nx,y\n", b"building,unit,meter,reading\n", b"\xff\xfe\x00garbage"]
)
def test_unreadable_files_are_refused(manager, estate, data):
    with pytest.raises(ReadingsFileUnreadable):
        fee_services.readings_import(manager=manager, neighbourhood=estate, period=JUNE, data=data)


# --- one-off charges -------------------------------------------------------------------------


def test_a_one_off_charge_is_added_to_its_month(manager, estate):
    charge = fee_services.one_off_charge_add(
        manager=manager,
        unit=unit_of(estate),
        description=" 门禁卡补办 ",
        amount_minor=20_00,
        period=date(2026, 6, 18),
    )
    assert (charge.description, charge.amount_minor, charge.period) == ("门禁卡补办", 20_00, JUNE)


@pytest.mark.parametrize(("description", "amount"), [("", 100), ("维修", 0), ("维修", -5)])
def test_a_charge_needs_a_description_and_a_positive_amount(manager, estate, description, amount):
    with pytest.raises(ChargeInvalid):
        fee_services.one_off_charge_add(
            manager=manager,
            unit=unit_of(estate),
            description=description,
            amount_minor=amount,
            period=JUNE,
        )


def test_a_charge_for_a_billed_month_is_refused_but_a_later_month_is_fine(manager, estate):
    BillingRun.objects.create(neighbourhood=estate, period=JUNE, status=BillingRun.Status.ISSUED)
    with pytest.raises(ChargeMonthBilled):
        fee_services.one_off_charge_add(
            manager=manager,
            unit=unit_of(estate),
            description="维修",
            amount_minor=100,
            period=JUNE,
        )
    fee_services.one_off_charge_add(
        manager=manager, unit=unit_of(estate), description="维修", amount_minor=100, period=JULY
    )
    assert OneOffCharge.objects.count() == 1

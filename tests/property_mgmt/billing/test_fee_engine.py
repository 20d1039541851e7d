"""Worked examples of the fee engine, to the fen: read them as its manual.

Every amount is exact in Decimal until the line is rounded to the fen once, half up.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from property_mgmt import fees
from property_mgmt.fees import Rate

JUNE = date(2026, 6, 1)  # 30 days
JULY = date(2026, 7, 1)  # 31 days
WATER = fees.parse_tiers([["10", "3.50"], [None, "5.00"]])


def rate(price: str, on: date = date(2026, 1, 1), **scope) -> Rate:
    return Rate(effective_from=on, price=Decimal(price), **scope)


def test_per_square_metre_fee_for_a_whole_month():
    # Given ¥2.50 per m² a month since January
    segments = fees.month_segments(JUNE, [rate("2.50")])
    # When a flat of 89.50 m² is billed for June
    # Then it pays 89.50 × 2.50 = ¥223.75
    assert fees.property_fee(Decimal("89.50"), segments) == 223_75


def test_a_rate_change_on_the_16th_of_a_30_day_month_is_prorated_by_days_and_rounded_once():
    # Given ¥2.50 until 15 June and ¥3.00 from 16 June
    rates = [rate("2.50"), rate("3.00", date(2026, 6, 16))]
    segments = fees.month_segments(JUNE, rates)
    # Then June is 15 days at each price
    assert [(s.rate.price, s.start.day, s.days) for s in segments] == [
        (Decimal("2.50"), 1, 15),
        (Decimal("3.00"), 16, 15),
    ]
    # And 89.50 m² pays 89.50 × (2.50 × 15 + 3.00 × 15) / 30 = ¥246.125, half up ¥246.13
    assert fees.property_fee(Decimal("89.50"), segments) == 246_13
    # And 120.00 m² pays exactly ¥330.00
    assert fees.property_fee(Decimal("120.00"), segments) == 330_00


def test_parking_prorated_over_a_31_day_month():
    # Given parking at ¥300.00, then ¥350.00 from 11 July
    segments = fees.month_segments(JULY, [rate("300"), rate("350", date(2026, 7, 11))])
    # Then one space pays (300 × 10 + 350 × 21) / 31 = ¥333.870…, so ¥333.87
    assert [s.days for s in segments] == [10, 21]
    assert fees.parking_fee(1, segments) == 333_87


def test_days_before_the_first_rate_are_not_billed():
    # Given the estate's first rate starts on 11 June
    segments = fees.month_segments(JUNE, [rate("2.50", date(2026, 6, 11))])
    # Then 20 of 30 days are billed: 89.50 × 2.50 × 20 / 30 = ¥149.1666…, so ¥149.17
    assert [(s.start.day, s.days) for s in segments] == [(11, 20)]
    assert fees.property_fee(Decimal("89.50"), segments) == 149_17


def test_tiered_water_across_the_tier_boundary():
    # Given the first 10 m³ at ¥3.50 and the rest at ¥5.00
    # Then 14 m³ cost 10 × 3.50 + 4 × 5.00 = ¥55.00
    assert fees.tiered_charge(Decimal("14"), WATER) == Decimal("55.00")
    month = fees.month_segments(JUNE, [Rate(effective_from=JUNE, tiers=WATER)])
    assert fees.metered_fee(Decimal("14"), month) == 55_00
    # And exactly 10 m³ stay in the first tier; 10.5 m³ put half a m³ in the second
    assert fees.metered_fee(Decimal("10"), month) == 35_00
    assert fees.metered_fee(Decimal("10.50"), month) == 37_50
    assert fees.metered_fee(Decimal("0"), month) == 0


def test_three_tiers_with_cumulative_bounds():
    tiers = fees.parse_tiers([["10", "3.00"], ["20", "4.00"], [None, "6.00"]])
    # 25 m³: 10 × 3 + 10 × 4 + 5 × 6 = 100.00
    assert fees.tiered_charge(Decimal("25"), tiers) == Decimal("100.00")


def test_a_tariff_change_mid_month_weights_each_tariff_by_its_days():
    # Given ¥3.50 then ¥5.00 above 10 m³ until 15 June, and a flat ¥4.00 from 16 June
    old = Rate(effective_from=date(2026, 1, 1), tiers=WATER)
    new = Rate(effective_from=date(2026, 6, 16), tiers=fees.parse_tiers([[None, "4.00"]]))
    segments = fees.month_segments(JUNE, [old, new])
    # Then 14 m³ cost (55.00 × 15 + 56.00 × 15) / 30 = ¥55.50
    assert fees.metered_fee(Decimal("14"), segments) == 55_50


def test_a_building_rate_beats_a_unit_kind_rate_which_beats_the_estate_rate():
    estate = rate("2.50")
    shops = rate("4.00", unit_kind="shop")
    building_1 = rate("3.00", building_id=1)
    rates = [estate, shops, building_1]

    def applied(building_id, unit_kind):
        covering = fees.rates_for_unit(rates, building_id=building_id, unit_kind=unit_kind)
        return [s.rate.price for s in fees.month_segments(JUNE, covering)]

    # A flat in building 1 pays the building's rate, even though it is older than nothing
    assert applied(1, "flat") == [Decimal("3.00")]
    # A shop in building 1 too: the building is more specific than the kind
    assert applied(1, "shop") == [Decimal("3.00")]
    # A shop in building 2 pays the shops' rate, a flat there the estate's
    assert applied(2, "shop") == [Decimal("4.00")]
    assert applied(2, "flat") == [Decimal("2.50")]


def test_a_building_rate_starting_mid_month_takes_over_from_that_day():
    # Given the estate at ¥2.50 all month and building 1 at ¥3.00 from 16 June
    rates = [rate("2.50"), rate("3.00", date(2026, 6, 16), building_id=1)]
    covering = fees.rates_for_unit(rates, building_id=1, unit_kind="flat")
    segments = fees.month_segments(JUNE, covering)
    assert [(s.rate.price, s.days) for s in segments] == [
        (Decimal("2.50"), 15),
        (Decimal("3.00"), 15),
    ]
    # And a later estate-wide change does not touch building 1 after the 16th
    rates.append(rate("2.80", date(2026, 6, 20)))
    covering = fees.rates_for_unit(rates, building_id=1, unit_kind="flat")
    assert [(s.rate.price, s.days) for s in fees.month_segments(JUNE, covering)] == [
        (Decimal("2.50"), 15),
        (Decimal("3.00"), 15),
    ]


def test_rounding_is_half_up_to_the_fen():
    assert fees.to_fen(Decimal("0.005")) == 1
    assert fees.to_fen(Decimal("0.0049999")) == 0
    assert fees.to_fen(Decimal("1.125")) == 113


@pytest.mark.parametrize(
    "tiers",
    [
        [],
        [["10", "3.50"]],  # no open-ended tier
        [["10", "3.50"], ["5", "4.00"], [None, "5.00"]],  # bounds must rise
        [[None, "3.50"], [None, "5.00"]],  # open-ended before the last
        [["10", "-1"], [None, "5.00"]],  # negative price
        [["x", "3.50"], [None, "5.00"]],
    ],
)
def test_bad_tariffs_are_refused(tiers):
    with pytest.raises(ValueError):
        fees.parse_tiers(tiers)

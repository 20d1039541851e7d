"""Worked examples: what one coupon of each kind takes off a price (in fen).

Percentages are worked out in Decimal and rounded once, half up; the resident always pays
at least 1 fen; a minimum spend applies to every kind.
"""

from __future__ import annotations

import pytest

from merchants.models import Campaign
from merchants.services.offers import discount_for


def terms(kind: str, amount_minor: int, *, percent: int | None = None, min_spend: int = 0):
    return Campaign(
        kind=kind, amount_minor=amount_minor, percent=percent, min_spend_minor=min_spend
    )


@pytest.mark.parametrize(
    ("gross", "discount"),
    [
        (2_500, 500),  # ¥25.00 less ¥5.00: pays ¥20.00
        (501, 500),  # pays 1 fen
        (500, 499),  # ¥5.00 off ¥5.00 would be free: pays 1 fen
        (2, 1),
        (1, 0),  # a 1-fen price takes no coupon
    ],
)
def test_amount_off(gross, discount):
    assert discount_for(terms(Campaign.Kind.AMOUNT_OFF, 500), gross) == discount


@pytest.mark.parametrize(
    ("gross", "discount"),
    [
        (1_230, 185),  # 15% of ¥12.30 = 184.5 fen, half up → 185
        (1_229, 184),  # 184.35 → 184
        (10, 2),  # 1.5 → 2
        (3, 0),  # 0.45 → 0: nothing to take off, so the coupon does not apply
        (13_333, 2_000),  # 1,999.95 → 2,000, exactly the cap
        (20_000, 2_000),  # 3,000 capped at ¥20.00
    ],
)
def test_percent_off_up_to_a_cap(gross, discount):
    assert discount_for(terms(Campaign.Kind.PERCENT_OFF, 2_000, percent=15), gross) == discount


def test_percent_off_never_makes_a_price_free():
    campaign = terms(Campaign.Kind.PERCENT_OFF, 10_000, percent=99)
    assert discount_for(campaign, 200) == 198  # pays ¥0.02
    assert discount_for(campaign, 50) == 49  # 49.5 → 50 would be all of it: pays 1 fen


@pytest.mark.parametrize(("gross", "discount"), [(4_999, 0), (5_000, 1_000), (12_000, 1_000)])
def test_spend_fifty_save_ten(gross, discount):
    campaign = terms(Campaign.Kind.SPEND_SAVE, 1_000, min_spend=5_000)
    assert discount_for(campaign, gross) == discount


def test_a_minimum_spend_applies_to_every_kind():
    amount = terms(Campaign.Kind.AMOUNT_OFF, 500, min_spend=3_000)
    percent = terms(Campaign.Kind.PERCENT_OFF, 2_000, percent=10, min_spend=3_000)
    assert (discount_for(amount, 2_999), discount_for(amount, 3_000)) == (0, 500)
    assert (discount_for(percent, 2_999), discount_for(percent, 3_000)) == (0, 300)

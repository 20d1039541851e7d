from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

from core.money import CurrencyMismatch, Money


def test_adds_and_subtracts_in_minor_units():
    assert Money(1050) + Money(250) == Money(1300)
    assert Money(1050) - Money(2000) == Money(-950)
    assert (Money(1050) - Money(2000)).is_negative()


def test_refuses_to_mix_currencies():
    with pytest.raises(CurrencyMismatch):
        Money(100, "CNY") + Money(100, "HKD")
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "CNY") < Money(100, "USD")


def test_refuses_floats_and_unknown_currencies():
    with pytest.raises(TypeError):
        Money(10.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(100, "XYZ")
    with pytest.raises(TypeError):
        Money(100) * 1.5  # type: ignore[operator]


def test_whole_multiples_only():
    assert Money(333) * 3 == Money(999)
    assert 2 * Money(5, "USD") == Money(10, "USD")


def test_converts_from_decimal_once_with_a_named_rounding():
    assert Money.from_decimal("25.00") == Money(2500)
    assert Money.from_decimal(Decimal("0.125")) == Money(12)  # banker's rounding
    assert Money.from_decimal(Decimal("0.125"), rounding=ROUND_HALF_UP) == Money(13)
    assert Money.from_decimal(Decimal("0.129"), rounding=ROUND_DOWN) == Money(12)
    assert Money(2599).to_decimal() == Decimal("25.99")


def test_formats_in_the_readers_language():
    assert Money(250000).format("zh-hans") == "¥2,500.00"
    assert Money(250000).format("en") == "CN¥2,500.00"
    assert Money(-1234, "USD").format("en") == "-$12.34"
    assert Money(1234, "HKD").format("zh-hans") == "HK$12.34"

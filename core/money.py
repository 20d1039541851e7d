"""Money as integer minor units plus an ISO 4217 currency.

Arithmetic refuses to mix currencies; there is no float anywhere. Formatting goes
through Babel so that the symbol, grouping and decimals follow the reader's locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

from babel.numbers import format_currency
from django.utils import translation

# Currencies the platform knows; the exponent is the number of minor-unit digits.
CURRENCY_EXPONENTS: Final[dict[str, int]] = {"CNY": 2, "HKD": 2, "USD": 2}


class CurrencyMismatch(TypeError):
    """Two amounts in different currencies met in one operation."""


def currency_exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unsupported currency {currency!r}") from None


def _babel_locale(language: str | None) -> str:
    language = (language or translation.get_language() or "zh-hans").lower()
    if language.startswith("zh"):
        return "zh_Hans_CN"
    return "en_US"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (fen for CNY) and its currency."""

    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        # bool is an int subclass; True fen is a bug, not an amount.
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int of minor units")
        currency_exponent(self.currency)

    @classmethod
    def zero(cls, currency: str = "CNY") -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(
        cls, amount: Decimal | str, currency: str = "CNY", rounding: str = ROUND_HALF_EVEN
    ) -> Money:
        """Convert a major-unit decimal (``"25.00"``) once, with a named rounding mode."""
        exponent = currency_exponent(currency)
        quantum = Decimal(1).scaleb(-exponent)
        value = Decimal(amount).quantize(quantum, rounding=rounding)
        return cls(int(value.scaleb(exponent)), currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-currency_exponent(self.currency))

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")
        return other

    def __add__(self, other: object) -> Money:
        return Money(self.minor + self._same_currency(other).minor, self.currency)

    def __sub__(self, other: object) -> Money:
        return Money(self.minor - self._same_currency(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: object) -> Money:
        # Only whole multiples: a fractional factor needs an explicit rounding decision.
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money can only be multiplied by an int")
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        return self.minor < self._same_currency(other).minor

    def __le__(self, other: object) -> bool:
        return self.minor <= self._same_currency(other).minor

    def __gt__(self, other: object) -> bool:
        return self.minor > self._same_currency(other).minor

    def __ge__(self, other: object) -> bool:
        return self.minor >= self._same_currency(other).minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def is_negative(self) -> bool:
        return self.minor < 0

    def format(self, language: str | None = None) -> str:
        """Format for display in ``language`` (default: the active language)."""
        return format_currency(self.to_decimal(), self.currency, locale=_babel_locale(language))

    def __str__(self) -> str:
        return self.format()

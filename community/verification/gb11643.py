"""Resident identity numbers (公民身份号码) as GB 11643-1999 defines them.

Eighteen characters: a six-digit region code, the birth date as YYYYMMDD, a three-digit
sequence whose last digit is odd for men and even for women, and a check character
computed with ISO 7064 MOD 11-2. Only the province-level part of the region code is
checked: county codes change every year and an outdated table would refuse real people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.errors import InvalidIdentityNumber

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# Province-level divisions; 71 Taiwan; 81/82/83 the residence permits of Hong Kong, Macao
# and Taiwan residents, which use the same format.
PROVINCE_CODES = frozenset(
    {
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    }
)
EARLIEST_BIRTH_YEAR = 1900
_SHAPE = re.compile(r"\d{17}[\dX]")

Rule = Literal["format", "region", "birth_date", "check_character"]


@dataclass(frozen=True)
class IdentityNumber:
    number: str
    region_code: str
    birth_date: date
    sex: Literal["male", "female"]

    @property
    def masked(self) -> str:
        return mask(self.number)


def normalise(raw: str) -> str:
    """What people type: spaces and a lower-case x are accepted."""
    return "".join(raw.split()).upper()


def check_character(first_17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def _refuse(rule: Rule, message: str | Promise) -> InvalidIdentityNumber:
    return InvalidIdentityNumber(message, fields={"id_number": [message]}, extra={"rule": rule})


def parse(raw: str, *, today: date | None = None) -> IdentityNumber:
    """Validate ``raw`` and return its parts, or raise ``InvalidIdentityNumber`` whose
    ``rule`` says which check failed (format, region, birth_date, check_character)."""
    number = normalise(raw)
    if len(number) != 18 or not _SHAPE.fullmatch(number):
        raise _refuse(
            "format",
            _("An identity number has 18 characters: 17 digits, then a digit or X."),
        )
    if int(number[:2]) not in PROVINCE_CODES:
        raise _refuse("region", _("The first digits are not a known region code."))
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    today = today or timezone.localdate()
    if born is None or born > today or born.year < EARLIEST_BIRTH_YEAR:
        raise _refuse("birth_date", _("The birth date in this number is not possible."))
    if check_character(number[:17]) != number[17]:
        raise _refuse(
            "check_character",
            _("The last character does not match the others. Check the number for a typo."),
        )
    return IdentityNumber(
        number=number,
        region_code=number[:6],
        birth_date=born,
        sex="male" if int(number[16]) % 2 else "female",
    )


def mask(number: str) -> str:
    """``110***********1234``: enough for a person to recognise their own number."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]

"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

Eighteen characters from a 31-character set (the digits and the capitals without I, O, S, V
and Z). The 18th is a check character: with the weights ``3^i mod 31`` of positions 1 to 17,
check = 31 - (sum mod 31), where 31 becomes 0, written as the character at that value.

Two questions are kept apart on purpose:

* ``format_problem``: is it 18 characters of the set at all? Anything else is a typing
  mistake the applicant must correct (a hard error).
* ``checks``: does the check character match? A code that fails goes to an operator for
  manual review instead of being refused: our check must never be what turns a real shop
  away.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
_VALUE = {character: value for value, character in enumerate(CHARSET)}


def normalise(raw: str) -> str:
    """Strip surrounding and inner blanks and upper-case: how people copy a code from a licence."""
    return "".join(str(raw or "").split()).upper()


def format_problem(code: str) -> Promise | None:
    """Why a normalised ``code`` is not a credit code at all; ``None`` when well-formed."""
    if len(code) != LENGTH:
        return _("A unified social credit code has 18 characters.")
    if any(character not in _VALUE for character in code):
        return _(
            "A unified social credit code uses only digits and capital letters "
            "other than I, O, S, V and Z."
        )
    return None


def check_character(body: str) -> str:
    """The check character for the first 17 characters ``body`` (already in the set)."""
    total = sum(_VALUE[character] * weight for character, weight in zip(body, WEIGHTS, strict=True))
    value = 31 - total % 31
    return CHARSET[0 if value == 31 else value]


def checks(code: str) -> bool:
    """Whether a normalised, well-formed ``code`` carries the right check character."""
    if format_problem(code) is not None:
        return False
    return check_character(code[:17]) == code[17]

"""Identity-number vectors: every GB 11643-1999 rule refuses with its own message."""

from datetime import date

import pytest

from community.errors import InvalidIdentityNumber
from community.verification.gb11643 import check_character, mask, parse


@pytest.mark.parametrize(
    ("raw", "number", "born", "sex"),
    [
        ("110101199003074522", "110101199003074522", date(1990, 3, 7), "female"),
        ("310104198506152619", "310104198506152619", date(1985, 6, 15), "male"),
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31), "female"),
        # Lower-case x and the spaces people type are accepted and normalised.
        ("11010519491231002x", "11010519491231002X", date(1949, 12, 31), "female"),
        (" 110105 19491231 002x ", "11010519491231002X", date(1949, 12, 31), "female"),
        # 29 February of a leap year is a real birthday.
        ("11010120000229123X", "11010120000229123X", date(2000, 2, 29), "male"),
        # Hong Kong residents' residence permit: same format, region 81.
        ("810000199001011238", None, date(1990, 1, 1), "male"),
    ],
)
def test_valid_numbers_parse_into_their_parts(raw, number, born, sex):
    if number is None:  # build the check character for the permit number above
        number = raw[:17] + check_character(raw[:17])
        raw = number
    parsed = parse(raw)
    assert parsed.number == number
    assert parsed.region_code == number[:6]
    assert parsed.birth_date == born
    assert parsed.sex == sex


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("11010519491231002", "format"),  # 17 characters
        ("11010519491231002X1", "format"),  # 19 characters
        ("1101051949123100X2", "format"),  # X not at the end
        ("11010519491231002Y", "format"),
        ("", "format"),
        ("990101199003074526", "region"),  # check character right, no province 99
        ("100101199003074520", "region"),
        ("720101199003074526", "region"),
        ("110101199902301231", "birth_date"),  # 30 February 1999
        ("11010119990229123X", "birth_date"),  # 29 February of a common year
        ("110101199013011234", "birth_date"),  # month 13
        ("110101199001001231", "birth_date"),  # day 0
        ("440524188001010014", "birth_date"),  # the standard's 1880 example: before 1900
        ("110101199003074521", "check_character"),  # last digit off by one
        ("110101199003074532", "check_character"),  # two digits swapped
        ("11010519491231002 0", "check_character"),
    ],
)
def test_invalid_numbers_name_the_rule_they_break(raw, rule):
    with pytest.raises(InvalidIdentityNumber) as refused:
        parse(raw)
    assert refused.value.rule == rule
    assert refused.value.fields["id_number"] == [refused.value.message]


def test_each_rule_has_its_own_message():
    messages = {}
    for raw in ("123", "990101199003074526", "110101199902301231", "110101199003074521"):
        with pytest.raises(InvalidIdentityNumber) as refused:
            parse(raw)
        messages[refused.value.rule] = str(refused.value.message)
    assert len(set(messages.values())) == 4


def test_a_birth_date_in_the_future_is_refused():
    today = date(2026, 5, 1)
    tomorrow = "11010120260502123"
    with pytest.raises(InvalidIdentityNumber) as refused:
        parse(tomorrow + check_character(tomorrow), today=today)
    assert refused.value.rule == "birth_date"
    born_today = "11010120260501123"
    assert parse(born_today + check_character(born_today), today=today).birth_date == today


def test_mask_keeps_the_first_three_and_last_four():
    assert mask("110101199003071234") == "110***********1234"
    assert mask("11010519491231002X") == "110***********002X"
    assert mask("12345") == "*****"

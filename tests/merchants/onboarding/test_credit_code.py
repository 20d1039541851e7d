"""GB 32100-2015 unified social credit codes: published codes pass, altered ones fail, and a
wrong format is told apart from a wrong check character."""

from __future__ import annotations

import pytest

from merchants import credit_code as codes

# Codes printed on real, published business licences.
PUBLISHED = ["91350100M000100Y43", "91110000600037341L"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass_the_check(code):
    assert codes.format_problem(code) is None
    assert codes.checks(code) is True


@pytest.mark.parametrize(
    ("body", "expected"),
    [("91350100M000100Y4", "3"), ("91110000600037341", "L")],
)
def test_the_check_character_of_published_codes(body, expected):
    assert codes.check_character(body) == expected


def test_a_sum_divisible_by_31_gives_check_character_0():
    # Given a body of zeros: the weighted sum is 0, 31 - 0 = 31, which becomes 0.
    assert codes.check_character("0" * 17) == "0"
    assert codes.checks("0" * 18)


def test_the_check_worked_by_hand():
    # 91350100M000100Y4: values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4.
    values = [9, 1, 3, 5, 0, 1, 0, 0, 21, 0, 0, 0, 1, 0, 0, 30, 4]
    total = sum(v * w for v, w in zip(values, codes.WEIGHTS, strict=True))
    assert total % 31 == 28  # so the check is 31 - 28 = 3
    assert codes.check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # last character changed
        "91110000600037341K",
        "91350100M000100Y34",  # two characters swapped
        "92350100M000100Y43",  # first character changed
    ],
)
def test_wrong_check_characters_fail_but_are_well_formed(code):
    assert codes.format_problem(code) is None
    assert codes.checks(code) is False


@pytest.mark.parametrize(
    "code",
    [
        "",
        "91350100M000100Y4",  # 17
        "91350100M000100Y433",  # 19
        "91350100I000100Y43",  # I is not in the set
        "91350100O000100Y43",  # nor O
        "9135010-M000100Y43",
        "91350100m000100y43",  # lower case before normalising
    ],
)
def test_a_wrong_format_is_a_problem_and_never_checks(code):
    assert codes.format_problem(code) is not None
    assert codes.checks(code) is False


def test_normalise_strips_blanks_and_upper_cases():
    assert codes.normalise("  91350100m000100y43 ") == "91350100M000100Y43"
    assert codes.normalise("9135 0100 M000 100Y43") == "91350100M000100Y43"
    assert codes.checks(codes.normalise(" 91110000600037341l"))


def test_every_charset_value_is_reachable_as_a_check_character():
    # Then the 31 -> 0 rule leaves no gap: some body yields each of the 31 characters.
    seen = {codes.check_character(f"{c}{'0' * 16}") for c in codes.CHARSET}
    assert seen == set(codes.CHARSET)

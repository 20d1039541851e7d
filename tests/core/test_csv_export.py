"""Exported cells never run as spreadsheet formulas; numbers stay numbers."""

import pytest

from core.csv_export import RowWriter, inert


@pytest.mark.parametrize(
    "typed",
    ["=1+1", "+86 138", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x","y")'],
)
def test_a_cell_that_starts_like_a_formula_is_made_text(typed):
    assert inert(typed) == "'" + typed


@pytest.mark.parametrize("plain", ["-12.50", "-3", "12.50", "水果", "a=b", "", 7, None])
def test_numbers_and_plain_text_are_left_alone(plain):
    assert inert(plain) == plain


def test_the_writer_returns_each_row_as_csv_text():
    assert RowWriter().writerow(["=cmd", "-1.00", "买菜"]) == "'=cmd,-1.00,买菜\r\n"

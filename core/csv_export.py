"""CSV downloads that spreadsheet programs open safely, streamed row by row.

A spreadsheet runs a cell that starts like a formula: a transfer's note of
``=HYPERLINK("http://…","Refund")`` would become a live link in the recipient's exported
history. Every text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading apostrophe, which spreadsheets show as text and do not print;
plain numbers (negative amounts) stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

BYTE_ORDER_MARK = "\ufeff"  # Excel reads UTF-8 (and so Chinese) only after it
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def inert(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


class RowWriter:
    """``writerow`` returns the row's CSV text, for a generator behind a streaming response."""

    def __init__(self) -> None:
        self._writer = csv.writer(_Echo())

    def writerow(self, row: Iterable[Any]) -> str:
        return str(self._writer.writerow([inert(value) for value in row]))

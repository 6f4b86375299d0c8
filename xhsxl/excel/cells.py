"""One cell of Excel-shaped input: is it blank, what number does it hold, is it TRUE or FALSE, what is a
date cell's value to a formula.

Cells arrive as Excel (through xlwings), openpyxl, the csv module and JSON hand them over: ``None`` or
``""`` for a blank, ``float``/``int`` for numbers, ``bool``, ``datetime`` for a date cell, and text a
person typed. Every entry point — the XHS_ functions, the client table, the touch log, the planner tables,
the workbook reader — reads cells with these functions, so a cell means the same wherever it is typed.

Numbers as people write them are read, never guessed: ``¥1,200,000``, ``30%`` (in a share), full-width
digits, ``168万``, ``(5,000)`` and Excel's accounting ``-``. A decimal comma is read only when it cannot be
a thousands separator (``1.234,56``, or a file that says so); ``1,5`` is refused with both readings.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import is_blank

__all__ = [
    "UnsavedFormula", "is_blank", "all_blank", "blank_mask", "coerce_number", "FLAG_WORDS", "read_flag",
    "reads_as_flag", "worksheet_value",
]


@dataclass(frozen=True)
class UnsavedFormula:
    """A cell holding a formula whose result the file does not store (see :mod:`xhsxl.excel.workbooks`)."""

    formula: str

    def refusal(self, name: str) -> XhsInputError:
        return XhsInputError(argument=name, reason="is a formula whose result the file does not store",
                             value=self.formula, shown=repr(self.formula),
                             hint="open and save the file in Excel, or export values")


def all_blank(cells: Iterable[Any]) -> bool:
    """Every cell of a row or column is blank."""
    return all(map(is_blank, cells))


def blank_mask(values: list[Any]) -> np.ndarray:
    """:func:`is_blank` of every cell of a column, as a boolean array, by C-level passes where it can:
    a column of a million touches is read a chunk at a time."""
    kinds = set(map(type, values))
    if kinds == {str}:  # text of a CSV
        return ~np.fromiter(map(bool, map(str.strip, values)), dtype=bool, count=len(values))
    if str not in kinds and type(None) not in kinds:  # numbers, dates, booleans of an XLSX or Parquet file
        return np.zeros(len(values), dtype=bool)
    return np.fromiter(map(is_blank, values), dtype=bool, count=len(values))


# ------------------------------------------------------------------------------------------------ numbers
_CURRENCY = re.compile(r"(?i)^(?:¥|￥|cny|rmb|元)|(?:¥|￥|cny|rmb|元)$")
#: Chinese magnitude suffixes: 168万 is 1,680,000 (万 = 10⁴, 亿 = 10⁸).
_MAGNITUDES = {"万": 1e4, "亿": 1e8}
#: Thousands grouped by a separator: 1,234,567 (or 1.234.567 where the comma is the decimal mark).
_GROUPED = {
    ",": re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$"),
    ".": re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?$"),
}


def coerce_number(value: Any, name: str = "value", *, percent: bool = True,
                  decimal_comma: bool = False) -> float | None:
    """A number from what a person typed or a spreadsheet holds; ``None`` for a blank.

    Parameters
    ----------
    value : Any
        The cell: a number, text, ``None``.
    name : str
        The argument or field, for the error message.
    percent : bool
        Whether ``30%`` may be written (shares and rates). An amount or a count refuses it with a hint, since
        ``350%`` in a ¥ field is a slip, not ¥3.50.
    decimal_comma : bool
        The file writes decimals with a comma (a semicolon-separated CSV): ``1680000,50`` is 1,680,000.5.

    >>> coerce_number("¥1,680,000")
    1680000.0
    >>> coerce_number("30%")
    0.3
    >>> coerce_number("１２３")
    123.0
    >>> coerce_number("168万")
    1680000.0
    >>> coerce_number("(5,000)")
    -5000.0
    >>> coerce_number("1.234,56")
    1234.56
    >>> coerce_number("")
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise XhsInputError(argument=name, reason="must be a number, not a true/false value")
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:
            raise XhsInputError(argument=name, reason="is too large",
                                shown=f"a number of {len(str(value))} digits") from None
    elif isinstance(value, str):
        from_text = _number_from_text(value, name, percent, decimal_comma)
        if from_text is None:
            return None
        number = from_text
    elif isinstance(value, (dt.date, dt.datetime, dt.time)):
        raise XhsInputError(argument=name, reason="must be a number, not a date", shown=str(value))
    elif isinstance(value, UnsavedFormula):
        raise value.refusal(name)
    else:
        raise XhsInputError(argument=name, reason="must be a number", shown=f"{type(value).__name__} {value!r}")
    if not math.isfinite(number):
        raise XhsInputError(argument=name, reason="must be a finite number", shown=repr(value))
    return number


def _number_from_text(value: str, name: str, percent: bool, decimal_comma: bool) -> float | None:
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "").replace("\u00a0", "")
    if text == "":
        return None
    if len(text) > 100:  # no figure has a hundred digits: a pasted document, or a number of absurd length
        if text.lstrip("+-").isdigit():
            raise XhsInputError(argument=name, reason="is too large", shown=f"a number of {len(text)} digits")
        raise XhsInputError(argument=name, reason="must be a number", shown=f"text of {len(text)} characters")

    def refuse(reason: str = "must be a number", hint: str | None = None) -> XhsInputError:
        return XhsInputError(argument=name, reason=reason, value=value, shown=repr(value), hint=hint)

    if text == "-":  # Excel's accounting format shows a zero as a dash
        return 0.0
    negative = text.startswith("(") and text.endswith(")")  # accounting negative: (5,000)
    if negative:
        text = text[1:-1]
    is_percent = text.endswith("%")
    text = _CURRENCY.sub("", text.rstrip("%")).strip()
    scale = 1.0
    if text[-1:] in _MAGNITUDES:
        scale = _MAGNITUDES[text[-1]]
        text = _CURRENCY.sub("", text[:-1]).strip()
    if is_percent and not percent:
        raise refuse("is an amount or a count, not a share", "write the number itself, without %")
    text = _plain_digits(text, refuse, decimal_comma)
    try:
        number = float(text)
    except ValueError:
        raise refuse() from None
    if negative:
        number = -number
    if is_percent:
        number /= 100
    return number * scale


def _plain_digits(text: str, refuse: Any, decimal_comma: bool) -> str:
    """The text with thousands separators gone and a decimal point for the decimal mark, or a refusal."""
    if "," not in text:
        if decimal_comma and _GROUPED["."].match(text):
            if text.count(".") > 1:  # 1.234.567: only thousands are grouped twice
                return text.replace(".", "")
            whole, decimals = text.split(".")
            raise refuse("is ambiguous", f"in this file it reads as {whole}{decimals} (a point grouping thousands), "
                         f"elsewhere as {text}; write {whole}{decimals} or {whole},{decimals}")
        return text
    if decimal_comma:
        if "." in text and not _GROUPED["."].match(text):
            raise refuse(hint="in this file a comma is the decimal mark and a point groups thousands")
        return text.replace(".", "").replace(",", ".")
    if _GROUPED[","].match(text):
        return text.replace(",", "")
    if "." in text and _GROUPED["."].match(text):  # 1.234,56: the point groups, so the comma is decimal
        return text.replace(".", "").replace(",", ".")
    if text.count(",") == 1 and "." not in text:
        whole, decimals = text.split(",")
        if whole.lstrip("+-").isdigit() and decimals.isdigit():
            as_decimal, as_grouped = f"{whole}.{decimals}", f"{whole}{decimals}"
            raise refuse(
                "is ambiguous", f"it reads as {as_decimal} with a decimal comma or as {as_grouped} with a "
                f"thousands comma; write {as_decimal} or {int(as_grouped):,}")
    raise refuse()


# ------------------------------------------------------------------------------------------------ flags
#: The one vocabulary of TRUE/FALSE cells, compared after trimming and case-folding.
FLAG_WORDS: dict[str, bool] = {
    "true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "y": True, "n": False,
    "是": True, "否": False,
}
_FLAG_WORDS_SHOWN = "TRUE/FALSE, 1/0, yes/no, y/n or 是/否"


def read_flag(value: Any, name: str, default: bool | None = None) -> bool:
    """A TRUE/FALSE cell: a boolean, 1 or 0, or one of :data:`FLAG_WORDS`; a blank takes ``default``.

    >>> read_flag("是", "converted"), read_flag(0.0, "converted"), read_flag(None, "converted", False)
    (True, False, False)
    """
    while isinstance(value, (list, tuple)) and len(value) == 1:  # a 1×1 range
        value = value[0]
    if is_blank(value):
        if default is None:
            raise XhsInputError(argument=name, reason="is required (the cell is blank)")
        return default
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = FLAG_WORDS.get(unicodedata.normalize("NFKC", value).strip().casefold())
        if word is not None:
            return word
    if isinstance(value, UnsavedFormula):
        raise value.refusal(name)
    raise XhsInputError(argument=name, reason=f"must be {_FLAG_WORDS_SHOWN}", value=value)


def reads_as_flag(value: Any) -> bool:
    """Whether the cell is a TRUE/FALSE value (a title row's "converted" is not)."""
    try:
        read_flag(value, "value", False)
    except XhsInputError:
        return False
    return True


# ------------------------------------------------------------------------------------------------ dates
def worksheet_value(value: Any) -> Any:
    """A cell's value as worksheet formulas see it: a date or time as its Excel serial number (days since
    1899-12-30, the fraction of a day for a time), a whole number as a float, anything else as it is.

    >>> worksheet_value(dt.date(2024, 5, 1)), worksheet_value(dt.time(12)), worksheet_value(3)
    (45413.0, 0.5, 3.0)
    """
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        from openpyxl.utils.datetime import to_excel  # only for a date cell: openpyxl stays out of start-up

        return float(to_excel(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def same_value(left: Any, right: Any, rel: float = 1e-9) -> bool:
    """Equal as a spreadsheet shows them: numbers to ``rel``, blanks and empty text alike, booleans as such."""
    if left in (None, "") and right in (None, ""):
        return True
    if isinstance(left, bool) or isinstance(right, bool):
        return left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return math.isclose(left, right, rel_tol=rel, abs_tol=1e-9)
    return left == right

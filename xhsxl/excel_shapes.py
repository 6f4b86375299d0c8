"""Excel-shaped values in, Excel-shaped values out: the conversions every UDF shares.

Excel (through xlwings) passes numbers as ``float``, blank cells as ``None``, text as ``str``, booleans,
date cells as ``datetime`` and ranges as lists (a flat list for one row or column, a list of lists for a
block, always a list of lists with ``ndim=2``). The UDFs in :mod:`xhsxl.udfs` hand their arguments to
:func:`elementwise` or the single-cell readers here, call the core once on whole arrays, and return a
float, or a list of lists for a range, never NaN.

A range may end in blank rows (analysts select whole columns): a row blank in every range argument comes
back blank. A blank cell beside a filled one is an error naming the argument and the cell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import re
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe
from xhsxl.schema import coerce_number

__all__ = [
    "REQUIRED", "cell_number", "cell_text", "cell_integer", "number_range", "elementwise", "to_excel_table",
    "is_single_cell", "collector_paused",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Marker for an argument without a default.
REQUIRED: Any = _Required()



def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _single(value: Any, name: str) -> Any:
    """The value of a one-cell argument; a 1×1 range counts as one cell."""
    if isinstance(value, (list, tuple)):
        flat = list(_flatten(value))
        if len(flat) != 1:
            raise XhsInputError(f"{name} must be a single cell, not a range of {len(flat)} cells")
        return flat[0]
    return value


def _flatten(value: Any) -> Any:
    for item in value:
        if isinstance(item, (list, tuple)):
            yield from item
        else:
            yield item


def _number(value: Any, name: str) -> float:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        raise XhsInputError(f"{name} must be a number, not a date ({value})")
    return coerce_number(value, name)  # type: ignore[return-value]


def cell_number(value: Any, name: str, default: Any = REQUIRED) -> float:
    """A one-cell numeric argument as a float; a blank takes ``default`` or is reported as missing."""
    value = _single(value, name)
    if _is_blank(value):
        if default is REQUIRED:
            raise XhsInputError(f"{name} is required (the cell is blank)")
        return default
    return _number(value, name)


def cell_integer(value: Any, name: str, default: Any = REQUIRED) -> int | None:
    """A one-cell whole-number argument (a count of periods, an order)."""
    number = cell_number(value, name, default)
    if number is None:
        return None
    if not float(number).is_integer():
        raise XhsInputError(f"{name} must be a whole number (got {describe(number)})")
    return int(number)


def cell_text(value: Any, name: str, default: Any = REQUIRED) -> str:
    """A one-cell text argument (a basis, a stage, a curve name)."""
    value = _single(value, name)
    if _is_blank(value):
        if default is REQUIRED:
            raise XhsInputError(f"{name} is required (the cell is blank)")
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise XhsInputError(f"{name} must be text (got {describe(value)})")
    return str(value).strip()


def _grid(value: Any, name: str) -> list[list[Any]]:
    """A range as a rectangular list of rows; a flat list is one column (what a 1-D selection means)."""
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if len(value) == 0:
        raise XhsInputError(f"{name} must not be an empty range")
    if all(isinstance(row, (list, tuple)) for row in value):
        widths = {len(row) for row in value}
        if len(widths) != 1 or 0 in widths:
            lengths = [len(row) for row in value]
            raise XhsInputError(f"{name} must be a rectangular range (its rows have {min(lengths)} to "
                                f"{max(lengths)} cells)")
        return [list(row) for row in value]
    if any(isinstance(row, (list, tuple)) for row in value):
        raise XhsInputError(f"{name} must be a rectangular range (it mixes cells and rows)")
    return [[item] for item in value]


#: Cell types numpy may convert without looking: what Excel passes for numbers (bool is its own type).
_PLAIN_NUMBERS = {float, int, np.float64, np.float32, np.int64, np.int32}


def _fast_numbers(value: Any) -> np.ndarray | None:
    """The range as a 2-D float array when every cell is a plain number, else None (the careful path).

    One pass over the cells' types, then numpy reads the cells in C: this is what makes a
    1,000,000-row range one fast call rather than a million slow ones.
    """
    try:
        if isinstance(value[0], (list, tuple)):
            widths = set(map(len, value))
            if len(widths) != 1:
                return None
            width = widths.pop()
            if not set(map(type, itertools.chain.from_iterable(value))) <= _PLAIN_NUMBERS:
                return None
            cells = itertools.chain.from_iterable(value)
        else:
            width = 1
            if not set(map(type, value)) <= _PLAIN_NUMBERS:
                return None
            cells = iter(value)
        with collector_paused():
            array = np.fromiter(cells, dtype=float, count=len(value) * width)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return array.reshape(len(value), width) if array.size else None


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small lists are made or read.

    Creating a list per row triggers a collection every few hundred allocations, and each one walks all
    the rows made so far: with it paused a 1,000,000-row column converts about three times faster.
    Nothing made here holds a reference cycle, so nothing is left for the collector to find.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def is_single_cell(value: Any) -> bool:
    """True for a scalar, a one-item list, or a 1×1 list of lists."""
    if not isinstance(value, (list, tuple)):
        return True
    if len(value) != 1:
        return False
    inner = value[0]
    return not isinstance(inner, (list, tuple)) or len(inner) == 1


def number_range(value: Any, name: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """A numeric argument as (2-D float array, blank mask, was-a-range); blanks are NaN in the array."""
    is_range = not is_single_cell(value)
    array = _fast_numbers(value) if isinstance(value, (list, tuple)) else None
    if array is not None:
        bad = ~np.isfinite(array)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise XhsInputError(f"{name} must be a finite number (got {describe(array[row, column])})"
                                f"{_cell(int(row) * array.shape[1] + int(column), array.shape[1], is_range)}")
        return array, np.zeros(array.shape, dtype=bool), is_range
    rows = _grid(value, name)
    flat = list(itertools.chain.from_iterable(rows))
    array = np.empty(len(flat))
    blank = np.zeros(len(flat), dtype=bool)
    for index, item in enumerate(flat):
        if _is_blank(item):
            blank[index] = True
            array[index] = np.nan
            continue
        try:
            array[index] = _number(item, name)
        except XhsInputError as error:
            raise XhsInputError(f"{error}{_cell(index, len(rows[0]), is_range)}") from None
    shape = (len(rows), len(rows[0]))
    return array.reshape(shape), blank.reshape(shape), is_range


def _cell(flat_index: int, width: int, is_range: bool) -> str:
    if not is_range:
        return ""
    row, column = divmod(flat_index, width)
    return f" in row {row + 1}" if width == 1 else f" in row {row + 1}, column {column + 1}"


_POSITION = re.compile(r" at position (\d+)(?:, (\d+))?\)")


def elementwise(
    compute: Callable[..., Any],
    arguments: Mapping[str, tuple[Any, Any]],
    text: Mapping[str, Any] | None = None,
) -> Any:
    """Call ``compute`` once on whole arrays and return an Excel-shaped result.

    ``arguments`` maps each numeric argument's name to ``(value as Excel passed it, default)``;
    ``text`` holds already-converted non-numeric arguments passed through unchanged. Ranges broadcast
    against single cells; the result has the ranges' shape, blank rows stay blank.
    """
    arrays: dict[str, np.ndarray] = {}
    blanks: dict[str, np.ndarray] = {}
    any_range = False
    for name, (value, default) in arguments.items():
        if is_single_cell(value):
            number = cell_number(value, name, default)
            arrays[name] = np.asarray(number, dtype=float)
            continue
        array, blank, is_range = number_range(value, name)
        arrays[name], blanks[name] = array, blank
        any_range = any_range or is_range
    if not any_range:
        with np.errstate(all="ignore"):  # a non-finite result is refused by the core with a message
            return _plain(compute(**{k: float(v) for k, v in arrays.items()}, **(text or {})))
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        sizes = ", ".join(f"{k} {a.shape[0]}×{a.shape[1]}" for k, a in arrays.items() if a.ndim == 2)
        raise XhsInputError(f"ranges must have the same size or be single cells ({sizes})") from None
    all_blank = np.ones(shape, dtype=bool)
    any_blank = np.zeros(shape, dtype=bool)
    for blank in blanks.values():
        all_blank &= np.broadcast_to(blank, shape)
        any_blank |= np.broadcast_to(blank, shape)
    partial = any_blank & ~all_blank
    if partial.any():
        row, column = np.argwhere(partial)[0]
        name = next(k for k, b in blanks.items() if np.broadcast_to(b, shape)[row, column])
        where = f"row {row + 1}" if shape[1] == 1 else f"row {row + 1}, column {column + 1}"
        raise XhsInputError(f"{name} is blank in {where} where the other ranges have values")
    keep = ~all_blank
    if keep.all():
        # the common case, a range without blank rows: no masking, straight back as Python floats
        try:
            with np.errstate(all="ignore"):
                values = np.asarray(compute(**arrays, **(text or {})))
        except XhsInputError as error:
            raise XhsInputError(_translate(str(error), None, shape)) from None
        values = np.broadcast_to(values, shape)
        with collector_paused():
            return values.astype(float).tolist() if values.dtype.kind in "fiu" else values.astype(object).tolist()
    positions = np.flatnonzero(keep.ravel())
    flat_args = {k: np.broadcast_to(a, shape)[keep] for k, a in arrays.items()}
    try:
        with np.errstate(all="ignore"):
            values = np.asarray(compute(**flat_args, **(text or {})))
    except XhsInputError as error:
        raise XhsInputError(_translate(str(error), positions, shape)) from None
    out = np.full(shape, None, dtype=object)
    out[keep] = [_plain(v) for v in np.broadcast_to(values, positions.shape)] if values.dtype.kind not in "fiu" \
        else np.broadcast_to(values.astype(float), positions.shape)
    return out.tolist()


def _plain(value: Any) -> Any:
    """A core result as a plain Python float or str, as Excel takes it."""
    if isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _translate(message: str, positions: np.ndarray | None, shape: tuple[int, ...]) -> str:
    """Rewrite the core's 'at position …' as the range's row (and column).

    The core counts 1-based positions in the array it was given: ``k`` in the flat array of non-blank
    cells (``positions`` maps it back to the range), or ``row, column`` in a whole 2-D range.
    """

    def where(row: int, column: int) -> str:
        return f") in row {row + 1}" if shape[1] == 1 else f") in row {row + 1}, column {column + 1}"

    def replace(match: re.Match[str]) -> str:
        first = int(match.group(1)) - 1
        if match.group(2) is not None:
            return where(first, int(match.group(2)) - 1)
        if positions is None or first >= positions.size:
            return match.group(0)
        return where(*divmod(int(positions[first]), shape[1]))

    return _POSITION.sub(replace, message)


def to_excel_table(rows: list[list[Any]]) -> list[list[Any]]:
    """A table for Excel: plain floats, strings, booleans and None; never NaN or numpy types."""
    clean: list[list[Any]] = []
    for row in rows:
        out = []
        for item in row:
            if isinstance(item, np.generic):
                item = item.item()
            if isinstance(item, float) and not np.isfinite(item):
                item = None
            out.append(item)
        clean.append(out)
    return clean

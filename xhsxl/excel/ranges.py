"""Ranges of Excel-shaped values in, Excel-shaped values out: the conversions every UDF shares.

Excel (through xlwings) passes numbers as ``float``, blank cells as ``None``, text as ``str``, booleans,
date cells as ``datetime`` and ranges as lists (a flat list for one row or column, a list of lists for a
block, always a list of lists with ``ndim=2``). The UDFs in :mod:`xhsxl.udfs` hand their arguments to
:func:`elementwise` or the single-cell readers here, call the core once on whole arrays, and return a
float, or a list of lists for a range, never NaN.

A range may end in blank rows (analysts select whole columns): a row blank in every range argument comes
back blank. A blank cell beside a filled one is an error naming the argument and the cell. One-column
ranges read side by side (a path table, a touch log) are cut to their filled rows by :func:`range_columns`.

The core reports a bad value by its position in the array it was given; :func:`elementwise` and
:func:`at_rows` place that error at the range's row and column through its fields
(:meth:`~xhsxl.core.errors.XhsInputError.located`), never by rewriting its text.
"""

from __future__ import annotations

import gc
import itertools
import operator
from typing import Any, Callable, Mapping, overload

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe
from xhsxl.excel.cells import blank_mask, coerce_number, is_blank

__all__ = [
    "REQUIRED", "cell_number", "cell_text", "cell_integer", "number_range", "elementwise", "to_excel_table",
    "is_single_cell", "collector_paused", "plain", "column_cells", "range_columns", "at_rows", "single_cell",
    "number_list", "without_blank_tail",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Marker for an argument without a default.
REQUIRED: Any = _Required()



def single_cell(value: Any, name: str) -> Any:
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
    return coerce_number(value, name)  # type: ignore[return-value]  # blanks are handled before


def _default_for_blank(name: str, default: Any) -> Any:
    """What a blank one-cell argument stands for: its default, or an error when it has none."""
    if default is REQUIRED:
        raise XhsInputError(argument=name, reason="is required (the cell is blank)")
    return default


# The overloads say what a blank turns into: no default, a number or a text default keep the result a number
# (or that text); a default of None makes it optional, so a caller must handle the blank.
@overload
def cell_number(value: Any, name: str) -> float: ...
@overload
def cell_number(value: Any, name: str, default: float) -> float: ...
@overload
def cell_number(value: Any, name: str, default: None) -> float | None: ...
@overload
def cell_number(value: Any, name: str, default: str) -> float | str: ...
def cell_number(value: Any, name: str, default: Any = REQUIRED) -> float | str | None:
    """A one-cell numeric argument as a float; a blank takes ``default`` or is reported as missing."""
    value = single_cell(value, name)
    return _default_for_blank(name, default) if is_blank(value) else _number(value, name)


@overload
def cell_integer(value: Any, name: str) -> int: ...
@overload
def cell_integer(value: Any, name: str, default: int) -> int: ...
@overload
def cell_integer(value: Any, name: str, default: None) -> int | None: ...
def cell_integer(value: Any, name: str, default: Any = REQUIRED) -> int | None:
    """A one-cell whole-number argument (a count of periods, an order)."""
    number = cell_number(value, name, default)
    if number is None:
        return None
    if not float(number).is_integer():
        raise XhsInputError(f"{name} must be a whole number (got {describe(number)})")
    return int(number)


@overload
def cell_text(value: Any, name: str) -> str: ...
@overload
def cell_text(value: Any, name: str, default: str) -> str: ...
@overload
def cell_text(value: Any, name: str, default: None) -> str | None: ...
def cell_text(value: Any, name: str, default: Any = REQUIRED) -> str | None:
    """A one-cell text argument (a basis, a stage, a curve name)."""
    value = single_cell(value, name)
    if is_blank(value):
        return _default_for_blank(name, default)
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


#: Cell types numpy may read without looking at each value: numbers as Python and numpy hold them (a bool,
#: though an int to Python, is its own type here and goes the careful path, which refuses it).
_PLAIN_NUMBERS = {float, int, np.float64, np.float32, np.int64, np.int32}


def _fast_numbers(value: list[Any] | tuple[Any, ...]) -> np.ndarray | None:
    """The range as a 2-D float array when it is a rectangle of numbers, else None (the careful path).

    Classic Excel passes every number as a ``float``, so a range of them is read and checked in one pass
    in C, at the cost of reading it at all: ``float.conjugate`` hands back a float as it is and raises
    TypeError for anything else (a bool, an int, text, a blank, a date), and ``itertools.starmap`` calls it
    with each row's cells as its arguments, so a one-column row of any other width raises too. xlwings Lite
    and Server pass a whole number as an ``int``: a range holding one is read after one scan of the cells'
    types. Whatever fails both goes the careful path, which reads every kind of cell and words the refusal;
    this path only ever accepts what that path would read as the same floats.
    """
    rows = len(value)
    if rows == 0:
        return None
    row_type = type(value[0])
    grid = row_type is list or row_type is tuple
    # the careful path refuses rows that are neither lists nor tuples, and ranges that mix them with cells
    if grid and operator.countOf(map(type, value), row_type) != rows:
        return None
    width = len(value[0]) if grid else 1
    if width == 0 or (width > 1 and operator.countOf(map(len, value), width) != rows):
        return None
    try:
        if not grid:
            return np.fromiter(map(float.conjugate, value), dtype=float, count=rows).reshape(rows, 1)
        if width == 1:  # a column, what a UDF's range most often is
            return np.fromiter(itertools.starmap(float.conjugate, value), dtype=float, count=rows).reshape(rows, 1)
        cells = map(float.conjugate, itertools.chain.from_iterable(value))
        return np.fromiter(cells, dtype=float, count=rows * width).reshape(rows, width)
    except TypeError:  # a cell that is not a float, or a row of another width
        pass
    if grid and width == 1 and operator.countOf(map(len, value), 1) != rows:
        return None
    if not set(map(type, itertools.chain.from_iterable(value) if grid else value)) <= _PLAIN_NUMBERS:
        return None
    try:
        numbers = itertools.chain.from_iterable(value) if grid else iter(value)
        return np.fromiter(numbers, dtype=float, count=rows * width).reshape(rows, width)
    except OverflowError:  # a whole number beyond any float: the careful path says so
        return None


class collector_paused:
    """Pause the cyclic garbage collector while millions of small lists are made or read (``with collector_paused():``).

    Creating a list per row triggers a collection every few hundred allocations, and each one walks all
    the rows made so far: with it paused a 1,000,000-row column converts about three times faster.
    Nothing made here holds a reference cycle, so nothing is left for the collector to find.

    A class rather than a generator-based context manager: leaving a generator allocates (its StopIteration),
    and the first allocation after the collector is back on starts a collection that walks every list just
    made — tens of milliseconds for a million rows, inside the call. Leaving this one allocates nothing, so
    that collection happens in the caller, as it does after any code that builds the same lists.
    """

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exception: object) -> None:
        if self._was_enabled:
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
        finite = np.isfinite(array)
        if not finite.all():
            row, column = np.argwhere(~finite)[0]
            error = XhsInputError(argument=name, reason="must be a finite number", value=array[row, column])
            raise _at_cell(error, int(row) * array.shape[1] + int(column), array.shape[1], is_range)
        return array, np.zeros(array.shape, dtype=bool), is_range
    return _careful_numbers(value, name, is_range)


def _careful_numbers(value: Any, name: str, is_range: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`number_range` cell by cell: blanks, text numbers, booleans and dates each read or refused."""
    rows = _grid(value, name)
    flat = list(itertools.chain.from_iterable(rows))
    array = np.empty(len(flat))
    blank = np.zeros(len(flat), dtype=bool)
    for index, item in enumerate(flat):
        if is_blank(item):
            blank[index] = True
            array[index] = np.nan
            continue
        try:
            array[index] = _number(item, name)
        except XhsInputError as error:
            raise _at_cell(error, index, len(rows[0]), is_range) from None
    shape = (len(rows), len(rows[0]))
    return array.reshape(shape), blank.reshape(shape), is_range


@overload
def number_list(value: Any, name: str, size: int | None = None) -> np.ndarray: ...
@overload
def number_list(value: Any, name: str, size: int | None = None, *, default: None) -> np.ndarray | None: ...
def number_list(value: Any, name: str, size: int | None = None, default: Any = REQUIRED) -> np.ndarray | None:
    """A short list argument (one row or one column of a range) as a 1-D array."""
    if value is None and default is not REQUIRED:
        return default
    array, blank, _ = number_range(value, name)
    if array.shape[0] != 1 and array.shape[1] != 1:
        raise XhsInputError(f"{name} must be one row or one column (got {array.shape[0]}×{array.shape[1]})")
    if blank.any():
        raise XhsInputError(f"{name} has a blank cell; enter 0 where a value does not apply")
    flat = array.ravel()
    if size is not None and flat.size != size:
        raise XhsInputError(f"{name} must have {size} cells (got {flat.size})")
    return flat


def _at_cell(error: XhsInputError, flat_index: int, width: int, is_range: bool) -> XhsInputError:
    """The error placed at its cell of the range (row, and column when the range is wider than one)."""
    if not is_range:
        return error
    row, column = divmod(flat_index, width)
    return error.located(row + 1, column + 1 if width > 1 else None)


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
            return plain(compute(**{k: float(v) for k, v in arrays.items()}, **(text or {})))
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        sizes = ", ".join(f"{k} {a.shape[0]}×{a.shape[1]}" for k, a in arrays.items() if a.ndim == 2)
        raise XhsInputError(f"ranges must have the same size or be single cells ({sizes})") from None
    if any(blank.any() for blank in blanks.values()):
        keep = _kept_cells(blanks, shape)
    else:
        keep = None  # the common case, ranges without a blank cell: nothing to mask
    if keep is None or keep.all():
        # no blank rows: straight back as Python floats
        try:
            with np.errstate(all="ignore"):
                values = np.asarray(compute(**arrays, **(text or {})))
        except XhsInputError as error:
            raise _in_range(error, None, shape) from None
        values = np.broadcast_to(values, shape)
        # float64 (what the core returns) goes as it is: a copy of a million values costs a millisecond
        values = values.astype(float, copy=False) if values.dtype.kind in "fiu" else values.astype(object)
        with collector_paused():
            return values.tolist()
    positions = np.flatnonzero(keep.ravel())
    flat_args = {k: np.broadcast_to(a, shape)[keep] for k, a in arrays.items()}
    try:
        with np.errstate(all="ignore"):
            values = np.asarray(compute(**flat_args, **(text or {})))
    except XhsInputError as error:
        raise _in_range(error, positions, shape) from None
    out = np.full(shape, None, dtype=object)
    out[keep] = [plain(v) for v in np.broadcast_to(values, positions.shape)] if values.dtype.kind not in "fiu" \
        else np.broadcast_to(values.astype(float), positions.shape)
    return out.tolist()


def _kept_cells(blanks: Mapping[str, np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """The cells to compute: not blank in every range; a cell blank in some ranges only is refused."""
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
    return ~all_blank


def plain(value: Any) -> Any:
    """A core result as a plain Python float or str, as Excel takes it."""
    if isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _in_range(error: XhsInputError, positions: np.ndarray | None, shape: tuple[int, ...]) -> XhsInputError:
    """The core's error placed at the range's row (and column) its position came from.

    The core counts 1-based positions in the array it was given: ``k`` in the flat array of non-blank
    cells (``positions`` maps it back to the range), or ``row, column`` in a whole 2-D range.
    """
    if error.position is None:
        return error
    if len(error.position) == 2:
        row, column = error.position[0] - 1, error.position[1] - 1
    else:
        first = error.position[0] - 1
        if positions is None or first >= positions.size:
            return error
        row, column = divmod(int(positions[first]), shape[1])
    return error.located(row + 1, column + 1 if shape[1] > 1 else None)


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


# ----------------------------------------------------------------------------------------------- columns
def column_cells(value: Any, name: str) -> list[Any]:
    """A one-column (or one-row) range as a flat list of cells (C-level passes: ranges can be a million rows)."""
    if not isinstance(value, (list, tuple)):
        return [value]
    if len(value) == 0:
        raise XhsInputError(f"{name} must not be an empty range")
    kinds = set(map(type, value))
    if kinds <= {list, tuple}:
        if len(value) == 1:
            if len(value[0]) == 0:
                raise XhsInputError(f"{name} must not be an empty range")
            return list(value[0])
        widths = set(map(len, value))
        if widths != {1}:
            raise XhsInputError(f"{name} must be one column (got {len(value)} rows × {max(widths)} columns)")
        return list(map(operator.itemgetter(0), value))
    if kinds & {list, tuple}:
        raise XhsInputError(f"{name} must be one column (it mixes cells and rows)")
    return list(value)


def _after_last_filled(cells: list[Any]) -> int:
    """The position after the last cell that is not None (0 when all are)."""
    return next((index + 1 for index in range(len(cells) - 1, -1, -1) if cells[index] is not None), 0)


def range_columns(ranges: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...] = (),
                  may_be_blank: tuple[str, ...] = ()) -> tuple[dict[str, list[Any]], list[int]]:
    """Same-sized one-column ranges (None: not given) as columns, with the indices of the rows holding data.

    A ``required`` range must not be blank; the first range sets the size the others must have; the blank
    tail of a whole-column selection is cut before any cell is looked at; an ``optional`` column blank
    throughout counts as not given; a row blank in every column is skipped, and one blank in some column
    (other than ``may_be_blank``) where another has a value is refused, naming the row (1 = the first)."""
    for name in required:
        if is_blank(ranges[name]):
            raise XhsInputError(f"{name} is required (the cell is blank)")
    columns = {name: column_cells(value, name) for name, value in ranges.items() if value is not None}
    first = next(iter(columns))
    n_rows = len(columns[first])
    for name, cells in columns.items():
        if len(cells) != n_rows:
            raise XhsInputError(f"{name} has {len(cells)} rows but {first} has {n_rows}; "
                                "select ranges of the same size")
    # A whole-column selection is a million rows, nearly all None: cut the tail before looking at each cell.
    end = max(_after_last_filled(cells) for cells in columns.values())
    columns = {name: cells[:end] if end < len(cells) else cells for name, cells in columns.items()}
    # Which cells are blank, column by column in C (a touch log is a million rows), then the rows as arrays.
    blank = {name: blank_mask(cells) for name, cells in columns.items()}
    for name in optional:
        if name in columns and blank[name].all():
            del columns[name], blank[name]
    all_blank = np.logical_and.reduce([blank[name] for name in columns])
    checked = [blank[name] for name in columns if name not in may_be_blank]
    partial = np.logical_or.reduce(checked) & ~all_blank if checked else np.zeros(end, dtype=bool)
    if partial.any():
        index = int(np.argmax(partial))  # the first such row, as a reader going down the range finds it
        missing = next(name for name in columns if blank[name][index] and name not in may_be_blank)
        filled = next(name for name in columns if not blank[name][index])
        raise XhsInputError(f"{missing} is blank in row {index + 1} where {filled} has a value")
    return columns, np.flatnonzero(~all_blank).tolist()


def at_rows(error: XhsInputError, rows: Any) -> XhsInputError:
    """The core's error about the k-th item it was given, placed at ``rows[k - 1]``: the row of the range or
    file that item came from. An error without a one-dimensional position is returned as it is."""
    if error.position is None or len(error.position) != 1 or not 0 < error.position[0] <= len(rows):
        return error
    return error.located(int(rows[error.position[0] - 1]))


def without_blank_tail(value: Any) -> Any:
    """A range without the rows after its last filled one: a whole-column selection (``A:C``) is a million
    rows of ``None``, which nothing should hold, hash or walk. Anything but a list of rows is returned as is.

    >>> without_blank_tail([["line", "amount"], ["mid", 5.0], [None, None], [None, None]])
    [['line', 'amount'], ['mid', 5.0]]
    """
    if not isinstance(value, (list, tuple)) or not value:
        return value
    last = value[-1]
    blank: Any = [None] * len(last) if isinstance(last, list) else (None,) * len(last) if isinstance(last, tuple) \
        else None
    end = len(value)
    while end > 1 and value[end - 1] == blank:  # one C-level comparison per row
        end -= 1
    return value if end == len(value) else list(value[:end])

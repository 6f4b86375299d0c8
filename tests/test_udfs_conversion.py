"""Excel-shaped ranges to arrays: the fast path for float ranges never changes what the careful path decides.

:func:`xhsxl.excel.ranges.number_range` reads a range of floats in one pass in C and sends anything else —
blanks, text, booleans, whole numbers, ragged or mixed shapes — cell by cell through the careful path. These
tests pin that the two agree on every Excel-shaped input: the same array and blank mask, or the same refusal
with the same message.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhsxl import udfs
from xhsxl.core.errors import XhsInputError
from xhsxl.excel import ranges
from xhsxl.excel.cells import is_blank

#: Mostly floats (what Excel passes for numbers, nan and inf included), with every other kind of cell.
float_cell = st.floats(allow_nan=True, allow_infinity=True)
odd_cell = st.one_of(
    st.none(), st.just(""), st.just("  "), st.booleans(), st.integers(-10, 10), st.integers(2 ** 1023, 2 ** 1100),
    st.sampled_from(["1.5", "1,200", "30%", "¥1,680,000", "168万", "abc", "nan", "inf", "1,5", "(5,000)", "-"]),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
cell = st.one_of(float_cell, float_cell, float_cell, odd_cell)


@st.composite
def excel_shaped(draw: Any) -> Any:
    """A scalar, a flat list, a rectangular or ragged list of rows (lists or tuples), or a mix of cells and rows."""
    kind = draw(st.sampled_from(["scalar", "flat", "grid", "grid", "ragged", "mixed", "empty"]))
    if kind == "scalar":
        return draw(cell)
    if kind == "empty":
        return draw(st.sampled_from([[], [[]], [[], []], ()]))
    if kind == "flat":
        return draw(st.lists(cell, min_size=1, max_size=6))
    if kind == "mixed":
        return draw(st.lists(st.one_of(cell, st.lists(cell, min_size=1, max_size=2)), min_size=2, max_size=5))
    width = draw(st.integers(1, 3))
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=6))
    if kind == "ragged":
        index = draw(st.integers(0, len(rows) - 1))
        rows[index] = rows[index] + [1.0] if draw(st.booleans()) else rows[index][:-1]
    if draw(st.booleans()):
        rows = [tuple(row) for row in rows] if draw(st.booleans()) else tuple(rows)
    return rows


def _outcome(read: Any, value: Any) -> Any:
    """What a reader decides for ``value``: its arrays, or the text of its refusal."""
    try:
        array, blank, is_range = read(value)
    except XhsInputError as error:
        return ("refused", str(error))
    return ("read", array.shape, array.tobytes(), blank.tobytes(), is_range)


def _careful(value: Any) -> Any:
    return ranges._careful_numbers(value, "revenue", not ranges.is_single_cell(value))


@settings(max_examples=400, deadline=None)
@given(excel_shaped())
def test_fast_and_careful_paths_give_the_same_arrays_or_the_same_refusal(value):
    assert _outcome(lambda v: ranges.number_range(v, "revenue"), value) == _outcome(_careful, value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(float_cell, min_size=1, max_size=3).map(tuple), min_size=1, max_size=6).filter(
    lambda rows: len({len(row) for row in rows}) == 1))
def test_ranges_of_floats_take_the_fast_path_with_the_careful_paths_result(rows):
    grid = [list(row) for row in rows]
    assert ranges._fast_numbers(grid) is not None
    assert _outcome(lambda v: ranges.number_range(v, "revenue"), grid) == _outcome(_careful, grid)


@pytest.mark.parametrize("value", [
    [[1.0], [True]], [[1], [True]], [[1.0], [None]], [[1.0], ["2"]], [1.0, [2.0]], [[1.0], 2.0], [[1.0], [2.0, 3.0]],
    [[1.0], []], [[1], []], [[1.0, 2.0], [3.0]], [[1.0], (2.0,)], [[1.0], np.array([2.0])], [[1.0], {2.0: "x"}],
    [[1.0], [dt.datetime(2024, 5, 1)]], [[1.0], [2 ** 1100]], [], [[]],
], ids=repr)
def test_the_fast_path_declines_anything_but_a_rectangle_of_numbers(value):
    assert ranges._fast_numbers(value) is None


@pytest.mark.parametrize("value", [[[450_000], [680_000.5]], [[1, 2], [3.5, 4]], [2, 3.5], [[np.float32(1.5)]]],
                         ids=repr)
def test_whole_numbers_as_xlwings_lite_passes_them_take_the_fast_path_with_the_careful_paths_result(value):
    assert ranges._fast_numbers(value) is not None
    assert _outcome(lambda v: ranges.number_range(v, "revenue"), value) == _outcome(_careful, value)


def test_the_fast_path_reads_columns_rows_blocks_and_flat_lists_exactly():
    assert ranges._fast_numbers([[0.1], [2.5]]).tolist() == [[0.1], [2.5]]
    assert ranges._fast_numbers([[0.1, 2.5, -3.0]]).tolist() == [[0.1, 2.5, -3.0]]
    assert ranges._fast_numbers(([0.1, 2.5], [1e308, -0.0])).tolist() == [[0.1, 2.5], [1e308, -0.0]]
    assert ranges._fast_numbers([0.1, 2.5]).tolist() == [[0.1], [2.5]]
    assert ranges._fast_numbers([[np.float64(0.1)]]).tolist() == [[0.1]]


def test_a_non_finite_float_in_a_range_is_refused_at_its_row_and_column():
    with pytest.raises(XhsInputError, match=r"^revenue must be a finite number \(got nan\) in row 2, column 2$"):
        ranges.number_range([[1.0, 2.0], [3.0, math.nan]], "revenue")
    with pytest.raises(XhsInputError, match=r"^cost must be a finite number \(got inf\) in row 3$"):
        udfs.XHS_ROI([[1.0], [2.0], [3.0]], [[1.0], [2.0], [math.inf]])


def test_roi_over_a_float_column_returns_a_column_of_plain_floats():
    revenue, cost = [[1_680_000.0], [4_920_000.0]], [[450_000.0], [680_000.0]]
    result = udfs.XHS_ROI(revenue, cost)
    assert [[type(v) for v in row] for row in result] == [[float], [float]]
    assert result == [[(1_680_000.0 - 450_000.0) / 450_000.0], [(4_920_000.0 - 680_000.0) / 680_000.0]]


def test_the_collector_is_back_on_after_a_conversion_and_stays_off_when_it_was_off():
    import gc

    revenue = [[float(v)] for v in range(1, 2001)]
    udfs.XHS_ROI(revenue, revenue)
    assert gc.isenabled()
    gc.disable()
    try:
        udfs.XHS_ROI(revenue, revenue)
        assert not gc.isenabled()
    finally:
        gc.enable()


def _range_columns_row_by_row(ranges_: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...],
                              may_be_blank: tuple[str, ...]) -> tuple[dict[str, list[Any]], list[int]]:
    """The rule :func:`ranges.range_columns` implements, read one row at a time: the reference it must equal."""
    for name in required:
        if is_blank(ranges_[name]):
            raise XhsInputError(f"{name} is required (the cell is blank)")
    columns = {name: ranges.column_cells(value, name) for name, value in ranges_.items() if value is not None}
    first = next(iter(columns))
    for name, cells in columns.items():
        if len(cells) != len(columns[first]):
            raise XhsInputError(f"{name} has {len(cells)} rows but {first} has {len(columns[first])}; "
                                "select ranges of the same size")
    end = max((index + 1 for cells in columns.values() for index, cell in enumerate(cells) if cell is not None),
              default=0)
    columns = {name: cells[:end] for name, cells in columns.items()}
    blank = {name: [is_blank(cell) for cell in cells] for name, cells in columns.items()}
    for name in optional:
        if name in columns and all(blank[name]):
            del columns[name], blank[name]
    kept = []
    for index in range(end):
        if all(blank[name][index] for name in columns):
            continue
        missing = next((name for name in columns if blank[name][index] and name not in may_be_blank), None)
        if missing:
            filled = next(name for name in columns if not blank[name][index])
            raise XhsInputError(f"{missing} is blank in row {index + 1} where {filled} has a value")
        kept.append(index)
    return columns, kept


column_cell = st.one_of(st.none(), st.none(), st.just(""), st.just(" "), st.floats(allow_nan=False),
                        st.sampled_from(["kol_mid > tmall", "x", "0"]))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 8).flatmap(lambda rows: st.tuples(
    st.lists(st.lists(column_cell, min_size=rows, max_size=rows), min_size=2, max_size=4),
    st.booleans(), st.booleans())))
def test_range_columns_keeps_the_rows_and_refuses_the_row_that_a_row_by_row_reading_does(drawn):
    cells, last_optional, last_may_be_blank = drawn
    names = [f"c{index}" for index in range(len(cells))]
    given_ranges = {name: [[cell] for cell in column] for name, column in zip(names, cells)}
    optional = (names[-1],) if last_optional else ()
    may_be_blank = (names[-1],) if last_may_be_blank else ()
    arguments = (given_ranges, (names[0],), optional, may_be_blank)

    def outcome(read: Any) -> Any:
        try:
            return read(*arguments)
        except XhsInputError as error:
            return str(error)

    assert outcome(ranges.range_columns) == outcome(_range_columns_row_by_row)

"""Live and static must agree: compare a static workbook's values with the recalculated live formulas.

A client without Python receives the static workbook: native formulas in place of the ``XHS_`` ones that
have a closed form, values for the rest. What it shows is computed in Python (the native formulas evaluated,
the values as written); the live workbook's come from Excel (or, here, the ``formulas`` engine). This module lists every cell where the two differ, so neither can drift. The cells
compared are the results the sheets of the registry declare as computed by ``XHS_`` functions, found in the
workbook by their defined names.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.formula import ArrayFormula

from xhsxl.excel.cells import same_value
from xhsxl.schema import ClientCampaign
from xhsxl.workbook import sheets
from xhsxl.workbook.formula import calls_xhs
from xhsxl.workbook.read import named_places
from xhsxl.workbook.template import build_workbook, static_shown_values

__all__ = ["xhs_cells", "result_cells", "same_value", "static_mismatches"]


def result_cells(workbook: Workbook) -> Iterator[tuple[str, str, bool]]:
    """(sheet, cell, part of a table) of every result the registry's sheets declare as computed by an ``XHS_``
    function — each such cell, each cell of each table — where ``workbook``'s defined names put it."""
    places = named_places(workbook)
    for sheet in sheets.SHEETS:
        computed = [(item.name, False) for item in sheet.cells if calls_xhs(item.expr)]
        computed += [(table.name, True) for table in sheet.tables if calls_xhs(table.expr)]
        for name, in_table in computed:
            title, first_row, first_column, rows, columns = places[name]
            for r in range(first_row, first_row + rows):
                for c in range(first_column, first_column + columns):
                    yield title, f"{get_column_letter(c)}{r}", in_table


def xhs_cells(workbook: Workbook) -> Iterator[tuple[str, str, bool]]:
    """(sheet, cell, part of an array formula) of every cell whose formula calls an ``XHS_`` function, each
    cell of an array formula: found by reading every formula, whatever the sheets declare."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula) and "XHS_" in (value.text or ""):
                    low_col, low_row, high_col, high_row = range_boundaries(value.ref)
                    for r in range(low_row, high_row + 1):
                        for c in range(low_col, high_col + 1):
                            yield ws.title, ws.cell(r, c).coordinate, True
                elif isinstance(value, str) and value.startswith("=") and "XHS_" in value:
                    yield ws.title, cell.coordinate, False


def static_mismatches(campaign: ClientCampaign, recalculation: Any, rel: float = 1e-9,
                      sheet_values: Mapping[str, Any] | None = None) -> list[str]:
    """Cells where ``campaign``'s static workbook (with ``sheet_values``, what the analyst typed outside the
    schema) differs from ``recalculation`` of its live workbook."""
    live = build_workbook(campaign, static=False, sheet_values=sheet_values)
    static = build_workbook(campaign, static=True, sheet_values=sheet_values)
    # A native formula of the copy shows its value only once opened: compare what it computes.
    computed = static_shown_values(campaign, sheet_values)
    problems = []
    for sheet, cell, in_array in result_cells(live):
        expected = recalculation.value(sheet, cell)
        shown = computed[(sheet, cell)] if (sheet, cell) in computed else static[sheet][cell].value
        if in_array and shown is None and isinstance(expected, str) and expected.startswith("#"):
            # An array range larger than its result: Excel pads it with #N/A; a refused table shows its error in
            # every cell. Static leaves those cells blank (the error's message is in the table's first cell).
            continue
        if isinstance(shown, str) and shown.startswith("Error: ") and isinstance(expected, str) \
                and expected.startswith("#"):
            continue  # a refusal: the live cell shows the error, the static copy its message (see _shown)
        if not same_value(shown, expected, rel):
            problems.append(f"{sheet}!{cell}: static {shown!r}, live {expected!r}")
    return problems

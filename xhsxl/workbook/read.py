"""Read a client's inputs back out of an xhsxl workbook, by the defined name of each input cell.

A workbook an analyst has edited by hand can hold anything in a yellow cell: text in a number field, 30
for 30 %, a date, a deleted name. Each problem comes back with its sheet, cell, label and reason; the
reader never crashes on a cell's content and never guesses.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from pydantic import ValidationError

from xhsxl.core.errors import XhsInputError
from xhsxl.excel.campaign import campaign_cells
from xhsxl.excel.cells import same_value, worksheet_value
from xhsxl.excel.errors import InputFileError
from xhsxl.schema import FIELDS, FIELDS_BY_KEY, ClientCampaign, validation_problems
from xhsxl.workbook.clients import check_xlsx_archive
from xhsxl.workbook.sheets import input_blocks
from xhsxl.workbook.sheets.inputs import SOURCE_BLOCK, typed_name, uses_platform_data

__all__ = ["CellProblem", "WorkbookInputs", "read_inputs", "named_places", "input_cell", "input_places"]


@dataclass(frozen=True)
class CellProblem:
    """One bad input cell (or, with an empty ``cell``, a problem of the campaign as a whole)."""

    key: str
    label: str
    sheet: str
    cell: str
    value: Any
    reason: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell} ({self.label})" if self.cell else self.label
        # A reason from the number reader quotes the value already ("(got 'lots')"): it is not said twice.
        quoted = self.value is None or "(got " in self.reason
        return f"{where}: {self.reason}" + ("" if quoted else f" (found {self.value!r})")


@dataclass(frozen=True)
class WorkbookInputs:
    """The raw input values by field key, the validated campaign (None if any problem) and the problems;
    and what the analyst typed in the yellow cells outside the schema (tables, overrides), by input key,
    with what could not be carried from them (a block renamed away or resized)."""

    path: Path
    values: dict[str, Any]
    campaign: ClientCampaign | None
    problems: list[CellProblem]
    sheet_values: dict[str, Any] = field(default_factory=dict)
    sheet_problems: list[CellProblem] = field(default_factory=list)


def named_places(workbook: Any) -> dict[str, tuple[str, int, int, int, int]]:
    """Every single-destination defined name → (sheet, first row, first column, rows, columns)."""
    places = {}
    for name, defined in workbook.defined_names.items():
        destinations = list(defined.destinations)
        if len(destinations) != 1:
            continue
        sheet, ref = destinations[0]
        low_col, low_row, high_col, high_row = range_boundaries(ref.replace("$", ""))
        if None in (low_col, low_row, high_col, high_row):  # a whole column or row (Inputs!$A:$A): no input cell
            continue
        places[name] = (sheet, low_row, low_col, high_row - low_row + 1, high_col - low_col + 1)
    return places


def _named_cell(workbook: Any, key: str) -> tuple[str, str] | None:
    name = workbook.defined_names.get(key)
    if name is None:
        return None
    destinations = list(name.destinations)
    if len(destinations) != 1:
        return None
    sheet, ref = destinations[0]
    if sheet not in workbook.sheetnames or ":" in ref:
        return None
    return sheet, ref.replace("$", "")


def input_places(workbook: Any) -> dict[str, tuple[str, int, int, int, int]]:
    """Every schema field's place where the analyst types it (see :func:`input_cell`), as
    :func:`named_places` gives places; a field with neither name is left out."""
    places = named_places(workbook)
    found = {f.key: places.get(typed_name(f.key)) or places.get(f.key) for f in FIELDS}
    return {key: place for key, place in found.items() if place is not None}


def input_cell(workbook: Any, key: str) -> tuple[str, str] | None:
    """(sheet, cell) where the analyst types field ``key``: a platform-fed field's typed cell, which has a name
    of its own (the field's name is on the value in use), else the field's named cell; None when neither is a
    single cell of the workbook."""
    return _named_cell(workbook, typed_name(key)) or _named_cell(workbook, key)


def read_inputs(path: Path | str) -> WorkbookInputs:
    """The inputs of the xhsxl workbook at ``path``.

    Raises :class:`~xhsxl.excel.errors.InputFileError` when the file is not a readable workbook or
    has none of the named input cells (not an xhsxl workbook).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    # Check and load the same bytes, so the file cannot change between the zip-bomb check and the load.
    check_xlsx_archive(path, data)
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file; all mean "cannot read"
        raise InputFileError(f"{path}: not a readable .xlsx workbook ({error})") from None
    values: dict[str, Any] = {}
    places: dict[str, tuple[str, str]] = {}
    problems: list[CellProblem] = []
    for f in FIELDS:
        place = input_cell(workbook, f.key)
        if place is None:
            problems.append(CellProblem(f.key, f.label_en, "", "", None,
                                        f"the named cell {f.key!r} is missing or no longer a single cell"))
            continue
        places[f.key] = place
        sheet, cell = place
        value = workbook[sheet][cell].value
        values[f.key] = value.strip() if isinstance(value, str) and f.is_numeric else value
    if not places:
        raise InputFileError(f"{path}: no named input cells; this is not an xhsxl workbook")
    sheet_values, sheet_problems = _sheet_values(workbook)
    if uses_platform_data(sheet_values.get(SOURCE_BLOCK.name)):
        problem = _platform_values(workbook, sheet_values, values, places)
        if problem is not None:
            problems.append(problem)
    problems += _typed_over(workbook, values)
    campaign = None
    checked, refused = campaign_cells(values)
    try:
        campaign = ClientCampaign.model_validate(checked)
        invalid: list[tuple[str, Any, str]] = []
    except ValidationError as error:
        invalid = validation_problems(error)
    # a cell that did not read is reported with the reader's reason (and hint), in field order
    invalid = [item for item in invalid if item[0] not in refused] + [
        (key, values.get(key), str(error)) for key, error in refused.items()]
    order = {f.key: index for index, f in enumerate(FIELDS)}
    for key, value, reason in sorted(invalid, key=lambda item: order.get(item[0], len(order))):
        field = FIELDS_BY_KEY.get(key)
        sheet, cell = places.get(key, ("", ""))
        problems.append(CellProblem(key, field.label_en if field else "campaign", sheet, cell, value, reason))
    if problems:
        campaign = None
    return WorkbookInputs(path, values, campaign, problems, sheet_values, sheet_problems)


def _typed_over(workbook: Any, values: dict[str, Any]) -> list[CellProblem]:
    """A platform-fed field's value cell (a locked formula) that holds something else than the value it would
    compute: typed over after the sheet's protection was lifted. The workbook then computes with that, the
    reader with the typed cell (or the export), so it is reported rather than either guessed. A cell saved
    without a computed value (openpyxl) or holding an error reads None or ``#...`` and is not judged; one saved
    by Excel or LibreOffice over a blank typed cell holds 0, as the formula computes."""
    problems = []
    for f in FIELDS:
        typed = _named_cell(workbook, typed_name(f.key))
        if typed is None or (place := _named_cell(workbook, f.key)) is None:
            continue
        sheet, cell = place
        shown = workbook[sheet][cell].value
        if shown is None or (isinstance(shown, str) and shown.startswith("#")):
            continue
        expected = values.get(f.key)
        # The formula shows a blank typed cell as 0, as any reference to an empty cell is.
        if not same_value(shown, 0.0 if expected is None else expected):
            typed_sheet, typed_cell = typed
            problems.append(CellProblem(f.key, f.label_en, sheet, cell, shown,
                                        f"the value in use was typed over (it is a formula over the Typed cell "
                                        f"{typed_cell}); type the value in {typed_sheet}!{typed_cell} instead"))
    return problems


def _platform_values(workbook: Any, sheet_values: dict[str, Any], values: dict[str, Any],
                     places: dict[str, tuple[str, str]]) -> CellProblem | None:
    """With the switch on platform data: the values the Inputs sheet's formulas take from the pasted exports,
    put in place of the typed ones (the same reader and mapping as the sheet's XHS_PLATFORM_MAP), so the
    campaign read is the one the workbook computes. A paste that does not read is one problem, never the typed
    numbers in its place. Each value taken is placed at the cell that shows it, and the typed value it stands
    in for is kept in ``sheet_values`` under the typed cell's name (:func:`typed_name`)."""
    from xhsxl.platforms.mapping import pasted_campaign, read_window
    from xhsxl.platforms.read import pasted_exports
    from xhsxl.workbook.sheets.platform_data import EXPORT2_BLOCK, EXPORT_BLOCK, SHEET, WINDOW_BLOCK

    def pasted(block: Any) -> list[list[Any]]:
        return [[sheet_values.get(block.key(r, c)) for c in range(block.columns)] for r in range(block.rows)]

    rows = pasted(EXPORT_BLOCK)
    if all(cell is None or cell == "" for row in rows for cell in row):
        return None  # nothing pasted: the sheet's formulas keep the typed values too
    try:
        window = read_window(sheet_values.get(WINDOW_BLOCK.name))
        campaign = pasted_campaign(pasted_exports(rows, pasted(EXPORT2_BLOCK)), window)
    except (InputFileError, XhsInputError) as error:
        return CellProblem(EXPORT_BLOCK.name, "Platform data", SHEET.name, "", None,
                           f"the switch says platform data, and the pasted export does not read: {error}")
    for key, value in campaign.values.items():
        if key in values:
            # What was typed stays with the workbook's other typed cells: a copy made from it keeps it.
            sheet_values[typed_name(key)] = values[key]
            values[key] = value
            place = _named_cell(workbook, key)
            if place is not None:
                places[key] = place
    return None


def _sheet_values(workbook: Any) -> tuple[dict[str, Any], list[CellProblem]]:
    """The yellow cells outside the schema, found through the defined name of their block.

    A block the analyst shrank (rows deleted) reads blank beyond its end, as the live formulas see it; a
    block that grew or lost its name is reported, since its cells cannot all be carried.
    """
    places = named_places(workbook)
    values: dict[str, Any] = {}
    problems: list[CellProblem] = []
    for block in input_blocks():
        rows, columns = block.rows, block.columns
        place = places.get(block.name)
        if place is None or place[0] not in workbook.sheetnames:
            problems.append(CellProblem(block.name, block.name, "", "", None, "the named range is missing; the "
                                                                              "worked example is used in its place"))
            continue
        sheet, first_row, first_column, found_rows, found_columns = place
        if found_rows > rows or found_columns > columns:
            problems.append(CellProblem(
                block.name, block.name, sheet, "", None,
                f"the range grew to {found_rows} x {found_columns} cells; only the template's {rows} x {columns} "
                "are carried (resize it back, or keep the live workbook)"))
        ws = workbook[sheet]
        for key, row, column in block.cells():
            inside = row < found_rows and column < found_columns
            values[key] = worksheet_value(ws.cell(first_row + row, first_column + column).value) if inside else None
    return values, problems

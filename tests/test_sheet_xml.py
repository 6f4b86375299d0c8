"""A worksheet re-serialised cell by cell gives exactly openpyxl's own XML of the sheet, whatever changed."""

import math
from copy import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from xhsxl.workbook.sheet_xml import SheetXml, worksheet_xml

texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12) | st.sampled_from(
    [" leading", "trailing ", "a & b < c > d", '"quoted"', "成长期 冷启动", "=SUM(A1:A2)", "'=not a formula", ""])
numbers = (st.floats(allow_nan=False, allow_infinity=False) | st.integers(-10**15, 10**15)
           | st.sampled_from([0.0, -0.0, 1e-300, 1.7976931348623157e308, 0.1 + 0.2]))
values = st.none() | numbers | texts | st.booleans() | st.sampled_from([math.inf, -math.inf, math.nan])
places = st.tuples(st.integers(1, 6), st.integers(1, 4))
changes = st.lists(st.tuples(places, values, st.sampled_from(["keep", "bold", "plain", "comment", "number format"])),
                   max_size=12)


def sheet():
    wb = Workbook()
    ws = wb.active
    for row in range(1, 6):
        ws.cell(row, 1, f"label {row}").font = Font(bold=True)
        ws.cell(row, 2, row * 1.5).number_format = "0.0%"
        ws.cell(row, 3, f"=B{row}*2")
    ws.cell(2, 4).comment = Comment("help", "xhsxl")
    ws.row_dimensions[7].height = 30  # a styled empty row
    ws.add_data_validation(DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", sqref="B1:B5"))
    ws.protection.sheet = True
    return ws


def apply(ws, change):
    (row, column), value, style = change
    cell = ws.cell(row, column)
    cell.value = value
    if style != "keep" and cell._style is not None:
        # openpyxl restyles a cell by changing its style array in place; once saved, that array is also the
        # workbook's key for the style, so other cells sharing it would be renumbered (in openpyxl's own
        # output too). A fresh array first keeps the comparison about this class, not that quirk.
        cell._style = copy(cell._style)
    if style == "bold":
        cell.font = Font(bold=True)
    elif style == "plain":
        cell.font = Font()
    elif style == "comment":
        cell.comment = None if cell.comment else Comment("note", "xhsxl")
    elif style == "number format":
        cell.number_format = "#,##0"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(changes, min_size=1, max_size=4))
def test_pieces_put_together_equal_a_full_write_after_any_changes(rounds):
    ws = sheet()
    pieces = SheetXml(ws)
    assert pieces.xml() == worksheet_xml(ws)
    for round_ in rounds:
        for change in round_:
            apply(ws, change)
        assert pieces.xml() == worksheet_xml(ws)


def test_only_changed_cells_are_serialised_again(monkeypatch):
    from xhsxl.workbook import sheet_xml

    ws = sheet()
    pieces = SheetXml(ws)
    written = []
    original = sheet_xml._cell_xml
    monkeypatch.setattr(sheet_xml, "_cell_xml", lambda ws, cell: written.append(cell.coordinate) or original(ws, cell))
    ws["B2"] = 42.0  # a number for a number: the digits are put in openpyxl's piece, no cell writer needed
    ws["A3"] = "new label"
    assert pieces.xml() == worksheet_xml(ws)
    assert written == ["A3"]


def test_a_sheet_that_gains_a_cell_is_written_whole_and_cut_again():
    ws = sheet()
    pieces = SheetXml(ws)
    ws["F20"] = "further down"
    assert pieces.xml() == worksheet_xml(ws)
    ws["F20"] = 3.0
    assert pieces.xml() == worksheet_xml(ws)


def test_a_sheet_with_hyperlinks_is_always_written_whole():
    ws = sheet()
    ws["A1"].hyperlink = "https://www.xiaohongshu.com"
    pieces = SheetXml(ws)
    ws["A1"] = "elsewhere"
    assert pieces.xml() == worksheet_xml(ws)

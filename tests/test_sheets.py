"""The sheet registry: each sheet declares what it shows, the declarations are complete, and a new sheet is one
module plus one registry line — built, named, read back and carried into a static copy with no other edit."""

import math
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xhsxl.core import metrics
from xhsxl.schema import FIELDS, SPANS
from xhsxl.workbook import sheets
from xhsxl.workbook.formula import Call, Name, Span, Sum
from xhsxl.workbook.read import input_places, named_places, read_inputs
from xhsxl.workbook.recalc import recalculate
from xhsxl.workbook.sheets.kit import INPUT_FILL, ComputedCell, InputBlock, Kit, Sheet
from xhsxl.workbook.static import result_cells, static_mismatches, xhs_cells
from xhsxl.workbook.sheets.kit import chart_title_text
from xhsxl.workbook.template import (
    _Builder, build_workbook, example_campaign, sheet_inputs, static_shown_values, workbook_bytes,
)


def test_the_workbook_has_the_registrys_sheets_in_its_order():
    assert build_workbook().sheetnames == [sheet.name for sheet in sheets.SHEETS]
    assert len({sheet.name for sheet in sheets.SHEETS}) == len(sheets.SHEETS)


def test_every_computed_cell_and_table_a_sheet_places_is_one_it_declares():
    builder = _Builder(example_campaign(), static=False)
    builder.build()
    for sheet in sheets.SHEETS:
        placed = {name for ws, _cell, name, _expr in builder.deferred if ws.title == sheet.name}
        tables = {spec.name for ws, spec, _row, _column in builder.deferred_tables if ws.title == sheet.name}
        assert placed == {item.name for item in sheet.cells}, sheet.name
        assert tables == {spec.name for spec in sheet.tables}, sheet.name


def test_every_chart_a_sheet_draws_is_one_it_declares():
    workbook = build_workbook()
    for sheet in sheets.SHEETS:
        drawn = sorted(chart_title_text(chart) for chart in workbook[sheet.name]._charts)
        assert drawn == sorted(spec.title for spec in sheet.charts), sheet.name
        assert all(spec.sheet == sheet.name for spec in sheet.charts), sheet.name


def test_the_declared_xhs_results_are_exactly_the_cells_whose_formulas_call_xhs_functions():
    live = build_workbook()
    status = ("Start", "B7")  # XHS_VERSION, the add-in status cell: no result, in no declaration
    scanned = {(sheet, cell) for sheet, cell, _ in xhs_cells(live)} - {status}
    assert {(sheet, cell) for sheet, cell, _ in result_cells(live)} == scanned


def test_every_yellow_cell_is_a_schema_field_or_belongs_to_a_declared_block():
    workbook = build_workbook()
    places = named_places(workbook)
    declared = {(sheet, row, column) for sheet, row, column, *_ in input_places(workbook).values()}
    assert len(declared) == len(FIELDS)
    for key, (block, r, c) in sheet_inputs().items():
        sheet, row, column, *_ = places[block]
        declared.add((sheet, row + r, column + c))
    yellow = {(ws.title, cell.row, cell.column) for ws in workbook.worksheets
              for row in ws.iter_rows() for cell in row if cell.fill == INPUT_FILL}
    assert yellow == declared


def test_sheet_inputs_come_from_the_declarations_without_building_a_workbook(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("sheet_inputs() built a workbook")

    monkeypatch.setattr(_Builder, "build", refuse)
    inputs = sheet_inputs()
    assert inputs["checkpoints_1_1"] == ("checkpoints", 0, 0)
    assert inputs["reserve_override"] == ("reserve_override", 0, 0)
    assert len(inputs) == sum(block.rows * block.columns for block in sheets.input_blocks())


def test_the_cost_range_is_the_whole_costs_group():
    assert SPANS["cost_lines"] == tuple(f.key for f in FIELDS if f.group == "costs")
    places = named_places(build_workbook())
    sheet, row, column, rows, columns = places["cost_lines"]
    assert (rows, columns) == (len(SPANS["cost_lines"]), 1)
    assert [places[key][1] for key in SPANS["cost_lines"]] == list(range(row, row + rows))


# ------------------------------------------------------------------------------- a sheet added by registration

EXTRA_BLOCK = InputBlock("extra_revenue", ((120_000.0,), (80_000.0,), (None,)), ("CNY",))
EXTRA_ROI = ComputedCell("extra_roi", "ROI of the extra revenue", "额外回报率", "fraction",
                         Call("XHS_ROI", Sum(Span(EXTRA_BLOCK.name)), Name("total_cost")))


def draw_extra(kit: Kit) -> None:
    ws = kit.sheet(EXTRA.name)
    kit.title(ws, "Extra", EXTRA.title_zh, "Revenue found later, against the campaign's cost.")
    kit.header(ws, 3, ("Revenue ¥",))
    kit.input_block(ws, 4, 1, EXTRA_BLOCK)
    kit.labelled(ws, 8, 2, EXTRA_ROI)


EXTRA = Sheet("Extra", "额外", draw_extra, inputs=(EXTRA_BLOCK,), cells=(EXTRA_ROI,))


@pytest.fixture
def with_extra_sheet(monkeypatch):
    # the one registry line a new sheet needs, here for this test only
    monkeypatch.setattr(sheets, "SHEETS", (*sheets.SHEETS[:-1], EXTRA, sheets.SHEETS[-1]))


def test_a_registered_sheet_is_built_named_read_and_carried_into_the_static_copy(with_extra_sheet, tmp_path):
    campaign = example_campaign()
    live = build_workbook(campaign, example=True)
    assert live.sheetnames[-2:] == ["Extra", "xlwings.conf"]
    places = named_places(live)
    assert places["extra_revenue"] == ("Extra", 4, 1, 3, 1) and places["extra_roi"] == ("Extra", 8, 2, 1, 1)
    assert live["Extra"]["B8"].value == "=XHS_ROI(SUM(extra_revenue),total_cost)"
    assert {"extra_revenue_1_1", "extra_revenue_3_1"} <= set(sheet_inputs())

    path = tmp_path / "live.xlsx"
    path.write_bytes(workbook_bytes(live))
    workbook = load_workbook(path)
    workbook["Extra"]["A6"] = 50_000  # the analyst types into the blank row
    workbook.save(path)
    inputs = read_inputs(path)
    assert inputs.sheet_problems == []
    assert [inputs.sheet_values[f"extra_revenue_{r}_1"] for r in (1, 2, 3)] == [120_000.0, 80_000.0, 50_000.0]

    edited = build_workbook(campaign, sheet_values=inputs.sheet_values)
    edited_path = tmp_path / "edited.xlsx"
    edited_path.write_bytes(workbook_bytes(edited))
    recalculation = recalculate(edited_path)
    assert recalculation.errors == []
    expected = float(metrics.roi(250_000.0, campaign.total_cost))
    assert math.isclose(recalculation.value("Extra", "B8"), expected, rel_tol=1e-12)

    static = build_workbook(campaign, static=True, sheet_values=inputs.sheet_values)
    assert static["Extra"]["A6"].value == 50_000.0
    assert math.isclose(static_shown_values(campaign, inputs.sheet_values)[("Extra", "B8")], expected, rel_tol=1e-12)
    assert static_mismatches(campaign, recalculation, sheet_values=inputs.sheet_values) == []


def readme_sheet() -> Sheet:
    """The example sheet module of the README's "For developers" part, run as written."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    part = readme[readme.index("## For developers"):]
    code = re.search(r"```python\n(.*?)```", part, flags=re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["SHEET"]


def test_the_readmes_new_sheet_is_this_tests_sheet_and_builds_the_same_workbook(monkeypatch):
    registered, registry = {}, sheets.SHEETS
    for name, sheet in (("test", EXTRA), ("readme", readme_sheet())):
        monkeypatch.setattr(sheets, "SHEETS", (*registry[:-1], sheet, registry[-1]))
        registered[name] = (workbook_bytes(build_workbook()), sheet_inputs())
    assert registered["readme"] == registered["test"]

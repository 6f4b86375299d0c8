"""What a client sees: labels instead of codes, number formats that show what matters, the analyst's blocks
empty in a client's workbook (with the template's worked examples marked as such), a hidden xlwings.conf that
xlwings still reads, one-page Dashboard, and row heights and chart titles that fit their text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import xlwings
from xhsxl.cli import app
from xhsxl.schema import FIELDS, ClientCampaign
from xhsxl.workbook import sheets
from xhsxl.workbook.batch import run_batch
from xhsxl.workbook.fill import write_workbook
from xhsxl.workbook.formula import NOT_APPLICABLE
from xhsxl.workbook.read import named_places
from xhsxl.workbook.recalc import recalculate
from xhsxl.workbook.sheets import attribution as attribution_sheet
from xhsxl.workbook.sheets import worked_examples
from xhsxl.workbook.sheets.kit import (
    DATA_NEEDED, FRACTIONAL_COUNT, HEADER_FILL, LINE_HEIGHT, TABLE_HEADER_FILL, WORKED_EXAMPLE, chart_title_text,
    shown_text, text_width, wrapped_lines,
)
from xhsxl.workbook.static import static_mismatches
from xhsxl.workbook.template import build_workbook, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ClientCampaign.model_validate(c)
            for c in json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))]
SNAKE_CASE = re.compile(r"^[a-z]+(_[a-z]+)+$")
#: The status cells beside the tables over the analyst's blocks.
STATUS_CELLS = [item for sheet in sheets.SHEETS for item in sheet.cells if item.name.endswith("_status")]


def analyst_cells(workbook):
    """(block, key, cell) of every cell of the blocks that hold a worked example in the template."""
    places = named_places(workbook)
    for block in sheets.input_blocks():
        if not block.worked_example:
            continue
        title, row, column, _rows, _columns = places[block.name]
        for key, r, c in block.cells():
            yield block.name, key, workbook[title].cell(row + r, column + c)


def is_header(cell) -> bool:
    colour = cell.fill.fgColor.rgb if cell.fill and cell.fill.fgColor is not None else None
    return isinstance(colour, str) and colour[-6:] in (HEADER_FILL.fgColor.rgb[-6:], TABLE_HEADER_FILL.fgColor.rgb[-6:])


# -------------------------------------------------------------------------------------- labels, not codes
@pytest.mark.parametrize("example", [False, True])
def test_no_header_cell_shows_a_snake_case_code(example):
    workbook = build_workbook(EXAMPLES[1], static=True, example=example)
    anchors = {(title, row, column) for title, row, column, _r, _c in named_places(workbook).values()}
    shown = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                # A table's first header cell keeps the function's word (line, tier, channel): in a static copy it
                # holds an error's message when the table has one, which a label would hide.
                if is_header(cell) and (ws.title, cell.row, cell.column) not in anchors:
                    text = shown_text(cell)
                    shown.append(text)
                    assert not SNAKE_CASE.match(text), (ws.title, cell.coordinate, text)
    assert "Result per ¥ · 每元回报" in shown and "Share of reserve · 占预留比例" in shown


def test_budget_lines_and_tiers_keep_their_codes_and_show_their_labels():
    workbook = build_workbook(EXAMPLES[1], static=True)
    title, row, column, rows, _columns = named_places(workbook)["allocation_table"]
    cells = [workbook[title].cell(r, column) for r in range(row + 1, row + rows)]
    assert "content_production" in [cell.value for cell in cells]  # the code the functions read
    assert "Content production · 内容制作" in [shown_text(cell) for cell in cells]
    planner = workbook["Planner"]
    lines = [cell for cell in planner["A"] if cell.value == "content_production"]
    assert lines and all(shown_text(cell) == "Content production · 内容制作" for cell in lines)


# -------------------------------------------------------------------------------------- number formats
def test_fractional_counts_keep_their_decimals():
    workbook = build_workbook(EXAMPLES[0], static=True, example=True)
    places = named_places(workbook)
    orders = places["orders_per_month"]
    assert workbook[orders[0]].cell(orders[1], orders[2]).number_format == FRACTIONAL_COUNT
    title, row, column, rows, _ = places[attribution_sheet.TIME_DECAY_TABLE.name]
    credited = [workbook[title].cell(r, column + 1) for r in range(row + 1, row + rows)]
    assert all(cell.number_format == FRACTIONAL_COUNT for cell in credited)
    assert any(0 < cell.value % 1 for cell in credited)  # the time-decay credit this format keeps (0.656, not 1)
    assert all(field.integer for field in FIELDS if field.unit == "count" and
               workbook[places[field.key][0]].cell(*places[field.key][1:3]).number_format != FRACTIONAL_COUNT)


# -------------------------------------------------------------------------------------- the client's own data
def test_a_clients_workbook_starts_with_the_analysts_blocks_empty_and_says_what_to_type(tmp_path):
    path = write_workbook(EXAMPLES[1], tmp_path / "client.xlsx", static=True)
    workbook = load_workbook(path)
    filled = [(name, key) for name, key, cell in analyst_cells(workbook) if cell.value not in (None, "")]
    assert filled == []
    hints = [c.value for ws in workbook.worksheets for c in ws["A"] if isinstance(c.value, str)]
    assert WORKED_EXAMPLE not in hints
    assert sum(text.startswith("Your ") and "e.g." in text for text in hints) == 4  # paths, log, checkpoints, history


def test_the_template_marks_its_worked_examples_as_such():
    workbook = build_workbook()
    values = {key: cell.value for _name, key, cell in analyst_cells(workbook)}
    assert {key: value for key, value in values.items() if value is not None} == {
        key: value for key, value in worked_examples().items() if value is not None}
    marks = [c for ws in workbook.worksheets for c in ws["A"] if c.value == WORKED_EXAMPLE]
    assert {c.parent.title for c in marks} == {"Attribution", "Checkpoints", "Planner"} and len(marks) == 4


def test_example_option_puts_the_worked_examples_into_a_clients_workbook(tmp_path):
    source = tmp_path / "client.json"
    source.write_text(EXAMPLES[0].model_dump_json(), encoding="utf-8")
    runner = CliRunner()
    for extra, expected in (([], False), (["--example"], True)):
        target = tmp_path / f"client{len(extra)}.xlsx"
        result = runner.invoke(app, ["fill", str(source), "--out", str(target), *extra])
        assert result.exit_code == 0, result.output
        paths = [cell.value for name, _key, cell in analyst_cells(load_workbook(target))
                 if name == "attribution_paths" and cell.value]
        assert bool(paths) is expected
    out = tmp_path / "batch"
    run_batch(ROOT / "workbooks" / "examples" / "clients.csv", out, static=True, jobs=1, only=["晨露 Dawn Dew"],
              example=True)
    [written] = [p for p in out.glob("*.xlsx") if p.name != "summary.xlsx"]
    assert any(cell.value for name, _key, cell in analyst_cells(load_workbook(written)) if name == "checkpoints")


def test_batch_workbooks_carry_no_example_datum(tmp_path):
    out = tmp_path / "batch"
    result = run_batch(ROOT / "workbooks" / "examples" / "clients.csv", out, static=True, jobs=1)
    written = [o.path for o in result.outcomes if o.status == "written"]
    assert len(written) >= 10
    for path in written[:3]:
        workbook = load_workbook(path)
        assert [key for _name, key, cell in analyst_cells(workbook) if cell.value not in (None, "")] == []
        paths = {row[0] for row in attribution_sheet.ATTRIBUTION_EXAMPLE}
        texts = {c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row}
        assert not paths & texts


def test_empty_blocks_read_n_a_add_your_data_alike_live_and_static(tmp_path):
    campaign = EXAMPLES[1]
    path = tmp_path / "live.xlsx"
    path.write_bytes(workbook_bytes(build_workbook(campaign)))
    recalculation = recalculate(path)
    assert recalculation.errors == []
    places = named_places(load_workbook(path))
    for item in STATUS_CELLS:
        title, row, column, _rows, _columns = places[item.name]
        assert recalculation.value(title, f"{chr(64 + column)}{row}") == DATA_NEEDED, item.name
    for spec in (*attribution_sheet.ATTRIBUTION_TABLES, attribution_sheet.TIME_DECAY_TABLE):
        title, row, column, _rows, _columns = places[spec.name]
        assert recalculation.value(title, f"B{row + 1}") == NOT_APPLICABLE
    assert static_mismatches(campaign, recalculation) == []


def test_with_the_examples_in_the_status_cells_are_blank(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(workbook_bytes(build_workbook()))
    recalculation = recalculate(path)
    places = named_places(load_workbook(path))
    for item in STATUS_CELLS:
        title, row, column, _rows, _columns = places[item.name]
        assert recalculation.value(title, f"{chr(64 + column)}{row}") in (None, ""), item.name


# -------------------------------------------------------------------------------------- xlwings.conf
def test_xlwings_conf_is_hidden_and_xlwings_still_reads_it(tmp_path):
    path = tmp_path / "live.xlsx"
    path.write_bytes(workbook_bytes(build_workbook()))
    workbook = load_workbook(path)
    ws = workbook["xlwings.conf"]
    assert ws.sheet_state == "hidden"
    # The add-in's reader (GetConfigFromSheet in xlwings.bas) takes the sheet by name from wb.Sheets, which holds
    # hidden sheets too, and reads column A from A1 down to the first blank, upper-casing each key; it never
    # asks for the sheet's visibility. xlwings' own release step hides this very sheet.
    source = Path(xlwings.__file__).parent
    bas = (source / "xlwings.bas").read_text(encoding="utf-8", errors="replace")
    reader = bas[bas.index("Function GetConfigFromSheet"):bas.index("End Function", bas.index("Function GetConfigFromSheet"))]
    exists = bas[bas.index("Function SheetExists"):bas.index("End Function", bas.index("Function SheetExists"))]
    assert 'wb.Sheets(PROJECT_NAME & ".conf")' in reader and "Visible" not in reader + exists
    assert 'book.sheets["xlwings.conf"].visible = False' in (source / "cli.py").read_text(encoding="utf-8")
    config, row = {}, 1
    while ws.cell(row, 1).value not in (None, ""):
        config[str(ws.cell(row, 1).value).upper()] = ws.cell(row, 2).value
        row += 1
    assert config == {"UDF MODULES": "xhsxl.udfs"}


# -------------------------------------------------------------------------------------- printing and fitting
def test_the_dashboard_prints_on_one_a4_landscape_page():
    ws = build_workbook(EXAMPLES[1], static=True)["Dashboard"]
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)


def test_wrapped_text_has_a_row_tall_enough_for_it():
    workbook = build_workbook(EXAMPLES[1], static=True)
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = shown_text(cell)
                if text and cell.alignment is not None and cell.alignment.wrap_text:
                    width = ws.column_dimensions[cell.column_letter].width
                    lines = wrapped_lines(text, width, bool(cell.font and cell.font.b))
                    height = ws.row_dimensions[cell.row].height or LINE_HEIGHT
                    assert height >= lines * LINE_HEIGHT, (ws.title, cell.coordinate, text)


def test_chart_titles_fit_their_charts_line_by_line():
    workbook = build_workbook()
    charts = [chart for ws in workbook.worksheets for chart in ws._charts]
    assert charts
    for chart in charts:
        lines = [" ".join(run.t for run in paragraph.r) for paragraph in chart.title.tx.rich.p]
        assert len(lines) == 2 and " · ".join(lines) == chart_title_text(chart)
        for paragraph in chart.title.tx.rich.p:
            assert paragraph.pPr.defRPr.sz == 1200
        # at 12 pt bold a character of one width unit is about 0.27 cm; a margin of 1 cm each side
        assert all(text_width(line) * 0.27 <= chart.width - 2 for line in lines), lines


def test_summary_headers_are_not_clipped(tmp_path):
    out = tmp_path / "batch"
    run_batch(ROOT / "workbooks" / "examples" / "clients.csv", out, static=True, jobs=1, only=["晨露 Dawn Dew"])
    ws = load_workbook(out / "summary.xlsx")["Summary"]
    for cell in ws[4]:
        if cell.value:
            lines = wrapped_lines(cell.value, ws.column_dimensions[cell.column_letter].width, bold=True)
            assert ws.row_dimensions[4].height >= lines * LINE_HEIGHT, cell.value


def test_results_mentions_xhs_functions_only_where_it_has_them():
    live = build_workbook(EXAMPLES[1])["Results"]["A2"].value
    static = build_workbook(EXAMPLES[1], static=True)["Results"]["A2"].value
    assert "XHS_" in live and "XHS_" not in static

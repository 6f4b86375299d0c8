"""summary.xlsx: the batch writes it faster than openpyxl's own writer, and writes exactly what openpyxl wrote.

The reference below is the summary builder as it stood before the fast path (openpyxl cells styled one by
one, saved by openpyxl's writer); the batch's summary must give its bytes, part for part, for every kind of
row: each status, client text that looks like a formula or carries spaces, markup or XML's special
characters, a result that is n/a, a stage shown by its label, and enough clients for two ranking charts.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
import math
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill

from xhsxl.excel.errors import Problem
from xhsxl.schema import HEADLINE_METRICS, NUMBER_FORMATS, OUTPUTS
from xhsxl.workbook.batch import BatchResult, Outcome, summary_bytes
from xhsxl.workbook.sheets.kit import LABELS, LINE_HEIGHT, shown_as, wrapped_lines
from xhsxl.workbook.template import workbook_bytes, write_text

HEADLINE = HEADLINE_METRICS
_OUTPUT = {o.key: o for o in OUTPUTS}
_STATUS = {"written": "written", "skipped": "kept (existed)", "rejected": "rejected", "failed": "not written"}
EXCEL_CELL_CHARS = 32_767
CHART_CLIENTS = 25


def reference_summary(result: BatchResult) -> Workbook:
    """One row per client: status, a link to its workbook, headline KPIs; and a sheet ranking them by ROI."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws["A1"] = "Clients · 客户汇总"
    ws["A1"].font = Font(name="Calibri", size=16, bold=True, color="C0392B")
    written = result.count("written")
    ws["A2"] = (f"{written} written, {result.count('skipped')} kept, {result.count('rejected')} rejected, "
                f"{result.count('failed')} not written — problems are listed in {result.errors.name}")
    ws["A2"].font = Font(name="Calibri", italic=True, color="6B7280")
    header = ["Row", "Client · 客户", "Campaign · 活动", "Stage · 阶段", "Status · 状态", "Workbook · 文件",
              *(f"{_OUTPUT[k].label_en} · {_OUTPUT[k].label_zh}" for k in HEADLINE)]
    for column, name in enumerate(header, start=1):
        cell = ws.cell(4, column, name.replace(" · ", "\n"))  # English over Chinese, neither broken mid-word
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C0392B")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    row = 5
    for outcome in result.outcomes:
        ws.cell(row, 1, outcome.row)
        _outside_text(ws.cell(row, 2), outcome.client)
        _outside_text(ws.cell(row, 3), outcome.campaign_name)
        stage = ws.cell(row, 4, outcome.stage)
        if outcome.stage in LABELS:  # the stage's key stays in the cell (a filter sorts by it); a person reads its label
            stage.number_format = shown_as(LABELS[outcome.stage])
        ws.cell(row, 5, _STATUS[outcome.status])
        if outcome.path is not None and outcome.status in ("written", "skipped"):
            link = ws.cell(row, 6, outcome.path.name)
            link.hyperlink = outcome.path.name  # relative: the link keeps working when the folder moves
            link.font = Font(name="Calibri", color="1D4ED8", underline="single")
            link.data_type = "s"
        for offset, key in enumerate(HEADLINE):
            value = outcome.headline.get(key)
            cell = ws.cell(row, 7 + offset, "n/a" if value is None and outcome.headline else value)
            cell.number_format = NUMBER_FORMATS[_OUTPUT[key].unit]
        row += 1
    last = row - 1
    ws.freeze_panes = "C5"
    ws.auto_filter.ref = f"A4:{ws.cell(4, len(header)).column_letter}{max(last, 5)}"
    widths = (6, 40, 46, 20, 14, 46, *(14,) * len(HEADLINE))
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(4, column).column_letter].width = width
    # Tall enough for the longest bilingual header wrapped in its column: a fixed height clipped them.
    ws.row_dimensions[4].height = LINE_HEIGHT * max(wrapped_lines(name.replace(" · ", "\n"), width, bold=True)
                                                    for name, width in zip(header, widths)) + 2
    _landscape(ws)
    _ranking_sheet(wb, result)
    return wb




def _outside_text(cell: Any, text: str) -> None:
    """Client text into a summary cell, as text: a rejected row's name is as the file had it, so a control
    character (which the XLSX format cannot store) is shown as ``\\xNN`` and an overlong one is cut."""
    text = ILLEGAL_CHARACTERS_RE.sub(lambda match: f"\\x{ord(match.group(0)):02x}", str(text))
    if len(text) > EXCEL_CELL_CHARS:
        text = text[: EXCEL_CELL_CHARS - 1] + "…"
    write_text(cell, text)




def _ranking_sheet(wb: Workbook, result: BatchResult) -> None:
    """Clients with results ranked by ROI, highest first, and bar charts comparing them (all of them up to twice
    ``CHART_CLIENTS``; beyond, the highest and the lowest, so no chart grows taller than a page)."""
    ranked = sorted((o for o in result.outcomes if o.headline), key=lambda o: (o.headline["roi"] is None,
                                                                              -(o.headline["roi"] or 0.0)))
    ws = wb.create_sheet("Ranking")
    ws["A1"] = "Clients ranked by ROI · 投资回报率排名"
    ws["A1"].font = Font(name="Calibri", size=16, bold=True, color="C0392B")
    for column, name in enumerate(("Rank · 排名", "Client · 客户", "ROI · 投资回报率", "Workbook · 文件"), start=1):
        cell = ws.cell(3, column, name)
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C0392B")
    for rank, outcome in enumerate(ranked, start=1):
        ws.cell(3 + rank, 1, rank)
        _outside_text(ws.cell(3 + rank, 2), outcome.client)
        roi = outcome.headline["roi"]
        ws.cell(3 + rank, 3, "n/a" if roi is None else roi).number_format = NUMBER_FORMATS["fraction"]
        if outcome.path is not None:
            link = ws.cell(3 + rank, 4, outcome.path.name)
            link.hyperlink = outcome.path.name
            link.font = Font(name="Calibri", color="1D4ED8", underline="single")
            link.data_type = "s"
    for letter, width in zip("ABCD", (12, 40, 20, 46)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"
    with_roi = sum(1 for o in ranked if o.headline["roi"] is not None)
    if with_roi == 0:
        return
    if with_roi <= 2 * CHART_CLIENTS:
        spans = [("ROI by client · 各客户投资回报率", 1, with_roi)]
    else:
        spans = [(f"The {CHART_CLIENTS} highest ROI of {with_roi:,} · 最高", 1, CHART_CLIENTS),
                 (f"The {CHART_CLIENTS} lowest ROI of {with_roi:,} · 最低", with_roi - CHART_CLIENTS + 1, with_roi)]
    anchor = 3
    for title, first, final in spans:
        chart = BarChart()
        chart.type = "bar"
        chart.title = title
        chart.add_data(Reference(ws, min_col=3, min_row=3 + first, max_row=3 + final))
        chart.set_categories(Reference(ws, min_col=2, min_row=3 + first, max_row=3 + final))
        chart.x_axis.scaling.orientation = "maxMin"  # rank order from the top, as in the table
        chart.x_axis.tickLblPos = "low"  # client names at the edge, clear of bars below 0 %
        chart.y_axis.numFmt = "0%"
        chart.legend = None
        chart.width, chart.height = 18, 3 + 0.6 * (final - first + 1)
        ws.add_chart(chart, f"F{anchor}")
        anchor += int(chart.height / 0.5) + 2  # rows of about 0.5 cm
    _landscape(ws)


def _landscape(ws: Any) -> None:
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0




# ------------------------------------------------------------------------------------------------- the tests
FOLDER = Path("out")
NAMES = ["Acme Beauty", '=HYPERLINK("http://x","y")', "  leading and trailing  ", "a & b < c > d", "[bold]x[/]",
         "花漾肌 Bloom Skin", "Bell\x07 Co", "", "x" * 40_000, "tab\there", "line\nbreak", "\"quoted\" 'text'"]


def outcome(i: int, status: str, name: str, roi: float | None = 0.5, stage: str = "growth") -> Outcome:
    has_results = status in ("written", "skipped", "failed") or roi is not None and status != "rejected"
    headline = {key: (None if roi is None and key == "roi" else (roi or 0.0) * (k + 1))
                for k, key in enumerate(HEADLINE)} if has_results else {}
    path = FOLDER / f"Client-{i:04d}.xlsx" if status in ("written", "skipped") else None
    problems = (Problem(i + 2, "creator_fees", "-5", "must be at least 0"),) if status == "rejected" else ()
    return Outcome(row=i + 2, client=name, status=status, path=path, headline=headline, problems=problems,
                   campaign_name=f"{name} campaign" if status != "rejected" else "",
                   stage=stage if status != "rejected" else "teenage")


def result_of(outcomes: list[Outcome]) -> BatchResult:
    return BatchResult(None, outcomes, [], FOLDER / "summary.xlsx", FOLDER / "errors.csv")


def assert_same_file(fast: bytes, reference: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(fast)) as mine, zipfile.ZipFile(io.BytesIO(reference)) as theirs:
        assert mine.testzip() is None
        assert mine.namelist() == theirs.namelist()
        for name in theirs.namelist():
            assert mine.read(name) == theirs.read(name), name
    assert fast == reference


def test_summary_gives_the_reference_builders_bytes_for_every_status_and_awkward_text():
    statuses = ["written", "skipped", "rejected", "failed"]
    outcomes = [outcome(i, statuses[i % 4], NAMES[i % len(NAMES)], roi=None if i % 7 == 3 else (i * 37 % 101) / 10 - 1,
                        stage=("cold_start", "growth", "maturity", "")[i % 4]) for i in range(120)]
    result = result_of(outcomes)
    assert_same_file(summary_bytes(result), workbook_bytes(reference_summary(result)))
    ranking = load_workbook(io.BytesIO(summary_bytes(result)))["Ranking"]
    assert len(ranking._charts) == 2  # enough clients with an ROI for the highest and lowest charts


def test_summary_of_a_run_with_no_results_gives_the_reference_builders_bytes():
    result = result_of([outcome(0, "rejected", "Only Bad")])
    assert_same_file(summary_bytes(result), workbook_bytes(reference_summary(result)))


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=30), st.sampled_from(["written", "skipped", "rejected", "failed"]),
                          st.one_of(st.none(), finite, st.sampled_from([math.inf, -math.inf, math.nan, 0.0, -0.0, 1e300,
                                                                        5e-324, 123456789012345678.0]))),
                max_size=30))
def test_summary_gives_the_reference_builders_bytes_for_any_text_and_number(rows):
    result = result_of([outcome(i, status, name, roi) for i, (name, status, roi) in enumerate(rows)])
    assert_same_file(summary_bytes(result), workbook_bytes(reference_summary(result)))


def mixed_workbook() -> Workbook:
    """Rows the plain-cell writer takes (numbers, text, styled blanks) beside rows it leaves to openpyxl."""
    import datetime as dt

    from openpyxl.comments import Comment

    wb = Workbook()
    ws = wb.active
    ws.append([1, 2.5, "text", " spaced ", None, "a&b<c>"])
    ws.append(["=SUM(A1:B1)", True, dt.datetime(2025, 1, 2)])  # formula, boolean, date
    ws.append([3, "commented"])
    ws["B3"].comment = Comment("a note", "xhsxl")
    ws.append([4, float("nan"), float("inf")])  # not finite: openpyxl writes an empty value
    ws.append([5, None, "tall"])
    ws.row_dimensions[5].height = 30
    ws["B5"].number_format = "0.0%"  # a styled blank
    ws["C1"].hyperlink = "other.xlsx"
    return wb


def test_rows_the_plain_writer_does_not_take_are_written_by_openpyxl_to_the_same_bytes():
    from xhsxl.workbook.batch import _PlainCellsExcelWriter
    from xhsxl.workbook.template import _serialise

    assert_same_file(_serialise(mixed_workbook(), _PlainCellsExcelWriter), workbook_bytes(mixed_workbook()))

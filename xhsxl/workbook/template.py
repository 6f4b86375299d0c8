"""Build the xhsxl workbook from code: the schema's inputs, the layout's formulas, styles, names, charts.

:func:`build_workbook` writes one workbook — the blank template, a client's live workbook (``XHS_``
formulas, for analysts with the add-in) or a client's static workbook (the same layout with values in
place of ``XHS_`` formulas, for clients without Python). :func:`workbook_bytes` serialises it
deterministically: the same inputs give byte-identical files.

Every address is decided here, from :mod:`xhsxl.workbook.layout`; the rest of the package finds cells by
their defined names.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

import xhsxl
from xhsxl.core import figures
from xhsxl.schema import FIELDS, GROUPS, NUMBER_FORMATS, UNIT_LABELS, ClientCampaign, InputField
from xhsxl.workbook import layout
from xhsxl.workbook.formula import CellError, Expr, Name, calls_xhs

__all__ = [
    "build_workbook", "workbook_bytes", "WorkbookFactory", "example_campaign", "Placement", "write_text", "FIXED_TIME",
]

#: Document timestamps of every workbook we write, so the same inputs give the same bytes.
FIXED_TIME = dt.datetime(2025, 1, 1)

_INK = "1F2937"
_ACCENT = "C0392B"  # Xiaohongshu red
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor=_ACCENT)
_GROUP_FILL = PatternFill("solid", fgColor="F3F4F6")
_TABLE_HEADER_FILL = PatternFill("solid", fgColor="FDEDEC")
_TITLE = Font(name="Calibri", size=16, bold=True, color=_ACCENT)
_SUBTITLE = Font(name="Calibri", size=11, italic=True, color="6B7280")
_HEADER = Font(name="Calibri", bold=True, color="FFFFFF")
_BOLD = Font(name="Calibri", bold=True, color=_INK)
_THIN = Side(style="thin", color="D1D5DB")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)

_STAGE_CHOICES = ("cold_start", "growth", "maturity", "冷启动", "成长期", "成熟期")


def write_text(cell: Cell, text: str) -> None:
    """Store client text as text, never as a formula: ``=HYPERLINK(...)`` stays those characters.

    openpyxl turns any string starting with ``=`` into a formula; setting the type back to string keeps
    it text in the file, and the quote prefix (Excel's leading apostrophe) keeps it text when someone edits
    the cell in Excel or LibreOffice. Every client text cell gets the prefix, whatever it holds, so a cell's
    style does not depend on the client (one layout, one set of styles, for every workbook of a batch).
    """
    cell.value = text
    cell.data_type = "s"
    cell.quotePrefix = True


@dataclass
class Placement:
    """Where every named thing ended up: name → (sheet, first row, first column, rows, columns)."""

    places: dict[str, tuple[str, int, int, int, int]] = field(default_factory=dict)

    def put(self, name: str, sheet: str, row: int, column: int, rows: int = 1, columns: int = 1) -> None:
        if name in self.places:
            raise ValueError(f"{name} is placed twice")
        self.places[name] = (sheet, row, column, rows, columns)

    def address(self, name: str) -> str:
        sheet, row, column, rows, columns = self.places[name]
        first = f"${get_column_letter(column)}${row}"
        if rows == 1 and columns == 1:
            return f"{quote_sheetname(sheet)}!{first}"
        last = f"${get_column_letter(column + columns - 1)}${row + rows - 1}"
        return f"{quote_sheetname(sheet)}!{first}:{last}"

    def ref(self, name: str) -> str:
        """How a formula refers to it: by its defined name."""
        if name not in self.places:
            raise KeyError(f"the layout refers to {name!r}, which no cell or table defines")
        return name


class _Evaluation:
    """The value of every named cell for one campaign, computed on demand through the UDFs."""

    def __init__(self, inputs: dict[str, Any], exprs: dict[str, Expr], spans: dict[str, list[str]]) -> None:
        self._inputs = inputs
        self._exprs = exprs
        self._spans = spans
        self._values: dict[str, Any] = {}
        self._busy: set[str] = set()

    def ref(self, name: str) -> str:  # pragma: no cover - evaluation never renders
        return name

    def value(self, name: str) -> Any:
        if name in self._inputs:
            return self._inputs[name]
        if name not in self._values:
            if name in self._busy:
                raise ValueError(f"the layout's formula for {name!r} refers to itself")
            if name not in self._exprs:
                raise KeyError(f"the layout refers to {name!r}, which no cell or table defines")
            self._busy.add(name)
            self._values[name] = self._exprs[name].evaluate(self)
            self._busy.discard(name)
        return self._values[name]

    def span(self, name: str) -> list[list[Any]]:
        return [[self.value(key)] if isinstance(key, str) else [self.value(k) for k in key] for key in self._spans[name]]

    def table(self, name: str) -> Any:
        return self.value(name)


def example_campaign() -> ClientCampaign:
    """Case study 1 of article 000, the example the blank template opens with."""
    case = figures.CASE_STUDY_1
    return ClientCampaign(
        client_name="Example: international beauty brand (case study 1)",
        campaign_name="Replace the yellow cells with your client's campaign",
        brand_stage="cold_start",
        creator_fees=case.creator_fees, content_production=case.content_production, paid_ads=case.paid_ads,
        tech_analytics=case.tech_analytics, impressions=case.impressions, clicks=case.profile_visitors,
        conversions=case.direct_conversions, direct_revenue=case.revenue, new_followers=case.new_followers,
    )


class _Builder:
    def __init__(self, campaign: ClientCampaign, static: bool) -> None:
        self.campaign = campaign
        self.static = static
        self.wb = Workbook()
        self.place = Placement()
        self.exprs: dict[str, Expr] = {}
        self.spans: dict[str, list[Any]] = {}
        self.inputs = {f.key: getattr(campaign, f.key) for f in FIELDS}
        self.evaluation = _Evaluation(self.inputs, self.exprs, self.spans)
        self.sheets: dict[str, Worksheet] = {}
        self.deferred: list[tuple[Worksheet, Cell, str, Expr]] = []
        self.deferred_tables: list[tuple[Worksheet, layout.TableSpec, int, int]] = []
        self.input_cells: dict[str, Cell] = {}

    # ----------------------------------------------------------------------------------------- helpers
    def sheet(self, name: str) -> Worksheet:
        if name not in self.sheets:
            ws = self.wb.active if not self.sheets else self.wb.create_sheet(name)
            ws.title = name
            ws.sheet_view.showGridLines = name == "xlwings.conf"
            self.sheets[name] = ws
        return self.sheets[name]

    def title(self, ws: Worksheet, english: str, chinese: str, subtitle: str = "") -> None:
        ws["A1"] = f"{english} · {chinese}" if chinese else english
        ws["A1"].font = _TITLE
        if subtitle:
            ws["A2"] = subtitle
            ws["A2"].font = _SUBTITLE

    def header(self, ws: Worksheet, row: int, names: Iterable[str]) -> None:
        for column, name in enumerate(names, start=1):
            cell = ws.cell(row, column, name)
            cell.font = _HEADER
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(vertical="center", wrap_text=True)

    def computed(self, ws: Worksheet, row: int, column: int, item: layout.ComputedCell) -> Cell:
        """Place a computed cell; its formula or value is written once every name is placed."""
        self.place.put(item.name, ws.title, row, column)
        self.exprs[item.name] = item.expr
        cell = ws.cell(row, column)
        cell.number_format = NUMBER_FORMATS[item.unit]
        cell.alignment = Alignment(horizontal="right")
        cell.border = _BOX
        self.deferred.append((ws, cell, item.name, item.expr))
        return cell

    def table(self, ws: Worksheet, row: int, spec: layout.TableSpec) -> int:
        """Place an array-formula table with its title above; return the first row below it."""
        ws.cell(row, 1, f"{spec.title_en} · {spec.title_zh}").font = _BOLD
        first = row + 1
        self.place.put(spec.name, ws.title, first, 1, spec.rows, spec.columns)
        self.exprs[spec.name] = spec.expr
        for column, unit in enumerate(spec.column_units, start=1):
            for r in range(first + 1, first + spec.rows):
                cell = ws.cell(r, column)
                cell.border = _BOX
                if unit:
                    cell.number_format = NUMBER_FORMATS[unit]
            head = ws.cell(first, column)
            head.font = _BOLD
            head.fill = _TABLE_HEADER_FILL
            head.border = _BOX
        self.deferred_tables.append((ws, spec, first, 1))
        return first + spec.rows + 1

    def name(self, name: str) -> None:
        self.wb.defined_names[name] = DefinedName(name, attr_text=self.place.address(name))

    # ----------------------------------------------------------------------------------------- sheets
    def start_sheet(self) -> None:
        ws = self.sheet("Start")
        self.title(ws, "xhsxl — Xiaohongshu campaign economics", "小红书营销投资回报模型",
                   "ROI, KPIs, blended return, CLV and a budget plan from one set of inputs.")
        ws["A4"] = "Client · 客户"
        ws["A4"].font = _BOLD
        ws["B4"] = '=IF(client_name="","",client_name)'
        ws["A5"] = "Campaign · 活动"
        ws["A5"].font = _BOLD
        ws["B5"] = '=IF(campaign_name="","",campaign_name)'
        ws["A7"] = "Functions · 函数"
        ws["A7"].font = _BOLD
        status = ws["B7"]
        if self.static:
            status.value = f"Static copy: every number was computed by xhsxl {xhsxl.__version__}; no add-in needed."
        else:
            status.value = ('=IFERROR(XHS_VERSION(),"NOT LOADED: install the xlwings add-in and import the '
                            'functions (steps below); until then XHS_ cells show #NAME?")')
        status.font = Font(bold=True, color=_ACCENT)
        steps = [
            ("How to use · 使用方法", ""),
            ("1", "Fill the yellow cells on the Inputs sheet (输入). Hover a cell for its meaning and allowed values."),
            ("2", "Read ROI, KPIs, the blended return and CLV on Results (结果)."),
            ("3", "Allocation (预算分配) plans the next budget from the articles' ranges and optimises the creator split."),
            ("4", "Dashboard (仪表盘) shows the headline numbers and charts for the client."),
            ("5", "Attribution (多触点归因) credits sales to channels from journey paths: last touch against exact Markov."),
            ("Add-in · 加载项", "Classic Excel: xlwings addin install; this workbook's xlwings.conf sheet names the "
                               "module xhsxl.udfs; click Import Functions; save as .xlsm."),
            ("", "xlwings Lite: add xhsxl to requirements.txt and 'from xhsxl.udfs import *' to main.py."),
            ("Percentages · 百分比", "Enter 30 % or 0.3; both mean thirty per cent."),
            ("Sources · 来源", "Every benchmark cites its source article; see the README of xhsxl."),
        ]
        for offset, (left, right) in enumerate(steps):
            ws.cell(9 + offset, 1, left).font = _BOLD
            ws.cell(9 + offset, 2, right).alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions["A"].width = 22
        ws.column_dimensions["B"].width = 100

    def inputs_sheet(self) -> None:
        ws = self.sheet("Inputs")
        self.title(ws, "Campaign inputs", "活动输入", "Yellow cells are yours to fill; everything else is computed.")
        self.header(ws, 3, ("Input", "输入项", "Value", "Unit", "Allowed", "Meaning"))
        row = 4
        rows: dict[str, int] = {}
        group = None
        for f in FIELDS:
            if f.group != group:
                group = f.group
                english, chinese = GROUPS[group]
                cell = ws.cell(row, 1, f"{english} · {chinese}")
                cell.font = _BOLD
                for column in range(1, 7):
                    ws.cell(row, column).fill = _GROUP_FILL
                row += 1
            self.input_row(ws, row, f)
            rows[f.key] = row
            row += 1
        for span, (first, last) in layout.SPANS.items():
            self.place.put(span, "Inputs", rows[first], 3, rows[last] - rows[first] + 1, 1)
            keys = [f.key for f in FIELDS]
            self.spans[span] = keys[keys.index(first):keys.index(last) + 1]
        ws.freeze_panes = "A4"
        for column, width in zip("ABCDEF", (34, 20, 22, 16, 16, 90)):
            ws.column_dimensions[column].width = width

    def input_row(self, ws: Worksheet, row: int, f: InputField) -> None:
        ws.cell(row, 1, f.label_en)
        ws.cell(row, 2, f.label_zh)
        cell = ws.cell(row, 3)
        self.input_cells[f.key] = cell
        _write_input(cell, f, self.inputs[f.key])
        cell.fill = _INPUT_FILL
        cell.border = _BOX
        cell.protection = _UNLOCKED
        cell.number_format = f.number_format
        ws.cell(row, 4, UNIT_LABELS[f.unit])
        ws.cell(row, 5, f.bounds_text() or (", ".join(f.choices) if f.choices else ""))
        ws.cell(row, 6, f.help).alignment = Alignment(wrap_text=False)
        cell.comment = Comment(f"{f.label_en} · {f.label_zh}\n{f.help}"
                               + (f"\nAllowed: {f.bounds_text()}" if f.bounds_text() else ""), "xhsxl", 160, 320)
        self.place.put(f.key, "Inputs", row, 3)
        validation = _validation(f)
        validation.add(cell.coordinate)
        ws.add_data_validation(validation)

    def results_sheet(self) -> None:
        ws = self.sheet("Results")
        self.title(ws, "Results", "结果", "Each value is an XHS_ function over the named input cells.")
        self.header(ws, 3, ("Result", "结果", "Value", "Unit", "Note"))
        row = 4
        for item in layout.RESULT_CELLS:
            self.result_row(ws, row, item)
            row += 1
        row += 1
        ws.cell(row, 1, "Working · 中间计算").font = _BOLD
        row += 1
        for item in layout.WORKING_CELLS:
            self.result_row(ws, row, item)
            row += 1
        self.table(ws, row + 1, layout.BREAKDOWN_TABLE)
        ws.freeze_panes = "A4"
        for column, width in zip("ABCDEFG", (38, 30, 18, 12, 16, 18, 12)):
            ws.column_dimensions[column].width = width

    def result_row(self, ws: Worksheet, row: int, item: layout.ComputedCell) -> None:
        ws.cell(row, 1, item.label_en)
        ws.cell(row, 2, item.label_zh)
        self.computed(ws, row, 3, item)
        ws.cell(row, 4, UNIT_LABELS[item.unit])
        ws.cell(row, 5, item.note)

    def allocation_sheet(self) -> None:
        ws = self.sheet("Allocation")
        self.title(ws, "Budget allocation", "预算分配",
                   "Rule-based plan from the articles' ranges, the stage split, and the optimised creator split.")
        row = 3
        for item in layout.ALLOCATION_CELLS:
            ws.cell(row, 1, f"{item.label_en} · {item.label_zh}").font = _BOLD
            self.computed(ws, row, 5, item)
            ws.cell(row, 6, item.note)
            row += 1
        row = self.table(ws, row + 1, layout.ALLOCATION_TABLE)
        row = self.table(ws, row, layout.STAGE_TABLE)
        ws.cell(row, 1, f"{layout.CREATOR_BUDGET.label_en} · {layout.CREATOR_BUDGET.label_zh}").font = _BOLD
        self.computed(ws, row, 5, layout.CREATOR_BUDGET)
        ws.cell(row, 6, layout.CREATOR_BUDGET.note)
        row += 2
        ws.cell(row, 1, "Tier response curves · 达人层级响应曲线").font = _BOLD
        row += 1
        self.header(ws, row, (*layout.CURVE_COLUMNS, "reference spend", "ROI 1:x at it"))
        first = row + 1
        for offset, curve in enumerate(layout.CURVE_ROWS):
            r = first + offset
            ws.cell(r, 1, curve.tier)
            ws.cell(r, 2, "power")
            spend_name, roas_name = f"reference_spend_{curve.tier}", f"roas_at_reference_{curve.tier}"
            self.computed(ws, r, 8, layout.ComputedCell(spend_name, "Reference spend", "参考投放", "CNY",
                                                          curve.reference_spend))
            self.computed(ws, r, 9, layout.ComputedCell(roas_name, "ROI 1:x", "投产比", "ratio",
                                                          Name(f"roas_{curve.tier}")))
            self.computed(ws, r, 3, layout.ComputedCell(f"scale_{curve.tier}", "Scale", "系数", "elasticity",
                                                          curve.scale))
            self.computed(ws, r, 4, layout.ComputedCell(f"elasticity_{curve.tier}", "Elasticity", "弹性",
                                                          "elasticity", Name("elasticity")))
            ws.cell(r, 5, 1.0)
            ws.cell(r, 6, curve.min_share).number_format = NUMBER_FORMATS["fraction"]
            ws.cell(r, 7, curve.max_share).number_format = NUMBER_FORMATS["fraction"]
        self.place.put("curves", "Allocation", first, 1, len(layout.CURVE_ROWS), len(layout.CURVE_COLUMNS))
        rows = []
        for curve in layout.CURVE_ROWS:
            computed = {2: f"scale_{curve.tier}", 3: f"elasticity_{curve.tier}"}
            constants = {0: curve.tier, 1: "power", 4: 1.0, 5: curve.min_share, 6: curve.max_share}
            keys = []
            for index in range(len(layout.CURVE_COLUMNS)):
                if index in computed:
                    keys.append(computed[index])
                else:
                    keys.append(f"curve_{curve.tier}_{index}")
                    self.inputs[keys[-1]] = constants[index]
            rows.append(keys)
        self.spans["curves"] = rows
        ws.cell(first + len(layout.CURVE_ROWS), 1,
                "Reference spend = creator budget × the midpoint of the tier's range (000); scale makes the curve "
                "pass through (reference spend, ROI 1:x × reference spend); min/max = the article ranges.").font = _SUBTITLE
        self.table(ws, first + len(layout.CURVE_ROWS) + 2, layout.OPTIMAL_TABLE)
        for column, width in zip("ABCDEFGHIJKL", (20, 18, 14, 14, 14, 14, 14, 16, 14, 14, 14, 40)):
            ws.column_dimensions[column].width = width
        ws.freeze_panes = "A3"

    def attribution_sheet(self) -> None:
        """The worked attribution example: a path table in yellow cells, credit tables over it, a chart."""
        ws = self.sheet("Attribution")
        self.title(ws, "Multi-touch attribution", "多触点归因",
                   "Who gets credit for a sale that followed several touches: last touch against exact Markov "
                   "removal effects.")
        channels = len(layout.ATTRIBUTION_CHANNELS)
        notes = (
            "Yellow cells: one journey pattern per row, channels in order separated by >, with its conversions, "
            "their value (¥) and the journeys along it that did not convert. Replace the example with your own "
            "paths; blank rows are ignored.",
            f"The tables below are fixed-size array formulas covering the example's {channels} channels (one row "
            "per channel plus the header). If your paths have more channels, resize each table: select it with "
            "the rows it needs, press F2, then Ctrl+Shift+Enter. Rows beyond your channels show #N/A.",
            "Markov needs the journeys that did not convert: without them every path converts and the credit is "
            "biased, so a blank column is an error, not a guess. Enter 0 where a path has none.",
        )
        for offset, note in enumerate(notes):
            ws.cell(3 + offset, 1, note).font = _SUBTITLE
        header_row = 3 + len(notes) + 1
        self.header(ws, header_row, [f"{english} · {chinese}" for _, english, chinese, _ in layout.ATTRIBUTION_COLUMNS])
        first = header_row + 1
        last = first + layout.ATTRIBUTION_INPUT_ROWS - 1
        for column, (name, english, _chinese, unit) in enumerate(layout.ATTRIBUTION_COLUMNS, start=1):
            self.place.put(name, ws.title, first, column, layout.ATTRIBUTION_INPUT_ROWS, 1)
            keys = []
            for offset in range(layout.ATTRIBUTION_INPUT_ROWS):
                example = layout.ATTRIBUTION_EXAMPLE[offset] if offset < len(layout.ATTRIBUTION_EXAMPLE) else None
                value = None if example is None else example[column - 1]
                key = f"{name}_{offset + 1}"
                self.inputs[key] = value if unit == "text" or value is None else float(value)
                keys.append(key)
                cell = ws.cell(first + offset, column)
                if isinstance(value, str):
                    write_text(cell, value)
                elif value is not None:
                    cell.value = float(value)
                cell.fill = _INPUT_FILL
                cell.border = _BOX
                cell.protection = _UNLOCKED
                cell.number_format = NUMBER_FORMATS[unit]
            self.spans[name] = keys
            letter = get_column_letter(column)
            if unit == "text":
                validation = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="500",
                                            allow_blank=True, showErrorMessage=True, error="At most 500 characters.")
            else:
                validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                                            allow_blank=True, showErrorMessage=True,
                                            error=f"{english} must be a number of at least 0.")
            validation.add(f"{letter}{first}:{letter}{last}")
            ws.add_data_validation(validation)
        row = last + 2
        chart_row = row
        for spec in layout.ATTRIBUTION_TABLES:
            row = self.table(ws, row, spec)
        ws.add_chart(self.chart(layout.ATTRIBUTION_CHART), f"F{chart_row}")
        for column, width in zip("ABCD", (46, 16, 16, 22)):
            ws.column_dimensions[column].width = width

    def dashboard_sheet(self) -> None:
        ws = self.sheet("Dashboard")
        self.title(ws, "Dashboard", "仪表盘")
        ws["A2"] = '=IF(client_name="","",client_name)'
        ws["A2"].font = _SUBTITLE
        outputs = {item.name: item for item in layout.RESULT_CELLS}
        tile_columns = (1, 3, 5, 7)
        for index, name in enumerate(layout.DASHBOARD_TILES):
            column = tile_columns[index % len(tile_columns)]
            row = 4 + 3 * (index // len(tile_columns))
            item = outputs[name]
            label = ws.cell(row, column, f"{item.label_en} · {item.label_zh}")
            label.font = Font(size=9, color="6B7280")
            label.alignment = Alignment(vertical="bottom")
            value = ws.cell(row + 1, column, f"={name}")
            value.font = Font(size=16, bold=True, color=_INK)
            value.number_format = NUMBER_FORMATS[item.unit]
            value.alignment = Alignment(horizontal="left", vertical="top")
            ws.row_dimensions[row + 1].height = 26
        for column in range(1, 9):
            ws.column_dimensions[get_column_letter(column)].width = 24 if column in tile_columns else 3
        for spec, anchor in zip(layout.CHARTS, ("A11", "E11", "A29", "E29")):
            ws.add_chart(self.chart(spec), anchor)

    def chart(self, spec: layout.ChartSpec) -> PieChart | BarChart:
        chart = PieChart() if spec.kind == "pie" else BarChart()
        chart.title = spec.title
        chart.width, chart.height = 13.5, 8.5
        for title, source, column, first, last in spec.series:
            data = self.reference(source, column, first, last)
            chart.add_data(data, titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=title)
        source, column, first, last = spec.categories
        chart.set_categories(self.reference(source, column, first, last))
        if isinstance(chart, BarChart):
            chart.type = "bar" if spec.name == "return_chart" else "col"
            chart.y_axis.numFmt = spec.number_format
            chart.y_axis.majorGridlines = None
            chart.legend.position = "b"
        return chart

    def reference(self, source: str, column: int, first: int, last: int) -> Reference:
        """Cells of a table (``column`` of the table, rows 1-based within it) or of an input span
        (``column`` of the sheet: 1 is the label, 3 the value)."""
        sheet, row, first_column, _rows, _columns = self.place.places[source]
        ws = self.sheets[sheet]
        if source in layout.SPANS:
            return Reference(ws, min_col=column, max_col=column, min_row=row + first - 1, max_row=row + last - 1)
        col = first_column + column - 1
        return Reference(ws, min_col=col, max_col=col, min_row=row + first - 1, max_row=row + last - 1)

    def conf_sheet(self) -> None:
        ws = self.sheet("xlwings.conf")
        ws["A1"] = "UDF Modules"
        ws["B1"] = "xhsxl.udfs"
        ws.column_dimensions["A"].width = 16
        ws.column_dimensions["B"].width = 16

    # ----------------------------------------------------------------------------------------- writing
    def write_formulas(self) -> None:
        for name in self.place.places:
            self.name(name)
        for ws, cell, name, expr in self.deferred:
            if not (self.static and calls_xhs(expr)):
                cell.value = "=" + expr.excel(self.place)
        for ws, spec, row, column in self.deferred_tables:
            if not self.static:
                ref = self.place.address(spec.name).split("!")[1].replace("$", "")
                ws.cell(row, column).value = ArrayFormula(ref, "=" + spec.expr.excel(self.place))
        self.write_static_values()

    def write_static_values(self) -> None:
        """In a static workbook, the values that stand in for XHS_ formulas (they depend on the campaign)."""
        if not self.static:
            return
        for ws, cell, name, expr in self.deferred:
            if calls_xhs(expr):
                _write_value(cell, self.evaluation.value(name))
        for ws, spec, row, column in self.deferred_tables:
            values = self.evaluation.value(spec.name)
            for r in range(spec.rows):
                for c in range(spec.columns):
                    if isinstance(values, CellError):
                        value = values if r == c == 0 else None
                    else:
                        value = values[r][c] if r < len(values) and c < len(values[r]) else None
                    _write_value(ws.cell(row + r, column + c), value)

    def bind(self, campaign: ClientCampaign) -> Workbook:
        """Put another campaign into the built workbook: its inputs, and in a static workbook its values.

        Everything else — layout, styles, names, validation, comments, charts — is the same for every
        campaign, so a batch builds it once per process and binds each client in turn.
        """
        self.campaign = campaign
        for f in FIELDS:
            self.inputs[f.key] = getattr(campaign, f.key)
            _write_input(self.input_cells[f.key], f, self.inputs[f.key])
        self.evaluation = _Evaluation(self.inputs, self.exprs, self.spans)
        self.write_static_values()
        self.wb.properties.title = _title(campaign)
        return self.wb

    def varying_sheets(self) -> set[str]:
        """Sheets whose content depends on the campaign: those holding inputs and, when static, values."""
        sheets = {cell.parent.title for cell in self.input_cells.values()}
        if self.static:
            sheets |= {ws.title for ws, _, _, expr in self.deferred if calls_xhs(expr)}
            sheets |= {ws.title for ws, _, _, _ in self.deferred_tables}
        return sheets

    def finish(self) -> Workbook:
        for ws in self.sheets.values():
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.orientation = "landscape"
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            if ws.title != "xlwings.conf":
                ws.protection.sheet = True
        self.wb.properties.creator = f"xhsxl {xhsxl.__version__}"
        self.wb.properties.title = _title(self.campaign)
        self.wb.properties.created = FIXED_TIME
        self.wb.properties.modified = FIXED_TIME
        return self.wb

    def build(self) -> Workbook:
        self.start_sheet()
        self.inputs_sheet()
        self.results_sheet()
        self.allocation_sheet()
        self.attribution_sheet()
        self.dashboard_sheet()
        self.conf_sheet()
        self.write_formulas()
        return self.finish()


def _write_input(cell: Cell, f: InputField, value: Any) -> None:
    if f.unit in ("text", "stage"):
        write_text(cell, str(value or ""))
    else:
        cell.value = None if value is None else float(value)


def _validation(f: InputField) -> DataValidation:
    """Data validation from the schema's bounds, with the label and help as the input message."""
    common = dict(showErrorMessage=True, showInputMessage=True, allow_blank=not f.required,
                  promptTitle=f.label_en[:32], prompt=f.help[:255], errorTitle=f.label_en[:32])
    if f.unit == "stage":
        return DataValidation(type="list", formula1='"' + ",".join(_STAGE_CHOICES) + '"',
                              error="Choose cold_start, growth or maturity (冷启动 / 成长期 / 成熟期).", **common)
    if f.unit == "text":
        return DataValidation(type="textLength", operator="lessThanOrEqual", formula1="200",
                              error="At most 200 characters.", **common)
    kind = "whole" if f.integer else "decimal"
    low = f.gt if f.gt is not None else f.ge
    error = f"{f.label_en} must be {f.bounds_text()}."
    if f.unit == "fraction":
        error += " Enter a percentage such as 30 % (or 0.3)."
    if f.le is not None:
        return DataValidation(type=kind, operator="between", formula1=_number(low), formula2=_number(f.le),
                              error=error, **common)
    return DataValidation(type=kind, operator="greaterThanOrEqual", formula1=_number(low), error=error, **common)


def _number(value: float | None) -> str:
    value = 0.0 if value is None else value
    return str(int(value)) if float(value).is_integer() else repr(value)


def _write_value(cell: Cell, value: Any) -> None:
    """A computed value in a static workbook; an error shows its message instead of a number.

    Computed text ("n/a", table labels, an error message) is ours, never a client's, and is stored as text
    without touching the cell's style, so the same cell has the same style for every client.
    """
    if isinstance(value, CellError):
        value = f"Error: {value.message}"
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value


def _title(campaign: ClientCampaign) -> str:
    return f"{campaign.client_name} — Xiaohongshu campaign economics"


def build_workbook(campaign: ClientCampaign | None = None, static: bool = False) -> Workbook:
    """The xhsxl workbook for ``campaign`` (the example case study when None), live or static."""
    return _Builder(campaign or example_campaign(), static).build()


class _FixedTimeZip(zipfile.ZipFile):
    """A zip archive whose members all carry the same timestamp, so equal workbooks are equal bytes."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: str | None = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        # openpyxl streams each worksheet through a temporary file; its mtime must not reach the archive.
        with open(filename, "rb") as source:
            self.writestr(arcname or os.path.basename(filename), source.read())


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx file of ``workbook``: deterministic (fixed document and member timestamps)."""
    return _serialise(workbook, ExcelWriter)


def _serialise(workbook: Workbook, writer: Callable[[Workbook, zipfile.ZipFile], ExcelWriter]) -> bytes:
    buffer = io.BytesIO()
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        writer(workbook, archive).save()
    return buffer.getvalue()


class WorkbookFactory:
    """Workbooks of many clients, one layout: built once per process, bound to each client in turn.

    ``factory.workbook_bytes(campaign)`` equals ``workbook_bytes(build_workbook(campaign, static))`` byte
    for byte, in a fraction of the time. The layout is built once; each client's inputs (and, when static,
    values) are written into it. The first workbook is saved by openpyxl in full and every part of the file
    is kept; for each later client only the parts that depend on the client — the worksheets holding its
    inputs or values, written by openpyxl's own worksheet writer, and the document properties — are made
    again, and the rest (styles, names, comments, charts, the other sheets) is reused as it was written.
    Tests hold the result to a fresh build's bytes for many clients in both modes.
    """

    def __init__(self, static: bool = False) -> None:
        self.static = static
        self._builder = _Builder(example_campaign(), static)
        self._builder.build()
        self._varying = self._builder.varying_sheets()
        self._parts: list[tuple[str, bytes]] | None = None

    def workbook_bytes(self, campaign: ClientCampaign) -> bytes:
        workbook = self._builder.bind(campaign)
        for ws in workbook.worksheets:
            # openpyxl learns each sheet's column outline level while writing and writes it from the second
            # save on; forget it, so every save of this object is a first save, as a fresh build's is.
            ws.column_dimensions.max_outline = None
        if self._parts is None:
            data = workbook_bytes(workbook)
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                self._parts = [(name, archive.read(name)) for name in archive.namelist()]
            return data
        fresh = {ws.path[1:]: ws for ws in workbook.worksheets if ws.title in self._varying}
        workbook.properties.created = FIXED_TIME
        workbook.properties.modified = FIXED_TIME
        buffer = io.BytesIO()
        with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name, kept in self._parts:
                if name in fresh:
                    kept = _worksheet_xml(fresh[name])
                elif name == ARC_CORE:
                    kept = tostring(workbook.properties.to_tree())
                archive.writestr(name, kept)
        return buffer.getvalue()


def _worksheet_xml(ws: Worksheet) -> bytes:
    """One worksheet's XML exactly as openpyxl writes it inside a full save."""
    writer = WorksheetWriter(ws)
    try:
        writer.write()
        with open(writer.out, "rb") as source:
            return source.read()
    finally:
        writer.cleanup()

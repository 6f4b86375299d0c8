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
import functools
import io
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

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
from openpyxl.writer.excel import ExcelWriter

import xhsxl
from xhsxl.core import figures
from xhsxl.core.planner.funnel import LINE_LABELS_ZH
from xhsxl.schema import (
    CHECKPOINT_CAPS_EXAMPLE, CHECKPOINT_EXAMPLE, FIELDS, GROUPS, NUMBER_FORMATS, UNIT_LABELS, ClientCampaign, InputField,
)
from xhsxl.workbook import layout
from xhsxl.workbook.formula import CellError, Expr, Name, calls_xhs
from xhsxl.workbook.sheet_xml import SheetXml

__all__ = [
    "build_workbook", "workbook_bytes", "WorkbookFactory", "example_campaign", "Placement", "write_text", "FIXED_TIME",
    "sheet_inputs",
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

    def cell_ref(self, name: str, row: int, column: int) -> str:
        """How a formula refers to one cell of a named block (1-based within it): by its address."""
        sheet, first_row, first_column, rows, columns = self.places[self.ref(name)]
        if not (1 <= row <= rows and 1 <= column <= columns):
            raise ValueError(f"{name} has {rows} × {columns} cells; there is no cell ({row}, {column})")
        return f"{quote_sheetname(sheet)}!${get_column_letter(first_column + column - 1)}${first_row + row - 1}"


class _Evaluation:
    """The value of every named cell for one campaign, computed on demand through the UDFs."""

    def __init__(self, inputs: dict[str, Any], exprs: dict[str, Expr], spans: dict[str, list[Any]],
                 known: dict[str, Any] | None = None) -> None:
        self._inputs = inputs
        self._exprs = exprs
        self._spans = spans
        self._values: dict[str, Any] = dict(known or {})
        self._busy: set[str] = set()

    def ref(self, name: str) -> str:  # pragma: no cover - evaluation never renders
        return name

    def cell_ref(self, name: str, row: int, column: int) -> str:  # pragma: no cover
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
    def __init__(self, campaign: ClientCampaign, static: bool, sheet_values: Mapping[str, Any] | None = None) -> None:
        self.campaign = campaign
        self.static = static
        #: What an analyst typed in the yellow cells outside the schema (tables, overrides), by input key;
        #: a key left out keeps the example's value.
        self.sheet_values = dict(sheet_values or {})
        #: Every such input: key -> (defined name of its block or cell, row and column offset in it).
        self.sheet_inputs: dict[str, tuple[str, int, int]] = {}
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
        self._campaign_dependence: dict[str, bool] | None = None
        self._static_plan: dict[bool, Any] = {}

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
            for offset, r in enumerate(range(first + 1, first + spec.rows)):
                cell = ws.cell(r, column)
                cell.border = _BOX
                shown = unit or (spec.row_units[offset] if offset < len(spec.row_units) else None)
                if shown:
                    cell.number_format = NUMBER_FORMATS[shown]
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
            ("4", "Planner (投放预测) forecasts that plan: funnel, revenue and ROI in a low / base / high band, findings."),
            ("5", "Checkpoints (检查点调配) moves the reserve to the lines that perform best at 24 h, 72 h and 7 days."),
            ("6", "Attribution (多触点归因) credits sales to channels from journey paths: last touch against exact Markov."),
            ("7", "Dashboard (仪表盘) shows the headline numbers and charts for the client."),
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

    def sheet_input(self, cell: Cell, key: str, block: str, offset: tuple[int, int], example: Any,
                    unit: str | None) -> None:
        """A yellow input cell outside the schema, part of the named ``block``: the example's value, or what
        the analyst typed there (``sheet_values``)."""
        value = self.sheet_values.get(key, example)
        value = value if value is None or isinstance(value, (str, bool)) else float(value)
        self.inputs[key] = value
        self.sheet_inputs[key] = (block, *offset)
        self.input_cell(cell, value, unit)

    def input_cell(self, cell: Cell, value: Any, unit: str | None) -> None:
        """A yellow, unlocked input cell outside the schema (an example an analyst overwrites)."""
        if isinstance(value, str):
            write_text(cell, value)
        elif isinstance(value, bool):
            cell.value = value
        elif value is not None:
            cell.value = float(value)
        cell.fill = _INPUT_FILL
        cell.border = _BOX
        cell.protection = _UNLOCKED
        if unit:
            cell.number_format = NUMBER_FORMATS[unit]

    def input_block(self, ws: Worksheet, row: int, column: int, name: str, values: list[list[Any]],
                    units: tuple[str | None, ...], row_units: tuple[str | None, ...] = (),
                    validated: tuple[bool, ...] | None = None) -> None:
        """A block of yellow input cells named as a whole (``name``), passed whole to XHS_ functions.

        ``values`` are the example's rows (None for blank); a cell is formatted by its column's unit, or else
        its row's. Columns marked in ``validated`` (default: all) accept text of at most 500 characters or a
        number of at least 0, by their unit.
        """
        self.place.put(name, ws.title, row, column, len(values), len(units))
        keys = []
        for r, row_values in enumerate(values):
            row_keys = []
            for c, value in enumerate(row_values):
                key = f"{name}_{r + 1}_{c + 1}"
                unit = units[c] or (row_units[r] if r < len(row_units) else None)
                self.sheet_input(ws.cell(row + r, column + c), key, name, (r, c), value, unit)
                row_keys.append(key)
            keys.append(row_keys)
        self.spans[name] = keys
        for c, unit in enumerate(units):
            if unit is None or (validated is not None and not validated[c]):
                continue
            self.column_validation(ws, column + c, row, row + len(values) - 1, unit)

    def column_validation(self, ws: Worksheet, column: int, first: int, last: int, unit: str,
                          number_error: str = "Enter a number of at least 0.") -> None:
        """Validation of a column of yellow inputs: text of at most 500 characters, or a number of at least 0."""
        if unit == "text":
            validation = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="500",
                                        allow_blank=True, showErrorMessage=True, error="At most 500 characters.")
        else:
            validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                                        allow_blank=True, showErrorMessage=True, error=number_error)
        letter = get_column_letter(column)
        validation.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(validation)

    def named_input(self, ws: Worksheet, row: int, column: int, name: str, unit: str) -> None:
        """One blank yellow input cell of its own name (an optional override: blank means the default)."""
        self.place.put(name, ws.title, row, column)
        cell = ws.cell(row, column)
        self.sheet_input(cell, name, name, (0, 0), None, unit)
        validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                    showErrorMessage=True, error="Enter an amount of at least 0, or leave it blank.")
        validation.add(cell.coordinate)
        ws.add_data_validation(validation)

    def wrap_header(self, ws: Worksheet, row: int, first: int = 1, last: int | None = None) -> None:
        """Wrap a header row's long labels on two lines (snake_case names break at their underscores)."""
        for column in range(first, (last or ws.max_column) + 1):
            cell = ws.cell(row, column)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.row_dimensions[row].height = 30

    def notes(self, ws: Worksheet, row: int, notes: Iterable[str]) -> int:
        """Grey explanatory lines from ``row``; return the row below them."""
        for text in notes:
            ws.cell(row, 1, text).font = _SUBTITLE
            row += 1
        return row

    def planner_sheet(self) -> None:
        """The forecast of the planned budget: lines in (the plan, overridable), funnel band, per line, findings,
        and an optional calibration of the benchmarks on the client's past campaigns."""
        ws = self.sheet("Planner")
        self.title(ws, "Campaign planner", "投放预测",
                   "Before the campaign: what the planned budget should bring — funnel, revenue and ROI in a low / "
                   "base / high band, line by line, with findings.")
        row = self.notes(ws, 3, (
            "The budget lines are the Allocation sheet's rule-based plan of the next budget (Inputs). Type an amount "
            "in a yellow cell to forecast another plan; clear it to follow the plan again.",
            "Brand stage (the share of sales made on Tmall, JD and offline), gross margin, refunds and commission come "
            "from Inputs. Benchmarks are the case-study defaults unless you fill the yellow block at the bottom.",
            "n/a in the forecast: gross margin × (1 − refund rate) must exceed the platform commission on Inputs, or "
            "no sale covers its own cost.",
        ))
        row += 1
        for item in (layout.PLANNER_BUDGET, layout.PLANNER_ROI):
            ws.cell(row, 1, f"{item.label_en} · {item.label_zh}").font = _BOLD
            self.computed(ws, row, 2, item)
            ws.cell(row, 3, item.note)
            row += 1
        ws.cell(row, 1, "Brand stage · 品牌阶段").font = _BOLD
        stage = ws.cell(row, 2, '=IF(brand_stage="","",brand_stage)')
        stage.alignment = Alignment(horizontal="right")
        stage.border = _BOX
        ws.cell(row, 3, "From Inputs; blank means direct sales only.")
        row += 2

        self.header(ws, row, ("Budget line · 预算项", "Forecast ¥ · 预测投入", "Allocation plan ¥ · 方案金额",
                              "Your amount ¥ · 自定金额", "中文"))
        ws.row_dimensions[row].height = 30
        first = row + 1
        for offset, line in enumerate(layout.PLANNER_LINES):
            r = first + offset
            plan, override, amount = layout.planner_line_cells(line)
            write_text(ws.cell(r, 1), line)
            self.inputs[f"planner_line_{line}"] = line
            self.computed(ws, r, 2, amount)
            self.computed(ws, r, 3, plan)
            self.named_input(ws, r, 4, override, "CNY")
            ws.cell(r, 5, LINE_LABELS_ZH[line])
        count = len(layout.PLANNER_LINES)
        self.place.put("planner_lines", ws.title, first, 1, count, 2)
        self.spans["planner_lines"] = [[f"planner_line_{line}", f"planner_amount_{line}"] for line in layout.PLANNER_LINES]
        self.place.put("planner_amounts", ws.title, first, 2, count, 1)
        self.spans["planner_amounts"] = [f"planner_amount_{line}" for line in layout.PLANNER_LINES]
        row = first + count + 1

        chart_row = row
        row = self.table(ws, row, layout.FORECAST_TABLE)
        ws.cell(row, 1, "Projected band · 预测区间").font = _BOLD
        band = row + 1
        header = ["Case · 情形", *(f"{english} · {chinese}" for _key, english, chinese, _unit in layout.BAND_COLUMNS)]
        for column, text in enumerate(header, start=1):
            cell = ws.cell(band, column, text)
            cell.font = _BOLD
            cell.fill = _TABLE_HEADER_FILL
            cell.border = _BOX
        for offset, (case, chinese) in enumerate(layout.BAND_CASES, start=1):
            label = ws.cell(band + offset, 1, f"{case} · {chinese}")
            label.border = _BOX
            for column, (metric, *_rest) in enumerate(layout.BAND_COLUMNS, start=2):
                self.computed(ws, band + offset, column, layout.band_cell(case, metric))
        self.place.put("forecast_band", ws.title, band, 1, 1 + len(layout.BAND_CASES), len(header))
        ws.add_chart(self.chart(layout.PLANNER_CHART), f"H{chart_row}")
        row = band + len(layout.BAND_CASES) + 2

        self.wrap_header(ws, row + 1, 1, layout.FORECAST_LINES_TABLE.columns)
        row = self.table(ws, row, layout.FORECAST_LINES_TABLE)
        for spec in layout.RECOMMENDATION_TABLES:
            row = self.table(ws, row, spec)

        ws.cell(row, 1, "Your own benchmarks (optional) · 自定义基准").font = _BOLD
        row = self.notes(ws, row + 1, (
            "1. Past campaigns of the client in the yellow rows below (the example is a beauty brand's); blank rows "
            "are ignored, visits may be left blank.",
            "2. The calibration table fits CPM, engagement rate, CTR, CVR, AOV and the curvature to them, with "
            "standard errors.",
            "3. To forecast on them, copy the calibration table and paste its values into the yellow benchmarks "
            "block (header included); rows left blank keep the defaults. Clear the block to return to the defaults.",
        ))
        self.header(ws, row, [f"{english} · {chinese}" for english, chinese, _unit in layout.HISTORY_COLUMNS])
        ws.row_dimensions[row].height = 30
        first = row + 1
        examples = [list(example) for example in layout.HISTORY_EXAMPLE]
        examples += [[None] * len(layout.HISTORY_COLUMNS)] * (layout.HISTORY_INPUT_ROWS - len(examples))
        units = tuple(unit for _english, _chinese, unit in layout.HISTORY_COLUMNS)
        self.input_block(ws, first, 1, "planner_history_campaigns", [r[:1] for r in examples], units[:1])
        self.input_block(ws, first, 2, "planner_history", [r[1:] for r in examples], units[1:])
        row = self.table(ws, first + layout.HISTORY_INPUT_ROWS + 1, layout.CALIBRATION_TABLE)
        ws.cell(row, 1, "Benchmarks the forecasts read (paste values here) · 预测所用基准").font = _BOLD
        block = [list(layout.BENCHMARKS_BLOCK_HEADER)] + [[None] * len(layout.BENCHMARKS_BLOCK_HEADER)
                                                           for _ in range(layout.BENCHMARKS_BLOCK_ROWS - 1)]
        row_units = (None, *(layout.BENCHMARK_UNITS[name] for name in layout.BENCHMARK_ROWS))
        self.input_block(ws, row + 1, 1, "planner_benchmarks", block, (None,) * len(layout.BENCHMARKS_BLOCK_HEADER),
                         row_units)
        for column, width in zip("ABCDEFGHIJKLMN", (40, 18, 18, 18, 16, 16, 24, 16, 16, 16, 14, 14, 14, 16)):
            ws.column_dimensions[column].width = width

    def checkpoints_sheet(self) -> None:
        """Steering during the campaign: checkpoint results in, the reserve reallocated out, with a chart."""
        ws = self.sheet("Checkpoints")
        self.title(ws, "Checkpoints and reserve reallocation", "检查点与预留预算调配",
                   "During the campaign: move the reserve to the lines that perform best at 24 h, 72 h and 7 days "
                   "(article 000).")
        lines = len(layout.CHECKPOINT_LINES)
        row = self.notes(ws, 3, (
            "Each line's curve is fitted to its checkpoints (elasticity 0.686 from article 003 for a line with one); "
            "the reserve goes where the next ¥ returns most until the lines' marginal returns are equal, within the "
            "caps. The amounts add up to the reserve exactly.",
            "Yellow cells: one row per line and checkpoint, with the line's cumulative spend and result so far "
            "(revenue ¥, or conversions or engagements: one kind in every row). Replace the example; blank rows are "
            "ignored; a row with blank spend and result is a checkpoint not reached yet.",
            f"The table is a fixed-size array formula for the example's {lines} lines (header, one row per line, "
            "total). For other lines, resize it: select the table with 2 + your lines rows, press F2, then "
            "Ctrl+Shift+Enter. Rows beyond your lines show #N/A.",
            "n/a in the table: there is no reserve to reallocate (a reserve share of 0 on Inputs and no amount typed).",
        ))
        row += 1
        ws.cell(row, 1, "Your reserve ¥ (optional) · 自定调配金额").font = _BOLD
        self.named_input(ws, row, 2, "reserve_override", "CNY")
        ws.cell(row, 3, "What is left to reallocate, if not the planned reserve.")
        row += 1
        item = layout.RESERVE_TO_REALLOCATE
        ws.cell(row, 1, f"{item.label_en} · {item.label_zh}").font = _BOLD
        self.computed(ws, row, 2, item)
        ws.cell(row, 3, item.note)
        row += 2

        self.header(ws, row, [f"{english} · {chinese}" for english, chinese, _unit in layout.CHECKPOINT_COLUMNS])
        caps_column = len(layout.CHECKPOINT_COLUMNS) + 2
        for offset, text in enumerate(("Line · 渠道", "Most extra ¥ · 追加上限")):
            cell = ws.cell(row, caps_column + offset, text)
            cell.font = _HEADER
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.row_dimensions[row].height = 30
        first = row + 1
        examples: list[list[Any]] = [list(example) for example in CHECKPOINT_EXAMPLE]
        examples += [[None] * len(layout.CHECKPOINT_COLUMNS)] * (layout.CHECKPOINT_INPUT_ROWS - len(examples))
        units = tuple(unit for _english, _chinese, unit in layout.CHECKPOINT_COLUMNS)
        # Hours are read as 24, "72h" or "7d": no number-only validation on them.
        self.input_block(ws, first, 1, "checkpoints", examples, units, validated=(True, False, True, True))
        caps: list[list[Any]] = [list(cap) for cap in CHECKPOINT_CAPS_EXAMPLE]
        caps += [[None, None]] * (layout.CAPS_INPUT_ROWS - len(caps))
        self.input_block(ws, first, caps_column, "reallocation_caps", caps, ("text", "CNY"))
        self.wrap_header(ws, first + layout.CHECKPOINT_INPUT_ROWS + 2, 1, layout.REALLOCATION_TABLE.columns)
        self.table(ws, first + layout.CHECKPOINT_INPUT_ROWS + 1, layout.REALLOCATION_TABLE)
        ws.add_chart(self.chart(layout.REALLOCATION_CHART), f"{get_column_letter(caps_column + 3)}{row}")
        for column, width in zip("ABCDEFGHIJKLMNO", (36, 16, 16, 18, 16, 18, 16, 14, 14, 14, 14, 14, 14, 14, 10)):
            ws.column_dimensions[column].width = width

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
                key = f"{name}_{offset + 1}"
                self.sheet_input(ws.cell(first + offset, column), key, name, (offset, 0),
                                 None if example is None else example[column - 1], unit)
                keys.append(key)
            self.spans[name] = keys
            self.column_validation(ws, column, first, last, unit, f"{english} must be a number of at least 0.")
        row = last + 2
        chart_row = row
        for spec in layout.ATTRIBUTION_TABLES:
            row = self.table(ws, row, spec)
        ws.add_chart(self.chart(layout.ATTRIBUTION_CHART), f"F{chart_row}")
        self.touch_log(ws, row)
        for column, width in zip("ABCD", (46, 16, 16, 22)):
            ws.column_dimensions[column].width = width

    def touch_log(self, ws: Worksheet, row: int) -> None:
        """Under the path-table example: a touch log in yellow cells and its time-decay credit."""
        ws.cell(row, 1, "Time decay from a touch log · 时间衰减归因").font = _BOLD
        row = self.notes(ws, row + 1, (
            "Time decay gives a touch half the credit of one 7 days later; it needs when each touch happened, "
            "which a path table does not hold. One row per touch: the shopper, the day (a date or a number of "
            "days), the channel, TRUE on the touch where they bought, and that order's value.",
            "Each shopper's touches up to a purchase form one journey (30-day lookback); touches after their last "
            "purchase form one that did not convert. Replace the example; blank rows are ignored.",
        ))
        self.header(ws, row, [f"{english} · {chinese}" for _, english, chinese, _ in layout.TOUCH_COLUMNS])
        ws.row_dimensions[row].height = 30
        first = row + 1
        examples = [list(example) for example in layout.TOUCH_EXAMPLE]
        examples += [[None] * len(layout.TOUCH_COLUMNS)] * (layout.TOUCH_INPUT_ROWS - len(examples))
        for column, (name, _english, _chinese, unit) in enumerate(layout.TOUCH_COLUMNS, start=1):
            # TRUE/FALSE takes no number validation; days, amounts and text do
            self.input_block(ws, first, column, name, [[example[column - 1]] for example in examples], (unit,),
                             validated=(unit != "flag",))
        self.table(ws, first + layout.TOUCH_INPUT_ROWS + 1, layout.TIME_DECAY_TABLE)

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

    def write_static_values(self, varying_only: bool = False) -> None:
        """In a static workbook, the values that stand in for XHS_ formulas; ``varying_only``: only those that
        depend on the campaign (the others hold the worked examples' values from the build)."""
        if not self.static:
            return
        cells, tables = self._static_places(varying_only)
        for cell, name in cells:
            _write_value(cell, self.evaluation.value(name))
        for name, grid in tables:
            values = self.evaluation.value(name)
            for r, row in enumerate(grid):
                for c, cell in enumerate(row):
                    if isinstance(values, CellError):
                        value = values if r == c == 0 else None
                    elif not isinstance(values, list):
                        value = values  # one value (n/a): Excel repeats it over the whole array range
                    else:
                        value = values[r][c] if r < len(values) and c < len(values[r]) else None
                    _write_value(cell, value)

    def _static_places(self, varying_only: bool) -> tuple[list[tuple[Cell, str]], list[tuple[str, list[list[Cell]]]]]:
        """The cells a static workbook fills with values: single cells with their names, and each table's grid."""
        if varying_only not in self._static_plan:
            wanted = self.depends_on_campaign if varying_only else (lambda name: True)
            cells = [(cell, name) for _, cell, name, expr in self.deferred if calls_xhs(expr) and wanted(name)]
            tables = [(spec.name, [[ws.cell(row + r, column + c) for c in range(spec.columns)] for r in range(spec.rows)])
                      for ws, spec, row, column in self.deferred_tables if wanted(spec.name)]
            self._static_plan[varying_only] = (cells, tables)
        return self._static_plan[varying_only]

    def bind(self, campaign: ClientCampaign) -> Workbook:
        """Put another campaign into the built workbook: its inputs, and in a static workbook its values.

        Everything else — layout, styles, names, validation, comments, charts — is the same for every
        campaign, so a batch builds it once per process and binds each client in turn.
        """
        self.campaign = campaign
        for f in FIELDS:
            self.inputs[f.key] = getattr(campaign, f.key)
            _write_input(self.input_cells[f.key], f, self.inputs[f.key])
        # The worked examples' tables (attribution, calibration) read no campaign input: computed once.
        known = None
        if self.static:
            known = {name: self.evaluation.value(name) for name in self.exprs if not self.depends_on_campaign(name)}
        self.evaluation = _Evaluation(self.inputs, self.exprs, self.spans, known)
        self.write_static_values(varying_only=True)
        self.wb.properties.title = _title(campaign)
        return self.wb

    def depends_on_campaign(self, name: str) -> bool:
        """Whether a campaign input (a schema field) reaches the named cell, span or table."""
        if self._campaign_dependence is None:
            self._campaign_dependence = {}
        known = self._campaign_dependence
        if name not in known:
            known[name] = True  # while looking (a layout has no cycles; if it had, assume the worst)
            if name in self.input_cells:
                depends = True
            elif name in self.exprs:
                depends = any(self.depends_on_campaign(other) for other in self.exprs[name].names())
            elif name in self.spans:
                keys = [k for key in self.spans[name] for k in ([key] if isinstance(key, str) else key)]
                depends = any(self.depends_on_campaign(key) for key in keys)
            else:
                depends = False  # a constant of the layout or an example input
            known[name] = depends
        return known[name]

    def varying_sheets(self) -> set[str]:
        """Sheets whose content depends on the campaign: those holding inputs and, when static, values computed
        from them (a table over a worked example alone is the same for every campaign)."""
        sheets = {cell.parent.title for cell in self.input_cells.values()}
        if self.static:
            sheets |= {ws.title for ws, _, name, expr in self.deferred
                       if calls_xhs(expr) and self.depends_on_campaign(name)}
            sheets |= {ws.title for ws, spec, _, _ in self.deferred_tables if self.depends_on_campaign(spec.name)}
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
        self.planner_sheet()
        self.checkpoints_sheet()
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
    old = cell._value
    same = old.__class__ is value.__class__ and old == value and (old.__class__ is not str or cell.data_type == "s")
    if same and value != 0:
        return  # as it was (a zero is written again: 0.0 and -0.0 are equal but not written alike)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value


def _title(campaign: ClientCampaign) -> str:
    return f"{campaign.client_name} — Xiaohongshu campaign economics"


def build_workbook(campaign: ClientCampaign | None = None, static: bool = False,
                   sheet_values: Mapping[str, Any] | None = None) -> Workbook:
    """The xhsxl workbook for ``campaign`` (the example case study when None), live or static.

    ``sheet_values``: what an analyst typed in the yellow cells outside the schema (attribution paths,
    calibration history, benchmarks, checkpoints, caps, overrides), by the keys of :func:`sheet_inputs`, as
    :func:`xhsxl.workbook.read.read_inputs` reads them; keys left out keep the worked examples.
    """
    builder = _Builder(campaign or example_campaign(), static, sheet_values)
    unknown = set(builder.sheet_values) - set(sheet_inputs())
    if unknown:
        raise KeyError(f"no such input cell outside the schema: {', '.join(sorted(unknown))}")
    return builder.build()


@functools.lru_cache(maxsize=1)
def sheet_inputs() -> dict[str, tuple[str, int, int]]:
    """The yellow input cells outside the schema: key -> (defined name of the block or cell holding it, row
    and column offset inside it). A reader finds them by the defined name, wherever the analyst moved it."""
    builder = _Builder(example_campaign(), False)
    builder.build()
    return dict(builder.sheet_inputs)


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
    inputs or values and the document properties — are made again, and the rest (styles, names, comments,
    charts, the other sheets) is reused as it was written. Within those worksheets only the cells whose
    content changed are serialised again, by openpyxl's cell writer (:class:`~xhsxl.workbook.sheet_xml.SheetXml`).
    Tests hold the result to a fresh build's bytes for many clients in both modes.
    """

    def __init__(self, static: bool = False) -> None:
        self.static = static
        self._builder = _Builder(example_campaign(), static)
        self._builder.build()
        self._varying = self._builder.varying_sheets()
        self._parts: list[tuple[str, bytes]] | None = None
        self._sheets: dict[str, SheetXml] = {}

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
            parts = dict(self._parts)
            self._sheets = {ws.path[1:]: SheetXml(ws, parts[ws.path[1:]])
                            for ws in workbook.worksheets if ws.title in self._varying}
            return data
        workbook.properties.created = FIXED_TIME
        workbook.properties.modified = FIXED_TIME
        buffer = io.BytesIO()
        with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name, kept in self._parts:
                if name in self._sheets:
                    kept = self._sheets[name].xml()
                elif name == ARC_CORE:
                    kept = tostring(workbook.properties.to_tree())
                archive.writestr(name, kept)
        return buffer.getvalue()


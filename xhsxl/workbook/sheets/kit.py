"""What every sheet of the workbook is drawn with: the declarations a sheet makes and the kit that draws them.

A sheet module declares what it shows — computed cells (:class:`ComputedCell`), array-formula tables
(:class:`TableSpec`), yellow input blocks (:class:`InputBlock`), charts (:class:`ChartSpec`) and its worked
example — and a ``draw`` function that places them with a :class:`Kit`: styles, a title, a header row, a table,
an input block, notes, a chart. The kit records where each named thing went (:class:`Placement`) and each
formula to write; :mod:`xhsxl.workbook.template` writes formulas or values once every name is placed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Mapping, Union

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.drawing.text import CharacterProperties
from openpyxl.chart.title import Title, title_maker
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xhsxl.schema import FIELDS, NUMBER_FORMATS, SPANS, UNIT_LABELS, ClientCampaign, Unit
from xhsxl.workbook.formula import NOT_APPLICABLE, Env, Expr, If, Refs

__all__ = [
    "Sheet", "ComputedCell", "TableSpec", "ChartSpec", "InputBlock", "Kit", "Placement", "write_text",
    "INK", "ACCENT", "INPUT_FILL", "HEADER_FILL", "GROUP_FILL", "TABLE_HEADER_FILL", "TITLE", "SUBTITLE", "HEADER",
    "BOLD", "BOX", "UNLOCKED", "FROZEN_FILL", "LOCKED", "HINT", "SheetUnit", "FRACTIONAL_COUNT", "DATA_NEEDED",
    "WORKED_EXAMPLE", "Filled", "when_filled", "switched_table", "data_status_cell", "shown_as", "number_format", "LABELS", "labels",
    "chart_title_text", "text_width", "wrapped_lines", "shown_text",
]

INK = "1F2937"
ACCENT = "C0392B"  # Xiaohongshu red
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor=ACCENT)
GROUP_FILL = PatternFill("solid", fgColor="F3F4F6")
TABLE_HEADER_FILL = PatternFill("solid", fgColor="FDEDEC")
TITLE = Font(name="Calibri", size=16, bold=True, color=ACCENT)
SUBTITLE = Font(name="Calibri", size=11, italic=True, color="6B7280")
HEADER = Font(name="Calibri", bold=True, color="FFFFFF")
BOLD = Font(name="Calibri", bold=True, color=INK)
_THIN = Side(style="thin", color="D1D5DB")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
UNLOCKED = Protection(locked=False)
#: An input of a static copy that feeds only frozen values: grey and locked, since typing there changes nothing.
FROZEN_FILL = PatternFill("solid", fgColor="E5E7EB")
LOCKED = Protection(locked=True)
HINT = Font(name="Calibri", size=10, italic=True, color="9CA3AF")

#: A unit a sheet may show beyond the schema's: a count that can be fractional (0.5 orders a month, 0.656
#: time-decay conversions, 2.5 creators) keeps its decimals, where the schema's count format would round to 1.
SheetUnit = Union[Unit, Literal["fractional count"]]
FRACTIONAL_COUNT = "#,##0.0##"
_SHEET_FORMATS: dict[str, str] = {**NUMBER_FORMATS, "fractional count": FRACTIONAL_COUNT}

#: What a result over an analyst's own block says while the block is empty (a client workbook starts so).
DATA_NEEDED = "n/a — add your data · 请先填写数据"
#: The mark of a worked example on the template's sheets.
WORKED_EXAMPLE = "Worked example — replace with your own · 示例数据，请替换为您自己的数据"


#: What a person reads for each code a table function returns in its header or first column (English · 中文).
LABELS: dict[str, str] = {
    # allocation plan, stage split, optimised split
    "line": "Line · 渠道", "group": "Group · 类别", "share_of_total": "Share of total · 占总预算",
    "share_of_group": "Share of group · 占本类", "amount": "Amount ¥ · 金额", "recommended_low": "Range low · 建议下限",
    "recommended_high": "Range high · 建议上限", "in_range": "In range · 是否在区间内",
    "creators_low": "Creators, fewest · 达人数（少）", "creators_typical": "Creators, typical · 达人数（常见）",
    "creators_high": "Creators, most · 达人数（多）", "source": "Source · 来源", "stage": "Stage · 阶段",
    "share": "Share · 占比", "tier": "Tier · 层级", "curve": "Curve · 曲线", "min_share": "Min share · 最低占比",
    "max_share": "Max share · 最高占比", "expected_return": "Expected return ¥ · 预期回报",
    "average_roi": "Average ROI · 平均回报率", "marginal_return": "Next ¥ returns · 边际回报", "binding": "Limit hit · 触及上下限",
    # budget lines and tiers
    "reserve": "Reserve · 预留调整预算", "content_production": "Content production · 内容制作",
    "paid_ads": "Paid ads · 付费广告", "tech_analytics": "Tech & analytics · 技术分析", "creators": "Creators · 达人",
    "creators_top": "  Top-tier KOLs · 头部达人", "creators_mid": "  Mid-tier KOLs · 腰部达人",
    "creators_micro": "  Micro KOCs · 初级达人/KOC", "creators_nano": "  Nano creators · 素人",
    "top": "Top-tier KOLs · 头部达人", "mid": "Mid-tier KOLs · 腰部达人", "micro": "Micro KOCs · 初级达人/KOC",
    "nano": "Nano creators · 素人", "total": "Total · 合计",
    # brand stages
    "cold_start": "Cold start · 冷启动", "growth": "Growth · 成长期", "maturity": "Maturity · 成熟期",
    # forecast
    "spend": "Spend ¥ · 花费", "impressions": "Impressions · 曝光", "engagements": "Engagements · 互动",
    "visits": "Visits · 访问", "direct_conversions": "Conversions on XHS · 站内转化",
    "cross_platform_conversions": "Conversions off XHS · 站外转化", "conversions": "Conversions · 转化",
    "direct_revenue": "Revenue on XHS ¥ · 站内销售额", "cross_platform_revenue": "Revenue off XHS ¥ · 站外销售额",
    "revenue": "Revenue ¥ · 销售额", "roi": "ROI · 投资回报率", "roas": "ROI 1:x · 投产比", "profit": "Profit ¥ · 利润",
    "profit_roi": "Profit ROI · 利润回报率", "breakeven_roas": "Break-even 1:x · 盈亏平衡投产比",
    "spillover_share": "Share sold off XHS · 站外销售占比", "marginal_roas": "Next ¥ brings, 1:x · 边际投产比",
    "marginal_roi": "Next ¥ returns · 边际回报率", "flattening_spend": "Spend where returns flatten ¥ · 收益趋缓点",
    "指标": "中文", "unit": "Unit · 单位", "low": "Low · 低", "base": "Base · 基准", "high": "High · 高",
    # calibration
    "benchmark": "Benchmark · 基准", "std_error": "Std. error · 标准误", "residual_sd": "Residual SD · 残差标准差", "cpm": "CPM ¥ · 千次曝光成本",
    "engagement_rate": "Engagement rate · 互动率", "ctr": "Click-through rate · 点击率", "cvr": "Conversion rate · 转化率",
    "aov": "Average order ¥ · 客单价", "cpm_curvature": "CPM curvature · CPM曲率",
    "cvr_curvature": "CVR curvature · 转化率曲率", "elasticity": "Elasticity · 弹性",
    "reference_spend": "Reference spend ¥ · 参考投放",
    # reallocation
    "checkpoint_hours": "Hours since launch · 上线小时数", "spend_so_far": "Spend so far ¥ · 累计花费",
    "result_so_far": "Result so far · 累计结果", "base_spend": "Curve's spend ¥ · 曲线基准花费",
    "return_per_yuan": "Result per ¥ · 每元回报", "marginal_before": "Next ¥, before · 调配前边际",
    "cap": "Most extra ¥ · 追加上限", "share_of_reserve": "Share of reserve · 占预留比例",
    "marginal_after": "Next ¥, after · 调配后边际", "expected_gain": "Expected gain · 预期增量",
    # attribution
    "value": "Value ¥ · 金额", "removal_effect": "Removal effect · 移除效应",
    "value_removal_effect": "Value removal effect · 金额移除效应",
    # blended return breakdown
    "label": "Component · 回报项", "标签": "中文", "weight": "Weight · 权重", "weighted value": "Weighted ¥ · 加权金额",
    "direct": "Direct sales", "cross_platform": "Cross-platform sales", "new_customers": "New customers × CLV",
    "engagement": "Engagement value", "brand": "Brand value",
}


def labels(codes: Iterable[str]) -> tuple[str, ...]:
    """The labels of ``codes`` (a code without one keeps itself)."""
    return tuple(LABELS.get(code, code) for code in codes)


#: Points per line of 11 pt text, and the widths Excel gives a column without one.
LINE_HEIGHT = 15.0
DEFAULT_WIDTH = 8.43


def text_width(text: str, bold: bool = False) -> float:
    """Width of ``text`` in Excel's column-width units (one digit wide): a Chinese character is two, a capital or
    a digit one, a lower-case letter, a space or a mark 0.75, or 0.85 in bold (the proportional fonts' averages
    on LibreOffice's rendering of these sheets)."""
    small = 0.85 if bold else 0.75
    return float(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 if ch.isupper() or ch.isdigit() else small
                     for ch in text))


def wrapped_lines(text: str, width: float, bold: bool = False) -> int:
    """Lines ``text`` takes wrapped in a column ``width`` wide: words break at spaces, Chinese anywhere.
    A twentieth of the width and half a character are kept free for the cell's padding and bold letters."""
    room = max(1.0, width * 0.95 - 0.5)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in _words(paragraph):
            need = text_width(word, bold)
            if used and used + need > room:
                lines += 1
                used = 0.0
            while need > room:  # a word longer than the column: broken where it must be
                lines += 1
                need -= room
            used += need
    return lines


def _words(text: str) -> list[str]:
    words: list[str] = []
    for word in text.split(" "):
        if any(unicodedata.east_asian_width(ch) in "WF" for ch in word):
            words.extend(ch for ch in word)  # Chinese breaks between any two characters
        else:
            words.append(word + " ")
    return words


def shown_text(cell: Cell) -> str:
    """The text a person reads in ``cell`` when it holds text: its label (:func:`shown_as`), else its value;
    "" for a number or a formula (known only once computed)."""
    fmt = cell.number_format or ""
    if fmt.startswith(';;;"') and fmt.endswith('"'):
        return fmt[4:-1]
    value = cell.value
    if isinstance(value, str) and not value.startswith("="):
        return value
    return ""


def number_format(unit: str) -> str:
    """The number format a sheet shows ``unit`` in: the schema's, or a sheet-only unit's."""
    return _SHEET_FORMATS[unit]


def shown_as(label: str) -> str:
    """A number format that shows ``label`` in place of any text the cell holds.

    A table's header and row keys are codes the functions read and write (``return_per_yuan``,
    ``content_production``); the cell keeps the code, so formulas, readers and copies see what they always
    saw, and a person sees the label (Excel and LibreOffice both honour a format's text section).
    """
    return ';;;"' + label.replace('"', "'") + '"'


@dataclass(frozen=True, eq=False)
class Filled(Expr):
    """True when any cell of the named block holds something (``COUNTA(block)>0``): the analyst's data is in."""

    name: str

    def excel(self, env: Refs) -> str:
        return f"(COUNTA({env.ref(self.name)})>0)"

    def evaluate(self, env: Env) -> Any:
        return any(cell not in (None, "") for row in env.span(self.name) for cell in row)

    def names(self) -> set[str]:
        return {self.name}


def data_status_cell(name: str, block: str, switch: tuple[Expr, str] | None = None) -> ComputedCell:
    """A cell reading :data:`DATA_NEEDED` while ``block`` (the analyst's own data) is empty, else nothing: a
    native formula, so it follows the analyst's typing in every copy, live or static. ``switch``: (condition,
    other block) — while the condition holds, the data is read from the other block instead."""
    status = If(Filled(block), "", DATA_NEEDED)
    if switch is not None:
        condition, other = switch
        status = If(condition, If(Filled(other), "", DATA_NEEDED), status)
    return ComputedCell(name, "Status", "状态", "text", status)


def when_filled(block: str, expr: Expr) -> If:
    """``expr`` once ``block`` (the analyst's own data) holds something; n/a while it is empty, with the
    reason in a status cell beside the table (:func:`data_status_cell`)."""
    return If(Filled(block), expr, NOT_APPLICABLE)


def switched_table(condition: Expr, pasted: tuple[str, Expr], typed: tuple[str, Expr]) -> If:
    """A table read from pasted data while ``condition`` holds (the Inputs sheet's switch), else from the
    analyst's typed block: each (block, expression) as :func:`when_filled` takes them."""
    return If(condition, when_filled(*pasted), when_filled(*typed))


# ----------------------------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class ComputedCell:
    """One computed cell: its defined name, labels, unit and formula."""

    name: str
    label_en: str
    label_zh: str
    unit: SheetUnit
    expr: Expr
    note: str = ""


@dataclass(frozen=True)
class TableSpec:
    """An array-formula table of a fixed size (a header row included), named as a whole.

    ``expr`` is an ``XHS_`` call, or an ``IF`` around one whose other branch is a single value that Excel
    repeats over the whole range (n/a where the core calls the table undefined). A cell's number format is
    its column's unit, or else, when ``row_units`` is given, its row's (row 2 of the table first): tables
    such as the forecast band hold one metric per row."""

    name: str
    title_en: str
    title_zh: str
    rows: int
    columns: int
    expr: Expr
    column_units: tuple[SheetUnit | None, ...]
    row_units: tuple[SheetUnit, ...] = ()
    #: What a person reads in the header row and in the first column of fixed rows (row 2 of the table
    #: first), in place of the codes the function returns there; a blank label keeps the cell as it is.
    header_labels: tuple[str, ...] = ()
    row_labels: tuple[str, ...] = ()
    #: The column the row labels show in (1-based within the table).
    label_column: int = 1
    #: Further columns of codes in fixed rows: (column, the label of each row from row 2 on).
    column_labels: tuple[tuple[int, tuple[str, ...]], ...] = ()
    #: Columns (1-based) whose long text wraps inside the column instead of running across the page.
    wrapped_columns: tuple[int, ...] = ()


@dataclass(frozen=True)
class ChartSpec:
    """A native chart. ``categories`` is (table or input span, column, first row, last row) and each of
    ``series`` is (title, table or input span, column, first row, last row). Rows are 1-based within the
    table (row 1 is its header) or the span; a table's column counts within the table, a span's column is
    the Inputs sheet's (1 the label, 3 the value). ``number_format`` is the value axis's."""

    name: str
    title: str
    kind: str
    sheet: str
    categories: tuple[str, int, int, int]
    series: tuple[tuple[str, str, int, int, int], ...]
    number_format: str = '"¥"#,##0'


@dataclass(frozen=True)
class InputBlock:
    """Yellow input cells outside the schema, named as a whole and passed whole to XHS_ functions.

    ``example`` holds the worked example's rows (None for a blank cell; every row as long as ``units``). A
    cell is formatted by its column's unit, or else its row's (``row_units``). Columns marked in
    ``validated`` (default: all with a unit) accept text of at most 500 characters or a number of at least 0
    (``number_error`` otherwise). ``single``: one optional amount, blank by default, named by itself.
    """

    name: str
    example: tuple[tuple[Any, ...], ...]
    units: tuple[SheetUnit | None, ...]
    row_units: tuple[SheetUnit | None, ...] = ()
    validated: tuple[bool, ...] | None = None
    number_error: str = "Enter a number of at least 0."
    single: bool = False
    #: Whether ``example`` is a worked example of the analyst's own data, which a client workbook leaves out
    #: (False where it is structure the functions read, such as a header row).
    worked_example: bool = True
    #: A single cell's drop-down: the words it accepts (blank allowed), in place of an amount's validation.
    choices: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.example)

    @property
    def columns(self) -> int:
        return len(self.units)

    def key(self, row: int, column: int) -> str:
        """The input key of one cell (0-based offsets), as :func:`xhsxl.workbook.read.read_inputs` reports it."""
        return self.name if self.single else f"{self.name}_{row + 1}_{column + 1}"

    def cells(self) -> Iterable[tuple[str, int, int]]:
        """(key, row offset, column offset) of every cell."""
        for row in range(self.rows):
            for column in range(self.columns):
                yield self.key(row, column), row, column

    @classmethod
    def optional_amount(cls, name: str) -> "InputBlock":
        """One blank yellow amount cell of its own name: an override, blank meaning the default."""
        return cls(name, ((None,),), ("CNY",), single=True)

    @classmethod
    def choice(cls, name: str, choices: tuple[str, ...]) -> "InputBlock":
        """One blank yellow cell of its own name with a drop-down of ``choices``; blank means the first."""
        return cls(name, ((None,),), ("text",), single=True, choices=choices)

    @classmethod
    def padded(cls, name: str, example: Iterable[Iterable[Any]], rows: int, units: tuple[SheetUnit | None, ...],
               **options: Any) -> "InputBlock":
        """A block of ``rows`` rows: the example's, then blank rows for the analyst's own."""
        filled = [tuple(row) for row in example]
        filled += [(None,) * len(units)] * (rows - len(filled))
        return cls(name, tuple(filled), units, **options)


@dataclass(frozen=True, eq=False)
class Sheet:
    """One sheet of the workbook: its name (formulas refer to it), Chinese title, what it declares, and the
    function drawing it. Registered in :data:`xhsxl.workbook.sheets.SHEETS`, in workbook order."""

    name: str
    title_zh: str
    draw: Callable[["Kit"], None]
    inputs: tuple[InputBlock, ...] = ()
    cells: tuple[ComputedCell, ...] = ()
    tables: tuple[TableSpec, ...] = ()
    charts: tuple[ChartSpec, ...] = ()


# ----------------------------------------------------------------------------------------------- drawing
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


class Kit:
    """The drawing state of one workbook and the helpers every sheet draws with.

    ``inputs`` holds the value of every input a formula can read (schema fields, yellow cells outside the
    schema, constants of the layout); ``exprs`` and ``spans`` what each computed name and multi-cell range
    is; ``deferred`` and ``deferred_tables`` the cells whose formulas are written once every name is placed.
    """

    def __init__(self, campaign: ClientCampaign, static: bool, sheet_values: Mapping[str, Any] | None = None,
                 examples: bool = True) -> None:
        self.campaign = campaign
        self.static = static
        #: Whether the analyst's blocks (paths, touch log, checkpoints, past campaigns) hold the worked examples
        #: (the template, or a client workbook asked for them) or start empty (a client's workbook).
        self.examples = examples
        #: What an analyst typed in the yellow cells outside the schema (tables, overrides), by input key;
        #: a key left out keeps the example's value.
        self.sheet_values = dict(sheet_values or {})
        self.wb = Workbook()
        self.place = Placement()
        self.exprs: dict[str, Expr] = {}
        self.spans: dict[str, list[Any]] = {}
        self.inputs: dict[str, Any] = {f.key: getattr(campaign, f.key) for f in FIELDS}
        self.sheets: dict[str, Worksheet] = {}
        self.deferred: list[tuple[Worksheet, Cell, str, Expr]] = []
        self.deferred_tables: list[tuple[Worksheet, TableSpec, int, int]] = []
        #: The schema's input cells, by field key (bound to each client in turn by a batch).
        self.input_cells: dict[str, Cell] = {}
        #: The yellow cells outside the schema, by input key.
        self.sheet_input_cells: dict[str, Cell] = {}
        #: Plain formulas that link cells the way Excel shows them (Inputs' values in use), written in live and
        #: static copies alike once every name is placed; their values are not computed in Python (the schema's
        #: inputs stand for them), so nothing else may read them by a name of their own.
        self.linked: list[tuple[Cell, Callable[[Placement], str]]] = []

    def sheet(self, name: str) -> Worksheet:
        if name not in self.sheets:
            ws = self.wb.active if not self.sheets else self.wb.create_sheet(name)
            ws.title = name
            ws.sheet_view.showGridLines = name == "xlwings.conf"
            self.sheets[name] = ws
        return self.sheets[name]

    def title(self, ws: Worksheet, english: str, chinese: str, subtitle: str = "") -> None:
        ws["A1"] = f"{english} · {chinese}" if chinese else english
        ws["A1"].font = TITLE
        if subtitle:
            ws["A2"] = subtitle
            ws["A2"].font = SUBTITLE

    def header(self, ws: Worksheet, row: int, names: Iterable[str], first: int = 1) -> None:
        for column, name in enumerate(names, start=first):
            # English over Chinese: a wrapped "English · 中文" broke Chinese words across lines (累 / 计花费).
            cell = ws.cell(row, column, name.replace(" · ", "\n"))
            cell.font = HEADER
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(vertical="center", wrap_text=True)

    def wrap_header(self, ws: Worksheet, row: int, first: int = 1, last: int | None = None) -> None:
        """Wrap a header row's long labels on two lines (snake_case names break at their underscores)."""
        for column in range(first, (last or ws.max_column) + 1):
            cell = ws.cell(row, column)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.row_dimensions[row].height = 30

    def notes(self, ws: Worksheet, row: int, notes: Iterable[str]) -> int:
        """Grey explanatory lines from ``row``; return the row below them."""
        for text in notes:
            ws.cell(row, 1, text).font = SUBTITLE
            row += 1
        return row

    def widths(self, ws: Worksheet, widths: Iterable[float]) -> None:
        """Column widths from column A on."""
        for column, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(column)].width = width

    def computed(self, ws: Worksheet, row: int, column: int, item: ComputedCell) -> Cell:
        """Place a computed cell; its formula or value is written once every name is placed."""
        self.place.put(item.name, ws.title, row, column)
        self.exprs[item.name] = item.expr
        cell = ws.cell(row, column)
        cell.number_format = number_format(item.unit)
        cell.alignment = Alignment(horizontal="right")
        cell.border = BOX
        self.deferred.append((ws, cell, item.name, item.expr))
        return cell

    def labelled(self, ws: Worksheet, row: int, column: int, item: ComputedCell) -> None:
        """A computed cell in a row of its own: bold label in column A, the value, its note beside it."""
        ws.cell(row, 1, f"{item.label_en} · {item.label_zh}").font = BOLD
        self.computed(ws, row, column, item)
        ws.cell(row, column + 1, item.note)

    def labelled_input(self, ws: Worksheet, row: int, column: int, label: str, block: "InputBlock", note: str) -> None:
        """A yellow input in a row of its own: bold label in column A, the input, its note beside it."""
        ws.cell(row, 1, label).font = BOLD
        self.input_block(ws, row, column, block)
        ws.cell(row, column + 1, note)

    def result_row(self, ws: Worksheet, row: int, item: ComputedCell) -> None:
        """A computed cell as a row of a list: labels, value, unit, note."""
        ws.cell(row, 1, item.label_en)
        ws.cell(row, 2, item.label_zh)
        self.computed(ws, row, 3, item)
        # Indented, so a value and its unit do not read as one ("623.5%%").
        ws.cell(row, 4, UNIT_LABELS[item.unit]).alignment = Alignment(indent=1)
        ws.cell(row, 5, item.note)

    def table(self, ws: Worksheet, row: int, spec: TableSpec) -> int:
        """Place an array-formula table with its title above; return the first row below it."""
        ws.cell(row, 1, f"{spec.title_en} · {spec.title_zh}").font = BOLD
        first = row + 1
        self.place.put(spec.name, ws.title, first, 1, spec.rows, spec.columns)
        self.exprs[spec.name] = spec.expr
        for column, unit in enumerate(spec.column_units, start=1):
            for offset, r in enumerate(range(first + 1, first + spec.rows)):
                cell = ws.cell(r, column)
                cell.border = BOX
                cell.alignment = Alignment(vertical="top")  # level with a neighbour's wrapped text
                shown = unit or (spec.row_units[offset] if offset < len(spec.row_units) else None)
                if shown:
                    cell.number_format = number_format(shown)
            head = ws.cell(first, column)
            head.font = BOLD
            head.fill = TABLE_HEADER_FILL
            head.border = BOX
            # Column 1's header cell is left as the function writes it (a short code): a static copy puts an
            # error's message there, which a label would hide and wrapping would spill over the title above;
            # unwrapped, the message runs on over the blank header cells beside it.
            head.alignment = Alignment(vertical="center", wrap_text=column > 1)
            label = spec.header_labels[column - 1] if column - 1 < len(spec.header_labels) else ""
            if label and column > 1:
                head.number_format = shown_as(label)
        for column, labels in ((spec.label_column, spec.row_labels), *spec.column_labels):
            for offset, label in enumerate(labels):
                if label:
                    ws.cell(first + 1 + offset, column).number_format = shown_as(label)
        for column in spec.wrapped_columns:
            for r in range(first + 1, first + spec.rows):
                ws.cell(r, column).alignment = Alignment(wrap_text=True, vertical="top")
        self.deferred_tables.append((ws, spec, first, 1))
        return first + spec.rows + 1

    def example_hint(self, ws: Worksheet, row: int, client_hint: str) -> None:
        """The grey line above an analyst's block: the template marks its worked example as one; a client
        workbook, whose block starts empty, says what to type there."""
        cell = ws.cell(row, 1, WORKED_EXAMPLE if self.examples else client_hint)
        cell.font = HINT

    def data_status(self, ws: Worksheet, row: int, column: int, item: ComputedCell) -> None:
        """Place a status cell of :func:`data_status_cell`: red words while the analyst's block is empty."""
        cell = self.computed(ws, row, column, item)
        cell.font = Font(name="Calibri", bold=True, color=ACCENT)
        cell.alignment = Alignment(horizontal="left")
        cell.border = Border()

    def fit_rows(self, ws: Worksheet) -> None:
        """Make every row tall enough for its wrapped text (headers, labels, notes set to wrap), by the widths
        its columns were given: LibreOffice and Excel do not grow a row whose height the file sets, and a
        row left at the default height overprints the next one."""
        for row in ws.iter_rows():
            lines = 1
            for cell in row:
                if cell.alignment is None or not cell.alignment.wrap_text:
                    continue
                text = shown_text(cell)
                if text:
                    width = ws.column_dimensions[cell.column_letter].width or DEFAULT_WIDTH
                    lines = max(lines, wrapped_lines(text, width, bool(cell.font and cell.font.b)))
            if lines > 1:
                number = row[0].row
                height = lines * LINE_HEIGHT + 2
                current = ws.row_dimensions[number].height
                ws.row_dimensions[number].height = max(height, current or 0.0)

    def constant(self, key: str, value: Any) -> None:
        """A fixed value of the layout that a formula reads (a label of a range passed to XHS_)."""
        self.inputs[key] = value

    def range(self, name: str, ws: Worksheet, row: int, column: int, keys: list[Any]) -> None:
        """Name a range of cells already placed, ``keys`` being what each of its cells holds (rows of keys,
        or one key per row)."""
        rows = len(keys)
        columns = len(keys[0]) if keys and isinstance(keys[0], list) else 1
        self.place.put(name, ws.title, row, column, rows, columns)
        self.spans[name] = keys

    def freeze_input(self, cell: Cell) -> None:
        """A static copy's input that feeds only values computed when the copy was made: grey and locked on
        the protected sheet, so nobody types a number that would change nothing."""
        cell.fill = FROZEN_FILL
        cell.protection = LOCKED

    # --------------------------------------------------------------------------------------- input blocks
    def input_block(self, ws: Worksheet, row: int, column: int, block: InputBlock) -> None:
        """Place a yellow input block at (``row``, ``column``): the example, or what the analyst typed there."""
        if block.single:
            self._optional_amount(ws, row, column, block)
            return
        self.place.put(block.name, ws.title, row, column, block.rows, block.columns)
        keys = []
        for r, row_values in enumerate(block.example):
            row_keys = []
            for c, value in enumerate(row_values):
                unit = block.units[c] or (block.row_units[r] if r < len(block.row_units) else None)
                row_keys.append(self._sheet_input(ws.cell(row + r, column + c), block, r, c, value, unit))
            keys.append(row_keys)
        self.spans[block.name] = keys
        for c, unit in enumerate(block.units):
            if unit is None or (block.validated is not None and not block.validated[c]):
                continue
            self._column_validation(ws, column + c, row, row + block.rows - 1, unit, block.number_error)

    def _optional_amount(self, ws: Worksheet, row: int, column: int, block: InputBlock) -> None:
        self.place.put(block.name, ws.title, row, column)
        cell = ws.cell(row, column)
        self._sheet_input(cell, block, 0, 0, None, block.units[0])
        if block.choices:
            validation = DataValidation(type="list", formula1='"' + ",".join(block.choices) + '"', allow_blank=True,
                                        showErrorMessage=True, error=f"Choose {', '.join(block.choices)}, or leave it "
                                                                     "blank.")
        else:
            validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                        showErrorMessage=True, error="Enter an amount of at least 0, or leave it blank.")
        validation.add(cell.coordinate)
        ws.add_data_validation(validation)

    def _sheet_input(self, cell: Cell, block: InputBlock, row: int, column: int, example: Any,
                     unit: str | None) -> str:
        key = block.key(row, column)
        self.sheet_input_cells[key] = cell
        value = self.sheet_values.get(key, example if self.examples or not block.worked_example else None)
        value = value if value is None or isinstance(value, (str, bool)) else float(value)
        self.inputs[key] = value
        if isinstance(value, str):
            write_text(cell, value)
        elif isinstance(value, bool):
            cell.value = value
        elif value is not None:
            cell.value = float(value)
        cell.fill = INPUT_FILL
        cell.border = BOX
        cell.protection = UNLOCKED
        if unit:
            cell.number_format = number_format(unit)
        return key

    def _column_validation(self, ws: Worksheet, column: int, first: int, last: int, unit: str,
                           number_error: str) -> None:
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

    # --------------------------------------------------------------------------------------- charts
    def chart(self, spec: ChartSpec) -> PieChart | BarChart:
        chart = PieChart() if spec.kind == "pie" else BarChart()
        chart.title = _chart_title(spec.title)
        chart.width, chart.height = 13.5, 8.5
        for title, source, column, first, last in spec.series:
            data = self._reference(source, column, first, last)
            chart.add_data(data, titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=title)
        source, column, first, last = spec.categories
        chart.set_categories(self._reference(source, column, first, last))
        if isinstance(chart, BarChart):
            # Horizontal where the categories are long labels: upright, they were turned 45° and squeezed the bars.
            chart.type = "bar" if spec.name in ("return_chart", "tier_chart") else "col"
            chart.y_axis.numFmt = spec.number_format
            chart.y_axis.majorGridlines = None
            chart.legend.position = "b"
        return chart

    def _reference(self, source: str, column: int, first: int, last: int) -> Reference:
        """Cells of a table (``column`` of the table, rows 1-based within it) or of an input span
        (``column`` of the sheet: 1 is the label, 3 the value)."""
        sheet, row, first_column, _rows, _columns = self.place.places[source]
        ws = self.sheets[sheet]
        if source in SPANS:
            return Reference(ws, min_col=column, max_col=column, min_row=row + first - 1, max_row=row + last - 1)
        col = first_column + column - 1
        return Reference(ws, min_col=col, max_col=col, min_row=row + first - 1, max_row=row + last - 1)


def chart_title_text(chart: PieChart | BarChart) -> str:
    """A chart's title as its :class:`ChartSpec` declares it (the lines joined by " · ")."""
    return " · ".join("".join(run.t for run in paragraph.r or ()) for paragraph in chart.title.tx.rich.p)


def _chart_title(title: str) -> Title:
    """A chart title on two lines, English over Chinese, at 12 pt: one line at the default size broke a Chinese
    word across lines in a chart 13.5 cm wide (回报构 / 成)."""
    made = title_maker(title.replace(" · ", "\n"))
    for paragraph in made.tx.rich.paragraphs:
        paragraph.pPr.defRPr = CharacterProperties(sz=1200, b=True)
    return made

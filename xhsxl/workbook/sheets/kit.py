"""What every sheet of the workbook is drawn with: the declarations a sheet makes and the kit that draws them.

A sheet module declares what it shows — computed cells (:class:`ComputedCell`), array-formula tables
(:class:`TableSpec`), yellow input blocks (:class:`InputBlock`), charts (:class:`ChartSpec`) and its worked
example — and a ``draw`` function that places them with a :class:`Kit`: styles, a title, a header row, a table,
an input block, notes, a chart. The kit records where each named thing went (:class:`Placement`) and each
formula to write; :mod:`xhsxl.workbook.template` writes formulas or values once every name is placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xhsxl.schema import FIELDS, NUMBER_FORMATS, SPANS, UNIT_LABELS, ClientCampaign, Unit
from xhsxl.workbook.formula import Expr

__all__ = [
    "Sheet", "ComputedCell", "TableSpec", "ChartSpec", "InputBlock", "Kit", "Placement", "write_text",
    "INK", "ACCENT", "INPUT_FILL", "HEADER_FILL", "GROUP_FILL", "TABLE_HEADER_FILL", "TITLE", "SUBTITLE", "HEADER",
    "BOLD", "BOX", "UNLOCKED", "FROZEN_FILL", "LOCKED",
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


# ----------------------------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class ComputedCell:
    """One computed cell: its defined name, labels, unit and formula."""

    name: str
    label_en: str
    label_zh: str
    unit: Unit
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
    column_units: tuple[Unit | None, ...]
    row_units: tuple[Unit, ...] = ()


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
    units: tuple[Unit | None, ...]
    row_units: tuple[Unit | None, ...] = ()
    validated: tuple[bool, ...] | None = None
    number_error: str = "Enter a number of at least 0."
    single: bool = False

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
    def padded(cls, name: str, example: Iterable[Iterable[Any]], rows: int, units: tuple[Unit | None, ...],
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

    def __init__(self, campaign: ClientCampaign, static: bool, sheet_values: Mapping[str, Any] | None = None) -> None:
        self.campaign = campaign
        self.static = static
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
            cell = ws.cell(row, column, name)
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
        cell.number_format = NUMBER_FORMATS[item.unit]
        cell.alignment = Alignment(horizontal="right")
        cell.border = BOX
        self.deferred.append((ws, cell, item.name, item.expr))
        return cell

    def labelled(self, ws: Worksheet, row: int, column: int, item: ComputedCell) -> None:
        """A computed cell in a row of its own: bold label in column A, the value, its note beside it."""
        ws.cell(row, 1, f"{item.label_en} · {item.label_zh}").font = BOLD
        self.computed(ws, row, column, item)
        ws.cell(row, column + 1, item.note)

    def result_row(self, ws: Worksheet, row: int, item: ComputedCell) -> None:
        """A computed cell as a row of a list: labels, value, unit, note."""
        ws.cell(row, 1, item.label_en)
        ws.cell(row, 2, item.label_zh)
        self.computed(ws, row, 3, item)
        ws.cell(row, 4, UNIT_LABELS[item.unit])
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
                shown = unit or (spec.row_units[offset] if offset < len(spec.row_units) else None)
                if shown:
                    cell.number_format = NUMBER_FORMATS[shown]
            head = ws.cell(first, column)
            head.font = BOLD
            head.fill = TABLE_HEADER_FILL
            head.border = BOX
        self.deferred_tables.append((ws, spec, first, 1))
        return first + spec.rows + 1

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
        validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                    showErrorMessage=True, error="Enter an amount of at least 0, or leave it blank.")
        validation.add(cell.coordinate)
        ws.add_data_validation(validation)

    def _sheet_input(self, cell: Cell, block: InputBlock, row: int, column: int, example: Any,
                     unit: str | None) -> str:
        key = block.key(row, column)
        self.sheet_input_cells[key] = cell
        value = self.sheet_values.get(key, example)
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
            cell.number_format = NUMBER_FORMATS[unit]
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
        chart.title = spec.title
        chart.width, chart.height = 13.5, 8.5
        for title, source, column, first, last in spec.series:
            data = self._reference(source, column, first, last)
            chart.add_data(data, titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=title)
        source, column, first, last = spec.categories
        chart.set_categories(self._reference(source, column, first, last))
        if isinstance(chart, BarChart):
            chart.type = "bar" if spec.name == "return_chart" else "col"
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

"""Read a Juguang (聚光) or Pugongying (蒲公英) report export as it is: which platform and level it is, each
cell in its declared unit, the total row checked and set aside, unknown columns kept and reported.

The same interpretation reads a file (XLSX, or CSV in UTF-8, GBK or UTF-16, as the web UI writes them) and
a range pasted into a workbook (a 2-D list of cells). Cells are read by :mod:`xhsxl.excel`: text numbers,
"1.23%", "-" for zero, blanks. Nothing is guessed: a header row that names neither platform is refused with
the columns expected and found; every cell that does not read is a problem naming the file, row, column,
value and reason, and the row it is in feeds nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import openpyxl

from xhsxl.core.errors import XhsInputError
from xhsxl.excel.cells import all_blank, coerce_number, is_blank
from xhsxl.excel.errors import InputFileError, Problem
from xhsxl.excel.workbooks import has_formulas, rows_with_unsaved_formulas
from xhsxl.platforms.columns import (
    COLUMNS, LEVELS, PLATFORM_NAMES, TEXT_COLUMNS, TIME_COLUMNS, TOTAL_WORDS, PlatformColumn, header_unit,
    normalise_header,
)

__all__ = ["FileProblem", "ExportRow", "PlatformExport", "read_export_rows", "pasted_exports", "EXPORT_SUFFIXES", "csv_rows",
           "xlsx_rows", "first_xlsx_rows", "platform_of_headers", "HEADER_SEARCH_ROWS"]

EXPORT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")

#: A header row is searched for in the first rows: web exports put a title and the date range above it.
HEADER_SEARCH_ROWS = 10
#: Columns that tell the platforms apart: an export has at least one of its own.
_SIGNATURE: dict[str, tuple[str, ...]] = {"juguang": ("消费", "消耗", "花费"), "pugongying": ("博主报价", "服务费金额")}
#: A total row may differ from the sum of the rows by rounding: a cent of money, half an action.
_TOTAL_TOLERANCE = {"yuan": 0.011, "fen": 1.0, "count": 0.5}


@dataclass(frozen=True)
class FileProblem(Problem):
    """A located problem that also names the file (or pasted range) it is in."""

    file: str = ""

    def record(self) -> tuple[str, str, str, str]:
        row, column, value, reason = super().record()
        return row, f"{self.file}: {column}" if self.file else column, value, reason

    def __str__(self) -> str:
        return f"{self.file}: {super().__str__()}" if self.file else super().__str__()


@dataclass(frozen=True)
class ExportRow:
    """One data row: its row number in the file, the numbers of its declared columns (API field → value,
    money in ¥, rates as fractions), its identifying text (header → text), and whether every cell read."""

    number: int
    values: dict[str, float]
    labels: dict[str, str]
    ok: bool = True


@dataclass
class PlatformExport:
    """A platform export, read."""

    name: str
    platform: str
    level: str
    grain: str | None
    headers: list[str]
    #: Column index → its declaration, for every recognised column.
    columns: dict[int, PlatformColumn]
    #: Column index → the identifying header it is (计划名称, 笔记ID, 日期 …).
    label_columns: dict[int, str]
    rows: list[ExportRow]
    total: ExportRow | None = None
    unknown_columns: list[str] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    encoding: str | None = None

    @property
    def title(self) -> str:
        return PLATFORM_NAMES[self.platform]

    def column_for(self, api_field: str) -> PlatformColumn | None:
        return next((c for c in self.columns.values() if c.api_field == api_field), None)

    def header_of(self, column: PlatformColumn) -> str:
        """The column's header as this file writes it."""
        return next(self.headers[i] for i, c in self.columns.items() if c is column)

    def label(self, row: ExportRow, *names: str) -> str:
        return next((row.labels[name] for name in names if row.labels.get(name)), "")


# ------------------------------------------------------------------------------------------------ formats
def csv_rows(text: str) -> list[tuple[int, list[Any]]]:
    """The numbered records of a CSV's text, split at the delimiter (comma, tab, semicolon) under which the
    first rows name the most platform columns."""
    first = text.splitlines()[:HEADER_SEARCH_ROWS]

    def recognised(delimiter: str) -> int:
        return max((sum(_declared(cell) is not None for cell in cells)
                    for cells in csv.reader(first, delimiter=delimiter)), default=0)

    delimiter = max((",", "\t", ";"), key=recognised)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(number, cells) for number, cells in enumerate(records, start=1)]


def xlsx_rows(path: Path, data: bytes) -> list[tuple[int, list[Any]]]:
    """The numbered rows of an XLSX's first sheet (``data`` has passed the archive checks); a formula whose
    result the file does not store is handed on as such, and refused by the cell reader."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 — any parser failure of an untrusted file is one message
        raise InputFileError(f"{path.name}: not a readable XLSX workbook ({type(error).__name__}: {error})") from None
    try:
        worksheet = workbook.worksheets[0]
        worksheet.reset_dimensions()
        rows: Iterable[Sequence[Any]] = worksheet.iter_rows(values_only=True)
        if has_formulas(data):
            rows = rows_with_unsaved_formulas(data, worksheet.title, rows)
        return [(number, list(cells)) for number, cells in enumerate(rows, start=1)]
    finally:
        workbook.close()


def first_xlsx_rows(data: bytes, count: int) -> list[list[Any]]:
    """The first ``count`` rows of an XLSX's first sheet, for telling an export from a client table cheaply."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        worksheet = workbook.worksheets[0]
        worksheet.reset_dimensions()
        return [list(cells) for cells in worksheet.iter_rows(max_row=count, values_only=True)]
    finally:
        workbook.close()


# ------------------------------------------------------------------------------------------------ meaning
def _declared(header: Any, platform: str | None = None) -> PlatformColumn | None:
    key = normalise_header(header)
    if not key:
        return None
    for column in COLUMNS:
        if (platform is None or column.platform == platform) and key in map(normalise_header, column.headers):
            return column
    return None


def _identifying(header: Any, platform: str) -> str | None:
    key = normalise_header(header)
    names = [*(n for names in LEVELS[platform].values() for n in names),
             *(n for names in TIME_COLUMNS.values() for n in names), *TEXT_COLUMNS]
    return next((name for name in names if normalise_header(name) == key), None)


def platform_of_headers(cells: Sequence[Any]) -> str | None:
    """The platform whose signature columns the header row has, or None."""
    found = {normalise_header(cell) for cell in cells}
    matches = [p for p, names in _SIGNATURE.items() if any(normalise_header(n) in found for n in names)]
    return matches[0] if len(matches) == 1 else None


def pasted_exports(export: Any, export2: Any = None) -> list[PlatformExport]:
    """The exports pasted into two ranges, as Excel passes them (a single cell or row arrives unwrapped): the
    first always, the second only when it holds something. A range is named ``export`` / ``export2`` in every
    problem, as the Platform data sheet's areas 1 and 2."""

    def as_rows(value: Any) -> list[list[Any]]:
        value = value if isinstance(value, list) else [value]
        return [row if isinstance(row, list) else [row] for row in value]

    pasted = [(as_rows(export), "export")]
    if export2 is not None and not all(is_blank(cell) for row in as_rows(export2) for cell in row):
        pasted.append((as_rows(export2), "export2"))
    return [read_export_rows(cells, name) for cells, name in pasted]


def read_export_rows(rows: Sequence[tuple[int, Sequence[Any]]] | Sequence[Sequence[Any]], name: str) -> PlatformExport:
    """Interpret the cells of an export: ``rows`` as (row number, cells) pairs, or a plain 2-D list (a pasted
    range, numbered from 1). ``name`` names the file or range in every problem."""
    numbered = [row if isinstance(row, tuple) and len(row) == 2 and isinstance(row[0], int) and
                isinstance(row[1], (list, tuple)) else (i, row) for i, row in enumerate(rows, start=1)]
    numbered = [(number, list(cells)) for number, cells in numbered if not all_blank(cells)]
    if not numbered:
        raise InputFileError(f"{name}: the export is empty")
    header_at = next((i for i, (_, cells) in enumerate(numbered[:HEADER_SEARCH_ROWS])
                      if platform_of_headers(cells) is not None), None)
    if header_at is None:
        found = ", ".join(repr(str(c)) for c in numbered[0][1] if not is_blank(c))
        expected = "; ".join(f"{PLATFORM_NAMES[p]}: one of {', '.join(names)}" for p, names in _SIGNATURE.items())
        raise InputFileError(f"{name}: not a Juguang or Pugongying report; the header row should name ({expected}) "
                             f"and found {found or 'nothing'}")
    header_row, header_cells = numbered[header_at]
    platform = platform_of_headers(header_cells)
    assert platform is not None
    headers = ["" if c is None else str(c).strip() for c in header_cells]
    export = PlatformExport(name, platform, "", None, headers, {}, {}, [])
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        column = _declared(header, platform)
        identity = _identifying(header, platform)
        if column is not None:
            if column.api_field in seen:
                export.problems.append(FileProblem(header_row, header, None,
                                                   f"repeats column {headers[seen[column.api_field]]!r}; the first "
                                                   "is read", name))
                continue
            seen[column.api_field] = index
            export.columns[index] = column
        elif identity is not None:
            export.label_columns[index] = identity
        else:
            export.unknown_columns.append(header)
            export.problems.append(FileProblem(header_row, header, None,
                                               "not a column of this report that xhsxl knows; kept, not read", name))
    identities = set(export.label_columns.values())
    export.level = next((level for level, names in LEVELS[platform].items() if identities & set(names)),
                        "note" if platform == "pugongying" else "account")
    export.grain = next((grain for grain in ("hour", "day") if identities & set(TIME_COLUMNS[grain])), None)
    for number, cells in numbered[header_at + 1:]:
        cells = [*cells, *[None] * (len(headers) - len(cells))]
        row = _read_row(export, number, cells)
        if _is_total(export, cells):
            if export.total is not None:
                export.problems.append(FileProblem(number, headers[0], cells[0], "a second total row; ignored", name))
                continue
            export.total = row
        else:
            export.rows.append(row)
    if not export.rows:
        raise InputFileError(f"{name}: there is a header row (row {header_row}) but no data rows")
    _check_total(export)
    return export


def _is_total(export: PlatformExport, cells: list[Any]) -> bool:
    candidates = [cells[i] for i in export.label_columns] or cells[:1]
    return any(isinstance(c, str) and c.strip().rstrip(":：") in TOTAL_WORDS for c in candidates)


def _read_row(export: PlatformExport, number: int, cells: list[Any]) -> ExportRow:
    values: dict[str, float] = {}
    ok = True
    for index, column in export.columns.items():
        header = export.headers[index]
        try:
            value = _read_cell(column, header, cells[index])
        except XhsInputError as error:
            export.problems.append(FileProblem(number, header, cells[index], str(error), export.name))
            ok = False
            continue
        if value is not None:
            values[column.api_field] = value
    labels = {name: "" if is_blank(cells[i]) else str(cells[i]).strip() for i, name in export.label_columns.items()}
    return ExportRow(number, values, labels, ok)


def _read_cell(column: PlatformColumn, header: str, value: Any) -> float | None:
    """A cell in its column's unit: money in ¥ (a header saying (分), or a 分 column, divided by 100), counts
    whole and not negative, rates as fractions."""
    if column.unit == "text":
        return None
    if column.unit == "rate":
        number = coerce_number(value, header, percent=True)
        if number is not None and not (isinstance(value, str) and value.strip().endswith("%")):
            number /= 100  # the API writes ctr as click ÷ impression × 100 %
        return number
    number = coerce_number(value, header, percent=False)
    if number is None:
        return None
    if number < 0 and column.unit != "ratio":
        raise XhsInputError(argument=header, reason="must not be negative", value=value)
    if column.unit == "count" and not float(number).is_integer():
        raise XhsInputError(argument=header, reason="must be a whole number of actions", value=value)
    stated = header_unit(header)
    if stated == "分" or (column.unit == "fen" and stated != "元"):
        number /= 100
    return number


def _check_total(export: PlatformExport) -> None:
    """A total row must equal the sum of the rows in every summed column; it is never added to them."""
    total = export.total
    if total is None:
        return
    for index, column in export.columns.items():
        if column.unit not in _TOTAL_TOLERANCE or column.api_field not in total.values:
            continue
        rows_sum = sum(row.values.get(column.api_field, 0.0) for row in export.rows)
        stated = total.values[column.api_field]
        if not abs(stated - rows_sum) <= _TOTAL_TOLERANCE[column.unit]:  # an overflowed sum disagrees too
            export.problems.append(FileProblem(
                total.number, export.headers[index], stated,
                f"the total row says {stated:,.2f} but the rows sum to {rows_sum:,.2f}; the rows are read, the total "
                "is not — is a row missing or filtered out?", export.name))

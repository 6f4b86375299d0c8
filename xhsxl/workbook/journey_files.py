"""Journeys from files: a path table or a touchpoint log in CSV, XLSX or Parquet, as a :class:`PathTable`.

``xhsxl attribute`` reads what analysts export: a path table (one journey pattern per row with its
conversions, value and non-converting count — the format ChannelAttribution and GA exports use) or a raw
touchpoint log (one row per touch: user, time, channel, converted, value). Columns are found by their
header, case-insensitively (``path`` or ``paths``, ``conversions``, ``value``, ``nulls`` …) or named
explicitly, and the result says which header each role was read from.

Text files are decoded as the client-table reader decodes them (UTF-8 with or without BOM, GBK / GB18030,
UTF-16 with BOM); an XLSX is checked against the same zip-bomb caps before openpyxl opens it (read-only);
Parquet needs ``pyarrow``, which is not a dependency of xhsxl. Rows are read in chunks and numeric columns
converted chunk by chunk, so a log of millions of rows holds one float per number, not one string. Every
problem in a cell names the row as the file numbers it (a CSV's header is row 1, an XLSX's own row numbers).
"""

from __future__ import annotations

import array
import csv
import io
import itertools
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import openpyxl
from openpyxl.utils import get_column_letter

from xhsxl.core import attribution
from xhsxl.core.attribution.conventions import LOOKBACK_DAYS
from xhsxl.core.errors import XhsInputError
from xhsxl.excel.cells import FLAG_WORDS, blank_mask, coerce_number, is_blank, read_flag
from xhsxl.excel.errors import InputFileError
from xhsxl.excel.ranges import at_rows, collector_paused
from xhsxl.excel.workbooks import UnsavedFormula, has_formulas, rows_with_unsaved_formulas
from xhsxl.workbook.clients import check_xlsx_archive, decode_text, read_file_bytes

__all__ = [
    "PATH_TABLE_COLUMNS",
    "TOUCHPOINT_COLUMNS",
    "CSV_SUFFIXES",
    "XLSX_SUFFIXES",
    "PARQUET_SUFFIXES",
    "JourneyFile",
    "read_path_table",
    "read_touchpoints",
]

#: Each role of a path table and the headers it is found under by default (compared case-insensitively).
PATH_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "path": ("path", "paths", "路径"),
    "conversions": ("conversions", "conversion", "total_conversions", "转化", "转化数"),
    "value": ("value", "values", "total_conversion_value", "转化金额", "金额"),
    "nulls": ("nulls", "null", "total_null", "未转化"),
}
#: Each role of a touchpoint log and its default headers.
TOUCHPOINT_COLUMNS: dict[str, tuple[str, ...]] = {
    "user": ("user", "user_id", "users", "用户"),
    "time": ("time", "timestamp", "datetime", "时间"),
    "channel": ("channel", "channels", "渠道"),
    "converted": ("converted", "conversion", "是否转化"),
    "value": ("value", "values", "转化金额", "金额"),
}
_OPTIONAL = {"value", "nulls"}

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
_DELIMITERS = (",", "\t", ";")
# Rows converted per chunk: numbers become floats a chunk at a time, bounding the strings alive at once.
_CHUNK = 65_536
# Characters of a CSV split into lines at once.
_LINE_BLOCK = 1 << 20

Progress = Callable[[str], None]


@dataclass(frozen=True)
class JourneyFile:
    """Journeys read from a file, and what was read.

    ``columns`` maps each role (``path``, ``conversions`` …) to the header it was read from, ``None`` for
    an optional role the file does not have (or whose column is entirely blank). ``rows`` counts the data
    rows read; for a touchpoint log ``table`` has one path per journey.
    """

    table: attribution.PathTable
    file_format: str
    columns: dict[str, str | None]
    rows: int
    encoding: str | None = None
    sheet: str | None = None


@dataclass
class _Source:
    """A table as read: an iterator of (row number in the file, cells) over its rows, the header row among
    them (a title, notes or blank rows may come first; blank rows may come anywhere)."""

    rows: Iterator[tuple[int, Sequence[Any]]]
    file_format: str
    encoding: str | None = None
    sheet: str | None = None
    close: Callable[[], None] = field(default=lambda: None)


# ----------------------------------------------------------------------------------------------- public
def read_path_table(
    path: Path | str,
    columns: Mapping[str, str | None] | None = None,
    *,
    sep: str = attribution.DEFAULT_SEPARATOR,
    sheet: str | None = None,
    progress: Progress | None = None,
    encoding: str | None = None,
) -> JourneyFile:
    """Read a path table file: path, conversions and, when present, value and nulls per row.

    ``columns`` names a role's header when it is not one of :data:`PATH_TABLE_COLUMNS`. Raises
    :class:`~xhsxl.workbook.clients.InputFileError` when the file cannot be read as a table and
    :class:`~xhsxl.core.errors.XhsInputError` for a missing column or a bad cell (the message names the
    column and the row). ``encoding`` names a CSV's text encoding when it is not one detected on its own
    (see :func:`~xhsxl.workbook.clients.decode_text`).
    """
    source = _open(Path(path), sheet, progress, encoding)
    try:
        found = _locate_header(source, PATH_TABLE_COLUMNS, columns or {}, Path(path).name)
        with collector_paused():  # millions of small rows: a collection per few hundred would walk them all
            data = _collect(source, found, {"path": "text", "conversions": "count", "value": "value",
                                            "nulls": "count"}, progress, Path(path).name)
    finally:
        source.close()
    rows = data.pop("(rows)")
    if progress is not None:
        progress(f"parsing {len(rows):,} paths")
    try:
        table = attribution.path_table(data["path"], data["conversions"], data.get("value"), data.get("nulls"), sep=sep)
    except XhsInputError as error:
        raise at_rows(error, rows) from None
    return JourneyFile(table, source.file_format, _shown(PATH_TABLE_COLUMNS, found, data), len(rows), source.encoding,
                       source.sheet)


def read_touchpoints(
    path: Path | str,
    columns: Mapping[str, str | None] | None = None,
    *,
    lookback_days: float | None = LOOKBACK_DAYS.value,
    sheet: str | None = None,
    progress: Progress | None = None,
    encoding: str | None = None,
) -> JourneyFile:
    """Read a touchpoint log (user, time, channel, converted, [value]) and aggregate it into journeys.

    Times are numbers (days, as Excel serial dates are), dates and times of an XLSX, or ISO-8601 text
    (``2024-05-01 14:30``); ``converted`` is 1/0, TRUE/FALSE, yes/no or blank (not converted). Journeys
    end at each conversion and keep the touches within ``lookback_days`` of their end (see
    :func:`~xhsxl.core.attribution.journeys_from_touchpoints`).
    """
    source = _open(Path(path), sheet, progress, encoding)
    try:
        found = _locate_header(source, TOUCHPOINT_COLUMNS, columns or {}, Path(path).name)
        with collector_paused():
            data = _collect(source, found, {"user": "id", "time": "time", "channel": "text",
                                            "converted": "flag", "value": "value"}, progress, Path(path).name)
    finally:
        source.close()
    rows = data.pop("(rows)")
    if progress is not None:
        progress(f"building journeys from {len(rows):,} touches")
    try:
        table = attribution.journeys_from_touchpoints(
            data["user"], data["time"], data["channel"], data["converted"], data.get("value"),
            lookback_days=lookback_days)
    except XhsInputError as error:
        raise at_rows(error, rows) from None
    return JourneyFile(table, source.file_format, _shown(TOUCHPOINT_COLUMNS, found, data), len(rows),
                       source.encoding, source.sheet)


# ----------------------------------------------------------------------------------------------- columns
#: Rows above the header that may hold a title or notes (an export's "May journeys", a blank-ish line).
_ROWS_BEFORE_HEADER = 20


def _locate_header(source: _Source, roles: Mapping[str, tuple[str, ...]], chosen: Mapping[str, str | None],
                   file_name: str) -> dict[str, tuple[int, str]]:
    """The columns of the first row that names every required role; the rows above it are skipped.

    When no row among the first few does, the first row is taken as the header and its missing column is
    reported, which is what the user most likely meant to fix.
    """
    first: Sequence[Any] | None = None
    for _ in range(_ROWS_BEFORE_HEADER):
        row = _rows(source, 1, file_name)  # one at a time: the rows after the header are the data
        if not row:
            break
        cells = row[0][1]
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        if first is None:
            first = cells
        try:
            return _find_columns(list(cells), roles, chosen, file_name)
        except XhsInputError:
            continue
    if first is None:
        raise InputFileError(f"{file_name}: the file has no rows")
    return _find_columns(list(first), roles, chosen, file_name)


def _find_columns(headers: list[Any], roles: Mapping[str, tuple[str, ...]], chosen: Mapping[str, str | None],
                  file_name: str) -> dict[str, tuple[int, str]]:
    """Role → (column index, header as written) for every role present; a required role missing is an error."""
    unknown = set(chosen) - set(roles)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")  # a programming error, not the user's
    texts = ["" if h is None else str(h).strip() for h in headers]
    folded = [text.casefold() for text in texts]
    listed = ", ".join(repr(text) for text in texts if text) or "none"
    found: dict[str, tuple[int, str]] = {}
    for role, defaults in roles.items():
        wanted = chosen.get(role)
        if wanted is not None and str(wanted).strip():
            key = str(wanted).strip().casefold()
            if key not in folded:
                raise XhsInputError(f"no column named {wanted!r} (for {role}) in {file_name}; its columns are {listed}")
            index = folded.index(key)
        else:
            by_default = next((folded.index(name) for name in defaults if name in folded), None)
            if by_default is None:
                if role in _OPTIONAL:
                    continue
                names = " or ".join(repr(name) for name in defaults)
                raise XhsInputError(f"no {role} column in {file_name}: name it {names}, or pass --{role}-col; "
                                    f"its columns are {listed}")
            index = by_default
        found[role] = (index, texts[index])
    return found


def _rows(source: _Source, count: int, file_name: str) -> list[tuple[int, Sequence[Any]]]:
    """The next ``count`` rows; a CSV the csv module cannot parse is a file error."""
    try:
        return list(itertools.islice(source.rows, count))
    except csv.Error as error:
        raise InputFileError(f"{file_name}: not a readable CSV file ({error})") from None


def _shown(roles: Mapping[str, Any], found: dict[str, tuple[int, str]], data: dict[str, Any]) -> dict[str, str | None]:
    return {role: found[role][1] if role in data else None for role in roles}


# ----------------------------------------------------------------------------------------------- reading
def _open(path: Path, sheet: str | None, progress: Progress | None, encoding: str | None = None) -> _Source:
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES + PARQUET_SUFFIXES:
        raise InputFileError(f"{path.name}: unsupported file type {suffix or '(no extension)'!r}; use "
                              f"{', '.join(CSV_SUFFIXES + XLSX_SUFFIXES + PARQUET_SUFFIXES)}")
    if sheet is not None and suffix not in XLSX_SUFFIXES:
        raise InputFileError(f"{path.name}: a sheet can only be chosen in an XLSX workbook")
    if suffix in PARQUET_SUFFIXES:
        return _open_parquet(path, progress)
    data = read_file_bytes(path, limit=None)  # touch logs run to hundreds of MiB: no client-table cap
    if progress is not None:
        progress(f"reading {path.name} ({len(data) / 2**20:,.1f} MiB)")
    if suffix in XLSX_SUFFIXES:
        return _open_xlsx(path, data, sheet)
    text, found = decode_text(path, data, encoding)
    del data
    return _open_csv(path, text, found)


def _open_csv(path: Path, text: str, encoding: str) -> _Source:
    first_line = text[: text.find("\n") if "\n" in text else len(text)]
    delimiter = max(_DELIMITERS, key=first_line.count)  # comma on a tie
    reader = csv.reader(_lines(text), delimiter=delimiter)
    # Row numbers count records, as Excel numbers the rows of a CSV it opens. Blank lines pass through; rows
    # blank in every column read are dropped later, a chunk at a time.
    return _Source(enumerate(reader, start=1), "csv", encoding)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, a block at a time: ``io.StringIO`` would hold a 4-byte-per-
    character copy of a file that may be hundreds of megabytes, and ``splitlines`` also splits at characters
    a CSV cell may hold (form feeds, U+2028)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _LINE_BLOCK)
        end = size if end < 0 else end + 1
        lines = text[start:end].split("\n")
        last = lines.pop()  # "" after a final line end, else a last line without one
        yield from [line + "\n" for line in lines]
        if last:
            yield last
        start = end


def _open_xlsx(path: Path, data: bytes, sheet: str | None) -> _Source:
    check_xlsx_archive(path, data)
    if not openpyxl.DEFUSEDXML:
        raise InputFileError(f"{path.name}: refusing to read an XLSX without defusedxml installed")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 — openpyxl raises many types for a damaged file; all mean the same
        raise InputFileError(f"{path.name}: not a readable XLSX workbook ({type(error).__name__}: {error})") from None
    worksheets = workbook.worksheets
    if not worksheets:
        workbook.close()
        raise InputFileError(f"{path.name}: the workbook has no worksheet")
    if sheet is None:
        worksheet = worksheets[0]
    else:
        matches = [ws for ws in worksheets if ws.title.casefold() == sheet.strip().casefold()]
        if not matches:
            workbook.close()
            names = ", ".join(repr(ws.title) for ws in worksheets)
            raise InputFileError(f"{path.name}: no sheet named {sheet!r}; the sheets are {names}")
        worksheet = matches[0]
    worksheet.reset_dimensions()  # the stored dimension is often wrong; read every cell

    def cells() -> Iterator[tuple[int, Sequence[Any]]]:
        try:
            rows: Any = worksheet.iter_rows(values_only=True)
            if has_formulas(data):
                rows = rows_with_unsaved_formulas(data, worksheet.title, rows)
            for number, row in enumerate(rows, start=1):
                if any(c is not None and (not isinstance(c, str) or c.strip()) for c in row):
                    unsaved = next((i for i, c in enumerate(row) if isinstance(c, UnsavedFormula)), None)
                    if unsaved is not None:
                        raise InputFileError(
                            f"{path.name}: cell {get_column_letter(unsaved + 1)}{number} holds a formula whose result "
                            "the file does not store; open and save the file in Excel, or export values")
                    yield number, row
        except (InputFileError, XhsInputError):
            raise
        except Exception as error:  # noqa: BLE001 — the sheet XML is parsed lazily, here
            raise InputFileError(f"{path.name}: sheet {worksheet.title!r} cannot be read ({error})") from None

    return _Source(cells(), "xlsx", None, worksheet.title, workbook.close)


def _open_parquet(path: Path, progress: Progress | None) -> _Source:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputFileError(f"{path.name}: install pyarrow to read Parquet (pip install pyarrow), or save the "
                              "table as CSV or XLSX") from None
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    try:
        parquet = pq.ParquetFile(path)
        headers = list(parquet.schema_arrow.names)
    except Exception as error:  # noqa: BLE001 — pyarrow's errors for a damaged file are many
        raise InputFileError(f"{path.name}: not a readable Parquet file ({type(error).__name__}: {error})") from None
    if progress is not None:
        progress(f"reading {path.name} ({parquet.metadata.num_rows:,} rows)")

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        yield 1, headers  # row 1 is the header, as in a CSV export of the same table
        number = 1
        try:
            for batch in parquet.iter_batches(batch_size=_CHUNK):
                columns = [column.to_pylist() for column in batch.columns]
                for cells in zip(*columns):
                    number += 1
                    yield number, cells
        except Exception as error:  # noqa: BLE001
            raise InputFileError(f"{path.name}: not a readable Parquet file ({type(error).__name__}: {error})") from None

    return _Source(rows(), "parquet", None, None, parquet.close if hasattr(parquet, "close") else lambda: None)


# ----------------------------------------------------------------------------------------------- cells
def _collect(source: _Source, found: dict[str, tuple[int, str]], kinds: Mapping[str, str],
             progress: Progress | None, file_name: str) -> dict[str, Any]:
    """The found columns, chunk by chunk: numbers, flags and times as arrays, text as lists; rows blank in
    every found column skipped. ``"(rows)"`` holds each data row's number in the file.

    Each chunk is transposed into columns by C-level passes (``itemgetter``, ``zip``) and each column
    converted at once; per-cell Python work is left to the cells that need it (a ``¥1,200`` or a ``yes``).
    """
    roles = list(found)
    indices = [found[role][0] for role in roles]
    width = max(indices) + 1
    pick = operator.itemgetter(*indices) if len(indices) > 1 else (lambda cells: (cells[indices[0]],))
    parts: dict[str, list[Any]] = {role: [] for role in roles}
    row_numbers = array.array("q")
    channel_names: dict[Any, Any] = {}  # one object per distinct name: millions of touches share a few channels
    count = 0
    while True:
        chunk = _rows(source, _CHUNK, file_name)
        if not chunk:
            break
        count += len(chunk)
        numbers = list(map(operator.itemgetter(0), chunk))
        rows = list(map(operator.itemgetter(1), chunk))
        del chunk
        if min(map(len, rows)) < width:  # a short line of a ragged CSV: its missing cells are blank
            rows = [row if len(row) >= width else [*row, *[None] * (width - len(row))] for row in rows]
        columns = list(zip(*map(pick, rows)))
        del rows
        converted, blanks = [], []
        for role, values in zip(roles, columns):
            where = f"{role} (column {found[role][1]!r})"
            value, blank = _convert(list(values), numbers, where, kinds[role], channel_names if role == "channel" else None)
            converted.append(value)
            blanks.append(blank)
        keep = ~np.logical_and.reduce(blanks)
        for role, value, blank in zip(roles, converted, blanks):
            if kinds[role] in ("text", "id"):  # blanks beside filled cells: an error naming the row
                missing = blank & keep
                if missing.any():
                    row = numbers[int(np.argmax(missing))]
                    raise XhsInputError(f"{role} (column {found[role][1]!r}) is blank in row {row}")
            if not keep.all():
                value = value[keep] if isinstance(value, np.ndarray) else list(itertools.compress(value, keep))
            parts[role].append(value)
        row_numbers.extend(itertools.compress(numbers, keep))
        if progress is not None and count >= _CHUNK:
            progress(f"read {count:,} rows")
    if not row_numbers:
        raise XhsInputError(f"no data rows below the header in {', '.join(repr(found[r][1]) for r in roles)}")
    data: dict[str, Any] = {}
    for role in roles:
        kind, header = kinds[role], found[role][1]
        if kind == "id" and all(isinstance(part, np.ndarray) for part in parts[role]):
            data[role] = np.concatenate(parts[role])  # whole-number ids: the core's fast path
            continue
        if kind in ("text", "id"):
            data[role] = list(itertools.chain.from_iterable(
                map(str, part.tolist()) if isinstance(part, np.ndarray) else part for part in parts[role]))
            continue
        if kind == "time":
            data[role] = _times(parts[role], row_numbers, header)
            continue
        joined = np.concatenate(parts[role])
        blank = np.isnan(joined)
        if role in _OPTIONAL and blank.all():
            continue  # a column left blank throughout was not given
        if kind == "count" and blank.any():
            row = row_numbers[int(np.argmax(blank))]
            raise XhsInputError(f"{role} (column {header!r}) is blank in row {row}; enter 0 where there is none")
        data[role] = joined
    data["(rows)"] = row_numbers
    if "value" in data and "conversions" in data:
        blank = np.isnan(data["value"])
        orphan = blank & (data["conversions"] > 0)
        if orphan.any():
            row = row_numbers[int(np.argmax(orphan))]
            raise XhsInputError(f"value (column {found['value'][1]!r}) is blank in row {row}, where the path has "
                                "conversions")
        data["value"] = np.where(blank, 0.0, data["value"])
    return data


def _convert(values: list[Any], rows: list[int], where: str, kind: str,
             names: dict[Any, Any] | None) -> tuple[Any, np.ndarray]:
    """One chunk of a column and its blank cells: numbers as floats (NaN for a blank), flags as 0/1 (a blank
    is 0), times as datetime64 or day numbers when they read as such, ids and text as values."""
    if kind in ("count", "value"):
        numbers = _numbers(values, rows, where)
        return numbers, np.isnan(numbers)
    blank = blank_mask(values)
    if kind == "flag":
        flags = np.fromiter(map(_FLAGS.get, values, itertools.repeat(np.nan)), dtype=float, count=len(values))
        for index in np.flatnonzero(np.isnan(flags)):
            flags[index] = _flag(values[index], where, rows[index])
        return flags, blank
    if kind == "time":
        return _time_chunk(values), blank
    if kind == "id" and not blank.any():
        ids = _whole_number_ids(values)
        if ids is not None:
            return ids, blank
    if set(map(type, values)) - {str}:  # XLSX or Parquet numbers: 7.0 is the id or channel "7"
        values = [(str(int(v)) if kind == "text" else int(v)) if isinstance(v, float) and v.is_integer()
                  else (str(v) if kind == "text" and v is not None and not isinstance(v, str) else v) for v in values]
    if names is not None:
        values = list(map(names.setdefault, values, values))
    return values, blank


def _whole_number_ids(values: list[Any]) -> np.ndarray | None:
    """Ids written as plain whole numbers ("100234": no sign, space or leading zero) as int64, else None.

    A tracking export's user ids are usually such numbers; as integers the core groups them without a
    dictionary of a million strings. Each text converts back to itself (``str(int(t)) == t``), so a chunk
    kept as text elsewhere in the file names the same users.
    """
    if set(map(type, values)) != {str}:
        return None
    try:
        ids = np.asarray(values, dtype=np.int64)
    except (ValueError, OverflowError):
        return None
    # Written the canonical way, each text is exactly as long as str() of its number; any other spelling
    # ("007", "+7", " 7") is longer, so equal total lengths mean every text is canonical.
    if sum(map(len, values)) != int(np.char.str_len(ids.astype(str)).sum()):
        return None
    return ids


def _numbers(values: list[Any], rows: list[int], where: str) -> np.ndarray:
    kinds = set(map(type, values))
    if bool not in kinds:  # numpy would read TRUE as 1
        cells = values if str not in kinds else [None if v == "" else v for v in values]
        try:
            numbers = np.asarray(cells, dtype=float)  # numbers, blanks and plain numeric text, in C
        except (TypeError, ValueError):
            numbers = None
        if numbers is not None and not np.isinf(numbers).any():
            return numbers
    numbers = np.empty(len(values))
    for index, cell in enumerate(values):
        try:
            number = coerce_number(cell, where)
        except XhsInputError as error:
            raise error.located(rows[index]) from None
        numbers[index] = np.nan if number is None else number
    return numbers


#: The usual spellings of :data:`~xhsxl.excel.cells.FLAG_WORDS` read without a function call (True and 1.0
#: hash as 1, False and 0.0 as 0); a blank is "did not convert". Anything else goes to ``read_flag``.
_FLAGS: dict[Any, float] = {None: 0.0, "": 0.0, 1: 1.0, 0: 0.0, **{
    spelling: float(flag) for word, flag in FLAG_WORDS.items() for spelling in (word, word.upper(), word.title())}}


def _flag(cell: Any, where: str, row: int) -> float:
    try:
        return float(read_flag(cell, where, False))
    except XhsInputError as error:
        raise error.located(row) from None


def _time_chunk(values: list[Any]) -> Any:
    """Times of one chunk: day numbers (a float array), datetime64 when they parse as ISO dates and times, or
    the cells as they are (the core then names the first it cannot read)."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {float, int} and kinds:
        return np.asarray(values, dtype=float)
    cells = values
    if str in kinds and not all(values):  # blanks as None, which numpy reads as NaN or NaT
        cells = [None if is_blank(v) else v for v in values]
    if kinds == {str}:
        try:
            return np.asarray(cells, dtype=float)
        except (TypeError, ValueError):
            pass
    try:
        return np.asarray(cells, dtype="datetime64[ns]")
    except (TypeError, ValueError):
        return cells


def _times(parts: list[Any], rows: Sequence[int], header: str) -> Any:
    """The chunks of the time column joined: one array when every chunk read the same way, else the cells."""
    if all(isinstance(part, np.ndarray) for part in parts) and len({part.dtype.kind for part in parts}) == 1:
        return np.concatenate(parts)
    if any(isinstance(part, np.ndarray) and part.dtype.kind == "f" for part in parts):
        first_text = next(i for i, part in enumerate(parts) if not (isinstance(part, np.ndarray) and part.dtype.kind == "f"))
        row = rows[sum(len(part) for part in parts[:first_text])]
        raise XhsInputError(f"time (column {header!r}) mixes numbers of days and dates; from row {row} on it is not "
                            "a number")
    cells: list[Any] = []
    for part in parts:
        if isinstance(part, np.ndarray):
            cells.extend(None if np.isnat(t) else str(t) for t in part)
        else:
            cells.extend(part)
    return cells

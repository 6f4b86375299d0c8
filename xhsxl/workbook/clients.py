"""The table of clients a batch runs on: a CSV, XLSX or JSON file in, one validated row per client out.

An agency exports its clients from Excel, a CRM or a script, so the reader takes what those produce: CSV in
UTF-8 (with or without the BOM Excel writes) or in GBK / GB18030 (what Chinese Excel writes), XLSX, and
JSON lists of objects. Column headers may be the schema's keys or its English or Chinese labels. Cell text
is read by :mod:`xhsxl.excel` with each field's unit — ``"30%"`` in a share, ``"¥1,200,000"`` and
full-width digits anywhere, a decimal comma in a semicolon-separated file — and then validated by the schema.

Nothing is silently dropped and nothing is guessed: every problem of every row is reported with the row
number and column header as the user sees them in their own file, and a bad row never stops a good one.
Only a file that cannot be read as a table of clients at all raises
:class:`~xhsxl.excel.errors.InputFileError`.

Client text that looks like a formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``, ``@SUM(...)``) is data:
it is kept verbatim in the campaign, and the workbook writer stores it as text.

An XLSX is an untrusted zip of XML. openpyxl parses its XML with defusedxml (no entity expansion, no
external entities); before openpyxl sees the file, its zip directory is checked against the caps below so a
zip bomb is refused with a message instead of filling memory or disk.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from xhsxl.core.errors import NO_VALUE
from xhsxl.excel.campaign import campaign_cells
from xhsxl.excel.cells import all_blank, is_blank
from xhsxl.excel.errors import InputFileError, Problem
from xhsxl.excel.workbooks import has_formulas, rows_with_unsaved_formulas
from xhsxl.schema import FIELDS, ClientCampaign, field_for_header, validation_problems

__all__ = [
    "read_file_bytes",
    "MAX_FILE_BYTES",
    "MAX_UNPACKED_BYTES",
    "MAX_COMPRESSION_RATIO",
    "RATIO_CHECKED_ABOVE_BYTES",
    "MAX_ZIP_MEMBERS",
    "MAX_CLIENT_ROWS",
    "ROW_COLUMN",
    "ClientRow",
    "ClientTable",
    "read_clients",
    "check_xlsx_archive",
    "decode_text",
]

#: Most data rows a client table may have: the batch's summary.xlsx lists one client per row under a four-row
#: heading, and an Excel sheet has 1,048,576 rows. A larger table is refused as soon as its rows are counted,
#: before any row is validated.
MAX_CLIENT_ROWS = 1_048_576 - 4

#: Largest client file read, in bytes. A client table holds tens to thousands of rows of about 1 kB; 200 MiB
#: is ample headroom and still fits in memory, where the file is read once.
MAX_FILE_BYTES = 200 * 1024 * 1024

#: Largest total uncompressed size of an XLSX's members. The same 200 MiB: the XML of a sheet is what openpyxl
#: parses, so this bounds the work a file can ask for however small it is on disk.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

#: Largest compression ratio of one member (uncompressed / compressed). Workbooks written by openpyxl compress
#: 1.4-13x (measured: the sheet of 50,000 identical rows, 12.6x; the theme 6.5x); deflate cannot exceed about
#: 1,030x, and zip bombs sit near that ceiling. 100 leaves room for unusually regular sheets and still refuses
#: a bomb at its first large member.
MAX_COMPRESSION_RATIO = 100

#: Members smaller than this are not ratio-checked: a few hundred kilobytes cannot hurt, whatever their ratio,
#: and the total cap still counts them.
RATIO_CHECKED_ABOVE_BYTES = 1024 * 1024

#: Most members an XLSX may have. A workbook has about ten plus one per sheet, chart and image; tens of
#: thousands of entries are a bomb that repeats one compressed stream under many names.
MAX_ZIP_MEMBERS = 10_000

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_JSON_SUFFIXES = (".json",)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_CSV_DELIMITERS = (",", "\t", ";")

#: The fields that hold a campaign's sales: a table with none of them reads every ROI as -100 %.
_REVENUE_KEYS = ("direct_revenue", "cross_platform_revenue")

#: The column reported for a problem of the whole row (the schema's cross-field checks, a JSON item that is
#: not an object).
ROW_COLUMN = "(campaign)"


@dataclass(frozen=True)
class ClientRow:
    """One data row: the campaign it validates to, or every problem that stops it (then ``campaign`` is
    None). ``client_name_raw`` is the name cell as read, for reports on rows that did not validate."""

    row_number: int
    client_name_raw: str
    campaign: ClientCampaign | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.campaign is not None


@dataclass(frozen=True)
class ClientTable:
    """A whole client file, read and validated.

    ``problems`` are about the table rather than one row (an unknown or repeated column); they do not stop
    any row. ``encoding`` is the text encoding a CSV or JSON file was decoded with (``"utf-8"``,
    ``"utf-8-sig"`` when it starts with a BOM, ``"gb18030"`` for GBK / GB18030, ``"utf-16"``); None for XLSX.
    """

    path: Path
    encoding: str | None
    rows: list[ClientRow]
    unknown_columns: list[str]
    problems: list[Problem]
    file_format: str = "csv"
    sheet: str | None = None

    @property
    def good_rows(self) -> list[ClientRow]:
        return [row for row in self.rows if row.ok]

    @property
    def bad_rows(self) -> list[ClientRow]:
        return [row for row in self.rows if not row.ok]

    def all_problems(self) -> list[Problem]:
        """Table-level and row-level problems together, in row order (table-level first within a row)."""
        problems = list(self.problems) + [problem for row in self.rows for problem in row.problems]
        return sorted(problems, key=lambda problem: problem.row)


@dataclass
class _RawTable:
    """Cells as read, before any interpretation: one header per column and the row each header is on."""

    headers: list[Any]
    header_rows: list[int]
    records: list[tuple[int, list[Any]]]
    #: Problems the format itself found in a row (a JSON item that is not an object, a repeated key).
    record_problems: dict[int, list[Problem]] = field(default_factory=dict)
    #: Unnamed columns are shown by position: a letter in a sheet or CSV, nothing in JSON.
    lettered_columns: bool = True
    #: The file writes decimals with a comma (a semicolon-separated CSV, as Excel saves where that is usual).
    decimal_comma: bool = False


# --------------------------------------------------------------------------------------------------- public
def read_clients(path: Path | str, sheet: str | None = None, encoding: str | None = None) -> ClientTable:
    """Read and validate a table of clients from a CSV, XLSX or JSON file.

    Parameters
    ----------
    path : Path or str
        ``.csv`` / ``.tsv`` / ``.txt`` (comma, tab or semicolon separated; UTF-8 with or without BOM,
        GBK / GB18030, UTF-16 with BOM), ``.xlsx`` / ``.xlsm``, or ``.json`` (a list of objects).
    sheet : str, optional
        The worksheet of an XLSX to read; the first worksheet when omitted.
    encoding : str, optional
        The text encoding of a CSV or JSON file, when it is not one :func:`decode_text` detects on its own.

    Returns
    -------
    ClientTable
        One :class:`ClientRow` per non-blank data row, in file order, each with its campaign or its problems.

    Raises
    ------
    InputFileError
        The file is missing, unreadable, of an unsupported format, larger than the caps, has no data rows,
        or has no column for a required field (the client name).
    """
    path = Path(path)
    from xhsxl.platforms.files import exports_client_table, is_export  # they build on this module's file guards

    if sheet is None and is_export(path, encoding):  # a Juguang / Pugongying export, or a folder of them: see docs/platforms.md
        return exports_client_table([path], encoding=encoding)[0]
    suffix = path.suffix.lower()
    data = read_file_bytes(path)
    if suffix in _XLSX_SUFFIXES:
        raw, sheet_name = _read_xlsx(path, data, sheet)
        return _interpret(raw, path, None, "xlsx", sheet_name)
    if sheet is not None:
        raise InputFileError(f"{path.name}: a sheet can only be chosen in an XLSX workbook")
    if suffix in _CSV_SUFFIXES:
        text, encoding = decode_text(path, data, encoding)
        return _interpret(_read_csv(path, text), path, encoding, "csv", None)
    if suffix in _JSON_SUFFIXES:
        text, encoding = decode_text(path, data, encoding)
        return _interpret(_read_json(path, text), path, encoding, "json", None)
    if suffix == ".xls" or data.startswith(_OLE_MAGIC):
        raise InputFileError(f"{path.name}: Excel 97-2003 workbooks (.xls) cannot be read; save it as .xlsx or CSV")
    raise InputFileError(
        f"{path.name}: unsupported file type {suffix or '(no extension)'!r}; "
        f"use {', '.join(_CSV_SUFFIXES + _XLSX_SUFFIXES + _JSON_SUFFIXES)}"
    )


# --------------------------------------------------------------------------------------------------- bytes in
def read_file_bytes(path: Path, limit: int | None = MAX_FILE_BYTES) -> bytes:
    """The whole file, or :class:`InputFileError` saying why not (missing, a folder, unreadable, empty, or
    larger than ``limit`` bytes when there is one; the default is a client table's)."""
    # Read once into memory: the XLSX checks and openpyxl then see the same bytes, so the file cannot be
    # swapped between the zip-bomb check and the parse.
    try:
        with path.open("rb") as file:
            data = file.read() if limit is None else file.read(limit + 1)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder, not a file") from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    if limit is not None and len(data) > limit:
        raise InputFileError(f"{path.name}: larger than {limit // 2**20} MiB; not a client table")
    if not data.strip():
        raise InputFileError(f"{path.name}: the file is empty")
    return data


#: Encodings read without being named: what Excel and Chinese-, Taiwanese- and Hong Kong-localised software write.
#: Anything else is detected only to be named in the refusal, so the user can pass it with ``--encoding``.
_DETECTED_ENCODINGS = ("gb18030", "big5")
#: The encodings the detector weighs against each other. Restricting it to plausible ones is what makes it
#: reliable on a few short lines of a client table; the last three are there to be recognised and refused,
#: not read: Big5, Shift-JIS and Windows-1252 bytes are mostly valid GB18030 too, read as the wrong characters.
_CANDIDATE_ENCODINGS = (*_DETECTED_ENCODINGS, "shift_jis", "euc_kr", "cp1252")
#: How much less "chaos" (charset-normalizer's measure of implausible text, 0 to 1) the best reading needs
#: than the next one to be chosen; within this margin the file is refused as ambiguous.
_DETECTION_MARGIN = 0.01


def decode_text(path: Path, data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was decoded with.

    ``encoding``, when given, is used strictly. Otherwise a byte-order mark decides (UTF-8, UTF-16); then
    strict UTF-8, which text in any other encoding almost never is; then a detector (charset-normalizer)
    tells GB18030 / GBK from Big5 — and from Shift-JIS, EUC-KR and Windows-1252, which are refused with the
    encoding to pass as ``--encoding``, as is a file the detector cannot tell apart: a name decoded in the
    wrong encoding is a believable wrong name, so none is guessed.
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputFileError(f"{path.name}: unknown encoding {encoding[:40]!r}; use a name such as utf-8, "
                                 "gb18030, big5, utf-16, shift_jis or cp1252") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            raise InputFileError(f"{path.name}: is not {encoding} text (undecodable byte at position {error.start})"
                                 ) from None
        return text.removeprefix("\ufeff"), encoding
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise InputFileError(f"{path.name}: starts like UTF-16 text but is not ({error.reason})") from None
    if data.startswith(_ZIP_MAGIC):
        raise InputFileError(f"{path.name}: this is a zip archive (an XLSX workbook?), not text; name it .xlsx")
    if b"\x00" in data:
        raise InputFileError(f"{path.name}: contains NUL bytes; this is a binary file, or UTF-16 text without a "
                             "byte-order mark (then pass --encoding utf-16-le)")
    try:
        return data.decode("utf-8-sig"), ("utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError:
        pass
    detected = _detect_encoding(path, data)
    return data.decode(detected), detected


def _detect_encoding(path: Path, data: bytes) -> str:
    """GB18030 or Big5 when the detector is sure, otherwise :class:`InputFileError` naming what it found."""
    from charset_normalizer import from_bytes

    order = {name: index for index, name in enumerate(_CANDIDATE_ENCODINGS)}
    readings = sorted(from_bytes(data, cp_isolation=list(_CANDIDATE_ENCODINGS)),
                      key=lambda match: (match.chaos, order.get(match.encoding, len(order))))
    save_as = "save it as CSV UTF-8"
    if not readings:
        raise InputFileError(f"{path.name}: is not UTF-8, GB18030 or Big5 text; {save_as}, or pass --encoding "
                             "with its encoding")
    close = [match.encoding for match in readings if match.chaos - readings[0].chaos < _DETECTION_MARGIN]
    # Among readings as plausible as the best, one the reader takes wins (a few lines of GBK read as well as
    # EUC-KR); GB18030 against Big5 is the mistake that matters, and is refused.
    taken = [name for name in close if name in _DETECTED_ENCODINGS]
    if len(taken) > 1:
        raise InputFileError(f"{path.name}: its encoding cannot be told apart (it reads as {' or '.join(taken)}); "
                             f"{save_as}, or pass --encoding {taken[0]} or --encoding {taken[1]}")
    if not taken:
        raise InputFileError(f"{path.name}: looks like {close[0]} text, which is not read unless named; "
                             f"{save_as}, or pass --encoding {close[0]}")
    return taken[0]


# --------------------------------------------------------------------------------------------------- formats
def _read_csv(path: Path, text: str) -> _RawTable:
    # The csv module refuses a field beyond its limit (131,072 characters) and malformed quoting, in the
    # header as anywhere else: either way the file cannot be read as a table.
    try:
        delimiter = _csv_delimiter(text)
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise InputFileError(f"{path.name}: not a readable CSV file ({error})") from None
    # Row numbers count records, as Excel numbers the rows of a CSV it opens (a quoted cell may span lines).
    numbered = [(number, cells) for number, cells in enumerate(records, start=1) if not all_blank(cells)]
    if not numbered:
        raise InputFileError(f"{path.name}: the file has no rows")
    header_row, headers = numbered[0]
    raw = _aligned(headers, header_row, numbered[1:])
    raw.decimal_comma = delimiter == ";"
    return raw


def _csv_delimiter(text: str) -> str:
    """The delimiter under which the first line names the most schema fields (comma on a tie). Excel writes
    semicolons where the decimal mark is a comma and tabs for "Unicode text"; the header tells which."""
    first_line = next(iter(io.StringIO(text, newline="")), "")

    def named_fields(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(field_for_header(cell) is not None for cell in cells)

    return max(_CSV_DELIMITERS, key=named_fields)


def _read_xlsx(path: Path, data: bytes, sheet: str | None) -> tuple[_RawTable, str]:
    check_xlsx_archive(path, data)
    if not openpyxl.DEFUSEDXML:
        # openpyxl falls back to the standard library's XML parser, which expands entities.
        raise InputFileError(f"{path.name}: refusing to read an XLSX without defusedxml installed")
    # Any failure of the parser on an untrusted file means the same thing to the user — openpyxl raises
    # KeyError, ValueError, TypeError, XML and zip errors, and defusedxml its own — so all are one message.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 — see above
        raise InputFileError(f"{path.name}: not a readable XLSX workbook ({_explain(error)})") from None
    try:
        worksheet = _choose_sheet(path, workbook, sheet)
        # The stored dimension is often wrong (some exporters write "A1"); without it every cell is read.
        worksheet.reset_dimensions()
        try:
            # In read-only mode openpyxl yields every row from 1, padding missing rows, so the position is
            # the sheet's row number.
            rows: Any = worksheet.iter_rows(values_only=True)
            if has_formulas(data):
                rows = rows_with_unsaved_formulas(data, worksheet.title, rows)
            numbered = [(number, list(cells)) for number, cells in enumerate(rows, start=1) if not all_blank(cells)]
        except Exception as error:  # noqa: BLE001 — the sheet XML is parsed lazily, here
            raise InputFileError(f"{path.name}: sheet {worksheet.title!r} cannot be read ({_explain(error)})") from None
        title = worksheet.title
    finally:
        workbook.close()
    if not numbered:
        raise InputFileError(f"{path.name}: sheet {title!r} is empty")
    header_row, headers = numbered[0]
    return _aligned(headers, header_row, numbered[1:]), title


def _explain(error: BaseException) -> str:
    """The error and, when openpyxl wraps one (defusedxml's ``EntitiesForbidden`` in a ValueError), its cause:
    the cause is what tells the user why."""
    text = f"{type(error).__name__}: {error}".strip()
    cause = error.__cause__ or error.__context__
    return f"{text}; {type(cause).__name__}: {cause}" if cause is not None else text


def check_xlsx_archive(path: Path | str, data: bytes | None = None) -> None:
    """Raise :class:`InputFileError` unless ``path`` (or ``data``, its bytes already read) is a zip archive
    within :data:`MAX_ZIP_MEMBERS`, :data:`MAX_UNPACKED_BYTES` and :data:`MAX_COMPRESSION_RATIO`: call it before
    openpyxl opens any untrusted workbook.

    Only the zip directory is read; nothing is decompressed. The declared sizes can be trusted for this:
    Python's zipfile, which openpyxl reads through, stops a member at its declared size and fails its CRC
    check if the data would go on. Passing ``data`` and then loading those same bytes leaves no moment at which
    the file could be swapped between the check and the load.
    """
    path = Path(path)
    if data is None:
        data = read_file_bytes(path)
    if data.startswith(_OLE_MAGIC):
        raise InputFileError(f"{path.name}: this is an Excel 97-2003 workbook (.xls); save it as .xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise InputFileError(f"{path.name}: not an XLSX workbook (not a valid zip archive: {error})") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputFileError(
            f"{path.name}: refused, {len(members):,} entries in the archive (at most {MAX_ZIP_MEMBERS:,}); "
            "this is not an ordinary workbook"
        )
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECKED_ABOVE_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise InputFileError(
                f"{path.name}: refused, {member.filename!r} expands {ratio:,.0f}-fold "
                f"(at most {MAX_COMPRESSION_RATIO}-fold); this looks like a zip bomb"
            )
    if total > MAX_UNPACKED_BYTES:
        raise InputFileError(
            f"{path.name}: refused, it unpacks to {total / 2**20:,.0f} MiB (at most {MAX_UNPACKED_BYTES // 2**20} "
            "MiB); this looks like a zip bomb"
        )


def _choose_sheet(path: Path, workbook: Any, sheet: str | None) -> Any:
    worksheets = workbook.worksheets
    if not worksheets:
        raise InputFileError(f"{path.name}: the workbook has no worksheet")
    if sheet is None:
        return worksheets[0]
    for candidate in worksheets:
        if candidate.title == sheet:
            return candidate
    folded = [candidate for candidate in worksheets if candidate.title.casefold() == sheet.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    names = ", ".join(repr(candidate.title) for candidate in worksheets)
    raise InputFileError(f"{path.name}: no sheet named {sheet!r}; the sheets are {names}")


class _JsonObject(list):
    """A JSON object's (key, value) pairs in order, repeats included (``dict`` would keep the last silently)."""


def _json_integer(text: str) -> int | str:
    """A JSON integer; one of absurd length stays text, which the cell reader refuses as too large (Python
    refuses to convert integers of more than 4,300 digits, and no campaign figure has more than twenty)."""
    return int(text) if len(text) <= 100 else text


def _read_json(path: Path, text: str) -> _RawTable:
    try:
        items = json.loads(text, object_pairs_hook=_JsonObject, parse_int=_json_integer)
    except (json.JSONDecodeError, RecursionError) as error:
        raise InputFileError(f"{path.name}: not valid JSON ({error})") from None
    if not isinstance(items, list) or isinstance(items, _JsonObject):
        kind = "an object" if isinstance(items, _JsonObject) else type(items).__name__
        raise InputFileError(f"{path.name}: must hold a list of client objects, [{{...}}, ...] (got {kind})")
    if not items:
        raise InputFileError(f"{path.name}: the list of clients is empty")
    headers: list[str] = []
    header_rows: list[int] = []
    column_of: dict[str, int] = {}
    objects: list[tuple[int, dict[str, Any]]] = []
    record_problems: dict[int, list[Problem]] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, _JsonObject):
            record_problems[number] = [
                Problem(number, ROW_COLUMN, item, "must be an object of column: value pairs")
            ]
            objects.append((number, {}))
            continue
        values: dict[str, Any] = {}
        for key, value in item:
            if key in values:
                record_problems.setdefault(number, []).append(
                    Problem(number, key, value, f"{key!r} appears twice in this object")
                )
                continue
            values[key] = value
            if key not in column_of:
                column_of[key] = len(headers)
                headers.append(key)
                header_rows.append(number)
        objects.append((number, values))
    records = [(number, [values.get(key) for key in headers]) for number, values in objects]
    return _RawTable(headers, header_rows, records, record_problems, lettered_columns=False)


def _aligned(headers: list[Any], header_row: int, records: list[tuple[int, list[Any]]]) -> _RawTable:
    """Pad the header and every row to the widest row, so a cell beyond the last header is still seen."""
    width = max([len(headers), *(len(cells) for _, cells in records)])
    padded = [(number, cells + [None] * (width - len(cells))) for number, cells in records]
    return _RawTable(list(headers) + [None] * (width - len(headers)), [header_row] * width, padded)


# --------------------------------------------------------------------------------------------------- meaning
def _interpret(raw: _RawTable, path: Path, encoding: str | None, file_format: str, sheet: str | None) -> ClientTable:
    if len(raw.records) > MAX_CLIENT_ROWS:
        raise InputFileError(f"{path.name}: {len(raw.records):,} rows, more than the {MAX_CLIENT_ROWS:,} a batch "
                             "can list in summary.xlsx (one Excel sheet); split the table and run it in parts")
    table_problems: list[Problem] = []
    unknown_columns: list[str] = []
    column_of_key: dict[str, int] = {}
    repeated: list[tuple[int, int]] = []  # (repeated column, first column naming the same field)
    labels: list[str] = []

    for index, header in enumerate(raw.headers):
        text = "" if header is None else str(header)
        labels.append(text)
        if not text.strip():
            label = f"(column {get_column_letter(index + 1)})" if raw.lettered_columns else "(no name)"
            labels[index] = label
            if any(not is_blank(cells[index]) for _, cells in raw.records):
                unknown_columns.append(label)
                table_problems.append(
                    Problem(raw.header_rows[index], label, None, "has values but no header; its values are ignored")
                )
            continue
        input_field = field_for_header(text)
        if input_field is None:
            unknown_columns.append(text)
            table_problems.append(Problem(raw.header_rows[index], text, None, _unknown_column_reason(text)))
        elif input_field.key in column_of_key:
            first_label = labels[column_of_key[input_field.key]]
            repeated.append((index, column_of_key[input_field.key]))
            table_problems.append(
                Problem(
                    raw.header_rows[index], text, None,
                    f"repeats column {first_label!r} ({input_field.key}); the first is read, and rows where the two "
                    "differ are rejected",
                )
            )
        else:
            column_of_key[input_field.key] = index

    missing = [f for f in FIELDS if f.required and f.key not in column_of_key]
    if missing:
        names = "; ".join(f"{f.key} / {f.label_en} / {f.label_zh}" for f in missing)
        found = ", ".join(repr(label) for label in labels[:8]) + (", ..." if len(labels) > 8 else "")
        where = f"the header row (row {raw.header_rows[0]}) has" if raw.lettered_columns else "the objects have"
        raise InputFileError(f"{path.name}: no column for {names}; every row needs one ({where} {found})")
    if not any(not all_blank(cells) or number in raw.record_problems for number, cells in raw.records):
        raise InputFileError(f"{path.name}: there are headers but no client rows")
    revenue = [f for f in FIELDS if f.key in _REVENUE_KEYS]
    if not any(f.key in column_of_key for f in revenue):
        # Not an error (a plan before the campaign has no sales yet), but every ROI would read -100 %.
        names = "; ".join(f"{f.key} / {f.label_en} / {f.label_zh}" for f in revenue)
        table_problems.append(Problem(raw.header_rows[0], ROW_COLUMN, None,
                                      f"no revenue column ({names}): every client's revenue is 0 and its ROI "
                                      "-100 %; add the column if the campaign has sales"))

    name_column = column_of_key["client_name"]
    column_order: dict[str, int] = {}
    for index, label in enumerate(labels):
        column_order.setdefault(label, index)
    first_row_of_client: dict[str, int] = {}
    rows: list[ClientRow] = []
    for number, cells in raw.records:
        problems = list(raw.record_problems.get(number, ()))
        if not problems and all_blank(cells):
            continue
        data: dict[str, Any] = {}
        unreadable: set[str] = set()
        for key, index in column_of_key.items():
            value = cells[index]
            if isinstance(value, (list, dict)):  # only JSON has nested values
                problems.append(Problem(number, labels[index], value, "must be a single value, not a list or object"))
                unreadable.add(key)
                value = None
            data[key] = value
        for index, first in repeated:
            if not is_blank(cells[index]) and cells[index] != cells[first]:
                problems.append(
                    Problem(number, labels[index], cells[index],
                            f"differs from column {labels[first]!r} ({cells[first]!r}), which names the same field")
                )
        # A row with nothing in it is here only for a problem the format found; validating it would add
        # "client_name is required" to that.
        campaign, invalid = _validate(data, raw.decimal_comma) if not all_blank(cells) else (None, [])
        for key, value, reason in invalid:
            if key in unreadable:
                continue
            if key in column_of_key:
                problems.append(Problem(number, labels[column_of_key[key]], value, reason))
            else:
                problems.append(Problem(number, ROW_COLUMN, None, reason))
        name = cells[name_column]
        client_key = _client_key(name)
        if client_key:
            first_row = first_row_of_client.setdefault(client_key, number)
            if first_row != number:
                problems.append(Problem(number, labels[name_column], name, f"duplicate of row {first_row}"))
        if problems:
            # Left to right as in the file; whole-row problems last.
            problems.sort(key=lambda problem: column_order.get(problem.column, len(column_order)))
            campaign = None
        rows.append(ClientRow(number, "" if name is None else str(name), campaign, problems))

    return ClientTable(path, encoding, rows, unknown_columns, table_problems, file_format, sheet)


def _validate(data: dict[str, Any], decimal_comma: bool) -> tuple[ClientCampaign | None, list[tuple[str, Any, str]]]:
    """The campaign, or every (field key, value, reason) that stops it; a cell that does not read as its
    field's value is reported with the reader's reason, which carries the hint the schema cannot give."""
    values, refused = campaign_cells(data, decimal_comma=decimal_comma)
    try:
        campaign: ClientCampaign | None = ClientCampaign.model_validate(values)
        problems: list[tuple[str, Any, str]] = []
    except ValidationError as error:
        campaign, problems = None, validation_problems(error)
    # each cell quoted as it is in the file ("-1", not the -1.0 it was read as)
    problems = [(key, data.get(key, value), reason) for key, value, reason in problems if key not in refused]
    # the cell as the reader quotes it (a formula's text, not its placeholder), with the reader's reason
    problems += [(key, data[key] if error.value is NO_VALUE else error.value, str(error))
                 for key, error in refused.items()]
    return (None if problems else campaign), problems


def _unknown_column_reason(header: str) -> str:
    names = [name for f in FIELDS for name in (f.key, f.label_en, f.label_zh)]
    close = difflib.get_close_matches(header.strip(), names, n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown column, its values are ignored{hint}"


def _client_key(name: Any) -> str:
    """Two rows are the same client when their names match ignoring case, width and surrounding spaces."""
    if name is None or isinstance(name, (list, dict)):
        return ""
    return unicodedata.normalize("NFKC", str(name)).casefold().strip()


"""Cells of an XLSX as the file stores them: a formula whose result was never saved is not a blank.

Excel saves each formula's last result beside it; a program writing XLSX (openpyxl, many exporters) saves
the formula alone. Read for values, such a cell looks blank — and a blank amount is 0, a believable wrong
number. The readers of client tables and touch logs therefore look at the formulas too, when the sheet has
any, and hand such a cell on as :class:`UnsavedFormula`, which every reader of cells refuses with what to do.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any, Iterable, Iterator, Sequence

import openpyxl

from xhsxl.excel.cells import UnsavedFormula

__all__ = ["UnsavedFormula", "has_formulas", "rows_with_unsaved_formulas"]

#: Bytes of a sheet's XML read at once while looking for a formula element.
_CHUNK = 1 << 20


def has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the XLSX ``data`` holds a formula (a ``<f>`` element), read in chunks.

    The archive has passed the size and ratio caps before this is called."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
                continue
            with archive.open(member) as sheet:
                tail = b""
                while chunk := sheet.read(_CHUNK):
                    if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                        return True
                    tail = chunk[-3:]
    return False


def rows_with_unsaved_formulas(data: bytes, title: str, rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
    """``rows`` (the sheet ``title`` read for values, from row 1) with each blank cell that holds a formula
    replaced by :class:`UnsavedFormula`; the formulas are read from the same bytes, row for row."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        worksheet = workbook[title]
        worksheet.reset_dimensions()
        formulas = worksheet.iter_rows(values_only=True)
        for values in rows:
            written = next(formulas, ())
            yield [UnsavedFormula(str(formula)) if value is None and isinstance(formula, str)
                   and formula.startswith("=") else value
                   for value, formula in zip(values, [*written, *[None] * (len(values) - len(written))])]
    finally:
        workbook.close()

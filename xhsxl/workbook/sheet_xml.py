"""A worksheet's XML, kept cell by cell, so that another client's copy re-serialises only the cells that changed.

A batch writes the same layout for many clients. Between two clients most cells of a worksheet hold the
same label, formula or style and only some values differ, yet openpyxl serialises every cell of the sheet
again on every save. :class:`SheetXml` keeps the bytes openpyxl wrote for each cell the first time and,
for each later state of the sheet, asks openpyxl to serialise only the cells whose value, type, style or
comment changed; the rest is copied.

Every piece comes from openpyxl's own writers: the head and tail of the sheet (properties, views, columns,
validation, protection, page setup) are cut out of a full write, and a changed cell is written by
openpyxl's cell writer. When the pieces put back together do not give the full write's bytes exactly —
for example with a serialiser other than the standard library's, or a cell the pieces do not cover — the
sheet is simply written whole each time. Whenever the set of cells differs from the one the pieces were
cut from, the sheet is written whole and cut again.
"""

from __future__ import annotations

import io
import math
from typing import Any
from xml.etree.ElementTree import tostring

from openpyxl import LXML
from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import Cell
from openpyxl.compat import safe_string
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["SheetXml", "worksheet_xml"]

_SHEET_DATA = b"<sheetData>"
_SHEET_DATA_END = b"</sheetData>"
_ROW_END = b"</row>"


def worksheet_xml(ws: Worksheet) -> bytes:
    """One worksheet's XML exactly as openpyxl writes it inside a full save of its workbook."""
    writer = WorksheetWriter(ws, out=io.BytesIO())
    writer.write()
    return writer.read()


class _Element:
    """Stands in for openpyxl's XML stream while it writes one cell: keeps the element it is given."""

    __slots__ = ("element",)

    def __init__(self) -> None:
        self.element: Any = None

    def write(self, element: Any) -> None:
        self.element = element


def _written(cell: Cell) -> bool:
    """Whether openpyxl writes a ``<c>`` element for the cell (it skips empty, unstyled, uncommented ones)."""
    return not (cell._value is None and not cell.has_style and cell._comment is None)


def _cell_xml(ws: Worksheet, cell: Cell) -> bytes:
    if not _written(cell):
        return b""
    sink = _Element()
    etree_write_cell(sink, ws, cell, cell.has_style)
    return tostring(sink.element, encoding="unicode").encode("utf-8")


def _signature(cell: Cell) -> tuple[Any, ...]:
    """Everything of a cell its XML depends on. A float is compared by its bits (0.0 and -0.0 differ)."""
    value = cell._value
    return (value.__class__, value.hex() if isinstance(value, float) else value, cell.data_type,
            None if cell._style is None else cell._style.tobytes(), cell._comment is None)


def _number_xml(entry: list[Any], signature: tuple[Any, ...], value: Any) -> bytes | None:
    """A number that replaced another number in the same cell: openpyxl's piece with the new digits.

    openpyxl writes a finite number as ``<c r=… s=… t="n"><v>digits</v></c>``, the digits being its
    ``safe_string`` of the value; only the digits change while the type, style and comment stay the same.
    Anything else (text, a formula, a blank, a boolean, infinity) returns None and is written by openpyxl.
    """
    old, piece = entry[1], entry[2]
    if (signature[0] is not old[0] or signature[2:] != old[2:] or signature[2] != "n"
            or not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
            or not piece.endswith(b"</v></c>")):
        return None
    cut = piece.rfind(b"<v>")
    return None if cut < 0 else piece[:cut + 3] + safe_string(value).encode("ascii") + b"</v></c>"


class SheetXml:
    """The XML of one worksheet, re-serialised cell by cell as its values change.

    ``SheetXml(ws).xml()`` always equals :func:`worksheet_xml` of the sheet as it is at that moment, as long
    as only cells change: a worksheet-level change (columns, validation, protection, hyperlinks, merged
    cells) is not looked for, so a sheet whose tail varies must not be given to this class. Restyling a cell
    in place after a save also renumbers the styles of other cells in openpyxl's output; the factory never
    restyles a cell it binds.
    """

    def __init__(self, ws: Worksheet, written: bytes | None = None) -> None:
        """``written``: the sheet's XML from a full save of the workbook just made, if there is one."""
        self.ws = ws
        self._cut(worksheet_xml(ws) if written is None else written)

    def _cut(self, full: bytes) -> None:
        """Split a full write into head, rows of cell pieces and tail, or give up on pieces for this sheet."""
        ws = self.ws
        self._full = full
        self._keys = frozenset(ws._cells)
        self._rows: list[tuple[bytes, list[list[Any]]]] = []
        self._whole = True  # until the pieces are known to add up
        if LXML or any(cell.hyperlink for cell in ws._cells.values()):
            return  # another serialiser, or hyperlinks the tail lists: always written whole
        start = full.find(_SHEET_DATA)
        end = full.rfind(_SHEET_DATA_END)
        if start < 0 or end < 0:
            return
        position = start + len(_SHEET_DATA)
        rows: list[tuple[bytes, list[list[Any]]]] = []
        by_row: dict[int, list[Cell]] = {}
        for (row, _column), cell in sorted(ws._cells.items()):
            by_row.setdefault(row, []).append(cell)
        for row in sorted(by_row.keys() | ws.row_dimensions.keys()):
            opening_end = full.find(b">", position) + 1
            opening = full[position:opening_end]
            if not opening.startswith(b"<row ") or opening.endswith(b"/>"):
                return
            position = opening_end
            pieces = []
            for cell in by_row.get(row, []):
                piece = _cell_xml(ws, cell)
                if not full.startswith(piece, position):
                    return
                position += len(piece)
                pieces.append([(cell.row, cell.column), _signature(cell), piece])
            if not full.startswith(_ROW_END, position):
                return
            position += len(_ROW_END)
            rows.append((opening, pieces))
        if position != end:
            return
        self._head, self._tail = full[:start + len(_SHEET_DATA)], full[end:]
        self._rows = rows
        self._whole = False

    def xml(self) -> bytes:
        """The sheet's XML as it stands now."""
        ws = self.ws
        cells = ws._cells
        if self._whole:
            return worksheet_xml(ws)  # the pieces did not add up once; they would not now
        if len(cells) != len(self._keys) or cells.keys() != self._keys:
            self._cut(worksheet_xml(ws))
            return self._full
        parts = [self._head]
        for opening, pieces in self._rows:
            parts.append(opening)
            for entry in pieces:
                cell = cells[entry[0]]
                signature = _signature(cell)
                if signature != entry[1]:
                    if signature[4] != entry[1][4]:
                        # A comment came or went: the tail's legacy drawing depends on whether there are any.
                        self._cut(worksheet_xml(ws))
                        return self._full
                    entry[2] = _number_xml(entry, signature, cell._value) or _cell_xml(ws, cell)
                    entry[1] = signature
                parts.append(entry[2])
            parts.append(_ROW_END)
        parts.append(self._tail)
        return b"".join(parts)

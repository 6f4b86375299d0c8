"""The xlwings.conf sheet: classic xlwings reads the module holding the UDFs from it (keys in column A from A1,
no blank rows)."""

from __future__ import annotations

from xhsxl.workbook.sheets.kit import Kit, Sheet

__all__ = ["SHEET"]


def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    ws["A1"] = "UDF Modules"
    ws["B1"] = "xhsxl.udfs"
    kit.widths(ws, (16, 16))


SHEET = Sheet("xlwings.conf", "", draw)

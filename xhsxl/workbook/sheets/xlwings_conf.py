"""The xlwings.conf sheet: classic xlwings reads the module holding the UDFs from it (keys in column A from A1,
no blank rows). It is hidden: it is for the add-in, not for the client."""

from __future__ import annotations

from xhsxl.workbook.sheets.kit import Kit, Sheet

__all__ = ["SHEET"]


def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    ws["A1"] = "UDF Modules"
    ws["B1"] = "xhsxl.udfs"
    kit.widths(ws, (16, 16))
    # Hidden, as xlwings' own release step hides it (RELEASE_HIDE_CONFIG_SHEET): the add-in finds the sheet by
    # name whatever its visibility, and a client neither needs to read it nor to print it as the last page.
    ws.sheet_state = "hidden"


SHEET = Sheet("xlwings.conf", "", draw)

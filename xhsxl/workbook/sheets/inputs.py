"""The Inputs sheet: one yellow row per field of :data:`xhsxl.schema.FIELDS`, in schema order under its group's
heading, each with its name, validation from the field's bounds and a comment; and the named ranges of
:data:`xhsxl.schema.SPANS` over them."""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xhsxl.schema import FIELDS, GROUPS, SPANS, UNIT_LABELS, InputField
from xhsxl.workbook.sheets.kit import (
    BOLD, BOX, FRACTIONAL_COUNT, GROUP_FILL, INPUT_FILL, UNLOCKED, Kit, Sheet, write_text,
)

__all__ = ["SHEET", "write_input", "STAGE_CHOICES"]

#: What the brand-stage cell's drop-down offers: the keys and their Chinese names.
STAGE_CHOICES = ("cold_start", "growth", "maturity", "冷启动", "成长期", "成熟期")


def write_input(cell: Cell, f: InputField, value: Any) -> None:
    """A field's value in its cell: text as text (never a formula), numbers as floats, blank as blank."""
    if f.unit in ("text", "stage"):
        write_text(cell, str(value or ""))
    else:
        cell.value = None if value is None else float(value)


def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Campaign inputs", "活动输入", "Yellow cells are yours to fill; everything else is computed.")
    kit.header(ws, 3, ("Input", "输入项", "Value", "Unit", "Allowed", "Meaning"))
    row = 4
    rows: dict[str, int] = {}
    group = None
    for f in FIELDS:
        if f.group != group:
            group = f.group
            english, chinese = GROUPS[group]
            cell = ws.cell(row, 1, f"{english} · {chinese}")
            cell.font = BOLD
            for column in range(1, 7):
                ws.cell(row, column).fill = GROUP_FILL
            row += 1
        _input_row(kit, ws, row, f)
        rows[f.key] = row
        row += 1
    for span, keys in SPANS.items():
        kit.range(span, ws, rows[keys[0]], 3, list(keys))
    ws.freeze_panes = "A4"
    kit.widths(ws, (34, 22, 36, 12, 22, 110))
    kit.fit_rows(ws)


def _input_row(kit: Kit, ws: Worksheet, row: int, f: InputField) -> None:
    ws.cell(row, 1, f.label_en)
    ws.cell(row, 2, f.label_zh)
    cell = ws.cell(row, 3)
    kit.input_cells[f.key] = cell
    write_input(cell, f, kit.inputs[f.key])
    cell.fill = INPUT_FILL
    cell.border = BOX
    cell.protection = UNLOCKED
    # A count that may be fractional (0.5 orders a month) keeps its decimals; the schema's count format shows 1.
    cell.number_format = FRACTIONAL_COUNT if f.unit == "count" and not f.integer else f.number_format
    ws.cell(row, 4, UNIT_LABELS[f.unit]).alignment = Alignment(indent=1, vertical="top")  # clear of the value
    ws.cell(row, 5, f.bounds_text() or (", ".join(f.choices) if f.choices else "")).alignment = Alignment(
        wrap_text=True, vertical="top")
    ws.cell(row, 6, f.help).alignment = Alignment(wrap_text=True, vertical="top")
    for column in (1, 2, 3):
        ws.cell(row, column).alignment = Alignment(vertical="top", horizontal="left" if column < 3 else None)
    cell.comment = Comment(f"{f.label_en} · {f.label_zh}\n{f.help}"
                           + (f"\nAllowed: {f.bounds_text()}" if f.bounds_text() else ""), "xhsxl", 160, 320)
    kit.place.put(f.key, ws.title, row, 3)
    validation = _validation(f)
    validation.add(cell.coordinate)
    ws.add_data_validation(validation)


def _validation(f: InputField) -> DataValidation:
    """Data validation from the schema's bounds, with the label and help as the input message."""
    common = dict(showErrorMessage=True, showInputMessage=True, allow_blank=not f.required,
                  promptTitle=f.label_en[:32], prompt=f.help[:255], errorTitle=f.label_en[:32])
    if f.unit == "stage":
        return DataValidation(type="list", formula1='"' + ",".join(STAGE_CHOICES) + '"',
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


SHEET = Sheet("Inputs", "输入", draw)

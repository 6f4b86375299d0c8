"""The Inputs sheet: one yellow row per field of :data:`xhsxl.schema.FIELDS`, in schema order under its group's
heading, each with its name, validation from the field's bounds and a comment; and the named ranges of
:data:`xhsxl.schema.SPANS` over them.

A yellow switch at the top says where the results the platforms report come from: typed here, or the exports
pasted into the Platform data sheet. The rows of those fields (:data:`~xhsxl.platforms.mapping.MAPPED_FIELDS`)
have their yellow cell in the *Typed* column; their *Value* cell — the one every formula reads, by the field's
name — is a formula taking the pasted export's value when the switch says so and the export has the field,
else the typed one, with the source beside it. An export that does not read turns those values into its error,
never back into the typed numbers."""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xhsxl.platforms.mapping import MAPPED_FIELDS, NOT_IN_EXPORT
from xhsxl.schema import FIELDS, GROUPS, SPANS, UNIT_LABELS, InputField
from xhsxl.workbook.formula import NOT_APPLICABLE, BinOp, Expr, Fn, Lit, Name
from xhsxl.workbook.sheets.kit import (
    BOLD, BOX, FRACTIONAL_COUNT, GROUP_FILL, INPUT_FILL, UNLOCKED, InputBlock, Kit, Placement, Sheet, write_text,
)

__all__ = ["SHEET", "write_input", "STAGE_CHOICES", "SOURCE_BLOCK", "SOURCE_CHOICES", "uses_platform_data",
           "typed_name", "TYPED_KEYS", "HEADER_ROW", "PLATFORM_ON"]

#: What the brand-stage cell's drop-down offers: the keys and their Chinese names.
STAGE_CHOICES = ("cold_start", "growth", "maturity", "冷启动", "成长期", "成熟期")

#: The switch's words: typed (blank means typed) or the pasted platform data, in English or Chinese.
SOURCE_CHOICES = ("typed", "platform data", "手填", "平台数据")
_PLATFORM_WORDS = ("platform data", "平台数据")
SOURCE_BLOCK = InputBlock.choice("input_source", SOURCE_CHOICES)
#: True when the switch says platform data (Excel's = ignores case, as :func:`uses_platform_data` does): the
#: Inputs' platform-fed rows, the Planner's history and the Checkpoints then read the Platform data sheet.
PLATFORM_ON: Expr = Fn("OR", *(BinOp("=", Name(SOURCE_BLOCK.name), Lit(word)) for word in _PLATFORM_WORDS))
#: The header row; the fields start below it.
HEADER_ROW = 4
_VALUE, _TYPED, _SOURCE = 3, 4, 5  # columns: the value every formula reads, the typed cell, the source


def uses_platform_data(switch: object) -> bool:
    """Whether the switch's value says the pasted platform data (the workbook's formulas test the same words)."""
    return isinstance(switch, str) and switch.lower() in _PLATFORM_WORDS  # Excel's = ignores case only


def typed_name(key: str) -> str:
    """The defined name of a platform-fed field's typed cell (the field's own name is on the value in use)."""
    return f"typed_{key}"


#: Keys a reader may give beside the campaign: what was typed under values taken from the pasted exports.
TYPED_KEYS: tuple[str, ...] = tuple(typed_name(key) for key in MAPPED_FIELDS)


def write_input(cell: Cell, f: InputField, value: Any) -> None:
    """A field's value in its cell: text as text (never a formula), numbers as floats, blank as blank."""
    if f.unit in ("text", "stage"):
        write_text(cell, str(value or ""))
    else:
        cell.value = None if value is None else float(value)


def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Campaign inputs", "活动输入", "Yellow cells are yours to fill; everything else is computed.")
    ws.cell(3, 1, "Results from · 结果数据来源").font = BOLD
    kit.input_block(ws, 3, _VALUE, SOURCE_BLOCK)
    ws.cell(3, _TYPED, "blank or typed: the yellow cells · platform data: the exports pasted in Platform data fill "
                       "the rows with a Typed cell").alignment = Alignment(indent=1, vertical="top")
    kit.header(ws, HEADER_ROW, ("Input", "输入项", "Value", "Typed · 手填", "Source · 来源", "Unit", "Allowed",
                                "Meaning"))
    row = HEADER_ROW + 1
    rows: dict[str, int] = {}
    group = None
    for f in FIELDS:
        if f.group != group:
            group = f.group
            english, chinese = GROUPS[group]
            cell = ws.cell(row, 1, f"{english} · {chinese}")
            cell.font = BOLD
            for column in range(1, 9):
                ws.cell(row, column).fill = GROUP_FILL
            row += 1
        _input_row(kit, ws, row, f)
        rows[f.key] = row
        row += 1
    for span, keys in SPANS.items():
        kit.range(span, ws, rows[keys[0]], _VALUE, list(keys))
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    kit.widths(ws, (34, 22, 36, 16, 46, 12, 22, 110))
    kit.fit_rows(ws)


def _input_row(kit: Kit, ws: Worksheet, row: int, f: InputField) -> None:
    ws.cell(row, 1, f.label_en)
    ws.cell(row, 2, f.label_zh)
    platform_fed = f.key in MAPPED_FIELDS
    cell = ws.cell(row, _TYPED if platform_fed else _VALUE)
    kit.input_cells[f.key] = cell
    # A workbook read with the switch on platform data keeps what was typed beside the values in use.
    write_input(cell, f, kit.sheet_values.get(typed_name(f.key), kit.inputs[f.key]))
    cell.fill = INPUT_FILL
    cell.border = BOX
    cell.protection = UNLOCKED
    # A count that may be fractional (0.5 orders a month) keeps its decimals; the schema's count format shows 1.
    cell.number_format = FRACTIONAL_COUNT if f.unit == "count" and not f.integer else f.number_format
    ws.cell(row, 6, UNIT_LABELS[f.unit]).alignment = Alignment(indent=1, vertical="top")  # clear of the value
    ws.cell(row, 7, f.bounds_text() or (", ".join(f.choices) if f.choices else "")).alignment = Alignment(
        wrap_text=True, vertical="top")
    ws.cell(row, 8, f.help).alignment = Alignment(wrap_text=True, vertical="top")
    for column in (1, 2, 3):
        ws.cell(row, column).alignment = Alignment(vertical="top", horizontal="left" if column < 3 else None)
    cell.comment = Comment(f"{f.label_en} · {f.label_zh}\n{f.help}"
                           + (f"\nAllowed: {f.bounds_text()}" if f.bounds_text() else ""), "xhsxl", 160, 320)
    kit.place.put(f.key, ws.title, row, _VALUE)
    if platform_fed:
        _platform_fed(kit, ws, row, f, cell.number_format)
    validation = _validation(f)
    validation.add(cell.coordinate)
    ws.add_data_validation(validation)


def _platform_fed(kit: Kit, ws: Worksheet, row: int, f: InputField, number_format: str) -> None:
    """The value in use (named as the field) and its source, from the typed cell or the pasted exports."""
    kit.place.put(typed_name(f.key), ws.title, row, _TYPED)
    value, source = ws.cell(row, _VALUE), ws.cell(row, _SOURCE)
    value.number_format = number_format
    value.border = source.border = BOX
    source.alignment = Alignment(indent=1, vertical="top")  # clear of the typed value; a long source runs on
    table_row = 2 + MAPPED_FIELDS.index(f.key)  # the mapping table: a header, then one row per field
    typed = typed_name(f.key)

    def parts(place: Placement) -> tuple[str, str, str, str]:
        from xhsxl.workbook.sheets.platform_data import MAPPING_TABLE

        mapped = place.cell_ref(MAPPING_TABLE.name, table_row, 3)
        columns = place.cell_ref(MAPPING_TABLE.name, table_row, 4)
        on = PLATFORM_ON.excel(place)
        # A number from columns that feed it; "n/a" (nothing pasted) or a field the exports lack keeps the typed
        # value. An error (an export that does not read) is passed on, never replaced by the typed number.
        found = f'AND(ISNUMBER({mapped}),{columns}<>"{NOT_IN_EXPORT}")'
        return on, mapped, columns, found

    def value_formula(place: Placement) -> str:
        on, mapped, _columns, found = parts(place)
        return f"IF({on},IF(ISERROR({mapped}),{mapped},IF({found},{mapped},{typed})),{typed})"

    def source_formula(place: Placement) -> str:
        on, mapped, columns, found = parts(place)
        return (f'IF({on},IF(ISERROR({mapped}),"refused: see Platform data · 见平台数据",IF({found},{columns},'
                f'IF({mapped}="{NOT_APPLICABLE}","typed (nothing pasted)","typed (not in the export)"))),"typed")')

    kit.linked += [(value, value_formula), (source, source_formula)]


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


SHEET = Sheet("Inputs", "输入", draw, inputs=(SOURCE_BLOCK,))

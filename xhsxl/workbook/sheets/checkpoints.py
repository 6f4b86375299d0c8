"""The Checkpoints sheet: steering during the campaign — each line's spend and result at the 24 h, 72 h and 7-day
reviews in yellow cells, and the reserve reallocated to equal marginal returns, with a chart."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from xhsxl.core import planner
from xhsxl.schema import Unit
from xhsxl.workbook.formula import NOT_APPLICABLE, Call, Expr, If, IsBlank, Lit, Name, Span, Table
from xhsxl.workbook.sheets.inputs import PLATFORM_ON
from xhsxl.workbook.sheets.kit import (
    ChartSpec, ComputedCell, InputBlock, Kit, Sheet, TableSpec, data_status_cell, labels, switched_table,
)
from xhsxl.workbook.sheets.platform_data import CHECKPOINT_TABLE, EXPORT_BLOCK

__all__ = [
    "SHEET", "CHECKPOINT_EXAMPLE", "CHECKPOINT_CAPS_EXAMPLE", "CHECKPOINT_COLUMNS", "CHECKPOINT_INPUT_ROWS",
    "CAPS_INPUT_ROWS", "CHECKPOINT_LINES", "RESERVE_TO_REALLOCATE", "REALLOCATION_TABLE", "REALLOCATION_CHART",
    "RESERVE_BLOCK", "CHECKPOINT_BLOCK", "CAPS_BLOCK", "REALLOCATION_STATUS",
]

#: The worked example (the revenue columns of examples/checkpoints.csv): five lines' cumulative spend and
#: revenue at article 000's 24 h, 72 h and 7-day reviews — line, hours, spend ¥, revenue ¥. Illustrative
#: numbers, not from the articles: micro creators return the most per ¥, top-tier creators the least. The
#: sheet reallocates the campaign's planned reserve over them.
CHECKPOINT_EXAMPLE: tuple[tuple[str, float, float, float], ...] = (
    ("top", 24, 30_000, 54_000), ("top", 72, 55_000, 88_000), ("top", 168, 70_000, 101_000),
    ("mid", 24, 15_000, 52_000), ("mid", 72, 40_000, 131_000), ("mid", 168, 85_000, 262_000),
    ("micro", 24, 10_000, 41_000), ("micro", 72, 28_000, 104_000), ("micro", 168, 60_000, 205_000),
    ("paid_ads", 24, 12_000, 30_000), ("paid_ads", 72, 35_000, 80_000), ("paid_ads", 168, 72_000, 150_000),
    ("content_production", 24, 20_000, 40_000), ("content_production", 72, 50_000, 95_000),
    ("content_production", 168, 100_000, 170_000),
)
#: The example's caps: at most ¥40,000 more for micro creators, so a large reserve also reaches the next best.
CHECKPOINT_CAPS_EXAMPLE: tuple[tuple[str, float], ...] = (("micro", 40_000),)

#: Columns of the checkpoint block, in the order XHS_REALLOCATE reads them: header, Chinese header, unit.
CHECKPOINT_COLUMNS: tuple[tuple[str, str, Unit], ...] = (
    ("Line", "渠道", "text"), ("Hours since launch", "上线小时数", "count"), ("Spend so far", "累计花费", "CNY"),
    ("Result so far", "累计结果", "CNY"),
)
CHECKPOINT_INPUT_ROWS = 24
CAPS_INPUT_ROWS = 8
#: Lines of the example checkpoints, in order of first appearance (the order the reallocation lists them).
CHECKPOINT_LINES: tuple[str, ...] = tuple(dict.fromkeys(row[0] for row in CHECKPOINT_EXAMPLE))

RESERVE_TO_REALLOCATE = ComputedCell(
    "reserve_to_reallocate", "Reserve to reallocate", "本次调配预算", "CNY",
    If(IsBlank("reserve_override"), Name("planner_amount_reserve"), Name("reserve_override")),
    "The amount typed beside it, or else the Planner's reserve line.")


def _reallocated(checkpoints: Expr) -> Expr:
    reserve = Name(RESERVE_TO_REALLOCATE.name)
    # The total stays the table's last row whatever the lines (the chart reads the rows above it).
    return If(reserve > 0, Call("XHS_REALLOCATE", checkpoints, reserve, Span("reallocation_caps"), Lit(""), Lit(""),
                                Lit(len(CHECKPOINT_LINES) + 1)), NOT_APPLICABLE)


#: The checkpoints typed below or, with the Inputs sheet's switch on platform data, the Platform data sheet's.
REALLOCATION_TABLE = TableSpec(
    "reallocation_table", "Reserve reallocated to equal marginal returns", "预留预算调配",
    len(CHECKPOINT_LINES) + 2, len(planner.REALLOCATION_TABLE_HEADER),
    switched_table(PLATFORM_ON, (EXPORT_BLOCK.name, _reallocated(Table(CHECKPOINT_TABLE.name))),
                   ("checkpoints", _reallocated(Span("checkpoints")))),
    (None, "count", "CNY", "CNY", "CNY", "elasticity", None, "ratio", "ratio", "CNY", "CNY", "fraction", "ratio",
     "CNY", None),
    header_labels=labels(planner.REALLOCATION_TABLE_HEADER),
)
#: Beside the reallocation table: "n/a — add your data" while the checkpoints it reads are empty.
REALLOCATION_STATUS = data_status_cell("reallocation_status", "checkpoints", (PLATFORM_ON, EXPORT_BLOCK.name))

RESERVE_BLOCK = InputBlock.optional_amount("reserve_override")
# Hours are read as 24, "72h" or "7d": no number-only validation on them.
CHECKPOINT_BLOCK = InputBlock.padded("checkpoints", CHECKPOINT_EXAMPLE, CHECKPOINT_INPUT_ROWS,
                                     tuple(unit for _english, _chinese, unit in CHECKPOINT_COLUMNS),
                                     validated=(True, False, True, True))
CAPS_BLOCK = InputBlock.padded("reallocation_caps", CHECKPOINT_CAPS_EXAMPLE, CAPS_INPUT_ROWS, ("text", "CNY"))

_REALLOCATED_AMOUNT = planner.REALLOCATION_TABLE_HEADER.index("amount") + 1
REALLOCATION_CHART = ChartSpec(
    "reallocation_chart", "Reserve reallocated · 预留预算调配", "bar", "Checkpoints",
    (REALLOCATION_TABLE.name, 1, 2, len(CHECKPOINT_LINES) + 1),
    (("Extra budget", REALLOCATION_TABLE.name, _REALLOCATED_AMOUNT, 2, len(CHECKPOINT_LINES) + 1),),
)


def draw(kit: Kit) -> None:
    """Steering during the campaign: checkpoint results in, the reserve reallocated out, with a chart."""
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Checkpoints and reserve reallocation", "检查点与预留预算调配",
              "During the campaign: move the reserve to the lines that perform best at 24 h, 72 h and 7 days "
              "(article 000).")
    lines = len(CHECKPOINT_LINES)
    row = kit.notes(ws, 3, (
        "Each line's curve is fitted to its checkpoints (elasticity 0.686 from article 003 for a line with one); "
        "the reserve goes where the next ¥ returns most until the lines' marginal returns are equal, within the "
        "caps. The amounts add up to the reserve exactly.",
        "Yellow cells: one row per line and checkpoint, with the line's cumulative spend and result so far "
        "(revenue ¥, or conversions or engagements: one kind in every row). Blank rows are "
        "ignored; a row with blank spend and result is a checkpoint not reached yet. With the Inputs sheet's "
        "switch on platform data, the checkpoints come from the export pasted in Platform data instead.",
        f"The table is a fixed-size array formula with room for {lines} lines (header, one row per line, "
        "total last). For more lines, resize it: select the table with 2 + your lines rows, press F2, make its "
        f"last argument ({lines + 1}) 1 + your lines, then Ctrl+Shift+Enter. With fewer lines the rows between "
        "them and the total are blank; with more, the table says so instead of leaving lines out.",
        "n/a in the table: no checkpoints typed yet, or no reserve to reallocate (a reserve share of 0 on Inputs "
        "and no amount typed).",
    ))
    row += 1
    kit.labelled_input(ws, row, 2, "Your reserve ¥ (optional) · 自定调配金额", RESERVE_BLOCK,
                       "What is left to reallocate, if not the planned reserve.")
    row += 1
    kit.labelled(ws, row, 2, RESERVE_TO_REALLOCATE)
    row += 1
    kit.example_hint(ws, row, "Your checkpoints here, one row per line and review: e.g. mid · 72 · ¥40,000 · "
                              "¥131,000; caps (optional) on the right: e.g. micro · ¥40,000")
    row += 1

    kit.header(ws, row, [f"{english} · {chinese}" for english, chinese, _unit in CHECKPOINT_COLUMNS])
    caps_column = len(CHECKPOINT_COLUMNS) + 2
    kit.header(ws, row, ("Line · 渠道", "Most extra ¥ · 追加上限"), first=caps_column)
    ws.row_dimensions[row].height = 30
    first = row + 1
    kit.input_block(ws, first, 1, CHECKPOINT_BLOCK)
    kit.input_block(ws, first, caps_column, CAPS_BLOCK)
    kit.wrap_header(ws, first + CHECKPOINT_INPUT_ROWS + 2, 1, REALLOCATION_TABLE.columns)
    kit.data_status(ws, first + CHECKPOINT_INPUT_ROWS, 1, REALLOCATION_STATUS)
    kit.table(ws, first + CHECKPOINT_INPUT_ROWS + 1, REALLOCATION_TABLE)
    ws.add_chart(kit.chart(REALLOCATION_CHART), f"{get_column_letter(caps_column + 3)}{row}")
    kit.widths(ws, (36, 16, 16, 18, 16, 18, 16, 14, 14, 14, 14, 14, 14, 14, 10))
    kit.fit_rows(ws)


SHEET = Sheet("Checkpoints", "检查点调配", draw, inputs=(RESERVE_BLOCK, CHECKPOINT_BLOCK, CAPS_BLOCK),
              cells=(RESERVE_TO_REALLOCATE, REALLOCATION_STATUS), tables=(REALLOCATION_TABLE,), charts=(REALLOCATION_CHART,))

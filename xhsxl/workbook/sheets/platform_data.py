"""The Platform data sheet (平台数据): paste a Juguang (聚光) export, and optionally the Pugongying (蒲公英) export of
the same campaign, as the platforms write them; XHS_PLATFORM_MAP maps them to the campaign inputs, with the
columns each value was summed from beside it, and XHS_PLATFORM_HISTORY / XHS_PLATFORM_CHECKPOINTS give the
planner's history and the reallocation's checkpoints from the same rows."""

from __future__ import annotations

from xhsxl.platforms.mapping import MAPPED_FIELDS, MAPPING_TABLE_HEADER
from xhsxl.platforms.tables import CHECKPOINT_HEADER, HISTORY_HEADER
from xhsxl.schema import FIELDS_BY_KEY
from xhsxl.workbook.formula import Call, Lit, Name, Span
from xhsxl.workbook.sheets.kit import InputBlock, Kit, Sheet, TableSpec, data_status_cell, when_filled

__all__ = ["SHEET", "PASTE_ROWS", "PASTE_COLUMNS", "JUGUANG_EXAMPLE", "EXPORT_BLOCK", "EXPORT2_BLOCK", "WINDOW_BLOCK",
           "MAPPING_TABLE", "HISTORY_TABLE", "CHECKPOINT_TABLE", "HISTORY_ROWS", "CHECKPOINT_ROWS", "EXPORT_STATUS"]

#: Room for a pasted export: a campaign's daily or note rows with the header, the title row and a total row.
PASTE_ROWS = 40
PASTE_COLUMNS = 24

#: The worked example: a Juguang campaign report by day as the web export writes it (headers, text numbers,
#: "1.23%", "-" for zero, a 合计 row), the same rows as tests/fixtures/platforms/juguang_campaign_daily_gbk.csv.
#: Invented figures, documented in docs/platforms.md.
JUGUANG_EXAMPLE: tuple[tuple[object, ...], ...] = (
    ("日期", "账户名称", "计划名称", "消费", "展现量", "点击量", "点击率", "点赞", "评论", "收藏", "关注", "互动量",
     "7日下单订单量", "7日下单金额", "行业商品GMV（7日）", "行业商品GMV（30日）"),
    ("2026-11-01", "示例品牌", "秋季新品", "1,200.50", "80,000", 1600, "2.00%", 300, 40, 120, 10, 470, 12, "3,600.00",
     "5,000", "8,000"),
    ("2026-11-02", "示例品牌", "秋季新品", 800, 50000, 900, "1.80%", 200, "-", 80, 5, 285, 8, 2400, 3000, 4500),
    ("2026-11-01", "示例品牌", "搜索词包", 500, 20000, 600, "3.00%", 50, 10, 30, None, 90, 5, 1500, 1000, 2000),
    ("合计", None, None, "2,500.50", "150,000", 3100, "2.07%", 550, 50, 230, 15, 845, 25, "7,500.00", "9,000",
     "14,500"),
)


def _padded(rows: tuple[tuple[object, ...], ...]) -> tuple[tuple[object, ...], ...]:
    return tuple(tuple(row) + (None,) * (PASTE_COLUMNS - len(row)) for row in rows)


_UNITS = (None,) * PASTE_COLUMNS  # pasted as it is: no number format, no validation
EXPORT_BLOCK = InputBlock.padded("platform_export", _padded(JUGUANG_EXAMPLE), PASTE_ROWS, _UNITS)
EXPORT2_BLOCK = InputBlock.padded("platform_export2", (), PASTE_ROWS, _UNITS)
WINDOW_BLOCK = InputBlock.optional_amount("platform_window")

MAPPING_TABLE = TableSpec(
    "platform_mapping", "Campaign inputs from the pasted exports", "平台数据映射", len(MAPPED_FIELDS) + 1,
    len(MAPPING_TABLE_HEADER),
    when_filled(EXPORT_BLOCK.name, Call("XHS_PLATFORM_MAP", Span(EXPORT_BLOCK.name), Span(EXPORT2_BLOCK.name),
                                        Name(WINDOW_BLOCK.name))),
    (None, None, "count", None),
    header_labels=("", "中文", "Value · 数值", "Source · 来源"),
    row_labels=tuple(FIELDS_BY_KEY[key].label_en for key in MAPPED_FIELDS),
)

#: Fixed sizes of the history and checkpoint tables (array formulas): rows beyond the export's show #N/A.
HISTORY_ROWS = 12
CHECKPOINT_ROWS = 24
HISTORY_TABLE = TableSpec(
    "platform_history", "Planner history from the pasted exports (one row per plan)", "历史数据", HISTORY_ROWS + 1,
    len(HISTORY_HEADER),
    when_filled(EXPORT_BLOCK.name, Call("XHS_PLATFORM_HISTORY", Span(EXPORT_BLOCK.name), Span(EXPORT2_BLOCK.name),
                                        Lit(""), Name(WINDOW_BLOCK.name), Lit(HISTORY_ROWS))),
    (None, "CNY", "count", "count", "count", "CNY", "count"),
)
CHECKPOINT_TABLE = TableSpec(
    "platform_checkpoints", "Checkpoints from the pasted export (24 h / 72 h / 7 days)", "检查点数据",
    CHECKPOINT_ROWS + 1, len(CHECKPOINT_HEADER),
    when_filled(EXPORT_BLOCK.name, Call("XHS_PLATFORM_CHECKPOINTS", Span(EXPORT_BLOCK.name), Name(WINDOW_BLOCK.name),
                                        Lit(CHECKPOINT_ROWS))),
    (None, "count", "CNY", "CNY", "count", "count"),
)


#: Above the tables: "n/a — add your data" while nothing is pasted (a client workbook starts so).
EXPORT_STATUS = data_status_cell("platform_status", EXPORT_BLOCK.name)


def draw(kit: Kit) -> None:
    """Two paste areas, the window, and the mapped inputs with their sources."""
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Platform data", SHEET.title_zh,
              "Paste a platform report export as it is; the campaign inputs it holds appear below, each with its "
              "source columns.")
    row = kit.notes(ws, 3, (
        "Yellow area 1: a Juguang (聚光) or Pugongying (蒲公英) export, header row included (a title row above it "
        "and a 合计 row below are recognised). Area 2, optional: the other platform's export of the same campaign; "
        "notes both report are counted once (docs/platforms.md).",
        "Money is read in ¥ (a column in 分 is divided by 100), '1.23%' as a share, text numbers and '-' as numbers. "
        "A cell that does not read turns the table into an error whose message names the area, row, column and "
        "reason.",
        "Window: days of off-platform GMV (行业商品GMV) counted as cross-platform sales, 7 (blank), 15 or 30.",
        f"The history ({HISTORY_ROWS} rows) and checkpoint ({CHECKPOINT_ROWS} rows) tables leave the rows beyond "
        "the export's blank. With the Inputs sheet's switch on platform data, the Inputs' platform rows, the "
        "Planner's calibration and backtest and the Checkpoints' reallocation read this sheet.",
    ))
    row += 1
    ws.cell(row, 1, "Window, days · 站外GMV窗口")
    kit.input_block(ws, row, 2, WINDOW_BLOCK)
    row += 1
    kit.data_status(ws, row, 1, EXPORT_STATUS)
    row += 1
    kit.table(ws, row, MAPPING_TABLE)
    row += MAPPING_TABLE.rows + 2
    # The analyst copies these two tables to Planner and Checkpoints: those sheets' yellow cells are not linked.
    kit.table(ws, row, HISTORY_TABLE)
    row += HISTORY_TABLE.rows + 2
    kit.table(ws, row, CHECKPOINT_TABLE)
    row += CHECKPOINT_TABLE.rows + 2
    ws.cell(row, 1, "1 · Export · 导出数据")
    kit.input_block(ws, row + 1, 1, EXPORT_BLOCK)
    row += PASTE_ROWS + 3
    ws.cell(row, 1, "2 · Other platform's export (optional) · 另一平台导出数据（可选）")
    kit.input_block(ws, row + 1, 1, EXPORT2_BLOCK)
    kit.widths(ws, (38, 16, 16, 40) + (12,) * (PASTE_COLUMNS - 4))


SHEET = Sheet("Platform data", "平台数据", draw, inputs=(EXPORT_BLOCK, EXPORT2_BLOCK, WINDOW_BLOCK),
              cells=(EXPORT_STATUS,), tables=(MAPPING_TABLE, HISTORY_TABLE, CHECKPOINT_TABLE))

"""The Attribution sheet: a worked example of journey paths in yellow cells with last-touch, Markov and
removal-effect tables over it and a chart comparing them; under it a touch log and its time-decay credit."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from xhsxl.core import attribution
from xhsxl.schema import Unit
from xhsxl.workbook.sheets.kit import SheetUnit
from xhsxl.workbook.formula import Call, Span
from xhsxl.workbook.sheets.kit import (
    BOLD, ChartSpec, InputBlock, Kit, Sheet, TableSpec, data_status_cell, labels, when_filled,
)

__all__ = [
    "SHEET", "ATTRIBUTION_EXAMPLE", "ATTRIBUTION_COLUMNS", "ATTRIBUTION_INPUT_ROWS", "ATTRIBUTION_CHANNELS",
    "LAST_TOUCH_TABLE", "MARKOV_TABLE", "REMOVAL_EFFECTS_TABLE", "ATTRIBUTION_TABLES", "ATTRIBUTION_CHART",
    "TOUCH_EXAMPLE", "TOUCH_COLUMNS", "TOUCH_INPUT_ROWS", "TIME_DECAY_CHANNELS", "TIME_DECAY_TABLE",
    "PATH_BLOCKS", "TOUCH_BLOCKS", "PATHS_STATUS", "TOUCHES_STATUS",
]

#: The Attribution sheet's worked example: a month of journeys of a beauty brand on Xiaohongshu, as a path
#: table (path, conversions, value ¥, journeys that did not convert). Illustrative numbers, not from the
#: articles: KOL and KOC notes seed interest, search and feed ads follow, the sale closes on Tmall. The
#: builder writes them as plain input cells an analyst overwrites with their own paths; they are not
#: campaign inputs of the schema.
ATTRIBUTION_EXAMPLE: tuple[tuple[str, float, float, float], ...] = (
    ("kol_top > search_ads > tmall_direct", 120, 43_200, 2_400),
    ("kol_mid > search_ads > tmall_direct", 210, 69_300, 5_800),
    ("koc_micro > kol_mid > search_ads", 95, 30_400, 3_100),
    ("kol_mid > feed_ads > tmall_direct", 80, 25_600, 4_200),
    ("koc_micro > feed_ads", 40, 11_200, 6_500),
    ("kol_top", 35, 12_600, 9_800),
    ("kol_mid", 25, 8_000, 8_900),
    ("koc_micro", 18, 5_000, 12_400),
    ("search_ads > tmall_direct", 150, 48_000, 3_600),
    ("feed_ads", 12, 3_600, 7_900),
    ("tmall_direct", 160, 51_200, 1_900),
    ("koc_micro > kol_top > search_ads > tmall_direct", 60, 22_800, 900),
    ("feed_ads > search_ads", 45, 14_400, 2_700),
    ("kol_top > kol_mid > feed_ads > search_ads", 30, 10_500, 1_100),
)

#: The input columns of the path table: defined name of the column, header, Chinese header, unit.
ATTRIBUTION_COLUMNS: tuple[tuple[str, str, str, Unit], ...] = (
    ("attribution_paths", "Path (channels in order)", "路径", "text"),
    ("attribution_conversions", "Conversions", "转化", "count"),
    ("attribution_values", "Value", "转化金额", "CNY"),
    ("attribution_nulls", "Journeys not converting", "未转化", "count"),
)

#: Rows of input cells: the example fills the first ones; blank rows below it are ignored by the functions.
ATTRIBUTION_INPUT_ROWS = 24

#: Channels of the example, in the order every attribution table lists them (sorted by name, as the core
#: does). The tables are fixed-size array formulas of one row per channel plus the header.
ATTRIBUTION_CHANNELS: tuple[str, ...] = attribution.path_table(
    [row[0] for row in ATTRIBUTION_EXAMPLE], [row[1] for row in ATTRIBUTION_EXAMPLE]).channels

_PATH_TABLE = tuple(Span(name) for name, _, _, _ in ATTRIBUTION_COLUMNS)
#: Credited conversions are fractions of a conversion (time decay gives 0.656 of one): shown with decimals.
_CREDIT_UNITS: tuple[SheetUnit | None, ...] = (None, "fractional count", "CNY", "fraction")
_CREDIT_LABELS = labels(attribution.RESULT_HEADER)
#: Whether the path table holds the analyst's paths: its conversions column.
_PATHS_FILLED = "attribution_conversions"

LAST_TOUCH_TABLE = TableSpec(
    "attribution_last_touch", "Last-touch credit (what last-click reports show)", "末次触点归因",
    len(ATTRIBUTION_CHANNELS) + 1, len(attribution.RESULT_HEADER),
    when_filled(_PATHS_FILLED, Call("XHS_ATTRIBUTION", *_PATH_TABLE, "last_touch")), _CREDIT_UNITS,
    header_labels=_CREDIT_LABELS,
)
MARKOV_TABLE = TableSpec(
    "attribution_markov", "Markov credit, order 1 (exact removal effects)", "马尔可夫链归因（一阶）",
    len(ATTRIBUTION_CHANNELS) + 1, len(attribution.RESULT_HEADER),
    when_filled(_PATHS_FILLED, Call("XHS_ATTRIBUTION", *_PATH_TABLE, "markov", 1)), _CREDIT_UNITS,
    header_labels=_CREDIT_LABELS,
)
REMOVAL_EFFECTS_TABLE = TableSpec(
    "attribution_removal_effects", "Removal effects: share of conversions lost without the channel", "移除效应",
    len(ATTRIBUTION_CHANNELS) + 1, len(attribution.REMOVAL_EFFECTS_HEADER),
    when_filled(_PATHS_FILLED, Call("XHS_REMOVAL_EFFECTS", *_PATH_TABLE, 1)), (None, "fraction", "fraction"),
    header_labels=labels(attribution.REMOVAL_EFFECTS_HEADER),
)
ATTRIBUTION_TABLES: tuple[TableSpec, ...] = (LAST_TOUCH_TABLE, MARKOV_TABLE, REMOVAL_EFFECTS_TABLE)

#: The touch-log example under the path table: a week of touches of six shoppers (user, day, channel, whether
#: they bought at that touch, the order's value ¥), for the time-decay table, which needs when each touch
#: happened. Illustrative numbers, not from the articles.
TOUCH_EXAMPLE: tuple[tuple[str, float, str, bool, float | None], ...] = (
    ("u01", 0.5, "kol_top", False, None), ("u01", 3.0, "search_ads", False, None),
    ("u01", 6.2, "tmall_direct", True, 420.0),
    ("u02", 1.0, "koc_micro", False, None), ("u02", 1.4, "kol_mid", False, None),
    ("u02", 2.1, "search_ads", True, 310.0),
    ("u03", 0.2, "kol_mid", False, None), ("u03", 5.5, "feed_ads", False, None),
    ("u03", 6.8, "tmall_direct", True, 280.0),
    ("u04", 2.0, "koc_micro", False, None), ("u04", 4.5, "feed_ads", False, None),
    ("u05", 0.8, "kol_top", False, None), ("u05", 1.0, "search_ads", True, 650.0),
    ("u05", 4.0, "kol_top", False, None),
    ("u06", 3.3, "feed_ads", False, None), ("u06", 3.6, "search_ads", False, None),
    ("u06", 6.9, "tmall_direct", True, 190.0),
)

#: The touch log's input columns: defined name, header, Chinese header, unit.
TOUCH_COLUMNS: tuple[tuple[str, str, str, Unit], ...] = (
    ("touch_users", "User", "用户", "text"),
    ("touch_days", "Day of the touch", "触点日期（天）", "days"),
    ("touch_channels", "Channel", "渠道", "text"),
    ("touch_converted", "Bought here (TRUE/FALSE)", "是否转化", "flag"),
    ("touch_values", "Order value", "订单金额", "CNY"),
)

#: Rows of touch-log input cells: the example fills the first ones; blank rows below it are ignored.
TOUCH_INPUT_ROWS = 30

TIME_DECAY_CHANNELS: tuple[str, ...] = tuple(sorted({row[2] for row in TOUCH_EXAMPLE}))

TIME_DECAY_TABLE = TableSpec(
    "attribution_time_decay", "Time-decay credit from the touch log (half-life 7 days)", "时间衰减归因",
    len(TIME_DECAY_CHANNELS) + 1, len(attribution.RESULT_HEADER),
    when_filled("touch_users", Call("XHS_ATTRIBUTION_TOUCHES", *(Span(name) for name, _, _, _ in TOUCH_COLUMNS),
                                    "time_decay")), _CREDIT_UNITS,
    header_labels=_CREDIT_LABELS,
)
#: Beside the first table of each block: "n/a — add your data" while its yellow cells are empty.
PATHS_STATUS = data_status_cell("attribution_paths_status", _PATHS_FILLED)
TOUCHES_STATUS = data_status_cell("attribution_touches_status", "touch_users")

_CREDITED = attribution.RESULT_HEADER.index("conversions") + 1
ATTRIBUTION_CHART = ChartSpec(
    "attribution_chart", "Last touch vs Markov · 末次触点 vs 马尔可夫", "bar", "Attribution",
    (LAST_TOUCH_TABLE.name, 1, 2, len(ATTRIBUTION_CHANNELS) + 1),
    (("Last touch", LAST_TOUCH_TABLE.name, _CREDITED, 2, len(ATTRIBUTION_CHANNELS) + 1),
     ("Markov", MARKOV_TABLE.name, _CREDITED, 2, len(ATTRIBUTION_CHANNELS) + 1)),
    number_format="#,##0",
)

#: The path table's yellow columns, each a block of its own name (the functions read them as columns).
PATH_BLOCKS: tuple[InputBlock, ...] = tuple(
    InputBlock.padded(name, ((row[index],) for row in ATTRIBUTION_EXAMPLE), ATTRIBUTION_INPUT_ROWS, (unit,),
                      number_error=f"{english} must be a number of at least 0.")
    for index, (name, english, _chinese, unit) in enumerate(ATTRIBUTION_COLUMNS)
)
#: The touch log's yellow columns; TRUE/FALSE takes no number validation, days, amounts and text do.
TOUCH_BLOCKS: tuple[InputBlock, ...] = tuple(
    InputBlock.padded(name, ((row[index],) for row in TOUCH_EXAMPLE), TOUCH_INPUT_ROWS, (unit,),
                      validated=(unit != "flag",))
    for index, (name, _english, _chinese, unit) in enumerate(TOUCH_COLUMNS)
)

_NOTES = (
    "Yellow cells: one journey pattern per row, channels in order separated by >, with its conversions, "
    "their value (¥) and the journeys along it that did not convert; blank rows are ignored.",
    f"The tables below are fixed-size array formulas with room for {len(ATTRIBUTION_CHANNELS)} channels "
    "(one row per channel plus the header). If your paths have more channels, resize each table: select it with "
    "the rows it needs, press F2, then Ctrl+Shift+Enter. Rows beyond your channels show #N/A.",
    "Markov needs the journeys that did not convert: without them every path converts and the credit is "
    "biased, so a blank column is an error, not a guess. Enter 0 where a path has none.",
)

#: Under the Markov tables: why a data-driven credit can be negative, and how to get one that cannot be.
CREDIT_SIGN_NOTES = (
    "Markov credit is never below 0: removing a channel can only lose conversions. Shapley credit "
    '(=XHS_ATTRIBUTION(…,"shapley")) can be: a channel whose journeys convert less often than those without it '
    "(often retargeting or a late search ad shown to hesitant shoppers) gets negative credit.",
    "Negative credit says the journeys with the channel converted less, not that it destroyed sales; the credits "
    'still add up to the total. Model "shapley_monotone" scores the monotone version of the game, which gives no '
    "channel less than 0 (the others' credit is rescaled to the total).",
)


def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Multi-touch attribution", "多触点归因",
              "Who gets credit for a sale that followed several touches: last touch against exact Markov "
              "removal effects.")
    hint_row = kit.notes(ws, 3, _NOTES)
    kit.example_hint(ws, hint_row, "Your journey paths here, one a row: e.g. kol_mid > search_ads > tmall_direct · "
                                   "210 conversions · ¥69,300 · 5,800 not converting")
    header_row = hint_row + 1
    kit.header(ws, header_row, [f"{english} · {chinese}" for _, english, chinese, _ in ATTRIBUTION_COLUMNS])
    first = header_row + 1
    for column, block in enumerate(PATH_BLOCKS, start=1):
        kit.input_block(ws, first, column, block)
    row = first + ATTRIBUTION_INPUT_ROWS + 1
    kit.data_status(ws, row - 1, 1, PATHS_STATUS)
    chart_row = row
    for spec in ATTRIBUTION_TABLES:
        row = kit.table(ws, row, spec)
    ws.add_chart(kit.chart(ATTRIBUTION_CHART), f"F{chart_row}")
    row = kit.notes(ws, row, CREDIT_SIGN_NOTES) + 1
    _touch_log(kit, ws, row)
    kit.widths(ws, (46, 16, 16, 22, 16))
    kit.fit_rows(ws)


def _touch_log(kit: Kit, ws: Worksheet, row: int) -> None:
    """Under the path-table example: a touch log in yellow cells and its time-decay credit."""
    ws.cell(row, 1, "Time decay from a touch log · 时间衰减归因").font = BOLD
    row = kit.notes(ws, row + 1, (
        "Time decay gives a touch half the credit of one 7 days later; it needs when each touch happened, "
        "which a path table does not hold. One row per touch: the shopper, the day (a date or a number of "
        "days), the channel, TRUE on the touch where they bought, and that order's value.",
        "Each shopper's touches up to a purchase form one journey (30-day lookback); touches after their last "
        "purchase form one that did not convert. Blank rows are ignored.",
    ))
    kit.example_hint(ws, row, "Your touch log here, one touch a row: e.g. u01 · day 3.0 · search_ads · FALSE · "
                              "(blank); u01 · day 6.2 · tmall_direct · TRUE · ¥420")
    row += 1
    kit.header(ws, row, [f"{english} · {chinese}" for _, english, chinese, _ in TOUCH_COLUMNS])
    ws.row_dimensions[row].height = 30
    first = row + 1
    for column, block in enumerate(TOUCH_BLOCKS, start=1):
        kit.input_block(ws, first, column, block)
    kit.data_status(ws, first + TOUCH_INPUT_ROWS, 1, TOUCHES_STATUS)
    kit.table(ws, first + TOUCH_INPUT_ROWS + 1, TIME_DECAY_TABLE)


SHEET = Sheet("Attribution", "多触点归因", draw, inputs=PATH_BLOCKS + TOUCH_BLOCKS, cells=(PATHS_STATUS, TOUCHES_STATUS),
              tables=(*ATTRIBUTION_TABLES, TIME_DECAY_TABLE), charts=(ATTRIBUTION_CHART,))

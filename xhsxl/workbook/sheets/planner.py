"""The Planner sheet: the forecast of the planned budget before the campaign — budget lines (the Allocation
sheet's plan, each overridable in a yellow cell), the funnel in a low / base / high band with a chart, the
per-line table and findings — and an optional calibration of the benchmarks on the client's past campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Alignment

from xhsxl.core import allocation, figures, planner
from xhsxl.core.planner.funnel import BAND_ROWS, LINE_LABELS_ZH
from xhsxl.schema import UNIT_LABELS, Unit
from xhsxl.workbook.formula import (
    NOT_APPLICABLE, Call, Env, Expr, If, IsBlank, Lit, Name, Refs, Span, Sum, Table, TableCell,
)
from xhsxl.workbook.sheets.allocation import ALLOCATION_TABLE, AMOUNT_COLUMN
from xhsxl.workbook.sheets.kit import (
    SheetUnit, BOLD, BOX, TABLE_HEADER_FILL, ChartSpec, ComputedCell, InputBlock, Kit, Sheet, TableSpec, data_status_cell,
    LABELS, labels, shown_as, switched_table, write_text,
)
from xhsxl.workbook.sheets.inputs import PLATFORM_ON
from xhsxl.workbook.sheets.platform_data import EXPORT_BLOCK, HISTORY_TABLE

__all__ = [
    "SHEET", "PLANNER_PLAN_ROWS", "PLANNER_LINES", "planner_line_cells", "PLANNER_ROI", "PLANNER_BUDGET",
    "FORECAST_TABLE", "BAND_COLUMNS", "BAND_CASES", "band_cell", "FORECAST_LINES_TABLE", "RECOMMENDATION_TABLES",
    "HISTORY_EXAMPLE", "HISTORY_COLUMNS", "HISTORY_INPUT_ROWS", "BENCHMARK_UNITS", "BENCHMARK_ROWS",
    "CALIBRATION_TABLE", "BENCHMARKS_BLOCK_ROWS", "BENCHMARKS_BLOCK_HEADER", "PLANNER_CHART", "OVERRIDE_BLOCKS",
    "HISTORY_BLOCKS", "BENCHMARKS_BLOCK", "CALIBRATION_STATUS", "PLANNER_SPILLOVER", "PLANNER_CAMPAIGN_ROI",
    "SPILLOVER_OVERRIDE",
    "LEVEL_INPUT", "PLANNER_LEVEL", "HISTORY_HEADER", "BACKTEST_TABLE", "BACKTEST_MIN_CAMPAIGNS", "BACKTEST_LABELS", "BACKTEST_NOTES",
    "band_case_label",
]

#: The Planner's budget lines (the forecast's lines, in its order), each with its row in the plan table: the
#: default amount of a line is the Allocation sheet's plan for it. The template's plan names every tier (its
#: tier shares are inputs), and its "creators" row is the sum of the tiers, not a line of its own.
_ANY_PLAN = allocation.allocate_budget(1.0, tier_shares={tier: 1 / len(figures.CREATOR_TIERS)
                                                         for tier in figures.CREATOR_TIERS})
PLANNER_PLAN_ROWS: dict[str, int] = {
    planner.normalize_line(row[0]): number
    for number, row in enumerate(_ANY_PLAN.table(), start=1)
    if number > 1 and row[0] != "creators"
}
PLANNER_LINES: tuple[str, ...] = planner.LINES
if set(PLANNER_PLAN_ROWS) != set(PLANNER_LINES):  # pragma: no cover - the plan and the forecast disagree on lines
    raise RuntimeError(f"the plan table's lines {sorted(PLANNER_PLAN_ROWS)} are not the forecast's {PLANNER_LINES}")


def planner_line_cells(line: str) -> tuple[ComputedCell, str, ComputedCell]:
    """One budget line of the Planner: the plan's amount, the name of its optional override (a yellow input)
    and the amount the forecast reads — the override when one is typed, else the plan."""
    plan_name, override, amount_name = f"planner_plan_{line}", f"planner_override_{line}", f"planner_amount_{line}"
    label_zh = LINE_LABELS_ZH[line]
    plan = ComputedCell(plan_name, f"Plan: {line}", f"方案：{label_zh}", "CNY",
                        TableCell(ALLOCATION_TABLE.name, PLANNER_PLAN_ROWS[line], AMOUNT_COLUMN))
    amount = ComputedCell(amount_name, f"Forecast: {line}", f"预测：{label_zh}", "CNY",
                          If(IsBlank(override), Name(plan_name), Name(override)))
    return plan, override, amount


#: What every forecast reads: the budget lines (line, amount) and the brand stage, then benchmarks and margins.
_PLANNER_LINES, _STAGE = Span("planner_lines"), Name("brand_stage")
_BENCHMARKS = Span("planner_benchmarks")
_MARGINS = (Name("gross_margin"), Name("commission_rate"), Name("refund_rate"))
#: The forecast refuses a margin that no sale covers: gross margin × (1 − refunds) must exceed the commission
#: (the core's test, in its order of operations). Otherwise every guarded planner cell reads n/a.
_KEPT_ON_DIRECT_SALES = (Lit(1) - Name("refund_rate")) * Name("gross_margin") - Name("commission_rate")

#: The share of sales made off Xiaohongshu (Tmall, JD, offline) that the forecast assumes: what the analyst types
#: in the yellow cell, else this campaign's measured share (its incremental cross-platform sales over its
#: revenue, on Inputs and Results), else none (direct sales only). Never the brand stage's split, which article
#: 003 gives for dividing the *budget* (the Allocation sheet shows it).
SPILLOVER_OVERRIDE = InputBlock("planner_spillover_override", ((None,),), ("fraction",), single=True,
                                number_error="Enter a share from 0 to 100 %, or leave it blank.")
PLANNER_SPILLOVER = ComputedCell(
    "planner_spillover", "Share of sales off Xiaohongshu", "站外销售占比", "fraction",
    If(IsBlank(SPILLOVER_OVERRIDE.name),
       If(Name("incremental_cross_platform") > 0, Name("incremental_cross_platform") / Name("revenue"), 0),
       Name(SPILLOVER_OVERRIDE.name)),
    "This campaign's measured share (cross-platform sales over revenue, Results), unless you type another in the "
    "yellow cell; 0 means direct sales only. The brand stage's 70/50/40 % is a budget split, not this.")
_SPILLOVER = Name(PLANNER_SPILLOVER.name)

#: The level of every prediction interval on the sheet (the band, the findings, the backtest): what the analyst
#: types in the yellow cell, else the core's default (80 %).
LEVEL_INPUT = InputBlock("planner_level", ((None,),), ("fraction",), single=True,
                         number_error="Enter a level between 0 and 100 % (e.g. 90 %), or leave it blank.")
PLANNER_LEVEL = ComputedCell(
    "planner_level_used", "Interval level", "预测区间水平", "fraction",
    If(IsBlank(LEVEL_INPUT.name), Lit(planner.DEFAULT_LEVEL), Name(LEVEL_INPUT.name)),
    f"Low and high are the ends of a prediction interval at this level: {planner.DEFAULT_LEVEL * 100:.0f} % unless you "
    "type another in the yellow cell.")
_LEVEL = Name(PLANNER_LEVEL.name)


_STAGE_KEYS = ("cold_start", "growth", "maturity")


def _spillover_guard(expr: Expr) -> If:
    """n/a where the share off Xiaohongshu is one the forecast cannot grow from direct sales (above 95 %)."""
    return If(_SPILLOVER <= planner.MAX_SPILLOVER_SHARE, expr, NOT_APPLICABLE)


def _forecast_guard(expr: Expr) -> If:
    return If(_KEPT_ON_DIRECT_SALES > 0, _spillover_guard(expr), NOT_APPLICABLE)


PLANNER_ROI = ComputedCell(
    "planner_roi", "Projected ROI, base case", "预测回报率（基准）", "fraction",
    _forecast_guard(Call("XHS_FORECAST_ROI", _PLANNER_LINES, _STAGE, "base", "net", _BENCHMARKS, *_MARGINS,
                         _SPILLOVER, _LEVEL)),
    "(Revenue − cost) / cost of the lines below, on and off Xiaohongshu.")
#: Beside the projection, the campaign that happened, so the two are read together: they differ by the plan
#: (the next budget's rule-based lines, not this campaign's) and by the benchmarks (the case studies' unless the
#: analyst calibrates on their own history).
PLANNER_CAMPAIGN_ROI = ComputedCell(
    "planner_campaign_roi", "This campaign's ROI (Results)", "本次回报率", "fraction", Name("roi"),
    "What happened. The projection above is the next budget's plan on the benchmarks below: it differs by both.")
PLANNER_BUDGET = ComputedCell("planner_budget", "Budget forecast", "预测预算", "CNY", Sum(Span("planner_amounts")),
                              "The sum of the lines below.")

# BAND_ROWS is the core's, which cannot import the schema's Unit, so it spells units as plain text; they are
# Unit names (a wrong one fails when the template looks up its number format), which str cannot show a checker.
_BAND_UNITS: tuple[Unit, ...] = tuple(unit for _metric, _zh, unit in BAND_ROWS)  # type: ignore[misc]
FORECAST_TABLE = TableSpec(
    "forecast_table", "Funnel forecast: low, base and high cases", "漏斗预测：低/基准/高", len(BAND_ROWS) + 1,
    len(planner.BAND_TABLE_HEADER),
    _forecast_guard(Call("XHS_FORECAST", _PLANNER_LINES, _STAGE, _BENCHMARKS, *_MARGINS, _SPILLOVER, _LEVEL)),
    (None,) * len(planner.BAND_TABLE_HEADER), row_units=_BAND_UNITS,
    header_labels=labels(planner.BAND_TABLE_HEADER),
    # English only: the table's second column is the Chinese name.
    row_labels=tuple(label.split(" · ")[0] for label in labels(metric for metric, _zh, _unit in BAND_ROWS)),
    column_labels=((planner.BAND_TABLE_HEADER.index("unit") + 1, tuple(UNIT_LABELS[unit] for unit in _BAND_UNITS)),),
)

#: The band block beside the chart: one row per case, these metrics of the forecast table as columns.
BAND_COLUMNS: tuple[tuple[str, str, str, Unit], ...] = (
    ("revenue", "Revenue", "销售额", "CNY"),
    ("profit", "Profit", "利润", "CNY"),
    ("roi", "ROI", "投资回报率", "fraction"),
    ("roas", "ROI 1:x", "投产比", "ratio"),
    ("profit_roi", "Profit ROI", "利润回报率", "fraction"),
)
BAND_CASES: tuple[tuple[str, str], ...] = (("low", "低"), ("base", "基准"), ("high", "高"))


def band_case_label(case: str, chinese: str) -> str:
    """The band block's label of ``case``, a native formula: low and high name the interval's level as the
    yellow cell sets it ("Low (90 % interval) · 低"); the base case is the base case."""
    if case == "base":
        return f"{case.capitalize()} · {chinese}"
    return (f'="{case.capitalize()} ("&TEXT({PLANNER_LEVEL.name}*100,"0")&" % interval) · {chinese}"')

_BAND_METRICS = [metric for metric, _zh, _unit in BAND_ROWS]


def band_cell(case: str, metric: str) -> ComputedCell:
    """One number of the band block: the forecast table's cell in the row of ``metric``, column of ``case``."""
    english = next(label for key, label, _zh, _unit in BAND_COLUMNS if key == metric)
    chinese = next(label for key, _en, label, _unit in BAND_COLUMNS if key == metric)
    unit = next(u for key, _en, _zh, u in BAND_COLUMNS if key == metric)
    row = 2 + _BAND_METRICS.index(metric)
    column = 1 + planner.BAND_TABLE_HEADER.index(case)
    return ComputedCell(f"forecast_{metric}_{case}", f"{english}, {case} case", chinese, unit,
                        TableCell(FORECAST_TABLE.name, row, column))


FORECAST_LINES_TABLE = TableSpec(
    "forecast_lines_table", "Per line, base case: funnel, revenue, ROI 1:x and the return of the next ¥",
    "各渠道预测（基准）", len(planner.LINES) + 2, len(planner.LINE_TABLE_HEADER),
    _spillover_guard(Call("XHS_FORECAST_LINES", _PLANNER_LINES, _STAGE, "base", _BENCHMARKS, _SPILLOVER, _LEVEL)),
    (None, "CNY", "count", "count", "count", "count", "count", "CNY", "CNY", "CNY", "ratio", "ratio", "fraction",
     "CNY"),
    header_labels=labels(planner.LINE_TABLE_HEADER), row_labels=labels((*planner.LINES, "total")),
)
RECOMMENDATION_TABLES: tuple[TableSpec, ...] = tuple(
    TableSpec(f"recommendations_{language}", title, title_zh, planner.RECOMMENDATION_ROWS + 1, 1,
              _forecast_guard(Call("XHS_RECOMMEND", _PLANNER_LINES, _STAGE, language, _BENCHMARKS, *_MARGINS,
                                   _SPILLOVER, _LEVEL)),
              (None,))
    for language, title, title_zh in (("en", "Recommendations", "建议（英文）"),
                                      ("zh", "Recommendations in Chinese", "建议"))
)

#: The calibration example: past campaigns of a beauty brand (examples/history.csv), as the analyst types
#: them — campaign, then the columns XHS_CALIBRATE reads in its order: spend, impressions, engagements,
#: conversions, revenue, visits. Illustrative numbers, not from the articles.
HISTORY_EXAMPLE: tuple[tuple[str, float, float, float, float, float, float], ...] = (
    ("spring serum seeding 2024-03", 60_000, 1_335_559, 21_274, 844, 261_628, 19_272),
    ("sunscreen launch 2024-04", 90_000, 1_863_060, 29_413, 1_170, 346_861, 28_015),
    ("618 warm-up 2024-05", 120_000, 2_190_176, 30_986, 1_689, 595_367, 37_668),
    ("618 main 2024-06", 150_000, 2_161_042, 29_667, 1_369, 422_826, 30_714),
    ("summer mask 2024-07", 200_000, 2_555_884, 43_172, 1_824, 565_914, 39_184),
    ("back to school 2024-09", 260_000, 3_451_652, 51_978, 2_598, 743_815, 55_955),
    ("golden week 2024-10", 340_000, 4_437_850, 71_033, 3_551, 960_832, 67_308),
    ("double 11 2024-11", 450_000, 5_249_896, 70_538, 3_658, 1_231_562, 82_320),
    ("new year gift sets 2025-01", 600_000, 7_125_455, 103_215, 5_861, 1_708_525, 112_002),
)
#: Columns of the history block: header, Chinese header, unit. The first is a label for the analyst only.
HISTORY_COLUMNS: tuple[tuple[str, str, Unit], ...] = (
    ("Campaign", "活动", "text"), ("Spend", "花费", "CNY"), ("Impressions", "曝光", "count"),
    ("Engagements", "互动", "count"), ("Conversions", "转化", "count"), ("Revenue", "销售额", "CNY"),
    ("Visits", "点击/访问", "count"),
)
HISTORY_INPUT_ROWS = 12
#: What the history's header row holds: the column names XHS_BACKTEST reads (a person sees HISTORY_COLUMNS'
#: labels), so the backtest takes the typed campaigns, names included, from the one block the calibration reads.
HISTORY_HEADER: tuple[str, ...] = ("campaign", "spend", "impressions", "engagements", "conversions", "revenue",
                                   "visits")

#: Units of the benchmarks, by the row names of XHS_CALIBRATE's table (and of the benchmarks block).
BENCHMARK_UNITS: dict[str, Unit] = {
    "cpm": "CNY per action", "engagement_rate": "rate", "ctr": "rate", "cvr": "rate",
    "aov": "CNY per action", "cpm_curvature": "elasticity", "cvr_curvature": "elasticity",
    "elasticity": "elasticity", "reference_spend": "CNY",
}
BENCHMARK_ROWS: tuple[str, ...] = tuple(row[0] for row in planner.DEFAULT_BENCHMARKS.table()[1:])
_BENCHMARK_ROW_UNITS: tuple[Unit, ...] = tuple(BENCHMARK_UNITS[name] for name in BENCHMARK_ROWS)


@dataclass(frozen=True, eq=False)
class _TableRows(Expr):
    """True when at least ``rows`` cells of a column of a table (``spec``, below its header) hold numbers:
    ``COUNT`` over that column, since a table pads its unused rows with blank text, which COUNTA would count."""

    spec: TableSpec
    column: int
    rows: int

    def excel(self, env: Refs) -> str:
        first = env.cell_ref(self.spec.name, 2, self.column)
        last = env.cell_ref(self.spec.name, self.spec.rows, self.column).split("!")[1]
        return f"(COUNT({first}:{last})>={self.rows})"

    def evaluate(self, env: Env) -> Any:
        table = env.table(self.spec.name)
        if not isinstance(table, list):
            return False
        cells = [row[self.column - 1] for row in table[1:] if len(row) >= self.column]
        return sum(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cells) >= self.rows

    def names(self) -> set[str]:
        return {self.spec.name}


#: In platform mode the history is the pasted exports' plans, often one campaign: too few to calibrate is n/a,
#: as an empty history is, not an error.
_CALIBRATION_ROWS = planner.CALIBRATION_MIN_ROWS["with_curvature"]
CALIBRATION_TABLE = TableSpec(
    "calibration_table", "Benchmarks fitted to the history (least squares on the log funnel)", "历史数据校准的基准",
    len(BENCHMARK_ROWS) + 1, len(planner.BENCHMARK_TABLE_HEADER),
    switched_table(PLATFORM_ON, (EXPORT_BLOCK.name, If(_TableRows(HISTORY_TABLE, 2, _CALIBRATION_ROWS),
                                                       Call("XHS_CALIBRATE", Table(HISTORY_TABLE.name)), NOT_APPLICABLE)),
                   ("planner_history", Call("XHS_CALIBRATE", Span("planner_history")))),
    (None, None, None, None, None, "elasticity", None, None), row_units=_BENCHMARK_ROW_UNITS,
    header_labels=labels(planner.BENCHMARK_TABLE_HEADER), row_labels=labels(BENCHMARK_ROWS),
    column_labels=((planner.BENCHMARK_TABLE_HEADER.index("unit") + 1,
                    tuple(UNIT_LABELS[BENCHMARK_UNITS[name]] for name in BENCHMARK_ROWS)),),
)
#: The backtest forecasts each past campaign from a calibration on the others, which fits the curvature too.
BACKTEST_MIN_CAMPAIGNS = planner.CALIBRATION_MIN_ROWS["with_curvature"] + 1


@dataclass(frozen=True, eq=False)
class _FilledRows(Expr):
    """True when at least ``rows`` cells of a one-column block hold something (``COUNTA(block)>=rows``)."""

    name: str
    rows: int

    def excel(self, env: Refs) -> str:
        return f"(COUNTA({env.ref(self.name)})>={self.rows})"

    def evaluate(self, env: Env) -> Any:
        return sum(cell not in (None, "") for row in env.span(self.name) for cell in row) >= self.rows

    def names(self) -> set[str]:
        return {self.name}


#: The backtest's columns as a person reads them (the function returns the codes of BACKTEST_TABLE_HEADER).
BACKTEST_LABELS: dict[str, str] = {
    "campaign": "Campaign · 活动", "spend": LABELS["spend"],
    "actual_revenue": "Actual revenue ¥ · 实际销售额", "forecast_revenue": "Forecast revenue ¥ · 预测销售额",
    "revenue_low": "Revenue, low ¥ · 销售额下限", "revenue_high": "Revenue, high ¥ · 销售额上限",
    "revenue_error": "Revenue error · 销售额误差", "actual_conversions": "Actual conversions · 实际转化",
    "forecast_conversions": "Forecast conversions · 预测转化", "conversions_error": "Conversions error · 转化误差",
    "actual_roi": "Actual ROI · 实际回报率", "forecast_roi": "Forecast ROI · 预测回报率", "roi_error": "ROI error · 回报率误差",
    "revenue_covered": "Revenue in interval · 销售额在区间内",
    "conversions_covered": "Conversions in interval · 转化在区间内",
}
_BACKTEST_UNITS: dict[str, SheetUnit | None] = {
    "campaign": None, "spend": "CNY", "actual_revenue": "CNY", "forecast_revenue": "CNY", "revenue_low": "CNY",
    "revenue_high": "CNY", "revenue_error": "fraction", "actual_conversions": "count",
    "forecast_conversions": "count", "conversions_error": "fraction", "actual_roi": "fraction",
    "forecast_roi": "fraction", "roi_error": "fraction",
    # TRUE / FALSE per campaign, then the overall coverage as a share
    "revenue_covered": "fraction", "conversions_covered": "fraction",
}
#: One row per typed campaign (room for every history row), then the three overall rows; rows beyond the
#: history are the array formula's #N/A padding.
BACKTEST_TABLE = TableSpec(
    "backtest_table", "Backtest: each past campaign forecast from the others (leave one out)", "回测：逐一留出预测",
    1 + HISTORY_INPUT_ROWS + 3, len(planner.BACKTEST_TABLE_HEADER),
    # n/a until the history holds enough campaigns: a calibration's three are too few to leave one out.
    switched_table(
        PLATFORM_ON,
        (EXPORT_BLOCK.name, If(_TableRows(HISTORY_TABLE, 2, BACKTEST_MIN_CAMPAIGNS),
                               Call("XHS_BACKTEST", Table(HISTORY_TABLE.name), _LEVEL), NOT_APPLICABLE)),
        ("planner_history", If(_FilledRows("planner_history_spend", BACKTEST_MIN_CAMPAIGNS),
                               Call("XHS_BACKTEST", Span("planner_history_table"), _LEVEL), NOT_APPLICABLE))),
    tuple(_BACKTEST_UNITS[code] for code in planner.BACKTEST_TABLE_HEADER),
    header_labels=tuple(BACKTEST_LABELS[code] for code in planner.BACKTEST_TABLE_HEADER),
)
BACKTEST_NOTES: tuple[str, ...] = (
    "Error = (forecast − actual) / actual. MAPE, the mean of the errors' sizes: how far off a forecast typically "
    "is. Bias, their mean with signs: above 0 the forecasts ran high, below 0 low.",
    "Coverage: the share of campaigns whose actual figure lay inside the interval. It should come near the "
    "interval's level; far below, the band is too narrow to trust. n/a below "
    f"{BACKTEST_MIN_CAMPAIGNS} past campaigns (each is forecast from a calibration on the others).",
)
#: Beside the calibration table: "n/a — add your data" while the past campaigns are empty.
CALIBRATION_STATUS = data_status_cell("calibration_status", "planner_history", (PLATFORM_ON, EXPORT_BLOCK.name))
#: The benchmarks block the forecasts read: its header row, then blank rows (the case-study defaults) until
#: the analyst pastes a calibration or types the benchmarks to change.
BENCHMARKS_BLOCK_ROWS = len(BENCHMARK_ROWS) + 1
BENCHMARKS_BLOCK_HEADER: tuple[str, ...] = planner.BENCHMARK_TABLE_HEADER

#: The yellow override beside each budget line: blank follows the plan.
OVERRIDE_BLOCKS: tuple[InputBlock, ...] = tuple(
    InputBlock.optional_amount(planner_line_cells(line)[1]) for line in PLANNER_LINES)
_HISTORY_UNITS = tuple(unit for _english, _chinese, unit in HISTORY_COLUMNS)
#: The past campaigns: their names (for the analyst only), then the columns XHS_CALIBRATE reads.
HISTORY_BLOCKS: tuple[InputBlock, ...] = (
    InputBlock.padded("planner_history_campaigns", (row[:1] for row in HISTORY_EXAMPLE), HISTORY_INPUT_ROWS,
                      _HISTORY_UNITS[:1]),
    InputBlock.padded("planner_history", (row[1:] for row in HISTORY_EXAMPLE), HISTORY_INPUT_ROWS,
                      _HISTORY_UNITS[1:]),
)
#: The benchmarks the forecasts read: the header row, then blank rows (the defaults) until pasted over.
BENCHMARKS_BLOCK = InputBlock.padded(
    "planner_benchmarks", (BENCHMARKS_BLOCK_HEADER,), BENCHMARKS_BLOCK_ROWS, (None,) * len(BENCHMARKS_BLOCK_HEADER),
    row_units=(None, *(BENCHMARK_UNITS[name] for name in BENCHMARK_ROWS)), worked_example=False)

_BAND_ROWS_SHOWN = (2, 1 + len(BAND_CASES))
PLANNER_CHART = ChartSpec(
    "planner_chart", "Projected revenue and profit · 预测销售额与利润", "bar", "Planner",
    ("forecast_band", 1, *_BAND_ROWS_SHOWN),
    (("Revenue", "forecast_band", 2, *_BAND_ROWS_SHOWN), ("Profit", "forecast_band", 3, *_BAND_ROWS_SHOWN)),
)


def draw(kit: Kit) -> None:
    """The forecast of the planned budget: lines in (the plan, overridable), funnel band, per line, findings,
    and an optional calibration of the benchmarks on the client's past campaigns."""
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Campaign planner", "投放预测",
              "Before the campaign: what the planned budget should bring — funnel, revenue and ROI in a low / "
              "base / high band, line by line, with findings.")
    row = kit.notes(ws, 3, (
        "The budget lines are the Allocation sheet's rule-based plan of the next budget (Inputs). Type an amount "
        "in a yellow cell to forecast another plan; clear it to follow the plan again.",
        "Sales off Xiaohongshu (Tmall, JD, offline) are this campaign's measured share unless you type another "
        "below; gross margin, refunds and commission come from Inputs. Benchmarks are the case-study defaults "
        "unless you fill the yellow block at the bottom. Low and high are the ends of a prediction interval at "
        "the level below (80 % unless you type another).",
        "n/a in the forecast: gross margin × (1 − refund rate) must exceed the platform commission on Inputs (or "
        "no sale covers its own cost), and the share of sales off Xiaohongshu be at most 95 % (sales off the "
        "platform are grown from those on it).",
    ))
    row += 1
    for item in (PLANNER_BUDGET, PLANNER_ROI, PLANNER_CAMPAIGN_ROI):
        kit.labelled(ws, row, 2, item)
        row += 1
    ws.cell(row, 1, "Brand stage · 品牌阶段").font = BOLD
    # The stage's label for its key; anything else (a Chinese name typed on Inputs) as typed.
    shown = "brand_stage"
    for key in reversed(_STAGE_KEYS):
        shown = f'IF(brand_stage="{key}","{LABELS[key]}",{shown})'
    stage = ws.cell(row, 2, f'=IF(brand_stage="","",{shown})')
    stage.alignment = Alignment(horizontal="right")
    stage.border = BOX
    ws.cell(row, 3, "From Inputs; recorded with the forecast. It splits the budget (Allocation), not the sales.")
    row += 1
    kit.labelled(ws, row, 2, PLANNER_SPILLOVER)
    row += 1
    kit.labelled_input(ws, row, 2, "Your own share (optional) · 自定占比", SPILLOVER_OVERRIDE,
                       "e.g. 56 % (case study 2, article 000); blank follows the measured share above.")
    row += 1
    kit.labelled(ws, row, 2, PLANNER_LEVEL)
    row += 1
    kit.labelled_input(ws, row, 2, "Your interval level (optional) · 自定区间水平", LEVEL_INPUT,
                       "e.g. 90 % for a wider band; every forecast, finding and the backtest on this sheet use it.")
    row += 2

    kit.header(ws, row, ("Budget line · 预算项", "Forecast ¥ · 预测投入", "Allocation plan ¥ · 方案金额",
                         "Your amount ¥ · 自定金额"))
    ws.row_dimensions[row].height = 30
    first = row + 1
    for offset, line in enumerate(PLANNER_LINES):
        r = first + offset
        plan, override, amount = planner_line_cells(line)
        write_text(ws.cell(r, 1), line)
        ws.cell(r, 1).number_format = shown_as(labels((line,))[0])  # the forecast reads the code; a person the label
        kit.constant(f"planner_line_{line}", line)
        kit.computed(ws, r, 2, amount)
        kit.computed(ws, r, 3, plan)
        kit.input_block(ws, r, 4, OVERRIDE_BLOCKS[offset])
    count = len(PLANNER_LINES)
    kit.range("planner_lines", ws, first, 1, [[f"planner_line_{line}", f"planner_amount_{line}"]
                                              for line in PLANNER_LINES])
    kit.range("planner_amounts", ws, first, 2, [f"planner_amount_{line}" for line in PLANNER_LINES])
    row = first + count + 1

    chart_row = row
    row = kit.table(ws, row, FORECAST_TABLE)
    ws.cell(row, 1, "Projected band · 预测区间").font = BOLD
    band = row + 1
    header = ["Case · 情形", *(f"{english} · {chinese}" for _key, english, chinese, _unit in BAND_COLUMNS)]
    for column, text in enumerate(header, start=1):
        cell = ws.cell(band, column, text)
        cell.font = BOLD
        cell.fill = TABLE_HEADER_FILL
        cell.border = BOX
    for offset, (case, chinese) in enumerate(BAND_CASES, start=1):
        label = ws.cell(band + offset, 1, band_case_label(case, chinese))
        label.border = BOX
        for column, (metric, *_rest) in enumerate(BAND_COLUMNS, start=2):
            kit.computed(ws, band + offset, column, band_cell(case, metric))
    kit.place.put("forecast_band", ws.title, band, 1, 1 + len(BAND_CASES), len(header))
    ws.add_chart(kit.chart(PLANNER_CHART), f"H{chart_row}")
    row = band + len(BAND_CASES) + 2

    kit.wrap_header(ws, row + 1, 1, FORECAST_LINES_TABLE.columns)
    row = kit.table(ws, row, FORECAST_LINES_TABLE)
    for spec in RECOMMENDATION_TABLES:
        row = kit.table(ws, row, spec)

    ws.cell(row, 1, "Your own benchmarks (optional) · 自定义基准").font = BOLD
    row = kit.notes(ws, row + 1, (
        "1. Past campaigns of the client in the yellow rows below; blank rows are ignored, visits may be left "
        "blank. With the Inputs sheet's switch on platform data, they come from Platform data instead.",
        "2. The calibration table fits CPM, engagement rate, CTR, CVR, AOV and the curvature to them, with "
        "standard errors.",
        "3. To forecast on them, copy the calibration table and paste its values into the yellow benchmarks "
        "block (header included); rows left blank keep the defaults. Clear the block to return to the defaults.",
    ))
    kit.example_hint(ws, row, "Your past campaigns here, one a row: e.g. spring launch 2024-03 · ¥60,000 · "
                              "1,335,559 impressions · 21,274 engagements · 844 conversions · ¥261,628 · 19,272 visits")
    row += 1
    # The header cells hold the column names the backtest reads; a person sees the labels.
    kit.header(ws, row, HISTORY_HEADER)
    for column, ((english, chinese, _unit), code) in enumerate(zip(HISTORY_COLUMNS, HISTORY_HEADER), start=1):
        ws.cell(row, column).number_format = shown_as(f"{english} · {chinese}")
        kit.constant(f"planner_history_header_{code}", code)
    ws.row_dimensions[row].height = 30
    first = row + 1
    for column, block in zip((1, 2), HISTORY_BLOCKS):
        kit.input_block(ws, first, column, block)
    names_block, numbers_block = HISTORY_BLOCKS
    kit.range("planner_history_table", ws, row, 1, [
        [f"planner_history_header_{code}" for code in HISTORY_HEADER],
        *([names_block.key(r, 0), *(numbers_block.key(r, c) for c in range(numbers_block.columns))]
          for r in range(HISTORY_INPUT_ROWS)),
    ])
    kit.range("planner_history_spend", ws, first, 2,
              [[numbers_block.key(r, 0)] for r in range(HISTORY_INPUT_ROWS)])
    kit.data_status(ws, first + HISTORY_INPUT_ROWS, 1, CALIBRATION_STATUS)
    row = kit.table(ws, first + HISTORY_INPUT_ROWS + 1, CALIBRATION_TABLE)
    kit.wrap_header(ws, row + 1, 1, BACKTEST_TABLE.columns)
    row = kit.table(ws, row, BACKTEST_TABLE)
    row = kit.notes(ws, row - 1, BACKTEST_NOTES) + 1
    ws.cell(row, 1, "Benchmarks the forecasts read (paste values here) · 预测所用基准").font = BOLD
    kit.input_block(ws, row + 1, 1, BENCHMARKS_BLOCK)
    for column, code in enumerate(BENCHMARKS_BLOCK_HEADER, start=1):  # the codes XHS_FORECAST reads, labelled
        ws.cell(row + 1, column).number_format = shown_as(labels((code,))[0])
        ws.cell(row + 1, column).alignment = Alignment(wrap_text=True, vertical="top")
    kit.widths(ws, (40, 18, 18, 18, 16, 16, 24, 16, 16, 16, 14, 14, 14, 16, 16))
    kit.fit_rows(ws)


SHEET = Sheet("Planner", "投放预测", draw,
              inputs=(SPILLOVER_OVERRIDE, LEVEL_INPUT, *OVERRIDE_BLOCKS, *HISTORY_BLOCKS, BENCHMARKS_BLOCK),
              cells=(PLANNER_BUDGET, PLANNER_ROI, PLANNER_CAMPAIGN_ROI, PLANNER_SPILLOVER, PLANNER_LEVEL,
                     *(cell for line in PLANNER_LINES for cell in planner_line_cells(line)[::2]),
                     *(band_cell(case, metric) for case, _zh in BAND_CASES for metric, *_labels in BAND_COLUMNS),
                     CALIBRATION_STATUS),
              tables=(FORECAST_TABLE, FORECAST_LINES_TABLE, *RECOMMENDATION_TABLES, CALIBRATION_TABLE, BACKTEST_TABLE),
              charts=(PLANNER_CHART,))

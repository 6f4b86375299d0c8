"""The template's layout as data: which sheets exist, what each computed cell and table is, what charts show.

Inputs come from :data:`xhsxl.schema.FIELDS` (one row each, in schema order); computed cells and tables
are declared here once as expressions over named cells (:mod:`xhsxl.workbook.formula`). The builder in
:mod:`xhsxl.workbook.template` places them; nothing else knows a cell address.
"""

from __future__ import annotations

from dataclasses import dataclass

from xhsxl.core import allocation, attribution, figures, planner, returns
from xhsxl.core.planner.funnel import BAND_ROWS, LINE_LABELS_ZH
from xhsxl.schema import CHECKPOINT_EXAMPLE, FIELDS, OUTPUTS, Unit
from xhsxl.workbook.formula import NOT_APPLICABLE, BinOp, Call, Expr, If, IsBlank, Lit, Name, Span, Sum, TableCell

__all__ = [
    "SHEETS", "SPANS", "ComputedCell", "TableSpec", "ChartSpec", "RESULT_CELLS", "WORKING_CELLS",
    "BREAKDOWN_TABLE", "ALLOCATION_CELLS", "ALLOCATION_TABLE", "STAGE_TABLE", "CURVE_ROWS", "CURVE_COLUMNS",
    "OPTIMAL_TABLE", "DASHBOARD_TILES", "CHARTS", "ATTRIBUTION_EXAMPLE", "ATTRIBUTION_COLUMNS",
    "ATTRIBUTION_INPUT_ROWS", "ATTRIBUTION_CHANNELS", "LAST_TOUCH_TABLE", "MARKOV_TABLE", "REMOVAL_EFFECTS_TABLE",
    "ATTRIBUTION_TABLES", "ATTRIBUTION_CHART", "TOUCH_EXAMPLE", "TOUCH_COLUMNS", "TOUCH_INPUT_ROWS",
    "TIME_DECAY_CHANNELS", "TIME_DECAY_TABLE", "PLANNER_PLAN_ROWS", "PLANNER_LINES", "planner_line_cells",
    "PLANNER_ROI", "PLANNER_BUDGET", "FORECAST_TABLE", "BAND_COLUMNS", "BAND_CASES", "band_cell",
    "FORECAST_LINES_TABLE", "RECOMMENDATION_TABLES", "HISTORY_EXAMPLE", "HISTORY_COLUMNS", "HISTORY_INPUT_ROWS",
    "BENCHMARK_UNITS", "BENCHMARK_ROWS", "CALIBRATION_TABLE", "BENCHMARKS_BLOCK_ROWS", "BENCHMARKS_BLOCK_HEADER",
    "CHECKPOINT_COLUMNS", "CHECKPOINT_INPUT_ROWS", "CAPS_INPUT_ROWS", "CHECKPOINT_LINES", "RESERVE_TO_REALLOCATE",
    "REALLOCATION_TABLE", "PLANNER_CHART", "REALLOCATION_CHART",
]

#: Sheet names in workbook order (English, as formulas refer to them), with their Chinese titles.
SHEETS: dict[str, str] = {
    "Start": "开始",
    "Inputs": "输入",
    "Results": "结果",
    "Allocation": "预算分配",
    "Planner": "投放预测",
    "Checkpoints": "检查点调配",
    "Attribution": "多触点归因",
    "Dashboard": "仪表盘",
    "xlwings.conf": "",
}


def _keys(group: str, start: str, end: str) -> tuple[str, str]:
    keys = [f.key for f in FIELDS]
    first, last = keys.index(start), keys.index(end)
    run = FIELDS[first:last + 1]
    if any(f.group != group for f in run):
        raise ValueError(f"span {start}..{end} leaves its group")
    return start, end


#: Named multi-cell input ranges passed whole to XHS_ functions: name → (first field, last field). The
#: fields of a span are consecutive in the schema, so they are consecutive cells on the Inputs sheet.
SPANS: dict[str, tuple[str, str]] = {
    "cost_lines": _keys("costs", "creator_fees", "platform_fees"),
    "engagement_counts": _keys("engagement", "likes", "new_followers"),
    "engagement_unit_values": _keys("engagement", "value_per_like", "value_per_follow"),
    "line_shares": _keys("strategy", "reserve_share", "tech_share"),
    "tier_shares": _keys("strategy", "share_top", "share_nano"),
    "blended_weights": _keys("weights", "weight_direct", "weight_brand"),
}


@dataclass(frozen=True)
class ComputedCell:
    """One computed cell: its defined name, labels, unit and formula."""

    name: str
    label_en: str
    label_zh: str
    unit: Unit
    expr: Expr
    note: str = ""


@dataclass(frozen=True)
class TableSpec:
    """An array-formula table of a fixed size (a header row included), named as a whole.

    ``expr`` is an ``XHS_`` call, or an ``IF`` around one whose other branch is a single value that Excel
    repeats over the whole range (n/a where the core calls the table undefined). A cell's number format is
    its column's unit, or else, when ``row_units`` is given, its row's (row 2 of the table first): tables
    such as the forecast band hold one metric per row."""

    name: str
    title_en: str
    title_zh: str
    rows: int
    columns: int
    expr: Expr
    column_units: tuple[Unit | None, ...]
    row_units: tuple[Unit, ...] = ()


@dataclass(frozen=True)
class ChartSpec:
    """A native chart. ``categories`` is (table or input span, column, first row, last row) and each of
    ``series`` is (title, table or input span, column, first row, last row). Rows are 1-based within the
    table (row 1 is its header) or the span; a table's column counts within the table, a span's column is
    the Inputs sheet's (1 the label, 3 the value). ``number_format`` is the value axis's."""

    name: str
    title: str
    kind: str
    sheet: str
    categories: tuple[str, int, int, int]
    series: tuple[tuple[str, str, int, int, int], ...]
    number_format: str = '"¥"#,##0'


def _n(key: str) -> Name:
    return Name(key)


def _guard(condition: Expr, value: Expr) -> If:
    """A KPI over a denominator that may be zero: the core calls it undefined, the cell says n/a."""
    return If(condition, value, NOT_APPLICABLE)


_OUTPUT = {o.key: o for o in OUTPUTS}


def _result(key: str, expr: Expr, note: str = "") -> ComputedCell:
    output = _OUTPUT[key]
    return ComputedCell(key, output.label_en, output.label_zh, output.unit, expr, note)


revenue, cost = _n("revenue"), _n("total_cost")
_nonnegative_revenue = BinOp(">=", revenue, Lit(0))
_kept_per_yuan = (Lit(1) - _n("refund_rate")) * _n("gross_margin") - _n("commission_rate") * _n("commissioned_share")
_profit_terms = (_n("gross_margin"), _n("refund_rate"), _n("commission_rate"))

#: Cells the results build on but a client does not need to read first; shown under "Working".
WORKING_CELLS: tuple[ComputedCell, ...] = (
    ComputedCell("commissioned_share", "Share of revenue charged commission", "计佣收入占比", "fraction",
                 If(revenue > 0, _n("direct_revenue") / revenue, 1),
                 "Xiaohongshu charges its commission on its own sales only, not on Tmall or JD sales."),
    ComputedCell("monthly_margin", "Margin per customer per month", "每客户月毛利", "CNY per action",
                 If(_n("conversions") > 0, _n("aov") * _n("orders_per_month") * _n("gross_margin"), 0),
                 "AOV × orders per month × gross margin: the m of the CLV formula."),
)

#: The Results sheet, in display order (the schema's OUTPUTS, each with its formula).
RESULT_CELLS: tuple[ComputedCell, ...] = (
    _result("total_cost", Sum(Span("cost_lines"))),
    _result("incremental_cross_platform",
            Call("XHS_INCREMENTAL", _n("cross_platform_revenue"), _n("cross_platform_baseline"))),
    _result("revenue", _n("direct_revenue") + _n("incremental_cross_platform")),
    _result("roi", _guard(_nonnegative_revenue, Call("XHS_ROI", revenue, cost))),
    _result("roas", _guard(_nonnegative_revenue, Call("XHS_ROAS", revenue, cost))),
    _result("profit_roi", _guard(_nonnegative_revenue, Call(
        "XHS_PROFIT_ROI", revenue, cost, *_profit_terms, _n("direct_revenue")))),
    _result("breakeven_roas", _guard(revenue > 0, _guard(_kept_per_yuan > 0, Call(
        "XHS_BREAKEVEN_ROAS", *_profit_terms, _n("commissioned_share"))))),
    _result("breakeven_revenue", _guard(revenue > 0, _guard(_kept_per_yuan > 0, Call(
        "XHS_BREAKEVEN_REVENUE", cost, *_profit_terms, _n("commissioned_share"))))),
    _result("cpm", _guard(_n("impressions") > 0, Call("XHS_CPM", cost, _n("impressions")))),
    _result("cpc", _guard(_n("clicks") > 0, Call("XHS_CPC", cost, _n("clicks")))),
    _result("cpa", _guard(_n("conversions") + _n("cross_platform_conversions") > 0,
                          Call("XHS_CPA", cost, _n("conversions") + _n("cross_platform_conversions"))),
            "Over all attributed conversions, on and off Xiaohongshu."),
    _result("engagements", Call("XHS_ENGAGEMENTS", _n("likes"), _n("saves"), _n("comments"), _n("shares"),
                                _n("new_followers"))),
    _result("cpe", _guard(_n("engagements") > 0, Call("XHS_CPE", cost, _n("engagements")))),
    _result("ctr", _guard(_n("impressions") > 0, Call("XHS_CTR", _n("clicks"), _n("impressions")))),
    _result("cvr", _guard(_n("clicks") > 0, Call("XHS_CVR", _n("conversions"), _n("clicks")))),
    _result("aov", _guard(_n("conversions") > 0, Call("XHS_AOV", _n("direct_revenue"), _n("conversions")))),
    _result("engagement_rate", _guard(_n("impressions") > 0,
                                      Call("XHS_ENGAGEMENT_RATE", _n("engagements"), _n("impressions")))),
    _result("save_rate", _guard(_n("impressions") > 0, Call("XHS_SAVE_RATE", _n("saves"), _n("impressions")))),
    _result("follower_growth_rate", _guard(_n("starting_followers") > 0, Call(
        "XHS_FOLLOWER_GROWTH", _n("new_followers"), _n("starting_followers")))),
    _result("engagement_value", Call("XHS_ENGAGEMENT_VALUE", Span("engagement_counts"),
                                     Span("engagement_unit_values"))),
    _result("clv", Call("XHS_CLV_RETENTION", _n("monthly_margin"), _n("retention_rate"), _n("discount_rate"),
                        _n("clv_months")),
            "Future orders only: the first order is already in sales."),
    _result("blended_return", Call("XHS_BLENDED_RETURN", *(_n(k) for k in (
        "direct_revenue", "incremental_cross_platform", "new_customers", "clv", "engagement_value",
        "brand_value")), Span("blended_weights"), 1)),
    _result("blended_roi", Call("XHS_BLENDED_ROI", cost, *(_n(k) for k in (
        "direct_revenue", "incremental_cross_platform", "new_customers", "clv", "engagement_value",
        "brand_value")), Span("blended_weights"), 1)),
)

BREAKDOWN_TABLE = TableSpec(
    "breakdown_table", "Blended return breakdown", "综合回报构成", len(returns.RETURN_COMPONENTS) + 2, 7,
    Call("XHS_BLENDED_BREAKDOWN", *(_n(k) for k in (
        "direct_revenue", "incremental_cross_platform", "new_customers", "clv", "engagement_value",
        "brand_value")), Span("blended_weights"), 1),
    (None, None, None, "CNY", "fraction", "CNY", "fraction"),
)

#: Allocation sheet cells before its tables.
ALLOCATION_CELLS: tuple[ComputedCell, ...] = (
    ComputedCell("budget", "Budget planned", "计划预算", "CNY",
                 If(IsBlank("planned_budget"), _n("total_cost"), _n("planned_budget")),
                 "The next budget from the Inputs sheet, or this campaign's total cost when it is blank."),
)

_PLAN_ROWS = 1 + 5 + len(figures.CREATOR_TIERS)  # header, five budget lines, every tier (nano named)
ALLOCATION_TABLE = TableSpec(
    "allocation_table", "Rule-based plan from the articles' ranges", "基于行业区间的预算方案", _PLAN_ROWS,
    len(allocation.ALLOCATION_TABLE_HEADER),
    Call("XHS_TIER_ALLOCATION", _n("budget"), "", Span("line_shares"), Span("tier_shares")),
    (None, None, "fraction", "fraction", "CNY", "fraction", "fraction", None, "count", "count", "count", None),
)
STAGE_TABLE = TableSpec(
    "stage_table", "Spillover vs closed loop for the brand stage", "站外/站内预算", 3,
    len(allocation.STAGE_TABLE_HEADER), Call("XHS_STAGE_SPLIT", _n("budget"), _n("brand_stage")),
    (None, None, "fraction", "CNY", None),
)

_CREATORS_ROW = 1 + 5  # header + reserve, content, paid ads, tech, creators
_AMOUNT_COLUMN = allocation.ALLOCATION_TABLE_HEADER.index("amount") + 1

#: The tier curves the optimiser uses: one row per reference tier. Columns of the curves range, in the
#: order XHS_OPTIMAL_ALLOCATION reads them; reference spend and ROAS are shown beside it.
CURVE_COLUMNS: tuple[str, ...] = ("tier", "curve", "scale", "elasticity", "shape", "min share", "max share")


@dataclass(frozen=True)
class CurveRow:
    tier: str
    reference_share: float
    min_share: float
    max_share: float

    @property
    def reference_spend(self) -> Expr:
        return _n("creator_budget") * Lit(self.reference_share)

    @property
    def scale(self) -> Call:
        spend = _n(f"reference_spend_{self.tier}")
        return Call("XHS_CURVE_SCALE", spend, _n(f"roas_{self.tier}") * spend, _n("elasticity"))


CURVE_ROWS: tuple[CurveRow, ...] = tuple(
    CurveRow(tier, figures.TIER_BUDGET_SHARE[tier].mid, figures.TIER_BUDGET_SHARE[tier].low,
             figures.TIER_BUDGET_SHARE[tier].high)
    for tier in allocation.REFERENCE_TIERS
)

CREATOR_BUDGET = ComputedCell("creator_budget", "Creator budget", "达人预算", "CNY",
                              TableCell("allocation_table", _CREATORS_ROW, _AMOUNT_COLUMN),
                              "The creators line of the plan above; the optimised split divides it.")

OPTIMAL_TABLE = TableSpec(
    "optimal_table", "Optimised split of the creator budget", "达人预算优化分配", len(CURVE_ROWS) + 2,
    len(allocation.OPTIMAL_TABLE_HEADER),
    Call("XHS_OPTIMAL_ALLOCATION", _n("creator_budget"), Span("curves")),
    (None, None, "CNY", "fraction", "fraction", "fraction", "CNY", "fraction", "elasticity", None),
)

#: Headline numbers on the Dashboard, by result name.
DASHBOARD_TILES: tuple[str, ...] = ("total_cost", "revenue", "roi", "roas", "profit_roi", "blended_roi", "cpa",
                                    "cpm")

_TIER_ROWS = (2 + 5, 2 + 5 + len(CURVE_ROWS) - 1)  # creators_top .. creators_micro in the plan table
CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("cost_chart", "Cost breakdown · 成本构成", "pie", "Dashboard",
              ("cost_lines", 1, 1, 7), (("Cost", "cost_lines", 3, 1, 7),)),
    ChartSpec("return_chart", "Return by component · 回报构成", "bar", "Dashboard",
              ("breakdown_table", 2, 2, 1 + len(returns.RETURN_COMPONENTS)),
              (("Weighted value", "breakdown_table", 6, 2, 1 + len(returns.RETURN_COMPONENTS)),)),
    ChartSpec("tier_chart", "Creator budget by tier · 达人预算", "bar", "Dashboard",
              ("optimal_table", 1, 2, 1 + len(CURVE_ROWS)),
              (("Rule-based", "allocation_table", _AMOUNT_COLUMN, *_TIER_ROWS),
               ("Optimised", "optimal_table", 3, 2, 1 + len(CURVE_ROWS)))),
)


# ----------------------------------------------------------------------------------------------- attribution

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
_CREDIT_UNITS: tuple[Unit | None, ...] = (None, "count", "CNY", "fraction")

LAST_TOUCH_TABLE = TableSpec(
    "attribution_last_touch", "Last-touch credit (what last-click reports show)", "末次触点归因",
    len(ATTRIBUTION_CHANNELS) + 1, len(attribution.RESULT_HEADER),
    Call("XHS_ATTRIBUTION", *_PATH_TABLE, "last_touch"), _CREDIT_UNITS,
)
MARKOV_TABLE = TableSpec(
    "attribution_markov", "Markov credit, order 1 (exact removal effects)", "马尔可夫链归因（一阶）",
    len(ATTRIBUTION_CHANNELS) + 1, len(attribution.RESULT_HEADER),
    Call("XHS_ATTRIBUTION", *_PATH_TABLE, "markov", 1), _CREDIT_UNITS,
)
REMOVAL_EFFECTS_TABLE = TableSpec(
    "attribution_removal_effects", "Removal effects: share of conversions lost without the channel", "移除效应",
    len(ATTRIBUTION_CHANNELS) + 1, len(attribution.REMOVAL_EFFECTS_HEADER),
    Call("XHS_REMOVAL_EFFECTS", *_PATH_TABLE, 1), (None, "fraction", "fraction"),
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
    Call("XHS_ATTRIBUTION_TOUCHES", *(Span(name) for name, _, _, _ in TOUCH_COLUMNS), "time_decay"), _CREDIT_UNITS,
)

_CREDITED = attribution.RESULT_HEADER.index("conversions") + 1
ATTRIBUTION_CHART = ChartSpec(
    "attribution_chart", "Last touch vs Markov · 末次触点 vs 马尔可夫", "bar", "Attribution",
    (LAST_TOUCH_TABLE.name, 1, 2, len(ATTRIBUTION_CHANNELS) + 1),
    (("Last touch", LAST_TOUCH_TABLE.name, _CREDITED, 2, len(ATTRIBUTION_CHANNELS) + 1),
     ("Markov", MARKOV_TABLE.name, _CREDITED, 2, len(ATTRIBUTION_CHANNELS) + 1)),
    number_format="#,##0",
)


# ----------------------------------------------------------------------------------------------- planner

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
                        TableCell(ALLOCATION_TABLE.name, PLANNER_PLAN_ROWS[line], _AMOUNT_COLUMN))
    amount = ComputedCell(amount_name, f"Forecast: {line}", f"预测：{label_zh}", "CNY",
                          If(IsBlank(override), _n(plan_name), _n(override)))
    return plan, override, amount


#: What every forecast reads: the budget lines (line, amount) and the brand stage, then benchmarks and margins.
_PLANNER_LINES, _STAGE = Span("planner_lines"), _n("brand_stage")
_BENCHMARKS = Span("planner_benchmarks")
_MARGINS = (_n("gross_margin"), _n("commission_rate"), _n("refund_rate"))
#: The forecast refuses a margin that no sale covers: gross margin × (1 − refunds) must exceed the commission
#: (the core's test, in its order of operations). Otherwise every guarded planner cell reads n/a.
_KEPT_ON_DIRECT_SALES = (Lit(1) - _n("refund_rate")) * _n("gross_margin") - _n("commission_rate")


def _forecast_guard(expr: Expr) -> If:
    return If(_KEPT_ON_DIRECT_SALES > 0, expr, NOT_APPLICABLE)


PLANNER_ROI = ComputedCell(
    "planner_roi", "Projected ROI, base case", "预测投资回报率（基准）", "fraction",
    _forecast_guard(Call("XHS_FORECAST_ROI", _PLANNER_LINES, _STAGE, "base", "net", _BENCHMARKS, *_MARGINS)),
    "(Revenue − cost) / cost of the lines below, on and off Xiaohongshu.")
PLANNER_BUDGET = ComputedCell("planner_budget", "Budget forecast", "预测预算", "CNY", Sum(Span("planner_amounts")),
                              "The sum of the lines below.")

_BAND_UNITS: tuple[Unit, ...] = tuple(unit for _metric, _zh, unit in BAND_ROWS)  # type: ignore[misc]
FORECAST_TABLE = TableSpec(
    "forecast_table", "Funnel forecast: low, base and high cases", "漏斗预测：低/基准/高", len(BAND_ROWS) + 1,
    len(planner.BAND_TABLE_HEADER),
    _forecast_guard(Call("XHS_FORECAST", _PLANNER_LINES, _STAGE, _BENCHMARKS, *_MARGINS)),
    (None,) * len(planner.BAND_TABLE_HEADER), row_units=_BAND_UNITS,
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
    Call("XHS_FORECAST_LINES", _PLANNER_LINES, _STAGE, "base", _BENCHMARKS),
    (None, "CNY", "count", "count", "count", "count", "count", "CNY", "CNY", "CNY", "ratio", "ratio", "fraction",
     "CNY"),
)
RECOMMENDATION_TABLES: tuple[TableSpec, ...] = tuple(
    TableSpec(f"recommendations_{language}", title, title_zh, planner.RECOMMENDATION_ROWS + 1, 1,
              _forecast_guard(Call("XHS_RECOMMEND", _PLANNER_LINES, _STAGE, language, _BENCHMARKS, *_MARGINS)),
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

#: Units of the benchmarks, by the row names of XHS_CALIBRATE's table (and of the benchmarks block).
BENCHMARK_UNITS: dict[str, Unit] = {
    "cpm": "CNY per action", "engagement_rate": "rate", "ctr": "rate", "cvr": "rate",
    "aov": "CNY per action", "cpm_curvature": "elasticity", "cvr_curvature": "elasticity",
    "elasticity": "elasticity", "reference_spend": "CNY",
}
BENCHMARK_ROWS: tuple[str, ...] = tuple(row[0] for row in planner.DEFAULT_BENCHMARKS.table()[1:])
_BENCHMARK_ROW_UNITS: tuple[Unit, ...] = tuple(BENCHMARK_UNITS[name] for name in BENCHMARK_ROWS)
CALIBRATION_TABLE = TableSpec(
    "calibration_table", "Benchmarks fitted to the history (least squares on the log funnel)", "历史数据校准的基准",
    len(BENCHMARK_ROWS) + 1, len(planner.BENCHMARK_TABLE_HEADER), Call("XHS_CALIBRATE", Span("planner_history")),
    (None, None, None, None, None, "elasticity", None, None), row_units=_BENCHMARK_ROW_UNITS,
)
#: The benchmarks block the forecasts read: its header row, then blank rows (the case-study defaults) until
#: the analyst pastes a calibration or types the benchmarks to change.
BENCHMARKS_BLOCK_ROWS = len(BENCHMARK_ROWS) + 1
BENCHMARKS_BLOCK_HEADER: tuple[str, ...] = planner.BENCHMARK_TABLE_HEADER


# ----------------------------------------------------------------------------------------------- checkpoints

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
    If(IsBlank("reserve_override"), _n("planner_amount_reserve"), _n("reserve_override")),
    "The amount typed beside it, or else the Planner's reserve line.")
REALLOCATION_TABLE = TableSpec(
    "reallocation_table", "Reserve reallocated to equal marginal returns", "预留预算调配",
    len(CHECKPOINT_LINES) + 2, len(planner.REALLOCATION_TABLE_HEADER),
    If(_n(RESERVE_TO_REALLOCATE.name) > 0,
       Call("XHS_REALLOCATE", Span("checkpoints"), _n(RESERVE_TO_REALLOCATE.name), Span("reallocation_caps")),
       NOT_APPLICABLE),
    (None, "count", "CNY", "CNY", "CNY", "elasticity", None, "ratio", "ratio", "CNY", "CNY", "fraction", "ratio",
     "CNY", None),
)

_BAND_ROWS_SHOWN = (2, 1 + len(BAND_CASES))
PLANNER_CHART = ChartSpec(
    "planner_chart", "Projected revenue and profit · 预测销售额与利润", "bar", "Planner",
    ("forecast_band", 1, *_BAND_ROWS_SHOWN),
    (("Revenue", "forecast_band", 2, *_BAND_ROWS_SHOWN), ("Profit", "forecast_band", 3, *_BAND_ROWS_SHOWN)),
)
_REALLOCATED_AMOUNT = planner.REALLOCATION_TABLE_HEADER.index("amount") + 1
REALLOCATION_CHART = ChartSpec(
    "reallocation_chart", "Reserve reallocated · 预留预算调配", "bar", "Checkpoints",
    (REALLOCATION_TABLE.name, 1, 2, len(CHECKPOINT_LINES) + 1),
    (("Extra budget", REALLOCATION_TABLE.name, _REALLOCATED_AMOUNT, 2, len(CHECKPOINT_LINES) + 1),),
)

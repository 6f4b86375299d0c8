"""The template's layout as data: which sheets exist, what each computed cell and table is, what charts show.

Inputs come from :data:`xhsxl.schema.FIELDS` (one row each, in schema order); computed cells and tables
are declared here once as expressions over named cells (:mod:`xhsxl.workbook.formula`). The builder in
:mod:`xhsxl.workbook.template` places them; nothing else knows a cell address.
"""

from __future__ import annotations

from dataclasses import dataclass

from xhsxl.core import allocation, attribution, figures, returns
from xhsxl.schema import FIELDS, OUTPUTS, Unit
from xhsxl.workbook.formula import NOT_APPLICABLE, BinOp, Call, Expr, If, IsBlank, Lit, Name, Span, Sum, TableCell

__all__ = [
    "SHEETS", "SPANS", "ComputedCell", "TableSpec", "ChartSpec", "RESULT_CELLS", "WORKING_CELLS",
    "BREAKDOWN_TABLE", "ALLOCATION_CELLS", "ALLOCATION_TABLE", "STAGE_TABLE", "CURVE_ROWS", "CURVE_COLUMNS",
    "OPTIMAL_TABLE", "DASHBOARD_TILES", "CHARTS", "ATTRIBUTION_EXAMPLE", "ATTRIBUTION_COLUMNS",
    "ATTRIBUTION_INPUT_ROWS", "ATTRIBUTION_CHANNELS", "LAST_TOUCH_TABLE", "MARKOV_TABLE", "REMOVAL_EFFECTS_TABLE",
    "ATTRIBUTION_TABLES", "ATTRIBUTION_CHART",
]

#: Sheet names in workbook order (English, as formulas refer to them), with their Chinese titles.
SHEETS: dict[str, str] = {
    "Start": "开始",
    "Inputs": "输入",
    "Results": "结果",
    "Allocation": "预算分配",
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
    """An array-formula table of a fixed size (a header row included), named as a whole."""

    name: str
    title_en: str
    title_zh: str
    rows: int
    columns: int
    expr: Call
    column_units: tuple[Unit | None, ...]


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

_CREDITED = attribution.RESULT_HEADER.index("conversions") + 1
ATTRIBUTION_CHART = ChartSpec(
    "attribution_chart", "Last touch vs Markov · 末次触点 vs 马尔可夫", "bar", "Attribution",
    (LAST_TOUCH_TABLE.name, 1, 2, len(ATTRIBUTION_CHANNELS) + 1),
    (("Last touch", LAST_TOUCH_TABLE.name, _CREDITED, 2, len(ATTRIBUTION_CHANNELS) + 1),
     ("Markov", MARKOV_TABLE.name, _CREDITED, 2, len(ATTRIBUTION_CHANNELS) + 1)),
    number_format="#,##0",
)

"""The Results sheet: every result of :data:`xhsxl.schema.OUTPUTS` as an XHS_ formula over the named input
cells, the working cells they build on, and the blended return's breakdown.

:data:`RESULT_CELLS` is also what the Dashboard's tiles show.
"""

from __future__ import annotations

from xhsxl.core import returns
from xhsxl.schema import OUTPUTS
from xhsxl.workbook.formula import NOT_APPLICABLE, BinOp, Call, Expr, If, Lit, Name, Span, Sum
from xhsxl.workbook.sheets.kit import BOLD, ComputedCell, Kit, Sheet, TableSpec, labels

__all__ = ["SHEET", "RESULT_CELLS", "WORKING_CELLS", "BREAKDOWN_TABLE"]


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
    header_labels=labels(("component", "label", "标签", "value", "weight", "weighted value", "share")),
    row_labels=labels((*returns.RETURN_COMPONENTS, "total")),
)



def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Results", "结果", "Computed from the Inputs sheet (输入)." if kit.static
              else "Each value is an XHS_ function over the named input cells of the Inputs sheet (输入).")
    kit.header(ws, 3, ("Result", "结果", "Value", "Unit", "Note"))
    row = 4
    for item in RESULT_CELLS:
        kit.result_row(ws, row, item)
        row += 1
    row += 1
    ws.cell(row, 1, "Working · 中间计算").font = BOLD
    row += 1
    for item in WORKING_CELLS:
        kit.result_row(ws, row, item)
        row += 1
    kit.table(ws, row + 1, BREAKDOWN_TABLE)
    ws.freeze_panes = "A4"
    kit.widths(ws, (38, 30, 18, 14, 16, 24, 14))
    kit.fit_rows(ws)


SHEET = Sheet("Results", "结果", draw, cells=RESULT_CELLS + WORKING_CELLS, tables=(BREAKDOWN_TABLE,))

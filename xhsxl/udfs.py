"""The XHS_ function library for Excel: thin xlwings adapters over :mod:`xhsxl.core`.

Each function converts Excel-shaped arguments (numbers, blanks, text, ranges), makes one call into the core
and returns a number or a table (a list of rows with a header row). Errors are
:class:`~xhsxl.core.errors.XhsInputError` messages naming the argument, shown in the cell by classic
xlwings and on hover by xlwings Lite. No calculation lives here.

Register in Excel: classic add-in, ``UDF Modules`` = ``xhsxl.udfs`` on the ``xlwings.conf`` sheet, then
Import Functions; xlwings Lite, ``import xhsxl.udfs`` in ``main.py``. Conventions (checked by
``tests/test_udfs.py``): ``@xw.func(category="XHS")`` outermost, every argument documented, docstrings under
255 characters, range arguments declared ``ndim=2``. Cells and ranges are read by :mod:`xhsxl.excel`.
"""

from __future__ import annotations

import functools
import math
import sys
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import xlwings as xw

import xhsxl
from xhsxl.core import clv as clv_core
from xhsxl.core import figures, metrics, response, returns
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe
from xhsxl.excel.cells import coerce_number, is_blank, read_flag, reads_as_flag
from xhsxl.excel.ranges import (
    REQUIRED, at_rows, cell_integer, cell_number, cell_text, elementwise, number_list, range_columns, single_cell,
    to_excel_table, without_blank_tail,
)

# The attribution engines, the allocation and the planner (with its table readers) are imported by the
# functions that use them: every xlwings server start, and every xlwings Lite start in the browser, imports
# this module before the first =XHS_ROI(); the planner and its readers were two thirds of our own import time.
if TYPE_CHECKING:
    from xhsxl.core import attribution, planner

# ----------------------------------------------------------------------------------------------- status


@xw.func(category="XHS")
def XHS_VERSION():
    """The xhsxl version; a cell showing it proves the XHS_ functions are loaded (#NAME? means they are not)."""
    return f"xhsxl {xhsxl.__version__}"


# ----------------------------------------------------------------------------------------------- ROI family


@xw.func(category="XHS")
@xw.arg("revenue", ndim=2, doc="Revenue attributed to the campaign, ¥ (a cell or a range).")
@xw.arg("cost", ndim=2, doc="Total campaign cost, ¥, greater than 0 (a cell or a range).")
@xw.arg("basis", doc='"net" (default): (revenue - cost) / cost, as in the articles; "ratio": revenue / cost (ROI 1:x).')
def XHS_ROI(revenue, cost, basis=None):
    """Return on investment: net (revenue - cost) / cost, so ¥450,000 -> ¥1.68M is 273 %; or basis "ratio" for revenue / cost. Format the cell as %."""
    kind = cell_text(basis, "basis", "net")
    return elementwise(metrics.roi, {"revenue": (revenue, REQUIRED), "cost": (cost, REQUIRED)}, {"basis": kind})


@xw.func(category="XHS")
@xw.arg("revenue", ndim=2, doc="GMV attributed to the ads, ¥ (a cell or a range).")
@xw.arg("cost", ndim=2, doc="Ad spend, ¥, greater than 0 (a cell or a range).")
def XHS_ROAS(revenue, cost):
    """Return on ad spend, GMV / spend: the "ROI 1:3" every Juguang report shows. Compare with XHS_BREAKEVEN_ROAS, not with 1."""
    return elementwise(metrics.roas, {"revenue": (revenue, REQUIRED), "cost": (cost, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("revenue", ndim=2, doc="GMV attributed to the campaign, ¥.")
@xw.arg("cost", ndim=2, doc="Campaign cost, ¥, greater than 0.")
@xw.arg("gross_margin", ndim=2, doc="Gross margin on sales, 0-100 % (60 % or 0.6).")
@xw.arg("refund_rate", ndim=2, doc="Share of GMV refunded, 0-100 %; blank = 0.")
@xw.arg("commission_rate", ndim=2, doc="Platform commission, 0-100 %; blank = 0 (Xiaohongshu: 10-15 %).")
@xw.arg("commissioned_revenue", ndim=2, doc="Part of revenue the commission is charged on, ¥ (e.g. only Xiaohongshu sales); blank = all revenue.")
def XHS_PROFIT_ROI(revenue, cost, gross_margin, refund_rate=None, commission_rate=None, commissioned_revenue=None):
    """Profit ROI: (revenue x (1 - refunds) x margin - commissioned revenue x commission - cost) / cost. What the campaign earned after goods, refunds and commission."""
    if commissioned_revenue is None:
        return elementwise(metrics.profit_roi, {
            "revenue": (revenue, REQUIRED), "cost": (cost, REQUIRED), "gross_margin": (gross_margin, REQUIRED),
            "refund_rate": (refund_rate, 0.0), "commission_rate": (commission_rate, 0.0),
        })
    return elementwise(metrics.profit_roi, {
        "revenue": (revenue, REQUIRED), "cost": (cost, REQUIRED), "gross_margin": (gross_margin, REQUIRED),
        "refund_rate": (refund_rate, 0.0), "commission_rate": (commission_rate, 0.0),
        "commissioned_revenue": (commissioned_revenue, REQUIRED),
    })


@xw.func(category="XHS")
@xw.arg("gross_margin", ndim=2, doc="Gross margin on sales, 0-100 %.")
@xw.arg("refund_rate", ndim=2, doc="Share of GMV refunded, 0-100 %; blank = 0.")
@xw.arg("commission_rate", ndim=2, doc="Platform commission, 0-100 %; blank = 0.")
@xw.arg("commissioned_share", ndim=2, doc="Share of GMV the commission is charged on; blank = 100 %.")
def XHS_BREAKEVEN_ROAS(gross_margin, refund_rate=None, commission_rate=None, commissioned_share=None):
    """The GMV / spend ratio at which profit is zero: 1 / ((1 - refunds) x margin - commission x commissioned share). A ROAS below it loses money."""
    return elementwise(metrics.breakeven_roas, {
        "gross_margin": (gross_margin, REQUIRED), "refund_rate": (refund_rate, 0.0),
        "commission_rate": (commission_rate, 0.0), "commissioned_share": (commissioned_share, 1.0),
    })


@xw.func(category="XHS")
@xw.arg("cost", ndim=2, doc="Campaign cost, ¥.")
@xw.arg("gross_margin", ndim=2, doc="Gross margin on sales, 0-100 %.")
@xw.arg("refund_rate", ndim=2, doc="Share of GMV refunded, 0-100 %; blank = 0.")
@xw.arg("commission_rate", ndim=2, doc="Platform commission, 0-100 %; blank = 0.")
@xw.arg("commissioned_share", ndim=2, doc="Share of GMV the commission is charged on; blank = 100 %.")
def XHS_BREAKEVEN_REVENUE(cost, gross_margin, refund_rate=None, commission_rate=None, commissioned_share=None):
    """Revenue (GMV, ¥) the campaign must bring for its profit to cover its cost: cost x break-even ROAS."""
    return elementwise(metrics.breakeven_revenue, {
        "cost": (cost, REQUIRED), "gross_margin": (gross_margin, REQUIRED), "refund_rate": (refund_rate, 0.0),
        "commission_rate": (commission_rate, 0.0), "commissioned_share": (commissioned_share, 1.0),
    })


@xw.func(category="XHS")
@xw.arg("campaign", ndim=2, doc="Sales in the campaign period, ¥ (e.g. Tmall while the campaign ran).")
@xw.arg("baseline", ndim=2, doc="Sales of the same channel in the baseline period before, ¥.")
@xw.arg("campaign_days", ndim=2, doc="Length of the campaign period; blank = 1 (periods equally long).")
@xw.arg("baseline_days", ndim=2, doc="Length of the baseline period; blank = 1.")
def XHS_INCREMENTAL(campaign, baseline, campaign_days=None, baseline_days=None):
    """Incremental revenue: campaign - baseline x campaign_days / baseline_days, ¥. Negative when sales fell."""
    return elementwise(metrics.incremental_revenue, {
        "campaign": (campaign, REQUIRED), "baseline": (baseline, REQUIRED),
        "campaign_days": (campaign_days, 1.0), "baseline_days": (baseline_days, 1.0),
    })


# ----------------------------------------------------------------------------------------------- KPIs


@xw.func(category="XHS")
@xw.arg("cost", ndim=2, doc="Cost, ¥.")
@xw.arg("impressions", ndim=2, doc="Impressions, greater than 0.")
def XHS_CPM(cost, impressions):
    """Cost per thousand impressions, ¥: cost / impressions x 1000."""
    return elementwise(metrics.cpm, {"cost": (cost, REQUIRED), "impressions": (impressions, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("cost", ndim=2, doc="Cost, ¥.")
@xw.arg("clicks", ndim=2, doc="Clicks or profile visits, greater than 0.")
def XHS_CPC(cost, clicks):
    """Cost per click (or per profile visit), ¥: cost / clicks."""
    return elementwise(metrics.cpc, {"cost": (cost, REQUIRED), "clicks": (clicks, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("cost", ndim=2, doc="Cost, ¥.")
@xw.arg("conversions", ndim=2, doc="Conversions (orders), greater than 0.")
def XHS_CPA(cost, conversions):
    """Cost per acquisition, ¥: cost / conversions."""
    return elementwise(metrics.cpa, {"cost": (cost, REQUIRED), "conversions": (conversions, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("likes", ndim=2, doc="Likes (点赞).")
@xw.arg("saves", ndim=2, doc="Saves (收藏); blank = 0.")
@xw.arg("comments", ndim=2, doc="Comments (评论); blank = 0.")
@xw.arg("shares", ndim=2, doc="Shares (分享); blank = 0.")
@xw.arg("follows", ndim=2, doc="Follows gained; blank = 0.")
def XHS_ENGAGEMENTS(likes, saves=None, comments=None, shares=None, follows=None):
    """Engagements (互动量) as Juguang counts them: likes + saves + comments + shares + follows."""
    return elementwise(metrics.engagements, {
        "likes": (likes, REQUIRED), "saves": (saves, 0.0), "comments": (comments, 0.0),
        "shares": (shares, 0.0), "follows": (follows, 0.0),
    })


@xw.func(category="XHS")
@xw.arg("cost", ndim=2, doc="Cost, ¥.")
@xw.arg("likes", ndim=2, doc="Likes, or total engagements when the other counts are left blank.")
@xw.arg("saves", ndim=2, doc="Saves; blank = 0.")
@xw.arg("comments", ndim=2, doc="Comments; blank = 0.")
@xw.arg("shares", ndim=2, doc="Shares; blank = 0.")
@xw.arg("follows", ndim=2, doc="Follows gained; blank = 0.")
def XHS_CPE(cost, likes, saves=None, comments=None, shares=None, follows=None):
    """Cost per engagement, ¥: cost / (likes + saves + comments + shares + follows), as Juguang reports it."""

    def compute(cost, likes, saves, comments, shares, follows):
        return metrics.cpe(cost, metrics.engagements(likes, saves, comments, shares, follows))

    return elementwise(compute, {
        "cost": (cost, REQUIRED), "likes": (likes, REQUIRED), "saves": (saves, 0.0),
        "comments": (comments, 0.0), "shares": (shares, 0.0), "follows": (follows, 0.0),
    })


@xw.func(category="XHS")
@xw.arg("clicks", ndim=2, doc="Clicks to product pages or links.")
@xw.arg("impressions", ndim=2, doc="Impressions, greater than 0.")
def XHS_CTR(clicks, impressions):
    """Click-through rate: clicks / impressions. Format as %."""
    return elementwise(metrics.ctr, {"clicks": (clicks, REQUIRED), "impressions": (impressions, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("conversions", ndim=2, doc="Conversions (orders).")
@xw.arg("clicks", ndim=2, doc="Clicks or visits, greater than 0.")
def XHS_CVR(conversions, clicks):
    """Conversion rate: conversions / clicks (or visits). Format as %."""
    return elementwise(metrics.cvr, {"conversions": (conversions, REQUIRED), "clicks": (clicks, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("revenue", ndim=2, doc="Revenue, ¥.")
@xw.arg("orders", ndim=2, doc="Orders, greater than 0.")
def XHS_AOV(revenue, orders):
    """Average order value, ¥: revenue / orders."""
    return elementwise(metrics.aov, {"revenue": (revenue, REQUIRED), "orders": (orders, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("engagements", ndim=2, doc="Engagements (likes + saves + comments + shares + follows).")
@xw.arg("impressions", ndim=2, doc="Impressions, greater than 0.")
def XHS_ENGAGEMENT_RATE(engagements, impressions):
    """Engagement rate: engagements / impressions. Format as %."""
    return elementwise(lambda engagements, impressions: metrics.engagement_rate(engagements, impressions),
                       {"engagements": (engagements, REQUIRED), "impressions": (impressions, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("saves", ndim=2, doc="Saves (收藏).")
@xw.arg("impressions", ndim=2, doc="Impressions, greater than 0.")
def XHS_SAVE_RATE(saves, impressions):
    """Save (收藏) rate: saves / impressions. Format as %."""
    return elementwise(metrics.save_rate, {"saves": (saves, REQUIRED), "impressions": (impressions, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("new_followers", ndim=2, doc="Followers gained.")
@xw.arg("starting_followers", ndim=2, doc="Followers at the start, greater than 0.")
def XHS_FOLLOWER_GROWTH(new_followers, starting_followers):
    """Follower growth rate: new followers / followers at the start. Format as %."""
    return elementwise(metrics.follower_growth_rate, {
        "new_followers": (new_followers, REQUIRED), "starting_followers": (starting_followers, REQUIRED),
    })


# ----------------------------------------------------------------------------------------------- returns


@xw.func(category="XHS")
@xw.arg("counts", ndim=2, doc="Engagement counts: likes, saves, comments, shares, follows (a row or column).")
@xw.arg("unit_values", ndim=2, doc="¥ value of one action of each kind, same order and size as counts.")
@xw.arg("weights", ndim=2, doc="Weight per action, 0-100 %; blank = 100 % for all.")
def XHS_ENGAGEMENT_VALUE(counts, unit_values, weights=None):
    """Money value of engagements: sum of count x value per action x weight, ¥."""
    values = number_list(unit_values, "unit_values")
    count = number_list(counts, "counts", values.size)
    weight = number_list(weights, "weights", values.size, default=None)
    return float(returns.engagement_value(count, values, weight))


@xw.func(category="XHS")
@xw.arg("impressions", ndim=2, doc="Organic impressions earned.")
@xw.arg("cpm_benchmark", ndim=2, doc="Paid CPM to price them at, ¥ per 1,000 impressions.")
@xw.arg("engagements", ndim=2, doc="Organic engagements to price as well; blank = 0.")
@xw.arg("cpe_benchmark", ndim=2, doc="Paid cost per engagement, ¥; blank = 0 (leave 0 when engagement value is counted on its own).")
def XHS_EARNED_MEDIA(impressions, cpm_benchmark, engagements=None, cpe_benchmark=None):
    """Earned-media value, ¥: what the same reach (and engagements) would have cost as ads."""
    return elementwise(
        lambda impressions, cpm_benchmark, engagements, cpe_benchmark: returns.earned_media_value(
            impressions, cpm_benchmark, engagements, cpe_benchmark),
        {"impressions": (impressions, REQUIRED), "cpm_benchmark": (cpm_benchmark, REQUIRED),
         "engagements": (engagements, 0.0), "cpe_benchmark": (cpe_benchmark, 0.0)},
    )


def _blended(direct, cross_platform, new_customers, clv_value, engagement, brand, weights, margin, cost=None):
    return returns.blended_return(
        cell_number(direct, "direct", 0.0),
        cell_number(cross_platform, "cross_platform", 0.0),
        cell_number(new_customers, "new_customers", 0.0),
        cell_number(clv_value, "clv", 0.0),
        cell_number(engagement, "engagement", 0.0),
        cell_number(brand, "brand", 0.0),
        number_list(weights, "weights", len(returns.RETURN_COMPONENTS), default=None),
        cell_number(margin, "margin", 1.0),
        None if cost is None else cell_number(cost, "cost"),
    )


_WEIGHTS_DOC = "Weights of the five components, 0-100 %, in the order direct, cross-platform, new customers, engagement, brand; blank = 100 % each."


@xw.func(category="XHS")
@xw.arg("direct", doc="Direct sales on Xiaohongshu, ¥.")
@xw.arg("cross_platform", doc="Incremental Tmall / JD / offline sales, ¥ (see XHS_INCREMENTAL).")
@xw.arg("new_customers", doc="New customers acquired.")
@xw.arg("clv", doc="Future value per new customer, ¥ (XHS_CLV_RETENTION; excludes the first order).")
@xw.arg("engagement", doc="Engagement value, ¥ (XHS_ENGAGEMENT_VALUE).")
@xw.arg("brand", doc="Brand or earned-media value, ¥.")
@xw.arg("weights", ndim=2, doc=_WEIGHTS_DOC)
@xw.arg("margin", doc="Gross margin applied to the two sales components; blank = 100 % (revenue basis).")
def XHS_BLENDED_RETURN(direct, cross_platform=None, new_customers=None, clv=None, engagement=None, brand=None,
                       weights=None, margin=None):
    """Blended return, ¥: weighted sum of direct sales, incremental cross-platform sales, new customers x CLV, engagement value and brand value."""
    return float(_blended(direct, cross_platform, new_customers, clv, engagement, brand, weights, margin).total)


@xw.func(category="XHS")
@xw.arg("cost", doc="Campaign cost, ¥, greater than 0.")
@xw.arg("direct", doc="Direct sales on Xiaohongshu, ¥.")
@xw.arg("cross_platform", doc="Incremental Tmall / JD / offline sales, ¥.")
@xw.arg("new_customers", doc="New customers acquired.")
@xw.arg("clv", doc="Future value per new customer, ¥.")
@xw.arg("engagement", doc="Engagement value, ¥.")
@xw.arg("brand", doc="Brand or earned-media value, ¥.")
@xw.arg("weights", ndim=2, doc=_WEIGHTS_DOC)
@xw.arg("margin", doc="Gross margin applied to the two sales components; blank = 100 %.")
def XHS_BLENDED_ROI(cost, direct, cross_platform=None, new_customers=None, clv=None, engagement=None, brand=None,
                    weights=None, margin=None):
    """Blended ROI: (blended return - cost) / cost, counting sales, new customers' future value, engagement and brand value. Format as %."""
    blended = _blended(direct, cross_platform, new_customers, clv, engagement, brand, weights, margin, cost)
    return float(blended.roi)


@xw.func(category="XHS")
@xw.arg("direct", doc="Direct sales on Xiaohongshu, ¥.")
@xw.arg("cross_platform", doc="Incremental Tmall / JD / offline sales, ¥.")
@xw.arg("new_customers", doc="New customers acquired.")
@xw.arg("clv", doc="Future value per new customer, ¥.")
@xw.arg("engagement", doc="Engagement value, ¥.")
@xw.arg("brand", doc="Brand or earned-media value, ¥.")
@xw.arg("weights", ndim=2, doc=_WEIGHTS_DOC)
@xw.arg("margin", doc="Gross margin applied to the two sales components; blank = 100 %.")
def XHS_BLENDED_BREAKDOWN(direct, cross_platform=None, new_customers=None, clv=None, engagement=None, brand=None,
                          weights=None, margin=None):
    """Table (7 rows x 7 columns with header): each return component's value, weight, weighted value and share of the blended return."""
    return to_excel_table(_blended(direct, cross_platform, new_customers, clv, engagement, brand, weights, margin).table())


# ----------------------------------------------------------------------------------------------- CLV


@xw.func(category="XHS")
@xw.arg("aov", ndim=2, doc="Average order value, ¥.")
@xw.arg("orders_per_period", ndim=2, doc="Orders per customer per period.")
@xw.arg("gross_margin", ndim=2, doc="Gross margin, 0-100 %.")
@xw.arg("periods", ndim=2, doc="Expected number of periods a customer keeps buying.")
def XHS_CLV(aov, orders_per_period, gross_margin, periods):
    """Simple customer lifetime value, ¥: AOV x orders per period x gross margin x periods."""
    return elementwise(clv_core.clv_simple, {
        "aov": (aov, REQUIRED), "orders_per_period": (orders_per_period, REQUIRED),
        "gross_margin": (gross_margin, REQUIRED), "periods": (periods, REQUIRED),
    })


@xw.func(category="XHS")
@xw.arg("margin", ndim=2, doc="Margin per customer per period, ¥.")
@xw.arg("retention", ndim=2, doc="Share of customers kept from one period to the next, 0 to below 100 %.")
@xw.arg("discount_rate", ndim=2, doc="Discount rate per period (1 % a month is 0.01).")
@xw.arg("horizon", ndim=2, doc="Number of periods counted; blank = no limit (closed form).")
@xw.arg("timing", doc='"future" (default, excludes today\'s order: m r/(1+d-r)), "start" (includes it) or "end" (paid at period end).')
def XHS_CLV_RETENTION(margin, retention, discount_rate, horizon=None, timing=None):
    """Retention-based discounted CLV, ¥: sum of margin x retention^t / (1 + discount)^t; default counts future orders only, m r / (1 + d - r)."""
    when = cell_text(timing, "timing", "future")
    if horizon is None or (not isinstance(horizon, (list, tuple)) and cell_number(horizon, "horizon", None) is None):
        return elementwise(lambda margin, retention, discount_rate: clv_core.clv_retention(
            margin, retention, discount_rate, None, when), {
            "margin": (margin, REQUIRED), "retention": (retention, REQUIRED), "discount_rate": (discount_rate, REQUIRED),
        })
    return elementwise(lambda margin, retention, discount_rate, horizon: clv_core.clv_retention(
        margin, retention, discount_rate, horizon, when), {
        "margin": (margin, REQUIRED), "retention": (retention, REQUIRED), "discount_rate": (discount_rate, REQUIRED),
        "horizon": (horizon, REQUIRED),
    })


_BGNBD_PARAMS = ("r", "alpha", "a", "b", "p", "q", "v")


@xw.func(category="XHS")
@xw.arg("frequency", ndim=2, doc="Repeat purchases of each customer (a cell or a column).")
@xw.arg("recency", ndim=2, doc="Age of the customer at the last purchase, in the data's time unit (0 with no repeat).")
@xw.arg("age", ndim=2, doc="Age of the customer (time since first purchase), in the data's time unit.")
@xw.arg("monetary_value", ndim=2, doc="Average value of the repeat purchases, ¥.")
@xw.arg("params", ndim=2, doc="7 fitted parameters in a row or column: BG/NBD r, alpha, a, b, then Gamma-Gamma p, q, v.")
@xw.arg("months", doc="Months of future purchases counted; blank = 12.")
@xw.arg("monthly_discount", doc="Discount rate per month; blank = 1 %.")
@xw.arg("margin", doc="Margin applied to the spend, 0-100 %; blank = 100 %.")
@xw.arg("time_unit", doc='Unit of recency and age: "days" (blank), "weeks", "months", "hours", or days per unit (7: weeks of 30-day months).')
@xw.arg("month_length", doc="Length of a month in that unit; blank = lifetimes' (30 days, 4.345 weeks, 1 month, 720 hours).")
def XHS_CLV_BGNBD(frequency, recency, age, monetary_value, params, months=None, monthly_discount=None, margin=None,
                  time_unit=None, month_length=None):
    """CLV from fitted BG/NBD and Gamma-Gamma models (as the lifetimes package scores it): discounted expected spend over the coming months, ¥."""
    fitted = dict(zip(_BGNBD_PARAMS, number_list(params, "params", len(_BGNBD_PARAMS))))
    horizon = cell_integer(months, "months", 12)
    discount = cell_number(monthly_discount, "monthly_discount", 0.01)
    kept = cell_number(margin, "margin", 1.0)
    named = isinstance(time_unit, str) and time_unit.strip() and _number_or_none(time_unit) is None
    unit = time_unit.strip() if named else cell_number(time_unit, "time_unit", "days")
    length = cell_number(month_length, "month_length", None)
    return elementwise(
        lambda frequency, recency, age, monetary_value: clv_core.clv_bgnbd(
            frequency, recency, age, monetary_value, **fitted, months=horizon, monthly_discount=discount,
            margin=kept, time_unit=unit, month_length=length),
        {"frequency": (frequency, REQUIRED), "recency": (recency, REQUIRED), "age": (age, REQUIRED),
         "monetary_value": (monetary_value, REQUIRED)},
    )


@xw.func(category="XHS")
@xw.arg("frequency", ndim=2, doc="Repeat purchases of each customer.")
@xw.arg("recency", ndim=2, doc="Age of the customer at the last purchase (0 with no repeat).")
@xw.arg("age", ndim=2, doc="Age of the customer, same unit as recency.")
@xw.arg("params", ndim=2, doc="BG/NBD parameters r, alpha, a, b (a row or column of 4; a 7-cell range is read for its first 4).")
def XHS_P_ALIVE(frequency, recency, age, params):
    """Probability that a customer is still active, from a fitted BG/NBD model."""
    values = number_list(params, "params")
    if values.size not in (4, 7):
        raise XhsInputError(f"params must have 4 (BG/NBD) or 7 cells (got {values.size})")
    fitted = dict(zip(_BGNBD_PARAMS[:4], values[:4]))
    return elementwise(
        lambda frequency, recency, age: clv_core.bgnbd_probability_alive(frequency, recency, age, **fitted),
        {"frequency": (frequency, REQUIRED), "recency": (recency, REQUIRED), "age": (age, REQUIRED)},
    )


# ----------------------------------------------------------------------------------------------- attribution

# Models that read the journeys that did not convert: without them their numbers are biased, and Excel shows
# no warnings, so a missing nulls range is an error rather than a silently worse answer.
_NEEDS_NULLS = ("markov", "shapley", "shapley_monotone")


def _is_header(cell: Any) -> bool:
    """A column title above the numbers ("conversions", "转化"): text that does not read as a number."""
    if not isinstance(cell, str):
        return False
    try:
        coerce_number(cell)
    except XhsInputError:
        return True
    return False


def _path_text(cell: Any, row: int) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and math.isfinite(cell):
        # A one-touch path of a numeric channel id (Excel passes 7 as 7.0): the channel is named "7".
        return str(int(cell)) if float(cell).is_integer() else repr(float(cell))
    raise XhsInputError(f"paths in row {row} must be text such as \"kol_mid > search_ads\" (got {describe(cell)})")


def _counts(cells: list[Any], rows: list[int], name: str) -> np.ndarray:
    try:  # what Excel passes for numbers, floats, read and checked in one pass in C (see excel.ranges)
        return np.fromiter(map(float.conjugate, cells), dtype=float, count=len(cells))
    except TypeError:  # a blank, text, a bool, a whole number: cell by cell, each refusal at its row
        pass
    numbers = np.empty(len(cells))
    for index, (cell, row) in enumerate(zip(cells, rows)):
        try:
            numbers[index] = cell_number(cell, name)
        except XhsInputError as error:
            raise error.located(row) from None
    return numbers


def _path_table(paths: Any, conversions: Any, values: Any, nulls: Any, sep: Any) -> attribution.PathTable:
    """The path table in the ranges: rows blank in every range dropped, a title row skipped, rows named as
    the user counts them (1 = the range's first row) in every message."""
    from xhsxl.core import attribution
    columns, kept = range_columns({"paths": paths, "conversions": conversions, "values": values, "nulls": nulls},
                                   required=("paths", "conversions"), optional=("values", "nulls"))
    numeric_columns = [name for name in columns if name != "paths"]
    if kept and all(_is_header(columns[name][kept[0]]) for name in numeric_columns):
        kept = kept[1:]
    if not kept:
        raise XhsInputError("paths has no rows with a path (every row is blank)")
    rows = [index + 1 for index in kept]
    texts = [_path_text(columns["paths"][index], index + 1) for index in kept]
    counts = {name: _counts([columns[name][index] for index in kept], rows, name) for name in numeric_columns}
    try:
        return attribution.path_table(texts, counts["conversions"], counts.get("values"), counts.get("nulls"),
                                      sep=_separator(sep))
    except XhsInputError as error:
        raise at_rows(error, rows) from None


def _separator(sep: Any) -> str:
    from xhsxl.core import attribution
    text = single_cell(sep, "sep")
    if text is None or text == "":
        return attribution.DEFAULT_SEPARATOR
    if not isinstance(text, str):
        raise XhsInputError(f'sep must be text such as ">" or "->" (got {describe(text)})')
    return text.strip() or text  # " > " reads as ">"; a lone tab or space stays itself


def _markov_order(order: Any) -> int | str:
    from xhsxl.core import attribution
    value = single_cell(order, "order")
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    wrong = f'order must be a whole number from 1 to {attribution.MAX_ORDER} or "auto"'
    if _is_header(value):
        raise XhsInputError(f"{wrong} (got {describe(value)})")
    number = cell_integer(value, "order", 1)
    if not 1 <= number <= attribution.MAX_ORDER:
        raise XhsInputError(f"{wrong} (got {number})")
    return number


def _require_nulls(table: attribution.PathTable, model: str) -> None:
    from xhsxl.core.attribution.paths import MISSING_NON_CONVERSIONS_MESSAGE
    if not table.has_nulls and model in _NEEDS_NULLS:
        raise XhsInputError(f"{MISSING_NON_CONVERSIONS_MESSAGE} If every journey in your data converted, pass a "
                            "column of zeros as nulls.")


@xw.func(category="XHS")
@xw.arg("paths", ndim=2, doc='One journey per row, channels in order: "kol_mid > search_ads > tmall". Blank rows at the end are ignored.')
@xw.arg("conversions", ndim=2, doc="Conversions of each path (a column beside paths).")
@xw.arg("values", ndim=2, doc="Conversion value of each path, ¥; blank = no value column in the result.")
@xw.arg("nulls", ndim=2, doc="Journeys of each path that did not convert. Required by markov and shapley (use zeros if none).")
@xw.arg("model", doc="markov (default), first_touch, last_touch, last_non_direct, linear, position_based, shapley, shapley_monotone (no credit below 0), simplified_shapley.")
@xw.arg("order", doc='markov only: memory of the chain, 1 (default) to 4, or "auto" (chosen by BIC).')
@xw.arg("sep", doc='Separator between channels in paths; blank = ">".')
def XHS_ATTRIBUTION(paths, conversions, values=None, nulls=None, model=None, order=None, sep=None):
    """Table (channel, conversions, value, share): conversions and value credited to each channel by the model. Markov and Shapley are exact; channels sorted by name."""
    from xhsxl.core import attribution
    name = attribution.model_name(cell_text(model, "model", "markov"))
    if name == "time_decay":
        raise XhsInputError("model time_decay needs the days between each touch and the conversion, which a path "
                            "table does not carry; use XHS_ATTRIBUTION_TOUCHES on the touch log instead")
    chosen_order = _markov_order(order)
    table = _path_table(paths, conversions, values, nulls, sep)
    _require_nulls(table, name)
    return to_excel_table(attribution.attribute(table, name, order=chosen_order).table())


def _touch_log(users: Any, timestamps: Any, channels: Any, converted: Any,
               values: Any) -> tuple[dict[str, list[Any]], list[int]]:
    """The touch log in the ranges, as columns of the rows kept (blank rows and a title row dropped), with
    each kept row's number as the user counts it (1 = the ranges' first row)."""
    # a value is only read on converting rows; every other column must be filled
    columns, kept = range_columns(
        {"users": users, "timestamps": timestamps, "channels": channels, "converted": converted, "values": values},
        required=("users", "timestamps", "channels", "converted"), optional=("values",), may_be_blank=("values",))
    if kept and isinstance(columns["timestamps"][kept[0]], str) and not reads_as_flag(columns["converted"][kept[0]]):
        kept = kept[1:]  # a title row ("user", "time", "channel", "converted")
    if not kept:
        raise XhsInputError("the touch log has no rows (every row is blank)")
    rows = [index + 1 for index in kept]
    log = {name: [cells[index] for index in kept] for name, cells in columns.items()}
    if "values" in log and all(map(is_blank, log["values"])):
        del log["values"]  # blank under its title row: not given either
    flags = []
    for cell, row in zip(log["converted"], rows):
        try:
            flags.append(read_flag(cell, "converted", False))
        except XhsInputError as error:
            raise error.located(row) from None
    log["converted"] = flags
    return log, rows


@xw.func(category="XHS")
@xw.arg("users", ndim=2, doc="Who was touched, one touch per row: a user id (text or number). Blank rows are ignored.")
@xw.arg("timestamps", ndim=2, doc="When: a date and time, or a number of days (Excel dates are days).")
@xw.arg("channels", ndim=2, doc='The channel of each touch ("kol_mid", "search_ads" ...).')
@xw.arg("converted", ndim=2, doc="TRUE (or 1) where the user converted at this touch, which ends their journey; FALSE or 0 elsewhere.")
@xw.arg("values", ndim=2, doc="Conversion value of the converting rows, ¥ (other rows may be blank); blank = no value column in the result.")
@xw.arg("model", doc="markov (default), time_decay, first_touch, last_touch, last_non_direct, linear, position_based, shapley, shapley_monotone (no credit below 0), simplified_shapley.")
@xw.arg("lookback_days", doc="Touches more than this many days before their journey's end are left out; blank = 30 (GA4's default).")
@xw.arg("half_life_days", doc="time_decay only: a touch this many days earlier gets half the credit; blank = 7 (GA4's).")
@xw.arg("order", doc='markov only: memory of the chain, 1 (default) to 4, or "auto" (chosen by BIC).')
def XHS_ATTRIBUTION_TOUCHES(users, timestamps, channels, converted, values=None, model=None, lookback_days=None,
                            half_life_days=None, order=None):
    """Table (channel, conversions, value, share) from a touch log: each user's touches become journeys (split at each conversion, within the lookback), then the model credits them. Time decay needs this form."""
    from xhsxl.core import attribution
    name = attribution.model_name(cell_text(model, "model", "markov"))
    chosen_order = _markov_order(order)
    lookback = cell_number(lookback_days, "lookback_days", attribution.LOOKBACK_DAYS.value)
    half_life = cell_number(half_life_days, "half_life_days", attribution.TIME_DECAY_HALF_LIFE_DAYS.value)
    log, rows = _touch_log(users, timestamps, channels, converted, values)
    try:
        table = attribution.journeys_from_touchpoints(log["users"], log["timestamps"], log["channels"],
                                                      log["converted"], log.get("values"), lookback_days=lookback)
        result = attribution.attribute(table, name, order=chosen_order, half_life_days=half_life)
    except XhsInputError as error:
        raise at_rows(error, rows) from None
    return to_excel_table(result.table())


@xw.func(category="XHS")
@xw.arg("paths", ndim=2, doc='One journey per row, channels in order: "kol_mid > search_ads > tmall". Blank rows at the end are ignored.')
@xw.arg("conversions", ndim=2, doc="Conversions of each path (a column beside paths).")
@xw.arg("values", ndim=2, doc="Conversion value of each path, ¥; blank = no value column in the result.")
@xw.arg("nulls", ndim=2, doc="Journeys of each path that did not convert (required; use zeros if none).")
@xw.arg("order", doc='Memory of the Markov chain, 1 (default) to 4, or "auto" (chosen by BIC).')
@xw.arg("sep", doc='Separator between channels in paths; blank = ">".')
def XHS_REMOVAL_EFFECTS(paths, conversions, values=None, nulls=None, order=None, sep=None):
    """Table (channel, removal_effect, value_removal_effect): the share of conversions (of value) lost if the channel were removed, from the exact Markov chain."""
    from xhsxl.core import attribution
    chosen_order = _markov_order(order)
    table = _path_table(paths, conversions, values, nulls, sep)
    _require_nulls(table, "markov")
    return to_excel_table(attribution.markov(table, chosen_order).removal_effects_table())


# ----------------------------------------------------------------------------------------------- allocation


@xw.func(category="XHS")
@xw.arg("followers", ndim=2, doc="Follower count of each creator (a cell or a range).")
@xw.arg("bounds", ndim=2, doc="Lower follower bounds of micro, mid and top tiers; blank = 10,000, 50,000, 200,000.")
def XHS_TIER(followers, bounds=None):
    """Creator tier from followers: nano (<10k), micro (10k-50k), mid (50k-200k) or top (200k+), per article 000's bounds."""
    from xhsxl.core import allocation
    tiers = None
    if bounds is not None:
        lower = number_list(bounds, "bounds", 3)
        tiers = {"nano": 0.0, "micro": lower[0], "mid": lower[1], "top": lower[2]}
    return elementwise(lambda followers: allocation.classify_tier(followers, tiers),
                       {"followers": (followers, REQUIRED)})


class _LineShares(TypedDict, total=False):
    """The line-share arguments of ``allocate_budget``, all four or none (blank: its defaults)."""

    reserve_share: float
    content_share: float
    paid_ads_share: float
    tech_share: float


def _line_shares(value: Any) -> _LineShares:
    shares = number_list(value, "line_shares", 4, default=None)
    if shares is None:
        return {}
    reserve, content, paid_ads, tech = map(float, shares)
    return {"reserve_share": reserve, "content_share": content, "paid_ads_share": paid_ads, "tech_share": tech}


def _tier_shares(value: Any) -> dict[str, float] | None:
    shares = number_list(value, "tier_shares", default=None)
    if shares is None:
        return None
    if shares.size not in (3, 4):
        raise XhsInputError(f"tier_shares must have 3 cells (top, mid, micro) or 4 (plus nano) (got {shares.size})")
    return dict(zip(("top", "mid", "micro", "nano"), map(float, shares)))


@xw.func(category="XHS")
@xw.arg("budget", doc="Total campaign budget, ¥.")
@xw.arg("stage", doc='Brand stage to add the spillover / closed-loop split: "cold_start" (冷启动), "growth" (成长期), "maturity" (成熟期); blank = no split.')
@xw.arg("line_shares", ndim=2, doc="Shares of reserve, content, paid ads, tech & analytics (4 cells); blank = 15 %, 25 %, 16 %, 5 %.")
@xw.arg("tier_shares", ndim=2, doc="Creator budget shares of top, mid, micro (and nano); blank = 27.5 %, 45 %, 27.5 %.")
def XHS_TIER_ALLOCATION(budget, stage=None, line_shares=None, tier_shares=None):
    """Table: the budget split into reserve, content, paid ads, tech and creator tiers, each with its recommended range, an out-of-range flag and creators it buys."""
    from xhsxl.core import allocation
    total = cell_number(budget, "budget")
    plan = allocation.allocate_budget(total, **_line_shares(line_shares), tier_shares=_tier_shares(tier_shares))
    rows = plan.table()
    key = cell_text(stage, "stage", None)
    if key is not None:
        split = allocation.stage_split(total, key)
        width = len(rows[0])
        for line, share, amount in (("spillover", split.spillover_share, split.spillover_amount),
                                    ("closed_loop", split.closed_loop_share, split.closed_loop_amount)):
            row: list[Any] = [None] * width
            row[:5] = [line, f"stage: {split.stage}", share, None, amount]
            rows.append(row)
    return to_excel_table(rows)


@xw.func(category="XHS")
@xw.arg("budget", doc="Budget to split, ¥.")
@xw.arg("stage", doc='"cold_start" (冷启动, 70/30), "growth" (成长期, 50/50) or "maturity" (成熟期, 40/60).')
def XHS_STAGE_SPLIT(budget, stage):
    """Table: spillover (站外, to Tmall/JD) vs closed-loop (站内) budget for the brand stage, per article 003."""
    from xhsxl.core import allocation
    return to_excel_table(allocation.stage_split(cell_number(budget, "budget"), cell_text(stage, "stage")).table())


@xw.func(category="XHS")
@xw.arg("spend", ndim=2, doc="Spend, ¥ (a cell or a range).")
@xw.arg("param1", ndim=2, doc="power: scale (return at ¥1); hill: maximum return.")
@xw.arg("param2", ndim=2, doc="power: elasticity, 0-1 (0.686 from article 003); hill: half-saturation spend, ¥.")
@xw.arg("curve", doc='"power" (default) or "hill".')
@xw.arg("shape", doc="hill only: shape, 0-1; blank = 1.")
def XHS_RESPONSE(spend, param1, param2, curve=None, shape=None):
    """Expected return at a spend under a diminishing-returns curve: power scale x spend^e, or hill max x s^k / (s^k + h^k)."""
    kind = cell_text(curve, "curve", "power")
    k = cell_number(shape, "shape", 1.0)
    return elementwise(lambda spend, param1, param2: response.response(spend, kind, param1, param2, k),
                       {"spend": (spend, REQUIRED), "param1": (param1, REQUIRED), "param2": (param2, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("spend", ndim=2, doc="Spend, ¥ (a cell or a range).")
@xw.arg("param1", ndim=2, doc="power: scale; hill: maximum return.")
@xw.arg("param2", ndim=2, doc="power: elasticity; hill: half-saturation spend, ¥.")
@xw.arg("curve", doc='"power" (default) or "hill".')
@xw.arg("shape", doc="hill only: shape, 0-1; blank = 1.")
def XHS_MARGINAL_RETURN(spend, param1, param2, curve=None, shape=None):
    """Marginal return of the next ¥1 at a spend under the curve (the slope); below 1 the next yuan loses money."""
    kind = cell_text(curve, "curve", "power")
    k = cell_number(shape, "shape", 1.0)
    return elementwise(lambda spend, param1, param2: response.marginal_response(spend, kind, param1, param2, k),
                       {"spend": (spend, REQUIRED), "param1": (param1, REQUIRED), "param2": (param2, REQUIRED)})


@xw.func(category="XHS")
@xw.arg("spend", ndim=2, doc="Spend at which the return is known, ¥ (a cell or a range).")
@xw.arg("return_at_spend", ndim=2, doc="Return observed or expected at that spend, ¥.")
@xw.arg("elasticity", ndim=2, doc="Elasticity of the power curve, 0-1 (0.686 from article 003).")
def XHS_CURVE_SCALE(spend, return_at_spend, elasticity):
    """Scale of the power curve scale x spend^elasticity that passes through a known (spend, return) point; use it as param1 of XHS_RESPONSE."""
    return elementwise(response.power_scale_from_point, {
        "spend": (spend, REQUIRED), "response_at_spend": (return_at_spend, REQUIRED),
        "elasticity": (elasticity, REQUIRED),
    })


@xw.func(category="XHS")
@xw.arg("budget_before", doc="Budget before, ¥; blank = 200,000 (article 003).")
@xw.arg("budget_after", doc="Budget after, ¥; blank = 500,000.")
@xw.arg("cpm_change", doc="Relative change in CPM, e.g. 40 %; blank = 40 %.")
@xw.arg("cvr_change", doc="Relative change in conversion rate, e.g. 5 %; blank = 5 %.")
def XHS_ELASTICITY(budget_before=None, budget_after=None, cpm_change=None, cvr_change=None):
    """Elasticity of conversions to budget implied by a budget change: ln(B1/B0 / (1 + dCPM) x (1 + dCVR)) / ln(B1/B0); article 003 gives 0.686."""
    figure = figures.DIMINISHING_RETURNS
    return float(response.implied_elasticity(
        cell_number(budget_before, "budget_before", figure["budget_before"].value),
        cell_number(budget_after, "budget_after", figure["budget_after"].value),
        cell_number(cpm_change, "cpm_change", figure["cpm_change"].value),
        cell_number(cvr_change, "cvr_change", figure["cvr_change"].value),
    ))


def _curves(table: Any) -> tuple[list[Any], dict[str, float], dict[str, float]]:
    """Tier curves from a range: tier, curve, param1, param2, [shape], [min share], [max share]; a header row is skipped."""
    from xhsxl.core import allocation
    if not isinstance(table, (list, tuple)) or not table or not all(isinstance(r, (list, tuple)) for r in table):
        raise XhsInputError("curves must be a range with one row per tier: tier, curve, param1, param2, "
                            "[shape], [min share], [max share]")
    rows = [list(r) for r in table if any(c is not None and str(c).strip() != "" for c in r)]
    if rows and rows[0][2:3] and isinstance(rows[0][2], str) and not rows[0][2].strip()[:1].isdigit():
        rows = rows[1:]
    if not rows:
        raise XhsInputError("curves has no tier rows")
    curves, lows, highs = [], {}, {}
    for index, row in enumerate(rows, start=1):
        if len(row) < 4:
            raise XhsInputError(f"curves row {index} must have at least 4 cells: tier, curve, param1, param2")
        tier = cell_text(row[0], f"curves row {index} tier")
        curves.append(allocation.TierCurve(
            tier, cell_text(row[1], f"curves row {index} curve", "power").lower(),
            cell_number(row[2], f"curves row {index} param1"), cell_number(row[3], f"curves row {index} param2"),
            cell_number(row[4] if len(row) > 4 else None, f"curves row {index} shape", 1.0),
        ))
        low = cell_number(row[5] if len(row) > 5 else None, f"curves row {index} min share", None)
        high = cell_number(row[6] if len(row) > 6 else None, f"curves row {index} max share", None)
        if low is not None:
            lows[tier] = low
        if high is not None:
            highs[tier] = high
    return curves, lows, highs


@xw.func(category="XHS")
@xw.arg("budget", doc="Creator budget to allocate across tiers, ¥.")
@xw.arg("curves", ndim=2, doc="One row per tier: tier, curve (power/hill), param1, param2, [shape], [min share], [max share]; blank shares = article ranges.")
def XHS_OPTIMAL_ALLOCATION(budget, curves):
    """Table: the split of a budget across tiers that maximises expected return under concave curves and share bounds, with each tier's marginal ROI."""
    from xhsxl.core import allocation
    tier_curves, lows, highs = _curves(curves)
    plan = allocation.optimal_allocation(cell_number(budget, "budget"), tier_curves, lows or None, highs or None)
    return to_excel_table(plan.table())


# --- planner
# Forecast before the campaign, steer the reserve during it (xhsxl.core.planner). The table functions return
# fixed shapes so the template can hold them as array formulas:
#   XHS_FORECAST        17 rows x 6 columns (header + the 16 metrics of planner.BAND_ROWS)
#   XHS_FORECAST_LINES  10 rows x 14 columns (header + the 8 budget lines + total)
#   XHS_CALIBRATE       10 rows x 8 columns (header + 9 benchmarks)
#   XHS_RECOMMEND       13 rows x 1 column (header + 12 findings, padded with "")
#   XHS_REALLOCATE      (2 + number of distinct lines in the checkpoints range) rows x 15 columns


_LINES_DOC = ("Total budget, ¥ (split by the article's plan), or a range of budget lines: line (top, mid, micro, nano, "
              "paid_ads, content_production, tech_analytics, reserve), amount, [cpm_index], [cvr_index]; or "
              "XHS_TIER_ALLOCATION's table.")
_STAGE_DOC = 'Brand stage: "cold_start" (冷启动), "growth" (成长期), "maturity" (成熟期). Recorded only: off-platform sales come from spillover.'
_SPILLOVER_DOC = ('Off-platform share of sales: measured (e.g. 56 %) or low, base, high; "case_study_2" (56 %, 42-70 %) '
                  'or "users" (0-70 %); blank = direct sales only.')
_LEVEL_DOC = "Level of the prediction interval, 0-100 %; blank = 80 %."
_BENCHMARKS_DOC = "Benchmark table (header benchmark, low, base, high), e.g. XHS_CALIBRATE's result; blank = case-study defaults."


def _forecast(lines, stage, benchmarks, gross_margin=None, commission_rate=None, refund_rate=None, spillover=None,
              level=None):
    """The forecast behind the planner functions. A sheet usually asks for the same plan several times in one
    recalculation (the band, the per-line table, the ROI, the findings in two languages), so the last
    forecasts are kept, keyed on the arguments' values and types; a forecast is immutable."""
    arguments = (without_blank_tail(lines), stage, without_blank_tail(benchmarks), gross_margin, commission_rate,
                 refund_rate, spillover, level)
    # Only small tables are kept (a plan has tens of rows), so the cache stays within a few megabytes.
    key = _cache_key(arguments) if _fits_cache(arguments) else None
    if key is None:
        return _forecast_now(*arguments)
    return _forecast_kept(key)


#: Forecasts kept at once.
_CACHED_FORECASTS = 16
#: Most cells of the arguments of a kept forecast.
_CACHED_CELLS = 10_000
#: Most bytes the arguments of a kept forecast take in memory (cells of long text count for what they hold):
#: the kept keys then stay within _CACHED_FORECASTS × 256 KiB = 4 MiB, whatever text the cells hold.
_CACHED_BYTES = 256 * 1024


def _fits_cache(arguments: tuple[Any, ...]) -> bool:
    """Whether the arguments are small enough to keep: at most :data:`_CACHED_CELLS` cells and
    :data:`_CACHED_BYTES` bytes, counted cell by cell and abandoned as soon as either is passed."""
    cells = 0
    size = 0
    pending: list[Any] = list(arguments)
    while pending:
        value = pending.pop()
        if isinstance(value, (list, tuple)):
            pending.extend(value)
            size += 8 * len(value)  # the list's slots
            continue
        cells += 1
        size += sys.getsizeof(value)
        if cells > _CACHED_CELLS or size > _CACHED_BYTES:
            return False
    return True


def _cache_key(value: Any) -> Any:
    """An argument as a hashable key that tells 1, 1.0 and TRUE apart; None when it cannot be one."""
    if isinstance(value, (list, tuple)):
        parts = tuple(_cache_key(item) for item in value)
        return None if None in parts else ("[", parts)
    if value is None or isinstance(value, (bool, int, float, str)):
        return (type(value).__name__, value)
    return None


def _from_cache_key(key: Any) -> Any:
    kind, value = key
    return [_from_cache_key(item) for item in value] if kind == "[" else value


@functools.lru_cache(maxsize=_CACHED_FORECASTS)
def _forecast_kept(key: Any) -> planner.Forecast:
    return _forecast_now(*_from_cache_key(key))


def _forecast_now(lines, stage, benchmarks, gross_margin=None, commission_rate=None, refund_rate=None, spillover=None,
                  level=None):
    from xhsxl import planner_tables
    from xhsxl.core import planner
    budget = planner_tables.read_budget_lines(lines)
    return planner.forecast(
        budget.lines, cell_text(stage, "stage", None), planner_tables.read_benchmarks(benchmarks),
        gross_margin=cell_number(gross_margin, "gross_margin", planner.DEFAULT_GROSS_MARGIN),
        refund_rate=cell_number(refund_rate, "refund_rate", 0.0),
        commission_rate=cell_number(commission_rate, "commission_rate", figures.PLATFORM_COMMISSION.low),
        cpm_index=budget.cpm_index or None, cvr_index=budget.cvr_index or None,
        spillover=_spillover_cell(spillover), level=cell_number(level, "level", planner.DEFAULT_LEVEL),
    )


@xw.func(category="XHS")
@xw.arg("lines", ndim=2, doc=_LINES_DOC)
@xw.arg("stage", doc=_STAGE_DOC)
@xw.arg("benchmarks", ndim=2, doc=_BENCHMARKS_DOC)
@xw.arg("gross_margin", doc="Gross margin on sales, 0-100 %; blank = 50 %.")
@xw.arg("commission_rate", doc="Xiaohongshu commission on its own sales, 0-100 %; blank = 10 %.")
@xw.arg("refund_rate", doc="Share of sales refunded, 0-100 %; blank = 0.")
@xw.arg("spillover", ndim=2, doc=_SPILLOVER_DOC)
@xw.arg("level", doc=_LEVEL_DOC)
def XHS_FORECAST(lines, stage=None, benchmarks=None, gross_margin=None, commission_rate=None, refund_rate=None,
                 spillover=None, level=None):
    """Table (17 rows x 6 columns with header): the campaign funnel from spend to impressions, visits, conversions, revenue, ROI and profit: base and an 80 % prediction interval."""
    return to_excel_table(_forecast(lines, stage, benchmarks, gross_margin, commission_rate, refund_rate, spillover,
                                    level).table())


@xw.func(category="XHS")
@xw.arg("lines", ndim=2, doc=_LINES_DOC)
@xw.arg("stage", doc=_STAGE_DOC)
@xw.arg("scenario", doc='"low", "base" (default) or "high".')
@xw.arg("basis", doc='"net" (default): (revenue - cost) / cost; "ratio": revenue / cost; "profit": profit ROI.')
@xw.arg("benchmarks", ndim=2, doc=_BENCHMARKS_DOC)
@xw.arg("gross_margin", doc="Gross margin on sales, 0-100 %; blank = 50 % (profit basis only).")
@xw.arg("commission_rate", doc="Xiaohongshu commission on its own sales, 0-100 %; blank = 10 %.")
@xw.arg("refund_rate", doc="Share of sales refunded, 0-100 %; blank = 0.")
@xw.arg("spillover", ndim=2, doc=_SPILLOVER_DOC)
@xw.arg("level", doc=_LEVEL_DOC)
def XHS_FORECAST_ROI(lines, stage=None, scenario=None, basis=None, benchmarks=None, gross_margin=None,
                     commission_rate=None, refund_rate=None, spillover=None, level=None):
    """Projected ROI of a budget plan: base, or the low or high end of its prediction interval; net, ratio (ROI 1:x) or profit. Format as %."""
    result = _forecast(lines, stage, benchmarks, gross_margin, commission_rate, refund_rate, spillover, level)
    value = result.roi(cell_text(scenario, "scenario", "base"), cell_text(basis, "basis", "net"))
    if not np.isfinite(value):
        raise XhsInputError("the projected ROI is too large to represent; check the units of lines (¥ amounts)")
    return float(value)


@xw.func(category="XHS")
@xw.arg("lines", ndim=2, doc=_LINES_DOC)
@xw.arg("stage", doc=_STAGE_DOC)
@xw.arg("scenario", doc='"low", "base" (default) or "high".')
@xw.arg("benchmarks", ndim=2, doc=_BENCHMARKS_DOC)
@xw.arg("spillover", ndim=2, doc=_SPILLOVER_DOC)
@xw.arg("level", doc=_LEVEL_DOC)
def XHS_FORECAST_LINES(lines, stage=None, scenario=None, benchmarks=None, spillover=None, level=None):
    """Table (10 rows x 14 columns with header): each budget line's funnel, revenue, ROAS and the return of its next ¥, then the total."""
    result = _forecast(lines, stage, benchmarks, spillover=spillover, level=level)
    return to_excel_table(result.lines_table(cell_text(scenario, "scenario", "base")))


@xw.func(category="XHS")
@xw.arg("history", ndim=2, doc="Past campaigns with a header row: spend, impressions, engagements, conversions, revenue, [visits]; at least 3 rows.")
@xw.arg("reference_spend", doc="Spend at which CPM and CVR are quoted, ¥; blank = 200,000.")
@xw.arg("fit_curvature", doc="TRUE (default): fit how CPM and CVR change with spend; FALSE: keep article 003's (2 rows suffice).")
def XHS_CALIBRATE(history, reference_spend=None, fit_curvature=None):
    """Table (10 rows x 8 columns with header): CPM, engagement rate, CTR, CVR, AOV and curvature fitted to past campaigns, with standard errors. Feed it to XHS_FORECAST."""
    from xhsxl import planner_tables
    from xhsxl.core import planner
    table = planner_tables.read_history(history)
    fit = read_flag(fit_curvature, "fit_curvature", True)
    calibration = planner.calibrate(
        table.spend, table.impressions, table.engagements, table.conversions, table.revenue, table.visits,
        reference_spend=cell_number(reference_spend, "reference_spend", planner.DEFAULT_REFERENCE_SPEND),
        fit_curvature=fit,
    )
    return to_excel_table(calibration.table())


@xw.func(category="XHS")
@xw.arg("lines", ndim=2, doc=_LINES_DOC)
@xw.arg("stage", doc=_STAGE_DOC)
@xw.arg("language", doc='"en" (default), "zh" (中文) or "both".')
@xw.arg("benchmarks", ndim=2, doc=_BENCHMARKS_DOC)
@xw.arg("gross_margin", doc="Gross margin on sales, 0-100 %; blank = 50 %.")
@xw.arg("commission_rate", doc="Xiaohongshu commission on its own sales, 0-100 %; blank = 10 %.")
@xw.arg("refund_rate", doc="Share of sales refunded, 0-100 %; blank = 0.")
@xw.arg("spillover", ndim=2, doc=_SPILLOVER_DOC)
@xw.arg("level", doc=_LEVEL_DOC)
def XHS_RECOMMEND(lines, stage=None, language=None, benchmarks=None, gross_margin=None, commission_rate=None,
                  refund_rate=None, spillover=None, level=None):
    """Column (13 rows with header): findings on a budget plan, most severe first, each with its numbers: shares out of range, loss, flattened or lagging lines."""
    from xhsxl.core import planner
    result = _forecast(lines, stage, benchmarks, gross_margin, commission_rate, refund_rate, spillover, level)
    return planner.findings_column(planner.recommend(result), planner.RECOMMENDATION_ROWS,
                                   cell_text(language, "language", "en"))


@xw.func(category="XHS")
@xw.arg("checkpoints", ndim=2, doc="Results so far with a header row: line, hours (24, 72, 168), spend, revenue (or conversions, engagements), [planned].")
@xw.arg("reserve", doc="Reserve to reallocate, ¥.")
@xw.arg("caps", ndim=2, doc="Most extra ¥ per line: a range of line, cap; blank = no cap.")
@xw.arg("metric", doc='Result column to maximise: "revenue" (default if present), "conversions" or "engagements".')
@xw.arg("elasticity", doc="Curve elasticity for lines with one checkpoint, 0-1; blank = 0.686 (article 003).")
@xw.arg("rows", doc="Optional: the data rows of the range the table fills; blank rows go between the lines and the "
                    "total, which stays last, and more lines than the range holds are refused, not cut.")
def XHS_REALLOCATE(checkpoints, reserve, caps=None, metric=None, elasticity=None, rows=None):
    """Table (header, one row per line, total): the reserve split to equalise the lines' marginal returns under curves fitted to checkpoints; sums exactly to the reserve."""
    from xhsxl import planner_tables
    from xhsxl.core import planner
    table = planner_tables.read_checkpoints(checkpoints, cell_text(metric, "metric", None))
    result = planner.reallocate(
        table.line, table.spend, table.result, cell_number(reserve, "reserve"), hours=table.hours,
        caps=planner_tables.read_amounts(caps, "caps"), planned=table.planned or None,
        elasticity=cell_number(elasticity, "elasticity", figures.DEFAULT_ELASTICITY.value), metric=table.metric,
        lines_order=table.lines_order,
    )
    return to_excel_table(_padded(result.table(), rows, "resize the table (select more rows, F2, Ctrl+Shift+Enter) "
                                                    "and make its rows argument the data rows it then has",
                                  before_last=True))


# ------------------------------------------------------------------------------------- forecast evidence


def _spillover_cell(value: Any) -> Any:
    """A spillover argument as the core takes it: None (blank), a number, a prior's name, or a low-base-high range."""
    cells = [cell for row in value for cell in (row if isinstance(row, list) else [row])] \
        if isinstance(value, list) else [value]
    cells = [cell for cell in cells if not (cell is None or (isinstance(cell, str) and not cell.strip()))]
    if not cells:
        return None
    if len(cells) == 1:
        cell = cells[0]
        return cell.strip() if isinstance(cell, str) and _number_or_none(cell) is None else \
            cell_number(cell, "spillover")
    if len(cells) == 3:
        return tuple(cell_number(cell, "spillover") for cell in cells)
    raise XhsInputError(f"spillover must be one cell or three (low, base, high), got {len(cells)}")


def _number_or_none(text: str) -> float | None:
    """The number a text cell holds ("56 %", "0.56"), or None when it is a word."""
    try:
        return coerce_number(text, "value")
    except XhsInputError:
        return None


@xw.func(category="XHS")
@xw.arg("spillover", ndim=2, doc=_SPILLOVER_DOC)
def XHS_SPILLOVER(spillover=None):
    """Table (2 rows x 5 columns with header): the off-platform share of sales a forecast assumes, low, base, high, how its range is read, and its source."""
    from xhsxl.core import planner
    share = planner.spillover_share(_spillover_cell(spillover))
    read_as = "point (measured or none)" if share.low == share.high else "80 % range"
    return to_excel_table([["low", "base", "high", "read_as", "source"],
                           [share.low, share.base, share.high, read_as, share.source]])


@xw.func(category="XHS")
@xw.arg("history", ndim=2, doc="Past campaigns with a header row: [campaign], spend, impressions, engagements, conversions, revenue, [visits]; at least 4 rows.")
@xw.arg("level", doc=_LEVEL_DOC)
@xw.arg("fit_curvature", doc="TRUE (default): fit how CPM and CVR change with spend in each fold; FALSE: keep article 003's (3 rows suffice).")
def XHS_BACKTEST(history, level=None, fit_curvature=None):
    """Table (header, one row per past campaign, 3 summary rows x 15 columns): each campaign forecast from the others; revenue, conversion and ROI errors, MAPE, bias and interval coverage."""
    from xhsxl import planner_tables
    from xhsxl.core import planner
    table = planner_tables.read_history(history)
    result = planner.backtest(
        table.spend, table.impressions, table.engagements, table.conversions, table.revenue, table.visits,
        campaigns=table.campaigns, level=cell_number(level, "level", planner.DEFAULT_LEVEL),
        fit_curvature=read_flag(fit_curvature, "fit_curvature", True),
    )
    return to_excel_table(result.table())


# ------------------------------------------------------------------------------------- platform exports


@xw.func(category="XHS")
@xw.arg("export", ndim=2, doc="A Juguang (聚光) or Pugongying (蒲公英) export pasted as it is, header row included.")
@xw.arg("export2", ndim=2, doc="Optional: the other platform's export of the same campaign (shared notes counted once).")
@xw.arg("window", doc="Days of off-platform GMV (行业商品GMV) counted as cross-platform sales: 7 (default), 15 or 30.")
def XHS_PLATFORM_MAP(export, export2=None, window=None):
    """Table (header + 13 rows x 4 columns): each campaign input a pasted platform export fills — field, label, value and the columns it was summed from."""
    from xhsxl.excel.errors import InputFileError
    from xhsxl.platforms import mapping

    exports = _pasted_exports(export, export2)
    days = _platform_window(window)
    try:
        return to_excel_table(mapping.mapping_table(exports, days))
    except InputFileError as error:  # one error type in a cell, whatever the reader refused
        raise XhsInputError(str(error)) from None


def _platform_window(window: Any) -> int:
    """The days of off-platform GMV a platform function counts: the cell's, one of the exports' windows."""
    from xhsxl.platforms import mapping

    return mapping.read_window(window)


def _pasted_exports(export: Any, export2: Any) -> list[Any]:
    """The pasted export ranges read (the second only when it holds something), or the library's one error."""
    from xhsxl.excel.errors import InputFileError
    from xhsxl.platforms import read

    try:
        return read.pasted_exports(export, export2)
    except InputFileError as error:
        raise XhsInputError(str(error)) from None


_ROWS_DOC = ("Optional: the data rows of the range the table fills; the rows beyond the export's are left blank "
             "(not #N/A), so the range can be passed on, and an export with more rows is refused, not cut.")


_SHEET_ROWS = 1_048_576
_PASTE_FEWER = "paste fewer plans or days, or use xhsxl import --history / --checkpoints, which has no limit"


def _padded(table: list[list[Any]], rows: Any, advice: str, before_last: bool = False) -> list[list[Any]]:
    """``table`` (a header, then data rows) with blank rows up to ``rows`` data rows, when ``rows`` is given: at
    the end, or ``before_last`` (a total row stays the range's last)."""
    room = cell_integer(rows, "rows", None)
    if room is None:
        return table
    if not 1 <= room <= _SHEET_ROWS:
        raise XhsInputError(argument="rows", reason=f"must be 1 to {_SHEET_ROWS:,} (a sheet's rows)", value=rows)
    if len(table) - 1 > room:
        raise XhsInputError(f"the table has {len(table) - 1} rows and its range room for {room}; {advice}")
    blank = [[None] * len(table[0]) for _ in range(room - (len(table) - 1))]
    return table[:-1] + blank + table[-1:] if before_last else table + blank


@xw.func(category="XHS")
@xw.arg("export", ndim=2, doc="A Juguang (聚光) export pasted as it is, by plan (计划名称) or by day (日期).")
@xw.arg("export2", ndim=2, doc="Optional: the Pugongying (蒲公英) export of the same campaign.")
@xw.arg("by", doc='"campaign" (one row per 计划名称; default when every export has plans), "month" or "account".')
@xw.arg("window", doc="Days of off-platform GMV counted as revenue: 7 (default), 15 or 30.")
@xw.arg("rows", doc=_ROWS_DOC)
def XHS_PLATFORM_HISTORY(export, export2=None, by=None, window=None, rows=None):
    """Table (header + one row per campaign or month x 7 columns): the planner's history from pasted exports — campaign, spend, impressions, engagements, conversions, revenue, visits."""
    from xhsxl.excel.errors import InputFileError
    from xhsxl.platforms import mapping, tables

    exports = _pasted_exports(export, export2)
    # By plan when every export names plans (Pugongying's never do: beside it, one row per client).
    has_plans = all(set(mapping.CAMPAIGN_COLUMNS) & set(e.label_columns.values()) for e in exports)
    level = cell_text(by, "by", "campaign" if has_plans else "account")
    if level not in mapping.LEVEL_CHOICES:
        raise XhsInputError(argument="by", reason='must be "campaign", "month" or "account"', value=by)
    days = _platform_window(window)
    try:
        return to_excel_table(_padded(tables.history_table(exports, days, level), rows, _PASTE_FEWER))
    except InputFileError as error:
        raise XhsInputError(str(error)) from None


@xw.func(category="XHS")
@xw.arg("export", ndim=2, doc="A Juguang (聚光) export pasted as it is, by day (日期) or by hour (日期 and 小时).")
@xw.arg("window", doc="Days of off-platform GMV counted as revenue: 7 (default), 15 or 30.")
@xw.arg("rows", doc=_ROWS_DOC)
def XHS_PLATFORM_CHECKPOINTS(export, window=None, rows=None):
    """Table (header + 3 rows per line x 6 columns): each plan's cumulative spend, revenue, conversions and engagements at 24 h, 72 h and 7 days; blank where the data does not reach yet."""
    from xhsxl.excel.errors import InputFileError
    from xhsxl.platforms import tables

    exports = _pasted_exports(export, None)
    days = _platform_window(window)
    try:
        return to_excel_table(_padded(tables.checkpoint_table(exports, days), rows, _PASTE_FEWER))
    except InputFileError as error:
        raise XhsInputError(str(error)) from None

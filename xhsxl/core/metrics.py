"""The ROI family and the campaign KPIs an agency reports on a Xiaohongshu campaign.

Every function takes numbers or arrays and broadcasts; a ratio whose denominator is zero is undefined and
raises :class:`~xhsxl.core.errors.XhsInputError` rather than returning ``inf`` or ``nan``, because a blank
or infinite KPI in a client report is worse than a message saying what is missing.

Articles are cited by their number, 000 to 004 (listed in :mod:`xhsxl.core.figures`).
"""

from __future__ import annotations

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import ArrayLike, Number, fraction, kept_per_yuan, numeric, scalar_or_array

__all__ = [
    "ROI_BASES",
    "roi",
    "roas",
    "profit_roi",
    "breakeven_roas",
    "breakeven_revenue",
    "incremental_revenue",
    "engagements",
    "cpm",
    "cpc",
    "cpa",
    "cpe",
    "ctr",
    "cvr",
    "aov",
    "engagement_rate",
    "save_rate",
    "follower_growth_rate",
]

#: Accepted spellings of the ROI basis: ``net`` is (R − C) / C as in the articles, ``ratio`` is R / C,
#: the "ROI 1:3" of Chinese ad platforms.
ROI_BASES = {"net": "net", "ratio": "ratio", "roas": "ratio", "gmv": "ratio", "1:x": "ratio"}


def _basis(basis: str) -> str:
    key = str(basis).strip().lower() if basis is not None else "net"
    if key == "":
        key = "net"
    if key not in ROI_BASES:
        raise XhsInputError(f"basis must be 'net' or 'ratio' (got {basis!r})")
    return ROI_BASES[key]


def roi(revenue: ArrayLike, cost: ArrayLike, basis: str = "net") -> Number:
    """Return on investment of a campaign.

    Parameters
    ----------
    revenue : array_like
        Revenue attributed to the campaign, ¥ (≥ 0).
    cost : array_like
        Total campaign cost, ¥ (> 0).
    basis : {'net', 'ratio'}
        ``'net'`` (default): profit over cost, the articles' ROI. ``'ratio'``: revenue over cost, the
        Chinese platforms' "ROI 1:x" (GMV / spend, also called ROAS).

    Returns
    -------
    float or ndarray
        A fraction: 2.733 means 273.3 %. Format the cell as a percentage.

    Notes
    -----
    net: ``(revenue − cost) / cost``; ratio: ``revenue / cost``. Hence ratio = net + 1.

    References
    ----------
    000: "ROI = (Revenue Generated from Campaign – Campaign Costs) / Campaign Costs × 100%".
    003: "has increased its closed-loop ROI to 1:3" (the ratio convention).

    Examples
    --------
    Case study 1 of article 000: ¥450,000 → ¥1.68M is ROI 273 %.

    >>> round(roi(1_680_000, 450_000), 4)
    2.7333
    >>> round(roi(4_920_000, 680_000), 4)
    6.2353
    >>> roi(1_200_000, 400_000, "ratio")
    3.0
    """
    kind = _basis(basis)
    revenue = numeric(revenue, "revenue", ge=0)
    cost = numeric(cost, "cost", gt=0)
    with np.errstate(over="ignore"):  # an overflow is refused by scalar_or_array with a message
        ratio = revenue / cost
    return scalar_or_array(ratio - 1 if kind == "net" else ratio)


def roas(revenue: ArrayLike, cost: ArrayLike) -> Number:
    """Return on ad spend: GMV over spend, the ratio every Juguang (聚光) "ROI" field reports.

    Notes
    -----
    ``revenue / cost``. Juguang counts 7-day order GMV including refunded orders, so compare it with
    :func:`breakeven_roas`, not with 1.

    Examples
    --------
    >>> roas(1_680_000, 450_000)
    3.7333333333333334
    """
    return roi(revenue, cost, "ratio")


def _kept_per_yuan(
    gross_margin: ArrayLike, refund_rate: ArrayLike, commission_rate: ArrayLike, commissioned_share: ArrayLike
) -> np.ndarray:
    """Profit kept per ¥ of GMV: (1 − refund) × margin − commission × share of GMV charged commission."""
    margin = fraction(gross_margin, "gross_margin")
    refunds = fraction(refund_rate, "refund_rate")
    commission = fraction(commission_rate, "commission_rate")
    share = numeric(commissioned_share, "commissioned_share", ge=0)
    return kept_per_yuan(margin, refunds, commission, share)


def profit_roi(
    revenue: ArrayLike,
    cost: ArrayLike,
    gross_margin: ArrayLike,
    refund_rate: ArrayLike = 0.0,
    commission_rate: ArrayLike = 0.0,
    commissioned_revenue: ArrayLike = None,
) -> Number:
    """ROI on profit rather than revenue: what a CFO asks.

    Parameters
    ----------
    revenue : array_like
        Revenue (GMV) attributed to the campaign, ¥ (≥ 0).
    cost : array_like
        Campaign cost, ¥ (> 0).
    gross_margin : array_like
        Gross margin on sales, fraction in [0, 1] (60 % is 0.6).
    refund_rate : array_like, optional
        Share of GMV refunded, fraction in [0, 1]. Juguang GMV includes refunded orders.
    commission_rate : array_like, optional
        Platform commission, fraction in [0, 1] (Xiaohongshu: 5 % at first, 10-15 % since [002]).
    commissioned_revenue : array_like, optional
        The part of revenue the commission is charged on, ¥ (≥ 0); default all of it. A campaign's
        Xiaohongshu sales pay Xiaohongshu's commission, its Tmall sales do not.

    Returns
    -------
    float or ndarray
        Net profit ROI as a fraction; negative when the campaign loses money.

    Notes
    -----
    ``(revenue × (1 − refund_rate) × gross_margin − commissioned_revenue × commission_rate − cost) / cost``.

    References
    ----------
    002: "At first, the fee was charged in the amount of 5% of sales revenue. In 2019, this figure varies
    on average from 10 to 15%." The profit basis itself (margin, refunds, commission) goes beyond the
    articles: it is what a finance team asks of a campaign.

    Examples
    --------
    >>> round(profit_roi(1_680_000, 450_000, 0.6), 4)
    1.24
    >>> round(profit_roi(1_680_000, 450_000, 0.6, 0.1, 0.1), 4)
    0.6427
    >>> round(profit_roi(4_920_000, 680_000, 0.6, 0, 0.1, 2_164_800), 4)
    3.0228
    """
    revenue = numeric(revenue, "revenue", ge=0)
    cost = numeric(cost, "cost", gt=0)
    margin = fraction(gross_margin, "gross_margin")
    refunds = fraction(refund_rate, "refund_rate")
    commission = fraction(commission_rate, "commission_rate")
    charged = revenue if commissioned_revenue is None else numeric(commissioned_revenue, "commissioned_revenue", ge=0)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by scalar_or_array
        return scalar_or_array((revenue * (1 - refunds) * margin - charged * commission - cost) / cost)


def breakeven_roas(
    gross_margin: ArrayLike,
    refund_rate: ArrayLike = 0.0,
    commission_rate: ArrayLike = 0.0,
    commissioned_share: ArrayLike = 1.0,
) -> Number:
    """The GMV / spend ratio at which a campaign's profit is exactly zero.

    Parameters
    ----------
    gross_margin, refund_rate, commission_rate : array_like
        As in :func:`profit_roi`, fractions in [0, 1].
    commissioned_share : array_like, optional
        Share of GMV the commission is charged on (≥ 0); default 1, all of it.

    Notes
    -----
    ``1 / ((1 − refund_rate) × gross_margin − commission_rate × commissioned_share)``. When refunds and
    commission eat the whole margin no ROAS breaks even, and the function says so instead of returning a
    negative number.

    References
    ----------
    Not from the articles: Juguang (Xiaohongshu's ad platform) reports ROI as GMV / spend, orders later
    refunded included, so the profit view needs margin, refunds and commission.

    Examples
    --------
    >>> breakeven_roas(0.5)
    2.0
    >>> round(breakeven_roas(0.6, 0.1, 0.1), 4)
    2.2727
    >>> round(breakeven_roas(0.6, 0, 0.1, 0.44), 4)
    1.7986
    """
    kept = _kept_per_yuan(gross_margin, refund_rate, commission_rate, commissioned_share)
    if np.any(kept <= 0):
        worst = float(np.min(kept))
        raise XhsInputError(
            "no ROAS breaks even: after refunds the gross margin does not cover the commission "
            f"(profit per ¥ of sales is {worst:.4g})"
        )
    return scalar_or_array(1 / kept)


def breakeven_revenue(
    cost: ArrayLike,
    gross_margin: ArrayLike,
    refund_rate: ArrayLike = 0.0,
    commission_rate: ArrayLike = 0.0,
    commissioned_share: ArrayLike = 1.0,
) -> Number:
    """Revenue (GMV, ¥) a campaign must bring for its profit to cover its cost.

    Notes
    -----
    ``cost × breakeven_roas(gross_margin, refund_rate, commission_rate, commissioned_share)``.

    Examples
    --------
    >>> breakeven_revenue(450_000, 0.5)
    900000.0
    """
    cost = numeric(cost, "cost", ge=0)
    return scalar_or_array(cost * breakeven_roas(gross_margin, refund_rate, commission_rate, commissioned_share))


def incremental_revenue(
    campaign: ArrayLike,
    baseline: ArrayLike,
    campaign_days: ArrayLike = 1.0,
    baseline_days: ArrayLike = 1.0,
) -> Number:
    """Revenue the campaign added over the baseline, ¥ (campaign − baseline, scaled to equal periods).

    Parameters
    ----------
    campaign : array_like
        Revenue in the campaign period, ¥ (≥ 0), e.g. Tmall sales while the campaign ran.
    baseline : array_like
        Revenue in the baseline period before the campaign, ¥ (≥ 0).
    campaign_days, baseline_days : array_like, optional
        Lengths of the two periods (> 0). The baseline is scaled to the campaign's length; leave both at 1
        when the periods are already equally long.

    Returns
    -------
    float or ndarray
        Incremental revenue; negative when sales fell, which is a finding, not an error.

    Notes
    -----
    ``campaign − baseline × campaign_days / baseline_days``.

    References
    ----------
    001: "collect baseline performance data to enable meaningful before-and-after comparisons".

    Examples
    --------
    >>> incremental_revenue(3_000_000, 250_000)
    2750000.0
    >>> incremental_revenue(900_000, 600_000, 30, 60)
    600000.0
    """
    campaign = numeric(campaign, "campaign", ge=0)
    baseline = numeric(baseline, "baseline", ge=0)
    campaign_days = numeric(campaign_days, "campaign_days", gt=0)
    baseline_days = numeric(baseline_days, "baseline_days", gt=0)
    return scalar_or_array(campaign - baseline * campaign_days / baseline_days)


def _per(numerator: np.ndarray, denominator: ArrayLike, name: str) -> np.ndarray:
    denominator = numeric(denominator, name, gt=0)
    with np.errstate(over="ignore"):  # an overflow is refused by scalar_or_array with a message
        return numerator / denominator


def engagements(
    likes: ArrayLike,
    saves: ArrayLike = 0,
    comments: ArrayLike = 0,
    shares: ArrayLike = 0,
    follows: ArrayLike = 0,
) -> Number:
    """Engagements (互动量) as Juguang counts them: likes + saves + comments + shares + follows.

    Examples
    --------
    >>> engagements(120_000, 30_000, 10_000, 5_000, 3_000)
    168000.0
    """
    total = (
        numeric(likes, "likes", ge=0)
        + numeric(saves, "saves", ge=0)
        + numeric(comments, "comments", ge=0)
        + numeric(shares, "shares", ge=0)
        + numeric(follows, "follows", ge=0)
    )
    return scalar_or_array(total)


def cpm(cost: ArrayLike, impressions: ArrayLike) -> Number:
    """Cost per thousand impressions, ¥.

    Notes
    -----
    ``cost / impressions × 1000``.

    References
    ----------
    003: "the CPM (cost per thousand impressions)".

    Examples
    --------
    >>> round(cpm(450_000, 6_200_000), 2)
    72.58
    """
    return scalar_or_array(_per(numeric(cost, "cost", ge=0), impressions, "impressions") * 1000)


def cpc(cost: ArrayLike, clicks: ArrayLike) -> Number:
    """Cost per click (or per profile visit), ¥.

    Examples
    --------
    >>> round(cpc(450_000, 85_000), 2)
    5.29
    """
    return scalar_or_array(_per(numeric(cost, "cost", ge=0), clicks, "clicks"))


def cpa(cost: ArrayLike, conversions: ArrayLike) -> Number:
    """Cost per acquisition (per conversion), ¥.

    References
    ----------
    001: "Cost per Acquisition". 000, case study 1: "a cost-per-acquisition 40% lower than industry
    benchmarks".

    Examples
    --------
    >>> round(cpa(450_000, 4_200), 2)
    107.14
    """
    return scalar_or_array(_per(numeric(cost, "cost", ge=0), conversions, "conversions"))


def cpe(cost: ArrayLike, engagement_count: ArrayLike) -> Number:
    """Cost per engagement, ¥ (Juguang: spend / (likes + saves + comments + shares + follows)).

    Examples
    --------
    >>> round(cpe(680_000, 168_000), 4)
    4.0476
    """
    return scalar_or_array(_per(numeric(cost, "cost", ge=0), engagement_count, "engagements"))


def ctr(clicks: ArrayLike, impressions: ArrayLike) -> Number:
    """Click-through rate: clicks / impressions, a fraction.

    References
    ----------
    001: "Click-through Rate: Measure how effectively your content drives clicks to product pages."

    Examples
    --------
    >>> round(ctr(85_000, 6_200_000), 6)
    0.01371
    """
    return scalar_or_array(_per(numeric(clicks, "clicks", ge=0), impressions, "impressions"))


def cvr(conversions: ArrayLike, clicks: ArrayLike) -> Number:
    """Conversion rate: conversions / clicks (or visits), a fraction.

    References
    ----------
    001: "Conversion Rate: Calculate the percentage of viewers who make purchases."

    Examples
    --------
    >>> round(cvr(4_200, 85_000), 6)
    0.049412
    """
    return scalar_or_array(_per(numeric(conversions, "conversions", ge=0), clicks, "clicks"))


def aov(revenue: ArrayLike, orders: ArrayLike) -> Number:
    """Average order value: revenue / orders, ¥.

    Examples
    --------
    >>> aov(1_680_000, 4_200)
    400.0
    """
    return scalar_or_array(_per(numeric(revenue, "revenue", ge=0), orders, "orders"))


def engagement_rate(engagement_count: ArrayLike, impressions: ArrayLike) -> Number:
    """Engagement rate: engagements / impressions, a fraction.

    References
    ----------
    001: "Engagement Rate: Calculate the percentage of viewers who interact with your content."

    Examples
    --------
    >>> round(engagement_rate(168_000, 12_500_000), 5)
    0.01344
    """
    return scalar_or_array(_per(numeric(engagement_count, "engagements", ge=0), impressions, "impressions"))


def save_rate(saves: ArrayLike, impressions: ArrayLike) -> Number:
    """Save (收藏) rate: saves / impressions, a fraction.

    References
    ----------
    001: "Save Rate: Measure how many users save your content for future reference."

    Examples
    --------
    >>> save_rate(25_000, 5_000_000)
    0.005
    """
    return scalar_or_array(_per(numeric(saves, "saves", ge=0), impressions, "impressions"))


def follower_growth_rate(new_followers: ArrayLike, starting_followers: ArrayLike) -> Number:
    """Follower growth rate: new followers / followers at the start, a fraction.

    References
    ----------
    001: "Follower Growth Rate: Measure the pace of audience building."

    Examples
    --------
    >>> follower_growth_rate(12_500, 50_000)
    0.25
    """
    new = numeric(new_followers, "new_followers", ge=0)
    return scalar_or_array(_per(new, starting_followers, "starting_followers"))

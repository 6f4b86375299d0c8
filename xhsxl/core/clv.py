"""Customer lifetime value: what a customer won through a Xiaohongshu campaign is worth beyond the campaign.

Article 001 asks for it ("Customer Lifetime Value (CLV): … estimate the long-term value of new customers
acquired through Xiaohongshu") and for long windows ("Track performance over longer periods (6-12
months)"). Three levels of detail, from a napkin to a fitted model:

- :func:`clv_simple` — AOV × orders per period × gross margin × expected periods.
- :func:`clv_retention` — a margin kept with retention *r* and discounted at *d* per period, over a
  finite or infinite horizon, with the timing of the first payment named (Fader & Hardie's three closed
  forms).
- :func:`bgnbd_expected_purchases`, :func:`bgnbd_probability_alive`, :func:`gamma_gamma_expected_spend`
  and :func:`clv_bgnbd` — score customers from their purchase history (frequency, recency, age) with an
  already fitted BG/NBD + Gamma-Gamma model. Fitting is left to a statistics package; these functions
  reproduce the scoring of the ``lifetimes`` package (0.11.3) to ~1e-13, vectorised, without importing it.

CLV and direct sales overlap: the first order of a new customer is already in the campaign's direct
sales, so :func:`clv_retention` counts *future* value only unless told otherwise (``timing="start"``), and
the BG/NBD functions count *repeat* purchases only.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.figures import MEASUREMENT_WINDOW_MONTHS
from xhsxl.core.validate import ArrayLike, Number, describe, fraction, numeric, scalar_or_array

__all__ = [
    "TIMINGS",
    "DAYS_PER_MONTH",
    "MAX_MONTHS",
    "clv_simple",
    "clv_retention",
    "bgnbd_expected_purchases",
    "bgnbd_probability_alive",
    "gamma_gamma_expected_spend",
    "clv_bgnbd",
    "MONTH_LENGTH",
]

#: When the first payment of a retention CLV is counted (see :func:`clv_retention`); the first is the default.
TIMINGS: tuple[str, ...] = ("future", "start", "end")

#: Length of the month :func:`clv_bgnbd` steps by when the time unit is given as days per unit, in days.
DAYS_PER_MONTH = 30.0

#: Length of a month in each named time unit of :func:`clv_bgnbd`: lifetimes' own conventions in
#: ``customer_lifetime_value`` (``freq="D"`` 30 days, ``"W"`` 4.345 weeks, ``"M"`` 1, ``"H"`` 720 hours), so
#: that the defaults agree with it unit for unit. 4.345 weeks is 30.4 days: a 30-day month in weeks (30 / 7 ≈
#: 4.286) differs by about 1.4 % in the month's length and ~1 % in weekly figures.
MONTH_LENGTH: Mapping[str, float] = MappingProxyType({"days": 30.0, "weeks": 4.345, "months": 1.0, "hours": 720.0})
_TIME_UNITS: Mapping[str, str] = MappingProxyType({
    "days": "days", "day": "days", "d": "days", "天": "days", "日": "days",
    "weeks": "weeks", "week": "weeks", "w": "weeks", "周": "weeks", "星期": "weeks",
    "months": "months", "month": "months", "m": "months", "月": "months",
    "hours": "hours", "hour": "hours", "h": "hours", "小时": "hours",
})

#: Longest CLV window :func:`clv_bgnbd` accepts (100 years). Its cost grows with the number of months,
#: and a typo such as 1e9 months must not hang a spreadsheet.
MAX_MONTHS = 1200

# Half-widths of the windows around the removable singularities of the BG/NBD expectation (a = 1, and
# a + b = 1 for customers without repeat purchases), inside which it is interpolated linearly in a.
# Near a = 1 the closed form loses ~1e-15 / |a - 1| to cancellation and the interpolation errs by
# ~(half-width)^2, so 1e-5 keeps both near 1e-10; near a + b = 1 there is no cancellation, only the
# 0 × ∞ at the point itself.
_A_NEAR_ONE = 1e-5
_C_NEAR_ZERO = 1e-9


def clv_simple(aov: ArrayLike, orders_per_period: ArrayLike, gross_margin: ArrayLike, periods: ArrayLike) -> Number:
    """Simple customer lifetime value: gross profit per period times the number of periods.

    Parameters
    ----------
    aov : array_like
        Average order value, ¥ per order (≥ 0).
    orders_per_period : array_like
        Orders a customer places per period (≥ 0), e.g. per month.
    gross_margin : array_like
        Gross margin as a fraction of order value, in [0, 1] (60 % is 0.6).
    periods : array_like
        Expected number of periods the customer keeps buying (≥ 0), in the same period as
        ``orders_per_period``.

    Returns
    -------
    float or ndarray
        Gross profit per customer over their lifetime, ¥, undiscounted.

    Notes
    -----
    ``aov × orders_per_period × gross_margin × periods``. No discounting and no churn inside the
    window: use :func:`clv_retention` for those.

    References
    ----------
    001: "Customer Lifetime Value (CLV): For community-building objectives, estimate the long-term value
    of new customers acquired through Xiaohongshu."

    Examples
    --------
    A ¥400 order every two months at a 60 % margin, kept for a year (12 months):

    >>> clv_simple(400, 0.5, 0.6, 12)
    1440.0
    >>> clv_simple([400, 250], 0.5, 0.6, [12, 6])
    array([1440.,  450.])
    """
    value = numeric(aov, "aov", ge=0)
    orders = numeric(orders_per_period, "orders_per_period", ge=0)
    margin = fraction(gross_margin, "gross_margin")
    count = numeric(periods, "periods", ge=0)
    value, orders, margin, count = _broadcast(
        ("aov", "orders_per_period", "gross_margin", "periods"), (value, orders, margin, count)
    )
    return scalar_or_array(value * orders * margin * count)


def clv_retention(
    margin: ArrayLike,
    retention: ArrayLike,
    discount_rate: ArrayLike,
    horizon: ArrayLike = None,
    timing: str | None = "future",
) -> Number:
    """Discounted customer lifetime value with a constant retention rate.

    Parameters
    ----------
    margin : array_like
        Money a retained customer brings per period, ¥ (≥ 0): usually order value × orders per period ×
        gross margin.
    retention : array_like
        Probability that a customer active in one period is still active in the next, in [0, 1).
    discount_rate : array_like
        Discount rate per period (≥ 0): 0.01 a month is about 12.7 % a year.
    horizon : array_like or None, optional
        Number of periods counted, a whole number ≥ 1. ``None`` (default) or ``inf``: forever, in
        closed form. Article 001's 6–12 month window is ``horizon=12`` with monthly periods.
    timing : {'future', 'start', 'end'}, optional
        When the first payment is counted (case-insensitive; ``None`` means the default):

        - ``'future'`` (default): future periods only, each paid at its start and discounted. Today's
          order is not counted, because a new customer's first order is already in the campaign's direct
          sales and would otherwise be counted twice in the blended return.
        - ``'start'``: today's payment (certain, undiscounted) plus the future ones.
        - ``'end'``: each period paid at its end, the first period certain.

    Returns
    -------
    float or ndarray
        Present value per customer, ¥.

    Notes
    -----
    With ``g = r / (1 + d)`` and horizon ``H`` periods:

    =========  ===============================  ========================  ==================
    timing     sum                              finite H                  H = ∞
    =========  ===============================  ========================  ==================
    future     Σ_{t=1..H} m rᵗ / (1+d)ᵗ         m g (1 − gᴴ) / (1 − g)    m r / (1 + d − r)
    start      Σ_{t=0..H−1} m rᵗ / (1+d)ᵗ       m (1 − gᴴ) / (1 − g)      m (1+d) / (1 + d − r)
    end        Σ_{t=0..H−1} m rᵗ / (1+d)ᵗ⁺¹     start / (1 + d)           m / (1 + d − r)
    =========  ===============================  ========================  ==================

    So ``start = m + future`` when H = ∞, and ``end = start / (1 + d)`` for every H. As ``g < 1``
    (r < 1, d ≥ 0) every sum converges; ``1 − gᴴ`` is computed with ``expm1`` so a g close to 1 keeps
    its digits.

    References
    ----------
    Fader, P. S. and B. G. S. Hardie (2012), "Reconciling and Clarifying CLV Formulas",
    http://brucehardie.com/notes/024/ — the three closed forms and when each applies.
    001: "Extending Measurement Windows: Track performance over longer periods (6-12 months) than
    traditional social media campaigns."

    Examples
    --------
    ¥100 a month, 80 % monthly retention, 1 % a month discount rate:

    >>> round(clv_retention(100, 0.8, 0.01), 4)
    380.9524
    >>> round(clv_retention(100, 0.8, 0.01, timing="start"), 4)
    480.9524
    >>> round(clv_retention(100, 0.8, 0.01, timing="end"), 4)
    476.1905

    Over article 001's 12-month window and as the window grows:

    >>> clv_retention(100, 0.8, 0.01, [6, 12, 120]).round(2)
    array([286.88, 357.72, 380.95])
    """
    kind = _timing(timing)
    money = numeric(margin, "margin", ge=0)
    keep = fraction(retention, "retention", allow_one=False)
    rate = numeric(discount_rate, "discount_rate", ge=0)
    periods, forever = _horizon(horizon)
    money, keep, rate, periods, forever = _broadcast(
        ("margin", "retention", "discount_rate", "horizon", "horizon"), (money, keep, rate, periods, forever)
    )
    one_minus_g = (1 + rate - keep) / (1 + rate)
    with np.errstate(divide="ignore"):
        # r = 0 makes log1p(-1) = -inf, so gᴴ = 0: the customer never comes back, which is right.
        log_g = np.log1p(-one_minus_g)
    not_yet_lost = np.where(forever, 1.0, -np.expm1(periods * log_g))  # 1 − gᴴ
    start = money * not_yet_lost / one_minus_g
    if kind == "start":
        value = start
    elif kind == "end":
        value = start / (1 + rate)
    else:
        value = start * (keep / (1 + rate))
    return scalar_or_array(value)


def bgnbd_expected_purchases(
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    r: ArrayLike,
    alpha: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
) -> Number:
    """Expected number of repeat purchases in the next ``t`` periods, given a customer's history (BG/NBD).

    Parameters
    ----------
    t : array_like
        Length of the future window (≥ 0), in the time unit of ``recency`` and ``age``.
    frequency : array_like
        Number of repeat purchases so far, a whole number ≥ 0 (purchases after the first; x).
    recency : array_like
        Time from the first to the last purchase (t_x), 0 ≤ recency ≤ age; 0 when frequency is 0.
    age : array_like
        Time from the first purchase to the end of the observation period (T).
    r, alpha, a, b : array_like
        Fitted BG/NBD parameters (> 0): purchase rates are Gamma(r, alpha) across customers (alpha in
        the time unit of the data), the drop-out probability after each purchase Beta(a, b).

    Returns
    -------
    float or ndarray
        Expected number of repeat purchases in (age, age + t].

    Notes
    -----
    Fader, Hardie & Lee (2005), equation (10)::

        E[Y(t) | x, t_x, T] = P(alive) × (a + b + x − 1) / (a − 1)
                              × [1 − ((α + T) / (α + T + t))^(r + x) ₂F₁(r + x, b + x; a + b + x − 1; z)]

    with ``z = t / (α + T + t)`` and ``P(alive)`` as in :func:`bgnbd_probability_alive`. The same
    bracket is evaluated through Euler's transformation,
    ``((α + T)/(α + T + t))^(a − 1) ₂F₁(a + b − 1 − r, a − 1; a + b + x − 1; z)``, whenever that
    series converges at z = 1 and the original one does not (``a ≤ 1 + r + x``), so neither overflows for
    heavy buyers or long windows. The expression is 0/0 at ``a = 1`` and 0·∞ at ``a + b = 1`` with
    ``x = 0`` although the expectation is smooth there; within 1e-5 (resp. 1e-9) of those points it is
    interpolated linearly in ``a`` between the two sides. If scipy's ₂F₁ still fails (parameters far
    outside anything a fit produces, e.g. r ≈ 100 with a ≈ 50 and 300 repeat purchases), the function
    raises rather than return inf or nan. Equals lifetimes'
    ``BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time(t, frequency, recency, T)``.

    References
    ----------
    Fader, P. S., B. G. S. Hardie and K. L. Lee (2005), "'Counting Your Customers' the Easy Way: An
    Alternative to the Pareto/NBD Model", Marketing Science 24 (2), 275–284.

    Examples
    --------
    A customer who bought 2 more times, the last at week 30 of 39, over the next 30 weeks:

    >>> round(bgnbd_expected_purchases(30, 2, 30.0, 39.0, 0.25, 4.0, 0.8, 2.5), 4)
    0.9785
    >>> round(bgnbd_expected_purchases(30, 0, 0.0, 39.0, 0.25, 4.0, 0.8, 2.5), 4)
    0.1591
    """
    names = ("t", "frequency", "recency", "age", "r", "alpha", "a", "b")
    window = numeric(t, "t", ge=0)
    history = _history(frequency, recency, age)
    params = _bgnbd_params(r, alpha, a, b)
    arrays = _broadcast(names, (window, *history, *params))
    shape = arrays[0].shape
    window, x, tx, T, r_, alpha_, a_, b_ = (v.ravel() for v in arrays)
    _check_history(x, tx, T, shape)
    alive = _probability_alive(x, tx, T, r_, alpha_, a_, b_)
    value = alive * _expected_purchases_if_alive(window, x, T, r_, alpha_, a_, b_)
    _check_evaluated(value, shape, x, r_, alpha_, a_, b_)
    return scalar_or_array(value.reshape(shape))


def bgnbd_probability_alive(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    r: ArrayLike,
    alpha: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
) -> Number:
    """Probability that a customer is still active (has not dropped out), given their history (BG/NBD).

    Parameters
    ----------
    frequency, recency, age : array_like
        The customer's history, as in :func:`bgnbd_expected_purchases`.
    r, alpha, a, b : array_like
        Fitted BG/NBD parameters (> 0).

    Returns
    -------
    float or ndarray
        P(alive) in (0, 1]; exactly 1 for a customer with no repeat purchase (in the BG/NBD a customer can
        only drop out right after a purchase).

    Notes
    -----
    For ``x > 0``::

        P(alive | x, t_x, T) = 1 / (1 + a / (b + x − 1) × ((α + T) / (α + t_x))^(r + x))

    evaluated as ``expit(−log odds)`` so that long-lapsed heavy buyers give a tiny probability instead of
    an overflow. Equals lifetimes' ``BetaGeoFitter.conditional_probability_alive(frequency, recency, T)``.

    References
    ----------
    Fader, P. S., B. G. S. Hardie and K. L. Lee (2008), "Computing P(alive) Using the BG/NBD Model",
    http://brucehardie.com/notes/021/.

    Examples
    --------
    >>> round(bgnbd_probability_alive(2, 30.0, 39.0, 0.25, 4.0, 0.8, 2.5), 4)
    0.7206
    >>> bgnbd_probability_alive([0, 2], [0.0, 5.0], 39.0, 0.25, 4.0, 0.8, 2.5).round(4)
    array([1.    , 0.1148])
    """
    names = ("frequency", "recency", "age", "r", "alpha", "a", "b")
    history = _history(frequency, recency, age)
    params = _bgnbd_params(r, alpha, a, b)
    arrays = _broadcast(names, (*history, *params))
    shape = arrays[0].shape
    x, tx, T, r_, alpha_, a_, b_ = (v.ravel() for v in arrays)
    _check_history(x, tx, T, shape)
    return scalar_or_array(_probability_alive(x, tx, T, r_, alpha_, a_, b_).reshape(shape))


def gamma_gamma_expected_spend(
    frequency: ArrayLike, monetary_value: ArrayLike, p: ArrayLike, q: ArrayLike, v: ArrayLike
) -> Number:
    """Expected value of a customer's future orders, given their past repeat orders (Gamma-Gamma model).

    Parameters
    ----------
    frequency : array_like
        Number of repeat purchases, a whole number ≥ 0.
    monetary_value : array_like
        Average value of those repeat purchases, ¥ (≥ 0; ignored when frequency is 0).
    p, q, v : array_like
        Fitted Gamma-Gamma parameters (> 0); ``v`` is in ¥. The model needs ``p × frequency + q > 1``
        (for new customers ``q > 1``: otherwise the population's mean order value is infinite).

    Returns
    -------
    float or ndarray
        Expected average order value, ¥: the customer's own average shrunk towards the population mean,
        the more the fewer orders it rests on.

    Notes
    -----
    ::

        E[Z | x, m_x] = p (v + x m_x) / (p x + q − 1)
                      = (1 − w) × v p / (q − 1) + w × m_x,   w = p x / (p x + q − 1)

    the second form showing the weighting of the population mean ``v p / (q − 1)`` and the customer's
    own mean. Equals lifetimes' ``GammaGammaFitter.conditional_expected_average_profit``.

    References
    ----------
    Fader, P. S. and B. G. S. Hardie (2013), "The Gamma-Gamma Model of Monetary Value",
    http://brucehardie.com/notes/025/.
    Fader, P. S., B. G. S. Hardie and K. L. Lee (2005), "RFM and CLV: Using Iso-Value Curves for
    Customer Base Analysis", Journal of Marketing Research 42 (4), 415–430.

    Examples
    --------
    >>> round(gamma_gamma_expected_spend(2, 22.0, 6.0, 4.0, 15.0), 4)
    23.6
    >>> round(gamma_gamma_expected_spend(0, 0.0, 6.0, 4.0, 15.0), 4)
    30.0
    """
    names = ("frequency", "monetary_value", "p", "q", "v")
    x = _whole(numeric(frequency, "frequency", ge=0), "frequency")
    spend = numeric(monetary_value, "monetary_value", ge=0)
    p_, q_, v_ = (numeric(value, name, gt=0) for value, name in ((p, "p"), (q, "q"), (v, "v")))
    x, spend, p_, q_, v_ = _broadcast(names, (x, spend, p_, q_, v_))
    _check_gamma_gamma(x, p_, q_)
    return scalar_or_array(_expected_spend(x, spend, p_, q_, v_))


def clv_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary_value: ArrayLike,
    r: ArrayLike,
    alpha: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    p: ArrayLike,
    q: ArrayLike,
    v: ArrayLike,
    months: ArrayLike = int(MEASUREMENT_WINDOW_MONTHS.high),
    monthly_discount: ArrayLike = 0.01,
    margin: ArrayLike = 1.0,
    time_unit: Any = "days",
    month_length: ArrayLike | None = None,
) -> Number:
    """Discounted value of a customer's future repeat purchases over the next months (BG/NBD + Gamma-Gamma).

    Parameters
    ----------
    frequency, recency, age : array_like
        The customer's history, as in :func:`bgnbd_expected_purchases`.
    monetary_value : array_like
        Average value of the customer's repeat purchases, ¥ (≥ 0).
    r, alpha, a, b : array_like
        Fitted BG/NBD parameters (> 0).
    p, q, v : array_like
        Fitted Gamma-Gamma parameters (> 0, ``p × frequency + q > 1``).
    months : array_like, optional
        Number of months counted, a whole number from 1 to 1200. Default 12, the long end of article
        001's 6–12 month measurement window.
    monthly_discount : array_like, optional
        Discount rate per month (≥ 0). Default 0.01, lifetimes' default (about 12.7 % a year).
    margin : array_like, optional
        Share of order value kept as profit, in [0, 1]. Default 1: the result is revenue, not profit.
    time_unit : {"days", "weeks", "months", "hours"} or array_like of float, optional
        The unit of ``recency`` and ``age`` (default "days"). A number is the days in one unit (7 for weeks)
        with a 30-day month, so one month is ``30 / time_unit`` units.
    month_length : array_like, optional
        Length of a month in ``time_unit`` (> 0). Default :data:`MONTH_LENGTH`: 30 days, 4.345 weeks, 1 month,
        720 hours — lifetimes' conventions for ``freq`` "D", "W", "M", "H". Give 30 / 7 for 30-day months
        with data in weeks, 30.44 for calendar-average months in days.

    Returns
    -------
    float or ndarray
        Present value per customer, ¥, of the repeat purchases in the next ``months`` months.

    Notes
    -----
    With ``w = month_length`` units per month, ``E(t)`` from :func:`bgnbd_expected_purchases` and ``S`` from
    :func:`gamma_gamma_expected_spend`::

        CLV = margin × S × Σ_{k=1..months} [E(k w) − E((k − 1) w)] / (1 + monthly_discount)ᵏ

    — the purchases expected in month k, valued at the expected order value, discounted to today at
    the end of month k. Equals ``margin ×`` lifetimes'
    ``GammaGammaFitter.customer_lifetime_value(bgf, frequency, recency, T, monetary_value, time=months,
    discount_rate=monthly_discount, freq=F)`` when ``time_unit`` is F's unit ("D" days, "W" weeks, "M" months,
    "H" hours) and ``month_length`` is left at its default. (lifetimes' CDNOW example data are in weeks yet
    scored with ``freq="D"``, which makes its "month" 30 weeks: give ``time_unit="weeks"`` there.) First
    orders are not counted (they are in direct sales).

    References
    ----------
    Fader, P. S., B. G. S. Hardie and K. L. Lee (2005), "RFM and CLV: Using Iso-Value Curves for
    Customer Base Analysis", Journal of Marketing Research 42 (4), 415–430.
    001: "Extending Measurement Windows: Track performance over longer periods (6-12 months)".

    Examples
    --------
    A customer seen for 39 weeks, 2 repeat orders averaging ¥22, at a 60 % margin, over 12 calendar
    months:

    >>> round(clv_bgnbd(2, 30.0, 39.0, 22.0, 0.25, 4.0, 0.8, 2.5, 6.0, 4.0, 15.0,
    ...                 12, 0.01, 0.6, 7), 2)
    20.61
    >>> round(clv_bgnbd(2, 30.0, 39.0, 22.0, 0.25, 4.0, 0.8, 2.5, 6.0, 4.0, 15.0,
    ...                 12, 0.01, 0.6, "weeks"), 2)  # lifetimes' 4.345-week month
    20.85
    """
    names = (
        "frequency", "recency", "age", "monetary_value", "r", "alpha", "a", "b", "p", "q", "v",
        "months", "monthly_discount", "margin", "month_length",
    )
    history = _history(frequency, recency, age)
    spend = numeric(monetary_value, "monetary_value", ge=0)
    params = _bgnbd_params(r, alpha, a, b)
    p_, q_, v_ = (numeric(value, name, gt=0) for value, name in ((p, "p"), (q, "q"), (v, "v")))
    count = _whole(numeric(months, "months", ge=1, le=MAX_MONTHS), "months")
    rate = numeric(monthly_discount, "monthly_discount", ge=0)
    kept = fraction(margin, "margin")
    step = _month_step(time_unit, month_length)
    arrays = _broadcast(names, (*history, spend, *params, p_, q_, v_, count, rate, kept, step))
    shape = arrays[0].shape
    x, tx, T, spend, r_, alpha_, a_, b_, p_, q_, v_, count, rate, kept, step = (v.ravel() for v in arrays)
    _check_history(x, tx, T, shape)
    _check_gamma_gamma(x, p_, q_, shape)

    total = np.zeros_like(x)
    previous = np.zeros_like(x)  # E(0) = 0: nothing is bought in an empty window
    # The loop runs over months (at most MAX_MONTHS), never over customers.
    for k in range(1, int(count.max()) + 1):
        cumulative = _expected_purchases_if_alive(k * step, x, T, r_, alpha_, a_, b_)
        _check_evaluated(cumulative, shape, x, r_, alpha_, a_, b_)
        total += np.where(k <= count, (cumulative - previous) / (1 + rate) ** k, 0.0)
        previous = cumulative
    alive = _probability_alive(x, tx, T, r_, alpha_, a_, b_)
    value = kept * _expected_spend(x, spend, p_, q_, v_) * alive * total
    return scalar_or_array(value.reshape(shape))


# --- argument checks -------------------------------------------------------------------------------


def _month_step(time_unit: Any, month_length: ArrayLike | None) -> np.ndarray:
    """Units of recency and age in one month: ``month_length``, or the named unit's month, or 30 / days per unit."""
    if isinstance(time_unit, str):
        key = _TIME_UNITS.get(time_unit.strip().lower())
        if key is None:
            raise XhsInputError(f"time_unit must be 'days', 'weeks', 'months' or 'hours', or days per unit "
                                f"(got {describe(time_unit)})")
        default = np.asarray(MONTH_LENGTH[key])
    else:
        default = DAYS_PER_MONTH / numeric(time_unit, "time_unit", gt=0)
    if month_length is None:
        return default
    return numeric(month_length, "month_length", gt=0) * np.ones_like(default)


def _broadcast(names: tuple[str, ...], arrays: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """The arrays broadcast to one shape, or an error naming the arguments whose shapes clash."""
    try:
        return [np.array(a, dtype=float) for a in np.broadcast_arrays(*arrays)]
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays) if a.ndim)
        raise XhsInputError(f"arguments must have matching sizes (got {shapes})") from None


def _position(mask: np.ndarray, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...] | None]:
    """Flat index of the first True in ``mask`` and its 1-based position in ``shape`` (None for a scalar)."""
    flat = int(np.argmax(mask))
    if not shape:
        return flat, None
    return flat, tuple(int(i) + 1 for i in np.unravel_index(flat, shape))


def _whole(array: np.ndarray, name: str) -> np.ndarray:
    bad = array != np.round(array)
    if bad.any():
        flat, where = _position(bad.ravel(), array.shape)
        raise XhsInputError(argument=name, reason="must be a whole number", value=array.ravel()[flat], position=where)
    return array


def _timing(timing: str | None) -> str:
    key = "future" if timing is None else str(timing).strip().lower()
    if key not in TIMINGS:
        accepted = ", ".join(repr(k) for k in TIMINGS)
        raise XhsInputError(f"timing must be one of {accepted} (got {describe(timing)})")
    return key


def _horizon(horizon: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Whole periods ≥ 1, and where the horizon is infinite (None or +inf)."""
    if horizon is None:
        return np.array(1.0), np.array(True)
    raw = np.asarray(horizon)
    # Only a float array can hold +inf; anything else (text, true/false, None) goes to numeric() as given,
    # which names it in its message.
    forever = np.isposinf(raw) if raw.dtype.kind == "f" else np.zeros(raw.shape, dtype=bool)
    finite = np.where(forever, 1.0, raw) if forever.any() else horizon
    periods = _whole(numeric(finite, "horizon", ge=1), "horizon")
    return periods, forever


def _history(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> tuple[np.ndarray, ...]:
    x = _whole(numeric(frequency, "frequency", ge=0), "frequency")
    return x, numeric(recency, "recency", ge=0), numeric(age, "age", ge=0)


def _check_history(x: np.ndarray, tx: np.ndarray, T: np.ndarray, shape: tuple[int, ...]) -> None:
    """A history the BG/NBD can have produced: last purchase within the age, none without a purchase."""
    late = tx > T
    if late.any():
        i, where = _position(late, shape)
        raise XhsInputError(argument="recency", reason="must be at most age",
                            shown=f"recency {describe(tx[i])} and age {describe(T[i])}", position=where)
    phantom = (x == 0) & (tx > 0)
    if phantom.any():
        i, where = _position(phantom, shape)
        raise XhsInputError(
            argument="recency", reason="must be 0 when frequency is 0, since a customer without repeat purchases "
            "has no last repeat purchase", shown=f"recency {describe(tx[i])}", position=where)


def _bgnbd_params(r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, ...]:
    return tuple(numeric(value, name, gt=0) for value, name in ((r, "r"), (alpha, "alpha"), (a, "a"), (b, "b")))


def _check_gamma_gamma(x: np.ndarray, p: np.ndarray, q: np.ndarray, shape: tuple[int, ...] | None = None) -> None:
    infinite = p * x + q <= 1
    if infinite.any():
        i, where = _position(infinite.ravel(), x.shape if shape is None else shape)
        x_, p_, q_ = (v.ravel()[i] for v in (x, p, q))
        raise XhsInputError(
            argument="q", reason="must be greater than 1 − p × frequency, or the expected spend is infinite",
            shown=f"q {describe(q_)} with p {describe(p_)} and frequency {describe(x_)}", position=where)


def _check_evaluated(value: np.ndarray, shape: tuple[int, ...], x: np.ndarray, r: np.ndarray,
                     alpha: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Refuse to hand back inf or nan where scipy's ₂F₁ gave up (parameters far outside fitted ranges)."""
    failed = ~np.isfinite(value)
    if failed.any():
        i, where = _position(failed, shape)
        got = ", ".join(f"{n} {describe(v[i])}" for n, v in (("frequency", x), ("r", r), ("alpha", alpha), ("a", a), ("b", b)))
        raise XhsInputError(
            argument="the BG/NBD expectation", reason="cannot be computed for these parameters", shown=got,
            position=where, hint="check that r, alpha, a and b come from a model fitted to this data")


# --- the models, on flat validated arrays ------------------------------------------------------------

# scipy.special is imported on first use, not with the module: only the BG/NBD scoring needs it, and
# importing it would cost every UDF start-up ~0.15 s (and xlwings Lite a scipy download).


def expit(x: np.ndarray) -> np.ndarray:
    """scipy.special.expit, the logistic function 1 / (1 + e⁻ˣ)."""
    from scipy.special import expit as logistic

    return logistic(x)


def hyp2f1(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """scipy.special.hyp2f1, Gauss's hypergeometric function ₂F₁(a, b; c; z)."""
    from scipy.special import hyp2f1 as gauss_hypergeometric

    return gauss_hypergeometric(a, b, c, z)



def _probability_alive(
    x: np.ndarray, tx: np.ndarray, T: np.ndarray, r: np.ndarray, alpha: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    # max(x, 1) keeps the logarithm defined for x = 0, whose result is replaced by 1 anyway.
    log_odds_dead = (r + x) * np.log((alpha + T) / (alpha + tx)) + np.log(a / (b + np.maximum(x, 1) - 1))
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def _expected_purchases_if_alive(
    t: Any, x: np.ndarray, T: np.ndarray, r: np.ndarray, alpha: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """E[Y(t)] for a customer known to be alive: equation (10) of Fader, Hardie & Lee without P(alive)."""
    t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    near_one = np.abs(a - 1) < _A_NEAR_ONE
    near_pole = (x == 0) & (np.abs(a + b - 1) < _C_NEAR_ZERO) & ~near_one
    regular = ~(near_one | near_pole)
    value = np.empty_like(x)
    value[regular] = _equation_10(*(v[regular] for v in (t, x, T, r, alpha, a, b)))
    for mask, centre, half in ((near_one, np.ones_like(b), _A_NEAR_ONE), (near_pole, 1 - b, _C_NEAR_ZERO)):
        if mask.any():
            t_, x_, T_, r_, alpha_ = (v[mask] for v in (t, x, T, r, alpha))
            below, above = centre[mask] - half, centre[mask] + half
            low = _equation_10(t_, x_, T_, r_, alpha_, below, b[mask])
            high = _equation_10(t_, x_, T_, r_, alpha_, above, b[mask])
            value[mask] = low + (a[mask] - below) / (2 * half) * (high - low)
    return value


def _equation_10(
    t: np.ndarray, x: np.ndarray, T: np.ndarray, r: np.ndarray, alpha: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    total = alpha + T + t
    z = t / total
    log_q = np.log((alpha + T) / total)
    c = a + b + x - 1
    # Of the two equal forms, use the one whose series converges at z = 1: it stays bounded however
    # long the window or heavy the buyer, while the other can overflow to inf (and inf × 0 = nan).
    direct = a - 1 - r - x > 0
    product = np.empty_like(t)
    # Overflow is detected below and by _check_evaluated, so numpy's warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        product[direct] = _direct(direct, log_q, z, c, x, r, a, b)
        product[~direct] = _euler(~direct, log_q, z, c, x, r, a, b)
        lost = ~np.isfinite(product)
        if lost.any():  # scipy's ₂F₁ can still fail for extreme parameters: try the other form
            product[lost & direct] = _euler(lost & direct, log_q, z, c, x, r, a, b)
            product[lost & ~direct] = _direct(lost & ~direct, log_q, z, c, x, r, a, b)
        return c / (a - 1) * (1 - product)


def _direct(m: np.ndarray, log_q: np.ndarray, z: np.ndarray, c: np.ndarray, x: np.ndarray,
            r: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """((α+T)/(α+T+t))^(r+x) ₂F₁(r + x, b + x; c; z) on the rows in ``m``."""
    return np.exp((r[m] + x[m]) * log_q[m]) * hyp2f1(r[m] + x[m], b[m] + x[m], c[m], z[m])


def _euler(m: np.ndarray, log_q: np.ndarray, z: np.ndarray, c: np.ndarray, x: np.ndarray,
           r: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The same product after Euler's transformation ₂F₁(A, B; c; z) = (1 − z)^(c−A−B) ₂F₁(c−A, c−B; c; z)."""
    return np.exp((a[m] - 1) * log_q[m]) * hyp2f1(a[m] + b[m] - 1 - r[m], a[m] - 1, c[m], z[m])


def _expected_spend(x: np.ndarray, spend: np.ndarray, p: np.ndarray, q: np.ndarray, v: np.ndarray) -> np.ndarray:
    return p * (v + x * spend) / (p * x + q - 1)

"""Backtest: how well the planner would have forecast a client's past campaigns, each from the others.

A forecast is only as good as its record. :func:`backtest` holds out each past campaign in turn, calibrates the
benchmarks on the others (:func:`~xhsxl.core.planner.calibrate`), forecasts the held-out campaign's spend and
compares: revenue, conversions and ROI, each with its error ((forecast − actual) / |actual|), their mean
absolute percentage error (MAPE) and mean signed error (bias), and how often the prediction interval held the
actual figure (coverage, to be read against the interval's level). :func:`case_study_backtest` does the same
with article 000's two case studies, each forecast from a fit to the other alone.

Articles are cited by their number, 000 to 004 (listed in :mod:`xhsxl.core.figures`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.figures import CASE_STUDY_1, CASE_STUDY_2
from xhsxl.core.planner.calibration import CALIBRATION_MIN_ROWS, calibrate
from xhsxl.core.planner.funnel import FunnelBenchmarks, case_study_lines, fit_campaign, forecast
from xhsxl.core.planner.interval import DEFAULT_LEVEL, check_level
from xhsxl.core.validate import describe, numeric

__all__ = ["BACKTEST_TABLE_HEADER", "BacktestRow", "Backtest", "backtest", "case_study_backtest"]

#: Header of :meth:`Backtest.table`.
BACKTEST_TABLE_HEADER: tuple[str, ...] = (
    "campaign", "spend", "actual_revenue", "forecast_revenue", "revenue_low", "revenue_high", "revenue_error",
    "actual_conversions", "forecast_conversions", "conversions_error", "actual_roi", "forecast_roi", "roi_error",
    "revenue_covered", "conversions_covered",
)


def _error(forecast_value: float, actual: float) -> float | None:
    return None if actual == 0 else (forecast_value - actual) / abs(actual)


@dataclass(frozen=True)
class BacktestRow:
    """One held-out campaign: its actual figures, the forecast made without it, and how that was fitted."""

    campaign: str
    spend: float
    actual_revenue: float
    forecast_revenue: float
    revenue_low: float
    revenue_high: float
    actual_conversions: float
    forecast_conversions: float
    conversions_low: float
    conversions_high: float
    how: str = ""

    @property
    def actual_roi(self) -> float:
        return self.actual_revenue / self.spend - 1

    @property
    def forecast_roi(self) -> float:
        return self.forecast_revenue / self.spend - 1

    @property
    def revenue_error(self) -> float | None:
        return _error(self.forecast_revenue, self.actual_revenue)

    @property
    def conversions_error(self) -> float | None:
        return _error(self.forecast_conversions, self.actual_conversions)

    @property
    def roi_error(self) -> float | None:
        """(forecast ROI − actual ROI) / |actual ROI|; None at an actual ROI of exactly 0."""
        return _error(self.forecast_roi, self.actual_roi)

    @property
    def revenue_covered(self) -> bool:
        return self.revenue_low <= self.actual_revenue <= self.revenue_high

    @property
    def conversions_covered(self) -> bool:
        return self.conversions_low <= self.actual_conversions <= self.conversions_high

    def row(self) -> list[Any]:
        return [getattr(self, column) for column in BACKTEST_TABLE_HEADER]


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [value for value in values if value is not None]
    return math.fsum(kept) / len(kept) if kept else None


@dataclass(frozen=True)
class Backtest:
    """Leave-one-out results: one row per campaign, the interval's level, and the overall figures."""

    rows: tuple[BacktestRow, ...]
    level: float

    def mape(self, metric: str) -> float | None:
        """Mean absolute percentage error of "revenue", "conversions" or "roi" (a fraction: 0.12 is 12 %)."""
        return _mean([None if e is None else abs(e) for e in self._errors(metric)])

    def bias(self, metric: str) -> float | None:
        """Mean signed percentage error: above 0 the forecast ran high."""
        return _mean(self._errors(metric))

    def coverage(self, metric: str = "revenue") -> float:
        """Share of campaigns whose actual "revenue" or "conversions" lay inside the interval."""
        flags = [getattr(row, f"{metric}_covered") for row in self.rows]
        return sum(flags) / len(flags)

    def _errors(self, metric: str) -> list[float | None]:
        if metric not in ("revenue", "conversions", "roi"):
            raise XhsInputError(f"metric must be 'revenue', 'conversions' or 'roi' (got {describe(metric)})")
        return [getattr(row, f"{metric}_error") for row in self.rows]

    def table(self) -> list[list[Any]]:
        """Header ``BACKTEST_TABLE_HEADER``, one row per campaign, then three rows: "overall MAPE" and "overall
        bias" (in the error columns) and "overall coverage" (in the covered columns, a fraction to read against
        the level)."""
        width = len(BACKTEST_TABLE_HEADER)
        rows: list[list[Any]] = [list(BACKTEST_TABLE_HEADER)] + [row.row() for row in self.rows]
        column = {name: index for index, name in enumerate(BACKTEST_TABLE_HEADER)}
        for label, value in (("overall MAPE", self.mape), ("overall bias", self.bias)):
            line: list[Any] = [label] + [None] * (width - 1)
            for metric in ("revenue", "conversions", "roi"):
                line[column[f"{metric}_error"]] = value(metric)
            rows.append(line)
        line = [f"overall coverage ({self.level:.0%} interval)"] + [None] * (width - 1)
        line[column["revenue_covered"]] = self.coverage("revenue")
        line[column["conversions_covered"]] = self.coverage("conversions")
        rows.append(line)
        return rows


def _held_out(name: str, spend: float, lines: Any, benchmarks: FunnelBenchmarks, spillover: Any, level: float,
              revenue: float, conversions: float, how: str) -> BacktestRow:
    result = forecast(lines, benchmarks=benchmarks, spillover=spillover, level=level)
    return BacktestRow(
        campaign=name, spend=spend, actual_revenue=revenue, forecast_revenue=result.base.total.revenue,
        revenue_low=result.low.total.revenue, revenue_high=result.high.total.revenue,
        actual_conversions=conversions, forecast_conversions=result.base.conversions,
        conversions_low=result.low.conversions, conversions_high=result.high.conversions, how=how,
    )


def backtest(
    spend: Any,
    impressions: Any,
    engagements: Any,
    conversions: Any,
    revenue: Any,
    visits: Any = None,
    campaigns: Sequence[Any] | None = None,
    level: float = DEFAULT_LEVEL,
    fit_curvature: bool = True,
) -> Backtest:
    """Leave-one-out backtest of the planner on a client's past campaigns.

    Parameters
    ----------
    spend, impressions, engagements, conversions, revenue, visits : array_like
        The history, as for :func:`~xhsxl.core.planner.calibrate` (one row per past campaign).
    campaigns : sequence of str, optional
        Names of the campaigns (default "1", "2", …).
    level : float, optional
        Level of the prediction interval, in (0, 1) (default 0.80).
    fit_curvature : bool, optional
        Fit the curvature in each fold (default) or keep article 003's. A fold whose fitted curvature cannot be
        used (returns growing faster than spend) keeps article 003's, and says so in its ``how``.

    Returns
    -------
    Backtest
        ``.rows`` (one :class:`BacktestRow` per campaign), ``.mape(metric)``, ``.bias(metric)``,
        ``.coverage(metric)``, ``.table()`` for Excel.

    Notes
    -----
    For each campaign i: benchmarks ← calibrate(every row but i); forecast ← the funnel of spendᵢ as one line
    (the history's rows are whole campaigns, as calibrate fits them), direct sales only (the history's revenue
    is what its conversions sold). Error = (forecast − actual) / |actual|; MAPE = mean |error|; bias = mean error;
    coverage = share of campaigns with low ≤ actual ≤ high. ROI = revenue / spend − 1.

    References
    ----------
    001: "establish baseline metrics … before-and-after comparisons" (judge a method on the client's own record).

    Examples
    --------
    Campaigns that follow one funnel exactly are forecast exactly:

    >>> from xhsxl.core.planner.funnel import funnel
    >>> spend = [60_000.0, 100_000.0, 200_000.0, 400_000.0]
    >>> f = funnel(spend, 80, 0.01, 0.015, 0.04, 350)
    >>> result = backtest(spend, f.impressions, f.engagements, f.direct_conversions, f.direct_revenue, f.visits)
    >>> round(result.mape("revenue"), 9), result.coverage("revenue")
    (0.0, 1.0)
    """
    spend_ = numeric(spend, "spend", gt=0).reshape(-1)
    n = spend_.size
    needed = CALIBRATION_MIN_ROWS["with_curvature" if fit_curvature else "fixed_curvature"] + 1
    if n < needed:
        raise XhsInputError(
            f"backtest needs at least {needed} past campaigns (each is forecast from the other {needed - 1}); got {n}"
        )
    columns = {}
    for name, value in (("impressions", impressions), ("engagements", engagements), ("conversions", conversions),
                        ("revenue", revenue), ("visits", visits)):
        if value is None:
            continue
        array = numeric(value, name, gt=0).reshape(-1)
        if array.size != n:
            raise XhsInputError(f"{name} must have one value per history row ({n}), got {array.size}")
        columns[name] = array
    names = [str(index + 1) for index in range(n)] if campaigns is None else [str(name) for name in campaigns]
    if len(names) != n:
        raise XhsInputError(f"campaigns must name each history row ({n}), got {len(names)}")
    chosen = check_level(level)
    rows = []
    for index in range(n):
        keep = np.arange(n) != index
        subset = {name: array[keep] for name, array in columns.items()}
        fitted = calibrate(spend_[keep], subset["impressions"], subset["engagements"], subset["conversions"],
                           subset["revenue"], subset.get("visits"), fit_curvature=fit_curvature)
        how = f"calibrated on the other {n - 1}" + ("" if fit_curvature else ", article 003's curvature")
        try:
            benchmarks = fitted.benchmarks
        except XhsInputError:
            fitted = calibrate(spend_[keep], subset["impressions"], subset["engagements"], subset["conversions"],
                               subset["revenue"], subset.get("visits"), fit_curvature=False)
            benchmarks = fitted.benchmarks
            how = f"calibrated on the other {n - 1}, article 003's curvature (the fitted one was unusable)"
        amount = float(spend_[index])
        rows.append(_held_out(names[index], amount, {"paid_ads": amount}, benchmarks, None, chosen,
                              float(columns["revenue"][index]), float(columns["conversions"][index]), how))
    return Backtest(rows=tuple(rows), level=chosen)


def case_study_backtest(level: float = DEFAULT_LEVEL) -> Backtest:
    """Article 000's two case studies, each forecast from a fit to the other alone, at its own stage's budget
    lines and its own measured off-platform share (case 1: none reported; case 2: 56 %).

    Notes
    -----
    With one campaign to fit, there are no residuals: the interval is the articles' prior
    (:data:`~xhsxl.core.planner.interval.PRIOR_SPREAD`). Case 1's benchmarks come from its impressions,
    visitors, conversions and revenue; case 2's from its impressions, engagements, direct conversions and
    direct revenue (44 % of ¥4.92M). Conversions compared are case 1's 4,200 and case 2's 8,600 + 11,200.

    References
    ----------
    000, Case Studies 1 and 2.

    Examples
    --------
    >>> result = case_study_backtest()
    >>> [round(row.revenue_error * 100, 1) for row in result.rows], result.coverage("revenue")
    ([-4.2, 4.4], 1.0)
    """
    chosen = check_level(level)
    one, two = CASE_STUDY_1, CASE_STUDY_2
    # Figures article 000 reports for case study 2 (optional fields of CaseStudy).
    assert two.other_channel_revenue_share is not None and two.cross_platform_conversions is not None
    direct_two = (1 - two.other_channel_revenue_share) * two.revenue
    fit_one = fit_campaign(case_study_lines(1), one.impressions, one.direct_conversions, one.revenue,
                           visits=one.profile_visitors)
    fit_two = fit_campaign(case_study_lines(2), two.impressions, two.direct_conversions, direct_two,
                           engagements=two.engagements)
    rows = (
        _held_out("000 case study 1", float(one.total_cost), case_study_lines(1), fit_two, 0.0, chosen,
                  float(one.revenue), float(one.direct_conversions), "fitted to case study 2 alone"),
        _held_out("000 case study 2", float(two.total_cost), case_study_lines(2), fit_one,
                  two.other_channel_revenue_share, chosen, float(two.revenue),
                  float(two.direct_conversions + two.cross_platform_conversions), "fitted to case study 1 alone"),
    )
    return Backtest(rows=rows, level=chosen)

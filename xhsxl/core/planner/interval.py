"""How far a new campaign may land from its forecast: the spread behind the planner's prediction interval.

A forecast's band is a prediction interval at a stated level (default 80 %): the range that holds a new
campaign's actual impressions, conversions or revenue with that probability, if the campaign behaves like
the evidence the benchmarks came from. It is built on the log scale, where the funnel is additive::

    ln(metric per ¥) = Σ ± ln(benchmark)  (impressions: −ln CPM; conversions: −ln CPM + ln CTR + ln CVR; …)

so a campaign's deviation from the forecast is the sum of its deviations in each benchmark. A :class:`Spread`
holds, for each metric, the standard deviation of that sum for one campaign (``log_sd``), how much the
benchmarks' own estimation error adds (a leverage term, from the calibration's design), and the distribution
of the standardised error (Student's t on the calibration's degrees of freedom, or normal for a prior).

Two sources, each written down:

- **A history** (:func:`xhsxl.core.planner.calibrate`): ``log_sd`` is the spread of the sum of each past
  campaign's residuals in the log-funnel equations (so correlated deviations — a cheap CPM with a low CTR —
  are counted as they happened), on n − p degrees of freedom; the leverage is that of ordinary least squares,
  1/n + (x₀ − x̄)² / Σ(x − x̄)² with x = ln(spend / s_ref) when the curvature is fitted, 1/n when it is fixed.
  The half-width is t_{n−p} · log_sd · √(1 + leverage): the textbook prediction interval, exact when the curvature
  is fixed and slightly wide when it is fitted (the level equations then have different designs; the largest
  leverage is used).
- **No history** (:data:`PRIOR_SPREAD`): priors taken from the articles, with a normal quantile. What a ¥
  buys (impressions, engagements, visits): ln 1.40 ≈ 0.336, article 003's "the CPM … increases by 40%" for the
  same audience — the only stated swing in the price of attention. What it sells (conversions, revenue):
  ln(1 / (1 − 0.40)) ≈ 0.511, article 000's case study 1 landing "40% lower than industry benchmarks" on cost
  per acquisition — how far a campaign lands from the benchmark. AOV is taken as the client's own price, with
  no spread of its own; the off-platform share carries its own width (:func:`~xhsxl.core.planner.spillover_share`).

Articles are cited by their number, 000 to 004 (listed in :mod:`xhsxl.core.figures`).
"""

from __future__ import annotations

import functools
import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Mapping

from xhsxl.core.errors import XhsInputError
from xhsxl.core.figures import CASE_1_CPA_BELOW_BENCHMARK, DIMINISHING_RETURNS
from xhsxl.core.validate import describe

__all__ = [
    "DEFAULT_LEVEL",
    "SPREAD_METRICS",
    "EQUATION_SIGNS",
    "PRIOR_SPREAD",
    "Spread",
    "check_level",
    "normal_quantile",
]

#: The level of a forecast's interval unless told otherwise: 80 %, one campaign in five outside it.
DEFAULT_LEVEL: float = 0.80

#: Metrics whose spread a :class:`Spread` holds (direct, on-platform: the off-platform share adds its own).
SPREAD_METRICS: tuple[str, ...] = ("impressions", "engagements", "visits", "conversions", "revenue")

#: Sign of each log-funnel equation's residual in a metric's log per ¥ (calibrate's equations: cpm is
#: ln(¥ per 1,000 impressions), so a positive residual means fewer impressions).
EQUATION_SIGNS: Mapping[str, Mapping[str, int]] = {
    "impressions": {"cpm": -1},
    "engagements": {"cpm": -1, "engagement_rate": 1},
    "visits": {"cpm": -1, "ctr": 1},
    "conversions": {"cpm": -1, "ctr": 1, "cvr": 1},
    "revenue": {"cpm": -1, "ctr": 1, "cvr": 1, "aov": 1},
}


def check_level(level: Any) -> float:
    """The interval level as a float in (0, 1); 80 and 80 % are read as 0.8.

    >>> check_level(0.9), check_level(80)
    (0.9, 0.8)
    >>> check_level(1)
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: level must lie strictly between 0 and 1 (or 0 and 100 %) (got 1)
    """
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not math.isfinite(level):
        raise XhsInputError(f"level must be a number between 0 and 1 (got {describe(level)})")
    value = float(level) / 100 if 1 < level < 100 else float(level)
    if not 0 < value < 1:
        raise XhsInputError(f"level must lie strictly between 0 and 1 (or 0 and 100 %) (got {describe(level)})")
    return value


@functools.lru_cache(maxsize=64)
def _two_sided(level: float, dof: float | None) -> float:
    # Kept: scipy's quantile functions cost ~0.1 ms a call, and a forecast asks for the same few many times.
    # The normal quantile needs no scipy; Student's t imports it here, on a calibrated forecast's first call, so
    # that importing the Excel functions does not (xlwings Lite downloads what is imported).
    if dof is None:
        return statistics.NormalDist().inv_cdf(0.5 + level / 2)
    from scipy import special  # Student's t quantile itself (what stats.t.ppf calls), without scipy.stats' 0.4 s import

    return float(special.stdtrit(dof, 0.5 + level / 2))


def normal_quantile(level: float) -> float:
    """z such that a normal variable lies within ± z standard deviations with probability ``level``.

    >>> round(normal_quantile(0.8), 4)
    1.2816
    """
    return _two_sided(check_level(level), None)


@dataclass(frozen=True)
class Spread:
    """The spread of a new campaign about its forecast, per metric, on the log scale.

    ``log_sd[m]`` is the standard deviation of ln(actual / forecast) for one campaign, before the benchmarks'
    estimation error; ``dof`` the degrees of freedom of its estimate (None: known, a normal quantile);
    ``rows``, ``x_mean``, ``x_ss`` describe the calibration's design (x = ln(spend / ``reference_spend``)):
    the leverage is 1/rows + (x₀ − x_mean)² / x_ss, or 1/rows when ``x_ss`` is None, or 0 with no rows.
    ``parameter_var[m]`` is a fixed estimation variance added instead (a benchmark table's standard errors).
    """

    log_sd: Mapping[str, float]
    dof: float | None = None
    rows: int | None = None
    x_mean: float = 0.0
    x_ss: float | None = None
    reference_spend: float = DIMINISHING_RETURNS["budget_before"].value
    parameter_var: Mapping[str, float] = field(default_factory=dict)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for metric in SPREAD_METRICS:
            value = self.log_sd.get(metric)
            if value is None or not math.isfinite(value) or value < 0:
                raise XhsInputError(f"spread of {metric} must be a number ≥ 0 (got {describe(value)})")

    def quantile(self, level: float) -> float:
        """The standardised half-width at ``level``: Student's t on ``dof`` degrees of freedom, or normal."""
        return _two_sided(check_level(level), None if self.dof is None else float(self.dof))

    def leverage(self, spend: float) -> float:
        """The benchmarks' estimation variance at a line of ``spend`` ¥, relative to one campaign's."""
        if not self.rows:
            return 0.0
        if self.x_ss is None or self.x_ss <= 0:
            return 1.0 / self.rows
        x = math.log(spend / self.reference_spend)
        return 1.0 / self.rows + (x - self.x_mean) ** 2 / self.x_ss

    def half_width(self, metric: str, level: float, leverage: float = 0.0) -> float:
        """ln(high / forecast) = ln(forecast / low) for ``metric`` at ``level``:
        quantile × √(log_sd² · (1 + leverage) + parameter_var).

        >>> round(PRIOR_SPREAD.half_width("revenue", 0.8), 4)  # 1.2816 × ln(1 / 0.6)
        0.6547
        """
        sd = self.log_sd[metric]
        variance = sd * sd * (1.0 + leverage) + self.parameter_var.get(metric, 0.0)
        return self.quantile(level) * math.sqrt(variance)


_PRICE_SWING = math.log(1 + DIMINISHING_RETURNS["cpm_change"].value)
_LANDING_SWING = math.log(1 / (1 - CASE_1_CPA_BELOW_BENCHMARK.value))

#: The spread used with no history: the articles' own swings (module doc), a normal quantile.
PRIOR_SPREAD: Spread = Spread(
    log_sd={"impressions": _PRICE_SWING, "engagements": _PRICE_SWING, "visits": _PRICE_SWING,
            "conversions": _LANDING_SWING, "revenue": _LANDING_SWING},
    source=(f"prior: impressions, engagements, visits ± ln 1.40 = {_PRICE_SWING:.3f} (003: "
            f"'{DIMINISHING_RETURNS['cpm_change'].quote}'); conversions, revenue ± ln(1/0.6) = {_LANDING_SWING:.3f} "
            f"(000: case study 1 '{CASE_1_CPA_BELOW_BENCHMARK.quote}'), as one standard deviation"),
)

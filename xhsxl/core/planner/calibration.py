"""Calibration: the funnel benchmarks fitted to a client's own past campaigns.

The case-study defaults (:func:`~xhsxl.core.planner.funnel.case_study_benchmarks`) describe two campaigns of
someone else's. A client with a history does better with its own: :func:`calibrate` takes one row per past
campaign (or per budget line of past campaigns — rows should be of the kind the forecast's lines will be,
since the curvature acts on each line's spend) and fits the log funnel by ordinary least squares::

    ln(1000 · spend / impressions)  = ln CPM₀ + a · ln(spend / s_ref) + ε₁        (CPM and its curvature)
    ln(engagements / impressions)   = ln engagement rate + ε₂
    ln(visits / impressions)        = ln CTR + ε₃                                  (when visits are given)
    ln(conversions / visits)        = ln CVR₀ + b · ln(spend / s_ref) + ε₄         (conversions / impressions
                                                                                    and the default CTR without)
    ln(revenue / conversions)       = ln AOV + ε₅

Each equation is fitted on its own. Standard errors are the usual OLS ones (residual variance on n − p
degrees of freedom); a level's error is carried to the ¥ or rate scale by the delta method (value × the
error of its log), and its range in the returned benchmarks is value × exp(∓ that error) — about a 68 %
interval. The elasticity's error treats the two slopes as independent. ``residual_sd`` is the standard
deviation of the log residuals: 0.10 means a campaign typically lands about 10 % from the fitted line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.planner.funnel import (
    BENCHMARK_TABLE_HEADER,
    DEFAULT_BENCHMARKS,
    DEFAULT_CPM_CURVATURE,
    DEFAULT_CVR_CURVATURE,
    DEFAULT_REFERENCE_SPEND,
    Benchmark,
    FunnelBenchmarks,
)
from xhsxl.core.planner.interval import EQUATION_SIGNS, PRIOR_SPREAD, Spread
from xhsxl.core.validate import describe, numeric, single_number

__all__ = ["CALIBRATION_MIN_ROWS", "Estimate", "Calibration", "calibrate"]

#: Fewest history rows :func:`calibrate` accepts: fitting the curvature (two parameters and an error) needs
#: three; with the curvature fixed at article 003's, two (one parameter and an error).
CALIBRATION_MIN_ROWS: dict[str, int] = {"with_curvature": 3, "fixed_curvature": 2}

_LEVELS = ("cpm", "engagement_rate", "ctr", "cvr", "aov")
_UNITS = {
    "cpm": "CNY per 1,000 impressions", "engagement_rate": "engagements per impression",
    "ctr": "visits per impression", "cvr": "conversions per visit", "aov": "CNY per order",
    "cpm_curvature": "exponent of spend", "cvr_curvature": "exponent of spend",
    "elasticity": "d ln revenue / d ln spend", "reference_spend": "CNY",
}


@dataclass(frozen=True)
class Estimate:
    """One fitted number: its value, standard error (same unit; None if not fitted), the error of its log
    (levels only), the residual standard deviation of its equation (log scale) and how it was obtained."""

    name: str
    value: float
    std_error: float | None
    log_std_error: float | None
    residual_sd: float | None
    how: str

    @property
    def low(self) -> float:
        """value × exp(−log error) for levels, value − error for exponents, value when not fitted."""
        if self.log_std_error is not None:
            return self.value * math.exp(-self.log_std_error)
        return self.value - self.std_error if self.std_error is not None else self.value

    @property
    def high(self) -> float:
        if self.log_std_error is not None:
            return self.value * math.exp(self.log_std_error)
        return self.value + self.std_error if self.std_error is not None else self.value


@dataclass(frozen=True)
class Calibration:
    """Benchmarks fitted to a history: the estimates, the number of rows and how the fit was made."""

    estimates: tuple[Estimate, ...]
    rows: int
    reference_spend: float
    fitted_curvature: bool
    used_visits: bool
    spread: Spread | None = None

    def estimate(self, name: str) -> Estimate:
        return next(item for item in self.estimates if item.name == name)

    @property
    def benchmarks(self) -> FunnelBenchmarks:
        """The fit as forecast benchmarks (each level's range ± one standard error). Raises
        :class:`XhsInputError` if the fitted curvature is unusable (returns growing faster than spend)."""
        levels = {}
        for name in _LEVELS:
            item = self.estimate(name)
            if name == "ctr" and not self.used_visits:
                levels[name] = DEFAULT_BENCHMARKS.ctr
                continue
            levels[name] = Benchmark(name, item.low, item.value, item.high, source=item.how)
        try:
            return FunnelBenchmarks(
                cpm=levels["cpm"], engagement_rate=levels["engagement_rate"], ctr=levels["ctr"], cvr=levels["cvr"],
                aov=levels["aov"], cpm_curvature=self.estimate("cpm_curvature").value,
                cvr_curvature=self.estimate("cvr_curvature").value, reference_spend=self.reference_spend,
                source=f"fitted to {self.rows} history rows",
                # Without a spread of its own the fit keeps the benchmarks' default (the articles' priors).
                spread=PRIOR_SPREAD if self.spread is None else self.spread,
            )
        except XhsInputError as error:
            raise XhsInputError(
                f"the history's fitted curvature cannot be used for a forecast: {error}; calibrate with the "
                "curvature fixed at article 003's instead"
            ) from None

    def table(self) -> list[list[Any]]:
        """Header ``BENCHMARK_TABLE_HEADER`` then 9 rows: cpm, engagement_rate, ctr, cvr, aov, cpm_curvature,
        cvr_curvature, elasticity, reference_spend — with low / base / high, the standard error and the
        equation's residual standard deviation. The same shape as the default benchmarks' table, so it can be
        handed to the forecast."""
        rows: list[list[Any]] = [list(BENCHMARK_TABLE_HEADER)]
        for item in self.estimates:
            rows.append([item.name, item.low, item.value, item.high, item.std_error, item.residual_sd,
                         _UNITS[item.name], item.how])
        return rows


def _column(value: Any, name: str, size: int | None) -> np.ndarray:
    array = numeric(value, name, gt=0).reshape(-1)
    if size is not None and array.size != size:
        raise XhsInputError(f"{name} must have one value per history row ({size}), got {array.size}")
    return array


def _fit(x: np.ndarray, y: np.ndarray, slope: float | None, kept: dict[str, np.ndarray] | None = None,
         name: str = "") -> tuple[float, float, float, float | None, float]:
    """Intercept, slope, their standard errors and the residual sd of y = c + s·x (s fitted when None); the
    residuals are kept under ``name`` for the prediction interval."""
    n = y.size
    if slope is None:
        design = np.column_stack([np.ones(n), x])
        coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
        residuals = y - design @ coefficients
        dof = n - 2
        variance = float(residuals @ residuals) / dof
        covariance = variance * np.linalg.inv(design.T @ design)
        if kept is not None:
            kept[name] = residuals
        return (float(coefficients[0]), float(coefficients[1]), math.sqrt(covariance[0, 0]),
                math.sqrt(covariance[1, 1]), math.sqrt(variance))
    intercept = float(np.mean(y - slope * x))
    residuals = y - slope * x - intercept
    variance = float(residuals @ residuals) / (n - 1)
    if kept is not None:
        kept[name] = residuals
    return intercept, slope, math.sqrt(variance / n), None, math.sqrt(variance)


def _spread(residuals: dict[str, np.ndarray], x: np.ndarray, fitted_curvature: bool, reference: float,
            rows: int) -> Spread:
    """The spread of a new campaign about the fit: each metric's summed log residuals (module doc)."""
    parameters = 2 if fitted_curvature else 1
    dof = rows - parameters
    log_sd = {}
    for metric, signs in EQUATION_SIGNS.items():
        total = sum(sign * residuals.get(name, 0.0) for name, sign in signs.items())
        log_sd[metric] = math.sqrt(float(np.dot(total, total)) / dof)
    centre = float(np.mean(x))
    spread_x = float(np.sum((x - centre) ** 2))
    return Spread(
        log_sd=log_sd, dof=dof, rows=rows, x_mean=centre, x_ss=spread_x if fitted_curvature else None,
        reference_spend=reference,
        source=f"{rows} past campaigns: each metric's summed log-funnel residuals on {dof} degrees of freedom",
    )


def _level(name: str, log_value: float, log_error: float, residual: float, how: str) -> Estimate:
    value = math.exp(log_value)
    if not math.isfinite(value) or value <= 0:
        raise XhsInputError(f"the fitted {name} is out of range ({value:.4g}); check the history's units")
    return Estimate(name, value, value * log_error, log_error, residual, how)


def calibrate(
    spend: Any,
    impressions: Any,
    engagements: Any,
    conversions: Any,
    revenue: Any,
    visits: Any = None,
    reference_spend: float = DEFAULT_REFERENCE_SPEND,
    fit_curvature: bool = True,
) -> Calibration:
    """Fit the funnel benchmarks and their curvature to a client's past campaigns.

    Parameters
    ----------
    spend : array_like
        Spend of each past campaign (or budget line), ¥ (> 0).
    impressions, engagements, conversions : array_like
        Its counts (> 0; engagements and conversions not above impressions).
    revenue : array_like
        Its revenue, ¥ (> 0). If revenue includes other platforms' sales while conversions are Xiaohongshu's
        only, the fitted AOV absorbs the spillover: forecast with no stage then.
    visits : array_like, optional
        Clicks or profile visits (> 0, between conversions and impressions). Without them CTR and CVR cannot
        be told apart: conversions per impression is fitted and split with the default CTR (case study 1).
    reference_spend : float, optional
        Spend at which CPM₀ and CVR₀ are quoted, ¥ (default ¥200,000).
    fit_curvature : bool, optional
        Fit the curvature a, b (default; at least 3 rows with different spends) or keep article 003's
        (at least 2 rows).

    Returns
    -------
    Calibration
        ``.estimates`` (value, standard error, residual sd per benchmark), ``.benchmarks`` for
        :func:`~xhsxl.core.planner.forecast`, ``.table()`` for Excel.

    Raises
    ------
    XhsInputError
        Too few rows, columns of different lengths, a value ≤ 0, counts out of order, or all spends equal
        when the curvature is fitted.

    Notes
    -----
    Least squares on the log funnel (module doc). Rows are weighted equally; a row's spend enters only
    through x = ln(spend / reference_spend).

    References
    ----------
    003, Minefield 2 (the curvature fitted here, ≈ 0.367 and 0.053 in the article's example); 001,
    "establish baseline metrics" (a client's own history as the benchmark).

    Examples
    --------
    Three campaigns that follow the default funnel exactly give back its benchmarks with zero error:

    >>> from xhsxl.core.planner.funnel import funnel
    >>> spend = [100_000.0, 200_000.0, 400_000.0]
    >>> f = funnel(spend, 80, 0.01, 0.015, 0.04, 350)
    >>> fit = calibrate(spend, f.impressions, f.engagements, f.direct_conversions, f.direct_revenue, f.visits)
    >>> round(fit.estimate("cpm").value, 6), round(fit.estimate("cpm_curvature").value, 4)
    (80.0, 0.3672)
    >>> round(fit.estimate("cvr").value, 6), round(fit.estimate("aov").value, 6), fit.estimate("aov").std_error
    (0.04, 350.0, 0.0)
    >>> calibrate([1.0, 2.0], [1e3, 2e3], [10.0, 20.0], [1.0, 2.0], [100.0, 200.0])
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: calibrate needs at least 3 history rows to fit the curvature and its error (got 2); add past campaigns, or keep article 003's curvature (fit_curvature=False) with 2 rows or more
    """
    spend_ = _column(spend, "spend", None)
    n = spend_.size
    fit = bool(fit_curvature)
    needed = CALIBRATION_MIN_ROWS["with_curvature" if fit else "fixed_curvature"]
    if n < needed:
        if fit:
            raise XhsInputError(
                f"calibrate needs at least {needed} history rows to fit the curvature and its error (got {n}); add "
                f"past campaigns, or keep article 003's curvature (fit_curvature=False) with "
                f"{CALIBRATION_MIN_ROWS['fixed_curvature']} rows or more"
            )
        raise XhsInputError(f"calibrate needs at least {needed} history rows to estimate an error (got {n})")
    shown = _column(impressions, "impressions", n)
    engaged = _column(engagements, "engagements", n)
    converted = _column(conversions, "conversions", n)
    sales = _column(revenue, "revenue", n)
    clicked = None if visits is None else _column(visits, "visits", n)
    reference_value = single_number(reference_spend, "reference_spend", gt=0)

    def check_order(smaller: np.ndarray, small_name: str, larger: np.ndarray, large_name: str) -> None:
        bad = smaller > larger
        if bad.any():
            row = int(np.argmax(bad))
            raise XhsInputError(
                f"{small_name} must not exceed {large_name} (row {row + 1}: {describe(smaller[row])} > "
                f"{describe(larger[row])})"
            )

    check_order(engaged, "engagements", shown, "impressions")
    if clicked is None:
        check_order(converted, "conversions", shown, "impressions")
    else:
        check_order(clicked, "visits", shown, "impressions")
        check_order(converted, "conversions", clicked, "visits")

    with np.errstate(all="ignore"):
        x = np.log(spend_ / reference_value)
        logs = {
            "cpm": np.log(1000.0 * spend_ / shown), "engagement_rate": np.log(engaged / shown),
            "aov": np.log(sales / converted),
        }
    if not all(np.isfinite(v).all() for v in (x, *logs.values())):
        raise XhsInputError("the history's values are too large or too small to fit; check the units")
    if fit and float(np.ptp(x)) == 0.0:
        raise XhsInputError(
            "spend must differ between history rows to fit the curvature (every row spent "
            f"{describe(spend_[0])}); keep article 003's curvature (fit_curvature=False) instead"
        )

    where = f"least squares on {n} rows"
    residuals: dict[str, np.ndarray] = {}
    cpm_c, a, cpm_se, a_se, cpm_sd = _fit(x, logs["cpm"], None if fit else DEFAULT_CPM_CURVATURE, residuals, "cpm")
    estimates = [_level("cpm", cpm_c, cpm_se, cpm_sd, f"{where}: ln CPM = ln CPM₀ + a·ln(spend/s_ref)")]
    er_c, _, er_se, _, er_sd = _fit(x, logs["engagement_rate"], 0.0, residuals, "engagement_rate")
    estimates.append(_level("engagement_rate", er_c, er_se, er_sd, f"{where}: mean ln(engagements/impressions)"))
    if clicked is not None:
        ctr_c, _, ctr_se, _, ctr_sd = _fit(x, np.log(clicked / shown), 0.0, residuals, "ctr")
        estimates.append(_level("ctr", ctr_c, ctr_se, ctr_sd, f"{where}: mean ln(visits/impressions)"))
        cvr_c, b, cvr_se, b_se, cvr_sd = _fit(x, np.log(converted / clicked), None if fit else DEFAULT_CVR_CURVATURE,
                                              residuals, "cvr")
        cvr_how = f"{where}: ln(conversions/visits) = ln CVR₀ + b·ln(spend/s_ref)"
    else:
        ctr = DEFAULT_BENCHMARKS.ctr.base
        estimates.append(Estimate("ctr", ctr, None, None, None, "no visits in the history: default (case study 1)"))
        # conversions per impression: its residual stands for CTR's and CVR's together (visits unmeasured)
        cvr_c, b, cvr_se, b_se, cvr_sd = _fit(x, np.log(converted / shown), None if fit else DEFAULT_CVR_CURVATURE,
                                              residuals, "cvr")
        cvr_c -= math.log(ctr)
        cvr_how = f"{where}: ln(conversions/impressions) = ln(CTR·CVR₀) + b·ln(spend/s_ref), default CTR"
    estimates.append(_level("cvr", cvr_c, cvr_se, cvr_sd, cvr_how))
    if estimates[-1].value > 1:
        raise XhsInputError(f"the fitted conversion rate is above 100 % ({estimates[-1].value:.4g}); check that "
                            "conversions and visits are counts of the same campaigns")
    aov_c, _, aov_se, _, aov_sd = _fit(x, logs["aov"], 0.0, residuals, "aov")
    estimates.append(_level("aov", aov_c, aov_se, aov_sd, f"{where}: mean ln(revenue/conversions)"))
    fixed = "article 003 (not fitted)"
    estimates.append(Estimate("cpm_curvature", a, a_se, None, cpm_sd, f"{where}: slope of ln CPM" if fit else fixed))
    estimates.append(Estimate("cvr_curvature", b, b_se, None, cvr_sd, f"{where}: slope of ln CVR" if fit else fixed))
    # Both slopes carry a standard error exactly when they were fitted.
    elasticity_se = math.hypot(a_se, b_se) if a_se is not None and b_se is not None else None
    estimates.append(Estimate("elasticity", 1 - a + b, elasticity_se, None, None,
                              "1 − cpm_curvature + cvr_curvature" + (" (slopes taken as independent)" if fit else "")))
    estimates.append(Estimate("reference_spend", reference_value, None, None, None, "argument"))
    return Calibration(estimates=tuple(estimates), rows=n, reference_spend=reference_value, fitted_curvature=fit,
                       used_visits=clicked is not None,
                       spread=_spread(residuals, x, fit, reference_value, n))

"""Campaign planner: forecast before the campaign, steer the reserve during it.

Article 000's centrepiece is an ROI *calculator* — budget components in, estimated revenue, projected ROI and
a recommendation out — and it asks for a 15–20 % reserve moved to what performs best at 24 h, 72 h and 7
days. This package is that calculator and that steering:

- :mod:`~xhsxl.core.planner.funnel` — :func:`forecast`: each budget line's spend → impressions (CPM) →
  engagements → visits (CTR) → conversions (CVR) → revenue (AOV), plus cross-platform sales from a measured
  or stated off-platform share, → ROI (net, ratio, profit), with diminishing returns per line (article 003)
  and a prediction interval at a stated level (:mod:`~xhsxl.core.planner.interval`). Default benchmarks are derived from the two case studies of article 000
  (:func:`case_study_benchmarks`, the derivation is written there).
- :mod:`~xhsxl.core.planner.calibration` — :func:`calibrate`: the same benchmarks fitted to a client's own
  past campaigns by least squares on the log funnel, with standard errors and the spread of a new campaign.
- :mod:`~xhsxl.core.planner.backtest` — :func:`backtest`: leave-one-out over past campaigns, the error and
  bias of the forecast and how often its interval held the actual.
- :mod:`~xhsxl.core.planner.advice` — :func:`recommend`: findings in English and Chinese, each with the
  numbers behind it.
- :mod:`~xhsxl.core.planner.reserve` — :func:`reallocate`: the reserve moved to the lines with the highest
  marginal return under curves estimated from checkpoint results, conserved exactly.
"""

from xhsxl.core.planner.backtest import BACKTEST_TABLE_HEADER, Backtest, BacktestRow, backtest, case_study_backtest
from xhsxl.core.planner.advice import FINDING_CODES, RECOMMENDATION_ROWS, Finding, findings_column, recommend
from xhsxl.core.planner.calibration import CALIBRATION_MIN_ROWS, Calibration, calibrate
from xhsxl.core.planner.funnel import (
    MAX_SPILLOVER_SHARE,
    BAND_TABLE_HEADER,
    BENCHMARK_TABLE_HEADER,
    CASES,
    DEFAULT_BENCHMARKS,
    DEFAULT_CPM_CURVATURE,
    DEFAULT_CVR_CURVATURE,
    DEFAULT_GROSS_MARGIN,
    DEFAULT_REFERENCE_SPEND,
    CREATOR_LINES,
    FUNNEL_LINES,
    LINE_TABLE_HEADER,
    LINES,
    Benchmark,
    CaseForecast,
    Forecast,
    FunnelBenchmarks,
    FunnelResult,
    LineForecast,
    benchmarks_from_table,
    case_study_benchmarks,
    case_study_lines,
    fit_campaign,
    forecast,
    funnel,
    marginal_roas,
    normalize_line,
    plan_lines,
    spillover_share,
    spillover_from_sales,
    SPILLOVER_PRIORS,
)
from xhsxl.core.planner.interval import DEFAULT_LEVEL, PRIOR_SPREAD, Spread
from xhsxl.core.planner.reserve import REALLOCATION_TABLE_HEADER, Reallocation, ReserveLine, reallocate

__all__ = [
    "MAX_SPILLOVER_SHARE",
    "BACKTEST_TABLE_HEADER",
    "Backtest",
    "BacktestRow",
    "backtest",
    "case_study_backtest",
    "DEFAULT_LEVEL",
    "PRIOR_SPREAD",
    "SPILLOVER_PRIORS",
    "spillover_from_sales",
    "Spread",
    "BAND_TABLE_HEADER",
    "BENCHMARK_TABLE_HEADER",
    "CALIBRATION_MIN_ROWS",
    "CASES",
    "DEFAULT_BENCHMARKS",
    "DEFAULT_CPM_CURVATURE",
    "DEFAULT_CVR_CURVATURE",
    "DEFAULT_GROSS_MARGIN",
    "DEFAULT_REFERENCE_SPEND",
    "CREATOR_LINES",
    "FINDING_CODES",
    "FUNNEL_LINES",
    "LINE_TABLE_HEADER",
    "LINES",
    "REALLOCATION_TABLE_HEADER",
    "RECOMMENDATION_ROWS",
    "Benchmark",
    "Calibration",
    "CaseForecast",
    "Finding",
    "Forecast",
    "FunnelBenchmarks",
    "FunnelResult",
    "LineForecast",
    "Reallocation",
    "ReserveLine",
    "benchmarks_from_table",
    "calibrate",
    "case_study_benchmarks",
    "case_study_lines",
    "findings_column",
    "fit_campaign",
    "forecast",
    "funnel",
    "marginal_roas",
    "normalize_line",
    "plan_lines",
    "reallocate",
    "recommend",
    "spillover_share",
]

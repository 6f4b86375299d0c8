"""The forecast's band as a prediction interval, and the backtest that checks it on past campaigns.

The coverage tests draw histories from a known funnel with log-normal noise, calibrate on them, forecast a
new campaign and count how often the interval holds its actual figure: the count must match the stated level
within sampling error (three binomial standard deviations; seeded, so the test is deterministic).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from xhsxl.core import figures
from xhsxl.core.errors import XhsInputError
from xhsxl.core.planner import (
    BACKTEST_TABLE_HEADER,
    PRIOR_SPREAD,
    backtest,
    benchmarks_from_table,
    calibrate,
    case_study_backtest,
    case_study_lines,
    forecast,
    spillover_from_sales,
)
from xhsxl.core.planner.interval import check_level

ROOT = Path(__file__).resolve().parents[1]
TRUTH = {"cpm": 70.0, "a": 0.30, "engagement_rate": 0.015, "ctr": 0.016, "cvr": 0.045, "b": 0.05, "aov": 320.0}


def _campaigns(rng: np.random.Generator, spend: np.ndarray, noise: float):
    size = spend.size
    ratio = spend / 200_000

    def jitter() -> np.ndarray:
        return np.exp(rng.normal(0, noise, size))

    shown = 1000 * spend / (TRUTH["cpm"] * ratio ** TRUTH["a"]) * jitter()
    engaged = shown * TRUTH["engagement_rate"] * jitter()
    visits = shown * TRUTH["ctr"] * jitter()
    converted = visits * TRUTH["cvr"] * ratio ** TRUTH["b"] * jitter()
    revenue = converted * TRUTH["aov"] * jitter()
    return shown, engaged, visits, converted, revenue


def _coverage(fit_curvature: bool, level: float, reps: int = 600, rows: int = 8, noise: float = 0.15, seed: int = 11):
    rng = np.random.default_rng(seed)
    hits = {"impressions": 0, "conversions": 0, "revenue": 0}
    used = 0
    for _ in range(reps):
        spend = np.exp(rng.uniform(math.log(30_000), math.log(900_000), rows + 1))
        shown, engaged, visits, converted, revenue = _campaigns(rng, spend, noise)
        fitted = calibrate(spend[:-1], shown[:-1], engaged[:-1], converted[:-1], revenue[:-1], visits[:-1],
                           fit_curvature=fit_curvature)
        try:
            benchmarks = fitted.benchmarks
        except XhsInputError:  # a noisy fit with returns growing faster than spend: the planner refuses it
            continue
        used += 1
        result = forecast({"paid_ads": float(spend[-1])}, benchmarks=benchmarks, level=level)
        for metric, actual in (("impressions", shown[-1]), ("conversions", converted[-1]), ("revenue", revenue[-1])):
            hits[metric] += result.low.value(metric) <= actual <= result.high.value(metric)
    return {metric: count / used for metric, count in hits.items()}, used


@pytest.mark.parametrize("fit_curvature", [False, True])
@pytest.mark.parametrize("level", [0.8, 0.95])
def test_the_interval_holds_the_truth_at_its_stated_rate_on_histories_from_a_known_funnel(fit_curvature, level):
    rates, used = _coverage(fit_curvature, level)
    tolerance = 3 * math.sqrt(level * (1 - level) / used)
    for metric, rate in rates.items():
        assert abs(rate - level) <= tolerance, (metric, rate, level)


def test_a_higher_level_gives_a_wider_interval_around_the_same_base():
    narrow, wide = forecast(450_000, level=0.5), forecast(450_000, level=0.95)
    assert narrow.base == wide.base
    assert wide.low.total.revenue < narrow.low.total.revenue < narrow.base.total.revenue
    assert narrow.base.total.revenue < narrow.high.total.revenue < wide.high.total.revenue
    assert forecast(450_000, level=80).level == 0.8
    with pytest.raises(XhsInputError, match="level must"):
        forecast(450_000, level=100)


def test_with_no_history_the_width_is_the_articles_priors_and_says_so():
    result = forecast(case_study_lines(1))
    z = 1.2815515655446004
    assert result.high.total.revenue / result.base.total.revenue == pytest.approx(math.exp(z * math.log(1 / 0.6)))
    assert result.high.total.impressions / result.base.total.impressions == pytest.approx(math.exp(z * math.log(1.4)))
    assert PRIOR_SPREAD.log_sd["conversions"] == pytest.approx(-math.log(1 - figures.CASE_1_CPA_BELOW_BENCHMARK.value))
    assert "003" in result.interval_source and "000" in result.interval_source and "80%" in result.interval_source


def test_a_stated_spillover_range_widens_total_revenue_but_not_direct_revenue():
    measured = forecast(case_study_lines(2), spillover=0.56)
    prior = forecast(case_study_lines(2), spillover="case_study_2")
    assert prior.base.total.revenue == pytest.approx(measured.base.total.revenue)
    assert prior.high.total.direct_revenue == pytest.approx(measured.high.total.direct_revenue)
    assert prior.high.total.revenue > measured.high.total.revenue
    assert prior.low.total.revenue < measured.low.total.revenue
    assert prior.low.spillover_share == pytest.approx(0.42) and prior.high.spillover_share == pytest.approx(0.70)
    wide = forecast(case_study_lines(2), spillover="users")
    assert wide.low.total.cross_platform_revenue == 0  # the wide prior reaches "no off-platform sales"


def test_more_history_noise_gives_a_wider_calibrated_interval():
    rng = np.random.default_rng(3)
    spend = np.exp(rng.uniform(math.log(30_000), math.log(900_000), 12))
    widths = []
    for noise in (0.05, 0.3):
        shown, engaged, visits, converted, revenue = _campaigns(np.random.default_rng(4), spend, noise)
        fitted = calibrate(spend, shown, engaged, converted, revenue, visits, fit_curvature=False).benchmarks
        result = forecast({"mid": 200_000}, benchmarks=fitted)
        widths.append(result.high.total.revenue / result.low.total.revenue)
        assert fitted.spread.dof == 11 and "12 past campaigns" in fitted.spread.source
    assert widths[0] < widths[1]


def test_a_calibration_table_carries_a_spread_and_a_plain_benchmark_table_keeps_the_prior():
    spend = np.array([60_000.0, 120_000.0, 240_000.0, 480_000.0, 700_000.0])
    shown, engaged, visits, converted, revenue = _campaigns(np.random.default_rng(5), spend, 0.1)
    table = calibrate(spend, shown, engaged, converted, revenue, visits).table()
    spread = benchmarks_from_table(table).spread
    assert spread.log_sd["revenue"] > 0 and "independent" in spread.source
    plain = [["benchmark", "low", "base", "high"], ["aov", 300, 350, 380]]
    assert benchmarks_from_table(plain).spread == PRIOR_SPREAD


def _example_history():
    with open(ROOT / "examples" / "history.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = {key: [float(row[key]) for row in rows] for key in rows[0] if key not in ("campaign", "month")}
    return [row["campaign"] for row in rows], columns


def test_backtest_of_the_example_history_reports_each_campaign_and_the_overall_figures():
    names, columns = _example_history()
    result = backtest(columns["spend"], columns["impressions"], columns["engagements"], columns["conversions"],
                      columns["revenue"], columns["visits"], names)
    table = result.table()
    assert table[0] == list(BACKTEST_TABLE_HEADER) and len(table) == 1 + len(names) + 3
    assert [row[0] for row in table[1:-3]] == names
    assert table[-3][0] == "overall MAPE" and table[-3][6] == pytest.approx(result.mape("revenue"))
    assert table[-1][13] == result.coverage("revenue")
    for row in result.rows:
        assert row.revenue_low <= row.forecast_revenue <= row.revenue_high
        assert row.revenue_error == pytest.approx(row.forecast_revenue / row.actual_revenue - 1)
    # The example history is noisy around a steady funnel: errors of a few to 30 %, no large bias.
    assert 0.05 < result.mape("revenue") < 0.25 and abs(result.bias("revenue")) < 0.05


def test_backtest_refuses_a_history_too_short_to_hold_one_out():
    with pytest.raises(XhsInputError, match="at least 4 past campaigns"):
        backtest([1e5, 2e5, 3e5], [1e6, 2e6, 3e6], [1e4, 2e4, 3e4], [100, 200, 300], [3e4, 6e4, 9e4])
    with pytest.raises(XhsInputError, match="campaigns must name each history row"):
        backtest([1e5, 2e5, 3e5], [1e6, 2e6, 3e6], [1e4, 2e4, 3e4], [100, 200, 300], [3e4, 6e4, 9e4],
                 campaigns=["a"], fit_curvature=False)


def test_each_case_study_forecast_from_the_other_is_within_5_percent_on_revenue_and_inside_the_interval():
    result = case_study_backtest()
    assert [row.campaign for row in result.rows] == ["000 case study 1", "000 case study 2"]
    assert all(abs(row.revenue_error) < 0.05 for row in result.rows)
    assert result.coverage("revenue") == 1.0 and result.coverage("conversions") == 1.0


def test_level_reads_fractions_and_percentages():
    assert check_level(0.9) == 0.9 and check_level(90) == 0.9
    for bad in (0, 100, -1, True, "80 %"):
        with pytest.raises(XhsInputError, match="level must"):
            check_level(bad)


def test_the_backtest_tables_in_docs_planner_md_are_what_the_code_gives():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_planner_tables", ROOT / "docs" / "make_planner_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (ROOT / "docs" / "planner.md").read_text(encoding="utf-8")
    assert module.with_blocks(page) == page, "run `python docs/make_planner_tables.py` and commit docs/planner.md"


def test_a_campaigns_own_sales_give_its_measured_off_platform_share():
    two = figures.CASE_STUDY_2
    share = spillover_from_sales((1 - two.other_channel_revenue_share) * two.revenue,
                                 two.other_channel_revenue_share * two.revenue)
    assert share.low == share.base == share.high == pytest.approx(0.56) and share.source.startswith("measured")
    assert spillover_from_sales(0, 0).base == 0
    with pytest.raises(XhsInputError, match="95 %"):
        spillover_from_sales(1, 99)
    # Forecast with it, case 2's own lines and benchmarks give its revenue back.
    result = forecast(case_study_lines(2), "maturity", spillover=share)
    assert result.spillover.source.startswith("measured")

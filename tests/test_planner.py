"""The campaign planner: forecast, calibration, recommendations and reserve reallocation.

The case studies of article 000 are the fixed points: the defaults are derived from them, so case study 1
comes back exactly, and a benchmark set fitted to case study 2 gives case study 2 back. The properties the
issue asks for — more budget never lowers a line's revenue nor raises its marginal ROI, the band is ordered,
the fit recovers known parameters, the reserve is conserved exactly — are checked on random inputs.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xhsxl import udfs
from xhsxl.core import figures
from xhsxl.core.errors import XhsInputError
from xhsxl.core.planner import (
    BAND_TABLE_HEADER,
    BENCHMARK_TABLE_HEADER,
    DEFAULT_BENCHMARKS,
    DEFAULT_CPM_CURVATURE,
    DEFAULT_CVR_CURVATURE,
    FINDING_CODES,
    FUNNEL_LINES,
    LINE_TABLE_HEADER,
    LINES,
    REALLOCATION_TABLE_HEADER,
    RECOMMENDATION_ROWS,
    Benchmark,
    Finding,
    benchmarks_from_table,
    calibrate,
    case_study_benchmarks,
    case_study_lines,
    findings_column,
    fit_campaign,
    forecast,
    funnel,
    marginal_roas,
    normalize_line,
    plan_lines,
    reallocate,
    recommend,
    spillover_share,
)

CASE1, CASE2 = figures.CASE_STUDY_1, figures.CASE_STUDY_2
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------------------ defaults


def test_curvature_is_article_003s_cpm_plus_40_and_cvr_plus_5_percent_for_2_5x_budget():
    assert 2.5 ** DEFAULT_CPM_CURVATURE == pytest.approx(1.40, rel=1e-14)
    assert 2.5 ** DEFAULT_CVR_CURVATURE == pytest.approx(1.05, rel=1e-14)
    assert DEFAULT_BENCHMARKS.elasticity == pytest.approx(figures.DEFAULT_ELASTICITY.value, rel=1e-14)
    assert DEFAULT_BENCHMARKS.reference_spend == 200_000


def test_default_benchmarks_are_derived_from_the_case_studies():
    d = DEFAULT_BENCHMARKS
    assert d.ctr.base == CASE1.profile_visitors / CASE1.impressions
    assert d.aov.base == CASE1.revenue / CASE1.direct_conversions == 400
    assert d.aov.low == pytest.approx(0.44 * 4_920_000 / 8_600)
    assert d.engagement_rate.base == CASE2.engagements / CASE2.impressions
    assert d.engagement_rate.low == CASE1.new_followers / CASE1.impressions
    assert d.cvr.low == pytest.approx(d.cvr.base * 0.6)  # CPA 40 % below the industry's
    assert d.cpm.base == d.cpm.high and d.cpm.low < d.cpm.base  # case 2 bought impressions cheaper
    assert round(d.cpm.base, 2) == 85.28 and round(d.cpm.low, 2) == 55.59


def test_case_study_lines_split_creator_fees_by_creators_times_typical_fee_and_add_up_exactly():
    one, two = case_study_lines(1), case_study_lines(2)
    assert sum(one.values()) == 450_000 and sum(two.values()) == 680_000
    assert one["mid"] / one["micro"] == pytest.approx(5 * 10_000 / (15 * 4_000))
    assert two["top"] / two["micro"] == pytest.approx(3 * 75_000 / (25 * 4_000))
    with pytest.raises(XhsInputError, match="case must be 1 or 2"):
        case_study_lines(3)


def test_case_study_1_is_reproduced_by_the_defaults_it_calibrated():
    base = forecast(case_study_lines(1)).base
    assert base.total.impressions == pytest.approx(CASE1.impressions, rel=1e-12)
    assert base.total.visits == pytest.approx(CASE1.profile_visitors, rel=1e-12)
    assert base.total.direct_conversions == pytest.approx(CASE1.direct_conversions, rel=1e-12)
    assert base.total.revenue == pytest.approx(CASE1.revenue, rel=1e-12)
    assert round(base.roi * 100) == 273
    assert base.total.cross_platform_revenue == 0


def test_case_study_2_is_reproduced_once_calibrated_on_it():
    lines = case_study_lines(2)
    direct = (1 - CASE2.other_channel_revenue_share) * CASE2.revenue
    fitted = fit_campaign(lines, CASE2.impressions, CASE2.direct_conversions, direct, engagements=CASE2.engagements)
    base = forecast(lines, benchmarks=fitted, spillover=CASE2.other_channel_revenue_share).base
    assert base.total.impressions == pytest.approx(CASE2.impressions, rel=1e-12)
    assert base.total.engagements == pytest.approx(CASE2.engagements, rel=1e-12)
    assert base.total.direct_conversions == pytest.approx(CASE2.direct_conversions, rel=1e-12)
    assert base.total.revenue == pytest.approx(CASE2.revenue, rel=1e-12)
    assert round(base.roi * 100) == 624
    # Cross-platform orders are assumed to have the direct AOV (¥252 against the reported ¥246): within 3 %.
    assert base.total.cross_platform_conversions == pytest.approx(CASE2.cross_platform_conversions, rel=0.03)


def test_each_case_study_at_its_own_stage_with_its_own_measured_inputs_gives_back_its_actuals():
    # Case 1 reports no off-platform sales: its measured share is 0, whatever its stage's budget split says.
    one = forecast(case_study_lines(1), "cold_start", spillover=0.0).base
    assert one.total.revenue == pytest.approx(CASE1.revenue, rel=1e-12) and round(one.roi * 100) == 273
    assert forecast(case_study_lines(1), "cold_start").base.total.revenue == pytest.approx(CASE1.revenue, rel=1e-12)
    direct = (1 - CASE2.other_channel_revenue_share) * CASE2.revenue
    fitted = fit_campaign(case_study_lines(2), CASE2.impressions, CASE2.direct_conversions, direct,
                          engagements=CASE2.engagements)
    two = forecast(case_study_lines(2), "maturity", fitted, spillover=CASE2.other_channel_revenue_share).base
    assert two.total.revenue == pytest.approx(CASE2.revenue, rel=1e-12) and round(two.roi * 100) == 624


def test_each_case_study_forecast_from_the_other_alone_lands_inside_the_80_percent_interval():
    case_1_only = fit_campaign(case_study_lines(1), CASE1.impressions, CASE1.direct_conversions, CASE1.revenue,
                               visits=CASE1.profile_visitors)
    direct = (1 - CASE2.other_channel_revenue_share) * CASE2.revenue
    case_2_only = fit_campaign(case_study_lines(2), CASE2.impressions, CASE2.direct_conversions, direct,
                               engagements=CASE2.engagements)
    checks = (
        (forecast(case_study_lines(2), "maturity", case_1_only, spillover=CASE2.other_channel_revenue_share),
         {"impressions": CASE2.impressions, "conversions": CASE2.direct_conversions + CASE2.cross_platform_conversions,
          "revenue": CASE2.revenue, "roi": CASE2.revenue / CASE2.total_cost - 1}),
        (forecast(case_study_lines(1), "cold_start", case_2_only, spillover=0.0),
         {"impressions": CASE1.impressions, "conversions": CASE1.direct_conversions, "revenue": CASE1.revenue,
          "roi": CASE1.revenue / CASE1.total_cost - 1}),
    )
    for result, actuals in checks:
        assert result.level == 0.8
        for metric, actual in actuals.items():
            low, base, high = (result.case(c).value(metric) for c in ("low", "base", "high"))
            assert low <= actual <= high, metric


def test_reference_spend_only_says_where_the_benchmarks_are_quoted():
    moved = case_study_benchmarks(reference_spend=50_000)
    assert moved.cpm.base != DEFAULT_BENCHMARKS.cpm.base
    for lines in (case_study_lines(2), plan_lines(1_000_000)):
        a = forecast(lines, "growth").base.total
        b = forecast(lines, "growth", moved).base.total
        assert b.revenue == pytest.approx(a.revenue, rel=1e-12)
        assert b.impressions == pytest.approx(a.impressions, rel=1e-12)


def test_spillover_comes_from_a_measurement_or_a_stated_prior_never_from_the_stage():
    measured = spillover_share(0.3)
    assert (measured.low, measured.base, measured.high, measured.source) == (0.3, 0.3, 0.3, "measured")
    prior = spillover_share("case_study_2")
    assert prior.base == CASE2.other_channel_revenue_share
    assert prior.high == pytest.approx(figures.SPILLOVER_USER_SHARE.value) and prior.low == pytest.approx(0.42)
    assert "56%" in prior.source and "80 % range" in prior.source
    wide = spillover_share("users")
    assert (wide.low, wide.high) == (0.0, figures.SPILLOVER_USER_SHARE.value) and "003" in wide.source
    assert spillover_share(None).high == 0 and "direct sales only" in spillover_share("").source
    for stage in ("cold_start", "成长期", "maturity"):
        with pytest.raises(XhsInputError, match="budget split"):
            spillover_share(stage)
    # The stage no longer moves sales off-platform; a stated share does.
    assert forecast(450_000, "growth").base.total.cross_platform_revenue == 0
    result = forecast(450_000, "growth", spillover=0.5).base
    assert result.total.cross_platform_revenue / result.total.revenue == pytest.approx(0.5)
    with pytest.raises(XhsInputError, match="spillover must be"):
        spillover_share("teen")
    with pytest.raises(XhsInputError, match="stage must be one of"):
        forecast(450_000, "teen")




# ------------------------------------------------------------------------------------------ funnel


def test_funnel_at_the_reference_spend_applies_the_benchmarks_as_they_are():
    result = funnel(200_000, 50, 0.01, 0.02, 0.05, 300, 0.25)
    assert result.impressions == 4_000_000 and result.engagements == 40_000
    assert result.direct_conversions == pytest.approx(4_000)
    assert result.cross_platform_revenue == pytest.approx(result.direct_revenue / 3)
    assert marginal_roas(200_000, 50, 0.02, 0.05, 300) == pytest.approx(figures.DEFAULT_ELASTICITY.value * 6)


def test_funnel_broadcasts_and_caps_the_conversion_rate():
    result = funnel(np.array([0.0, 1e5, 1e30]), 50, 0.01, 0.02, 0.9, 300)
    assert result.impressions[0] == 0 and result.revenue[0] == 0
    assert result.direct_conversions[2] <= result.visits[2]
    assert result.direct_conversions[2] == pytest.approx(result.visits[2])  # capped at 100 %


@pytest.mark.parametrize("call, message", [
    (lambda: funnel(-1, 50, 0.01, 0.02, 0.05, 300), "spend must be at least 0"),
    (lambda: funnel(1, 50, 0.01, 1.5, 0.05, 300), "ctr must be at most 1"),
    (lambda: funnel(1, 50, 0.01, 0.02, 0.05, 300, cpm_curvature=0.1, cvr_curvature=0.2), r"in \(0, 1\]"),
    (lambda: marginal_roas(0, 50, 0.02, 0.05, 300), "spend must be greater than 0"),
    (lambda: forecast({"radio": 1}), "line must be one of"),
    (lambda: forecast({"mid": 0}), "every amount is 0"),
    (lambda: forecast(450_000, gross_margin=0.1, commission_rate=0.1), "must exceed commission_rate"),
    (lambda: Benchmark("aov", 300, 200, 400), "low ≤ base ≤ high"),
])
def test_bad_planner_input_names_the_argument(call, message):
    with pytest.raises(XhsInputError, match=message):
        call()


def test_forecast_tables_have_fixed_shapes_whatever_the_lines():
    for lines in (450_000, {"mid": 1_000}, case_study_lines(2), {"nano": 5_000, "reserve": 1_000}):
        result = forecast(lines, "growth")
        band = result.table()
        assert band[0] == list(BAND_TABLE_HEADER) and len(band) == 17 and {len(r) for r in band} == {6}
        table = result.lines_table("low")
        assert table[0] == list(LINE_TABLE_HEADER) and len(table) == 10 and {len(r) for r in table} == {14}
        assert [row[0] for row in table[1:]] == list(LINES) + ["total"]


def test_rows_add_up_to_the_total_and_the_reserve_row_is_the_pro_rata_deployment():
    lines = plan_lines(600_000)
    assert sum(lines.values()) == 600_000
    result = forecast(lines, "maturity").base
    for field in ("spend", "impressions", "revenue", "direct_conversions"):
        assert math.fsum(getattr(row, field) for row in result.lines) == pytest.approx(getattr(result.total, field))
    reserve = lines.pop("reserve")
    media = sum(lines[line] for line in FUNNEL_LINES if line in lines)
    spread = {line: amount + (reserve * amount / media if line in FUNNEL_LINES else 0.0) for line, amount in lines.items()}
    assert forecast(spread, "maturity").base.total.revenue == pytest.approx(result.total.revenue, rel=1e-12)
    assert result.line("reserve").revenue > 0


def test_forecast_accepts_pairs_aliases_and_per_line_multipliers():
    pairs = forecast([("Paid Ads", 100_000), ("腰部达人", 100_000)])
    assert pairs.lines["paid_ads"] == pairs.lines["mid"] == 100_000
    dearer = forecast({"paid_ads": 100_000, "mid": 100_000}, cpm_index={"paid_ads": 2.0})
    assert dearer.base.line("paid_ads").impressions == pytest.approx(dearer.base.line("mid").impressions / 2)
    assert normalize_line("creators_top") == "top"


amounts = st.floats(min_value=0, max_value=5e6, allow_nan=False)
line_plans = st.dictionaries(st.sampled_from(LINES), amounts, min_size=1).filter(lambda d: sum(d.values()) > 1)
benchmark_sets = st.builds(
    lambda cpm, spread, cvr, aov, a, b: DEFAULT_BENCHMARKS.with_values(
        cpm=(cpm, cpm * spread, cpm * spread * spread), cvr=(cvr / spread, cvr, min(1.0, cvr * spread)),
        aov=(aov / spread, aov, aov * spread), cpm_curvature=a, cvr_curvature=min(b, a)),
    st.floats(5, 500), st.floats(1, 2), st.floats(0.001, 0.5), st.floats(20, 2_000), st.floats(0, 0.9), st.floats(0, 0.5),
)
stages = st.sampled_from([None, "cold_start", "growth", "maturity"])


@FAST
@given(line_plans, st.sampled_from(FUNNEL_LINES), st.floats(1, 1e6), stages, benchmark_sets,
       st.dictionaries(st.sampled_from(FUNNEL_LINES), st.floats(0.2, 50)))
def test_more_budget_on_a_line_never_lowers_its_revenue_nor_raises_its_marginal_roi(lines, line, extra, stage,
                                                                                   benchmarks, cvr_index):
    before = forecast(lines, stage, benchmarks, cvr_index=cvr_index)
    more = dict(lines)
    more[line] = more.get(line, 0.0) + extra
    after = forecast(more, stage, benchmarks, cvr_index=cvr_index)
    for case in ("low", "base", "high"):
        old, new = before.case(case).line(line), after.case(case).line(line)
        assert new.revenue >= old.revenue * (1 - 1e-12)
        assert new.direct_conversions >= old.direct_conversions * (1 - 1e-12)
        if old.marginal_roi is not None:
            assert new.marginal_roi <= old.marginal_roi + 1e-9 * abs(old.marginal_roi)


@FAST
@given(line_plans, stages, benchmark_sets, st.floats(0.3, 1), st.floats(0, 0.2), st.floats(0, 0.25))
def test_the_band_is_ordered_low_base_high(lines, stage, benchmarks, margin, refunds, commission):
    if (1 - refunds) * margin <= commission:
        return
    result = forecast(lines, stage, benchmarks, margin, refunds, commission)
    for metric in ("impressions", "visits", "direct_conversions", "conversions", "revenue", "roi", "roas", "profit",
                   "profit_roi"):
        low, base, high = (result.case(case).value(metric) for case in ("low", "base", "high"))
        tolerance = 1e-9 * max(1.0, abs(base))
        assert low <= base + tolerance and base <= high + tolerance, metric


# ------------------------------------------------------------------------------------------ calibration


TRUTH = {"cpm": 70.0, "cpm_curvature": 0.30, "engagement_rate": 0.015, "ctr": 0.016, "cvr": 0.045,
         "cvr_curvature": 0.05, "aov": 320.0}


def _history(rows: int, noise: float, seed: int):
    rng = np.random.default_rng(seed)
    spend = np.exp(rng.uniform(np.log(30_000), np.log(900_000), rows))
    ratio = spend / 200_000
    shown = 1000 * spend / (TRUTH["cpm"] * ratio ** TRUTH["cpm_curvature"]) * np.exp(rng.normal(0, noise, rows))
    engaged = shown * TRUTH["engagement_rate"] * np.exp(rng.normal(0, noise, rows))
    visits = shown * TRUTH["ctr"] * np.exp(rng.normal(0, noise, rows))
    converted = visits * TRUTH["cvr"] * ratio ** TRUTH["cvr_curvature"] * np.exp(rng.normal(0, noise, rows))
    revenue = converted * TRUTH["aov"] * np.exp(rng.normal(0, noise, rows))
    return spend, shown, engaged, converted, revenue, visits


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fit_recovers_known_parameters_from_noisy_data(seed):
    spend, shown, engaged, converted, revenue, visits = _history(60, 0.08, seed)
    fit = calibrate(spend, shown, engaged, converted, revenue, visits)
    for name, truth in TRUTH.items():
        estimate = fit.estimate(name)
        assert abs(estimate.value - truth) <= 4 * estimate.std_error, (name, estimate, truth)
        assert estimate.residual_sd == pytest.approx(0.08 * (math.sqrt(2) if name in ("cvr", "cvr_curvature") else 1),
                                                     rel=0.4)
    assert fit.estimate("cpm").value == pytest.approx(TRUTH["cpm"], rel=0.1)
    assert fit.estimate("cpm_curvature").value == pytest.approx(TRUTH["cpm_curvature"], abs=0.05)
    benchmarks = fit.benchmarks
    assert benchmarks.cpm.low < benchmarks.cpm.base < benchmarks.cpm.high


def test_without_visits_the_fit_splits_conversions_per_impression_with_the_default_ctr():
    spend, shown, engaged, converted, revenue, _ = _history(60, 0.05, 4)
    fit = calibrate(spend, shown, engaged, converted, revenue)
    ctr = DEFAULT_BENCHMARKS.ctr.base
    assert fit.estimate("ctr").value == ctr and fit.estimate("ctr").std_error is None
    assert fit.estimate("cvr").value * ctr == pytest.approx(TRUTH["ctr"] * TRUTH["cvr"], rel=0.05)


def test_noiseless_history_from_the_defaults_gives_the_defaults_back():
    d = DEFAULT_BENCHMARKS
    spend = [50_000.0, 120_000.0, 300_000.0, 700_000.0]
    f = funnel(spend, d.cpm.base, d.engagement_rate.base, d.ctr.base, d.cvr.base, d.aov.base)
    fit = calibrate(spend, f.impressions, f.engagements, f.direct_conversions, f.direct_revenue, f.visits)
    for name in ("cpm", "engagement_rate", "ctr", "cvr", "aov"):
        assert fit.estimate(name).value == pytest.approx(getattr(d, name).base, rel=1e-10)
    assert fit.estimate("cpm_curvature").value == pytest.approx(DEFAULT_CPM_CURVATURE, abs=1e-10)
    assert fit.estimate("cvr_curvature").value == pytest.approx(DEFAULT_CVR_CURVATURE, abs=1e-10)


def test_calibration_refuses_too_few_rows_and_constant_spend_clearly():
    one_row = ([100_000.0], [1e6], [1e4], [500.0], [2e5])
    with pytest.raises(XhsInputError, match=r"at least 3 history rows.*\(got 1\)"):
        calibrate(*one_row)
    with pytest.raises(XhsInputError, match="at least 2 history rows"):
        calibrate(*one_row, fit_curvature=False)
    with pytest.raises(XhsInputError, match="spend must differ"):
        calibrate([1e5] * 3, [1e6, 1.1e6, 0.9e6], [1e4] * 3, [500.0] * 3, [2e5] * 3)
    two = calibrate([1e5, 2e5], [1e6, 1.7e6], [1e4, 1.6e4], [500.0, 800.0], [2e5, 3.1e5], fit_curvature=False)
    assert two.estimate("cpm_curvature").value == DEFAULT_CPM_CURVATURE and two.estimate("cpm").std_error > 0
    with pytest.raises(XhsInputError, match="conversions must not exceed visits"):
        calibrate([1e5, 2e5, 3e5], [1e6] * 3, [1e4] * 3, [500.0, 900.0, 600.0], [2e5] * 3, [800.0] * 3)


def test_a_calibration_table_feeds_the_forecast_and_round_trips():
    spend, shown, engaged, converted, revenue, visits = _history(12, 0.05, 5)
    fit = calibrate(spend, shown, engaged, converted, revenue, visits)
    table = fit.table()
    assert table[0] == list(BENCHMARK_TABLE_HEADER) and len(table) == 10 and {len(r) for r in table} == {8}
    read = benchmarks_from_table(table)
    assert read == fit.benchmarks
    assert benchmarks_from_table(DEFAULT_BENCHMARKS.table()) == DEFAULT_BENCHMARKS
    assert forecast(300_000, benchmarks=read).base.total.revenue > 0


# ------------------------------------------------------------------------------------------ recommendations


def _codes(plan):
    return [finding.code for finding in recommend(plan)]


def test_each_finding_is_raised_by_the_situation_it_describes():
    assert "share_out_of_range" in _codes(forecast({**plan_lines(450_000), "content_production": 20_000}))
    assert "below_breakeven" in _codes(forecast(450_000, gross_margin=0.2))  # even the top of the interval loses
    assert "past_flattening" in _codes(forecast({"paid_ads": 3e8}))
    assert "marginal_gap" in _codes(forecast({"mid": 900_000, "micro": 20_000}))
    assert "marginal_below_breakeven" in _codes(forecast({"paid_ads": 300_000}, gross_margin=0.3))
    assert "low_case_loss" in _codes(forecast(450_000))  # break-even lies inside the 80 % interval
    assert "share_outside_observed" in _codes(forecast({**plan_lines(450_000), "tech_analytics": 0.0}))
    healthy = forecast(450_000, "growth", gross_margin=0.8)
    assert _codes(healthy) == ["plan_ok"]


def test_findings_carry_both_languages_and_their_numbers_and_come_most_severe_first():
    findings = recommend(forecast({"mid": 3e8, "micro": 20_000}, gross_margin=0.3))
    order = {"high": 0, "medium": 1, "info": 2}
    assert [order[f.severity] for f in findings] == sorted(order[f.severity] for f in findings)
    for finding in findings:
        assert FINDING_CODES[finding.code] == finding.severity
        assert finding.message_en and any("\u4e00" <= ch <= "\u9fff" for ch in finding.message_zh)
        assert finding.numbers
    flattening = next(f for f in findings if f.code == "past_flattening")
    assert flattening.numbers["marginal_roas"] < 1
    assert f"¥{flattening.numbers['marginal_roas']:.2f}" in flattening.message_en


def test_the_findings_column_is_always_header_plus_a_fixed_number_of_rows():
    many = [Finding("plan_ok", "info", None, f"finding {i}", f"建议{i}") for i in range(20)]
    for findings in ([], many[:3], many):
        column = findings_column(findings)
        assert len(column) == RECOMMENDATION_ROWS + 1 and all(len(row) == 1 for row in column)
    assert findings_column(many)[-1] == ["… and 9 more findings"]
    assert findings_column(many[:1], language="zh")[1] == ["[提示] 建议0"]
    with pytest.raises(XhsInputError, match="language must be"):
        findings_column(many, language="fr")


# ------------------------------------------------------------------------------------------ reallocation


def test_reallocation_favours_the_better_line_and_equalises_marginal_returns():
    plan = reallocate(["a", "b", "c"], [50_000, 50_000, 50_000], [150_000, 100_000, 50_000], 300_000)
    amounts = plan.amounts()
    assert amounts["a"] > amounts["b"] > amounts["c"] == 0
    assert plan.multiplier is not None
    free = [line for line in plan.lines if line.binding is None]
    for line in free:
        assert line.marginal_after == pytest.approx(plan.multiplier, rel=1e-9)
    for line in plan.lines:
        if line.binding == "none":
            assert line.marginal_before <= plan.multiplier * (1 + 1e-9)


def test_reallocation_uses_fitted_curves_with_several_checkpoints():
    # b's results flatten between checkpoints, a's do not: a's fitted elasticity is higher.
    plan = reallocate(["a", "a", "a", "b", "b", "b"], [10e3, 30e3, 60e3, 10e3, 30e3, 60e3],
                      [30e3, 90e3, 180e3, 60e3, 100e3, 120e3], 50_000, hours=[24, 72, 168, 24, 72, 168])
    a, b = plan.lines
    assert a.curve == b.curve == "fitted" and a.elasticity == pytest.approx(1.0) and b.elasticity < 0.5
    assert a.checkpoint_hours == 168 and a.spend_so_far == 60e3
    assert a.amount > b.amount


def test_reallocation_reports_lines_without_results_and_respects_planned_spend():
    plan = reallocate(["a", "b"], [20_000, 20_000], [50_000, 50_000], 10_000, lines_order=["a", "b", "c"],
                      planned={"b": 200_000})
    assert [line.line for line in plan.lines] == ["a", "b", "c"]
    assert plan.lines[2].curve == "no results" and plan.lines[2].amount == 0
    assert plan.lines[0].amount > plan.lines[1].amount  # b's next ¥ is measured after its planned ¥200,000
    table = plan.table()
    assert table[0] == list(REALLOCATION_TABLE_HEADER) and len(table) == 5 and table[-1][10] == 10_000


@pytest.mark.parametrize("call, message", [
    (lambda: reallocate(["a"], [10.0], [5.0], 100.0, caps={"a": 50.0}), "less than the reserve"),
    (lambda: reallocate(["a"], [0.0], [0.0], 100.0), "no line has results"),
    (lambda: reallocate(["a", "a"], [10.0, 5.0], [5.0, 6.0], 100.0, hours=[24, 72]), "spend of line a falls"),
    (lambda: reallocate(["a", "a"], [10.0, 15.0], [5.0, 6.0], 100.0, hours=[24, 24]), "same hour"),
    (lambda: reallocate(["a"], [10.0], [5.0], 100.0, caps={"z": 1.0}), "names line 'z'"),
    (lambda: reallocate(["a"], [10.0], [5.0], 0.0), "reserve must be greater than 0"),
])
def test_bad_reallocation_input_is_refused_with_the_reason(call, message):
    with pytest.raises(XhsInputError, match=message):
        call()


reserves = st.one_of(st.floats(1e-3, 1e9), st.sampled_from([80_000.1, 0.1 + 0.2, 1e6 / 3, 123_456.789]))


@FAST
@given(st.lists(st.tuples(st.floats(1, 1e6), st.one_of(st.just(0.0), st.floats(1e-3, 5e6))), min_size=1, max_size=6),
       reserves,
       st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=6, max_size=6), st.floats(0.05, 1))
def test_reallocation_conserves_the_reserve_exactly_and_respects_caps(rows, reserve, cap_shares, elasticity):
    names = [f"line {i}" for i in range(len(rows))]
    if not any(result > 0 for _, result in rows):
        return
    caps = {name: share * reserve for name, share in zip(names, cap_shares) if share is not None}
    room = sum(caps.get(name, reserve) for name, (_, result) in zip(names, rows) if result > 0)
    if room < reserve * (1 - 1e-12):  # caps short of the reserve by more than rounding
        with pytest.raises(XhsInputError, match="less than the reserve|no line has results"):
            reallocate(names, [s for s, _ in rows], [r for _, r in rows], reserve, caps=caps, elasticity=elasticity)
        return
    plan = reallocate(names, [s for s, _ in rows], [r for _, r in rows], reserve, caps=caps, elasticity=elasticity)
    amounts = [line.amount for line in plan.lines]
    assert sum(amounts) == reserve and math.fsum(amounts) == reserve and sum(reversed(amounts)) == reserve
    for line in plan.lines:
        assert 0 <= line.amount <= line.cap + 1e-9 * reserve
        if line.result_so_far == 0:
            assert line.amount == 0


# ------------------------------------------------------------------------------------------ Excel


def test_planner_udfs_return_the_cores_tables():
    lines = [["line", "amount"]] + [[line, amount] for line, amount in case_study_lines(1).items()]
    assert udfs.XHS_FORECAST(lines) == forecast(case_study_lines(1)).table()
    assert udfs.XHS_FORECAST_ROI(lines) == pytest.approx(1_680_000 / 450_000 - 1, rel=1e-12)
    assert udfs.XHS_FORECAST_ROI(450_000.0, "growth", "high", "ratio") == forecast(450_000, "growth").roi("high", "ratio")
    assert udfs.XHS_FORECAST_LINES(450_000.0, None, "low") == forecast(450_000).lines_table("low")
    column = udfs.XHS_RECOMMEND(450_000.0, None, "zh")
    assert len(column) == RECOMMENDATION_ROWS + 1 and column[0] == ["建议"]


def test_a_kept_forecast_is_given_back_only_for_the_same_arguments_of_the_same_types():
    lines = [["line", "amount"], ["mid", 200_000.0], ["paid_ads", 50_000.0]]
    udfs._forecast_kept.cache_clear()
    first = udfs.XHS_FORECAST_ROI(lines, "growth")
    assert udfs.XHS_FORECAST_ROI(lines, "growth") == first
    assert udfs._forecast_kept.cache_info().hits == 1
    changed = [row[:] for row in lines]
    changed[1][1] = 200_001.0  # one yuan more is a new forecast
    assert udfs.XHS_FORECAST_ROI(changed, "growth") == forecast({"mid": 200_001, "paid_ads": 50_000}, "growth").roi()
    # 1 and TRUE are equal in Python but not to Excel: a margin of TRUE is refused, not read as 100 %
    assert udfs.XHS_FORECAST_ROI(lines, "growth", "base", "profit", None, 1.0) == pytest.approx(
        forecast({"mid": 200_000, "paid_ads": 50_000}, "growth", gross_margin=1.0).roi("base", "profit"))
    with pytest.raises(XhsInputError, match="gross_margin"):
        udfs.XHS_FORECAST_ROI(lines, "growth", "base", "profit", None, True)
    assert udfs._cache_key([[1.0]]) != udfs._cache_key([[True]]) != udfs._cache_key([[1]])
    # what cannot be a key (an array from another caller) is forecast without keeping
    assert udfs._cache_key(np.array([1.0])) is None
    assert udfs.XHS_FORECAST(450_000.0) == udfs.XHS_FORECAST(np.float64(450_000.0))


def test_the_allocation_table_feeds_the_forecast_as_it_is():
    allocation = udfs.XHS_TIER_ALLOCATION(450_000.0, "growth")
    assert udfs.XHS_FORECAST(allocation, "growth") == udfs.XHS_FORECAST(450_000.0, "growth")


def test_calibrate_udf_output_feeds_the_forecast_udf():
    spend, shown, engaged, converted, revenue, visits = _history(8, 0.05, 6)
    history = [["campaign", "spend", "impressions", "engagements", "visits", "conversions", "revenue"]]
    history += [[f"c{i}", *values] for i, values in enumerate(zip(spend, shown, engaged, visits, converted, revenue))]
    table = udfs.XHS_CALIBRATE(history)
    assert len(table) == 10 and {len(row) for row in table} == {8}
    fitted = calibrate(spend, shown, engaged, converted, revenue, visits).benchmarks
    # The table carries each equation's residual sd and standard error, not their joint residuals: the base case
    # is the calibration's, the band the table's (equations taken as independent).
    from_table = forecast(300_000, benchmarks=benchmarks_from_table(calibrate(
        spend, shown, engaged, converted, revenue, visits).table()))
    assert udfs.XHS_FORECAST(300_000.0, None, table) == from_table.table()
    assert [row[4] for row in from_table.table()] == [row[4] for row in forecast(300_000, benchmarks=fitted).table()]
    assert from_table.benchmarks.spread.log_sd["revenue"] > 0
    for no in (False, 0.0, "FALSE", [[False]]):
        assert udfs.XHS_CALIBRATE(history, None, no)[6][2] == DEFAULT_CPM_CURVATURE
    with pytest.raises(XhsInputError, match="fit_curvature must be TRUE/FALSE, 1/0, yes/no, y/n or 是/否"):
        udfs.XHS_CALIBRATE(history, None, "maybe")


def test_reallocate_udf_reads_a_checkpoint_range_and_sums_to_the_reserve():
    table = [["line", "hours", "spend", "revenue", "conversions"],
             ["mid", "24h", 15_000.0, 52_000.0, 130.0], ["mid", "3d", 40_000.0, 131_000.0, 330.0],
             ["micro", 24.0, 10_000.0, 41_000.0, 100.0], ["top", "7d", None, None, None], [None, None, None, None, None]]
    out = udfs.XHS_REALLOCATE(table, 80_000.1, [["micro", 50_000.0]], "conversions")
    assert [row[0] for row in out] == ["line", "mid", "micro", "top", "total"]
    assert sum(row[10] for row in out[1:-1]) == out[-1][10] == 80_000.1
    assert out[1][1] == 72.0 and out[2][9] == 50_000.0

"""The ROI family and KPIs: the articles' case studies, hand values, properties, refusals."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from xhsxl.core import figures, metrics
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import numeric

money = st.floats(min_value=0, max_value=1e12, allow_nan=False)
positive_money = st.floats(min_value=1e-2, max_value=1e12, allow_nan=False)
share = st.floats(min_value=0, max_value=1)


def test_roi_matches_case_study_273_percent():
    case = figures.CASE_STUDY_1
    value = metrics.roi(case.revenue, case.total_cost)
    assert round(value * 100) == 273
    assert value == pytest.approx((1_680_000 - 450_000) / 450_000, rel=1e-15)


def test_roi_matches_case_study_624_percent():
    case = figures.CASE_STUDY_2
    assert round(metrics.roi(case.revenue, case.total_cost) * 100) == 624


def test_case_study_costs_add_up_to_their_totals():
    for case in (figures.CASE_STUDY_1, figures.CASE_STUDY_2):
        lines = case.creator_fees + case.content_production + case.paid_ads + case.tech_analytics
        assert lines == case.total_cost


@given(positive_money, money)
def test_ratio_roi_is_net_roi_plus_one(cost, revenue):
    assert metrics.roi(revenue, cost, "ratio") == pytest.approx(metrics.roi(revenue, cost, "net") + 1, rel=1e-12, abs=1e-12)


def test_roi_basis_accepts_platform_spellings_and_refuses_others():
    assert metrics.roi(300, 100, "ROAS") == 3.0
    assert metrics.roi(300, 100, " Ratio ") == 3.0
    with pytest.raises(XhsInputError, match="basis must be 'net' or 'ratio'"):
        metrics.roi(300, 100, "gross")


def test_roi_broadcasts_over_a_column_like_a_ufunc():
    revenue = np.array([1_680_000, 4_920_000, 0])
    out = metrics.roi(revenue, np.array([450_000, 680_000, 100]))
    assert isinstance(out, np.ndarray) and out.shape == (3,)
    assert out[2] == -1.0
    assert isinstance(metrics.roi(1, 1), float)


def test_roi_refuses_zero_cost_naming_the_argument_and_value():
    with pytest.raises(XhsInputError, match=r"cost must be greater than 0 \(got 0\)"):
        metrics.roi(100, 0)
    with pytest.raises(XhsInputError, match=r"cost must be greater than 0 \(got -5 at position 2\)"):
        metrics.roi([1, 2], [3, -5])


def test_profit_roi_by_hand():
    # 1.68M × (0.9 × 0.6 − 0.1) = 739,200 of profit before cost; − 450,000 → 289,200 / 450,000
    assert metrics.profit_roi(1_680_000, 450_000, 0.6, 0.1, 0.1) == pytest.approx(289_200 / 450_000)


@given(share, st.floats(0, 0.5), st.floats(0, 0.3), positive_money)
def test_breakeven_revenue_gives_zero_profit(margin, refunds, commission, cost):
    kept = (1 - refunds) * margin - commission
    if kept <= 0:
        with pytest.raises(XhsInputError, match="no ROAS breaks even"):
            metrics.breakeven_roas(margin, refunds, commission)
        return
    assume(kept > 1e-6)  # a break-even ROAS in the millions is right but tests nothing here
    revenue = metrics.breakeven_revenue(cost, margin, refunds, commission)
    assert metrics.profit_roi(revenue, cost, margin, refunds, commission) == pytest.approx(0, abs=1e-9)


def test_incremental_revenue_scales_baseline_to_campaign_length():
    assert metrics.incremental_revenue(900_000, 600_000, 30, 60) == 600_000
    assert metrics.incremental_revenue(100, 300) == -200  # a fall is reported, not hidden


def test_kpis_for_case_study_1_by_hand():
    assert metrics.cpm(450_000, 6_200_000) == pytest.approx(450_000 / 6_200)
    assert metrics.cpc(450_000, 85_000) == pytest.approx(450_000 / 85_000)
    assert metrics.cpa(450_000, 4_200) == pytest.approx(107.142857, rel=1e-6)
    assert metrics.ctr(85_000, 6_200_000) == pytest.approx(85_000 / 6_200_000)
    assert metrics.cvr(4_200, 85_000) == pytest.approx(4_200 / 85_000)
    assert metrics.aov(1_680_000, 4_200) == 400.0
    assert metrics.follower_growth_rate(12_500, 100_000) == 0.125


def test_engagements_are_juguangs_five_actions():
    assert metrics.engagements(1, 2, 3, 4, 5) == 15
    assert metrics.cpe(150, metrics.engagements(1, 2, 3, 4, 5)) == 10
    assert metrics.engagement_rate(168_000, 12_500_000) == pytest.approx(0.01344)
    assert metrics.save_rate(5, 1000) == 0.005


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: metrics.cpm(100, 0), "impressions must be greater than 0"),
        (lambda: metrics.cpa(100, 0), "conversions must be greater than 0"),
        (lambda: metrics.ctr(-1, 10), "clicks must be at least 0"),
        (lambda: metrics.aov(100, float("nan")), "orders must be a finite number"),
        (lambda: metrics.profit_roi(100, 10, 1.5), "gross_margin must be at most 1"),
        (lambda: metrics.roi("abc", 10), "revenue must be a number"),
        (lambda: metrics.roi(True, 10), "revenue must be a number, not a true/false value"),
        (lambda: metrics.roi(1e308, 1e-300), "too large to represent"),
    ],
)
def test_bad_input_raises_one_error_type_naming_the_argument(call, message):
    with pytest.raises(XhsInputError, match=message):
        call()


scalars = (st.floats() | st.integers(-2**1100, 2**1100) | st.sampled_from([0.0, -0.0, 10**400, -10**400, 1e308]))
bounds = st.none() | st.floats(-1e6, 1e6) | st.integers(-10, 10)


@given(scalars, bounds, bounds, bounds, bounds)
def test_a_plain_number_is_checked_exactly_as_an_array_of_one(value, gt, ge, lt, le):
    # numeric() takes a short way for Python numbers; it must answer as the general way does
    def outcome(argument):
        try:
            return numeric(argument, "x", gt=gt, ge=ge, lt=lt, le=le).tolist()
        except XhsInputError as error:
            return str(error)

    fast = outcome(value)
    assert repr(fast) == repr(outcome(np.array(value, dtype=object)))  # repr: -0.0 is not 0.0


def test_an_integer_too_large_for_a_float_is_an_input_error_not_a_crash():
    with pytest.raises(XhsInputError, match="revenue must be a finite number"):
        metrics.roi(10**400, 10)


def test_elasticity_figure_is_ln_1875_over_ln_25():
    assert figures.DEFAULT_ELASTICITY.value == pytest.approx(math.log(1.875) / math.log(2.5), rel=1e-12)
    assert round(figures.DEFAULT_ELASTICITY.value, 2) == 0.69

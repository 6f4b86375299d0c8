"""Engagement value, earned media and the blended return with its breakdown."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xhsxl.core import returns
from xhsxl.core.errors import XhsInputError

amount = st.floats(min_value=0, max_value=1e9)
weight = st.floats(min_value=0, max_value=1)


def test_engagement_value_sums_count_times_value_times_weight():
    counts = [100, 20, 5, 2, 1]
    values = [0.1, 2, 1, 1.5, 5]
    assert returns.engagement_value(counts, values) == pytest.approx(10 + 40 + 5 + 3 + 5)
    assert returns.engagement_value(counts, values, [1, 0, 1, 1, 1]) == pytest.approx(23)


def test_engagement_value_scores_many_campaigns_at_once():
    counts = np.array([[100, 20, 5, 2, 1], [0, 0, 0, 0, 10]])
    out = returns.engagement_value(counts, [0.1, 2, 1, 1.5, 5])
    assert out.tolist() == pytest.approx([63, 50])


def test_engagement_value_refuses_mismatched_sizes():
    with pytest.raises(XhsInputError, match="one value per action"):
        returns.engagement_value([1, 2, 3], [1, 2])


def test_earned_media_value_prices_reach_at_cpm():
    assert returns.earned_media_value(2_000_000, 60) == 120_000
    assert returns.earned_media_value(2_000_000, 60, 10_000, 2) == 140_000


def test_blended_return_of_case_study_2_is_its_revenue_and_roi_624_percent():
    blended = returns.blended_return(direct=2_164_800, cross_platform=2_755_200, cost=680_000)
    assert blended.total == pytest.approx(4_920_000)
    assert round(blended.roi * 100) == 624
    assert blended.shares()["cross_platform"] == pytest.approx(0.56)


@given(amount, st.floats(-1e8, 1e9), amount, st.floats(0, 1e4), amount, amount,
       st.lists(weight, min_size=5, max_size=5), weight)
def test_blended_return_is_weighted_sum_and_shares_add_to_one(direct, cross, customers, clv, engagement, brand,
                                                               weights, margin):
    blended = returns.blended_return(direct, cross, customers, clv, engagement, brand, weights, margin)
    expected = (weights[0] * margin * direct + weights[1] * margin * cross + weights[2] * customers * clv
                + weights[3] * engagement + weights[4] * brand)
    assert blended.total == pytest.approx(expected, rel=1e-9, abs=1e-6)
    if abs(blended.total) > 1e-6:
        assert sum(blended.shares().values()) == pytest.approx(1, rel=1e-9)
    table = blended.table()
    assert table[0][0] == "component" and table[-1][0] == "total"
    assert table[-1][5] == pytest.approx(blended.total)


def test_margin_applies_to_sales_only_not_to_clv_engagement_or_brand():
    blended = returns.blended_return(1000, 500, 10, 20, 300, 400, margin=0.5)
    assert blended.components == pytest.approx(
        {"direct": 500, "cross_platform": 250, "new_customers": 200, "engagement": 300, "brand": 400}
    )


def test_blended_roi_needs_a_positive_cost():
    with pytest.raises(XhsInputError, match="cost must be greater than 0"):
        returns.blended_roi(0, direct=100)
    with pytest.raises(XhsInputError, match="weights must have 5 values"):
        returns.blended_return(100, weights=[1, 1])

"""Diminishing-returns curves: hand values, derivatives, concavity, calibration, article 003's elasticity."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhsxl.core import figures
from xhsxl.core.errors import XhsInputError
from xhsxl.core.response import (
    hill_marginal,
    hill_response,
    implied_elasticity,
    marginal_response,
    power_marginal,
    power_response,
    power_scale_from_point,
    response,
)

spends = st.floats(min_value=1.0, max_value=1e8)
elasticities = st.floats(min_value=0.05, max_value=1.0)
shapes = st.floats(min_value=0.05, max_value=1.0)


# ---------------------------------------------------------------------------------------------- values


def test_power_response_hand_values():
    assert power_response(10_000, 3.0, 0.5) == 300.0
    assert power_response(0, 3.0, 0.5) == 0.0
    assert power_response(7.0, 2.0, 1.0) == 14.0


def test_power_response_doubling_spend_multiplies_return_by_two_to_the_elasticity():
    ratio = power_response(400_000, 5.0, 0.686) / power_response(200_000, 5.0, 0.686)
    assert ratio == pytest.approx(2 ** 0.686, rel=1e-14)


def test_hill_response_is_half_of_max_at_half_saturation_for_any_shape():
    for shape in (0.3, 0.7, 1.0):
        assert hill_response(250_000, 1_000_000, 250_000, shape) == pytest.approx(500_000, rel=1e-14)


def test_hill_response_hand_values_with_shape_one():
    # M s / (s + h): 1,000,000 × 300,000 / 400,000
    assert hill_response(300_000, 1_000_000, 100_000) == pytest.approx(750_000, rel=1e-14)
    assert hill_response(0, 1_000_000, 100_000) == 0.0


def test_hill_response_approaches_max_without_overflow_for_huge_spend():
    assert hill_response(1e300, 1_000.0, 1e-5, 1.0) == 1_000.0
    assert hill_marginal(1e300, 1_000.0, 1e-5, 1.0) == 0.0


def test_scalars_give_python_floats_and_arrays_broadcast():
    assert type(power_response(100, 1, 0.5)) is float
    assert type(hill_marginal(100, 1, 10)) is float
    out = power_response([[0, 100], [400, 900]], [1.0, 2.0], 0.5)
    np.testing.assert_allclose(out, [[0.0, 20.0], [20.0, 60.0]])
    assert out.shape == (2, 2)


def test_mismatched_sizes_raise_readable_error():
    with pytest.raises(XhsInputError, match="sizes do not match"):
        power_response([1, 2, 3], [1, 2], 0.5)


# ------------------------------------------------------------------------------------------ derivatives


@settings(max_examples=60, deadline=None)
@given(spend=spends, scale=st.floats(0.01, 1e4), elasticity=elasticities)
def test_power_marginal_matches_central_finite_difference(spend, scale, elasticity):
    step = spend * 1e-6
    numeric = (power_response(spend + step, scale, elasticity) - power_response(spend - step, scale, elasticity)) / (2 * step)
    assert power_marginal(spend, scale, elasticity) == pytest.approx(numeric, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(spend=spends, peak=st.floats(1.0, 1e9), half=st.floats(1.0, 1e8), shape=shapes)
def test_hill_marginal_matches_central_finite_difference(spend, peak, half, shape):
    step = spend * 1e-6
    upper = hill_response(spend + step, peak, half, shape)
    lower = hill_response(spend - step, peak, half, shape)
    numeric = (upper - lower) / (2 * step)
    # Where the curve is flat to machine precision the difference quotient is rounding noise.
    exact = hill_marginal(spend, peak, half, shape)
    assert exact == pytest.approx(numeric, rel=1e-5, abs=1e-9 * peak / spend)


def test_marginal_at_zero_spend_is_finite_for_unit_curvature():
    assert power_marginal(0, 2.0, 1.0) == 2.0
    assert hill_marginal(0, 1_000_000, 100_000, 1.0) == 10.0


def test_marginal_at_zero_spend_with_infinite_slope_is_refused_naming_spend():
    with pytest.raises(XhsInputError, match=r"spend must be greater than 0 where elasticity is below 1"):
        power_marginal(0, 2.0, 0.5)
    with pytest.raises(XhsInputError, match=r"spend must be greater than 0 where shape is below 1.*at position 2"):
        hill_marginal([5, 0], 1_000_000, 100_000, 0.5)


def test_marginals_hand_values():
    assert power_marginal(10_000, 2.0, 0.5) == pytest.approx(0.01, rel=1e-14)
    # M h / (s + h)² = 1e6 × 1e5 / (2e5)²
    assert hill_marginal(100_000, 1_000_000, 100_000) == pytest.approx(2.5, rel=1e-14)


@settings(max_examples=40, deadline=None)
@given(scale=st.floats(0.01, 1e4), elasticity=elasticities, peak=st.floats(1.0, 1e9),
       half=st.floats(1.0, 1e8), shape=shapes)
def test_curves_are_concave_and_increasing(scale, elasticity, peak, half, shape):
    grid = np.geomspace(1.0, 1e9, 200)
    for marginal in (power_marginal(grid, scale, elasticity), hill_marginal(grid, peak, half, shape)):
        assert (marginal >= 0).all()
        assert (np.diff(marginal) <= 1e-12 * marginal[:-1]).all()  # non-increasing slope = concave


# ------------------------------------------------------------------------------------------ dispatcher


def test_response_dispatches_by_case_insensitive_curve_name():
    assert response(400, " POWER ", 3.0, 0.5) == power_response(400, 3.0, 0.5)
    assert response(400, "Hill", 1_000, 100, 0.5) == hill_response(400, 1_000, 100, 0.5)
    assert marginal_response(400, "power", 3.0, 0.5) == power_marginal(400, 3.0, 0.5)
    assert marginal_response(400, "hill", 1_000, 100) == hill_marginal(400, 1_000, 100)


@pytest.mark.parametrize("curve", ["linear", "", None, 3])
def test_unknown_curve_is_rejected_listing_accepted_names(curve):
    with pytest.raises(XhsInputError, match=r"curve must be one of 'power', 'hill'"):
        response(100, curve, 1, 0.5)
    with pytest.raises(XhsInputError, match=r"curve must be one of 'power', 'hill'"):
        marginal_response(100, curve, 1, 0.5)


# ------------------------------------------------------------------------------ elasticity, calibration


def test_implied_elasticity_from_article_003_figures_is_ln_1875_over_ln_25():
    expected = math.log(1.875) / math.log(2.5)
    assert implied_elasticity() == pytest.approx(expected, rel=1e-14)
    assert implied_elasticity() == pytest.approx(0.686, abs=5e-4)
    assert implied_elasticity(200_000, 500_000, 0.40, 0.05) == implied_elasticity()
    assert implied_elasticity() == pytest.approx(figures.DEFAULT_ELASTICITY.value, rel=1e-14)


def test_implied_elasticity_without_cost_or_rate_changes_is_one():
    assert implied_elasticity(100_000, 300_000, 0.0, 0.0) == pytest.approx(1.0, rel=1e-14)


def test_implied_elasticity_vectorises():
    out = implied_elasticity([200_000, 100_000], 500_000, [0.40, 0.0], [0.05, 0.0])
    np.testing.assert_allclose(out, [math.log(1.875) / math.log(2.5), 1.0])


def test_implied_elasticity_equal_budgets_rejected():
    with pytest.raises(XhsInputError, match="budget_after must differ from budget_before"):
        implied_elasticity(200_000, 200_000, 0.1, 0.1)


def test_overflowing_results_raise_readable_error_without_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(XhsInputError):
            power_response(1e300, 1e300, 1.0)
        with pytest.raises(XhsInputError):
            implied_elasticity(1e-300, 1e300, 0.0, 0.0)
        with pytest.raises(XhsInputError):
            power_scale_from_point(1e-300, 1e300, 1.0)


@settings(max_examples=60, deadline=None)
@given(spend=spends, observed=st.floats(1e-3, 1e9), elasticity=elasticities)
def test_power_scale_from_point_passes_through_the_point(spend, observed, elasticity):
    scale = power_scale_from_point(spend, observed, elasticity)
    assert power_response(spend, scale, elasticity) == pytest.approx(observed, rel=1e-12)


def test_power_curve_with_implied_elasticity_reproduces_article_conversion_growth():
    # A curve through the ¥200k point with 003's elasticity yields 1.875× the conversions at ¥500k.
    elasticity = implied_elasticity()
    scale = power_scale_from_point(200_000, 1_000, elasticity)
    assert power_response(500_000, scale, elasticity) == pytest.approx(1_875, rel=1e-12)


# ------------------------------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: power_response(-1, 1, 0.5), "spend"),
        (lambda: power_response("abc", 1, 0.5), "spend"),
        (lambda: power_response(1, 0, 0.5), "scale"),
        (lambda: power_response(1, 1, 0), "elasticity"),
        (lambda: power_response(1, 1, 1.5), "elasticity"),
        (lambda: power_marginal(1, 1, True), "elasticity"),
        (lambda: hill_response(1, -1, 10), "max_response"),
        (lambda: hill_response(1, 1, 0), "half_saturation"),
        (lambda: hill_response(1, 1, 10, 2.0), "shape"),
        (lambda: hill_marginal(float("nan"), 1, 10), "spend"),
        (lambda: response(1, "hill", 1, 10, 0), "shape"),
        (lambda: implied_elasticity(0, 500_000, 0.4, 0.05), "budget_before"),
        (lambda: implied_elasticity(200_000, -5, 0.4, 0.05), "budget_after"),
        (lambda: implied_elasticity(200_000, 500_000, -1, 0.05), "cpm_change"),
        (lambda: implied_elasticity(200_000, 500_000, 0.4, None), "cvr_change"),
        (lambda: power_scale_from_point(0, 10, 0.5), "spend"),
        (lambda: power_scale_from_point(10, 0, 0.5), "response_at_spend"),
        (lambda: power_scale_from_point(10, 10, 0), "elasticity"),
    ],
)
def test_bad_inputs_raise_xhs_input_error_naming_the_argument(call, argument):
    with pytest.raises(XhsInputError) as error:
        call()
    assert str(error.value).startswith(argument + " ")


def test_error_message_shows_the_offending_value():
    with pytest.raises(XhsInputError, match=r"elasticity must be at most 1 \(got 1.5\)"):
        power_response(100, 1, 1.5)

"""Diminishing-returns response curves: what a budget buys, and what the next yuan buys.

Article 003 warns that "Xiaohongshu traffic has diminishing marginal effects": raising a monthly budget
from ¥200,000 to ¥500,000 raised CPM by 40 % while the conversion rate rose only 5 %. The optimiser in
:mod:`xhsxl.core.allocation` therefore needs concave curves ``f(spend)`` (expected return as a function of
spend) and their derivatives ``f'(spend)`` (the return of one more yuan). Two families cover practice:

- **power** ``scale · spend ** elasticity`` — constant elasticity; 003's figures imply an elasticity of
  about 0.686 (:func:`implied_elasticity`, ``figures.DEFAULT_ELASTICITY``).
- **hill** ``max_response · spendᵏ / (spendᵏ + half_saturationᵏ)`` — saturating at ``max_response``, the
  shape used in media-mix modelling.

Every function broadcasts like a numpy ufunc (scalars in → Python float out, arrays in → array out) and
raises :class:`~xhsxl.core.errors.XhsInputError` naming the argument for invalid input. The two
dispatchers :func:`response` and :func:`marginal_response` take the curve by name for the Excel functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.figures import DIMINISHING_RETURNS
from xhsxl.core.validate import ArrayLike, describe, first_position, numeric, scalar_or_array

__all__ = [
    "CURVE_NAMES",
    "curve_name",
    "power_response",
    "power_marginal",
    "hill_response",
    "hill_marginal",
    "response",
    "marginal_response",
    "implied_elasticity",
    "power_scale_from_point",
    "power_kernel",
    "power_marginal_kernel",
    "hill_kernel",
    "hill_marginal_kernel",
    "check_power_params",
    "check_hill_params",
]

#: The curve families :func:`response` accepts, with the meaning of ``param1`` and ``param2``.
CURVE_NAMES: dict[str, tuple[str, str]] = {
    "power": ("scale", "elasticity"),
    "hill": ("max_response", "half_saturation"),
}



# --------------------------------------------------------------------------------------------------
# Unchecked kernels (float arrays or floats in, same out). The optimiser calls these in its inner loops,
# after validating the parameters once; the public functions below validate and then call them.
# --------------------------------------------------------------------------------------------------


def power_kernel(spend: Any, scale: Any, elasticity: Any) -> Any:
    return scale * np.power(spend, elasticity)


def power_marginal_kernel(spend: Any, scale: Any, elasticity: Any) -> Any:
    # 0 ** (e - 1) is +inf for e < 1 (the right-hand derivative at zero spend) and 1 for e == 1.
    with np.errstate(divide="ignore", over="ignore"):
        return scale * elasticity * np.power(spend, elasticity - 1.0)


def hill_kernel(spend: Any, max_response: Any, half_saturation: Any, shape: Any) -> Any:
    # M / (1 + (h / s) ** k) avoids inf / inf for huge spend and gives exactly 0 at zero spend.
    with np.errstate(divide="ignore", over="ignore"):
        return max_response / (1.0 + np.power(np.divide(half_saturation, spend), shape))


def hill_marginal_kernel(spend: Any, max_response: Any, half_saturation: Any, shape: Any) -> Any:
    # d/ds M sᵏ/(sᵏ + hᵏ) = (M k / h) · r^(k-1) / (1 + rᵏ)², r = s / h.
    # r^(k-1) is +inf only at r = 0, where (1 + rᵏ)² = 1; when rᵏ overflows the quotient is a clean 0.
    ratio = np.divide(spend, half_saturation)
    with np.errstate(divide="ignore", over="ignore"):
        return max_response * shape / half_saturation * np.power(ratio, shape - 1.0) / (1.0 + np.power(ratio, shape)) ** 2


# --------------------------------------------------------------------------------------------------
# Argument checks shared with allocation.TierCurve
# --------------------------------------------------------------------------------------------------


def check_power_params(scale: ArrayLike, elasticity: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    scale_ = numeric(scale, "scale", gt=0)
    elasticity_ = numeric(elasticity, "elasticity", gt=0, le=1)
    return scale_, elasticity_


def check_hill_params(max_response: ArrayLike, half_saturation: ArrayLike, shape: ArrayLike) -> tuple[np.ndarray, ...]:
    max_ = numeric(max_response, "max_response", gt=0)
    half_ = numeric(half_saturation, "half_saturation", gt=0)
    shape_ = numeric(shape, "shape", gt=0, le=1)
    return max_, half_, shape_


def _refuse_infinite_slope(spend: np.ndarray, exponent: np.ndarray, exponent_name: str) -> None:
    """Zero spend on a curve with exponent < 1 has an infinite slope: say so instead of returning inf."""
    infinite = (spend == 0) & (exponent < 1)
    if infinite.any():
        raise XhsInputError(
            argument="spend", reason=f"must be greater than 0 where {exponent_name} is below 1: the marginal "
            "return at zero spend is infinite", value=0, position=first_position(infinite)
        )


def _broadcast(*arrays: np.ndarray) -> list[np.ndarray]:
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise XhsInputError(f"the arguments' sizes do not match (shapes {shapes})") from None


def curve_name(curve: Any) -> str:
    """``curve`` as a canonical curve name ("power" or "hill"), case- and space-insensitive.

    >>> curve_name(" Hill ")
    'hill'
    >>> curve_name("log")
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: curve must be one of 'power', 'hill' (got 'log')
    """
    key = curve.strip().lower() if isinstance(curve, str) else None
    if key not in CURVE_NAMES:
        accepted = ", ".join(repr(name) for name in CURVE_NAMES)
        raise XhsInputError(f"curve must be one of {accepted} (got {describe(curve)})")
    return key


# --------------------------------------------------------------------------------------------------
# Public curves
# --------------------------------------------------------------------------------------------------


def power_response(spend: ArrayLike, scale: ArrayLike, elasticity: ArrayLike) -> float | np.ndarray:
    """Expected return of ``spend`` on a constant-elasticity (power) curve.

    Parameters
    ----------
    spend : array_like
        Spend, ¥ (≥ 0).
    scale : array_like
        Return of the first ¥1 of spend, in the unit of the return (¥ of revenue, conversions, …) (> 0).
    elasticity : array_like
        Percentage change of the return per 1 % more spend, in (0, 1]; 1 is a straight line, smaller is
        more strongly diminishing.

    Returns
    -------
    float or ndarray
        Expected return, in the unit of ``scale``.

    Notes
    -----
    ``f(s) = scale · s ** elasticity``, concave on s ≥ 0 for 0 < elasticity ≤ 1. Doubling spend
    multiplies the return by ``2 ** elasticity``.

    References
    ----------
    003, Minefield 2: "when the monthly budget increases from 200,000 to 500,000, the CPM … increases by
    40%, but the conversion rate only increases by 5%" — an elasticity of about 0.686
    (:func:`implied_elasticity`).

    Examples
    --------
    >>> power_response(500_000, 2.0, 0.5)
    1414.213562373095
    >>> power_response([0, 100, 400], 1.0, 0.5)
    array([ 0., 10., 20.])
    """
    spend_ = numeric(spend, "spend", ge=0)
    scale_, elasticity_ = check_power_params(scale, elasticity)
    spend_, scale_, elasticity_ = _broadcast(spend_, scale_, elasticity_)
    with np.errstate(over="ignore"):  # an overflow is refused by scalar_or_array with a readable message
        return scalar_or_array(power_kernel(spend_, scale_, elasticity_))


def power_marginal(spend: ArrayLike, scale: ArrayLike, elasticity: ArrayLike) -> float | np.ndarray:
    """Marginal return of one more ¥ on a power curve: the derivative of :func:`power_response`.

    Parameters
    ----------
    spend : array_like
        Spend, ¥ (≥ 0).
    scale : array_like
        As in :func:`power_response` (> 0).
    elasticity : array_like
        As in :func:`power_response`, in (0, 1].

    Returns
    -------
    float or ndarray
        Return per extra ¥ at ``spend`` (unit of ``scale`` per ¥); ``scale`` at zero spend for
        elasticity 1. For elasticity < 1 the slope at zero spend is infinite (the first yuan is infinitely
        productive on this curve), so zero spend is refused with :class:`XhsInputError` rather than
        answered with ``inf``, which Excel cannot show.

    Notes
    -----
    ``f'(s) = scale · elasticity · s ** (elasticity − 1)``, decreasing in s for elasticity < 1.

    References
    ----------
    003, Minefield 2: "Xiaohongshu traffic has diminishing marginal effects".

    Examples
    --------
    >>> power_marginal(10_000, 2.0, 0.5)
    0.01
    >>> power_marginal(0, 3.0, 1.0)
    3.0
    """
    spend_ = numeric(spend, "spend", ge=0)
    scale_, elasticity_ = check_power_params(scale, elasticity)
    spend_, scale_, elasticity_ = _broadcast(spend_, scale_, elasticity_)
    _refuse_infinite_slope(spend_, elasticity_, "elasticity")
    return scalar_or_array(power_marginal_kernel(spend_, scale_, elasticity_))


def hill_response(
    spend: ArrayLike, max_response: ArrayLike, half_saturation: ArrayLike, shape: ArrayLike = 1.0
) -> float | np.ndarray:
    """Expected return of ``spend`` on a saturating (Hill) curve.

    Parameters
    ----------
    spend : array_like
        Spend, ¥ (≥ 0).
    max_response : array_like
        The return the curve approaches as spend grows without bound, e.g. ¥ of revenue (> 0).
    half_saturation : array_like
        Spend, ¥, at which the return reaches half of ``max_response`` (> 0).
    shape : array_like, optional
        Hill exponent k in (0, 1] (default 1, the Michaelis–Menten curve). Exponents above 1 give an
        S-curve that is not concave near zero, which the optimiser cannot solve exactly, so they are
        rejected.

    Returns
    -------
    float or ndarray
        Expected return, in the unit of ``max_response``.

    Notes
    -----
    ``f(s) = M · sᵏ / (sᵏ + hᵏ)`` with M = max_response, h = half_saturation, k = shape; concave on
    s ≥ 0 for 0 < k ≤ 1. Computed as ``M / (1 + (h / s)ᵏ)`` so that huge spend does not overflow.

    References
    ----------
    003, Minefield 2: "When the population size is limited" returns flatten — the saturation this curve
    models. The Hill form is the standard media-mix saturation curve (Jin, Wang, Sun, Chan and Koehler,
    "Bayesian Methods for Media Mix Modeling with Carryover and Shape Effects", Google, 2017).

    Examples
    --------
    >>> hill_response(100_000, 1_000_000, 100_000)
    500000.0
    >>> hill_response([0, 300_000], 1_000_000, 100_000)
    array([     0., 750000.])
    """
    spend_ = numeric(spend, "spend", ge=0)
    max_, half_, shape_ = check_hill_params(max_response, half_saturation, shape)
    spend_, max_, half_, shape_ = _broadcast(spend_, max_, half_, shape_)
    return scalar_or_array(hill_kernel(spend_, max_, half_, shape_))


def hill_marginal(
    spend: ArrayLike, max_response: ArrayLike, half_saturation: ArrayLike, shape: ArrayLike = 1.0
) -> float | np.ndarray:
    """Marginal return of one more ¥ on a Hill curve: the derivative of :func:`hill_response`.

    Parameters
    ----------
    spend, max_response, half_saturation, shape : array_like
        As in :func:`hill_response`.

    Returns
    -------
    float or ndarray
        Return per extra ¥ at ``spend``; ``max_response / half_saturation`` at zero spend for shape 1.
        For shape < 1 the slope at zero spend is infinite, and zero spend is refused with
        :class:`XhsInputError`.

    Notes
    -----
    ``f'(s) = M · k · s^(k−1) · hᵏ / (sᵏ + hᵏ)²``, computed as ``(M k / h) · r^(k−1) / (1 + rᵏ)²`` with
    ``r = s / h``; decreasing in s for 0 < k ≤ 1.

    References
    ----------
    003, Minefield 2: "Xiaohongshu traffic has diminishing marginal effects".

    Examples
    --------
    >>> hill_marginal(100_000, 1_000_000, 100_000)
    2.5
    >>> hill_marginal(0, 1_000_000, 100_000)
    10.0
    """
    spend_ = numeric(spend, "spend", ge=0)
    max_, half_, shape_ = check_hill_params(max_response, half_saturation, shape)
    spend_, max_, half_, shape_ = _broadcast(spend_, max_, half_, shape_)
    _refuse_infinite_slope(spend_, shape_, "shape")
    return scalar_or_array(hill_marginal_kernel(spend_, max_, half_, shape_))


def response(
    spend: ArrayLike, curve: str, param1: ArrayLike, param2: ArrayLike, shape: ArrayLike = 1.0
) -> float | np.ndarray:
    """Expected return of ``spend`` on the named curve (one Excel function for both families).

    Parameters
    ----------
    spend : array_like
        Spend, ¥ (≥ 0).
    curve : str
        ``"power"`` or ``"hill"``, case-insensitive.
    param1 : array_like
        power: ``scale``; hill: ``max_response``.
    param2 : array_like
        power: ``elasticity``; hill: ``half_saturation``.
    shape : array_like, optional
        hill: the exponent k in (0, 1] (default 1). Not used by the power curve, whose curvature is its
        elasticity.

    Returns
    -------
    float or ndarray
        :func:`power_response` or :func:`hill_response` of the arguments.

    Notes
    -----
    power: ``param1 · spend ** param2``; hill: ``param1 · spendᵏ / (spendᵏ + param2ᵏ)``.

    References
    ----------
    003, Minefield 2 (diminishing marginal effects).

    Examples
    --------
    >>> response(400, "Power", 1.0, 0.5)
    20.0
    >>> response(100_000, "hill", 1_000_000, 100_000)
    500000.0
    >>> response(1, "linear", 1, 1)
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: curve must be one of 'power', 'hill' (got 'linear')
    """
    if curve_name(curve) == "power":
        return power_response(spend, param1, param2)
    return hill_response(spend, param1, param2, shape)


def marginal_response(
    spend: ArrayLike, curve: str, param1: ArrayLike, param2: ArrayLike, shape: ArrayLike = 1.0
) -> float | np.ndarray:
    """Return per extra ¥ at ``spend`` on the named curve: the derivative of :func:`response`.

    Parameters
    ----------
    spend, curve, param1, param2, shape
        As in :func:`response`.

    Returns
    -------
    float or ndarray
        :func:`power_marginal` or :func:`hill_marginal` of the arguments (zero spend is refused for
        elasticity < 1 or shape < 1, where the slope is infinite).

    Notes
    -----
    power: ``param1 · param2 · spend ** (param2 − 1)``; hill: ``param1 · k · spend^(k−1) · param2ᵏ /
    (spendᵏ + param2ᵏ)²``.

    References
    ----------
    003, Minefield 2 (diminishing marginal effects).

    Examples
    --------
    >>> marginal_response(10_000, "power", 2.0, 0.5)
    0.01
    >>> marginal_response(100_000, "HILL", 1_000_000, 100_000)
    2.5
    """
    if curve_name(curve) == "power":
        return power_marginal(spend, param1, param2)
    return hill_marginal(spend, param1, param2, shape)


_BEFORE = DIMINISHING_RETURNS["budget_before"].value
_AFTER = DIMINISHING_RETURNS["budget_after"].value
_CPM = DIMINISHING_RETURNS["cpm_change"].value
_CVR = DIMINISHING_RETURNS["cvr_change"].value


def implied_elasticity(
    budget_before: ArrayLike = _BEFORE,
    budget_after: ArrayLike = _AFTER,
    cpm_change: ArrayLike = _CPM,
    cvr_change: ArrayLike = _CVR,
) -> float | np.ndarray:
    """Elasticity of conversions to budget implied by a budget change and its CPM and conversion-rate moves.

    Parameters
    ----------
    budget_before : array_like, optional
        Budget before the change, ¥ per period (> 0). Default ¥200,000 (article 003).
    budget_after : array_like, optional
        Budget after the change, ¥ per period (> 0, different from ``budget_before``). Default ¥500,000.
    cpm_change : array_like, optional
        Relative change of CPM (cost per thousand impressions), 0.4 = +40 % (> −1). Default 0.40.
    cvr_change : array_like, optional
        Relative change of the conversion rate, 0.05 = +5 % (> −1). Default 0.05.

    Returns
    -------
    float or ndarray
        d ln(conversions) / d ln(budget) between the two points: the ``elasticity`` of a power curve
        through both. Below 1 means diminishing returns; it can be ≤ 0 or > 1 if the inputs say so.

    Notes
    -----
    Impressions = budget / CPM × 1000 and conversions = impressions × conversion rate, so conversions
    grow by ``g = (B₁/B₀) / (1 + ΔCPM) × (1 + ΔCVR)`` and the elasticity is ``ln g / ln(B₁/B₀)``.
    With the article's figures: g = 2.5 / 1.4 × 1.05 = 1.875 and ln 1.875 / ln 2.5 ≈ 0.686
    (``figures.DEFAULT_ELASTICITY``).

    References
    ----------
    003, Minefield 2: "when the monthly budget increases from 200,000 to 500,000, the CPM (cost per
    thousand impressions) increases by 40%, but the conversion rate only increases by 5%."

    Examples
    --------
    >>> implied_elasticity()
    0.686036
    >>> implied_elasticity(100_000, 200_000, 0.0, 0.0)
    1.0
    """
    before = numeric(budget_before, "budget_before", gt=0)
    after = numeric(budget_after, "budget_after", gt=0)
    cpm = numeric(cpm_change, "cpm_change", gt=-1)
    cvr = numeric(cvr_change, "cvr_change", gt=-1)
    before, after, cpm, cvr = _broadcast(before, after, cpm, cvr)
    with np.errstate(all="ignore"):  # an overflow is refused by scalar_or_array with a readable message
        budget_ratio = after / before
        growth = budget_ratio / (1.0 + cpm) * (1.0 + cvr)
        elasticity = np.log(growth) / np.log(budget_ratio)
    # Equal budgets: ln(B₁/B₀) = 0 and no elasticity exists.
    same = budget_ratio == 1.0
    if same.any():
        index = np.argwhere(same)[0]
        raise XhsInputError(
            argument="budget_after", reason="must differ from budget_before",
            shown=f"both {describe(before[tuple(index)])}", position=first_position(same),
            hint="an elasticity needs two different budgets"
        )
    return scalar_or_array(elasticity)


def power_scale_from_point(
    spend: ArrayLike, response_at_spend: ArrayLike, elasticity: ArrayLike
) -> float | np.ndarray:
    """The ``scale`` of the power curve with the given elasticity that passes through an observed point.

    Parameters
    ----------
    spend : array_like
        Observed spend, ¥ (> 0).
    response_at_spend : array_like
        Return observed at that spend, e.g. ¥ of revenue (> 0).
    elasticity : array_like
        Elasticity of the curve, in (0, 1]; ``implied_elasticity()`` gives article 003's ≈ 0.686.

    Returns
    -------
    float or ndarray
        ``scale`` such that ``power_response(spend, scale, elasticity) == response_at_spend``.

    Notes
    -----
    ``scale = response_at_spend / spend ** elasticity``.

    References
    ----------
    000, Case Study 1: "Total Campaign Budget: ¥450,000 … Revenue generated: ¥1.68 million" is such a point;
    003 gives the elasticity.

    Examples
    --------
    >>> scale = power_scale_from_point(450_000, 1_680_000, 0.5)
    >>> scale
    2504.3961
    >>> power_response(450_000, scale, 0.5)
    1680000.0
    """
    spend_ = numeric(spend, "spend", gt=0)
    observed = numeric(response_at_spend, "response_at_spend", gt=0)
    elasticity_ = numeric(elasticity, "elasticity", gt=0, le=1)
    spend_, observed, elasticity_ = _broadcast(spend_, observed, elasticity_)
    with np.errstate(all="ignore"):  # an overflow is refused by scalar_or_array with a readable message
        return scalar_or_array(observed / np.power(spend_, elasticity_))

"""Rule-based attribution: first touch, last touch, last non-direct touch, linear, position-based, time decay.

Each rule splits every converting journey's conversions and value among its touches by fixed weights
that sum to 1 within the journey; a channel's credit is the sum over its touches. The weights of all
touches are computed at once from the path offsets, and credit is summed with one ``bincount`` — the
cost is linear in the number of touches.

Article 001 names linear, position-based and time-decay attribution and warns that last-click
"undervalues discovery platforms like Xiaohongshu"; the parameters (40/20/40, a 7-day half-life) are
Google's conventions, see :mod:`xhsxl.core.attribution.conventions`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Sequence

import numpy as np

from xhsxl.core.attribution.conventions import DIRECT_CHANNEL, POSITION_BASED_WEIGHTS, TIME_DECAY_HALF_LIFE_DAYS
from xhsxl.core.attribution.paths import PathTable
from xhsxl.core.attribution.result import AttributionResult
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe, numeric

__all__ = ["first_touch", "last_touch", "last_non_direct_touch", "linear", "position_based", "time_decay"]


def require_conversions(paths: Any) -> PathTable:
    """``paths`` if it is a :class:`PathTable` with at least one conversion, else :class:`XhsInputError`."""
    if not isinstance(paths, PathTable):
        raise XhsInputError(
            "paths must be a PathTable: build one with path_table(...) or journeys_from_touchpoints(...) "
            f"(got {type(paths).__name__})"
        )
    if not paths.conversions.any():
        raise XhsInputError("conversions are all 0: no path converts, so there is nothing to attribute")
    return paths


def _per_touch(paths: PathTable, model: str, touch_share: np.ndarray, details: dict[str, Any]) -> AttributionResult:
    """Credit ``touch_share[i]`` of touch ``i``'s path to the touch's channel (shares sum to 1 per path)."""
    return _credit(paths, model, paths.touches, touch_share, paths.path_of_touch, details)


def _credit(
    paths: PathTable,
    model: str,
    channel: np.ndarray,
    share: np.ndarray | float,
    path: np.ndarray | None,
    details: dict[str, Any],
) -> AttributionResult:
    """Sum ``share × conversions[path]`` (and × value) per ``channel``; ``path=None`` means one touch per path."""
    conversions = paths.conversions if path is None else paths.conversions[path]
    credited = np.bincount(channel, weights=share * conversions, minlength=paths.n_channels)
    value = None
    if paths.values is not None:
        values = paths.values if path is None else paths.values[path]
        value = np.bincount(channel, weights=share * values, minlength=paths.n_channels)
    return AttributionResult(
        model=model, channels=paths.channels, conversions=credited, value=value, details=MappingProxyType(details)
    )


def first_touch(paths: PathTable) -> AttributionResult:
    """All of a journey's conversions and value to its first touch.

    Examples
    --------
    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["kol_mid > search_ads", "kol_micro > kol_mid"], [3, 1], [300, 80], nulls=[10, 5])
    >>> first_touch(table).table()
    [['channel', 'conversions', 'value', 'share'], ['kol_micro', 1.0, 80.0, 0.25],
     ['kol_mid', 3.0, 300.0, 0.75], ['search_ads', 0.0, 0.0, 0.0]]
    """
    paths = require_conversions(paths)
    return _credit(paths, "first_touch", paths.touches[paths.offsets[:-1]], 1.0, None, {})


def last_touch(paths: PathTable) -> AttributionResult:
    """All of a journey's conversions and value to its last touch (last click).

    Examples
    --------
    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["kol_mid > search_ads", "kol_micro > kol_mid"], [3, 1], nulls=[10, 5])
    >>> last_touch(table).conversions.tolist()
    [0.0, 1.0, 3.0]
    """
    paths = require_conversions(paths)
    return _credit(paths, "last_touch", paths.touches[paths.offsets[1:] - 1], 1.0, None, {})


def last_non_direct_touch(paths: PathTable, direct: str = DIRECT_CHANNEL) -> AttributionResult:
    """All credit to the last touch that is not direct; to direct only if the whole journey is direct.

    Parameters
    ----------
    paths : PathTable
    direct : str, default ``"direct"``
        Name of the direct channel (type-in, bookmark, app open), compared ignoring case and spaces.
        If no channel has this name the model is last touch.

    Notes
    -----
    Direct visits usually follow a decision made elsewhere, so web analytics skip them when crediting
    the last click; a journey with nothing but direct visits keeps its credit on direct.

    Examples
    --------
    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["kol_mid > direct", "direct > direct", "search_ads > direct > kol_top"],
    ...                    [2, 1, 1], nulls=[0, 0, 0])
    >>> dict(zip(table.channels, last_non_direct_touch(table).conversions.tolist()))
    {'direct': 1.0, 'kol_mid': 2.0, 'kol_top': 1.0, 'search_ads': 0.0}
    """
    paths = require_conversions(paths)
    if not isinstance(direct, str) or not direct.strip():
        raise XhsInputError(f"direct must be the name of the direct channel (got {describe(direct)})")
    target = direct.strip().casefold()
    is_direct_channel = np.array([name.strip().casefold() == target for name in paths.channels], dtype=bool)
    last = paths.offsets[1:] - 1
    if is_direct_channel.any():
        touch_index = np.arange(paths.n_touches, dtype=np.int64)
        non_direct = np.where(is_direct_channel[paths.touches], -1, touch_index)
        last_non_direct = np.maximum.reduceat(non_direct, paths.offsets[:-1])
        last = np.where(last_non_direct >= 0, last_non_direct, last)
    return _credit(paths, "last_non_direct_touch", paths.touches[last], 1.0, None, {"direct": direct})


def linear(paths: PathTable) -> AttributionResult:
    """Equal credit to every touch of a journey (a channel touched twice gets two shares).

    Notes
    -----
    Touch *i* of a journey of *n* touches gets ``1 / n`` of its conversions and value.

    Examples
    --------
    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["kol_mid > search_ads > kol_mid", "search_ads"], [3, 1], nulls=[0, 0])
    >>> linear(table).conversions.tolist()
    [2.0, 2.0]
    """
    paths = require_conversions(paths)
    share = 1.0 / paths.lengths[paths.path_of_touch]
    return _per_touch(paths, "linear", share, {})


def position_based(paths: PathTable, weights: Sequence[float] = POSITION_BASED_WEIGHTS) -> AttributionResult:
    """U-shaped credit: most to the first and last touch, the rest spread over the touches between.

    Parameters
    ----------
    paths : PathTable
    weights : (first, middle, last), default (0.4, 0.2, 0.4)
        Shares of a journey of three or more touches. Any non-negative numbers with a positive sum;
        they are divided by their sum, so ``(40, 20, 40)`` and ``(0.4, 0.2, 0.4)`` are the same.

    Notes
    -----
    With ``(f, m, l)`` normalised to sum 1, a journey of ``n`` touches gives

    - ``n = 1``: everything to the touch;
    - ``n = 2``: ``f / (f + l)`` to the first, ``l / (f + l)`` to the last (50/50 by default, as GA4);
    - ``n ≥ 3``: ``f`` to the first, ``l`` to the last, ``m / (n − 2)`` to each touch between.

    References
    ----------
    Google Ads API, AttributionModelEnum: "Attributes 40% of the credit for a conversion to its first and
    last clicks. Remaining 20% is evenly distributed across all other clicks."

    Examples
    --------
    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["kol_top > kol_mid > kol_micro > search_ads", "kol_top > search_ads"],
    ...                    [10, 2], nulls=[0, 0])
    >>> dict(zip(table.channels, position_based(table).conversions.round(6).tolist()))
    {'kol_micro': 1.0, 'kol_mid': 1.0, 'kol_top': 5.0, 'search_ads': 5.0}
    """
    paths = require_conversions(paths)
    first, middle, last = _position_weights(weights)
    n = paths.lengths[paths.path_of_touch].astype(float)
    position = paths.position_of_touch
    is_first = position == 0
    is_last = position == n - 1
    middle_share = middle / np.maximum(n - 2, 1)
    share = np.where(is_first, first, np.where(is_last, last, middle_share))
    two_touch = n == 2
    if first + last > 0:
        share = np.where(two_touch, np.where(is_first, first, last) / (first + last), share)
    else:  # all weight in the middle: a two-touch journey has no middle, split it evenly
        share = np.where(two_touch, 0.5, share)
    share = np.where(n == 1, 1.0, share)
    return _per_touch(paths, "position_based", share, {"weights": (first, middle, last)})


def _position_weights(weights: Sequence[float]) -> tuple[float, float, float]:
    array = numeric(weights, "weights", ge=0).ravel()
    if array.size != 3:
        raise XhsInputError(f"weights must be three numbers (first, middle, last) (got {array.size})")
    total = float(array.sum())
    if total <= 0:
        raise XhsInputError("weights must not all be 0")
    first, middle, last = (float(w) / total for w in array)
    return first, middle, last


def time_decay(paths: PathTable, half_life_days: float = TIME_DECAY_HALF_LIFE_DAYS.value) -> AttributionResult:
    """More credit to touches closer to the conversion: a touch's weight halves every ``half_life_days``.

    Parameters
    ----------
    paths : PathTable
        Must carry ``days_before_conversion``: build it with
        :func:`~xhsxl.core.attribution.journeys_from_touchpoints`, or give ``days_before_conversion`` to
        :func:`~xhsxl.core.attribution.path_table` (``"14 > 3 > 0"`` per path).
    half_life_days : float, default 7
        Days after which a touch's weight halves (> 0).

    Notes
    -----
    A touch ``d`` days before the conversion weighs ``2 ** (−d / half_life_days)``; weights are divided by
    their sum within the journey. (Computed relative to the journey's most recent touch, which changes no
    share but keeps weights of very old touches from rounding to zero.)

    References
    ----------
    Google Ads API, AttributionModelEnum: "Attributes exponentially more credit for a conversion to its
    more recent clicks ... (half-life is 1 week)."

    Examples
    --------
    Touches 14, 7 and 0 days out weigh 1/4, 1/2 and 1, so they get 1/7, 2/7 and 4/7 of 7 conversions.

    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["kol_top > kol_mid > search_ads"], [7], nulls=[0],
    ...                    days_before_conversion=["14 > 7 > 0"])
    >>> time_decay(table).conversions.tolist()
    [2.0, 1.0, 4.0]
    """
    paths = require_conversions(paths)
    if paths.days_before_conversion is None:
        raise XhsInputError(
            "time decay needs the days between each touch and the conversion: build the table from "
            "touchpoint rows (journeys_from_touchpoints) or pass days_before_conversion to path_table, "
            "e.g. '14 > 3 > 0' for a three-touch path"
        )
    half_life = float(numeric(half_life_days, "half_life_days", gt=0))
    days = paths.days_before_conversion
    nearest = np.minimum.reduceat(days, paths.offsets[:-1])
    with np.errstate(over="ignore"):  # a half-life near 0: every earlier touch's weight is 2^-inf = 0, its limit
        weight = np.exp2(-(days - nearest[paths.path_of_touch]) / half_life)
    total = np.add.reduceat(weight, paths.offsets[:-1])
    share = weight / total[paths.path_of_touch]
    return _per_touch(paths, "time_decay", share, {"half_life_days": half_life})

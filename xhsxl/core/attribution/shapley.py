"""Shapley-value attribution: channels as players of a cooperative game whose payoff is conversions.

Two games are offered, because the one most often quoted has a closed form:

- :func:`simplified_shapley` — the *conversions* game of Zhao et al. (2018): a coalition ``S`` is worth
  the conversions of the journeys whose channels all lie in ``S``. Its Shapley value splits each
  converting journey's conversions equally among the journey's *distinct* channels, so it costs one pass
  over the touches for any number of channels. (Any game that sums a per-channel-set amount over the
  subsets of ``S`` has this closed form — Harsanyi dividends — so enumerating coalitions for it would
  only reproduce the same numbers; the tests check that it does.)
- :func:`shapley` — the *conversion-rate* game: ``S`` is worth the conversions all journeys would make at
  the conversion rate of the journeys that used only channels in ``S`` (the conditional conversion
  probability of Shao & Li, 2011 and Dalessandro et al., 2012). It needs non-converting journeys, is not
  additive, and is computed exactly over all ``2**n`` coalitions up to 12 channels, by seeded Monte-Carlo
  sampling of channel orders above. It can give a channel *negative* credit (its journeys converted at a
  lower rate); ``monotone=True`` plays its monotone cover instead, which cannot.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

import numpy as np

from xhsxl.core.attribution.heuristics import require_conversions
from xhsxl.core.attribution.paths import PathTable, gather_paths, group_sequences
from xhsxl.core.attribution.result import AttributionResult
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe

__all__ = ["simplified_shapley", "shapley", "MAX_EXACT_CHANNELS", "DEFAULT_PERMUTATIONS"]

#: Channels up to which :func:`shapley` enumerates every coalition (2**12 = 4,096 coalitions).
MAX_EXACT_CHANNELS = 12
#: Channel orders sampled above that. The standard error of each credit is reported in ``details``;
#: it falls as 1 / sqrt(permutations).
DEFAULT_PERMUTATIONS = 2_000
# Enumerating is linear in 2**n; beyond 20 channels that is over a million coalitions per channel.
_ENUMERATION_CEILING = 20
# Permutations scored per vectorised batch (bounds memory at batch × channel sets).
_PERMUTATION_BATCH = 256


def _channel_sets(paths: PathTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct channels of every path: (path index, channel) pairs sorted by path, and per-path counts."""
    path = paths.path_of_touch
    order = np.lexsort((paths.touches, path))
    sorted_path, sorted_channel = path[order], paths.touches[order]
    distinct = np.ones(len(order), dtype=bool)
    distinct[1:] = (sorted_path[1:] != sorted_path[:-1]) | (sorted_channel[1:] != sorted_channel[:-1])
    set_path, set_channel = sorted_path[distinct], sorted_channel[distinct]
    size = np.bincount(set_path, minlength=paths.n_paths)
    return set_path, set_channel.astype(np.int64), size


def simplified_shapley(paths: PathTable) -> AttributionResult:
    """Shapley value of the conversions game in closed form: equal credit to each distinct channel.

    Notes
    -----
    The game: ``v(S) = Σ conversions of journeys whose channel set ⊆ S``. It is a sum of unanimity games,
    one per channel set ``T`` with weight ``R(T)`` = conversions of journeys whose channel set is exactly
    ``T``, and the Shapley value of a unanimity game gives ``1 / |T|`` to each member. Hence

    .. math:: \\varphi_c = \\sum_{T \\ni c} R(T) / |T| ,

    each converting journey's conversions split equally among its distinct channels, regardless of order
    or repetition. Value is split the same way. Non-converting journeys play no part.

    References
    ----------
    Zhao, K., Mahboobi, S. H. & Bagheri, S. R. (2018). Shapley value methods for attribution modeling in
    online advertising. arXiv:1804.05327, eq. (7).

    Examples
    --------
    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["kol_mid > search_ads > kol_mid", "kol_mid"], [4, 1], nulls=[10, 10])
    >>> simplified_shapley(table).conversions.tolist()
    [3.0, 2.0]
    """
    paths = require_conversions(paths)
    set_path, set_channel, size = _channel_sets(paths)
    share = 1.0 / size[set_path]
    credited = np.bincount(set_channel, weights=share * paths.conversions[set_path], minlength=paths.n_channels)
    value = None
    if paths.values is not None:
        value = np.bincount(set_channel, weights=share * paths.values[set_path], minlength=paths.n_channels)
    return AttributionResult(
        model="simplified_shapley",
        channels=paths.channels,
        conversions=credited,
        value=value,
        details=MappingProxyType({"game": "conversions", "method": "closed form"}),
    )


def _count(value: Any, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise XhsInputError(f"{name} must be a whole number (got {describe(value)})")
    if not float(value).is_integer() or value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise XhsInputError(f"{name} must be a whole number {limit} (got {describe(value)})")
    return int(value)


def shapley(
    paths: PathTable,
    *,
    max_exact_channels: int = MAX_EXACT_CHANNELS,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    monotone: bool = False,
) -> AttributionResult:
    """Shapley value of the conversion-rate game: exact up to 12 channels, seeded sampling above.

    **Negative credit.** A channel gets negative credit when, on average over the orders in which channels
    join, adding it lowers the conversion rate of the journeys the coalition reaches — typically a channel
    shown to hesitant users (retargeting, a late search ad), whose journeys convert less often than those
    without it. The number says the journeys *with* it converted less, not that it destroyed sales; the credits
    still add up to the total conversions, the others' rising to match. ``monotone=True`` scores the monotone
    cover of the game instead, which gives no channel less than 0.

    Parameters
    ----------
    paths : PathTable
        Must carry non-converting counts: a conversion rate needs the journeys that did not convert.
    max_exact_channels : int, default 12
        Enumerate all coalitions when there are at most this many channels (at most 20).
    permutations : int, default 2000
        Channel orders sampled when there are more channels.
    seed : int, default 0
        Seed of the sampler (same seed, same numbers).
    monotone : bool, default False
        Play the monotone cover v̂(S) = max over T ⊆ S of v(T) — a set of channels is worth at least what any
        of its subsets achieves — so no marginal contribution, and no credit, is negative; the credits are then
        scaled by v(all) / v̂(all) to add up to the total conversions (and value). Always enumerated exactly
        (the cover needs every coalition), so at most 20 channels.

    Returns
    -------
    AttributionResult
        Credit per channel; it sums to the total conversions (and value). ``details`` says whether the
        result is exact and, when sampled, holds ``standard_errors`` of the conversion credits.

    Notes
    -----
    With ``conv(S)``, ``val(S)`` and ``jrn(S)`` the conversions, value and journeys of the journeys whose
    channel set is a subset of ``S``, and ``N`` all journeys,

    .. math:: v(S) = N \\cdot \\text{conv}(S) / \\text{jrn}(S) \\quad (0 \\text{ if } \\text{jrn}(S) = 0),

    the conversions every journey would make at the conversion rate seen with the channels of ``S``
    alone. ``v(∅) = 0`` and ``v(all channels)`` is the total conversions, so credits add up exactly. The
    Shapley value

    .. math:: \\varphi_c = \\sum_{S \\not\\ni c} \\frac{|S|!\\,(n-|S|-1)!}{n!} \\bigl(v(S \\cup c) - v(S)\\bigr)

    is computed from a subset-sum (zeta) transform over the ``2**n`` coalitions, O(n 2**n). Above
    ``max_exact_channels``, the average marginal contribution over ``permutations`` random channel orders
    is used instead (Castro et al., 2009). A channel whose presence lowers the conversion rate of the
    journeys it joins gets *negative* credit; that is the game's answer, not an error. The monotone cover
    v̂(S) = max_{T ⊆ S} v(T) is computed by a subset-max transform over the same lattice; its marginal
    contributions are ≥ 0, so its Shapley values are, and v(N) / v̂(N) ≤ 1 rescales them to the total.

    References
    ----------
    Shapley, L. S. (1953). A value for n-person games. *Contributions to the Theory of Games* II, 307–317.
    Dalessandro, B., Perlich, C., Stitelman, O. & Provost, F. (2012). Causally motivated attribution for
    online advertising. *ADKDD '12*.
    Castro, J., Gómez, D. & Tejada, J. (2009). Polynomial calculation of the Shapley value based on
    sampling. *Computers & Operations Research* 36(5), 1726–1730.

    Examples
    --------
    Journeys with ``a`` alone convert 10 %, with ``b`` alone 20 %, with both 30 %; 300 journeys in all.
    ``v({a}) = 300 × 0.1``, ``v({b}) = 300 × 0.2``, ``v({a, b}) = 60`` conversions.

    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["a", "b", "a > b"], [10, 20, 30], nulls=[90, 80, 70])
    >>> shapley(table).conversions.tolist()
    [15.0, 45.0]

    When ``b`` alone converts 10 % and ``a > b`` only 5 %, against ``a`` alone's 30 %, ``b`` lowers the rate
    of the journeys it joins and gets negative credit; the monotone cover gives it none below 0:

    >>> lowering = path_table(["a", "b", "a > b"], [30, 10, 5], nulls=[70, 90, 95])
    >>> shapley(lowering).conversions.tolist(), shapley(lowering, monotone=True).conversions.tolist()
    ([52.5, -7.5], [37.5, 7.5])
    """
    paths = require_conversions(paths)
    if not paths.has_nulls:
        raise XhsInputError(
            "shapley needs non-converting counts (nulls): its game is the conversion rate of the journeys "
            "each set of channels reaches; use simplified_shapley without them"
        )
    max_exact = _count(max_exact_channels, "max_exact_channels", 0, _ENUMERATION_CEILING)
    n_permutations = _count(permutations, "permutations", 1)
    seed = _count(seed, "seed", 0)
    n_channels = paths.n_channels
    set_path, set_channel, size = _channel_sets(paths)

    per_path = [paths.conversions, paths.journeys]
    if paths.values is not None:
        per_path.append(paths.values)
    weights = np.column_stack(per_path)

    if not isinstance(monotone, (bool, np.bool_)):
        raise XhsInputError(f"monotone must be True or False (got {describe(monotone)})")
    if monotone:
        if n_channels > _ENUMERATION_CEILING:
            raise XhsInputError(
                f"monotone=True enumerates every coalition, at most {_ENUMERATION_CEILING} channels (got {n_channels})"
            )
        credits = _exact(set_path, set_channel, paths.n_paths, n_channels, weights, monotone=True)
        details: dict[str, Any] = {"game": "conversion rate, monotone cover", "method": "exact",
                                   "coalitions": 2**n_channels}
    elif n_channels <= max_exact:
        credits = _exact(set_path, set_channel, paths.n_paths, n_channels, weights)
        details = {"game": "conversion rate", "method": "exact", "coalitions": 2**n_channels}
    else:
        credits, errors = _sampled(set_path, set_channel, size, n_channels, weights, n_permutations, seed)
        details = {
            "game": "conversion rate",
            "method": "monte carlo",
            "permutations": n_permutations,
            "seed": seed,
            "standard_errors": errors,
        }
    return AttributionResult(
        model="shapley",
        channels=paths.channels,
        conversions=credits[:, 0],
        value=credits[:, 1] if paths.values is not None else None,
        details=MappingProxyType(details),
    )


def _worth(conversions: np.ndarray, journeys: np.ndarray, total_journeys: float) -> np.ndarray:
    """v = N · conversions / journeys, 0 where no journey is in the coalition. Works on any shape."""
    rate = np.divide(conversions, journeys, out=np.zeros_like(conversions), where=journeys > 0)
    return total_journeys * rate


def _exact(
    set_path: np.ndarray, set_channel: np.ndarray, n_paths: int, n_channels: int, weights: np.ndarray,
    monotone: bool = False,
) -> np.ndarray:
    """Shapley credits (n_channels × [conversions, value]) by enumerating every coalition; of the game's
    monotone cover, rescaled to the game's total, when ``monotone``."""
    n_coalitions = 1 << n_channels
    mask = np.zeros(n_paths, dtype=np.int64)
    np.bitwise_or.at(mask, set_path, np.left_shift(1, set_channel))
    # Subset sums over the coalition lattice: after the transform, totals[S] = Σ_{T ⊆ S} amount[T].
    totals = np.stack([np.bincount(mask, weights=w, minlength=n_coalitions) for w in weights.T], axis=1)
    for bit in range(n_channels):
        view = totals.reshape(-1, 2, 1 << bit, totals.shape[1])
        view[:, 1] += view[:, 0]
    total_journeys = float(weights[:, 1].sum())
    worth = [_worth(totals[:, 0], totals[:, 1], total_journeys)]
    if weights.shape[1] > 2:
        worth.append(_worth(totals[:, 2], totals[:, 1], total_journeys))
    worth_matrix = np.column_stack(worth + [np.zeros(n_coalitions)] * (2 - len(worth)))
    grand = worth_matrix[-1].copy()
    if monotone:
        # Subset-max transform: after it, worth[S] = max over T ⊆ S of the game's worth[T].
        for bit in range(n_channels):
            view = worth_matrix.reshape(-1, 2, 1 << bit, 2)
            np.maximum(view[:, 1], view[:, 0], out=view[:, 1])

    coalition = np.arange(n_coalitions, dtype=np.int64)
    size = np.zeros(n_coalitions, dtype=np.int64)
    for bit in range(n_channels):
        size += (coalition >> bit) & 1
    # Shapley weight |S|! (n − |S| − 1)! / n! for a coalition of |S| channels not containing the player.
    by_size = np.array(
        [math.factorial(s) * math.factorial(n_channels - s - 1) / math.factorial(n_channels) for s in range(n_channels)]
    )
    credits = np.zeros((n_channels, 2))
    for channel in range(n_channels):
        without = coalition[(coalition >> channel) & 1 == 0]
        marginal = worth_matrix[without | (1 << channel)] - worth_matrix[without]
        credits[channel] = by_size[size[without]] @ marginal
    if monotone:
        # The cover's grand coalition is worth at least the game's; scale its credits back to the game's total.
        covered = worth_matrix[-1]
        scale = np.divide(grand, covered, out=np.zeros_like(grand), where=covered > 0)
        credits *= scale[None, :]
    return credits


def _sampled(
    set_path: np.ndarray,
    set_channel: np.ndarray,
    size: np.ndarray,
    n_channels: int,
    weights: np.ndarray,
    n_permutations: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Monte-Carlo Shapley credits and the standard errors of the conversion credits."""
    # Journeys with the same channel set behave identically in this game: merge them first.
    offsets = np.zeros(len(size) + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    group, n_groups = group_sequences(set_channel, offsets, n_channels)
    group_weights = np.stack([np.bincount(group, weights=w, minlength=n_groups) for w in weights.T], axis=1)
    first = np.full(n_groups, len(size), dtype=np.int64)
    np.minimum.at(first, group, np.arange(len(size), dtype=np.int64))
    source, member_offsets = gather_paths(offsets, first)
    members = set_channel[source]

    total_journeys = float(weights[:, 1].sum())
    rng = np.random.default_rng(seed)
    n_columns = 2
    total = np.zeros((n_channels, n_columns))
    total_squares = np.zeros(n_channels)
    done = 0
    while done < n_permutations:
        batch = min(_PERMUTATION_BATCH, n_permutations - done)
        orders = rng.permuted(np.tile(np.arange(n_channels), (batch, 1)), axis=1)
        rank = np.empty_like(orders)
        np.put_along_axis(rank, orders, np.arange(n_channels)[None, :], axis=1)
        # A channel set joins the growing coalition when its last member (in this order) arrives.
        joins_at = np.maximum.reduceat(rank[:, members], member_offsets[:-1], axis=1)
        flat = (joins_at + (np.arange(batch) * n_channels)[:, None]).ravel()

        def cumulative(column: np.ndarray) -> np.ndarray:
            summed = np.bincount(flat, weights=np.tile(column, batch), minlength=batch * n_channels)
            return np.cumsum(summed.reshape(batch, n_channels), axis=1)

        journeys = cumulative(group_weights[:, 1])
        marginals = []
        for column in [0, 2] if group_weights.shape[1] > 2 else [0]:
            worth = _worth(cumulative(group_weights[:, column]), journeys, total_journeys)
            marginals.append(np.diff(worth, axis=1, prepend=0.0))
        for k, marginal in enumerate(marginals):
            total[:, k] += np.bincount(orders.ravel(), weights=marginal.ravel(), minlength=n_channels)
        total_squares += np.bincount(orders.ravel(), weights=marginals[0].ravel() ** 2, minlength=n_channels)
        done += batch
    mean = total / n_permutations
    variance = np.maximum(total_squares / n_permutations - mean[:, 0] ** 2, 0.0)
    errors = np.sqrt(variance / n_permutations)
    return mean, errors

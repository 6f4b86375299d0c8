"""Multi-touch attribution: who gets credit for a conversion that followed several touches.

Xiaohongshu seeds purchases that often complete elsewhere, after a KOL note, a search ad and a feed ad;
last-click credit undervalues the discovery channels (article 001). This package credits conversions and
value to channels with the rule-based models analysts know and with two data-driven ones:

================================  ============================================================
:func:`first_touch`               all credit to the first touch
:func:`last_touch`                all credit to the last touch
:func:`last_non_direct_touch`     last touch that is not direct (direct only if all touches are)
:func:`linear`                    equal credit to every touch
:func:`position_based`            40 / 20 / 40 to first / middle / last (two touches 50 / 50)
:func:`time_decay`                weight halves every 7 days before the conversion
:func:`markov`                    exact removal effects of an order-1…4 Markov chain
:func:`simplified_shapley`        Shapley value of the conversions game (closed form)
:func:`shapley`                   Shapley value of the conversion-rate game (exact ≤ 12 channels)
:func:`shapley_monotone`          the same on its monotone cover: no channel's credit below 0
================================  ============================================================

Input is a :class:`PathTable`, parsed from a path table (:func:`path_table`) or built from raw touchpoint
rows (:func:`journeys_from_touchpoints`); output an :class:`AttributionResult` whose ``table()`` is the
2-D list an Excel function returns. :func:`attribute` runs any model by name.

>>> table = path_table(["kol_mid > search_ads", "kol_micro > kol_mid > search_ads", "kol_micro"],
...                    conversions=[30, 20, 0], values=[9_000, 6_400, 0], nulls=[970, 480, 1_500])
>>> attribute(table, "last_touch").table()[1:]
[['kol_micro', 0.0, 0.0, 0.0], ['kol_mid', 0.0, 0.0, 0.0], ['search_ads', 50.0, 15400.0, 1.0]]
>>> attribute(table, "markov").share.round(4).tolist()
[0.1429, 0.4286, 0.4286]
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

from xhsxl.core.attribution.conventions import (
    DIRECT_CHANNEL,
    LOOKBACK_DAYS,
    POSITION_BASED_WEIGHTS,
    TIME_DECAY_HALF_LIFE_DAYS,
)
from xhsxl.core.attribution.heuristics import (
    first_touch,
    last_non_direct_touch,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from xhsxl.core.attribution.markov import MAX_ORDER, MarkovOrderSelection, markov, select_markov_order
from xhsxl.core.attribution.paths import (
    DEFAULT_SEPARATOR,
    MissingNonConversionsWarning,
    PathTable,
    path_table,
)
from xhsxl.core.attribution.result import (
    REMOVAL_EFFECTS_HEADER,
    RESULT_HEADER,
    AttributionResult,
    TransitionMatrix,
)
from xhsxl.core.attribution.shapley import DEFAULT_PERMUTATIONS, MAX_EXACT_CHANNELS, shapley, simplified_shapley
from xhsxl.core.attribution.touchpoints import journeys_from_touchpoints
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe

__all__ = [
    "MODELS",
    "attribute",
    "model_name",
    "path_table",
    "journeys_from_touchpoints",
    "PathTable",
    "AttributionResult",
    "TransitionMatrix",
    "MarkovOrderSelection",
    "MissingNonConversionsWarning",
    "first_touch",
    "last_touch",
    "last_non_direct_touch",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "select_markov_order",
    "simplified_shapley",
    "shapley",
    "shapley_monotone",
    "RESULT_HEADER",
    "REMOVAL_EFFECTS_HEADER",
    "DEFAULT_SEPARATOR",
    "MAX_ORDER",
    "MAX_EXACT_CHANNELS",
    "DEFAULT_PERMUTATIONS",
    "DIRECT_CHANNEL",
    "LOOKBACK_DAYS",
    "POSITION_BASED_WEIGHTS",
    "TIME_DECAY_HALF_LIFE_DAYS",
]

def shapley_monotone(paths: PathTable) -> AttributionResult:
    """:func:`shapley` with ``monotone=True``, as a model of its own name: the Shapley value of the monotone
    cover of the conversion-rate game, so no channel gets negative credit.

    Plain Shapley credits a channel below 0 when the journeys with it convert less often than those without
    it (a retargeting or late search ad shown to hesitant users); the cover values a set of channels at the
    best any of its subsets achieves, which no added channel can lower. Credits are rescaled to add up to the
    total conversions (and value). Exact over every coalition, so at most 20 channels.

    Journeys with b convert at 5 % or 10 %, those with a alone at 50 %: plain Shapley credits b with −4.

    >>> table = path_table(["a", "a > b", "b"], [10, 1, 1], nulls=[10, 19, 9])
    >>> shapley(table).conversions.round(6).tolist()
    [16.0, -4.0]
    >>> result = shapley_monotone(table)
    >>> result.model, result.conversions.round(6).tolist()
    ('shapley_monotone', [10.8, 1.2])
    """
    return dataclasses.replace(shapley(paths, monotone=True), model="shapley_monotone")


#: Every model :func:`attribute` runs, by canonical name.
MODELS: dict[str, Callable[..., AttributionResult]] = {
    "first_touch": first_touch,
    "last_touch": last_touch,
    "last_non_direct_touch": last_non_direct_touch,
    "linear": linear,
    "position_based": position_based,
    "time_decay": time_decay,
    "markov": markov,
    "simplified_shapley": simplified_shapley,
    "shapley": shapley,
    "shapley_monotone": shapley_monotone,
}

# Spellings analysts use for the same models (GA, ChannelAttribution, Chinese ad platforms' English).
_ALIASES = {
    "first": "first_touch",
    "first_click": "first_touch",
    "first_interaction": "first_touch",
    "last": "last_touch",
    "last_click": "last_touch",
    "last_interaction": "last_touch",
    "last_non_direct": "last_non_direct_touch",
    "last_non_direct_click": "last_non_direct_touch",
    "last_non_direct_interaction": "last_non_direct_touch",
    "position": "position_based",
    "u_shaped": "position_based",
    "time": "time_decay",
    "markov_chain": "markov",
    "removal_effect": "markov",
    "shapley_value": "shapley",
    "simple_shapley": "simplified_shapley",
    "monotone_shapley": "shapley_monotone",
}


def model_name(model: Any) -> str:
    """The canonical name of ``model`` (case, spaces and hyphens ignored), or :class:`XhsInputError`.

    >>> model_name("Last click"), model_name("U-shaped"), model_name("MARKOV")
    ('last_touch', 'position_based', 'markov')
    """
    if not isinstance(model, str) or not model.strip():
        raise XhsInputError(f"model must be one of {', '.join(MODELS)} (got {describe(model)})")
    key = "_".join(model.strip().lower().replace("-", " ").replace("_", " ").split())
    key = _ALIASES.get(key, key)
    if key not in MODELS:
        raise XhsInputError(f"model must be one of {', '.join(MODELS)} (got {describe(model)})")
    return key


def attribute(
    paths: PathTable,
    model: str = "markov",
    *,
    order: int | str = 1,
    collapse_repeats: bool = False,
    include_transition_matrix: bool = False,
    direct: str = DIRECT_CHANNEL,
    weights: Sequence[float] = POSITION_BASED_WEIGHTS,
    half_life_days: float = TIME_DECAY_HALF_LIFE_DAYS.value,
    max_exact_channels: int = MAX_EXACT_CHANNELS,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> AttributionResult:
    """Run the attribution model called ``model`` on ``paths``; options a model does not use are ignored.

    Parameters
    ----------
    paths : PathTable
    model : str, default ``"markov"``
        One of :data:`MODELS` or a common alias (``"last click"``, ``"u-shaped"`` …), see :func:`model_name`.
    order, collapse_repeats, include_transition_matrix
        For :func:`markov`.
    direct
        For :func:`last_non_direct_touch`.
    weights
        For :func:`position_based`.
    half_life_days
        For :func:`time_decay`.
    max_exact_channels, permutations, seed
        For :func:`shapley`.

    Returns
    -------
    AttributionResult

    Examples
    --------
    >>> table = path_table(["a > b", "b"], [1, 1], nulls=[1, 1])
    >>> attribute(table, "linear").conversions.tolist()
    [0.5, 1.5]
    """
    name = model_name(model)
    if name == "markov":
        return markov(
            paths, order, collapse_repeats=collapse_repeats, include_transition_matrix=include_transition_matrix
        )
    if name == "last_non_direct_touch":
        return last_non_direct_touch(paths, direct)
    if name == "position_based":
        return position_based(paths, weights)
    if name == "time_decay":
        return time_decay(paths, half_life_days)
    if name == "shapley":
        return shapley(paths, max_exact_channels=max_exact_channels, permutations=permutations, seed=seed)
    if name == "shapley_monotone":
        return shapley_monotone(paths)
    return MODELS[name](paths)

"""Touch logs attributed one user partition at a time, with an exact merge.

A journey never crosses users, so a touch log split by user (a stable hash of the user id modulo K) can
be turned into journeys partition by partition, and what each partition yields adds up exactly:

- the **path table** — distinct paths with their conversions, non-converting journeys and value — merges
  by summing the rows of equal paths (counts are whole numbers, so their sums are exact);
- **time decay**, the one model that needs each touch's time, is credited per partition while the touch
  times are at hand, and the per-channel credits are summed;
- every other model depends on a journey's path alone, so it runs on the merged path table, as do the
  exact Markov and Shapley solvers.

:class:`JourneySummary` is what a partition yields and what a merge returns; :func:`summarise_journeys`
builds one from a partition's journeys, :func:`merge_summaries` adds any number of them, and
:func:`attribute_summary` runs a model on the result. :func:`journeys_by_partition` does all three on
arrays in memory — the reference the out-of-core and Spark drivers (``xhsxl.scale``) are tested against,
and a check that the answer does not depend on K. Nothing here reads files.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Iterable, Sequence

import numpy as np

from xhsxl.core.attribution import attribute, model_name
from xhsxl.core.attribution.conventions import LOOKBACK_DAYS, TIME_DECAY_HALF_LIFE_DAYS
from xhsxl.core.attribution.heuristics import time_decay
from xhsxl.core.attribution.paths import PathTable
from xhsxl.core.attribution.result import AttributionResult
from xhsxl.core.attribution.touchpoints import code_touchpoints, journeys_from_codes
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe, numeric

__all__ = [
    "JourneySummary",
    "user_partition",
    "summarise_journeys",
    "merge_summaries",
    "canonical_paths",
    "attribute_summary",
    "journeys_by_partition",
    "MAX_PARTITIONS",
]

_MASK64 = np.uint64(2**64 - 1)
#: Most user partitions: partition numbers are sorted as 16-bit keys (numpy's radix sort).
MAX_PARTITIONS = 65_536


@dataclass(frozen=True, eq=False)
class JourneySummary:
    """Everything attribution needs from a set of journeys, in a form that adds up across user partitions.

    Attributes
    ----------
    paths : PathTable
        Distinct paths in canonical order (:func:`canonical_paths`), conversions, nulls and value summed.
    time_decay_conversions, time_decay_value : ndarray or None
        Time-decay credit per channel of ``paths.channels`` (value ``None`` when the log has no values;
        both ``None`` when no journey converts).
    half_life_days : float
        The half-life the time-decay credit was computed with.
    rows, journeys : int
        Touch rows read and journeys built (before merging identical paths).
    """

    paths: PathTable
    time_decay_conversions: np.ndarray | None
    time_decay_value: np.ndarray | None
    half_life_days: float
    rows: int
    journeys: int


def user_partition(users: Any, n_partitions: int) -> np.ndarray:
    """The partition (0 … K−1) of each row's user: a stable hash of the id, the same in every process.

    Whole-number ids (integers, or floats holding whole numbers) go through the SplitMix64 finaliser;
    text ids through CRC-32 of their UTF-8 bytes. Python's own ``hash`` of text changes between runs, so
    it is never used.

    >>> user_partition([10, 11, 10], 4).tolist() == user_partition(np.array([10.0, 11.0, 10.0]), 4).tolist()
    True
    >>> bool(user_partition(["ann", "bo", "ann"], 2)[0] == user_partition(["ann"], 2)[0])
    True
    """
    k = int(numeric(n_partitions, "n_partitions", ge=1, le=MAX_PARTITIONS))
    column = users if isinstance(users, np.ndarray) else np.asarray(users, dtype=object)
    if column.dtype.kind == "O" and all(isinstance(item, (int, float)) and not isinstance(item, bool)
                                        for item in column.tolist()):
        column = np.asarray(column.tolist())
    if column.dtype.kind in "iuf":
        return (_splitmix64(column.astype(np.int64).view(np.uint64)) % np.uint64(k)).astype(np.int32)
    items = column.tolist()
    distinct = dict.fromkeys(items)
    bucket = {item: zlib.crc32(str(item).encode("utf-8")) % k for item in distinct}
    return np.fromiter(map(bucket.__getitem__, items), dtype=np.int32, count=len(items))


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's output function: every input bit affects every output bit (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return (z ^ (z >> np.uint64(31))) & _MASK64


def summarise_journeys(journeys: PathTable, *, rows: int,
                       half_life_days: float = TIME_DECAY_HALF_LIFE_DAYS.value) -> JourneySummary:
    """A partition's journeys (one path per journey, with touch times) reduced to a :class:`JourneySummary`."""
    half_life = float(numeric(half_life_days, "half_life_days", gt=0))
    decay_conversions = decay_value = None
    if journeys.conversions.any() and journeys.days_before_conversion is not None:
        credit = time_decay(journeys, half_life)
        decay_conversions, decay_value = credit.conversions, credit.value
    return JourneySummary(
        paths=canonical_paths(journeys.grouped()),
        time_decay_conversions=decay_conversions,
        time_decay_value=decay_value,
        half_life_days=half_life,
        rows=int(rows),
        journeys=journeys.n_paths,
    )


def canonical_paths(paths: PathTable) -> PathTable:
    """``paths`` sorted by their channel sequences (lexicographic on channel codes, a prefix first).

    Two tables holding the same paths and counts are then equal array for array, whatever order their
    journeys were found in.
    """
    flat = paths.touches.tolist()
    bounds = paths.offsets.tolist()
    keys = [tuple(flat[start:end]) for start, end in zip(bounds[:-1], bounds[1:])]
    order = np.asarray(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    return replace(paths, days_before_conversion=None).take(order)


def merge_summaries(summaries: Iterable[JourneySummary]) -> JourneySummary:
    """The summary of the union of disjoint sets of users: equal paths summed, channels united and sorted.

    Raises :class:`XhsInputError` when there is nothing to merge, or when the parts disagree on whether
    there are values or on the time-decay half-life.
    """
    parts = [part for part in summaries if part.journeys > 0]
    if not parts:
        raise XhsInputError("the touch log has no rows")
    if len({part.paths.values is None for part in parts}) > 1:
        raise XhsInputError("some partitions have conversion values and others not")
    if len({part.half_life_days for part in parts}) > 1:
        raise XhsInputError("partitions were summarised with different time-decay half-lives")
    if len(parts) == 1:
        return parts[0]  # already grouped and in canonical order
    channels = tuple(sorted(set().union(*(part.paths.channels for part in parts))))
    index_of = {name: code for code, name in enumerate(channels)}
    n = len(channels)
    touches, lengths = [], []
    decay_conversions = np.zeros(n)
    decay_value = None if parts[0].paths.values is None else np.zeros(n)
    any_decay = False
    for part in parts:
        recode = np.asarray([index_of[name] for name in part.paths.channels], dtype=np.int32)
        touches.append(recode[part.paths.touches])
        lengths.append(part.paths.lengths)
        if part.time_decay_conversions is not None:
            any_decay = True
            decay_conversions += np.bincount(recode, weights=part.time_decay_conversions, minlength=n)
            if decay_value is not None:
                decay_value += np.bincount(recode, weights=part.time_decay_value, minlength=n)
    all_lengths = np.concatenate(lengths)
    offsets = np.zeros(len(all_lengths) + 1, dtype=np.int64)
    np.cumsum(all_lengths, out=offsets[1:])
    joined = PathTable(
        channels=channels,
        touches=np.concatenate(touches),
        offsets=offsets,
        conversions=np.concatenate([part.paths.conversions for part in parts]),
        nulls=np.concatenate([part.paths.nulls for part in parts]),
        values=None if decay_value is None else np.concatenate([part.paths.values for part in parts]),
        days_before_conversion=None,
        has_nulls=True,
    )
    return JourneySummary(
        paths=canonical_paths(joined.grouped()),
        time_decay_conversions=decay_conversions if any_decay else None,
        time_decay_value=decay_value if any_decay else None,
        half_life_days=parts[0].half_life_days,
        rows=sum(part.rows for part in parts),
        journeys=sum(part.journeys for part in parts),
    )


def attribute_summary(summary: JourneySummary, model: str = "markov", **options: Any) -> AttributionResult:
    """Run ``model`` on a merged summary: time decay from its summed credit, the rest on its path table.

    ``options`` are those of :func:`xhsxl.core.attribution.attribute`; ``half_life_days``, if given, must
    be the one the summary was built with (touch times are gone after the merge).
    """
    name = model_name(model)
    if name != "time_decay":
        options.pop("half_life_days", None)
        return attribute(summary.paths, name, **options)
    half_life = float(numeric(options.get("half_life_days", summary.half_life_days), "half_life_days", gt=0))
    if half_life != summary.half_life_days:
        raise XhsInputError(
            f"half_life_days must be the {summary.half_life_days:g} days the partitions were summarised with "
            f"(got {describe(half_life)})"
        )
    if summary.time_decay_conversions is None:
        raise XhsInputError("conversions are all 0: no path converts, so there is nothing to attribute")
    return AttributionResult(
        model="time_decay",
        channels=summary.paths.channels,
        conversions=summary.time_decay_conversions,
        value=summary.time_decay_value,
        details=MappingProxyType({"half_life_days": half_life}),
    )


def journeys_by_partition(
    users: Any,
    timestamps: Any,
    channels: Any,
    converted: Any,
    values: Any = None,
    *,
    n_partitions: int = 4,
    lookback_days: float | None = LOOKBACK_DAYS.value,
    time_unit: str = "days",
    half_life_days: float = TIME_DECAY_HALF_LIFE_DAYS.value,
) -> JourneySummary:
    """:func:`~xhsxl.core.attribution.journeys_from_touchpoints`, partition by partition, merged.

    Same arguments (plus ``n_partitions`` and the time-decay ``half_life_days``); same journeys, whatever
    ``n_partitions`` is.

    >>> summary = journeys_by_partition(["ann", "ann", "bo", "ann", "bo"], [1, 5, 10, 8, 50],
    ...     ["kol_mid", "search_ads", "kol_top", "feed_ads", "search_ads"], [0, 1, 0, 0, 1],
    ...     [None, 300, None, None, 120], n_partitions=3)
    >>> summary.paths.path_strings(), summary.paths.conversions.tolist(), summary.journeys
    (['feed_ads', 'kol_mid > search_ads', 'search_ads'], [0.0, 1.0, 1.0], 3)
    """
    coded = code_touchpoints(users, timestamps, channels, converted, values, lookback_days=lookback_days,
                             time_unit=time_unit)
    keys, days, channel_codes = coded["user_keys"], coded["days"], coded["channel_codes"]
    converting, row_values = coded["converting"], coded["row_values"]
    part = user_partition(keys, n_partitions)
    summaries = []
    for rows in _rows_by_partition(part, int(n_partitions)):
        if len(rows) == 0:
            continue
        journeys = journeys_from_codes(
            keys[rows], days[rows], channel_codes[rows], coded["channel_names"], converting[rows],
            None if row_values is None else row_values[rows], lookback_days=coded["lookback_days"],
        )
        summaries.append(summarise_journeys(journeys, rows=len(rows), half_life_days=half_life_days))
    return merge_summaries(summaries)


def _rows_by_partition(part: np.ndarray, n_partitions: int) -> Sequence[np.ndarray]:
    """Row indices of each partition, in input order (one stable sort, then slices)."""
    order = np.argsort(part.astype(np.uint16), kind="stable")  # 16-bit keys: numpy sorts them by radix
    bounds = np.zeros(n_partitions + 1, dtype=np.int64)
    np.cumsum(np.bincount(part, minlength=n_partitions), out=bounds[1:])
    return [order[bounds[i]:bounds[i + 1]] for i in range(n_partitions)]

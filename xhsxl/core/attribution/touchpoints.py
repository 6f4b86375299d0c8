"""Build journeys from raw touchpoint rows: one row per touch, split at conversions, cut by a lookback window.

A touchpoint log is what a tracking export gives: ``(user, timestamp, channel, converted, value)`` per
touch, in any order. :func:`journeys_from_touchpoints` turns it into a :class:`PathTable` with one row per
journey, ready for every model (time decay included: each touch keeps its days before the conversion).

Everything is vectorised — a sort by (user, time), boundary flags, cumulative sums and ``bincount`` —
so a log of millions of rows never meets a per-row Python loop. Text columns are coded in one C-level
pass through a ``dict`` (``map`` over a ``defaultdict``), which is faster than sorting strings.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from collections import defaultdict
from typing import Any

import numpy as np

from xhsxl.core.attribution.conventions import LOOKBACK_DAYS
from xhsxl.core.attribution.paths import PathTable
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe, is_blank, is_number, numeric

__all__ = ["journeys_from_touchpoints", "journeys_from_codes", "code_touchpoints", "user_keys", "TIME_UNITS"]

#: Length of one unit of a numeric timestamp, in days. Excel serial dates are days.
TIME_UNITS = {"days": 1.0, "hours": 1 / 24, "minutes": 1 / 1440, "seconds": 1 / 86400}

_NANOSECONDS_PER_DAY = 86_400_000_000_000


def journeys_from_touchpoints(
    users: Any,
    timestamps: Any,
    channels: Any,
    converted: Any,
    values: Any = None,
    *,
    lookback_days: float | None = LOOKBACK_DAYS.value,
    time_unit: str = "days",
) -> PathTable:
    """Aggregate touchpoint rows into journeys, one path per journey.

    Parameters
    ----------
    users : array_like
        Who touched: any hashable ids (numbers or text), one per row.
    timestamps : array_like
        When: ``datetime64`` values, ``datetime``/``date`` objects, ISO-8601 text, or numbers in
        ``time_unit`` (Excel serial dates are days).
    channels : array_like of str
        The channel of the touch (``"kol_mid"``, ``"search_ads"`` …).
    converted : array_like of bool or 0/1
        Whether the user converted at this touch; the touch is the last of its journey.
    values : array_like, optional
        Conversion value (¥, ≥ 0) of converting rows; other rows are ignored and may be blank.
    lookback_days : float or None, default 30
        Touches more than this many days before their journey's end are left out (GA4's default for
        acquisition conversions; GA4 uses 90 days for other conversions). ``None`` keeps every touch.
    time_unit : {'days', 'hours', 'minutes', 'seconds'}
        Unit of numeric timestamps.

    Returns
    -------
    PathTable
        One row per journey (not merged — call :meth:`PathTable.grouped` to merge identical paths),
        ordered by user (numeric ids ascending, other ids in order of first appearance) then time;
        conversions are 1 or 0, nulls their complement, values the converting row's value, and
        ``days_before_conversion`` the age of each touch at the journey's end.

    Notes
    -----
    Rows are grouped by user (numeric ids ascending, other ids in order of first appearance), then sorted
    by time; rows with equal times keep their input order. A user's journey
    runs from the touch after their previous conversion (or their first touch) to their next converting
    touch, inclusive; touches after a user's last conversion form one final journey that did not
    convert. The journey's end — the conversion, or for a journey that did not convert its last touch —
    anchors the lookback window: a touch is kept when ``end − time ≤ lookback_days``. Touches outside the
    window are dropped, not turned into journeys of their own, as GA4 does; the end touch is always kept,
    so no journey is empty.

    References
    ----------
    Google Analytics Admin API, ``AttributionSettings``: "The default window size is 30 days"
    (acquisition conversions), "90 days" (other conversions).

    Examples
    --------
    Ann converts on day 5 after two touches, then touches once more without converting; Bo's first touch
    is 40 days before his conversion, outside the 30-day window.

    >>> table = journeys_from_touchpoints(
    ...     users=["ann", "ann", "bo", "ann", "bo"],
    ...     timestamps=[1, 5, 10, 8, 50],
    ...     channels=["kol_mid", "search_ads", "kol_top", "feed_ads", "search_ads"],
    ...     converted=[0, 1, 0, 0, 1],
    ...     values=[None, 300, None, None, 120])
    >>> table.path_strings()
    ['kol_mid > search_ads', 'feed_ads', 'search_ads']
    >>> table.conversions.tolist(), table.values.tolist()
    ([1.0, 0.0, 1.0], [300.0, 0.0, 120.0])
    >>> table.days_before_conversion.tolist()
    [4.0, 0.0, 0.0, 0.0]
    """
    return journeys_from_codes(**code_touchpoints(users, timestamps, channels, converted, values,
                                                  lookback_days=lookback_days, time_unit=time_unit))


def code_touchpoints(
    users: Any,
    timestamps: Any,
    channels: Any,
    converted: Any,
    values: Any = None,
    *,
    lookback_days: float | None = LOOKBACK_DAYS.value,
    time_unit: str = "days",
) -> dict[str, Any]:
    """The arguments of :func:`journeys_from_touchpoints` checked and coded: the keyword arguments of
    :func:`journeys_from_codes` (``user_keys``, ``days``, ``channel_codes``, ``channel_names``,
    ``converting``, ``row_values``, ``lookback_days``). Raises :class:`XhsInputError` naming the column."""
    keys = user_keys(users)
    n_rows = len(keys)
    days = _days(timestamps, "timestamps", time_unit)
    channel_codes, channel_names = _codes(channels, "channels", sort_names=True)
    converting = _flags(converted, "converted")
    for name, column in (("timestamps", days), ("channels", channel_codes), ("converted", converting)):
        if len(column) != n_rows:
            raise XhsInputError(f"{name} has {len(column)} rows but users has {n_rows}")
    row_values = None if values is None else _conversion_values(values, converting, n_rows)
    if lookback_days is not None:
        lookback_days = float(numeric(lookback_days, "lookback_days", gt=0))
    return {
        "user_keys": keys,
        "days": days,
        "channel_codes": channel_codes,
        "channel_names": tuple(str(name) for name in channel_names),  # numeric channel ids become names
        "converting": converting,
        "row_values": row_values,
        "lookback_days": lookback_days,
    }


def journeys_from_codes(
    user_keys: np.ndarray,
    days: np.ndarray,
    channel_codes: np.ndarray,
    channel_names: tuple[str, ...],
    converting: np.ndarray,
    row_values: np.ndarray | None,
    *,
    lookback_days: float | None,
) -> PathTable:
    """The kernel of :func:`journeys_from_touchpoints` on columns that are already checked and coded.

    ``user_keys`` are non-negative integers (equal for equal users; their order is the output order),
    ``days`` float days from a fixed origin, ``channel_codes`` indices into the sorted ``channel_names``,
    ``converting`` booleans and ``row_values`` the value of converting rows (0 elsewhere) or ``None``.
    The partitioned engines call it once per partition of users, with codes they made themselves.
    """
    user_codes, times = user_keys, days
    n_rows = len(user_codes)
    if n_rows == 0:
        raise XhsInputError("the touch log has no rows")
    # Temporaries are freed as soon as used: a log of millions of rows costs tens of MiB per column.
    order = _row_order(user_codes, times)
    converting_sorted = converting[order]
    user_sorted = user_codes[order]
    starts = np.empty(n_rows, dtype=bool)
    starts[0] = True
    np.not_equal(user_sorted[1:], user_sorted[:-1], out=starts[1:])
    starts[1:] |= converting_sorted[:-1]  # a conversion ends its journey
    del user_sorted
    journey = np.cumsum(starts, dtype=np.int32 if n_rows < 2**31 else np.int64)
    journey -= 1
    first_rows = np.flatnonzero(starts)
    del starts
    last_rows = np.empty_like(first_rows)
    last_rows[:-1] = first_rows[1:] - 1
    last_rows[-1] = n_rows - 1
    n_journeys = len(first_rows)

    time_sorted = times[order]
    del times
    days_before_end = time_sorted[last_rows][journey]
    days_before_end -= time_sorted
    del time_sorted
    if lookback_days is not None:
        keep = days_before_end <= lookback_days
        kept_rows = order[keep]
        kept_journey = journey[keep]
        days_before_end = days_before_end[keep]
    else:
        kept_rows, kept_journey = order, journey
    del journey
    kept_per_journey = np.bincount(kept_journey, minlength=n_journeys)
    del kept_journey
    offsets = np.zeros(n_journeys + 1, dtype=np.int64)
    np.cumsum(kept_per_journey, out=offsets[1:])
    ends_converting = converting_sorted[last_rows]
    conversions = ends_converting.astype(float)
    journey_values = None
    if row_values is not None:
        journey_values = np.where(ends_converting, row_values[order[last_rows]], 0.0)
    return PathTable(
        channels=channel_names,
        touches=channel_codes[kept_rows].astype(np.int32, copy=False),
        offsets=offsets,
        conversions=conversions,
        nulls=1.0 - conversions,
        values=journey_values,
        days_before_conversion=days_before_end,
        has_nulls=True,
    )


def _row_order(user_codes: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Row order by user, then time, ties in input order.

    Exports usually arrive in time order: then the time ranks are the row numbers and one stable sort by
    user is the whole job. Otherwise (user, rank of time) is packed into one unsigned 64-bit key and sorted
    once, about twice as fast as ``np.lexsort`` on two keys. When the pack would not fit (12-digit user
    ids beyond ~18M rows), a stable sort by user of the rows in time order gives the same order without
    ``lexsort``'s second pass.
    """
    n = len(times)
    if n > 1 and bool(np.all(times[1:] >= times[:-1])):
        return np.argsort(user_codes, kind="stable")
    by_time = np.argsort(times, kind="stable")
    n_users = int(user_codes.max()) + 1
    if n_users <= (2**64 - 1) // max(n, 1):
        time_rank = np.empty(n, dtype=np.uint64)
        time_rank[by_time] = np.arange(n, dtype=np.uint64)  # distinct ranks: ties already in input order
        del by_time
        packed = user_codes.astype(np.uint64)
        packed *= np.uint64(n)
        packed += time_rank
        del time_rank
        return np.argsort(packed)
    return by_time[np.argsort(user_codes[by_time], kind="stable")]


# -- column conversion ---------------------------------------------------------------------------------
def _as_1d(values: Any, name: str) -> Any:
    """A list or 1-D array; an Excel column (list of one-element lists) is flattened."""
    if isinstance(values, np.ndarray):
        if values.ndim == 2 and 1 in values.shape:
            values = values.ravel()
        if values.ndim != 1:
            raise XhsInputError(f"{name} must be a single column or row")
        if values.size == 0:
            raise XhsInputError(f"{name} must not be empty")
        return values
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise XhsInputError(f"{name} must be a column of values (got {describe(values)})")
    items = list(values)
    if not items:
        raise XhsInputError(f"{name} must not be empty")
    if isinstance(items[0], (list, tuple)):
        if not all(isinstance(item, (list, tuple)) and len(item) == 1 for item in items):
            raise XhsInputError(f"{name} must be a single column or row")
        items = [item[0] for item in items]
    return items


def user_keys(values: Any) -> np.ndarray:
    """A non-negative integer per row, equal for equal users, whose order is the journeys' output order.

    Numeric ids sort as numbers: whole-number ids are used as they are (shifted to start at 0) when they
    span less than 2**40 — no factorising sort, which is the slowest step on a big log. Other ids are
    numbered in order of first appearance.
    """
    column = _as_1d(values, "users")
    if not isinstance(column, np.ndarray):
        is_number = [isinstance(item, (int, float)) and not isinstance(item, bool) for item in column]
        if all(is_number):
            column = np.asarray(column)
    if isinstance(column, np.ndarray) and column.dtype.kind in "iuf":
        if column.dtype.kind == "f":
            if not np.isfinite(column).all():
                row = int(np.argmax(~np.isfinite(column)))
                raise XhsInputError(argument="users", reason="is blank or not a number", position=(row + 1,))
            whole = bool(np.all(column == np.round(column))) and np.abs(column).max() < 2**53
        else:
            whole = True
        if whole:
            low, high = int(column.min()), int(column.max())
            if high - low < 2**40:
                keys = column.astype(np.int64)
                keys -= low
                return keys
        _, codes = np.unique(column, return_inverse=True)
        return codes.astype(np.int64, copy=False)
    codes, _ = _codes(column, "users", sort_names=False)
    return codes


def _codes(values: Any, name: str, *, sort_names: bool) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Integer code per row (equal values ⇔ equal codes) and the distinct values in code order.

    Numeric arrays are coded in sorted order by :func:`numpy.unique`. Anything else goes through a
    ``dict``: codes follow the order of first appearance (deterministic, unlike a ``set`` of strings whose
    order changes between runs), or sorted order with ``sort_names`` (channels, whose order results show).
    """
    column = _as_1d(values, name)
    if isinstance(column, np.ndarray) and column.dtype.kind in "iuf":
        if column.dtype.kind == "f" and not np.isfinite(column).all():
            row = int(np.argmax(~np.isfinite(column)))
            raise XhsInputError(argument=name, reason="is blank or not a number", position=(row + 1,))
        values_found, codes = np.unique(column, return_inverse=True)
        return codes.astype(np.int32, copy=False), tuple(values_found.tolist())
    if isinstance(column, np.ndarray) and column.dtype.kind == "b":
        raise XhsInputError(f"{name} must be ids or names, not true/false values")
    items = column.tolist() if isinstance(column, np.ndarray) else column
    # One hashing pass over the rows: a value's code is the number of distinct values seen before it.
    first_seen: dict[Any, int] = defaultdict(itertools.count().__next__)
    codes = np.fromiter(map(first_seen.__getitem__, items), dtype=np.int32, count=len(items))
    distinct: list[Any] = list(first_seen)  # in order of first appearance, which is code order
    if any(map(_cannot_identify, distinct)):
        row = next(i for i, item in enumerate(items) if _cannot_identify(item))
        raise XhsInputError(argument=name, reason=f"is blank ({describe(items[row])})", position=(row + 1,))
    if sort_names:
        # Channel names follow the path-table rules: surrounding spaces are not part of the name.
        stripped = [item.strip() if isinstance(item, str) else item for item in distinct]
        try:
            names = sorted(set(stripped))
        except TypeError:
            raise XhsInputError(f"{name} must all be text (or all numbers)") from None
        code_of_name = dict(zip(names, range(len(names))))
        codes = np.asarray([code_of_name[name_] for name_ in stripped], dtype=np.int32)[codes]
        distinct = names
    return codes, tuple(distinct)


def _cannot_identify(item: Any) -> bool:
    """None, empty text, NaN and booleans cannot identify a user or a channel."""
    if is_blank(item) or isinstance(item, bool):
        return True
    return isinstance(item, float) and not np.isfinite(item)


def _days(values: Any, name: str, time_unit: str) -> np.ndarray:
    """Timestamps as float days (relative to an arbitrary but fixed origin)."""
    if time_unit not in TIME_UNITS:
        raise XhsInputError(f"time_unit must be one of {', '.join(TIME_UNITS)} (got {describe(time_unit)})")
    column = _as_1d(values, name)
    array = column if isinstance(column, np.ndarray) else np.asarray(column, dtype=object)
    if array.dtype.kind in "iuf":
        return numeric(array, name) * TIME_UNITS[time_unit]
    if array.dtype.kind != "M":
        items = array.tolist()
        is_number = [isinstance(item, (int, float)) and not isinstance(item, bool) for item in items]
        if is_number[0]:  # the first row decides: numbers in time_unit, or dates and times
            if not all(is_number):
                row = is_number.index(False)
                raise XhsInputError(argument=name, reason="must be a number like the rows above", value=items[row],
                                    position=(row + 1,))
            return numeric(np.asarray(items, dtype=float), name) * TIME_UNITS[time_unit]
        for row, item in enumerate(items):
            if item is None or not isinstance(item, (str, _dt.date, np.datetime64)):
                raise XhsInputError(argument=name, reason="must be a date and time", value=item, position=(row + 1,))
        try:
            array = np.asarray(items, dtype="datetime64[ns]")
        except (ValueError, TypeError):
            row, item = next((r, i) for r, i in enumerate(items) if not _parses_as_time(i))
            raise XhsInputError(argument=name, reason="is not a date and time", value=item,
                                position=(row + 1,)) from None
    stamps = array.astype("datetime64[ns]")
    missing = np.isnat(stamps)
    if missing.any():
        raise XhsInputError(argument=name, reason="is blank", position=(int(np.argmax(missing)) + 1,))
    # Days since a fixed origin (the Unix epoch), not since the log's earliest row: a part of the log then
    # gets the very same floats as the whole, so partitioned runs match in-memory ones bit for bit.
    # Float days near today resolve ~0.25 µs, far below any lookback or half-life.
    days = stamps.view(np.int64).astype(float)
    days /= _NANOSECONDS_PER_DAY
    return days


def _parses_as_time(item: Any) -> bool:
    try:
        np.datetime64(item, "ns")
    except (ValueError, TypeError):
        return False
    return True


def _flags(values: Any, name: str) -> np.ndarray:
    column = _as_1d(values, name)
    array = column if isinstance(column, np.ndarray) else np.asarray(column, dtype=object)
    if array.dtype.kind == "b":
        return array
    if array.dtype.kind == "O":
        items = array.tolist()
        if any(item is None for item in items):
            raise XhsInputError(argument=name, reason="is blank (use 0 or FALSE)", position=(items.index(None) + 1,))
        array = np.asarray([float(item) if isinstance(item, bool) else item for item in items], dtype=object)
    numbers = numeric(array, name)
    invalid = (numbers != 0) & (numbers != 1)
    if invalid.any():
        row = int(np.argmax(invalid))
        raise XhsInputError(argument=name, reason="must be 0/1 or TRUE/FALSE", value=numbers[row], position=(row + 1,))
    return numbers == 1


def _conversion_values(values: Any, converting: np.ndarray, n_rows: int) -> np.ndarray:
    column = _as_1d(values, "values")
    if isinstance(column, np.ndarray) and column.dtype.kind in "iuf":
        numbers = column.astype(float)
    else:
        items = column.tolist() if isinstance(column, np.ndarray) else column
        try:
            numbers = np.asarray([np.nan if item is None else item for item in items], dtype=float)
        except (TypeError, ValueError):
            row, item = next((r, i) for r, i in enumerate(items) if i is not None and (isinstance(i, bool) or not is_number(i)))
            raise XhsInputError(argument="values", reason="must be numbers", value=item, position=(row + 1,)) from None
    if len(numbers) != n_rows:
        raise XhsInputError(f"values has {len(numbers)} rows but users has {n_rows}")
    bad = converting & ~(np.isfinite(numbers) & (numbers >= 0))
    if bad.any():
        row = int(np.argmax(bad))
        raise XhsInputError(argument="values of a converting row", reason="must be a number at least 0",
                            value=numbers[row], position=(row + 1,))
    return np.where(converting, numbers, 0.0)

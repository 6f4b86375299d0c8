"""The partitioned engine gives the in-memory engine's path table and credit, whatever the number of partitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xhsxl.core.attribution import MODELS, attribute, journeys_from_touchpoints
from xhsxl.core.attribution.partition import (
    attribute_summary,
    canonical_paths,
    journeys_by_partition,
    merge_summaries,
    summarise_journeys,
    user_partition,
)
from xhsxl.core.errors import XhsInputError

CHANNELS = ["kol_top", "kol_mid", "kol_micro", "search_ads", "feed_ads", "direct"]


@st.composite
def touch_logs(draw):
    n = draw(st.integers(1, 60))
    n_users = draw(st.integers(1, 12))
    text_users = draw(st.booleans())
    user_numbers = draw(st.lists(st.integers(0, n_users - 1), min_size=n, max_size=n))
    users = [f"u{u}" for u in user_numbers] if text_users else [10**11 + 7919 * u for u in user_numbers]
    # Coarse times make ties and touches exactly on the lookback boundary common.
    times = draw(st.lists(st.integers(0, 80), min_size=n, max_size=n))
    channels = draw(st.lists(st.sampled_from(CHANNELS), min_size=n, max_size=n))
    converted = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    values = [float(draw(st.floats(0, 1e4, allow_nan=False))) if c else None for c in converted]
    return users, np.asarray(times, dtype=float) / 2, channels, converted, values


def _expected(log, lookback):
    users, times, channels, converted, values = log
    return journeys_from_touchpoints(users, times, channels, converted, values, lookback_days=lookback)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=touch_logs(), k=st.integers(1, 9), lookback=st.sampled_from([None, 10.0, 30.0]))
def test_partitioned_path_table_equals_in_memory_for_any_number_of_partitions(log, k, lookback):
    expected = canonical_paths(_expected(log, lookback).grouped())
    summary = journeys_by_partition(*log, n_partitions=k, lookback_days=lookback)
    got = summary.paths
    assert got.channels == expected.channels
    np.testing.assert_array_equal(got.touches, expected.touches)
    np.testing.assert_array_equal(got.offsets, expected.offsets)
    np.testing.assert_array_equal(got.conversions, expected.conversions)  # whole numbers: bit for bit
    np.testing.assert_array_equal(got.nulls, expected.nulls)
    np.testing.assert_allclose(got.values, expected.values, rtol=1e-12, atol=1e-12)
    assert summary.rows == len(log[0])
    assert summary.journeys == _expected(log, lookback).n_paths


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=touch_logs(), k=st.integers(1, 9), half_life=st.sampled_from([1.0, 7.0]))
def test_every_model_credits_the_same_partitioned_as_in_memory(log, k, half_life):
    journeys = _expected(log, 30.0)
    if not journeys.conversions.any():
        return
    summary = journeys_by_partition(*log, n_partitions=k, lookback_days=30.0, half_life_days=half_life)
    for model in MODELS:
        if model == "shapley" and journeys.n_channels > 6:
            continue
        want = attribute(journeys, model, half_life_days=half_life)
        got = attribute_summary(summary, model, half_life_days=half_life)
        assert got.channels == want.channels
        np.testing.assert_allclose(got.conversions, want.conversions, rtol=1e-9, atol=1e-9, err_msg=model)
        np.testing.assert_allclose(got.value, want.value, rtol=1e-9, atol=1e-7, err_msg=model)


def test_user_partition_is_stable_across_runs_and_id_types():
    # Pinned: a change of hash would send users to other partitions and other spill files.
    assert user_partition([1, 2, 3, 10**12], 7).tolist() == user_partition(np.array([1, 2, 3, 10**12]), 7).tolist()
    assert user_partition(["ann", "bo"], 1000).tolist() == [
        __import__("zlib").crc32(b"ann") % 1000, __import__("zlib").crc32(b"bo") % 1000]
    spread = np.bincount(user_partition(np.arange(100_000), 8), minlength=8)
    assert spread.min() > 11_000  # about 12,500 each: the hash spreads consecutive ids evenly


def test_merge_of_summaries_is_independent_of_their_order():
    log = (["a", "a", "b", "c", "c"], [1.0, 2.0, 1.0, 3.0, 4.0], ["x", "y", "y", "z", "x"], [0, 1, 1, 0, 1],
           [None, 10.0, 5.0, None, 2.5])
    parts = [summarise_journeys(journeys_from_touchpoints(*[[col[i] for i in rows] for col in log]), rows=len(rows))
             for rows in ([0, 1], [2], [3, 4])]
    forward, backward = merge_summaries(parts), merge_summaries(parts[::-1])
    assert forward.paths.path_strings() == backward.paths.path_strings() == ["x > y", "y", "z > x"]
    np.testing.assert_array_equal(forward.time_decay_conversions, backward.time_decay_conversions)


def test_time_decay_refuses_a_half_life_other_than_the_summarised_one():
    summary = journeys_by_partition(["a", "a"], [0, 7], ["x", "y"], [0, 1], [None, 1.0], half_life_days=7)
    with pytest.raises(XhsInputError, match="half_life_days must be the 7 days"):
        attribute_summary(summary, "time_decay", half_life_days=3)
    assert attribute_summary(summary, "time_decay").conversions.tolist() == [1 / 3, 2 / 3]


def test_merge_of_nothing_is_refused():
    with pytest.raises(XhsInputError, match="no rows"):
        merge_summaries([])


@settings(max_examples=60, deadline=None)
@given(users=st.lists(st.sampled_from([0, 5, 2**40, 2**62 - 1]), min_size=1, max_size=40),
       data=st.data())
def test_row_order_is_lexsort_order_in_every_branch(users, data):
    from xhsxl.core.attribution.touchpoints import _row_order

    keys = np.asarray(users, dtype=np.int64)
    times = np.asarray(data.draw(st.lists(st.integers(0, 5), min_size=len(users), max_size=len(users))), float)
    want = np.lexsort((np.arange(len(keys)), times, keys))  # user, then time, then input order
    # Huge keys overflow the packed key (the stable-sort branch); small ones pack; sorted times skip a sort.
    np.testing.assert_array_equal(_row_order(keys, times), want)
    np.testing.assert_array_equal(_row_order(keys % 7, times), np.lexsort((np.arange(len(keys)), times, keys % 7)))
    np.testing.assert_array_equal(_row_order(keys, np.sort(times)),
                                  np.lexsort((np.arange(len(keys)), np.sort(times), keys)))

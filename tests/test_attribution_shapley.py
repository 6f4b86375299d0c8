"""Shapley attribution: closed form vs coalition enumeration, exact vs permutation brute force, sampling."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhsxl.core.attribution import path_table, shapley, simplified_shapley
from xhsxl.core.errors import XhsInputError

FAST = settings(max_examples=40, deadline=None)


def brute_force_shapley(rows, worth):
    """Average marginal contribution over every order of the channels (n! orders), from the definition."""
    channels = sorted({c for path, *_ in rows for c in path})
    totals = dict.fromkeys(channels, 0.0)
    for order in itertools.permutations(channels):
        coalition: set[str] = set()
        for channel in order:
            before = worth(rows, coalition)
            coalition.add(channel)
            totals[channel] += worth(rows, coalition) - before
    return {c: t / math.factorial(len(channels)) for c, t in totals.items()}


def conversions_worth(rows, coalition):
    return sum(conversions for path, conversions, _ in rows if set(path) <= coalition)


def rate_worth(rows, coalition):
    journeys = sum(c + n for _, c, n in rows)
    inside = [(c, n) for path, c, n in rows if set(path) <= coalition]
    reached = sum(c + n for c, n in inside)
    return journeys * sum(c for c, _ in inside) / reached if reached else 0.0


@st.composite
def journey_rows(draw, alphabet="abcd"):
    rows = [
        (
            draw(st.lists(st.sampled_from(alphabet), min_size=1, max_size=4)),
            draw(st.integers(0, 9)),
            draw(st.integers(0, 20)),
        )
        for _ in range(draw(st.integers(1, 9)))
    ]
    if not any(c for _, c, _ in rows):
        rows[0] = (rows[0][0], 1, rows[0][2])
    return rows


def table_of(rows, with_values=False):
    return path_table(
        [" > ".join(p) for p, _, _ in rows],
        [c for _, c, _ in rows],
        [3.5 * c for _, c, _ in rows] if with_values else None,
        [n for _, _, n in rows],
    )


def as_dict(result):
    return dict(zip(result.channels, result.conversions.tolist()))


def test_simplified_shapley_by_hand():
    table = path_table(["a > b > a", "b > c", "c"], [6, 4, 1], values=[60, 40, 10], nulls=[0, 0, 0])
    result = simplified_shapley(table)
    assert as_dict(result) == {"a": 3.0, "b": 5.0, "c": 3.0}
    assert result.value.tolist() == [30.0, 50.0, 30.0]


@FAST
@given(journey_rows())
def test_simplified_shapley_is_the_shapley_value_of_the_conversions_game(rows):
    expected = brute_force_shapley(rows, conversions_worth)
    assert as_dict(simplified_shapley(table_of(rows))) == pytest.approx(expected, abs=1e-9)


@FAST
@given(journey_rows())
def test_exact_shapley_matches_brute_force_over_all_orders(rows):
    expected = brute_force_shapley(rows, rate_worth)
    result = shapley(table_of(rows, with_values=True))
    assert result.details["method"] == "exact"
    assert as_dict(result) == pytest.approx(expected, abs=1e-9)
    assert result.conversions.sum() == pytest.approx(sum(c for _, c, _ in rows))
    assert result.value.sum() == pytest.approx(3.5 * sum(c for _, c, _ in rows))


def test_shapley_rate_game_by_hand():
    # a alone: 10 %, b alone: 20 %, both: 30 % of 300 journeys. v(a) = 30, v(b) = 60, v(ab) = 60.
    # φ_a = (30 + (60 − 60)) / 2 = 15, φ_b = (60 + (60 − 30)) / 2 = 45.
    table = path_table(["a", "b", "a > b"], [10, 20, 30], nulls=[90, 80, 70])
    assert as_dict(shapley(table)) == pytest.approx({"a": 15.0, "b": 45.0})


def test_shapley_can_credit_a_channel_negatively():
    # Adding b to a's journeys lowers their conversion rate.
    table = path_table(["a", "a > b"], [50, 1], nulls=[50, 99])
    assert shapley(table).credit("b") < 0


def test_the_monotone_cover_credits_no_channel_below_zero_and_still_adds_up():
    table = path_table(["a", "a > b"], [50, 1], nulls=[50, 99])
    result = shapley(table, monotone=True)
    assert result.credit("b") >= 0 and result.conversions.sum() == pytest.approx(51)
    assert result.details["game"] == "conversion rate, monotone cover"
    # By hand: b alone 10 %, a > b 5 %, a alone 30 % of 300. v(a) = 90, v(b) = 30, v(ab) = 45; the cover
    # has v̂(ab) = 90, so φ̂ = (75, 15), scaled by 45 / 90.
    lowering = path_table(["a", "b", "a > b"], [30, 10, 5], nulls=[70, 90, 95])
    assert as_dict(shapley(lowering)) == pytest.approx({"a": 52.5, "b": -7.5})
    assert as_dict(shapley(lowering, monotone=True)) == pytest.approx({"a": 37.5, "b": 7.5})
    with pytest.raises(XhsInputError, match="monotone must be True or False"):
        shapley(lowering, monotone="yes")


def monotone_cover_worth(rows, coalition):
    members = sorted(coalition)
    return max(rate_worth(rows, set(subset)) for size in range(len(members) + 1)
               for subset in itertools.combinations(members, size))


@FAST
@given(journey_rows())
def test_monotone_shapley_is_the_scaled_shapley_value_of_the_cover_and_never_negative(rows):
    expected = brute_force_shapley(rows, monotone_cover_worth)
    total = sum(c for _, c, _ in rows)
    scale = total / sum(expected.values()) if sum(expected.values()) > 0 else 0.0
    result = shapley(table_of(rows, with_values=True), monotone=True)
    assert as_dict(result) == pytest.approx({c: v * scale for c, v in expected.items()}, abs=1e-9)
    assert (result.conversions >= -1e-12).all() and (result.value >= -1e-12).all()
    assert result.conversions.sum() == pytest.approx(total)


def many_channel_rows(n_channels, seed=0, n=200):
    rng = np.random.default_rng(seed)
    names = [f"ch{i:02d}" for i in range(n_channels)]
    return [
        (list(rng.choice(names, rng.integers(1, 5))), int(rng.integers(0, 5)), int(rng.integers(1, 10)))
        for _ in range(n)
    ]


def test_sampled_shapley_converges_to_the_exact_value():
    table = table_of(many_channel_rows(6, seed=1), with_values=True)
    exact = shapley(table)
    sampled = shapley(table, max_exact_channels=0, permutations=20_000, seed=3)
    assert sampled.details["method"] == "monte carlo"
    errors = sampled.details["standard_errors"]
    assert np.all(np.abs(sampled.conversions - exact.conversions) <= 5 * errors + 1e-9)
    # Every sampled order telescopes to v(all) − v(∅), so the credits add up exactly anyway.
    assert sampled.conversions.sum() == pytest.approx(table.total_conversions)
    assert sampled.value.sum() == pytest.approx(table.total_value)


def test_sampling_is_seeded():
    table = table_of(many_channel_rows(14, seed=2))
    first = shapley(table, permutations=300, seed=7)
    assert first.details["method"] == "monte carlo" and first.details["permutations"] == 300
    assert shapley(table, permutations=300, seed=7).conversions.tolist() == first.conversions.tolist()
    assert shapley(table, permutations=300, seed=8).conversions.tolist() != first.conversions.tolist()


def test_exact_up_to_twelve_channels_by_default():
    assert shapley(table_of(many_channel_rows(12, seed=4))).details["method"] == "exact"
    assert shapley(table_of(many_channel_rows(13, seed=4)), permutations=50).details["method"] == "monte carlo"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_exact_channels": 21}, "max_exact_channels must be a whole number from 0 to 20"),
        ({"permutations": 0}, "permutations must be a whole number at least 1"),
        ({"seed": -1}, "seed must be a whole number at least 0"),
        ({"seed": 1.5}, "seed must be a whole number"),
    ],
)
def test_bad_shapley_options_name_the_problem(kwargs, message):
    with pytest.raises(XhsInputError, match=message):
        shapley(path_table(["a"], [1], nulls=[1]), **kwargs)


def test_shapley_needs_non_converting_counts():
    with pytest.raises(XhsInputError, match="shapley needs non-converting counts"):
        shapley(path_table(["a > b"], [1]))

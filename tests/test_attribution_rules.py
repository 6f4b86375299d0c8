"""Rule-based attribution models, the model dispatcher, and invariants every model must keep."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhsxl.core.attribution import (
    MODELS,
    AttributionResult,
    attribute,
    first_touch,
    last_non_direct_touch,
    last_touch,
    linear,
    model_name,
    path_table,
    position_based,
    time_decay,
)
from xhsxl.core.errors import XhsInputError

FAST = settings(max_examples=40, deadline=None)


def credit(result: AttributionResult) -> dict[str, float]:
    return {name: round(float(c), 9) for name, c in zip(result.channels, result.conversions)}


def value_credit(result: AttributionResult) -> dict[str, float]:
    return {name: round(float(v), 9) for name, v in zip(result.channels, result.value)}


@pytest.fixture
def journeys():
    # 10 conversions worth ¥1,000 on a four-touch path; 2 on a two-touch path; 1 on a single touch.
    return path_table(
        ["kol_top > kol_mid > kol_micro > search_ads", "kol_mid > search_ads", "kol_micro"],
        [10, 2, 1],
        values=[1_000, 300, 50],
        nulls=[90, 40, 200],
        days_before_conversion=["21 > 14 > 7 > 0", "7 > 0", "0"],
    )


def test_first_touch_by_hand(journeys):
    result = first_touch(journeys)
    assert credit(result) == {"kol_micro": 1, "kol_mid": 2, "kol_top": 10, "search_ads": 0}
    assert value_credit(result) == {"kol_micro": 50, "kol_mid": 300, "kol_top": 1_000, "search_ads": 0}


def test_last_touch_by_hand(journeys):
    assert credit(last_touch(journeys)) == {"kol_micro": 1, "kol_mid": 0, "kol_top": 0, "search_ads": 12}


def test_linear_by_hand(journeys):
    # 10 / 4 to each touch of the long path, 2 / 2 to each of the short one.
    assert credit(linear(journeys)) == {"kol_micro": 3.5, "kol_mid": 3.5, "kol_top": 2.5, "search_ads": 3.5}


def test_position_based_by_hand(journeys):
    # Long path: 40 % / 10 % / 10 % / 40 %; two-touch path 50 / 50; single touch 100 %.
    assert credit(position_based(journeys)) == {"kol_micro": 2, "kol_mid": 2, "kol_top": 4, "search_ads": 5}


def test_position_based_weights_are_normalised(journeys):
    assert credit(position_based(journeys, (40, 20, 40))) == credit(position_based(journeys))
    assert credit(position_based(journeys, [2, 1, 2])) == credit(position_based(journeys))


def test_position_based_two_touch_split_follows_first_to_last_ratio():
    table = path_table(["a > b"], [4], nulls=[0])
    assert credit(position_based(table, (0.3, 0.4, 0.1))) == {"a": 3, "b": 1}
    assert credit(position_based(table, (0, 1, 0))) == {"a": 2, "b": 2}


def test_time_decay_by_hand(journeys):
    # Long path weights 1/8, 1/4, 1/2, 1 → shares 1/15, 2/15, 4/15, 8/15 of 10.
    # Two-touch path weights 1/2, 1 → 1/3, 2/3 of 2. Single touch gets its 1.
    expected = {
        "kol_top": 10 / 15,
        "kol_mid": 20 / 15 + 2 / 3,
        "kol_micro": 40 / 15 + 1,
        "search_ads": 80 / 15 + 4 / 3,
    }
    assert credit(time_decay(journeys)) == {k: round(v, 9) for k, v in sorted(expected.items())}


def test_time_decay_half_life_controls_recency(journeys):
    slow, fast = time_decay(journeys, half_life_days=1e6), time_decay(journeys, half_life_days=0.5)
    assert credit(slow) == pytest.approx(credit(linear(journeys)), abs=1e-4)
    assert fast.credit("search_ads") > time_decay(journeys).credit("search_ads") > slow.credit("search_ads")


def test_time_decay_survives_very_old_touches():
    table = path_table(["a > b"], [1], nulls=[0], days_before_conversion=["100000 > 99999"])
    assert credit(time_decay(table, half_life_days=1)) == {"a": round(1 / 3, 9), "b": round(2 / 3, 9)}


def test_last_non_direct_skips_direct_unless_the_journey_is_all_direct():
    table = path_table(
        ["kol_mid > Direct", "Direct > direct", "search_ads > direct > kol_top > direct", "direct > feed_ads"],
        [1, 2, 4, 8],
        nulls=[0, 0, 0, 0],
    )
    result = last_non_direct_touch(table)
    assert credit(result) == {"Direct": 0, "direct": 2, "feed_ads": 8, "kol_mid": 1, "kol_top": 4, "search_ads": 0}


def test_last_non_direct_with_custom_direct_name_and_without_direct_channel():
    table = path_table(["kol_mid > typein", "search_ads"], [1, 1], nulls=[0, 0])
    assert credit(last_non_direct_touch(table, "TypeIn")) == {"kol_mid": 1, "search_ads": 1, "typein": 0}
    assert credit(last_non_direct_touch(table)) == credit(last_touch(table))


def test_order_matters_for_position_and_time_models_but_not_linear():
    forward = path_table(["a > b > c", "b"], [6, 1], nulls=[3, 3], days_before_conversion=["10 > 3 > 0", "0"])
    backward = path_table(["c > b > a", "b"], [6, 1], nulls=[3, 3], days_before_conversion=["10 > 3 > 0", "0"])
    assert credit(linear(forward)) == credit(linear(backward))
    assert credit(position_based(forward, (0.6, 0.1, 0.3))) != credit(position_based(backward, (0.6, 0.1, 0.3)))
    assert credit(time_decay(forward)) != credit(time_decay(backward))
    assert credit(first_touch(forward)) != credit(first_touch(backward))


# -- invariants over random path tables ----------------------------------------------------------------
@st.composite
def path_tables(draw, channels=("kol_top", "kol_mid", "kol_micro", "search_ads", "feed_ads")):
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        length = draw(st.integers(1, 6))
        rows.append(
            (
                [draw(st.sampled_from(channels)) for _ in range(length)],
                draw(st.integers(0, 20)),
                draw(st.integers(0, 50)),
                [draw(st.integers(0, 30)) for _ in range(length)],
            )
        )
    if not any(conv for _, conv, _, _ in rows):
        rows[0] = (rows[0][0], 1, rows[0][2], rows[0][3])
    paths = [" > ".join(p) for p, _, _, _ in rows]
    conversions = [c for _, c, _, _ in rows]
    values = [c * draw(st.integers(1, 400)) for c in conversions]
    nulls = [nl for _, _, nl, _ in rows]
    days = [sorted(d, reverse=True) for _, _, _, d in rows]
    return path_table(paths, conversions, values, nulls, days_before_conversion=days)


ALL_MODELS = sorted(MODELS)


@FAST
@given(path_tables(), st.sampled_from(ALL_MODELS))
def test_credit_sums_to_total_conversions_and_value(table, model):
    result = attribute(table, model, order=2)
    assert result.conversions.sum() == pytest.approx(table.total_conversions, rel=1e-9)
    assert result.value.sum() == pytest.approx(table.total_value, rel=1e-9)
    assert result.share.sum() == pytest.approx(1.0)


@FAST
@given(path_tables(), st.sampled_from(ALL_MODELS), st.permutations(range(5)))
def test_relabelling_channels_permutes_the_result(table, model, permutation):
    new_names = [f"ch{i}" for i in permutation]
    rename = dict(zip(table.channels, new_names))
    renamed = path_table(
        [" > ".join(rename[c] for c in p.split(" > ")) for p in table.path_strings()],
        table.conversions,
        table.values,
        table.nulls,
        days_before_conversion=[
            table.days_before_conversion[table.offsets[i] : table.offsets[i + 1]] for i in range(table.n_paths)
        ],
    )
    before, after = attribute(table, model, order=2), attribute(renamed, model, order=2)
    mapped = {rename[name]: c for name, c in credit(before).items()}
    assert credit(after) == pytest.approx(mapped, abs=1e-7)


@FAST
@given(path_tables(), st.randoms(use_true_random=False))
def test_linear_ignores_the_order_of_touches(table, random):
    shuffled = []
    for text in table.path_strings():
        touches = text.split(" > ")
        random.shuffle(touches)
        shuffled.append(" > ".join(touches))
    reordered = path_table(shuffled, table.conversions, table.values, table.nulls)
    assert credit(linear(reordered)) == pytest.approx(credit(linear(table)), abs=1e-9)


# -- results and dispatch ------------------------------------------------------------------------------
def test_table_is_a_header_and_plain_rows(journeys):
    rows = linear(journeys).table()
    assert rows[0] == ["channel", "conversions", "value", "share"]
    assert len(rows) == 1 + 4
    for row in rows[1:]:
        assert [type(v) for v in row] == [str, float, float, float]


def test_table_value_is_blank_without_values():
    rows = linear(path_table(["a > b"], [2], nulls=[1])).table()
    assert rows[1] == ["a", 1.0, None, 0.5]


def test_removal_effects_table_only_for_markov(journeys):
    with pytest.raises(ValueError, match="no removal effects"):
        linear(journeys).removal_effects_table()


@pytest.mark.parametrize(
    ("spelling", "name"),
    [("Last click", "last_touch"), ("first-touch", "first_touch"), ("U shaped", "position_based"),
     ("Time Decay", "time_decay"), ("last non-direct", "last_non_direct_touch"), ("MARKOV", "markov"),
     ("simplified shapley", "simplified_shapley")],
)
def test_model_names_accept_common_spellings(spelling, name):
    assert model_name(spelling) == name


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: attribute(t, "magic"), "model must be one of"),
        (lambda t: attribute(t, None), "model must be one of"),
        (lambda t: linear(["a > b"]), "paths must be a PathTable"),
        (lambda t: linear(path_table(["a"], [0], nulls=[3])), "conversions are all 0"),
        (lambda t: position_based(t, (0.5, 0.5)), "weights must be three numbers"),
        (lambda t: position_based(t, (0, 0, 0)), "weights must not all be 0"),
        (lambda t: position_based(t, (0.5, -0.1, 0.6)), "weights must be at least 0"),
        (lambda t: time_decay(t, 0), "half_life_days must be greater than 0"),
        (lambda t: time_decay(path_table(["a"], [1])), "time decay needs the days between each touch"),
        (lambda t: last_non_direct_touch(t, " "), "direct must be the name of the direct channel"),
    ],
)
def test_bad_model_input_names_the_problem(journeys, call, message):
    with pytest.raises(XhsInputError, match=message):
        call(journeys)


def test_rule_models_run_on_a_million_touches():
    from xhsxl.core.attribution import PathTable

    rng = np.random.default_rng(1)
    n = 250_000
    lengths = rng.integers(1, 8, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    conversions = rng.integers(0, 2, n).astype(float)
    table = PathTable(
        channels=("feed_ads", "kol_mid", "kol_micro", "kol_top", "organic", "search_ads"),
        touches=rng.integers(0, 6, int(offsets[-1])).astype(np.int32),
        offsets=offsets,
        conversions=conversions,
        nulls=rng.integers(0, 3, n).astype(float),
        values=conversions * 199.0,
        days_before_conversion=rng.uniform(0, 30, int(offsets[-1])),
    )
    assert table.n_touches > 900_000
    for model in ("first_touch", "last_touch", "last_non_direct_touch", "linear", "position_based", "time_decay",
                  "simplified_shapley"):
        result = attribute(table, model)
        assert result.conversions.sum() == pytest.approx(table.total_conversions)
        assert result.value.sum() == pytest.approx(table.total_value)


def test_time_decay_from_touchpoint_rows_uses_each_touch_age():
    from xhsxl.core.attribution import journeys_from_touchpoints

    # Touches 14 and 7 days before a conversion at day 20, plus the converting touch itself.
    table = journeys_from_touchpoints([1, 1, 1], [6, 13, 20], ["kol_top", "kol_mid", "search_ads"], [0, 0, 1],
                                      [700, 700, 700])
    result = time_decay(table)
    assert credit(result) == {"kol_mid": round(2 / 7, 9), "kol_top": round(1 / 7, 9), "search_ads": round(4 / 7, 9)}
    assert value_credit(result) == {"kol_mid": 200.0, "kol_top": 100.0, "search_ads": 400.0}

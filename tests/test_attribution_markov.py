"""Markov removal-effect attribution: hand-computed chains, an independent walk-enumeration reference,
invariants, the transition matrix and order selection."""

from __future__ import annotations

import warnings
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhsxl.core.attribution import (
    MissingNonConversionsWarning,
    journeys_from_touchpoints,
    markov,
    path_table,
    select_markov_order,
)
from xhsxl.core.errors import XhsInputError

FAST = settings(max_examples=50, deadline=None)

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


def credit(result):
    return {name: float(c) for name, c in zip(result.channels, result.conversions)}


# -- hand-computed chains ------------------------------------------------------------------------------
@pytest.fixture
def small():
    # a>b>c: 1 conversion, 1 null; b>c: 1 conversion; a>c: 2 nulls. 2 conversions in 5 journeys.
    return path_table(["a > b > c", "b > c", "a > c"], [1, 1, 0], values=[100, 50, 0], nulls=[1, 0, 2])


def test_order_1_by_hand(small):
    # start→a 4/5, start→b 1/5; a→b 1/2, a→c 1/2; b→c 1; c→conversion 2/5: every state converts w.p. 2/5.
    # Without a: 1/5 · 2/5 = 2/25 (RE 4/5). Without b: 4/5 · 1/2 · 2/5 = 4/25 (RE 3/5). Without c: 0 (RE 1).
    result = markov(small, order=1)
    assert result.conversion_probability == pytest.approx(2 / 5)
    assert result.removal_effects == pytest.approx([4 / 5, 3 / 5, 1.0])
    assert result.conversions == pytest.approx([2 * 4 / 12, 2 * 3 / 12, 2 * 5 / 12])
    assert result.order == 1


def test_order_2_by_hand(small):
    # States (a,b), (b,c), (a,c). start→ab 2/5, →bc 1/5, →ac 2/5; ab→bc; bc converts 2/3; ac never.
    # P = 3/5 · 2/3 = 2/5. Without a (ab, ac gone): 1/5 · 2/3 = 2/15, RE 2/3. Without b or c: 0, RE 1.
    result = markov(small, order=2)
    assert result.conversion_probability == pytest.approx(2 / 5)
    assert result.removal_effects == pytest.approx([2 / 3, 1.0, 1.0])
    assert credit(result) == pytest.approx({"a": 0.5, "b": 0.75, "c": 0.75})
    assert result.details["states"] == 3


def test_value_is_credited_by_value_removal_effects(small):
    # All value enters (conversion) from c (order 1): ¥150 over c's 5 journeys leaving. Expected value
    # 2/5·... scales like P(conversion), so value removal effects equal conversion removal effects here.
    result = markov(small, order=1)
    assert result.value_removal_effects == pytest.approx(result.removal_effects)
    assert result.value == pytest.approx(result.conversions / 2 * 150)


def test_value_removal_effects_differ_when_value_per_conversion_differs():
    # Journeys ending at b are worth 10x those ending at c: removing b loses more value than conversions.
    table = path_table(["a > b", "a > c"], [1, 1], values=[1_000, 100], nulls=[1, 1])
    result = markov(table)
    assert result.removal_effects == pytest.approx([1.0, 0.5, 0.5])
    assert result.value_removal_effects == pytest.approx([1.0, 1_000 / 1_100, 100 / 1_100])
    assert result.value.sum() == pytest.approx(1_100)
    assert result.value[1] > result.value[2]


def test_a_channel_on_every_path_has_removal_effect_one():
    table = path_table(["a > x", "b > x > c", "x"], [3, 2, 1], nulls=[5, 5, 5])
    result = markov(table, order=2)
    assert result.removal_effects[result.channels.index("x")] == pytest.approx(1.0)


def test_repeats_are_self_loops_that_do_not_change_order_1_results():
    table = path_table(["a > a > a > b", "b > b", "a > b > b"], [2, 1, 1], nulls=[3, 2, 1])
    kept = markov(table, include_transition_matrix=True)
    collapsed = markov(table, collapse_repeats=True, include_transition_matrix=True)
    assert kept.conversions == pytest.approx(collapsed.conversions)
    assert kept.conversion_probability == pytest.approx(collapsed.conversion_probability)
    assert kept.transition_matrix.self_loops and not collapsed.transition_matrix.self_loops
    loops = [row for row in kept.transition_matrix.table()[1:] if row[0] == row[1]]
    assert loops and not [row for row in collapsed.transition_matrix.table()[1:] if row[0] == row[1]]


def test_collapsing_repeats_changes_higher_orders():
    table = path_table(["a > a > b", "a > b", "b > a > a"], [3, 1, 0], nulls=[1, 3, 4])
    assert markov(table, 2).details["states"] != markov(table, 2, collapse_repeats=True).details["states"]


def test_transition_matrix_is_stochastic_and_named():
    table = path_table(["kol_mid > search_ads", "kol_micro > kol_mid"], [3, 1], nulls=[7, 9])
    matrix = markov(table, order=2, include_transition_matrix=True).transition_matrix
    assert matrix.states[0] == START and matrix.states[-2:] == (CONVERSION, NULL)
    assert "kol_mid > search_ads" in matrix.states and "kol_micro > kol_mid" in matrix.states
    dense = matrix.to_dense()
    transient = dense[:-2]
    assert transient.sum(axis=1) == pytest.approx(np.ones(len(transient)))
    assert not dense[-2:].any()
    assert matrix.table()[0] == ["from", "to", "probability"]
    probability = {(row[0], row[1]): row[2] for row in matrix.table()[1:]}
    assert probability[("kol_mid > search_ads", CONVERSION)] == pytest.approx(0.3)
    assert probability[(START, "kol_micro > kol_mid")] == pytest.approx(0.5)


# -- independent reference: walk the chain step by step ------------------------------------------------
def reference_markov(rows, order):
    """Removal effects by propagating probability mass through the chain one step at a time.

    Built from the path strings with dictionaries (no numpy, no linear algebra): the mass absorbed in
    (conversion) after walks of every length up to convergence is P(conversion).
    """
    counts = defaultdict(lambda: defaultdict(float))
    value_in = defaultdict(float)
    for channels, conversions, nulls, value in rows:
        weight = conversions + nulls
        if weight == 0:
            continue
        if len(channels) < order:
            states = [tuple(channels)]
        else:
            states = [tuple(channels[i : i + order]) for i in range(len(channels) - order + 1)]
        previous = START
        for state in states:
            counts[previous][state] += weight
            previous = state
        counts[previous][CONVERSION] += conversions
        counts[previous][NULL] += nulls
        value_in[previous] += value

    def absorbed(removed):
        mass, conversion, value = {START: 1.0}, 0.0, 0.0
        for _ in range(100_000):
            following = defaultdict(float)
            for state, m in mass.items():
                if state != START and removed in state:
                    continue  # removed: straight to (null)
                total = sum(counts[state].values())
                value += m * value_in[state] / total
                for target, c in counts[state].items():
                    if target == CONVERSION:
                        conversion += m * c / total
                    elif target != NULL:
                        following[target] += m * c / total
            mass = following
            if sum(mass.values()) < 1e-15:
                break
        return conversion, value

    channels = sorted({c for path, *_ in rows for c in path})
    full = absorbed(None)
    effects = [1 - absorbed(c)[0] / full[0] for c in channels]
    value_effects = [1 - absorbed(c)[1] / full[1] for c in channels]
    return full[0], effects, value_effects


@st.composite
def journey_rows(draw, alphabet="abcd", max_length=5):
    n = draw(st.integers(1, 10))
    rows = []
    for _ in range(n):
        path = draw(st.lists(st.sampled_from(alphabet), min_size=1, max_size=max_length))
        conversions = draw(st.integers(0, 6))
        nulls = draw(st.integers(0, 12))
        value = conversions * draw(st.integers(1, 50))
        rows.append((path, conversions, nulls, value))
    if not any(c for _, c, _, _ in rows):
        path, _, nulls, _ = rows[0]
        rows[0] = (path, 1, nulls, 7)
    return rows


@FAST
@given(journey_rows(), st.integers(1, 3))
def test_markov_equals_walk_enumeration(rows, order):
    table = path_table([" > ".join(p) for p, *_ in rows], [r[1] for r in rows], [r[3] for r in rows],
                       [r[2] for r in rows])
    probability, effects, value_effects = reference_markov(rows, order)
    result = markov(table, order)
    assert result.conversion_probability == pytest.approx(probability, rel=1e-9, abs=1e-12)
    assert result.removal_effects == pytest.approx(effects, rel=1e-8, abs=1e-10)
    assert result.value_removal_effects == pytest.approx(value_effects, rel=1e-8, abs=1e-10)


def test_markov_equals_walk_enumeration_at_order_4_with_the_sparse_solver():
    rng = np.random.default_rng(3)
    rows = []
    for _ in range(400):
        path = list(rng.choice(list("abcdef"), rng.integers(1, 8)))
        conversions = int(rng.integers(0, 3))
        rows.append((path, conversions, int(rng.integers(0, 6)), conversions * 10.0))
    table = path_table([">".join(p) for p, *_ in rows], [r[1] for r in rows], [r[3] for r in rows],
                       [r[2] for r in rows])
    result = markov(table, 4)
    assert result.details["solver"] == "sparse LU"
    probability, effects, value_effects = reference_markov(rows, 4)
    assert result.conversion_probability == pytest.approx(probability, rel=1e-9)
    assert result.removal_effects == pytest.approx(effects, rel=1e-8)


@FAST
@given(journey_rows(alphabet="abc"), st.integers(1, 3), st.integers(1, 4))
def test_a_channel_that_only_ends_non_converting_journeys_gets_no_credit(rows, order, dead_ends):
    rows = rows + [(path + ["dead_end"], 0, dead_ends, 0) for path, *_ in rows[:dead_ends]]
    table = path_table([" > ".join(p) for p, *_ in rows], [r[1] for r in rows], [r[3] for r in rows],
                       [r[2] for r in rows])
    result = markov(table, order)
    assert result.credit("dead_end") == 0.0
    assert result.removal_effects[result.channels.index("dead_end")] == 0.0


@FAST
@given(journey_rows(), st.integers(1, 3))
def test_markov_credit_is_non_negative_and_sums_to_totals(rows, order):
    table = path_table([" > ".join(p) for p, *_ in rows], [r[1] for r in rows], [r[3] for r in rows],
                       [r[2] for r in rows])
    result = markov(table, order)
    assert (result.conversions >= 0).all()
    assert result.conversions.sum() == pytest.approx(table.total_conversions)
    assert result.value.sum() == pytest.approx(table.total_value)
    assert ((0 <= result.removal_effects) & (result.removal_effects <= 1)).all()


def test_grouping_paths_changes_nothing():
    rng = np.random.default_rng(5)
    paths = [">".join(rng.choice(list("abcd"), rng.integers(1, 5))) for _ in range(300)]
    table = path_table(paths, rng.integers(0, 3, 300), nulls=rng.integers(0, 5, 300))
    for order in (1, 3):
        assert markov(table, order).conversions == pytest.approx(markov(table.grouped(), order).conversions)


def test_touchpoint_rows_and_their_path_table_give_the_same_answer():
    rng = np.random.default_rng(11)
    n = 2_000
    users, times = rng.integers(0, 300, n), rng.uniform(0, 120, n)
    channels = rng.choice(["kol_top", "kol_mid", "search_ads", "feed_ads"], n)
    converted = rng.random(n) < 0.1
    journeys = journeys_from_touchpoints(users, times, channels, converted, np.where(converted, 100.0, 0.0))
    grouped = journeys.grouped()
    as_text = path_table(grouped.path_strings(), grouped.conversions, grouped.values, grouped.nulls)
    assert markov(journeys, 2).conversions == pytest.approx(markov(as_text, 2).conversions)


def test_zero_weight_paths_are_ignored():
    base = path_table(["a > b", "b"], [1, 1], nulls=[2, 2])
    padded = path_table(["a > b", "c > a", "b"], [1, 0, 1], nulls=[2, 0, 2])
    result = markov(padded)
    assert result.credit("c") == 0.0
    assert result.credit("a") == pytest.approx(markov(base).credit("a"))


# -- order selection -----------------------------------------------------------------------------------
def _simulate(order_2: bool, n: int, seed: int):
    """Journeys over a, b, c; with ``order_2`` the next channel repeats the one before last."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        path = [str(rng.choice(list("abc")))]
        while len(path) < 6 and rng.random() < 0.75:
            if order_2 and len(path) >= 2 and rng.random() < 0.9:
                path.append(path[-2])
            else:
                path.append(str(rng.choice(list("abc"))))
        converts = rng.random() < (0.3 if path[-1] == "a" else 0.1)
        rows.append((">".join(path), int(converts)))
    paths = [p for p, _ in rows]
    conversions = np.array([c for _, c in rows])
    return path_table(paths, conversions, nulls=1 - conversions).grouped()


def test_order_selection_recovers_the_generating_order():
    assert select_markov_order(_simulate(False, 4_000, 1), 3).best_order == 1
    assert select_markov_order(_simulate(True, 4_000, 2), 3).best_order == 2


def test_auto_order_uses_the_selected_order():
    table = _simulate(True, 2_000, 4)
    result = markov(table, "auto")
    selection = result.details["order_selection"]
    assert result.order == selection.best_order == 2
    assert selection.table()[0] == ["order", "log_likelihood", "parameters", "bic"]
    assert markov(table, "AUTO").conversions == pytest.approx(markov(table, 2).conversions)


def test_aic_never_prefers_a_lower_order_than_bic():
    table = _simulate(True, 1_000, 6)
    assert select_markov_order(table, 3, criterion="aic").best_order >= select_markov_order(table, 3).best_order


# -- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order": 0}, r"order must be a whole number from 1 to 4 \(got 0\)"),
        ({"order": 5}, r"order must be a whole number from 1 to 4 \(got 5\)"),
        ({"order": 1.5}, r"order must be a whole number from 1 to 4 \(got 1.5\)"),
        ({"order": True}, "order must be a whole number"),
        ({"order": "best"}, "order must be a whole number from 1 to 4 or 'auto'"),
        ({"order": "auto", "max_order": 9}, "max_order must be a whole number from 1 to 4"),
        ({"order": "auto", "criterion": "hqic"}, "criterion must be one of bic, aic"),
    ],
)
def test_bad_markov_options_name_the_problem(small, kwargs, message):
    with pytest.raises(XhsInputError, match=message):
        markov(small, **kwargs)


def test_markov_accepts_a_whole_float_order_as_excel_sends_it(small):
    assert markov(small, 2.0).order == 2


def test_markov_without_conversions_is_an_error():
    with pytest.raises(XhsInputError, match="conversions are all 0"):
        markov(path_table(["a"], [0], nulls=[4]))


def test_markov_without_nulls_warns_but_answers():
    table = path_table(["a > b", "b"], [1, 1])
    with pytest.warns(MissingNonConversionsWarning):
        result = markov(table)
    assert result.conversion_probability == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        markov(path_table(["a > b", "b"], [1, 1], nulls=[0, 0]))


def test_markov_is_deterministic_to_the_last_bit():
    rng = np.random.default_rng(8)
    paths = [">".join(rng.choice(list("abcde"), rng.integers(1, 6))) for _ in range(500)]
    conversions = rng.integers(0, 3, 500)
    table = path_table(paths, conversions, conversions * rng.uniform(50, 500, 500), rng.integers(0, 9, 500))
    for order in (1, 2, 4):
        first, second = markov(table, order), markov(table, order)
        assert first.conversions.tobytes() == second.conversions.tobytes()
        assert first.value.tobytes() == second.value.tobytes()


def test_the_core_imports_neither_pandas_nor_channel_attribution():
    import subprocess
    import sys

    code = (
        "import sys, xhsxl.core.attribution as a; "
        "a.markov(a.path_table(['a > b'], [1], nulls=[1])); "
        "print(sorted(m for m in ('pandas', 'ChannelAttribution', 'matplotlib') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"

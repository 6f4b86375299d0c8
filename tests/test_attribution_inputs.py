"""Attribution inputs: path-table parsing, path grouping, and journeys built from touchpoint rows."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhsxl.core.attribution import (
    MissingNonConversionsWarning,
    journeys_from_touchpoints,
    markov,
    path_table,
)
from xhsxl.core.attribution.paths import group_sequences
from xhsxl.core.errors import XhsInputError

FAST = settings(max_examples=60, deadline=None)


# -- path tables ---------------------------------------------------------------------------------------
def test_path_table_strips_spaces_and_sorts_channels():
    table = path_table([" kol_mid >search_ads ", "kol_micro"], [2, 1], values=[300, 80], nulls=[5, 9])
    assert table.channels == ("kol_micro", "kol_mid", "search_ads")
    assert table.path_strings() == ["kol_mid > search_ads", "kol_micro"]
    assert table.conversions.tolist() == [2.0, 1.0]
    assert table.values.tolist() == [300.0, 80.0]
    assert table.nulls.tolist() == [5.0, 9.0]
    assert table.has_nulls


@pytest.mark.parametrize("sep", ["->", " | ", "::", "→"])
def test_path_table_accepts_multi_character_separators(sep):
    table = path_table([f"kol_top{sep}feed_ads{sep} search_ads", "feed_ads"], [1, 0], nulls=[0, 1], sep=sep)
    assert table.path_strings(">") == ["kol_top>feed_ads>search_ads", "feed_ads"]


def test_a_path_ending_in_part_of_a_long_separator_is_not_merged_with_the_next():
    table = path_table(["a-", "b--c"], [1, 1], nulls=[0, 0], sep="--")
    assert table.path_strings("|") == ["a-", "b|c"]
    assert table.conversions.tolist() == [1.0, 1.0]


def test_path_table_rejects_nul_characters():
    with pytest.raises(XhsInputError, match="paths at position 2 contains a NUL character"):
        path_table(["a", "b\x00c"], [1, 1])


@FAST
@given(
    st.lists(st.lists(st.text("ab -> ", min_size=1, max_size=4), min_size=1, max_size=4), min_size=1, max_size=8),
    st.sampled_from([">", "->", "--", " "]),
)
def test_parsing_matches_splitting_each_path(rows, sep):
    texts = [sep.join(parts) for parts in rows]
    expected = [[token.strip() for token in text.split(sep)] for text in texts]
    if any(not all(names) for names in expected):
        with pytest.raises(XhsInputError, match="paths at position"):
            path_table(texts, [1] * len(texts), sep=sep)
        return
    table = path_table(texts, [1] * len(texts), sep=sep)
    names = np.asarray(table.channels, dtype=object)
    parsed = [list(names[table.touches[table.offsets[i] : table.offsets[i + 1]]]) for i in range(table.n_paths)]
    assert parsed == expected


def test_path_table_accepts_an_excel_column():
    table = path_table([["a > b"], ["b"]], [[1.0], [2.0]], nulls=[[0.0], [3.0]])
    assert table.path_strings() == ["a > b", "b"]
    assert table.nulls.tolist() == [0.0, 3.0]


def test_path_table_table_is_plain_values():
    rows = path_table(["a > b"], [1], values=[10]).table()
    assert rows == [["path", "conversions", "value", "nulls"], ["a > b", 1.0, 10.0, None]]
    assert all(type(v) in (str, float, type(None)) for v in rows[1])


def test_missing_nulls_warns_with_the_consequence_in_data_driven_models():
    table = path_table(["a > b", "b"], [1, 1])
    with pytest.warns(MissingNonConversionsWarning, match="every path converts and removal effects are biased"):
        markov(table)


def test_rule_models_do_not_warn_without_nulls():
    from xhsxl.core.attribution import linear

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linear(path_table(["a > b"], [1]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paths": ["a", ""], "conversions": [1, 1]}, "paths at position 2 is blank"),
        ({"paths": ["a", None], "conversions": [1, 1]}, "paths at position 2 is blank"),
        ({"paths": ["a", 5], "conversions": [1, 1]}, r"paths must be text \(got 5 at position 2\)"),
        ({"paths": ["a", "a >> b"], "conversions": [1, 1]}, "paths at position 2 has an empty channel"),
        ({"paths": ["a >"], "conversions": [1]}, "paths at position 1 has an empty channel"),
        ({"paths": [], "conversions": []}, "paths must not be empty"),
        ({"paths": ["a", "b"], "conversions": [1, -1]}, r"conversions must be at least 0 \(got -1 at position 2\)"),
        ({"paths": ["a", "b"], "conversions": [1]}, "conversions has 1 rows but paths has 2"),
        ({"paths": ["a", "b"], "conversions": [1, "x"]}, "conversions must be a number"),
        ({"paths": ["a", "b"], "conversions": [1, None]}, "conversions at position 2 is blank"),
        ({"paths": ["a"], "conversions": [1], "nulls": [float("nan")]}, "nulls must be a finite number"),
        ({"paths": ["a", "b"], "conversions": [1, 0], "values": [5, 3]}, "values at position 2 is 3 but that path"),
        ({"paths": ["a"], "conversions": [1], "sep": ""}, "sep must be a non-empty text separator"),
        ({"paths": [["a", "b"], ["c", "d"]], "conversions": [1, 1]}, "paths must be a single column or row"),
        (
            {"paths": ["a > b"], "conversions": [1], "days_before_conversion": ["3"]},
            "days_before_conversion at position 1 has 1 numbers but its path has 2 touches",
        ),
        (
            {"paths": ["a > b"], "conversions": [1], "days_before_conversion": ["3 > x"]},
            "days_before_conversion must hold numbers",
        ),
        (
            {"paths": ["a > b"], "conversions": [1], "days_before_conversion": ["3 > -1"]},
            "days_before_conversion must be at least 0",
        ),
    ],
)
def test_bad_path_tables_name_the_problem(kwargs, message):
    with pytest.raises(XhsInputError, match=message):
        path_table(**kwargs)


def test_days_before_conversion_accept_text_or_numbers():
    as_text = path_table(["a > b", "b"], [1, 1], days_before_conversion=["9 > 2", "0"])
    as_numbers = path_table(["a > b", "b"], [1, 1], days_before_conversion=[[9, 2], 0])
    assert as_text.days_before_conversion.tolist() == as_numbers.days_before_conversion.tolist() == [9.0, 2.0, 0.0]


def test_hand_built_path_tables_are_checked():
    from xhsxl.core.attribution import PathTable

    good = dict(channels=("a", "b"), touches=np.array([0, 1, 1], dtype=np.int32), offsets=np.array([0, 2, 3]),
                conversions=np.array([1.0, 0.0]), nulls=np.array([0.0, 2.0]))
    assert PathTable(**good).path_strings() == ["a > b", "b"]
    for change, message in [
        ({"offsets": np.array([0, 2, 4])}, "offsets must start at 0"),
        ({"offsets": np.array([0, 0, 3])}, "every path must have at least one touch"),
        ({"conversions": np.array([1.0])}, "conversions has 1 rows but there are 2 paths"),
        ({"touches": np.array([0, 2, 1], dtype=np.int32)}, "touches must be channel codes"),
    ]:
        with pytest.raises(XhsInputError, match=message):
            PathTable(**{**good, **change})


# -- grouping ------------------------------------------------------------------------------------------
def _reference_groups(sequences: list[tuple[int, ...]]) -> list[int]:
    ids: dict[tuple[int, ...], int] = {}
    return [ids.setdefault(s, len(ids)) for s in sequences]


def _same_partition(left, right) -> bool:
    pairs = set(zip(left, right))
    return len(pairs) == len(set(left)) == len(set(right))


@FAST
@given(
    st.lists(st.lists(st.integers(0, 2), min_size=1, max_size=6), min_size=1, max_size=40),
)
def test_group_sequences_matches_a_dictionary_of_tuples(sequences):
    touches = np.array([c for s in sequences for c in s], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sequences])]).astype(np.int64)
    group, n_groups = group_sequences(touches, offsets, 3)
    assert n_groups == len(set(map(tuple, sequences)))
    assert _same_partition(group.tolist(), _reference_groups([tuple(s) for s in sequences]))


def test_group_sequences_is_exact_for_long_paths_over_many_channels():
    # 5,000 channels and paths up to 40 touches need several packing passes per path.
    rng = np.random.default_rng(7)
    base = [tuple(rng.integers(0, 5_000, rng.integers(1, 40)).tolist()) for _ in range(300)]
    sequences = [base[i] for i in rng.integers(0, 300, 3_000)]
    # Near-duplicates that differ only in the last touch or in length.
    sequences += [s[:-1] + ((s[-1] + 1) % 5_000,) for s in base[:50]] + [s + (0,) for s in base[:50]]
    touches = np.array([c for s in sequences for c in s], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sequences])]).astype(np.int64)
    group, n_groups = group_sequences(touches, offsets, 5_000)
    assert n_groups == len(set(sequences))
    assert _same_partition(group.tolist(), _reference_groups(sequences))


def test_grouped_merges_identical_paths_and_sums_counts():
    table = path_table(["a > b", "b", "a>b", "b > a"], [1, 2, 3, 0], values=[10, 20, 30, 0], nulls=[4, 5, 6, 7])
    merged = table.grouped()
    assert merged.path_strings() == ["a > b", "b", "b > a"]
    assert merged.conversions.tolist() == [4.0, 2.0, 0.0]
    assert merged.values.tolist() == [40.0, 20.0, 0.0]
    assert merged.nulls.tolist() == [10.0, 5.0, 7.0]


# -- touchpoint rows -----------------------------------------------------------------------------------
def _reference_journeys(users, times, channels, converted, values, lookback):
    """A straightforward per-user loop: sort, split at conversions, drop touches outside the window."""
    order = sorted(range(len(users)), key=lambda i: (users[i], times[i], i))  # numeric ids: ascending
    journeys, current, current_user = [], [], None

    def close(rows, did_convert):
        end = times[rows[-1]]
        kept = [r for r in rows if lookback is None or end - times[r] <= lookback]
        value = values[rows[-1]] if did_convert and values is not None else 0.0
        journeys.append(([channels[r] for r in kept], float(did_convert), value, [end - times[r] for r in kept]))

    for row in order:
        if users[row] != current_user and current:
            close(current, False)
            current = []
        current_user = users[row]
        current.append(row)
        if converted[row]:
            close(current, True)
            current = []
    if current:
        close(current, False)
    return journeys


touchpoint_logs = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.integers(0, 90), min_size=n, max_size=n),
        st.lists(st.sampled_from(["kol_top", "kol_mid", "search_ads", "feed_ads"]), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.integers(0, 500), min_size=n, max_size=n),
        st.sampled_from([None, 1.0, 7.0, 30.0]),
    )
)


@FAST
@given(touchpoint_logs)
def test_touchpoint_journeys_match_a_per_user_reference(log):
    users, times, channels, converted, values, lookback = log
    values = [float(v) for v in values]
    table = journeys_from_touchpoints(users, times, channels, converted, values, lookback_days=lookback)
    expected = _reference_journeys(users, times, channels, converted, values, lookback)
    assert table.path_strings() == [" > ".join(path) for path, *_ in expected]
    assert table.conversions.tolist() == [c for _, c, _, _ in expected]
    assert table.nulls.tolist() == [1.0 - c for _, c, _, _ in expected]
    assert table.values.tolist() == [v for _, _, v, _ in expected]
    assert table.days_before_conversion.tolist() == [d for *_, days in expected for d in days]


def test_touchpoints_keep_input_order_for_equal_times():
    table = journeys_from_touchpoints([1, 1, 1], [5, 5, 5], ["c", "a", "b"], [0, 0, 1])
    assert table.path_strings() == ["c > a > b"]


def test_touchpoints_order_text_users_by_appearance_and_numeric_users_by_id():
    table = journeys_from_touchpoints(["zoe", "amy", "zoe"], [1, 2, 3], ["a", "b", "c"], [0, 1, 1])
    assert table.path_strings() == ["a > c", "b"]
    for users in ([9, 2, 9], np.array([9, 2, 9]), [9.0, 2.0, 9.0], np.array([9e15, 2.0, 9e15])):
        table = journeys_from_touchpoints(users, [1, 2, 3], ["a", "b", "c"], [0, 1, 1])
        assert table.path_strings() == ["b", "a > c"]


def test_touchpoints_accept_datetimes_and_excel_serials_alike():
    days = [45_000.0, 45_003.5, 45_010.25]
    as_datetime = [dt.datetime(1899, 12, 30) + dt.timedelta(days=d) for d in days]
    as_numpy = np.array(as_datetime, dtype="datetime64[s]")
    as_text = [d.isoformat() for d in as_datetime]
    as_hours = [d * 24 for d in days]
    tables = [
        journeys_from_touchpoints(["u"] * 3, stamps, ["a", "b", "c"], [0, 0, 1], lookback_days=7, **unit)
        for stamps, unit in [
            (days, {}),
            (as_datetime, {}),
            (as_numpy, {}),
            (as_text, {}),
            (as_hours, {"time_unit": "hours"}),
        ]
    ]
    for table in tables:
        assert table.path_strings() == ["b > c"]
        assert table.days_before_conversion.tolist() == pytest.approx([6.75, 0.0])


def test_touchpoints_accept_numpy_columns():
    table = journeys_from_touchpoints(
        np.array([3, 3, 9]), np.array([0.0, 1.0, 2.0]), np.array(["a", "b", "a"]), np.array([False, True, True])
    )
    assert table.path_strings() == ["a > b", "a"]


def _log(**changes):
    """A valid two-row touchpoint log with some columns replaced."""
    return {"users": [1, 2], "timestamps": [1, 2], "channels": ["a", "b"], "converted": [0, 1], **changes}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (_log(timestamps=[1]), "timestamps has 1 rows"),
        (_log(users=[1, None]), "users at position 2"),
        (_log(channels=["a", " "]), "channels at position 2"),
        (_log(converted=[0, 2]), "converted must be 0/1"),
        (_log(converted=[0, None]), "converted at position 2"),
        (_log(timestamps=[1, "soon"]), r"timestamps must be a number like the rows above \(got 'soon' at position 2\)"),
        (_log(timestamps=[1, None]), r"timestamps .*at position 2"),
        (
            {"users": [1, 2], "timestamps": [1, 2], "channels": ["a", "b"], "converted": [0, 1], "values": [0, -5]},
            "values of a converting row must be a number at least 0",
        ),
        (
            {"users": [1], "timestamps": [1], "channels": ["a"], "converted": [1], "lookback_days": 0},
            "lookback_days must be greater than 0",
        ),
        (
            {"users": [1], "timestamps": [1], "channels": ["a"], "converted": [1], "time_unit": "weeks"},
            "time_unit must be one of",
        ),
        ({"users": [], "timestamps": [], "channels": [], "converted": []}, "users must not be empty"),
    ],
)
def test_bad_touchpoints_name_the_problem(kwargs, message):
    with pytest.raises(XhsInputError, match=message):
        journeys_from_touchpoints(**kwargs)


def test_touchpoint_values_of_non_converting_rows_may_be_blank():
    table = journeys_from_touchpoints([1, 1], [1, 2], ["a", "b"], [0, 1], values=[None, 99])
    assert table.values.tolist() == [99.0]

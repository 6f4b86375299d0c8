"""XHS_ATTRIBUTION, XHS_ATTRIBUTION_TOUCHES and XHS_REMOVAL_EFFECTS as Excel calls them: ranges in, the core's
tables out.

Excel passes each range as a list of rows (``ndim=2``), blank cells as ``None``; analysts select whole
columns, so ranges end in blank rows and often start with a title row. The functions must give exactly the
core's numbers for the rows that hold paths, name the row of any problem, and refuse — with the core's
explanation — to run a data-driven model without non-converting counts, since Excel shows no warnings.
"""

import datetime as dt
import math

import numpy as np
import pytest

from xhsxl import udfs
from xhsxl.core import attribution
from xhsxl.core.attribution.paths import MISSING_NON_CONVERSIONS_MESSAGE
from xhsxl.core.errors import XhsInputError

PATHS = ["kol_top > search_ads > tmall_direct", "kol_mid > search_ads", "koc_micro > kol_mid > search_ads",
         "koc_micro", "feed_ads > tmall_direct", "kol_mid > feed_ads > search_ads > tmall_direct", "tmall_direct"]
CONVERSIONS = [120.0, 210.0, 95.0, 18.0, 40.0, 30.0, 160.0]
VALUES = [43_200.0, 69_300.0, 30_400.0, 5_000.0, 11_200.0, 10_500.0, 51_200.0]
NULLS = [2_400.0, 5_800.0, 3_100.0, 12_400.0, 6_500.0, 1_100.0, 1_900.0]
MODELS = ["markov", "first_touch", "last_touch", "last_non_direct_touch", "linear", "position_based", "shapley",
          "simplified_shapley"]


def column(values, blank_rows=0, title=None):
    """A column as Excel passes it: one-cell rows, an optional title row, blank rows below."""
    rows = [[v] for v in values] + [[None]] * blank_rows
    return ([[title]] if title is not None else []) + rows


def core_table(paths=PATHS, conversions=CONVERSIONS, values=VALUES, nulls=NULLS, sep=">"):
    return attribution.path_table(paths, conversions, values, nulls, sep=sep)


# ------------------------------------------------------------------------------------------ equal to the core


@pytest.mark.parametrize("model", MODELS)
def test_attribution_udf_equals_the_core_for_every_model(model):
    got = udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS), model)
    assert got == attribution.attribute(core_table(), model).table()


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_markov_of_every_order_and_its_removal_effects_equal_the_core(order):
    result = attribution.markov(core_table(), order)
    args = (column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))
    assert udfs.XHS_ATTRIBUTION(*args, "markov", float(order)) == result.table()
    assert udfs.XHS_REMOVAL_EFFECTS(*args, float(order)) == result.removal_effects_table()


def test_the_default_model_is_exact_markov_of_order_1():
    args = (column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))
    assert udfs.XHS_ATTRIBUTION(*args) == attribution.markov(core_table(), 1).table()
    assert udfs.XHS_REMOVAL_EFFECTS(*args) == attribution.markov(core_table(), 1).removal_effects_table()


def test_credit_adds_up_to_the_conversions_and_value_of_the_table():
    table = udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))
    assert table[0] == ["channel", "conversions", "value", "share"]
    assert [row[0] for row in table[1:]] == sorted(row[0] for row in table[1:])
    assert math.isclose(sum(row[1] for row in table[1:]), sum(CONVERSIONS), rel_tol=1e-12)
    assert math.isclose(sum(row[2] for row in table[1:]), sum(VALUES), rel_tol=1e-12)
    assert math.isclose(sum(row[3] for row in table[1:]), 1.0, rel_tol=1e-12)


def test_without_values_the_value_column_is_blank():
    table = udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), None, column(NULLS), "linear")
    assert all(row[2] is None for row in table[1:])
    assert table == attribution.linear(core_table(values=None)).table()


def test_model_names_are_read_as_analysts_write_them():
    args = (column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))
    assert udfs.XHS_ATTRIBUTION(*args, "Last click") == udfs.XHS_ATTRIBUTION(*args, "last_touch")
    assert udfs.XHS_ATTRIBUTION(*args, "U-shaped") == udfs.XHS_ATTRIBUTION(*args, "position_based")
    assert udfs.XHS_ATTRIBUTION(*args, "last_non_direct") == udfs.XHS_ATTRIBUTION(*args, "last_non_direct_touch")


def test_order_auto_picks_the_order_the_core_picks():
    # Strictly alternating journeys need memory: the information criterion prefers a higher order than 1.
    paths = ["kol_mid > search_ads > kol_mid > search_ads", "search_ads > kol_mid > search_ads > kol_mid",
             "kol_mid > kol_mid > kol_mid", "search_ads > search_ads > search_ads"]
    conversions, nulls = [40.0, 0.0, 0.0, 0.0], [0.0, 40.0, 40.0, 40.0]
    expected = attribution.markov(attribution.path_table(paths, conversions, nulls=nulls), "auto")
    assert expected.order > 1
    for spelling in ("auto", "AUTO", " Auto ", [["auto"]]):
        got = udfs.XHS_ATTRIBUTION(column(paths), column(conversions), None, column(nulls), "markov", spelling)
        assert got == expected.table()
        removal = udfs.XHS_REMOVAL_EFFECTS(column(paths), column(conversions), None, column(nulls), spelling)
        assert removal == expected.removal_effects_table()


def test_a_ten_channel_table_equals_the_core_and_credits_every_channel():
    rng = np.random.default_rng(5)
    channels = [f"channel_{letter}" for letter in "abcdefghij"]
    paths, conversions, values, nulls = [], [], [], []
    seen = set()
    while len(paths) < 60:
        length = int(rng.integers(1, 6))
        path = " > ".join(rng.choice(channels, length))
        if path in seen:
            continue
        seen.add(path)
        paths.append(path)
        converted = float(rng.integers(0, 50))
        conversions.append(converted)
        values.append(converted * float(rng.uniform(150, 450)))
        nulls.append(float(rng.integers(0, 2_000)))
    table = attribution.path_table(paths, conversions, values, nulls)
    assert table.n_channels == 10
    args = (column(paths, blank_rows=40), column(conversions, blank_rows=40), column(values, blank_rows=40),
            column(nulls, blank_rows=40))
    for model in ("markov", "shapley", "linear"):
        got = udfs.XHS_ATTRIBUTION(*args, model)
        assert got == attribution.attribute(table, model).table()
        assert len(got) == 11 and [row[0] for row in got[1:]] == channels
        assert math.isclose(sum(row[1] for row in got[1:]), sum(conversions), rel_tol=1e-9)
    assert udfs.XHS_ATTRIBUTION(*args, "markov", 2.0) == attribution.markov(table, 2).table()
    assert udfs.XHS_REMOVAL_EFFECTS(*args) == attribution.markov(table).removal_effects_table()


def test_a_multi_character_separator_and_numeric_channel_ids():
    paths = ["7 -> 12", "12", "7"]
    got = udfs.XHS_ATTRIBUTION([[p] for p in paths[:2]] + [[7.0]], column([3.0, 1.0, 1.0]), None,
                               column([5.0, 5.0, 5.0]), "linear", None, "->")
    assert got == attribution.linear(attribution.path_table(paths, [3, 1, 1], nulls=[5, 5, 5], sep="->")).table()
    assert [row[0] for row in got[1:]] == ["12", "7"]
    spaced = udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS), None, None, " > ")
    assert spaced == udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))


def test_a_row_of_paths_works_like_a_column():
    row = udfs.XHS_ATTRIBUTION([PATHS], [CONVERSIONS], [VALUES], [NULLS])
    assert row == udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))


# ------------------------------------------------------------------------------------------ Excel ranges


def test_trailing_blank_rows_of_whole_column_selections_are_ignored():
    expected = udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))
    padded = [column(v, blank_rows=500) for v in (PATHS, CONVERSIONS, VALUES, NULLS)]
    assert udfs.XHS_ATTRIBUTION(*padded) == expected
    # Blank cells may also come as empty text (a formula returning ""), and whole blank rows may sit in between.
    gapped = [column(v[:3]) + [[""]] + column(v[3:], blank_rows=3) for v in (PATHS, CONVERSIONS, VALUES, NULLS)]
    assert udfs.XHS_ATTRIBUTION(*gapped) == expected


def test_a_title_row_above_the_numbers_is_skipped():
    expected = udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))
    titled = [column(v, blank_rows=10, title=t) for v, t in
              ((PATHS, "path"), (CONVERSIONS, "conversions"), (VALUES, "value ¥"), (NULLS, "非转化"))]
    assert udfs.XHS_ATTRIBUTION(*titled) == expected
    assert udfs.XHS_REMOVAL_EFFECTS(*titled) == udfs.XHS_REMOVAL_EFFECTS(
        column(PATHS), column(CONVERSIONS), column(VALUES), column(NULLS))


def test_a_blank_beside_a_filled_cell_names_the_row_and_the_ranges():
    conversions = column(CONVERSIONS, blank_rows=2)
    conversions[4] = [None]
    with pytest.raises(XhsInputError, match="conversions is blank in row 5 where paths has a value"):
        udfs.XHS_ATTRIBUTION(column(PATHS, 2), conversions, column(VALUES, 2), column(NULLS, 2))
    paths = column(PATHS, blank_rows=2)
    paths[0] = [" "]
    with pytest.raises(XhsInputError, match="paths is blank in row 1 where conversions has a value"):
        udfs.XHS_ATTRIBUTION(paths, column(CONVERSIONS, 2), column(VALUES, 2), column(NULLS, 2))


def test_the_cores_errors_name_the_row_of_the_range():
    nulls = column(NULLS, title="nulls")
    nulls[3] = [-4.0]
    with pytest.raises(XhsInputError, match=r"nulls must be at least 0 \(got -4\) in row 4"):
        udfs.XHS_ATTRIBUTION(column(PATHS, title="path"), column(CONVERSIONS, title="conversions"), None, nulls)
    values = column(VALUES, blank_rows=1)
    conversions = column(CONVERSIONS, blank_rows=1)
    conversions[3] = [0.0]
    with pytest.raises(XhsInputError, match="values in row 4 is 5000 but that path has no conversions"):
        udfs.XHS_ATTRIBUTION(column(PATHS, 1), conversions, values, column(NULLS, 1))
    paths = column(PATHS)
    paths[5] = ["kol_mid >> search_ads"]
    with pytest.raises(XhsInputError, match="paths in row 6 has an empty channel"):
        udfs.XHS_ATTRIBUTION(paths, column(CONVERSIONS), None, column(NULLS))
    text = column(CONVERSIONS)
    text[2] = ["many"]
    with pytest.raises(XhsInputError, match="conversions must be a number .* in row 3"):
        udfs.XHS_ATTRIBUTION(column(PATHS), text, None, column(NULLS))


# ------------------------------------------------------------------------------------------ non-converting counts


@pytest.mark.parametrize("model", ["markov", "shapley"])
def test_a_data_driven_model_without_nulls_is_an_error_with_the_cores_explanation(model):
    with pytest.raises(XhsInputError) as error:
        udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), None, model)
    message = str(error.value)
    assert message.startswith(MISSING_NON_CONVERSIONS_MESSAGE)
    assert "pass a column of zeros as nulls" in message
    with pytest.raises(XhsInputError, match="column of zeros"):
        udfs.XHS_REMOVAL_EFFECTS(column(PATHS), column(CONVERSIONS), column(VALUES), None)


def test_a_column_of_zeros_runs_markov_as_the_core_does_with_every_journey_converting():
    zeros = [0.0] * len(PATHS)
    got = udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), None, column(zeros))
    assert got == attribution.markov(core_table(values=None, nulls=zeros)).table()


def test_an_entirely_blank_optional_column_counts_as_not_given():
    blank = column([None] * len(PATHS), blank_rows=3)
    with pytest.raises(XhsInputError, match="column of zeros"):
        udfs.XHS_ATTRIBUTION(column(PATHS, 3), column(CONVERSIONS, 3), column(VALUES, 3), blank)
    assert udfs.XHS_ATTRIBUTION(column(PATHS, 3), column(CONVERSIONS, 3), blank, column(NULLS, 3)) == \
        udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), None, column(NULLS))
    assert udfs.XHS_ATTRIBUTION(column(PATHS, 3), column(CONVERSIONS, 3), blank, blank, "last_touch") == \
        attribution.last_touch(core_table(values=None, nulls=None)).table()


@pytest.mark.parametrize("model", ["first_touch", "last_touch", "linear", "position_based", "simplified_shapley"])
def test_models_that_do_not_read_nulls_run_without_them(model):
    got = udfs.XHS_ATTRIBUTION(column(PATHS), column(CONVERSIONS), column(VALUES), None, model)
    assert got == attribution.attribute(core_table(nulls=None), model).table()


# ------------------------------------------------------------------------------------------ garbage


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"model": "time_decay"}, "time_decay needs the days between each touch"),
        ({"model": "time decay"}, "use XHS_ATTRIBUTION_TOUCHES on the touch log"),
        ({"model": "best"}, "model must be one of markov|model must be one of first_touch"),
        ({"model": 3.0}, "model must be one of"),
        ({"order": 0.0}, 'order must be a whole number from 1 to 4 or "auto" \\(got 0\\)'),
        ({"order": 5.0}, 'or "auto" \\(got 5\\)'),
        ({"order": 1.5}, "order must be a whole number"),
        ({"order": "second"}, 'or "auto"'),
        ({"order": [[1.0, 2.0]]}, "order must be a single cell"),
        ({"sep": 5.0}, "sep must be text"),
        ({"sep": [[">"], ["-"]]}, "sep must be a single cell"),
        ({"paths": None}, "paths is required"),
        ({"conversions": None}, "conversions is required"),
        ({"paths": [["a", "b"], ["c", "d"]]}, "paths must be one column"),
        ({"conversions": column(CONVERSIONS[:3])}, "conversions has 3 rows but paths has 7"),
        ({"paths": column([None] * 7), "conversions": column([None] * 7), "values": None, "nulls": None},
         "paths is required|every row is blank"),
        ({"paths": column([True] + PATHS[1:])}, "paths in row 1 must be text"),
        ({"conversions": column([0.0] * 7), "values": None}, "conversions are all 0"),
    ],
)
def test_bad_arguments_give_messages_naming_what_is_wrong(arguments, message):
    call = {"paths": column(PATHS), "conversions": column(CONVERSIONS), "values": column(VALUES),
            "nulls": column(NULLS), "model": None, "order": None, "sep": None}
    call.update(arguments)
    with pytest.raises(XhsInputError, match=message):
        udfs.XHS_ATTRIBUTION(*call.values())


@pytest.mark.parametrize("junk", [float("nan"), float("inf"), -1.0, "lots", True, 10**400])
@pytest.mark.parametrize("where", ["conversions", "values", "nulls"])
def test_garbage_in_one_cell_of_a_range_is_refused_with_its_row(junk, where):
    ranges = {"conversions": column(CONVERSIONS), "values": column(VALUES), "nulls": column(NULLS)}
    ranges[where][2] = [junk]
    with pytest.raises(XhsInputError, match="row 3"):
        udfs.XHS_ATTRIBUTION(column(PATHS), ranges["conversions"], ranges["values"], ranges["nulls"])


def test_a_one_million_row_column_selection_is_one_call():
    # Whole-column selections in Excel arrive as 1,048,576 rows, nearly all blank.
    rows = 1_048_576
    paths = column(PATHS, blank_rows=rows - len(PATHS))
    counts = [column(v, blank_rows=rows - len(v)) for v in (CONVERSIONS, VALUES, NULLS)]
    assert udfs.XHS_ATTRIBUTION(paths, *counts) == attribution.markov(core_table()).table()


# ------------------------------------------------------------------------------------------ touch logs


def touch_log(rows=300, seed=3):
    """A seeded touch log: users, days, channels, a conversion ending some journeys, its value."""
    rng = np.random.default_rng(seed)
    channels = ["kol_mid", "koc_micro", "search_ads", "feed_ads", "tmall_direct"]
    users = [f"u{int(u)}" for u in rng.integers(0, 60, rows)]
    days = np.round(rng.uniform(0, 90, rows), 3).tolist()
    touched = [channels[int(c)] for c in rng.integers(0, len(channels), rows)]
    converted = (rng.random(rows) < 0.15).tolist()
    values = [float(round(rng.uniform(80, 900))) if c else None for c in converted]
    return users, days, touched, converted, values


@pytest.mark.parametrize("model", MODELS + ["time_decay"])
def test_a_touch_log_is_credited_as_the_core_credits_its_journeys(model):
    users, days, channels, converted, values = touch_log()
    got = udfs.XHS_ATTRIBUTION_TOUCHES(column(users, 5, "user"), column(days, 5, "time"), column(channels, 5, "channel"),
                                       column(converted, 5, "converted"), column(values, 5, "value"), model)
    journeys = attribution.journeys_from_touchpoints(users, days, channels, converted, values)
    expected = attribution.attribute(journeys, model).table()
    assert got == expected
    assert got[0] == ["channel", "conversions", "value", "share"]


def test_time_decay_reads_its_half_life_and_the_lookback_from_cells():
    users, days, channels, converted, values = touch_log()
    args = [column(users), column(days), column(channels), column(converted), column(values), "time decay"]
    journeys = attribution.journeys_from_touchpoints(users, days, channels, converted, values, lookback_days=10)
    assert udfs.XHS_ATTRIBUTION_TOUCHES(*args, 10.0, 2.0) == attribution.time_decay(journeys, 2.0).table()
    default = udfs.XHS_ATTRIBUTION_TOUCHES(*args)
    assert udfs.XHS_ATTRIBUTION_TOUCHES(*args, 10.0, 2.0) != default


def test_date_cells_give_the_same_credit_as_day_numbers():
    users, days, channels, converted, values = touch_log()
    start = dt.datetime(2025, 6, 1)
    dates = [start + dt.timedelta(days=d) for d in days]
    by_number = udfs.XHS_ATTRIBUTION_TOUCHES(column(users), column(days), column(channels), column(converted),
                                             column(values), "time_decay")
    by_date = udfs.XHS_ATTRIBUTION_TOUCHES(column(users), column(dates), column(channels), column(converted),
                                           column(values), "time_decay")
    for left, right in zip(by_number[1:], by_date[1:]):
        assert left[0] == right[0] and left[1:] == pytest.approx(right[1:], rel=1e-9)


def test_blank_rows_inside_the_log_are_skipped_and_values_may_be_left_out():
    users, days, channels, converted, values = touch_log(40)
    gap = lambda xs: xs[:20] + [None, None] + xs[20:]  # noqa: E731 - two blank rows in the middle
    got = udfs.XHS_ATTRIBUTION_TOUCHES(column(gap(users)), column(gap(days)), column(gap(channels)),
                                       column(gap(converted)), None, "linear")
    journeys = attribution.journeys_from_touchpoints(users, days, channels, converted)
    assert got == attribution.linear(journeys).table()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"channels": 3}, "channels is blank in row 4 where users has a value"),
        ({"converted": (3, "maybe")}, "converted must be TRUE/FALSE, 1/0, yes/no, y/n or 是/否 \\(got 'maybe'\\) in row 4"),
        ({"timestamps": (3, "soon")}, "timestamps must be a number like the rows above \\(got 'soon'\\) in row 4"),
        ({"values": "converting"}, "values of a converting row must be a number at least 0 .* in row"),
        ({"model": "best"}, "model must be one of"),
        ({"half_life_days": -1.0}, "half_life_days"),
    ],
)
def test_a_bad_touch_log_names_the_row_and_the_column(change, message):
    users, days, channels, converted, values = touch_log(30)
    call = {"users": column(users), "timestamps": column(days), "channels": column(channels),
            "converted": column(converted), "values": column(values), "model": "time_decay", "half_life_days": None}
    for name, how in change.items():
        if name in ("model", "half_life_days"):
            call[name] = how
        elif how == "converting":
            first = converted.index(True)
            call["values"] = column(values[:first] + [None] + values[first + 1:])
        else:
            row, value = (how, None) if isinstance(how, int) else how
            cells = [list(cell) for cell in call[name]]
            cells[row] = [value]
            call[name] = cells
    with pytest.raises(XhsInputError, match=message):
        udfs.XHS_ATTRIBUTION_TOUCHES(**call)


def test_model_shapley_monotone_gives_the_monotone_cover_where_plain_shapley_goes_negative():
    paths, conversions, values, nulls = ["a", "a > b", "b"], [10.0, 1.0, 1.0], [1000.0, 100.0, 100.0], [10.0, 19.0, 9.0]
    table = attribution.path_table(paths, conversions, values, nulls)
    plain = udfs.XHS_ATTRIBUTION(column(paths), column(conversions), column(values), column(nulls), "shapley")
    cover = udfs.XHS_ATTRIBUTION(column(paths), column(conversions), column(values), column(nulls),
                                 "shapley_monotone")
    assert cover == attribution.shapley(table, monotone=True).table()
    assert [row[1] for row in plain[1:]] == pytest.approx([16.0, -4.0])
    assert [row[1] for row in cover[1:]] == pytest.approx([10.8, 1.2])

"""The XHS_ functions as Excel calls them: Excel-shaped arguments in, a value or a readable error out.

On Linux the xlwings decorators do nothing, so these tests call the functions directly with the shapes
Excel passes (floats, None for blanks, str, bool, datetime, lists of lists for ranges) and read the
decorators from the source to lint them.
"""

import datetime as dt
import inspect
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xhsxl import catalogue, udfs
from xhsxl.core import allocation, clv, figures, metrics, response, returns
from xhsxl.core.errors import XhsInputError

CASE1 = figures.CASE_STUDY_1

#: One valid call per function, as Excel would pass it. Every function must appear here.
SAMPLES = {
    "XHS_VERSION": (),
    "XHS_ATTRIBUTION": ([["kol_mid > search_ads"], ["koc_micro > kol_mid > search_ads"], ["koc_micro"]],
                        [[30.0], [20.0], [0.0]], [[9_000.0], [6_400.0], [0.0]], [[970.0], [480.0], [1_500.0]],
                        "markov", 1.0, ">"),
    "XHS_ATTRIBUTION_TOUCHES": ([["ann"], ["ann"], ["bo"]], [[1.0], [5.0], [3.0]],
                                [["kol_mid"], ["search_ads"], ["feed_ads"]], [[False], [True], [False]],
                                [[None], [300.0], [None]], "time_decay", None, None, None),
    "XHS_REMOVAL_EFFECTS": ([["kol_mid > search_ads"], ["koc_micro > kol_mid > search_ads"], ["koc_micro"]],
                            [[30.0], [20.0], [0.0]], [[9_000.0], [6_400.0], [0.0]], [[970.0], [480.0], [1_500.0]],
                            1.0, ">"),
    "XHS_ROI": (1_680_000.0, 450_000.0, "net"),
    "XHS_ROAS": (1_680_000.0, 450_000.0),
    "XHS_PROFIT_ROI": (1_680_000.0, 450_000.0, 0.6, 0.05, 0.1, 1_200_000.0),
    "XHS_BREAKEVEN_ROAS": (0.6, 0.05, 0.1, 0.7),
    "XHS_BREAKEVEN_REVENUE": (450_000.0, 0.6, 0.05, 0.1, 0.7),
    "XHS_INCREMENTAL": (900_000.0, 600_000.0, 30.0, 60.0),
    "XHS_CPM": (450_000.0, 6_200_000.0),
    "XHS_CPC": (450_000.0, 85_000.0),
    "XHS_CPA": (450_000.0, 4_200.0),
    "XHS_ENGAGEMENTS": (100.0, 20.0, 5.0, 2.0, 1.0),
    "XHS_CPE": (680_000.0, 120_000.0, 30_000.0, 18_000.0, None, None),
    "XHS_CTR": (85_000.0, 6_200_000.0),
    "XHS_CVR": (4_200.0, 85_000.0),
    "XHS_AOV": (1_680_000.0, 4_200.0),
    "XHS_ENGAGEMENT_RATE": (168_000.0, 12_500_000.0),
    "XHS_SAVE_RATE": (25_000.0, 5_000_000.0),
    "XHS_FOLLOWER_GROWTH": (12_500.0, 50_000.0),
    "XHS_ENGAGEMENT_VALUE": ([[100.0, 20.0, 5.0, 2.0, 1.0]], [[0.1], [2.0], [1.0], [1.5], [5.0]], None),
    "XHS_EARNED_MEDIA": (2_000_000.0, 60.0, None, None),
    "XHS_BLENDED_RETURN": (1_680_000.0, 200_000.0, 3_000.0, 150.0, 40_000.0, 0.0, None, None),
    "XHS_BLENDED_ROI": (450_000.0, 1_680_000.0, 200_000.0, 3_000.0, 150.0, 40_000.0, 0.0, None, None),
    "XHS_BLENDED_BREAKDOWN": (1_680_000.0, 200_000.0, 3_000.0, 150.0, 40_000.0, 0.0, [[1.0, 1.0, 0.5, 1.0, 0.0]], 0.6),
    "XHS_CLV": (400.0, 0.5, 0.6, 12.0),
    "XHS_CLV_RETENTION": (120.0, 0.7, 0.01, None, None),
    "XHS_CLV_BGNBD": (2.0, 30.43, 38.86, 22.35,
                      [[0.2426], [4.4135], [0.7929], [2.4258], [6.2489], [3.7445], [15.4450]], 12.0, 0.01, 1.0, "weeks", 4.345),
    "XHS_P_ALIVE": (2.0, 30.43, 38.86, [[0.2426, 4.4135, 0.7929, 2.4258]]),
    "XHS_TIER": (120_000.0, None),
    "XHS_TIER_ALLOCATION": (450_000.0, "growth", None, None),
    "XHS_STAGE_SPLIT": (450_000.0, "冷启动"),
    "XHS_RESPONSE": (200_000.0, 50.0, 0.686, "power", None),
    "XHS_MARGINAL_RETURN": (200_000.0, 50.0, 0.686, None, None),
    "XHS_ELASTICITY": (None, None, None, None),
    "XHS_CURVE_SCALE": (90_000.0, 270_000.0, 0.686),
    "XHS_OPTIMAL_ALLOCATION": (250_000.0, [["tier", "curve", "param1", "param2"],
                                          ["top", "power", 40.0, 0.6],
                                          ["mid", "power", 60.0, 0.686],
                                          ["micro", "hill", 300_000.0, 80_000.0]]),
    "XHS_FORECAST": ([["line", "amount"], ["mid", 113_636.0], ["micro", 136_364.0], ["paid_ads", 70_000.0],
                      ["content_production", 100_000.0], ["tech_analytics", 30_000.0]], "maturity", None, 0.6, 0.1, 0.05,
                     [[0.56]], 0.8),
    "XHS_FORECAST_ROI": (450_000.0, "growth", "low", "profit", None, 0.6, 0.1, 0.0, "case_study_2", 0.9),
    "XHS_FORECAST_LINES": (450_000.0, "成长期", "high", [["benchmark", "low", "base", "high"], ["aov", 300.0, 350.0, 380.0]],
                           [[0.3, 0.5, 0.6]], 80.0),
    "XHS_CALIBRATE": ([["spend", "impressions", "engagements", "conversions", "revenue"],
                       [100_000.0, 1.5e6, 2.0e4, 1_000.0, 3.0e5], [200_000.0, 2.6e6, 3.5e4, 1_800.0, 5.5e5],
                       [400_000.0, 4.4e6, 6.1e4, 3_100.0, 9.6e5]], 200_000.0, True),
    "XHS_RECOMMEND": ([["mid", 400_000.0], ["micro", 20_000.0]], None, "both",
                      [["benchmark", "low", "base", "high"], ["cpm", 50.0, 80.0, 90.0]], 0.5, 0.1, 0.0, None, None),
    "XHS_SPILLOVER": ([["case_study_2"]],),
    "XHS_BACKTEST": ([["campaign", "spend", "impressions", "engagements", "conversions", "revenue"],
                      ["a", 100_000.0, 1.5e6, 2.0e4, 1_000.0, 3.0e5], ["b", 200_000.0, 2.6e6, 3.5e4, 1_800.0, 5.5e5],
                      ["c", 400_000.0, 4.4e6, 6.1e4, 3_100.0, 9.6e5], ["d", 300_000.0, 3.4e6, 5.0e4, 2_500.0, 7.9e5]],
                     0.8, False),
    "XHS_REALLOCATE": ([["line", "hours", "spend", "revenue"], ["mid", 24.0, 15_000.0, 52_000.0],
                        ["mid", 72.0, 40_000.0, 131_000.0], ["micro", 24.0, 10_000.0, 41_000.0],
                        ["paid_ads", 24.0, 12_000.0, 30_000.0]], 80_000.0, [["mid", 30_000.0]], "revenue", 0.686, 6.0),
    "XHS_PLATFORM_MAP": ([["日期", "消费", "展现量", "点击量"], ["2026-11-01", "1,200.50", 80_000.0, 1_600.0]], None, 7.0),
    "XHS_PLATFORM_HISTORY": ([["计划名称", "消费", "展现量"], ["秋季新品", "1,200.50", 80_000.0]], None, None, 7.0, 12.0),
    "XHS_PLATFORM_CHECKPOINTS": ([["日期", "计划名称", "消费", "7日下单金额"], ["2026-11-01", "秋季新品", 800.0, 2_400.0]], 7.0, 24.0),
}

REQUIRED_BY_THE_ISSUE = {
    "XHS_ROI", "XHS_ROAS", "XHS_PROFIT_ROI", "XHS_BREAKEVEN_ROAS", "XHS_INCREMENTAL", "XHS_CPM", "XHS_CPC",
    "XHS_CPA", "XHS_CPE", "XHS_CTR", "XHS_CVR", "XHS_AOV", "XHS_ENGAGEMENT_RATE", "XHS_ENGAGEMENT_VALUE",
    "XHS_CLV", "XHS_CLV_RETENTION", "XHS_CLV_BGNBD", "XHS_BLENDED_RETURN", "XHS_BLENDED_ROI",
    "XHS_BLENDED_BREAKDOWN", "XHS_TIER", "XHS_TIER_ALLOCATION", "XHS_STAGE_SPLIT", "XHS_RESPONSE",
    "XHS_ELASTICITY", "XHS_OPTIMAL_ALLOCATION", "XHS_VERSION",
}

LIBRARY = catalogue.read_catalogue()
NAMES = [f.name for f in LIBRARY]


def is_excel_value(value):
    """What Excel can show: a finite float, text, a boolean, a blank, or a rectangular table of those."""
    if isinstance(value, list):
        return (len(value) > 0 and all(isinstance(row, list) for row in value)
                and len({len(row) for row in value}) == 1 and all(is_excel_value(c) for row in value for c in row))
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or type(value) in (str, bool, int)


# ------------------------------------------------------------------------------------------ the library


def test_the_library_has_every_function_the_issue_names():
    assert REQUIRED_BY_THE_ISSUE <= set(NAMES)
    assert set(NAMES) == set(SAMPLES), "add a sample call for every function"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_function_returns_an_excel_value_for_its_sample(name):
    assert is_excel_value(getattr(udfs, name)(*SAMPLES[name]))


def test_roi_udf_gives_the_articles_273_and_624_percent():
    assert round(udfs.XHS_ROI(1_680_000.0, 450_000.0) * 100) == 273
    assert round(udfs.XHS_ROI([[4_920_000.0]], [[680_000.0]]) * 100) == 624
    assert udfs.XHS_ROI(1_200_000.0, 400_000.0, "ratio") == 3.0
    assert udfs.XHS_ROI("¥1,680,000", "450,000") == udfs.XHS_ROI(1_680_000.0, 450_000.0)


def test_scalar_udfs_equal_the_core():
    assert udfs.XHS_PROFIT_ROI(*SAMPLES["XHS_PROFIT_ROI"]) == metrics.profit_roi(
        1_680_000, 450_000, 0.6, 0.05, 0.1, 1_200_000)
    assert udfs.XHS_PROFIT_ROI(1_680_000.0, 450_000.0, 0.6) == metrics.profit_roi(1_680_000, 450_000, 0.6)
    assert udfs.XHS_BREAKEVEN_ROAS(0.6, None, 0.1, 0.5) == metrics.breakeven_roas(0.6, 0, 0.1, 0.5)
    assert udfs.XHS_BREAKEVEN_ROAS(0.6, None, None) == metrics.breakeven_roas(0.6)
    assert udfs.XHS_CPE(*SAMPLES["XHS_CPE"]) == metrics.cpe(680_000, 168_000)
    assert udfs.XHS_CLV_RETENTION(120.0, 0.7, 0.01) == clv.clv_retention(120, 0.7, 0.01)
    assert udfs.XHS_CLV_RETENTION(120.0, 0.7, 0.01, 12.0, "start") == clv.clv_retention(120, 0.7, 0.01, 12, "start")
    assert udfs.XHS_ELASTICITY() == pytest.approx(figures.DEFAULT_ELASTICITY.value, rel=1e-12)
    assert udfs.XHS_RESPONSE(200_000.0, 50.0, 0.686) == response.power_response(200_000, 50, 0.686)
    assert udfs.XHS_TIER(50_000.0) == "mid"
    assert udfs.XHS_CURVE_SCALE(90_000.0, 270_000.0, 0.686) == response.power_scale_from_point(90_000, 270_000, 0.686)
    assert udfs.XHS_ENGAGEMENT_VALUE(*SAMPLES["XHS_ENGAGEMENT_VALUE"]) == pytest.approx(63.0)


def test_table_udfs_return_the_cores_tables_with_a_header_row():
    table = udfs.XHS_TIER_ALLOCATION(450_000.0)
    assert table == allocation.allocate_budget(450_000).table()
    with_stage = udfs.XHS_TIER_ALLOCATION(450_000.0, "成长期")
    assert [row[0] for row in with_stage[-2:]] == ["spillover", "closed_loop"]
    assert with_stage[-2][4] + with_stage[-1][4] == 450_000
    assert udfs.XHS_STAGE_SPLIT(100.0, "maturity") == allocation.stage_split(100, "maturity").table()
    breakdown = udfs.XHS_BLENDED_BREAKDOWN(*SAMPLES["XHS_BLENDED_BREAKDOWN"])
    assert breakdown == returns.blended_return(1_680_000, 200_000, 3_000, 150, 40_000, 0, [1, 1, 0.5, 1, 0], 0.6).table()
    optimal = udfs.XHS_OPTIMAL_ALLOCATION(*SAMPLES["XHS_OPTIMAL_ALLOCATION"])
    assert optimal[0][0] == "tier" and sum(row[2] for row in optimal[1:-1]) == 250_000


# ------------------------------------------------------------------------------------------ ranges


def test_roi_over_two_10000_row_ranges_is_one_call_returning_a_column():
    rng = np.random.default_rng(7)
    revenue = rng.uniform(0, 1e6, 10_000)
    cost = rng.uniform(1, 1e5, 10_000)
    out = udfs.XHS_ROI([[r] for r in revenue], [[c] for c in cost])
    assert len(out) == 10_000 and all(len(row) == 1 for row in out)
    np.testing.assert_allclose([row[0] for row in out], metrics.roi(revenue, cost), rtol=0, atol=0)
    assert type(out[0][0]) is float


def test_a_range_broadcasts_against_a_single_cell_and_keeps_its_orientation():
    row = udfs.XHS_CPM([[100.0, 200.0, 300.0]], 1000.0)
    assert row == [[100.0, 200.0, 300.0]]
    column = udfs.XHS_TIER([[5_000.0], [20_000.0], [60_000.0], [250_000.0]])
    assert column == [["nano"], ["micro"], ["mid"], ["top"]]


def test_trailing_blank_rows_come_back_blank():
    out = udfs.XHS_ROI([[300.0], [None], [""]], [[100.0], [None], [None]])
    assert out == [[2.0], [None], [None]]


def test_a_blank_cell_beside_a_filled_one_is_named():
    with pytest.raises(XhsInputError, match="cost is blank in row 2 where the other ranges have values"):
        udfs.XHS_ROI([[300.0], [400.0]], [[100.0], [None]])


def test_an_error_in_a_range_names_the_row_of_the_range():
    with pytest.raises(XhsInputError, match=r"cost must be greater than 0 \(got -5\) in row 3"):
        udfs.XHS_ROI([[1.0], [None], [2.0]], [[1.0], [None], [-5.0]])
    with pytest.raises(XhsInputError, match=r"revenue must be a number \(got 'abc'\) in row 2"):
        udfs.XHS_ROI([[1.0], ["abc"]], [[1.0], [2.0]])


def test_mismatched_ranges_are_refused_with_their_sizes():
    with pytest.raises(XhsInputError, match="same size"):
        udfs.XHS_ROI([[1.0], [2.0], [3.0]], [[1.0], [2.0]])


def test_ragged_ranges_are_refused():
    with pytest.raises(XhsInputError, match="rectangular"):
        udfs.XHS_ROI([[1.0, 2.0], [3.0]], 1.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: udfs.XHS_ROI(100.0, 0.0), r"cost must be greater than 0 \(got 0\)"),
        (lambda: udfs.XHS_ROI(None, 100.0), "revenue is required"),
        (lambda: udfs.XHS_ROI(True, 100.0), "not a true/false value"),
        (lambda: udfs.XHS_ROI(dt.datetime(2025, 1, 1), 100.0), "not a date"),
        (lambda: udfs.XHS_ROI(100.0, 50.0, "gross"), "basis must be 'net' or 'ratio'"),
        (lambda: udfs.XHS_STAGE_SPLIT(100.0, "teenage"), "成长期"),
        (lambda: udfs.XHS_CLV_RETENTION(100.0, 1.0, 0.01), "retention"),
        (lambda: udfs.XHS_ENGAGEMENT_VALUE([[1.0, 2.0]], [[1.0, 2.0, 3.0]]), "counts must have 3 cells"),
        (lambda: udfs.XHS_CLV_BGNBD(1.0, 5.0, 3.0, 10.0, [[1.0]] * 7), "recency"),
        (lambda: udfs.XHS_OPTIMAL_ALLOCATION(100.0, [["mid", "power", 1.0]]), "at least 4 cells"),
    ],
)
def test_bad_arguments_give_messages_naming_what_is_wrong(call, message):
    with pytest.raises(XhsInputError, match=message):
        call()


# ------------------------------------------------------------------------------------------ garbage

GARBAGE = [
    None, "", "abc", " ", True, False, float("nan"), float("inf"), float("-inf"), -5.0, 0.0, 1e308, -1e308,
    1e-308, 10**400, "30%", "¥1,000", "=1+1", dt.datetime(2024, 1, 1), dt.date(2024, 1, 1),
    [], [[]], [[1.0, 2.0], [3.0]], [[None]], [[1.0], [None]], [["abc"]], [[float("nan")]], [1.0, [2.0]],
    {"a": 1}, object(), [[True, False]], [[1e308], [1e308]], "成长期",
]


def _calls():
    for name in SAMPLES:
        arity = len(inspect.signature(getattr(udfs, name)).parameters)
        for position in range(arity):
            yield name, position


@pytest.mark.parametrize("name, position", list(_calls()))
def test_garbage_in_any_argument_gives_a_value_or_a_readable_error(name, position):
    function = getattr(udfs, name)
    for junk in GARBAGE:
        args = list(SAMPLES[name])
        args[position] = junk
        try:
            result = function(*args)
        except XhsInputError as error:
            assert str(error) and "Traceback" not in str(error)
        else:
            assert is_excel_value(result), (name, position, junk, result)


garbage_value = st.one_of(
    st.none(), st.booleans(), st.floats(), st.text(max_size=8), st.integers(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.lists(st.lists(st.one_of(st.none(), st.floats(), st.text(max_size=3)), min_size=0, max_size=3), max_size=3),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_random_garbage_never_escapes_as_another_exception(name, data):
    function = getattr(udfs, name)
    args = list(SAMPLES[name])
    for position in data.draw(st.sets(st.integers(0, max(len(args) - 1, 0)), max_size=len(args))):
        if args:
            args[position] = data.draw(garbage_value)
    try:
        result = function(*args)
    except XhsInputError:
        return
    assert is_excel_value(result)


# ------------------------------------------------------------------------------------------ lint

VBA_RESERVED = {
    "and", "as", "boolean", "byref", "byte", "byval", "call", "case", "const", "currency", "date", "decimal",
    "declare", "dim", "do", "double", "each", "else", "elseif", "empty", "end", "enum", "eqv", "erase", "error",
    "event", "exit", "false", "for", "friend", "function", "get", "global", "gosub", "goto", "if", "imp",
    "implements", "in", "integer", "is", "let", "lib", "like", "long", "loop", "lset", "me", "mod", "new", "next",
    "not", "nothing", "null", "object", "on", "option", "optional", "or", "paramarray", "preserve", "private",
    "property", "public", "raiseevent", "redim", "rem", "resume", "return", "rset", "select", "set", "single",
    "static", "step", "stop", "string", "sub", "then", "to", "true", "type", "typeof", "until", "variant", "wend",
    "while", "with", "xor", "caller",
}
FUNC_OPTIONS = {"category", "volatile", "call_in_wizard", "async_mode", "namespace", "help_url"}
ARG_OPTIONS = {"doc", "ndim", "numbers", "dates", "empty", "transpose", "convert", "dtype"}


@pytest.mark.parametrize("function", LIBRARY, ids=NAMES)
def test_udf_decorators_follow_the_xlwings_conventions(function):
    assert function.name.startswith("XHS_") and function.name == function.name.upper()
    decorators = function.decorators
    assert decorators[0].name == "func", "@xw.func must be the outermost decorator"
    assert decorators[0].options == {"category": "XHS"}
    assert set(decorators[0].options) <= FUNC_OPTIONS
    assert [d.name for d in decorators[1:]] == ["arg"] * (len(decorators) - 1), "only @xw.arg below @xw.func"
    assert not function.keyword_only
    assert 0 < len(function.summary) <= 255, f"docstring has {len(function.summary)} characters"
    targets = [d.target for d in decorators[1:]]
    assert len(targets) == len(set(targets))
    assert targets == [a.name for a in function.arguments], "one @xw.arg per argument, in order"
    for argument in function.arguments:
        assert argument.name.lower() not in VBA_RESERVED, argument.name
        assert argument.doc and len(argument.doc) <= 255, argument.name
        assert set(argument.options) <= ARG_OPTIONS, argument.options
        assert "expand" not in argument.options


def test_the_udf_module_exposes_only_the_library():
    exposed = {name for name, value in vars(udfs).items() if callable(value) and name.startswith("XHS_")}
    assert exposed == set(NAMES)


def test_the_udf_module_never_imports_the_licensed_xlwings_part():
    source = catalogue.udf_source_path().read_text(encoding="utf-8")
    assert "xlwings.pro" not in source and "from xlwings import pro" not in source


def test_reallocation_keeps_its_total_last_in_a_larger_range_and_refuses_a_smaller_one():
    checkpoints, reserve, caps, metric, elasticity, _rows = SAMPLES["XHS_REALLOCATE"]
    table = udfs.XHS_REALLOCATE(checkpoints, reserve, caps, metric, elasticity)
    padded = udfs.XHS_REALLOCATE(checkpoints, reserve, caps, metric, elasticity, len(table) + 1)
    assert padded[:len(table) - 1] == table[:-1] and padded[-1] == table[-1]
    assert padded[len(table) - 1:-1] == [[None] * len(table[0])] * 2
    with pytest.raises(XhsInputError, match="room for 2; resize the table"):
        udfs.XHS_REALLOCATE(checkpoints, reserve, caps, metric, elasticity, 2)

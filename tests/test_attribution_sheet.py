"""The template's Attribution sheet: a worked path table, credit tables over it, a chart comparing them.

The live workbook is recalculated headlessly by the ``formulas`` engine with the XHS_ functions registered
and must equal the attribution core on the example and on paths an analyst types over it; the static
workbook (values in place of formulas) must equal the live one.
"""

import math

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from xhsxl.core import attribution
from xhsxl.core.attribution.paths import MISSING_NON_CONVERSIONS_MESSAGE
from xhsxl.schema import FIELDS
from xhsxl.workbook.sheets import attribution as attribution_sheet
from xhsxl.workbook.sheets import dashboard as dashboard_sheet
from xhsxl.workbook.sheets import SHEETS, worked_examples
from xhsxl.workbook.recalc import Recalculator
from xhsxl.workbook.static import same_value, static_mismatches
from xhsxl.workbook.read import named_places
from xhsxl.workbook.template import build_workbook, example_campaign, workbook_bytes
from xhsxl.workbook.sheets.kit import chart_title_text

SHEET = "Attribution"
EXAMPLE = attribution.path_table(*(list(column) for column in zip(*attribution_sheet.ATTRIBUTION_EXAMPLE)))


def places(workbook):
    """Defined name → (sheet, first row, first column, rows, columns)."""
    return named_places(workbook)


def block(value, place):
    """The cells of a named block as a list of rows, read with ``value(sheet, cell)``."""
    sheet, row, column, rows, columns = place
    return [[value(sheet, f"{get_column_letter(column + c)}{row + r}") for c in range(columns)] for r in range(rows)]


def assert_table(got, expected):
    assert len(got) == len(expected) and len(got[0]) == len(expected[0])
    for got_row, expected_row in zip(got, expected):
        for a, b in zip(got_row, expected_row):
            assert same_value(a, b, rel=1e-9), (got_row, expected_row)


def expected_tables(table):
    markov = attribution.markov(table, 1)
    return {
        attribution_sheet.LAST_TOUCH_TABLE.name: attribution.last_touch(table).table(),
        attribution_sheet.MARKOV_TABLE.name: markov.table(),
        attribution_sheet.REMOVAL_EFFECTS_TABLE.name: markov.removal_effects_table(),
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("attribution") / "template.xlsx"
    path.write_bytes(workbook_bytes(build_workbook()))
    return path


@pytest.fixture(scope="module")
def names(template):
    return places(load_workbook(template))


@pytest.fixture(scope="module")
def recalculator(template):
    return Recalculator(template)


@pytest.fixture(scope="module")
def recalculated(recalculator):
    return recalculator.calculate()


def test_the_sheet_sits_between_allocation_and_dashboard():
    sheets = [sheet.name for sheet in SHEETS]
    assert sheets.index("Allocation") < sheets.index(SHEET) == sheets.index("Dashboard") - 1
    assert build_workbook().sheetnames == sheets


def test_the_example_is_a_realistic_path_table_of_a_few_channels():
    assert 10 <= EXAMPLE.n_paths <= 15 and 5 <= EXAMPLE.n_channels <= 6
    assert EXAMPLE.nulls.sum() > 10 * EXAMPLE.conversions.sum()  # most journeys do not convert
    assert attribution_sheet.ATTRIBUTION_CHANNELS == EXAMPLE.channels == tuple(sorted(EXAMPLE.channels))


def test_the_recalculated_tables_equal_the_core_with_no_error_cell_anywhere(recalculated, names):
    assert recalculated.errors == []
    for name, expected in expected_tables(EXAMPLE).items():
        assert names[name][0] == SHEET
        assert_table(block(recalculated.value, names[name]), expected)


def test_both_credit_tables_list_the_same_channels_in_the_same_order(recalculated, names):
    last = block(recalculated.value, names[attribution_sheet.LAST_TOUCH_TABLE.name])
    markov = block(recalculated.value, names[attribution_sheet.MARKOV_TABLE.name])
    removal = block(recalculated.value, names[attribution_sheet.REMOVAL_EFFECTS_TABLE.name])
    channels = [row[0] for row in last[1:]]
    assert channels == [row[0] for row in markov[1:]] == [row[0] for row in removal[1:]]
    assert channels == list(attribution_sheet.ATTRIBUTION_CHANNELS)
    for table in (last, markov):
        assert math.isclose(sum(row[1] for row in table[1:]), EXAMPLE.total_conversions, rel_tol=1e-12)
        assert math.isclose(sum(row[2] for row in table[1:]), EXAMPLE.total_value, rel_tol=1e-12)
    # The point of the example: last touch over-credits the channel that closes the sale.
    closing = channels.index("tmall_direct")
    assert last[1 + closing][1] > 2 * markov[1 + closing][1]


def test_tables_are_fixed_size_array_formulas_of_one_row_per_channel_plus_the_header(template, names):
    workbook = load_workbook(template)
    ws = workbook[SHEET]
    for spec in attribution_sheet.ATTRIBUTION_TABLES:
        sheet, row, column, rows, columns = names[spec.name]
        assert (rows, columns) == (len(attribution_sheet.ATTRIBUTION_CHANNELS) + 1, spec.columns)
        anchor = ws.cell(row, column)
        assert anchor.value.ref == f"A{row}:{get_column_letter(columns)}{row + rows - 1}"
        # n/a until the analyst's paths are in; then the function over the path table
        assert anchor.value.text.startswith(
            f"=IF((COUNTA(attribution_conversions)>0),{spec.expr.then.function}(attribution_paths,attribution_conversions,")
    notes = " ".join(str(c.value) for c in ws["A"][:8] if c.value)
    assert f"{len(attribution_sheet.ATTRIBUTION_CHANNELS)} channels" in notes and "resize each table" in notes


def test_under_the_markov_tables_a_note_explains_negative_shapley_credit_and_the_monotone_model(template, names):
    ws = load_workbook(template)[SHEET]
    _sheet, row, _column, rows, _columns = names[attribution_sheet.REMOVAL_EFFECTS_TABLE.name]
    below = " ".join(str(ws.cell(r, 1).value) for r in range(row + rows, row + rows + 4) if ws.cell(r, 1).value)
    assert "negative credit" in below and '"shapley_monotone"' in below
    # the model the note names is one XHS_ATTRIBUTION runs
    assert attribution.model_name("shapley_monotone") == "shapley_monotone"


def test_the_path_cells_are_yellow_unlocked_inputs_outside_the_schema(template, names):
    ws = load_workbook(template)[SHEET]
    field_keys = {f.key for f in FIELDS}
    for name, _english, _chinese, unit in attribution_sheet.ATTRIBUTION_COLUMNS:
        assert name not in field_keys
        sheet, row, column, rows, columns = names[name]
        assert (sheet, rows, columns) == (SHEET, attribution_sheet.ATTRIBUTION_INPUT_ROWS, 1)
        for r in range(row, row + rows):
            cell = ws.cell(r, column)
            assert cell.fill.fgColor.rgb.endswith("FFF2CC") and cell.protection.locked is False
    sheet, row, column, _, _ = names["attribution_paths"]
    assert [ws.cell(row + i, column).value for i in range(EXAMPLE.n_paths)] == [p for p, *_ in attribution_sheet.ATTRIBUTION_EXAMPLE]
    assert ws.cell(row + EXAMPLE.n_paths, column).value is None  # room below for more paths
    assert ws.protection.sheet is True


def test_the_chart_compares_the_two_credit_columns_per_channel(template, names):
    ws = load_workbook(template)[SHEET]
    [chart] = ws._charts
    assert chart_title_text(chart) == attribution_sheet.ATTRIBUTION_CHART.title

    def column_ref(table, column):
        sheet, row, first_column, rows, _ = names[table]
        letter = get_column_letter(first_column + column - 1)
        return f"'{sheet}'!${letter}${row + 1}:${letter}${row + rows - 1}"

    credited = attribution.RESULT_HEADER.index("conversions") + 1
    assert [s.val.numRef.f for s in chart.series] == [column_ref(attribution_sheet.LAST_TOUCH_TABLE.name, credited),
                                                     column_ref(attribution_sheet.MARKOV_TABLE.name, credited)]
    assert [s.tx.v for s in chart.series] == ["Last touch", "Markov"]
    categories = chart.series[0].cat
    assert (categories.strRef or categories.numRef).f == column_ref(attribution_sheet.LAST_TOUCH_TABLE.name, 1)
    assert len(load_workbook(template)["Dashboard"]._charts) == len(dashboard_sheet.CHARTS)


def test_static_equals_live_on_the_attribution_sheet_too(recalculated, tmp_path):
    assert static_mismatches(example_campaign(), recalculated, sheet_values=worked_examples()) == []
    static = build_workbook(static=True)
    live_names = places(static)
    for name, expected in expected_tables(EXAMPLE).items():
        assert_table(block(lambda sheet, cell: static[sheet][cell].value, live_names[name]), expected)
    assert len(static[SHEET]._charts) == 1


def _inputs(names, rows):
    """Input cells → values for a path table typed over the example (rows beyond it left blank)."""
    values = {}
    for index, (name, *_rest) in enumerate(attribution_sheet.ATTRIBUTION_COLUMNS):
        sheet, row, column, count, _ = names[name]
        for offset in range(count):
            cell = f"{get_column_letter(column)}{row + offset}"
            values[(sheet, cell)] = rows[offset][index] if offset < len(rows) else None
    return values


def test_an_analysts_own_paths_recalculate_to_the_core(recalculator, names):
    own = [
        ("search_ads > tmall_direct", 300.0, 90_000.0, 4_000.0),
        ("kol_top > kol_mid > search_ads", 80.0, 30_000.0, 1_500.0),
        ("koc_micro > feed_ads > tmall_direct", 55.0, 16_500.0, 3_300.0),
        ("feed_ads", 10.0, 2_500.0, 9_000.0),
        ("kol_mid > kol_mid > tmall_direct", 42.0, 13_000.0, 800.0),
        ("koc_micro", 5.0, 1_000.0, 20_000.0),
    ]
    result = recalculator.calculate(_inputs(names, own))
    assert result.errors == []
    table = attribution.path_table(*(list(column) for column in zip(*own)))
    for name, expected in expected_tables(table).items():
        assert_table(block(result.value, names[name]), expected)


def test_a_blank_nulls_column_shows_the_cores_explanation_not_a_number(recalculator, names):
    rows = [(path, conversions, value, None) for path, conversions, value, _ in attribution_sheet.ATTRIBUTION_EXAMPLE]
    result = recalculator.calculate(_inputs(names, rows))
    failed = {error.cell for error in result.errors if error.sheet == SHEET}
    markov = names[attribution_sheet.MARKOV_TABLE.name]
    assert f"A{markov[1]}" in failed and all(error.error == "#VALUE!" for error in result.errors)
    message = next(error.message for error in result.errors if error.cell == f"A{markov[1]}")
    assert message.startswith(MISSING_NON_CONVERSIONS_MESSAGE)
    # Last touch does not read the journeys that did not convert: it still computes.
    assert_table(block(result.value, names[attribution_sheet.LAST_TOUCH_TABLE.name]),
                 attribution.last_touch(EXAMPLE).table())


# ------------------------------------------------------------------------------------- time decay, touch log


def touch_expected(rows):
    users, days, channels, converted, values = (list(column) for column in zip(*rows))
    return attribution.time_decay(attribution.journeys_from_touchpoints(users, days, channels, converted,
                                                                        values)).table()


def test_the_touch_log_is_credited_by_time_decay_as_the_core_does_live_and_static(recalculated, names):
    expected = touch_expected(attribution_sheet.TOUCH_EXAMPLE)
    assert names[attribution_sheet.TIME_DECAY_TABLE.name][0] == SHEET
    assert_table(block(recalculated.value, names[attribution_sheet.TIME_DECAY_TABLE.name]), expected)
    static = build_workbook(static=True)
    assert_table(block(lambda sheet, cell: static[sheet][cell].value, names[attribution_sheet.TIME_DECAY_TABLE.name]), expected)
    assert [row[0] for row in expected[1:]] == list(attribution_sheet.TIME_DECAY_CHANNELS)


def test_an_analysts_own_touch_log_recalculates_to_the_core(recalculator, names):
    own = [("ann", 1.0, "kol_mid", False, None), ("ann", 9.5, "search_ads", True, 300.0),
           ("bo", 2.0, "feed_ads", False, None), ("bo", 2.5, "kol_top", False, None), ("bo", 3.0, "tmall_direct", True, 90.0),
           ("cy", 0.0, "koc_micro", False, None), ("cy", 20.0, "search_ads", True, 150.0)]
    values = {}
    for index, (name, *_rest) in enumerate(attribution_sheet.TOUCH_COLUMNS):
        sheet, row, column, count, _ = names[name]
        for offset in range(count):
            values[(sheet, f"{get_column_letter(column)}{row + offset}")] = own[offset][index] if offset < len(own) else None
    result = recalculator.calculate(values)
    assert result.errors == []
    assert_table(block(result.value, names[attribution_sheet.TIME_DECAY_TABLE.name]), touch_expected(own))

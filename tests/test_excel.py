"""xhsxl.excel: one reader of cells for every entry point, and errors made of fields, worded once."""

from __future__ import annotations

import csv
import pickle
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xhsxl import udfs
from xhsxl.core import metrics
from xhsxl.core.errors import XhsInputError
from xhsxl.excel import FLAG_WORDS, InputFileError, Problem, coerce_number, is_blank, read_flag
from xhsxl.excel.campaign import campaign_cells
from xhsxl.planner_tables import read_budget_lines
from xhsxl.workbook.batch import errors_csv
from xhsxl.workbook.clients import read_clients
from xhsxl.workbook.journey_files import read_touchpoints

# ------------------------------------------------------------------------------------------- strategies
_FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


@st.composite
def money_text(draw: st.DrawFn) -> tuple[str, float | None]:
    """An amount as a person might type it, and the number it means (None: it must be refused)."""
    whole = draw(st.integers(min_value=0, max_value=10**9))
    kind = draw(st.sampled_from(["plain", "grouped", "yuan", "full_width", "wan", "accounting_zero",
                                 "garbage", "ambiguous_comma"]))
    if kind == "plain":
        return str(whole), float(whole)
    if kind == "grouped":
        return f"{whole:,}", float(whole)
    if kind == "yuan":
        return draw(st.sampled_from(["¥{:,}", "￥{}", "{}元", "RMB {:,}"])).format(whole), float(whole)
    if kind == "full_width":
        return f"{whole:,}".translate(_FULL_WIDTH), float(whole)
    if kind == "wan":
        tens_of_thousands = whole % 100_000
        return f"{tens_of_thousands}万", tens_of_thousands * 1e4
    if kind == "accounting_zero":
        return "-", 0.0
    if kind == "ambiguous_comma":
        return f"{whole % 1000},{draw(st.integers(1, 99))}", None  # 12,5: a decimal or a thousands comma?
    return draw(st.sampled_from(["lots", "n/a", "1O0", "¥", "12abc"])), None


def _flag_spellings() -> st.SearchStrategy[tuple[object, bool | None]]:
    words = st.sampled_from(sorted(FLAG_WORDS)).flatmap(
        lambda word: st.sampled_from([word, word.upper(), word.title(), f" {word} "]).map(
            lambda spelled: (spelled, FLAG_WORDS[word])))
    others = st.sampled_from([(True, True), (False, False), (1.0, True), (0.0, False),
                              ("maybe", None), ("2", None), (0.5, None)])
    return st.one_of(words, others)


# ------------------------------------------------------------------------------------------- entry points
def _write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return path


def _through_udf(text: str) -> float:
    return udfs.XHS_ROAS(text, 1.0)  # revenue / ¥1 is the revenue as read


def _through_client_table(text: str, folder: Path) -> float:
    table = read_clients(_write_csv(folder / "clients.csv", [
        ["client_name", "content_production", "direct_revenue"], ["Acme", 1, text]]))
    [row] = table.rows
    if not row.ok:
        [problem] = row.problems
        raise XhsInputError(problem.reason)
    return row.campaign.direct_revenue


def _through_touch_log(text: str, folder: Path) -> float:
    journeys = read_touchpoints(_write_csv(folder / "touches.csv", [
        ["user", "time", "channel", "converted", "value"], ["u1", 1, "kol_mid", 1, text]]))
    return float(journeys.table.values.sum())


def _through_planner_table(text: str) -> float:
    return read_budget_lines([["line", "amount"], ["mid", text], ["paid_ads", 1.0]]).lines["mid"]


def _outcome(read, *args):
    try:
        return read(*args)
    except XhsInputError:
        return "refused"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=money_text())
def test_an_amount_reads_as_the_same_number_from_every_entry_point(typed):
    text, meaning = typed
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        outcomes = {
            "udf": _outcome(_through_udf, text),
            "client table": _outcome(_through_client_table, text, folder),
            "touch log": _outcome(_through_touch_log, text, folder),
            "planner table": _outcome(_through_planner_table, text),
        }
    expected = "refused" if meaning is None else pytest.approx(meaning)
    assert outcomes == {place: expected for place in outcomes}, text


def _converted_through_udf(cell: object) -> bool:
    # user u2 always converts, so the table has a conversion whatever u1's cell says
    table = udfs.XHS_ATTRIBUTION_TOUCHES([["u1"], ["u2"]], [[1.0], [2.0]], [["kol_mid"], ["search_ads"]],
                                         [[cell], [True]], model="linear")
    return sum(row[1] for row in table[1:]) == 2


def _converted_through_touch_log(cell: object, folder: Path) -> bool:
    journeys = read_touchpoints(_write_csv(folder / "touches.csv", [
        ["user", "time", "channel", "converted"], ["u1", 1, "kol_mid", cell], ["u2", 2, "search_ads", "TRUE"]]))
    return float(journeys.table.conversions.sum()) == 2


def _as_csv_text(cell: object) -> str:
    """What a CSV export writes for the cell: TRUE/FALSE for a boolean, 1 for 1.0."""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    return f"{cell:g}" if isinstance(cell, float) else str(cell)


@settings(max_examples=40, deadline=None)
@given(spelled=_flag_spellings())
def test_true_and_false_read_the_same_in_a_cell_a_range_and_a_file(spelled):
    cell, meaning = spelled
    with tempfile.TemporaryDirectory() as name:
        outcomes = {
            "cell": _outcome(read_flag, cell, "flag"),
            "range": _outcome(_converted_through_udf, cell),
            "file": _outcome(_converted_through_touch_log, _as_csv_text(cell), Path(name)),
        }
    expected = "refused" if meaning is None else meaning
    assert outcomes == {place: expected for place in outcomes}, cell


def test_converted_written_y_counts_in_excel_as_it_does_from_the_command_line(tmp_path):
    assert _converted_through_udf("y") and _converted_through_touch_log("y", tmp_path)
    assert not _converted_through_udf("n") and not _converted_through_touch_log("否", tmp_path)


# ------------------------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("text, number", [
    ("168万", 1_680_000), ("1.5亿", 150_000_000), ("(5,000)", -5000), ("-", 0), ("1.234,56", 1234.56),
    ("１，２００", 1200), ("¥1,200,000", 1_200_000),
])
def test_text_numbers_read_with_chinese_magnitudes_and_accounting_forms(text, number):
    assert coerce_number(text) == pytest.approx(number)


def test_a_lone_decimal_comma_is_refused_with_both_readings_unless_the_file_says_so():
    with pytest.raises(XhsInputError, match=r"reads as 1680000\.50 with a decimal comma or as 168000050"):
        coerce_number("1680000,50", "direct_revenue")
    assert coerce_number("1680000,50", decimal_comma=True) == 1_680_000.5


def test_in_a_decimal_comma_file_a_lone_point_with_three_digits_is_refused_as_ambiguous():
    with pytest.raises(XhsInputError, match=r"reads as 1234 \(a point grouping thousands\), elsewhere as 1\.234"):
        coerce_number("1.234", "direct_revenue", decimal_comma=True)
    assert coerce_number("1.234.567", decimal_comma=True) == 1_234_567
    assert coerce_number("12.75", decimal_comma=True) == 12.75


def test_a_semicolon_csv_reads_its_decimal_commas(tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text("client_name;content_production;direct_revenue\nAcme;450000;1680000,50\n", encoding="utf-8")
    [row] = read_clients(path).rows
    assert row.campaign.direct_revenue == 1_680_000.5


def test_a_percentage_is_refused_in_an_amount_with_a_hint_and_read_in_a_share():
    values, refused = campaign_cells({"creator_fees": "350%", "gross_margin": "35%"})
    assert values["gross_margin"] == 0.35
    assert str(refused["creator_fees"]) == ("creator_fees is an amount or a count, not a share (got '350%'); "
                                            "write the number itself, without %")


def test_blank_is_none_or_whitespace_only():
    assert all(map(is_blank, [None, "", "  ", "\t"])) and not any(map(is_blank, [0, 0.0, False, "0", []]))


# ------------------------------------------------------------------------------------------- errors
def test_a_core_error_placed_in_a_range_keeps_its_fields_and_changes_only_its_place():
    with pytest.raises(XhsInputError) as raised:
        metrics.roi([1.0, 2.0], [1.0, -5.0])
    error = raised.value
    assert (error.argument, error.value, error.position) == ("cost", -5.0, (2,))
    assert str(error) == "cost must be greater than 0 (got -5 at position 2)"
    placed = error.located(7, "B")
    assert str(placed) == "cost must be greater than 0 (got -5) in row 7, column B"
    assert placed.fields() == {"argument": "cost", "row": 7, "column": "B", "value": -5.0,
                               "reason": "must be greater than 0"}


def test_the_udf_names_the_row_of_the_range_without_rewriting_text():
    with pytest.raises(XhsInputError, match=r"^cost must be greater than 0 \(got -5\) in row 3$"):
        udfs.XHS_ROI([[1.0], [2.0], [3.0]], [[1.0], [1.0], [-5.0]])


def test_one_problem_is_worded_the_same_in_the_cell_the_terminal_and_errors_csv():
    with pytest.raises(XhsInputError) as raised:
        coerce_number("lots", "direct_revenue")
    cell_text = str(raised.value)  # what the cell (XHS_ function) shows
    problem = Problem.from_error(raised.value, 4, "Direct revenue")
    terminal = str(problem)
    report = errors_csv([problem]).decode("utf-8-sig").splitlines()[1]
    assert cell_text == "direct_revenue must be a number (got 'lots')"
    assert terminal == f"row 4, Direct revenue = 'lots': {cell_text}"
    assert next(csv.reader([report])) == ["4", "Direct revenue", "lots", cell_text]
    assert problem.record() == ("4", "Direct revenue", "lots", cell_text)


def test_an_error_keeps_its_fields_through_a_worker_process():
    error = XhsInputError(argument="cost", reason="must be greater than 0", value=-5.0, position=(3,))
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.fields() == error.fields() and copy.position == (3,)


# ------------------------------------------------------------------------------------------- formulas
def _workbook_with_a_formula(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl  # openpyxl writes formulas without their results, as many exporters do

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def test_a_client_cell_holding_a_formula_without_a_saved_result_is_refused_not_read_as_zero(tmp_path):
    path = _workbook_with_a_formula(tmp_path / "clients.xlsx", [
        ["client_name", "content_production", "direct_revenue"], ["Acme", 450_000, "=1680000*1"],
        ["Zed", 450_000, 1_000_000]])
    acme, zed = read_clients(path).rows
    assert zed.ok and acme.campaign is None
    [problem] = acme.problems
    assert (problem.row, problem.column, problem.value) == (2, "direct_revenue", "=1680000*1")
    assert problem.reason == ("direct_revenue is a formula whose result the file does not store "
                              "(got '=1680000*1'); open and save the file in Excel, or export values")


def test_a_touch_log_cell_holding_a_formula_without_a_saved_result_stops_the_read(tmp_path):
    path = _workbook_with_a_formula(tmp_path / "touches.xlsx", [
        ["user", "time", "channel", "converted", "value"], ["u1", 1, "kol_mid", "=1=1", 10]])
    with pytest.raises(InputFileError, match=r"cell D2 holds a formula whose result the file does not store"):
        read_touchpoints(path)


def test_a_client_table_without_a_revenue_column_is_warned_about_and_still_read(tmp_path):
    table = read_clients(_write_csv(tmp_path / "plan.csv", [["client_name", "creator_fees"], ["Acme", 450_000]]))
    assert [row.ok for row in table.rows] == [True]
    [warning] = table.problems
    assert warning.row == 1 and "no revenue column (direct_revenue / Direct sales" in warning.reason
    assert "ROI -100 %" in warning.reason


def test_a_whole_column_plan_is_trimmed_to_its_rows_and_answers_as_the_plan_itself():
    plan = [["line", "amount"], ["mid", 200_000.0], ["paid_ads", 80_000.0]]
    whole_column = plan + [[None, None]] * 200_000
    assert udfs.XHS_FORECAST(whole_column) == udfs.XHS_FORECAST(plan)


def test_a_client_json_with_a_number_of_5000_digits_reports_that_cell(tmp_path):
    path = tmp_path / "clients.json"
    path.write_text('[{"client_name": "Acme", "creator_fees": ' + "9" * 5000 + '}]', encoding="utf-8")
    [row] = read_clients(path).rows
    [problem] = row.problems
    assert problem.column == "creator_fees"
    assert problem.reason == "creator_fees is too large (got a number of 5000 digits)"


def test_a_message_quotes_at_most_100_characters_of_a_value():
    with pytest.raises(XhsInputError) as raised:
        coerce_number("x" * 96 + "abc", "cost")  # 99 characters, 101 with the quotes
    assert len(str(raised.value)) < 160 and str(raised.value).endswith("...)")

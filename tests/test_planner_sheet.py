"""The template's Planner and Checkpoints sheets: the campaign's plan forecast, checkpoint results in, the
reserve reallocated out.

The live workbook is recalculated headlessly by the ``formulas`` engine with the XHS_ functions registered and
must equal :func:`planner_results` — the same forecast and reallocation computed by the core — for the
case studies, for random campaigns and for what an analyst types over the examples; the static workbook
(values in place of formulas) must equal the live one.
"""

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula

from xhsxl.core import figures, planner
from xhsxl.schema import FIELDS, ClientCampaign
from xhsxl.workbook.sheets import allocation as allocation_sheet
from xhsxl.workbook.sheets import checkpoints as checkpoints_sheet
from xhsxl.workbook.sheets import planner as planner_sheet
from xhsxl.workbook.sheets import SHEETS as REGISTRY
from xhsxl.workbook.formula import NOT_APPLICABLE
from xhsxl.workbook.recalc import Recalculator, recalculate
from xhsxl.workbook.static import same_value, static_mismatches
from xhsxl.workbook.read import input_places, named_places
from xhsxl.workbook.sheets.inputs import typed_name
from xhsxl.workbook.template import build_workbook, workbook_bytes
from xhsxl.workbook.sheets.kit import DATA_NEEDED, chart_title_text
from xhsxl.workbook.sheets import worked_examples

from field_strategies import campaigns

ROOT = Path(__file__).parent.parent
EXAMPLES = [ClientCampaign.model_validate(item)
            for item in json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))]
SHEETS = ("Planner", "Checkpoints")
RECOMMENDATIONS = {spec.name: spec for spec in planner_sheet.RECOMMENDATION_TABLES}


@dataclass(frozen=True)
class PlannerResults:
    """What the Planner and Checkpoints sheets show, computed by the core as the sheets compute them.

    ``lines`` are the budget lines the forecasts read: the rule-based plan's amount of each line (the
    Planner's default). A table is None where the sheet reads n/a in every cell: the forecast, its ROI and
    the findings when gross margin × (1 − refund rate) does not exceed the commission (no sale covers its
    cost), the reallocation when the plan holds no reserve. The per-line table takes no margins and is
    always computed.
    """

    lines: dict[str, float]
    forecast: list[list[Any]] | None
    roi: float | None
    lines_table: list[list[Any]] | None
    recommendations: list[list[str]] | None
    recommendations_zh: list[list[str]] | None
    reserve: float
    reallocation: list[list[Any]] | None


def measured_spillover(campaign: ClientCampaign) -> float:
    """The share of sales off Xiaohongshu the Planner assumes when none is typed: the campaign's measured one."""
    results = campaign.results()
    incremental = results["incremental_cross_platform"]
    return incremental / results["revenue"] if incremental > 0 else 0.0


def planner_results(campaign: ClientCampaign) -> PlannerResults:
    """The core's forecast of the campaign's plan and its reallocation of the planned reserve over the
    Checkpoints sheet's worked example."""
    plan = campaign.results().allocation
    amount = list(plan[0]).index("amount")
    lines = {planner.normalize_line(row[0]): float(row[amount]) for row in plan[1:] if row[0] != "creators"}
    stage = campaign.brand_stage or None
    margins = dict(gross_margin=campaign.gross_margin, refund_rate=campaign.refund_rate,
                   commission_rate=campaign.commission_rate)
    # The forecast's own test, in its order of operations: without a margin kept on direct sales it refuses.
    kept = (1 - campaign.refund_rate) * campaign.gross_margin - campaign.commission_rate
    spillover = measured_spillover(campaign)
    # Off-platform sales are grown from direct ones: above the core's largest share every forecast reads n/a.
    coverable = spillover <= planner.MAX_SPILLOVER_SHARE
    forecast = planner.forecast(lines, stage, **margins, spillover=spillover) if kept > 0 and coverable else None
    findings = planner.recommend(forecast) if forecast is not None else None
    # The per-line table reads no margins (XHS_FORECAST_LINES takes none): its numbers do not depend on them.
    per_line = (forecast if forecast is not None else planner.forecast(lines, stage, spillover=spillover)
                ).lines_table("base") if coverable else None
    reserve = lines["reserve"]
    reallocation = None
    example = checkpoints_sheet.CHECKPOINT_EXAMPLE
    if reserve > 0:
        names = [row[0] for row in example]
        reallocation = planner.reallocate(
            names, [row[2] for row in example], [row[3] for row in example], reserve,
            hours=[row[1] for row in example], caps=dict(checkpoints_sheet.CHECKPOINT_CAPS_EXAMPLE),
            lines_order=list(dict.fromkeys(names)),
        ).table()
    return PlannerResults(
        lines=lines,
        forecast=forecast.table() if forecast is not None else None,
        roi=forecast.roi("base", "net") if forecast is not None else None,
        lines_table=per_line,
        recommendations=None if findings is None else planner.findings_column(
            findings, planner.RECOMMENDATION_ROWS, "en"),
        recommendations_zh=None if findings is None else planner.findings_column(
            findings, planner.RECOMMENDATION_ROWS, "zh"),
        reserve=reserve,
        reallocation=reallocation,
    )


def places(workbook):
    """Defined name → (sheet, first row, first column, rows, columns)."""
    return named_places(workbook)


def address(place, r=0, c=0):
    sheet, row, column, _, _ = place
    return sheet, f"{get_column_letter(column + c)}{row + r}"


def block(value, place):
    """The cells of a named block as a list of rows, read with ``value(sheet, cell)``."""
    return [[value(*address(place, r, c)) for c in range(place[4])] for r in range(place[3])]


def assert_table(got, expected, name):
    """A table equals the core's rows; None means the sheet reads n/a in every cell."""
    if expected is None:
        assert all(cell == NOT_APPLICABLE for row in got for cell in row), (name, got[0])
        return
    assert (len(got), len(got[0])) == (len(expected), len(expected[0])), name
    for r, (got_row, expected_row) in enumerate(zip(got, expected)):
        for c, (a, b) in enumerate(zip(got_row, expected_row)):
            assert same_value(a, b, rel=1e-9), (name, r, c, a, b)


def expected_tables(results):
    return {
        planner_sheet.FORECAST_TABLE.name: results.forecast,
        planner_sheet.FORECAST_LINES_TABLE.name: results.lines_table,
        "recommendations_en": results.recommendations,
        "recommendations_zh": results.recommendations_zh,
        checkpoints_sheet.REALLOCATION_TABLE.name: results.reallocation,
    }


def history_calibration():
    columns = list(zip(*planner_sheet.HISTORY_EXAMPLE))
    spend, impressions, engagements, conversions, revenue, visits = columns[1:]
    return planner.calibrate(spend, impressions, engagements, conversions, revenue, visits)


def assert_sheets_match(results, value, names):
    """Every planner cell of a recalculated workbook equals ``results`` (a :class:`PlannerResults`)."""
    for name, expected in expected_tables(results).items():
        assert names[name][0] in SHEETS
        assert_table(block(value, names[name]), expected, name)
    for line in planner_sheet.PLANNER_LINES:
        assert same_value(value(*address(names[f"planner_amount_{line}"])), results.lines[line]), line
    assert same_value(value(*address(names["planner_budget"])), math.fsum(results.lines.values()))
    roi = value(*address(names["planner_roi"]))
    assert roi == NOT_APPLICABLE if results.roi is None else math.isclose(roi, results.roi, rel_tol=1e-9)
    for case, _chinese in planner_sheet.BAND_CASES:
        for metric, *_labels in planner_sheet.BAND_COLUMNS:
            got = value(*address(names[f"forecast_{metric}_{case}"]))
            if results.forecast is None:
                assert got == NOT_APPLICABLE
            else:
                row = next(row for row in results.forecast if row[0] == metric)
                assert same_value(got, row[planner.BAND_TABLE_HEADER.index(case)]), (metric, case)
    assert same_value(value(*address(names["reserve_to_reallocate"])), results.reserve)
    assert_table(block(value, names[planner_sheet.CALIBRATION_TABLE.name]), history_calibration().table(), "calibration")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("planner") / "template.xlsx"
    path.write_bytes(workbook_bytes(build_workbook()))
    return path


@pytest.fixture(scope="module")
def names(template):
    return places(load_workbook(template))


@pytest.fixture(scope="module")
def recalculator(template, names):
    typed = input_places(load_workbook(template))
    return Recalculator(template, inputs=[address(typed[f.key]) for f in FIELDS])


def campaign_inputs(names, campaign):
    """The campaign in the cells the analyst types (a platform-fed field's name is on the value in use)."""
    typed = {f.key: names.get(typed_name(f.key), names[f.key]) for f in FIELDS}
    return {address(typed[f.key]): getattr(campaign, f.key) for f in FIELDS}


# ------------------------------------------------------------------------------------------------- sheets


def test_the_sheets_follow_the_plan_they_forecast_and_precede_attribution():
    sheets = [sheet.name for sheet in REGISTRY]
    assert sheets.index("Allocation") + 1 == sheets.index("Planner") == sheets.index("Checkpoints") - 1
    assert sheets.index("Checkpoints") + 1 == sheets.index("Attribution")
    assert build_workbook().sheetnames == sheets


def test_the_examples_are_the_command_lines_example_files():
    with open(ROOT / "examples" / "checkpoints.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert checkpoints_sheet.CHECKPOINT_EXAMPLE == tuple((row["line"], float(row["hours"]), float(row["spend"]), float(row["revenue"]))
                                       for row in rows)
    with open(ROOT / "examples" / "history.csv", encoding="utf-8") as handle:
        history = list(csv.DictReader(handle))
    assert [row[1:] for row in planner_sheet.HISTORY_EXAMPLE] == [
        tuple(float(row[key]) for key in ("spend", "impressions", "engagements", "conversions", "revenue", "visits"))
        for row in history]
    assert [row[0] for row in planner_sheet.HISTORY_EXAMPLE] == [f"{row['campaign']} {row['month']}" for row in history]


def test_each_planner_line_reads_its_row_of_the_allocation_plan():
    plan = EXAMPLES[1].results().allocation
    for line, row in planner_sheet.PLANNER_PLAN_ROWS.items():
        assert planner.normalize_line(plan[row - 1][0]) == line
    assert set(planner_sheet.PLANNER_PLAN_ROWS) == set(planner.LINES)


def test_tables_are_fixed_size_array_formulas_over_the_plan_and_the_inputs(template, names):
    workbook = load_workbook(template)
    specs = (planner_sheet.FORECAST_TABLE, planner_sheet.FORECAST_LINES_TABLE, *planner_sheet.RECOMMENDATION_TABLES,
             planner_sheet.CALIBRATION_TABLE, planner_sheet.BACKTEST_TABLE, checkpoints_sheet.REALLOCATION_TABLE)
    for spec in specs:
        sheet, row, column, rows, columns = names[spec.name]
        assert (rows, columns) == (spec.rows, spec.columns)
        anchor = workbook[sheet].cell(row, column).value
        assert isinstance(anchor, ArrayFormula)
        assert anchor.ref == f"{get_column_letter(column)}{row}:{get_column_letter(column + columns - 1)}{row + rows - 1}"
    formula = lambda spec: workbook[names[spec.name][0]].cell(*names[spec.name][1:3]).value.text  # noqa: E731
    guard = "IF(((((1-refund_rate)*gross_margin)-commission_rate)>0),"
    assert formula(planner_sheet.FORECAST_TABLE) == (
        f"={guard}IF((planner_spillover<=0.95),XHS_FORECAST(planner_lines,brand_stage,planner_benchmarks,"
        'gross_margin,commission_rate,refund_rate,planner_spillover,planner_level_used),"n/a"),"n/a")')
    assert formula(planner_sheet.FORECAST_LINES_TABLE) == (
        '=IF((planner_spillover<=0.95),XHS_FORECAST_LINES(planner_lines,brand_stage,"base",planner_benchmarks,'
        'planner_spillover,planner_level_used),"n/a")')
    # The Inputs sheet's switch: the pasted platform data's tables, else the typed blocks.
    switch = 'IF(OR((input_source="platform data"),(input_source="平台数据")),'
    assert formula(planner_sheet.BACKTEST_TABLE).startswith(f"={switch}IF((COUNTA(platform_export)>0),")
    assert formula(planner_sheet.BACKTEST_TABLE).endswith(
        '"n/a"),IF((COUNTA(planner_history)>0),IF((COUNTA(planner_history_spend)>=4),'
        'XHS_BACKTEST(planner_history_table,planner_level_used),"n/a"),"n/a"))')
    assert "XHS_BACKTEST(platform_history,planner_level_used)" in formula(planner_sheet.BACKTEST_TABLE)
    assert '"zh"' in formula(RECOMMENDATIONS["recommendations_zh"])
    assert formula(checkpoints_sheet.REALLOCATION_TABLE) == (
        f'={switch}IF((COUNTA(platform_export)>0),IF((reserve_to_reallocate>0),'
        'XHS_REALLOCATE(platform_checkpoints,reserve_to_reallocate,reallocation_caps,"","",6),"n/a"),"n/a"),'
        'IF((COUNTA(checkpoints)>0),IF((reserve_to_reallocate>0),'
        'XHS_REALLOCATE(checkpoints,reserve_to_reallocate,reallocation_caps,"","",6),"n/a"),"n/a"))')
    assert names[checkpoints_sheet.REALLOCATION_TABLE.name][3] == 2 + len(set(row[0] for row in checkpoints_sheet.CHECKPOINT_EXAMPLE))
    notes = " ".join(str(c.value) for c in workbook["Checkpoints"]["A"][:8] if c.value)
    assert f"{len(checkpoints_sheet.CHECKPOINT_LINES)} lines" in notes and "resize it" in notes
    # The lines are the plan's: a plan cell reads the allocation table's amount of its line.
    ws = workbook["Planner"]
    plan = names["allocation_table"]
    for line, row in planner_sheet.PLANNER_PLAN_ROWS.items():
        target = address(plan, row - 1, allocation_sheet.AMOUNT_COLUMN - 1)
        assert ws[address(names[f"planner_plan_{line}"])[1]].value == f"='{target[0]}'!${target[1][0]}${target[1][1:]}"
        assert ws[address(names[f"planner_amount_{line}"])[1]].value == (
            f'=IF((planner_override_{line}=""),planner_plan_{line},planner_override_{line})')


def test_input_cells_are_yellow_unlocked_and_outside_the_schema(template, names):
    workbook = load_workbook(template)
    field_keys = {f.key for f in FIELDS}
    blocks = ["planner_history", "planner_history_campaigns", "planner_benchmarks", "checkpoints",
              "reallocation_caps", "reserve_override", *(f"planner_override_{line}" for line in planner.LINES)]
    for name in blocks:
        assert name not in field_keys
        sheet, row, column, rows, columns = names[name]
        assert sheet in SHEETS
        for r in range(rows):
            for c in range(columns):
                cell = workbook[sheet].cell(row + r, column + c)
                assert cell.fill.fgColor.rgb.endswith("FFF2CC") and cell.protection.locked is False, (name, r, c)
    for name in ("reserve_override", *(f"planner_override_{line}" for line in planner.LINES)):
        assert workbook[names[name][0]][address(names[name])[1]].value is None  # blank: follow the plan
    benchmarks = block(lambda sheet, cell: workbook[sheet][cell].value, names["planner_benchmarks"])
    assert benchmarks[0] == list(planner.BENCHMARK_TABLE_HEADER)
    assert all(cell is None for row in benchmarks[1:] for cell in row)  # the case-study defaults
    checkpoints = block(lambda sheet, cell: workbook[sheet][cell].value, names["checkpoints"])
    assert [tuple(row) for row in checkpoints[:len(checkpoints_sheet.CHECKPOINT_EXAMPLE)]] == list(checkpoints_sheet.CHECKPOINT_EXAMPLE)
    assert all(cell is None for row in checkpoints[len(checkpoints_sheet.CHECKPOINT_EXAMPLE):] for cell in row)  # room for more
    for sheet in SHEETS:
        assert workbook[sheet].protection.sheet is True


def test_the_charts_show_the_band_and_the_reallocated_amounts(template, names):
    workbook = load_workbook(template)

    def column_ref(name, column, first, last):
        sheet, row, first_column, _, _ = names[name]
        letter = get_column_letter(first_column + column - 1)
        return f"'{sheet}'!${letter}${row + first - 1}:${letter}${row + last - 1}"

    for spec in (planner_sheet.PLANNER_CHART, checkpoints_sheet.REALLOCATION_CHART):
        [chart] = workbook[spec.sheet]._charts
        assert chart_title_text(chart) == spec.title
        assert [s.val.numRef.f for s in chart.series] == [column_ref(*s[1:]) for s in spec.series]
        categories = chart.series[0].cat
        assert (categories.strRef or categories.numRef).f == column_ref(*spec.categories)
    cases = len(planner_sheet.BAND_CASES)
    assert [s.val.numRef.f for s in workbook["Planner"]._charts[0].series] == [
        column_ref("forecast_band", 2, 2, 1 + cases), column_ref("forecast_band", 3, 2, 1 + cases)]
    assert [metric for metric, *_ in planner_sheet.BAND_COLUMNS[:2]] == ["revenue", "profit"]
    amount = planner.REALLOCATION_TABLE_HEADER.index("amount") + 1
    lines = len(checkpoints_sheet.CHECKPOINT_LINES)
    assert workbook["Checkpoints"]._charts[0].series[0].val.numRef.f == column_ref("reallocation_table", amount, 2,
                                                                                  1 + lines)


# -------------------------------------------------------------------------------------------- the numbers


@pytest.mark.parametrize("index", [0, 1])
def test_case_studies_recalculate_to_the_core_with_no_error_cell_anywhere(tmp_path, index):
    campaign = EXAMPLES[index]
    path = tmp_path / "case.xlsx"
    path.write_bytes(workbook_bytes(build_workbook(campaign, example=True)))
    result = recalculate(path)
    assert result.errors == []
    results = planner_results(campaign)
    assert_sheets_match(results, result.value, places(load_workbook(path)))
    assert results.forecast is not None and results.reallocation is not None
    assert static_mismatches(campaign, result, sheet_values=worked_examples()) == []
    static = build_workbook(campaign, static=True, example=True)
    for sheet in SHEETS:
        for row in static[sheet].iter_rows():
            for cell in row:
                text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                assert not (isinstance(text, str) and "XHS_" in text), (sheet, cell.coordinate)


def test_the_core_forecasts_the_plans_lines_and_reallocates_the_plans_reserve():
    campaign = EXAMPLES[1]
    results = planner_results(campaign)
    plan = {row[0]: row[4] for row in campaign.results().allocation[1:]}
    lines = results.lines
    assert lines["reserve"] == results.reserve == plan["reserve"]
    assert lines["mid"] == plan["creators_mid"] and math.isclose(sum(lines.values()), campaign.budget, rel_tol=1e-12)
    forecast = planner.forecast(lines, campaign.brand_stage, gross_margin=campaign.gross_margin,
                                refund_rate=campaign.refund_rate, commission_rate=campaign.commission_rate,
                                spillover=measured_spillover(campaign))
    assert results.forecast == forecast.table()
    reallocated = results.reallocation
    assert math.fsum(row[10] for row in reallocated[1:-1]) == plan["reserve"] == reallocated[-1][10]
    capped = dict(checkpoints_sheet.CHECKPOINT_CAPS_EXAMPLE)
    for row in reallocated[1:-1]:
        assert row[10] <= capped.get(row[0], math.inf)


def test_without_a_margin_on_sales_the_forecast_reads_n_a_and_nothing_errs(recalculator, names):
    campaign = EXAMPLES[0].model_copy(update={"gross_margin": 0.12, "commission_rate": 0.15})
    results = planner_results(campaign)
    assert results.forecast is None and results.roi is None and results.recommendations is None
    assert results.lines_table and results.reallocation  # the per-line funnel and the steering still compute
    result = recalculator.calculate(campaign_inputs(names, campaign))
    assert result.errors == []
    assert_sheets_match(results, result.value, names)
    assert static_mismatches(campaign, result, sheet_values=worked_examples()) == []


def test_without_a_reserve_the_reallocation_reads_n_a_and_nothing_errs(recalculator, names):
    campaign = EXAMPLES[1].model_copy(update={"reserve_share": 0.0})
    results = planner_results(campaign)
    assert results.reserve == 0 and results.reallocation is None and results.forecast is not None
    result = recalculator.calculate(campaign_inputs(names, campaign))
    assert result.errors == []
    assert_sheets_match(results, result.value, names)
    assert static_mismatches(campaign, result, sheet_values=worked_examples()) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(campaigns(max_cost=3e6))
def test_random_campaigns_recalculate_to_the_core(recalculator, names, campaign):
    result = recalculator.calculate(campaign_inputs(names, campaign))
    assert result.errors == []
    assert_sheets_match(planner_results(campaign), result.value, names)


# ------------------------------------------------------------------------------------- what analysts type


def test_an_amount_typed_over_the_plan_is_forecast_and_its_reserve_reallocated(recalculator, names):
    campaign = EXAMPLES[1]
    typed = {address(names["planner_override_top"]): 150_000.0, address(names["planner_override_reserve"]): 50_000.0}
    result = recalculator.calculate({**campaign_inputs(names, campaign), **typed})
    assert result.errors == []
    lines = dict(planner_results(campaign).lines, top=150_000.0, reserve=50_000.0)
    margins = dict(gross_margin=campaign.gross_margin, refund_rate=campaign.refund_rate,
                   commission_rate=campaign.commission_rate)
    forecast = planner.forecast(lines, campaign.brand_stage, **margins, spillover=measured_spillover(campaign))
    assert_table(block(result.value, names[planner_sheet.FORECAST_TABLE.name]), forecast.table(), "forecast")
    assert_table(block(result.value, names[planner_sheet.FORECAST_LINES_TABLE.name]), forecast.lines_table("base"), "lines")
    assert_table(block(result.value, names["recommendations_zh"]),
                 planner.findings_column(planner.recommend(forecast), planner.RECOMMENDATION_ROWS, "zh"), "zh")
    assert result.value(*address(names["planner_plan_top"])) == planner_results(campaign).lines["top"]
    reallocated = block(result.value, names[checkpoints_sheet.REALLOCATION_TABLE.name])
    assert reallocated[-1][10] == 50_000.0 == math.fsum(row[10] for row in reallocated[1:-1])

    # A reserve typed on the Checkpoints sheet (what is left mid-campaign) overrides the Planner's.
    typed[address(names["reserve_override"])] = 30_000.0
    result = recalculator.calculate({**campaign_inputs(names, campaign), **typed})
    assert block(result.value, names[checkpoints_sheet.REALLOCATION_TABLE.name])[-1][10] == 30_000.0
    assert_table(block(result.value, names[planner_sheet.FORECAST_TABLE.name]), forecast.table(), "forecast")


def test_a_pasted_calibration_becomes_the_forecasts_benchmarks(recalculator, names):
    campaign = EXAMPLES[0]
    calibration = history_calibration().table()
    sheet, row, column, rows, columns = names["planner_benchmarks"]
    assert (rows, columns) == (len(calibration), len(calibration[0]))
    pasted = {address(names["planner_benchmarks"], r, c): calibration[r][c]
              for r in range(rows) for c in range(columns)}
    result = recalculator.calculate({**campaign_inputs(names, campaign), **pasted})
    assert result.errors == []
    benchmarks = planner.benchmarks_from_table(calibration)
    lines = planner_results(campaign).lines
    forecast = planner.forecast(lines, campaign.brand_stage, benchmarks, gross_margin=campaign.gross_margin,
                                refund_rate=campaign.refund_rate, commission_rate=campaign.commission_rate,
                                spillover=measured_spillover(campaign))
    assert_table(block(result.value, names[planner_sheet.FORECAST_TABLE.name]), forecast.table(), "forecast")
    assert_table(block(result.value, names[planner_sheet.FORECAST_LINES_TABLE.name]), forecast.lines_table("base"), "lines")
    default = planner_results(campaign).forecast
    assert result.value(*address(names["forecast_revenue_base"])) != next(r for r in default if r[0] == "revenue")[4]

    # One benchmark typed under the header changes that benchmark only.
    typed = {address(names["planner_benchmarks"], 1, c): value for c, value in enumerate(["aov", 300, 320, 340])}
    result = recalculator.calculate({**campaign_inputs(names, campaign), **typed})
    benchmarks = planner.benchmarks_from_table([["benchmark", "low", "base", "high"], ["aov", 300, 320, 340]])
    forecast = planner.forecast(lines, campaign.brand_stage, benchmarks, gross_margin=campaign.gross_margin,
                                refund_rate=campaign.refund_rate, commission_rate=campaign.commission_rate,
                                spillover=measured_spillover(campaign))
    assert_table(block(result.value, names[planner_sheet.FORECAST_TABLE.name]), forecast.table(), "forecast")


def test_an_analysts_own_checkpoints_and_caps_are_reallocated_as_the_core_does(recalculator, names):
    own = [("KOL Lily", 24, 8_000, 30_000), ("KOL Lily", 72, 20_000, 61_000), ("KOC pool", 72, 12_000, 50_000),
           ("search ads", "24h", 5_000, 9_000), ("search ads", "7d", 30_000, 52_000), ("feed ads", 72, 9_000, 12_000),
           ("KOL Mia", 24, None, None)]  # a checkpoint not reached yet: the line is listed, gets nothing
    caps = [("KOC pool", 10_000)]
    sheet, row, column, rows, columns = names["checkpoints"]
    typed = {address(names["checkpoints"], r, c): (own[r][c] if r < len(own) else None)
             for r in range(rows) for c in range(columns)}
    typed.update({address(names["reallocation_caps"], r, c): (caps[r][c] if r < len(caps) else None)
                  for r in range(names["reallocation_caps"][3]) for c in range(2)})
    campaign = EXAMPLES[0]
    result = recalculator.calculate({**campaign_inputs(names, campaign), **typed})
    assert result.errors == []
    reserve = planner_results(campaign).reserve
    hours = {"24h": 24.0, "7d": 168.0}
    used = [r for r in own if r[2] is not None]
    expected = planner.reallocate(
        [r[0] for r in used], [r[2] for r in used], [r[3] for r in used], reserve,
        hours=[hours.get(r[1], r[1]) for r in used], caps=dict(caps), lines_order=list(dict.fromkeys(r[0] for r in own)),
    ).table()
    assert len(expected) == names[checkpoints_sheet.REALLOCATION_TABLE.name][3]  # five lines fill the example's table
    assert_table(block(result.value, names[checkpoints_sheet.REALLOCATION_TABLE.name]), expected, "reallocation")


def test_the_planner_assumes_the_campaigns_measured_off_platform_share_or_the_typed_one(recalculator, names):
    """Case study 2 sold 56 % off Xiaohongshu (article 000): the Planner forecasts its next budget with that share,
    not with the maturity stage's 40 % budget split; a share typed in the yellow cell replaces it."""
    campaign = EXAMPLES[1]
    result = recalculator.calculate(campaign_inputs(names, campaign))
    measured = result.value(*address(names["planner_spillover"]))
    assert measured == pytest.approx(measured_spillover(campaign), rel=1e-12)
    assert measured == pytest.approx(figures.CASE_STUDY_2.other_channel_revenue_share, abs=0.005)
    typed = {address(names["planner_spillover_override"]): 0.3}
    retyped = recalculator.calculate({**campaign_inputs(names, campaign), **typed})
    assert retyped.value(*address(names["planner_spillover"])) == 0.3
    lines = planner_results(campaign).lines
    forecast = planner.forecast(lines, campaign.brand_stage, gross_margin=campaign.gross_margin,
                                refund_rate=campaign.refund_rate, commission_rate=campaign.commission_rate,
                                spillover=0.3)
    assert_table(block(retyped.value, names[planner_sheet.FORECAST_TABLE.name]), forecast.table(), "forecast")
    no_cross = campaign.model_copy(update={"cross_platform_revenue": 0.0, "cross_platform_baseline": 0.0})
    assert recalculator.calculate(campaign_inputs(names, no_cross)).value(*address(names["planner_spillover"])) == 0


def history_backtest(level=planner.DEFAULT_LEVEL):
    columns = list(zip(*planner_sheet.HISTORY_EXAMPLE))
    spend, impressions, engagements, conversions, revenue, visits = columns[1:]
    return planner.backtest(spend, impressions, engagements, conversions, revenue, visits, campaigns=columns[0],
                            level=level)


def test_the_backtest_table_is_the_cores_leave_one_out_on_the_typed_history_padded_below(recalculator, names):
    campaign = EXAMPLES[0]
    result = recalculator.calculate(campaign_inputs(names, campaign))
    assert result.errors == []
    got = block(result.value, names[planner_sheet.BACKTEST_TABLE.name])
    expected = history_backtest().table()
    assert len(got) == planner_sheet.BACKTEST_TABLE.rows > len(expected)
    assert [row[0] for row in got[1:len(planner_sheet.HISTORY_EXAMPLE) + 1]] == [
        row[0] for row in planner_sheet.HISTORY_EXAMPLE]  # the campaigns' names, as typed
    assert_table(got[:len(expected)], expected, "backtest")
    assert all(cell in (None, "#N/A") for row in got[len(expected):] for cell in row)


def test_with_no_past_campaigns_the_calibration_and_the_backtest_read_n_a(recalculator, names):
    cleared = {address(names[block_.name], r, c): None for block_ in planner_sheet.HISTORY_BLOCKS
               for r in range(block_.rows) for c in range(block_.columns)}
    result = recalculator.calculate({**campaign_inputs(names, EXAMPLES[0]), **cleared})
    assert result.errors == []
    for spec in (planner_sheet.CALIBRATION_TABLE, planner_sheet.BACKTEST_TABLE):
        assert_table(block(result.value, names[spec.name]), None, spec.name)
    assert result.value(*address(names[planner_sheet.CALIBRATION_STATUS.name])) == DATA_NEEDED


def test_a_history_too_short_to_leave_one_out_reads_n_a_in_the_backtest_not_an_error(recalculator, names):
    kept = planner_sheet.BACKTEST_MIN_CAMPAIGNS - 1
    cleared = {address(names[block_.name], r, c): None for block_ in planner_sheet.HISTORY_BLOCKS
               for r in range(kept, block_.rows) for c in range(block_.columns)}
    result = recalculator.calculate({**campaign_inputs(names, EXAMPLES[0]), **cleared})
    assert result.errors == []
    assert_table(block(result.value, names[planner_sheet.BACKTEST_TABLE.name]), None, "backtest")
    columns = list(zip(*planner_sheet.HISTORY_EXAMPLE[:kept]))
    assert_table(block(result.value, names[planner_sheet.CALIBRATION_TABLE.name]),
                 planner.calibrate(*columns[1:]).table(), "calibration")


def test_a_typed_interval_level_widens_the_band_and_names_itself(recalculator, names, template):
    campaign = EXAMPLES[0]
    lines = planner_results(campaign).lines
    margins = dict(gross_margin=campaign.gross_margin, refund_rate=campaign.refund_rate,
                   commission_rate=campaign.commission_rate)
    default = recalculator.calculate(campaign_inputs(names, campaign))
    assert default.value(*address(names["planner_level_used"])) == planner.DEFAULT_LEVEL
    typed = recalculator.calculate({**campaign_inputs(names, campaign), address(names["planner_level"]): 0.95})
    assert typed.errors == []
    assert typed.value(*address(names["planner_level_used"])) == 0.95
    forecast = planner.forecast(lines, campaign.brand_stage, **margins, spillover=measured_spillover(campaign),
                                level=0.95)
    assert_table(block(typed.value, names[planner_sheet.FORECAST_TABLE.name]), forecast.table(), "forecast")
    low, high = (typed.value(*address(names[f"forecast_revenue_{case}"])) for case in ("low", "high"))
    default_low, default_high = (default.value(*address(names[f"forecast_revenue_{case}"])) for case in ("low", "high"))
    assert low < default_low and high > default_high
    assert_table(block(typed.value, names[planner_sheet.BACKTEST_TABLE.name])[:len(planner_sheet.HISTORY_EXAMPLE) + 4],
                 history_backtest(0.95).table(), "backtest")
    # The band block's low and high rows say which interval they are.
    sheet, row, column, _rows, _columns = names["forecast_band"]
    labels_shown = [typed.value(sheet, f"A{row + offset}") for offset in (1, 3)]
    assert labels_shown == ["Low (95 % interval) · 低", "High (95 % interval) · 高"]
    assert [default.value(sheet, f"A{row + offset}") for offset in (1, 3)] == [
        "Low (80 % interval) · 低", "High (80 % interval) · 高"]


def test_the_planner_shows_the_campaign_that_happened_beside_its_projection(recalculator, names):
    """The Results sheet's ROI stands beside the Planner's projection, so the two are never read as one figure."""
    for campaign in EXAMPLES:
        result = recalculator.calculate(campaign_inputs(names, campaign))
        shown = result.value(*address(names["planner_campaign_roi"]))
        assert shown == pytest.approx(campaign.results()["roi"], rel=1e-12)

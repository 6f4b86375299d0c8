"""The template workbook: built from the schema, saved, reopened, recalculated headlessly, equal to the core.

The live workbook's formulas are evaluated by the ``formulas`` engine with the XHS_ functions registered —
an engine independent of the builder's own Python evaluation, which writes the static workbook. Both must
equal :meth:`ClientCampaign.results` for the case studies and for random valid campaigns.
"""

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from xhsxl.core import figures
from xhsxl.schema import FIELDS, OUTPUTS, ClientCampaign
from xhsxl.workbook.sheets import dashboard as dashboard_sheet
from xhsxl.workbook.sheets import results as results_sheet
from xhsxl.workbook.sheets import SHEETS
from xhsxl.schema import SPANS
from xhsxl.workbook.formula import NOT_APPLICABLE
from xhsxl.workbook.read import input_places, named_places, read_inputs
from xhsxl.workbook.sheets.inputs import typed_name
from xhsxl.workbook.recalc import Recalculator, recalculate
from xhsxl.workbook.static import same_value, static_mismatches
from xhsxl.workbook.template import build_workbook, workbook_bytes
from xhsxl.workbook.sheets.kit import FRACTIONAL_COUNT, chart_title_text

from field_strategies import campaigns

ROOT = Path(__file__).parent.parent
EXAMPLES = [ClientCampaign.model_validate(item)
            for item in json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))]
TABLES = {"breakdown_table": "breakdown", "allocation_table": "allocation", "stage_table": "stage",
          "optimal_table": "optimal"}


def save(campaign, path, static=False):
    path.write_bytes(workbook_bytes(build_workbook(campaign, static)))
    return path


def named_cells(workbook):
    """Defined name → (sheet, first row, first column, rows, columns)."""
    return named_places(workbook)


def cell(place, r=0, c=0):
    from openpyxl.utils import get_column_letter

    sheet, row, column, _, _ = place
    return sheet, f"{get_column_letter(column + c)}{row + r}"


def assert_matches_core(campaign, value, names):
    """Every result cell and every table cell of a recalculated workbook equals the core's."""
    results = campaign.results()
    for output in OUTPUTS:
        got = value(*cell(names[output.key]))
        expected = results[output.key]
        if expected is None:
            assert got == NOT_APPLICABLE, output.key
        else:
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (output.key, got, expected)
    for table, attribute in TABLES.items():
        rows = getattr(results, attribute)
        place = names[table]
        assert len(rows) == place[3] and len(rows[0]) == place[4], table
        for r, row in enumerate(rows):
            for c, expected in enumerate(row):
                got = value(*cell(place, r, c))
                assert same_value(got, expected), (table, r, c, got, expected)


@pytest.fixture(scope="module")
def template_path(tmp_path_factory):
    return save(None, tmp_path_factory.mktemp("template") / "template.xlsx")


@pytest.fixture(scope="module")
def recalculator(template_path, template_names):
    # Naming the input cells lets the engine compile a faster path from them to every formula.
    typed = input_places(load_workbook(template_path))
    return Recalculator(template_path, inputs=[cell(typed[f.key]) for f in FIELDS])


@pytest.mark.parametrize("index", [0, 1])
def test_case_study_workbook_recalculates_to_the_core_without_errors(tmp_path, index):
    campaign = EXAMPLES[index]
    path = save(campaign, tmp_path / "case.xlsx")
    workbook = load_workbook(path)  # reopened as a client's Excel would
    names = named_cells(workbook)
    result = recalculate(path)
    assert result.errors == []
    assert_matches_core(campaign, result.value, names)
    assert round(result.value(*cell(names["roi"])) * 100) == (273, 624)[index]
    assert static_mismatches(campaign, result) == []


@pytest.fixture(scope="module")
def template_names(template_path):
    return named_cells(load_workbook(template_path))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(campaigns())
def test_template_recalculated_for_random_campaigns_equals_the_core(recalculator, template_names, campaign):
    names = template_names
    typed = {f.key: names.get(typed_name(f.key), names[f.key]) for f in FIELDS}  # where the analyst types
    inputs = {cell(typed[f.key]): getattr(campaign, f.key) for f in FIELDS}
    result = recalculator.calculate(inputs)
    assert result.errors == []
    assert_matches_core(campaign, result.value, names)


def test_every_input_cell_has_a_name_a_validation_a_comment_and_is_unlocked():
    workbook = build_workbook()
    names = input_places(workbook)
    ws = workbook["Inputs"]
    validated = {c for dv in ws.data_validations.dataValidation for rng in dv.sqref.ranges for c in [rng.coord]}
    for field in FIELDS:
        sheet, coordinate = cell(names[field.key])
        assert sheet == "Inputs"
        target = ws[coordinate]
        assert coordinate in validated, field.key
        assert target.comment is not None and field.label_zh in target.comment.text
        assert target.protection.locked is False
        assert target.fill.fgColor.rgb.endswith("FFF2CC")
        # A count that may be fractional (0.5 orders a month) keeps its decimals on the sheet.
        fractional = field.unit == "count" and not field.integer
        assert target.number_format == (FRACTIONAL_COUNT if fractional else field.number_format)
    assert ws.protection.sheet is True
    # A platform-fed field's own name is on the value in use: a locked formula over its typed cell.
    value = ws[cell(named_cells(workbook)["paid_ads"])[1]]
    assert value.data_type == "f" and "typed_paid_ads" in value.value and value.protection.locked is not False


def test_every_computed_cell_is_locked_and_formatted():
    workbook = build_workbook()
    names = named_cells(workbook)
    for item in results_sheet.RESULT_CELLS:
        target = workbook["Results"][cell(names[item.name])[1]]
        assert target.protection.locked is not False
        assert target.number_format not in ("", "General"), item.name


def test_static_workbook_has_no_xhs_formula_and_equals_the_live_one(tmp_path):
    campaign = EXAMPLES[1]
    static = load_workbook(save(campaign, tmp_path / "static.xlsx", static=True))
    for ws in static.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = c.value.text if isinstance(c.value, ArrayFormula) else c.value
                assert not (isinstance(text, str) and text.startswith("=") and "XHS_" in text), (ws.title, c.coordinate)
    live = save(campaign, tmp_path / "live.xlsx")
    assert static_mismatches(campaign, recalculate(live)) == []
    assert len(static["Dashboard"]._charts) == len(load_workbook(live)["Dashboard"]._charts) == len(dashboard_sheet.CHARTS)


def test_charts_reference_the_right_ranges():
    workbook = build_workbook()
    names = named_cells(workbook)
    charts = {chart_title_text(chart): chart for chart in workbook["Dashboard"]._charts}
    assert len(charts) == len(dashboard_sheet.CHARTS)

    def ref(source, column, first, last):
        sheet, row, col, _, _ = names[source]
        from openpyxl.utils import get_column_letter

        letter = get_column_letter(column if source in SPANS else col + column - 1)
        return f"'{sheet}'!${letter}${row + first - 1}:${letter}${row + last - 1}"

    for spec in dashboard_sheet.CHARTS:
        chart = charts[spec.title]
        assert [s.val.numRef.f for s in chart.series] == [ref(*s[1:]) for s in spec.series]
        categories = chart.series[0].cat
        formula = (categories.strRef or categories.numRef).f
        assert formula == ref(*spec.categories)
    # spot-check one against the layout a reader sees: the cost pie is over the seven cost inputs
    sheet, row, _, rows, _ = names["cost_lines"]
    assert charts[dashboard_sheet.CHARTS[0].title].series[0].val.numRef.f == f"'Inputs'!$C${row}:$C${row + rows - 1}"


def test_formula_like_client_text_comes_back_as_the_same_text(tmp_path):
    name = '=HYPERLINK("http://x","y")'
    campaign = EXAMPLES[0].model_copy(update={"client_name": name, "campaign_name": "+cmd|' /C calc'!A0"})
    path = save(campaign, tmp_path / "x.xlsx")
    workbook = load_workbook(path)
    target = workbook["Inputs"][cell(named_cells(workbook)["client_name"])[1]]
    assert target.value == name and target.data_type == "s"
    inputs = read_inputs(path)
    assert inputs.campaign.client_name == name
    assert inputs.campaign.campaign_name == "+cmd|' /C calc'!A0"


def test_fill_then_read_round_trips_exactly(tmp_path):
    for campaign in EXAMPLES:
        assert read_inputs(save(campaign, tmp_path / "r.xlsx")).campaign == campaign


def test_a_hand_edited_workbook_reads_back_with_each_bad_cell_named(tmp_path):
    path = save(EXAMPLES[0], tmp_path / "edited.xlsx")
    workbook = load_workbook(path)
    names = named_cells(workbook)
    ws = workbook["Inputs"]
    ws[cell(names["gross_margin"])[1]] = 60
    ws[cell(names["impressions"])[1]] = "lots"
    ws[cell(names["brand_stage"])[1]] = "teenage"
    workbook.save(path)
    inputs = read_inputs(path)
    assert inputs.campaign is None
    found = {p.key: p for p in inputs.problems}
    assert set(found) == {"gross_margin", "impressions", "brand_stage"}
    assert found["gross_margin"].cell == cell(names["gross_margin"])[1]
    assert "write 60% or 0.6" in str(found["gross_margin"])
    assert str(found["impressions"]).startswith(f"Inputs!{cell(names['impressions'])[1]} (Impressions)")


def test_same_inputs_give_byte_identical_files():
    assert workbook_bytes(build_workbook(EXAMPLES[1])) == workbook_bytes(build_workbook(EXAMPLES[1]))
    assert workbook_bytes(build_workbook(EXAMPLES[1], True)) == workbook_bytes(build_workbook(EXAMPLES[1], True))


def test_committed_template_is_what_the_builder_writes():
    committed = (ROOT / "workbooks" / "xhsxl_template.xlsx").read_bytes()
    assert committed == workbook_bytes(build_workbook()), "run `xhsxl template workbooks/xhsxl_template.xlsx --overwrite`"


def test_template_carries_the_xlwings_conf_sheet_and_the_addin_status_cell():
    workbook = build_workbook()
    conf = workbook["xlwings.conf"]
    assert (conf["A1"].value, conf["B1"].value) == ("UDF Modules", "xhsxl.udfs")
    assert "XHS_VERSION()" in workbook["Start"]["B7"].value
    assert workbook.sheetnames == [sheet.name for sheet in SHEETS]


def test_case_study_1_plan_matches_the_articles_ranges():
    results = EXAMPLES[0].results()
    header = results.allocation[0]
    rows = {row[0]: dict(zip(header, row)) for row in results.allocation[1:]}
    for tier in ("top", "mid", "micro"):
        assert figures.TIER_BUDGET_SHARE[tier].contains(rows[f"creators_{tier}"]["share_of_group"])
        assert rows[f"creators_{tier}"]["in_range"] is True


@pytest.mark.parametrize("static", [False, True])
@pytest.mark.parametrize("example", [False, True])
def test_factory_writes_the_same_bytes_as_a_fresh_build_for_every_client(static, example):
    from xhsxl.workbook.template import WorkbookFactory

    factory = WorkbookFactory(static, example)
    odd = EXAMPLES[0].model_copy(update={"client_name": '=HYPERLINK("http://x","y")', "planned_budget": 1e6,
                                         "clicks": 0, "starting_followers": 0, "brand_stage": "growth"})
    for campaign in (EXAMPLES[0], EXAMPLES[1], odd, EXAMPLES[0]):
        assert factory.workbook_bytes(campaign) == workbook_bytes(build_workbook(campaign, static, example=example))
    # every client-dependent sheet is re-serialised cell by cell, none falls back to a whole write
    assert factory._sheets and not any(sheet._whole for sheet in factory._sheets.values())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(campaigns(), min_size=2, max_size=3), st.booleans())
def test_factory_output_never_depends_on_the_clients_before(sequence, static):
    from xhsxl.workbook.template import WorkbookFactory

    factory = WorkbookFactory(static)
    for campaign in sequence:
        assert factory.workbook_bytes(campaign) == workbook_bytes(build_workbook(campaign, static))

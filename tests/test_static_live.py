"""A static copy stays right when a client edits it in plain Excel: checked with a second, real engine.

The static copy carries every closed-form result as a native formula over the named input cells. Here a
copy is written, its unlocked inputs are changed with openpyxl (whole random campaigns, and single edits such
as case study 2's KOL fees ¥320,000 -> ¥500,000), LibreOffice recalculates the files headlessly, and every
closed-form result read back must equal the core's for the new inputs. Without LibreOffice the engine test is
skipped (CI installs it); the Python evaluation of the same formulas is tested everywhere.
"""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from field_strategies import campaigns, field_values
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from xhsxl import udfs
from xhsxl.core.errors import XhsInputError
from xhsxl.schema import FIELDS, FIELDS_BY_KEY, OUTPUTS, SPANS, ClientCampaign
from xhsxl.workbook.formula import NATIVE, NATIVE_TABLES, NOT_APPLICABLE, CellError, Lit
from xhsxl.workbook.read import input_places, named_places, read_inputs
from xhsxl.workbook.sheets.inputs import write_input
from xhsxl.workbook.static import same_value
from xhsxl.workbook.template import _Builder, build_workbook, static_shown_values, workbook_bytes

from test_platforms import _pasted_workbook

ROOT = Path(__file__).parent.parent
EXAMPLES = [ClientCampaign.model_validate(item)
            for item in json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
#: The closed-form tables the core returns with a campaign's results, by the defined name of their range.
CORE_TABLES = {"breakdown_table": "breakdown", "stage_table": "stage", "allocation_table": "allocation"}
#: Fields whose single edits keep a campaign valid on their own (shares that must add up are edited together).
SINGLE_EDITS = [f for f in FIELDS if f.unit not in ("text",) and f.key not in SPANS["tier_shares"]
                and f.key not in SPANS["line_shares"]]


def expected_cells(campaign: ClientCampaign, places: dict) -> dict[tuple[str, int, int], object]:
    """(sheet, row, column) -> the core's value of every closed-form result of ``campaign``."""
    results = campaign.results()
    cells = {}
    for output in OUTPUTS:
        sheet, row, column, *_ = places[output.key]
        value = results.values[output.key]
        cells[(sheet, row, column)] = NOT_APPLICABLE if value is None else value
    for name, attribute in CORE_TABLES.items():
        sheet, row, column, height, width = places[name]
        table = getattr(results, attribute)
        for r in range(height):
            for c in range(width):
                value = table[r][c] if r < len(table) and c < len(table[r]) else None
                cells[(sheet, row + r, column + c)] = value
    return cells


def agrees(got: object, expected: object) -> bool:
    if isinstance(expected, bool):  # a flag may come back as TRUE or as 1
        return got == expected
    return same_value(got, expected, rel=1e-9)


def differences(workbook, campaign: ClientCampaign) -> list[str]:
    places = named_places(workbook)
    problems = []
    for (sheet, row, column), expected in expected_cells(campaign, places).items():
        got = workbook[sheet].cell(row, column).value
        if not agrees(got, expected):
            problems.append(f"{sheet}!{workbook[sheet].cell(row, column).coordinate}: {got!r}, core {expected!r}")
    return problems


def test_every_closed_form_result_of_the_static_copy_is_a_native_formula():
    builder = _Builder(EXAMPLES[1], True)
    workbook = builder.build()
    places = named_places(workbook)
    for output in OUTPUTS:
        sheet, row, column, *_ = places[output.key]
        formula = workbook[sheet].cell(row, column).value
        assert isinstance(formula, str) and formula.startswith("=") and "XHS_" not in formula, output.key
    for name in CORE_TABLES:
        assert builder.native_tables[name] is not None, name
    assert {"XHS_ROI", "XHS_CLV_RETENTION", "XHS_BLENDED_ROI"} <= set(NATIVE)
    assert {"XHS_BLENDED_BREAKDOWN", "XHS_STAGE_SPLIT", "XHS_TIER_ALLOCATION"} <= set(NATIVE_TABLES)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.generate))
@given(campaigns())
def test_the_native_formulas_compute_what_the_core_computes(campaign):
    shown = static_shown_values(campaign)
    workbook = build_workbook(campaign, static=True)
    places = named_places(workbook)
    for (sheet, row, column), expected in expected_cells(campaign, places).items():
        got = shown[(sheet, workbook[sheet].cell(row, column).coordinate)]
        assert agrees(got, expected), (sheet, row, column, got, expected)


class NoNames:
    """Where a tree of literals looks names up: nowhere."""

    def value(self, name):
        raise KeyError(name)

    span = table = value


#: Scalar renderings and how many of their leading arguments a test passes as numbers (the rest are ranges,
#: or text options, tested through the workbook).
SCALAR_ARITY = {name: len(inspect.signature(build).parameters) for name, build in NATIVE.items()}
SCALAR_ARITY.update({"XHS_BLENDED_RETURN": 6, "XHS_BLENDED_ROI": 7, "XHS_CLV_RETENTION": 4, "XHS_ROI": 2,
                     "XHS_ENGAGEMENTS": 5, "XHS_CPE": 6})
SCALAR_ARITY.pop("XHS_ENGAGEMENT_VALUE")
numbers = st.sampled_from([-1.0, 0.0, 0.25, 1.0, 3.0, 12.0]) | st.floats(0, 1e6) | st.floats(0, 1)


@pytest.mark.parametrize("function", sorted(SCALAR_ARITY))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_each_native_rendering_computes_what_its_udf_returns_or_refuses_what_it_refuses(function, data):
    arity = SCALAR_ARITY[function]
    values = data.draw(st.lists(numbers, min_size=arity, max_size=arity))
    rendering = NATIVE[function](*(Lit(v) for v in values))
    native_value = rendering.evaluate(NoNames())
    try:
        expected = getattr(udfs, function)(*values)
    except XhsInputError:
        assert isinstance(native_value, CellError), (values, native_value)
        return
    assert not isinstance(native_value, CellError), (values, native_value, expected)
    assert same_value(native_value, expected, rel=1e-9), (values, native_value, expected)
    assert "XHS_" not in rendering.excel(NoNames())


def test_inputs_feeding_only_frozen_values_are_locked_and_the_sheet_says_so():
    workbook = build_workbook(EXAMPLES[1], static=True)
    places = {**named_places(workbook), **input_places(workbook)}
    sheet, row, column, *_ = places["attribution_paths"]
    path_cell = workbook[sheet].cell(row, column)
    assert path_cell.protection.locked and workbook[sheet].protection.sheet
    assert "recalc --static" in workbook[sheet]["A2"].value
    for key in ("creator_fees", "direct_revenue", "gross_margin", "share_top", "reserve_share"):
        sheet, row, column, *_ = places[key]
        assert not workbook[sheet].cell(row, column).protection.locked, key
    start = " ".join(str(c.value) for row in workbook["Start"].iter_rows() for c in row if c.value)
    assert "Fill the yellow cells" not in start


def edit(source: Path, target: Path, values: dict[str, object]) -> None:
    """Type new values into a copy's input cells, as a client would, and save it as ``target``."""
    workbook = load_workbook(source)
    places = input_places(workbook)
    for key, value in values.items():
        sheet, row, column, *_ = places[key]
        cell = workbook[sheet].cell(row, column)
        assert not cell.protection.locked, f"{key} is locked in the static copy"
        write_input(cell, FIELDS_BY_KEY[key], value)
    workbook.save(target)


def recalculate_in_libreoffice(files: list[Path], out: Path) -> list[Path]:
    """Every file recalculated and saved by LibreOffice, in one run of it."""
    profile = out / "profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(out / "recalculated"), *map(str, files)],
                   check=True, capture_output=True, timeout=240)
    return [out / "recalculated" / f.name for f in files]


single_edits = st.lists(st.sampled_from(SINGLE_EDITS).flatmap(lambda f: st.tuples(st.just(f.key), field_values(f))),
                        min_size=6, max_size=6)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; CI installs it to run this")
@settings(max_examples=1, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(campaigns(), min_size=6, max_size=6), single_edits)
def test_a_static_copy_edited_and_recalculated_by_libreoffice_equals_the_core(tmp_path_factory, drawn, edits):
    folder = tmp_path_factory.mktemp("static-live")
    copy = folder / "case_study_2.static.xlsx"
    copy.write_bytes(workbook_bytes(build_workbook(EXAMPLES[1], static=True)))
    base = EXAMPLES[1].model_dump()
    cases: list[tuple[Path, ClientCampaign]] = []

    def add(name: str, values: dict[str, object]) -> None:
        campaign = ClientCampaign.model_validate({**base, **values})
        target = folder / f"{name}.xlsx"
        edit(copy, target, values)
        cases.append((target, campaign))

    add("kol_fees_500000", {"creator_fees": 500_000.0})  # the edit: ¥860,000 total, ROI follows
    for index, (key, value) in enumerate(edits):
        try:
            ClientCampaign.model_validate({**base, key: value})
        except ValueError:
            continue  # an edit the schema refuses on its own (the costs all zero): not a client's campaign
        add(f"edit_{index}_{key}", {key: value})
    for index, campaign in enumerate(drawn):
        values = {f.key: getattr(campaign, f.key) for f in FIELDS if f.unit != "text"}
        add(f"campaign_{index}", values)
    # A copy of a workbook on pasted platform data: its Inputs' values in use are native formulas over the
    # switch, the mapped values and the typed cells. A typed platform-fed cell then changes nothing; another
    # input does.
    read = read_inputs(_pasted_workbook(folder, "platform data"))
    assert read.campaign is not None
    platform = folder / "platform.static.xlsx"
    platform.write_bytes(workbook_bytes(build_workbook(read.campaign, static=True, sheet_values=read.sheet_values)))
    for name, values, changed in (("platform_typed_fee_edited", {"paid_ads": 1.0}, {}),
                                  ("platform_margin_edited", {"gross_margin": 0.35}, {"gross_margin": 0.35})):
        target = folder / f"{name}.xlsx"
        edit(platform, target, values)
        cases.append((target, read.campaign.model_copy(update=changed)))

    recalculated = recalculate_in_libreoffice([path for path, _ in cases], folder)
    problems = []
    for path, (_, campaign) in zip(recalculated, cases):
        problems += [f"{path.stem}: {p}" for p in differences(load_workbook(path, data_only=True), campaign)]
    assert problems == []
    fees = load_workbook(recalculated[0], data_only=True)
    places = named_places(fees)
    sheet, row, column, *_ = places["total_cost"]
    assert fees[sheet].cell(row, column).value == 860_000

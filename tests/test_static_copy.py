"""`xhsxl recalc --static`: the client's static copy carries everything the analyst typed, not only the schema.

The yellow cells outside the schema — attribution paths, past campaigns, pasted benchmarks, checkpoints,
caps, budget overrides — are read back through their defined names and built into the static copy, which
must then equal the recalculated live workbook cell by cell.
"""

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from typer.testing import CliRunner

from xhsxl.cli import app
from xhsxl.schema import ClientCampaign
from xhsxl.workbook.fill import write_workbook
from xhsxl.workbook.read import named_places, read_inputs
from xhsxl.workbook.template import build_workbook, sheet_inputs, workbook_bytes

# The analyst's own data, as many channels and lines as the template's fixed-size tables hold.
PATHS = [("search > KOL review", 40, 12_000, 300), ("KOC note > search", 25, 6_000, 900),
         ("KOL review", 10, 2_500, 1_200), ("feed ad > KOC note > search", 12, 4_100, 500),
         ("live stream > store", 18, 5_400, 700), ("KOL review > live stream > store", 9, 3_000, 260)]
HISTORY = [("Spring", 150_000, 2_000_000, 27_000, 26_000, 1_300, 470_000),
           ("Summer", 260_000, 3_100_000, 40_000, 41_000, 1_900, 700_000),
           ("618", 420_000, 4_600_000, 60_000, 58_000, 2_600, 1_050_000)]
CHECKPOINTS = [("KOL Lily", 24, 8_000, 30_000), ("KOL Lily", 72, 20_000, 61_000), ("search ads", 72, 9_000, 12_000),
               ("KOC pool", 72, 12_000, 50_000), ("feed ads", 24, 3_000, 4_000), ("brand zone", 168, 10_000, 21_000)]


ROOT = Path(__file__).parent.parent
EXAMPLES = [ClientCampaign.model_validate(item)
            for item in json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], terminal_width=200)


def type_over(path, edits):
    """Open the workbook as an analyst would, type into named blocks ({name: rows}), save it."""
    workbook = load_workbook(path)
    places = named_places(workbook)
    for name, rows in edits.items():
        sheet, row, column, height, width = places[name]
        for r in range(height):
            for c in range(width):
                value = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
                workbook[sheet].cell(row + r, column + c).value = value
    workbook.save(path)


def analyst_edits():
    return {
        "attribution_paths": [[p[0]] for p in PATHS], "attribution_conversions": [[p[1]] for p in PATHS],
        "attribution_values": [[p[2]] for p in PATHS], "attribution_nulls": [[p[3]] for p in PATHS],
        "planner_history_campaigns": [[h[0]] for h in HISTORY], "planner_history": [list(h[1:]) for h in HISTORY],
        "planner_benchmarks": [["benchmark", "low", "base", "high"], ["aov", 300, 320, 340]],
        "planner_override_top": [[150_000]], "reserve_override": [[40_000]],
        "checkpoints": [list(c) for c in CHECKPOINTS], "reallocation_caps": [["search ads", 5_000]],
    }


def test_a_fresh_workbook_reads_back_the_worked_examples_outside_the_schema(tmp_path):
    path = write_workbook(EXAMPLES[0], tmp_path / "live.xlsx")
    inputs = read_inputs(path)
    assert inputs.sheet_problems == []
    assert set(inputs.sheet_values) == set(sheet_inputs())
    for static in (False, True):  # read back and built again, the examples give the very same file
        assert workbook_bytes(build_workbook(EXAMPLES[0], static, inputs.sheet_values)) == \
            workbook_bytes(build_workbook(EXAMPLES[0], static))


def test_the_static_copy_carries_every_table_the_analyst_typed_and_equals_live(tmp_path):
    live = write_workbook(EXAMPLES[1], tmp_path / "client.xlsx")
    type_over(live, analyst_edits())
    static = tmp_path / "client.static.xlsx"
    result = run("recalc", live, "--out", static)
    assert result.exit_code == 0, result.output
    assert "disagree" not in result.output and "warning" not in result.output

    copy = load_workbook(static)
    places = named_places(copy)
    sheet, row, column, *_ = places["attribution_paths"]
    assert [copy[sheet].cell(row + r, column).value for r in range(len(PATHS))] == [p[0] for p in PATHS]
    sheet, row, column, *_ = places["planner_override_top"]
    assert copy[sheet].cell(row, column).value == 150_000
    sheet, row, column, *_ = places["checkpoints"]
    assert copy[sheet].cell(row + 2, column).value == "search ads"
    # the typed tables changed the computed ones: they differ from the worked examples' static copy
    example = build_workbook(EXAMPLES[1], static=True)
    for table in ("attribution_markov", "calibration_table", "forecast_table", "reallocation_table"):
        sheet, row, column, height, width = places[table]
        ours = [[copy[sheet].cell(row + r, column + c).value for c in range(width)] for r in range(height)]
        theirs = [[example[sheet].cell(row + r, column + c).value for c in range(width)] for r in range(height)]
        assert ours != theirs, table


def test_a_block_that_grew_is_reported_and_the_copy_flagged(tmp_path):
    live = write_workbook(EXAMPLES[0], tmp_path / "client.xlsx")
    workbook = load_workbook(live)
    sheet, row, column, height, width = named_places(workbook)["reallocation_caps"]
    first, last = get_column_letter(column), get_column_letter(column + width - 1)
    ref = f"'{sheet}'!${first}${row}:${last}${row + height + 3}"
    workbook.defined_names["reallocation_caps"] = DefinedName("reallocation_caps", attr_text=ref)
    workbook.save(live)
    inputs = read_inputs(live)
    assert [p.key for p in inputs.sheet_problems] == ["reallocation_caps"]
    assert "grew" in str(inputs.sheet_problems[0])
    result = run("recalc", live, "--out", tmp_path / "copy.xlsx")
    assert "warning" in result.output and "reallocation_caps" in result.output
    read = run("read", live)
    assert read.exit_code == 0 and "warning" in read.output and "grew" in read.output


typed_values = (st.none() | st.floats(-1e9, 1e9, allow_nan=False) | st.integers(-10**6, 10**6) | st.booleans()
                | st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20)
                | st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(sorted(sheet_inputs())), typed_values, min_size=1, max_size=25))
def test_whatever_is_typed_in_a_yellow_cell_is_read_back_and_built_into_the_copy(tmp_path_factory, typed):
    path = write_workbook(EXAMPLES[0], tmp_path_factory.mktemp("typed") / "live.xlsx")
    workbook = load_workbook(path)
    places = named_places(workbook)
    for key, value in typed.items():
        block, r, c = sheet_inputs()[key]
        sheet, row, column, *_ = places[block]
        workbook[sheet].cell(row + r, column + c).value = value
    workbook.save(path)
    inputs = read_inputs(path)
    assert inputs.sheet_problems == []
    for key, value in typed.items():
        got = inputs.sheet_values[key]
        if isinstance(value, dt.datetime):  # as an Excel serial number; the file keeps about a millisecond
            assert got == pytest.approx(to_excel(value), abs=1e-8), key
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            # a float: openpyxl stores 16 significant digits (Excel shows 15)
            assert got == pytest.approx(value, rel=1e-15) and isinstance(got, float), key
        else:
            assert got == value and type(got) is type(value), key
    copy = build_workbook(EXAMPLES[0], static=True, sheet_values=inputs.sheet_values)
    for key, value in typed.items():
        block, r, c = sheet_inputs()[key]
        sheet, row, column, *_ = places[block]
        shown = copy[sheet].cell(row + r, column + c).value
        assert shown == inputs.sheet_values[key], key  # the copy shows what was typed


def test_fewer_channels_than_the_example_is_a_note_about_the_table_size_not_an_error(tmp_path):
    live = write_workbook(EXAMPLES[0], tmp_path / "client.xlsx")
    few = PATHS[:3]  # three channels where the tables have rows for six
    type_over(live, {"attribution_paths": [[p[0]] for p in few], "attribution_conversions": [[p[1]] for p in few],
                     "attribution_values": [[p[2]] for p in few], "attribution_nulls": [[p[3]] for p in few]})
    result = run("recalc", live, "--out", tmp_path / "copy.xlsx")
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "0 ending in an error" in output and "disagree" not in output
    assert "cells beyond the result of XHS_ATTRIBUTION show #N/A" in output and "Attribution!A" in output

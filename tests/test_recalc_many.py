"""Many workbooks of one layout through one compiled model: each result equals recalculating that file alone.

``recalculate_many`` (and ``Recalculator.calculate_workbook``) read a workbook's cells without loading it
through openpyxl and evaluate the model compiled for the first workbook of that layout. These tests pin
that the shortcut never changes an answer — values, errors and padding equal a fresh :func:`recalculate`
of the same file — for clients whose inputs differ, blanks filled and cleared, and a workbook of another
layout, which is compiled on its own.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xhsxl.schema import ClientCampaign
from xhsxl.workbook import recalc
from xhsxl.workbook.template import build_workbook

pytest.importorskip("formulas")


def _summary(result: recalc.Recalculation) -> tuple:
    errors = [(e.sheet, e.cell, e.formula, e.error, e.message) for e in result.errors]
    padding = [(e.sheet, e.cell, e.error) for e in result.padding]
    return result.values, errors, padding, result.formulas, result.arrays


@pytest.fixture(scope="module")
def client_workbooks(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("clients")
    campaigns = [
        ClientCampaign(client_name="Case 1", creator_fees=250_000, content_production=100_000, paid_ads=70_000,
                       tech_analytics=30_000, direct_revenue=1_680_000),
        ClientCampaign(client_name="Bigger", creator_fees=500_000, content_production=200_000, paid_ads=200_000,
                       direct_revenue=2_500_000, brand_stage="growth"),
        ClientCampaign(client_name="Loss", creator_fees=300_000, paid_ads=200_000, direct_revenue=120_000,
                       brand_stage="maturity"),
    ]
    paths = []
    for index, campaign in enumerate(campaigns):
        path = folder / f"client_{index}.xlsx"
        build_workbook(campaign).save(path)
        paths.append(path)
    return paths


def test_each_shared_result_equals_recalculating_that_file_alone(client_workbooks: list[Path]) -> None:
    shared = list(recalc.recalculate_many(client_workbooks))
    assert [name for name, _ in shared] == [str(path) for path in client_workbooks]
    for (name, result), path in zip(shared, client_workbooks):
        assert _summary(result) == _summary(recalc.recalculate(path)), name


def test_inputs_filled_or_cleared_after_compiling_are_taken_up(client_workbooks: list[Path], tmp_path: Path) -> None:
    # A blank yellow cell filled, a filled one cleared, text where a number was: same layout, other constants.
    recalculator = recalc.Recalculator(client_workbooks[0])
    book = openpyxl.load_workbook(client_workbooks[0])
    inputs = book["Inputs"]
    constants = [cell for row in inputs.iter_rows() for cell in row
                 if cell.data_type == "n" and isinstance(cell.value, (int, float))]
    blank = [cell for row in inputs.iter_rows(min_col=3, max_col=3) for cell in row if cell.value is None]
    constants[0].value = None
    constants[1].value = "not a number"
    if blank:
        blank[0].value = 12_345
    changed = tmp_path / "changed.xlsx"
    book.save(changed)
    assert recalculator.same_layout(changed)
    assert _summary(recalculator.calculate_workbook(changed)) == _summary(recalc.recalculate(changed))


def test_a_workbook_of_another_layout_is_compiled_on_its_own(client_workbooks: list[Path], tmp_path: Path) -> None:
    book = openpyxl.load_workbook(client_workbooks[1])
    book["Results"]["Z1"] = "=1+1"
    other = tmp_path / "other.xlsx"
    book.save(other)
    recalculator = recalc.Recalculator(client_workbooks[0])
    assert not recalculator.same_layout(other)
    with pytest.raises(ValueError, match="does not have the layout"):
        recalculator.calculate_workbook(other)
    results = dict(recalc.recalculate_many([client_workbooks[0], other, client_workbooks[1]]))
    assert results[str(other)].value("Results", "Z1") == 2.0
    assert _summary(results[str(other)]) == _summary(recalc.recalculate(other))
    assert _summary(results[str(client_workbooks[1])]) == _summary(recalc.recalculate(client_workbooks[1]))


def test_the_cell_reader_reads_what_openpyxl_reads(client_workbooks: list[Path]) -> None:
    book = openpyxl.load_workbook(client_workbooks[2])
    book._date_formats = set()  # the engine reads dates as serial numbers
    read = recalc._cells_of_file(client_workbooks[2])
    recalculator = recalc.Recalculator(client_workbooks[2])
    assert read.layout == recalculator._cells.layout
    assert read.constants == recalculator._constants


def test_cli_recalculates_several_workbooks_and_a_folder(client_workbooks: list[Path]) -> None:
    from typer.testing import CliRunner

    from xhsxl.cli import app

    runner = CliRunner()
    several = runner.invoke(app, ["recalc", *map(str, client_workbooks[:2])])
    assert several.exit_code == 0, several.output
    assert "2 workbooks recalculated, 0 with a cell ending in an error" in several.output
    folder = runner.invoke(app, ["recalc", str(client_workbooks[0].parent)])
    assert folder.exit_code == 0, folder.output
    assert f"{len(client_workbooks)} workbooks recalculated" in folder.output
    refused = runner.invoke(app, ["recalc", *map(str, client_workbooks[:2]), "--static"])
    assert refused.exit_code == 2 and "take one workbook" in refused.output

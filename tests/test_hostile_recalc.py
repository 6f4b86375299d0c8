"""Recalculation of an untrusted workbook reads only that workbook, within the caps every XLSX reader has."""

import io
import zipfile

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from xhsxl.cli import app
from xhsxl.excel.errors import InputFileError
from xhsxl.workbook.clients import MAX_COMPRESSION_RATIO
from xhsxl.workbook.recalc import Recalculator, recalculate

pytest.importorskip("formulas")


def cli(*args):
    return CliRunner().invoke(app, [*map(str, args)], terminal_width=200)


@pytest.fixture
def outside_reference(tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "work").mkdir()
    secret = Workbook()
    secret.active.title = "Sheet"
    secret.active["A1"] = 777777
    secret.active["A2"] = "TOP-SECRET"
    secret.save(tmp_path / "secret" / "secret.xlsx")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Main"
    sheet["A1"] = "='../secret/[secret.xlsx]Sheet'!$A$1"
    sheet["A2"] = "='../secret/[secret.xlsx]Sheet'!$A$2"
    sheet["B1"] = 2
    sheet["B2"] = "=B1*3"
    workbook.save(tmp_path / "work" / "w.xlsx")
    return tmp_path / "work" / "w.xlsx"


def test_a_reference_to_another_workbook_is_ref_with_a_note_and_its_cells_are_never_read(outside_reference):
    result = recalculate(outside_reference)
    assert result.value("Main", "A1") == "#REF!" and result.value("Main", "A2") == "#REF!"
    assert result.value("Main", "B2") == 6.0  # the workbook's own formulas still compute
    notes = {error.cell: error.message for error in result.errors}
    assert set(notes) == {"A1", "A2"}
    assert all("reads only the workbook it was given" in note for note in notes.values())
    assert 777777.0 not in result.values["Main"].values() and "TOP-SECRET" not in result.values["Main"].values()


def test_recalc_on_the_command_line_shows_no_other_workbooks_cells(outside_reference):
    result = cli("recalc", outside_reference)
    assert result.exit_code == 2, result.output
    assert "777777" not in result.output and "TOP-SECRET" not in result.output
    assert "Traceback" not in result.output and "Error in loading" not in result.output


def _bomb(path, size=8 * 1024 * 1024):
    """A valid workbook with one more member of zeros that expands far beyond the ratio cap."""
    buffer = io.BytesIO()
    Workbook().save(buffer)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", b"\0" * size)
    path.write_bytes(buffer.getvalue())
    return path


def test_recalc_refuses_a_zip_bomb_as_every_other_reader_does(tmp_path):
    path = _bomb(tmp_path / "bomb.xlsx")
    with pytest.raises(InputFileError, match=f"at most {MAX_COMPRESSION_RATIO}-fold"):
        Recalculator(path)
    result = cli("recalc", path)
    assert result.exit_code == 1 and "zip bomb" in result.output


def test_one_value_in_the_last_cell_of_a_sheet_adds_one_cell_to_the_recalculation(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Main"
    sheet["A1"] = 2
    sheet["B1"] = "=A1*3"
    sheet["XFD1048576"] = 1
    workbook.save(tmp_path / "far.xlsx")
    recalculator = Recalculator(tmp_path / "far.xlsx")
    result = recalculator.calculate()
    assert result.value("Main", "B1") == 6.0 and result.value("Main", "XFD1048576") == 1.0
    # the cells compiled are the ones the file holds, not the 17 billion positions of its used range
    assert len(recalculator._model.cells) < 20

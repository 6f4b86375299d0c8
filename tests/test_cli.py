"""The xhsxl command: each command runs, prints the core's numbers, and refuses bad input with status 2."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from xhsxl import catalogue
from xhsxl.cli import ExitCode, app

ROOT = Path(__file__).parent.parent
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], terminal_width=200)


def test_functions_lists_every_udf_with_its_signature():
    result = run("functions")
    assert result.exit_code == 0
    for function in catalogue.read_catalogue():
        assert function.name in result.output
    detail = run("functions", "roi")
    assert detail.exit_code == 0 and "XHS_ROI(revenue, cost, [basis])" in detail.output
    assert run("functions", "nope").exit_code == 2


def test_roi_prints_the_articles_273_percent():
    result = run("roi", "1,680,000", "¥450,000")
    assert result.exit_code == 0 and "273.3%" in result.output
    assert "1:7.24" in run("roi", 4_920_000, 680_000, "--basis", "ratio").output


def test_bad_input_exits_2_with_the_cores_message():
    result = run("roi", 100, 0)
    assert result.exit_code == 2
    assert "cost must be greater than 0 (got 0)" in result.output


def test_campaign_prints_full_results_for_both_case_studies():
    result = run("campaign", ROOT / "examples" / "case_studies.json")
    assert result.exit_code == 0, result.output
    assert "273.3%" in result.output and "623.5%" in result.output
    assert "Blended return breakdown" in result.output and "Spillover vs closed loop" in result.output


def test_campaign_reports_every_bad_field_and_exits_2(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"client_name": "A", "creator_fees": -1, "gross_margin": 60},
                                {"client_name": "B", "creator_fees": 1000}]), encoding="utf-8")
    result = run("campaign", path)
    assert result.exit_code == 2
    assert "creator_fees" in result.output and "write 60% or 0.6" in result.output
    assert "B" in result.output  # the good campaign still printed


def test_allocate_flags_shares_outside_the_articles_ranges():
    result = run("allocate", 450_000, "--stage", "成长期", "--reserve", "30%")
    assert result.exit_code == 0, result.output
    assert re.search(r"reserve\s+│\s+30\.0%.*outside", result.output)
    assert "closed_loop" in result.output


def test_optimise_tier_elasticity_and_clv_commands():
    result = run("optimise", 250_000, "--curve", "top:power:40:0.6", "--curve", "mid:power:60:0.686",
                 "--curve", "micro:hill:300000:80000")
    assert result.exit_code == 0, result.output
    assert "¥250,000" in result.output and "expected" in result.output
    assert re.search(r"top\s+│\s+power\s+│\s+¥50,000\s+│\s+20\.0%", result.output)  # held at its 20 % floor
    assert "mid" in run("tier", 50_000, 9_999).output
    assert "0.6860" in run("elasticity").output
    assert "¥2,400" in run("clv", "simple", 400, 0.5, "60%", 20).output
    retention = run("clv", "retention", 100, 0.5, 0.0)
    assert retention.exit_code == 0 and "¥100" in retention.output


def _command_paths():
    import typer.main

    group = typer.main.get_command(app)
    paths = []
    for name, command in group.commands.items():
        paths += [[name, sub] for sub in getattr(command, "commands", {})] or [[name]]
    return paths


@pytest.mark.parametrize("command", _command_paths(), ids=" ".join)
def test_every_command_has_complete_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output
    assert "Options" in result.output or "Arguments" in result.output


def test_the_console_script_and_python_m_run_the_same_app():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "xhsxl.cli", "roi", "1680000", "450000"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "273.3%" in result.stdout
    assert 'xhsxl = "xhsxl.cli:app"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_help_imports_none_of_the_heavy_modules():
    import subprocess
    import sys

    code = ("import sys; from typer.testing import CliRunner; from xhsxl.cli import app; "
            "CliRunner().invoke(app, ['--help']); "
            "print(sorted(m for m in ('numpy', 'scipy', 'pydantic', 'openpyxl', 'formulas', 'xhsxl.schema') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


# ------------------------------------------------------------------------------------------ hostile input

EXIT_CODES = {int(code) for code in ExitCode}
EXAMPLES = ROOT / "examples"
#: Text that breaks a careless terminal: rich markup, an ANSI escape, a formula, a line break.
HOSTILE_TEXT = ["[/]", "[bold]x[/bold]", "\x1b[31mred", "=cmd|' /C calc'!A0", "a\nb"]
#: What a file argument can be instead of a readable file of its kind.
BAD_INPUTS = ["missing", "folder", "unreadable", "markup path", "markup content", "garbage", "empty"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Good inputs the commands need beside the bad one, and a workbook to recalculate."""
    from xhsxl.workbook.fill import write_workbook
    from xhsxl.workbook.sheets.attribution import ATTRIBUTION_EXAMPLE

    folder = tmp_path_factory.mktemp("good")
    campaign = json.loads((EXAMPLES / "case_studies.json").read_text(encoding="utf-8"))[0]
    (folder / "good.json").write_text(json.dumps(campaign, ensure_ascii=False), encoding="utf-8")
    rows = ["path,conversions,value,nulls", *(",".join(map(str, row)) for row in ATTRIBUTION_EXAMPLE)]
    (folder / "paths.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    write_workbook(None, folder / "template.xlsx")
    return folder


def _bad_input(kind, folder, suffix, monkeypatch):
    """A path that is ``kind`` of bad, named ``*.suffix``."""
    if kind == "missing":
        return folder / f"missing{suffix}"
    if kind == "folder":
        (folder / f"folder{suffix}").mkdir()
        return folder / f"folder{suffix}"
    if kind == "markup path":
        return folder / "[" / "]" / f"[bold]x{suffix}"
    path = folder / f"{kind.replace(' ', '_')}{suffix}"
    if kind == "unreadable":
        path.write_bytes(b"{}" if suffix == ".json" else b"a,b\n1,2\n")
        _refuse_to_open(path, monkeypatch)
    elif kind == "markup content":
        if suffix == ".xlsx":
            import openpyxl

            workbook = openpyxl.Workbook()
            workbook.active.append(["[/]", "[bold]x[/bold]"])
            workbook.active.append(["[/]", 1])
            workbook.save(path)
        elif suffix == ".json":
            path.write_text(json.dumps({"client_name": "[/]", "creator_fees": "[/]", "[/]": 1}), encoding="utf-8")
        else:
            path.write_text("[/],[bold]x[/bold],path,line\n[/],[/],[/] > [b],[/]\n", encoding="utf-8")
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 4)
    elif kind == "empty":
        path.write_bytes(b"")
    return path


def _refuse_to_open(path, monkeypatch):
    """``path`` cannot be opened, as for a user without permission (chmod alone does not stop root)."""
    import builtins
    import errno
    import io

    original = io.open

    def guarded_open(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return original(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(builtins, "open", guarded_open)


def assert_clean_failure(result, allowed=EXIT_CODES - {0}):
    """No traceback, no markup error, a documented exit code, the error on one line of its own."""
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (result.exception, output)
    assert "Traceback" not in output and "MarkupError" not in output, output
    assert result.exit_code in allowed, (result.exit_code, output)
    assert result.exit_code != ExitCode.INTERNAL, output
    assert "\x1b" not in output, output  # a control character from the input is shown escaped, not sent


INPUT_COMMANDS = [
    ("campaign", ".json", ["{in}"]),
    ("fill", ".json", ["{in}", "--out", "{tmp}/out.xlsx"]),
    ("read", ".xlsx", ["{in}"]),
    ("recalc", ".xlsx", ["{in}"]),
    ("batch", ".csv", ["{in}", "--out", "{tmp}/out"]),
    ("attribute", ".csv", ["{in}"]),
    ("attribute --touchpoints", ".xlsx", ["{in}", "--touchpoints"]),
    ("forecast --lines", ".csv", ["forecast", "--lines", "{in}"]),
    ("forecast --history", ".csv", ["forecast", "450000", "--history", "{in}"]),
    ("calibrate", ".csv", ["{in}"]),
    ("reallocate", ".csv", ["{in}", "--reserve", "80000"]),
]


@pytest.mark.parametrize("kind", BAD_INPUTS)
@pytest.mark.parametrize("command, suffix, args", INPUT_COMMANDS, ids=[c[0] for c in INPUT_COMMANDS])
def test_every_command_given_a_bad_file_ends_in_one_error_line_and_a_documented_code(
        command, suffix, args, kind, tmp_path, monkeypatch):
    path = _bad_input(kind, tmp_path, suffix, monkeypatch)
    words = [] if args[0] == "forecast" else [command.split()[0]]
    words += [a.replace("{in}", str(path)).replace("{tmp}", str(tmp_path)) for a in args]
    result = run(*words)
    # A workbook holding only text is a workbook: recalculating it is not an error.
    assert_clean_failure(result, EXIT_CODES if kind == "markup content" else EXIT_CODES - {0})
    if result.exit_code:
        assert "error:" in result.output or "Error:" in result.output or "row " in result.output, result.output
    if kind == "markup path":
        assert "[bold]x" in result.output  # the path is printed as written, not read as markup


OUTPUT_COMMANDS = [
    ("template", ["template", "{out}"]),
    ("fill", ["fill", "{good}/good.json", "--out", "{out}"]),
    ("recalc", ["recalc", "{good}/template.xlsx", "--out", "{out}"]),
    ("attribute", ["attribute", "{good}/paths.csv", "--out", "{out}"]),
]


@pytest.mark.parametrize("target", ["a folder", "under a file", "in a missing folder", "disk full", "no permission"])
@pytest.mark.parametrize("command, args", OUTPUT_COMMANDS, ids=[c[0] for c in OUTPUT_COMMANDS])
def test_every_command_that_cannot_write_its_output_exits_1_saying_why(command, args, target, files, tmp_path,
                                                                       monkeypatch):
    import errno
    import os

    out = tmp_path / "result.xlsx"
    if target == "a folder":
        out.mkdir()
    elif target == "under a file":
        (tmp_path / "file").write_text("x")
        out = tmp_path / "file" / "result.xlsx"
    elif target == "in a missing folder":
        out = tmp_path / "nowhere" / "result.xlsx"
    else:
        failure = (OSError(errno.ENOSPC, "No space left on device") if target == "disk full"
                   else PermissionError(errno.EACCES, "Permission denied"))

        def refuse(*_):
            raise failure

        monkeypatch.setattr(os, "fsync", refuse)
    result = run(*[a.replace("{out}", str(out)).replace("{good}", str(files)) for a in args])
    assert_clean_failure(result, {int(ExitCode.FILE)})
    expected = {"a folder": "is a folder", "under a file": "is a file, not a folder",
                "in a missing folder": "does not exist; create it first", "disk full": "disk is full",
                "no permission": "permission denied"}[target]
    assert expected in result.output, result.output


def test_read_prints_markup_typed_into_an_input_cell_as_written(files, tmp_path):
    import openpyxl

    from xhsxl.workbook.read import input_cell

    workbook = openpyxl.load_workbook(files / "template.xlsx")
    sheet, cell = input_cell(workbook, "creator_fees")
    workbook[sheet][cell] = "[/]¥[bold]"
    workbook.save(tmp_path / "client.xlsx")
    result = run("read", tmp_path / "client.xlsx")
    assert_clean_failure(result, {int(ExitCode.INPUT)})
    assert "[/]¥[bold]" in result.output and f"{sheet}!{cell.replace('$', '')}" in result.output


def test_a_campaign_with_an_absurdly_long_number_is_an_input_error(tmp_path):
    path = tmp_path / "big.json"
    path.write_text('{"client_name": "A", "creator_fees": ' + "1" * 5000 + "}", encoding="utf-8")
    result = run("campaign", path)
    assert_clean_failure(result, {int(ExitCode.INPUT)})
    assert "too long" in result.output and len(result.output) < 1000  # the number is not echoed back


def test_recalc_refuses_an_existing_static_copy_before_recalculating(files, tmp_path):
    import shutil

    workbook = shutil.copy(files / "template.xlsx", tmp_path / "client.xlsx")
    (tmp_path / "client.static.xlsx").write_bytes(b"the client's copy")
    result = run("recalc", workbook, "--static")
    assert_clean_failure(result, {int(ExitCode.FILE)})
    assert "add --overwrite" in result.output and "cells evaluated" not in result.output
    assert (tmp_path / "client.static.xlsx").read_bytes() == b"the client's copy"


def test_a_batch_whose_output_folder_is_a_file_exits_1(tmp_path):
    (tmp_path / "out").write_text("x")
    result = run("batch", ROOT / "workbooks" / "examples" / "clients.csv", "--out", tmp_path / "out")
    assert_clean_failure(result, {int(ExitCode.FILE)})


TEXT_COMMANDS = [
    ["roi", "{text}", "5"], ["allocate", "1000", "--stage", "{text}"], ["functions", "{text}"], ["tier", "{text}"],
    ["optimise", "1000", "--curve", "{text}"], ["forecast", "450000", "--split", "{text}"],
    ["reallocate", str(EXAMPLES / "checkpoints.csv"), "--reserve", "1000", "--caps", "{text}"],
    ["attribute", "{good}/paths.csv", "--model", "{text}"], ["attribute", "{good}/paths.csv", "--path-col", "{text}"],
    ["clv", "retention", "{text}", "0.5", "0.1"], ["forecast", "450000", "--stage", "{text}"],
]


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=["markup", "markup tags", "ansi escape", "formula", "newline"])
@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=[" ".join(a[:1] + a[2:3]) for a in TEXT_COMMANDS])
def test_hostile_text_in_any_argument_is_refused_on_one_escaped_line(args, text, files):
    result = run(*[a.replace("{text}", text).replace("{good}", str(files)) for a in args])
    assert_clean_failure(result)
    if "\n" in text:
        assert not any(line.strip() == "b" or line.startswith("b'") for line in result.output.splitlines())


def test_an_unexpected_error_is_one_line_with_exit_3_and_no_traceback(monkeypatch):
    from xhsxl.core import metrics

    def broken(*_):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(metrics, "roi", broken)
    result = run("roi", 100, 50)
    assert result.exit_code == ExitCode.INTERNAL and "unexpected ZeroDivisionError: boom" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_help_lists_every_documented_exit_code_and_docs_cli_md_agrees():
    help_text = " ".join(run("--help").output.split())
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"{int(code)} {code.meaning}" in help_text
        assert f"| {int(code)} | {code.meaning} |" in docs


# ------------------------------------------------------------------------------------------ 80 columns


@pytest.fixture
def narrow(monkeypatch):
    """An 80-column terminal (the console is made once, at import)."""
    from xhsxl.cli import output

    monkeypatch.setattr(output.console, "width", 80)


def words(text):
    return " ".join(text.split())


def assert_fits(output, width=80):
    from rich.cells import cell_len

    assert all(cell_len(line) <= width for line in output.splitlines()), output
    assert "…" not in output, output  # rich's mark of a cut value


def test_functions_at_80_columns_print_every_summary_whole(narrow):
    result = runner.invoke(app, ["functions"], terminal_width=80)
    assert result.exit_code == 0
    assert_fits(result.output)
    for function in catalogue.read_catalogue():
        assert function.signature.split("(")[0] in result.output
        assert words(function.summary) in words(result.output), function.name


def test_functions_name_prints_every_argument_with_its_help(narrow):
    function = next(f for f in catalogue.read_catalogue() if f.name == "XHS_OPTIMAL_ALLOCATION")
    result = runner.invoke(app, ["functions", "optimal_allocation"], terminal_width=80)
    assert result.exit_code == 0
    assert_fits(result.output)
    for argument in function.arguments:
        assert argument.name in result.output and words(argument.doc or "") in words(result.output)


def test_fields_at_80_columns_show_every_key_whole_with_its_help(narrow):
    from xhsxl.schema import FIELDS

    result = runner.invoke(app, ["fields"], terminal_width=80)
    assert result.exit_code == 0
    assert_fits(result.output)
    lines = result.output.splitlines()
    for field in FIELDS:
        assert any(line.startswith(field.key + " ") for line in lines), field.key
        assert words(field.help) in words(result.output)


def test_a_table_too_wide_for_80_columns_keeps_every_number_whole(monkeypatch):
    import io

    from rich.console import Console

    from xhsxl.cli import output
    from xhsxl.cli.output import Column, Section, emit, formatted

    columns = [Column("name", unit="text")] + [Column(f"c{i}", f"a long header {i}", "CNY") for i in range(9)]
    rows = [{"name": f"row {r}", **{f"c{i}": 48_213_456.0 + 1_000 * i + r for i in range(9)}} for r in range(3)]
    for count in (3, 5, 9):  # fits as it is; fits with wrapped headers; does not fit and prints a block per row
        printed = io.StringIO()
        monkeypatch.setattr(output, "console", Console(file=printed, width=80))
        section = Section("wide", "wide", columns[:count + 1], rows)
        emit(section)
        assert_fits(printed.getvalue())
        for row in rows:
            for column in section.columns[1:]:
                assert formatted(row[column.key], "CNY") in printed.getvalue()


def test_forecast_at_80_columns_shows_every_amount_whole(narrow):
    from xhsxl.core.planner import case_study_lines, forecast

    result = runner.invoke(app, ["forecast", "--case", "2", "--stage", "maturity"], terminal_width=80)
    assert result.exit_code == 0, result.output
    assert_fits(result.output)
    expected = forecast(case_study_lines(2), "maturity")
    for line in expected.base.lines + (expected.base.total,):
        assert f"¥{line.revenue:,.0f}" in result.output and f"¥{line.spend:,.0f}" in result.output


@pytest.mark.parametrize("args", [
    ["allocate", "450000", "--stage", "growth"],
    ["optimise", "250000", "--curve", "top:power:40:0.6", "--curve", "mid:power:60:0.686", "--curve",
     "micro:hill:300000:80000"],
    ["campaign", str(EXAMPLES / "case_studies.json")],
    ["calibrate", str(EXAMPLES / "history.csv")],
    ["reallocate", str(EXAMPLES / "checkpoints.csv"), "--reserve", "80000"],
    ["profit-roi", "1680000", "450000", "--margin", "60%"],
    ["tier", "50000", "9999"],
], ids=lambda args: args[0])
def test_every_table_command_fits_80_columns_and_prints_csv_and_json_with_numbers_as_numbers(args, narrow):
    import csv
    import io

    table = runner.invoke(app, args, terminal_width=80)
    assert table.exit_code == 0, table.output
    assert_fits(table.output)
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert data and all(section["rows"] for section in data)
    numbers = [value for section in data for row in section["rows"] for value in row.values()
               if isinstance(value, (int, float)) and not isinstance(value, bool)]
    assert numbers, data
    text = runner.invoke(app, [*args, "--format", "csv"]).stdout
    first = text.split("\n\n")[0]
    rows = list(csv.DictReader(io.StringIO(first)))
    assert list(rows[0]) == list(data[0]["rows"][0])
    for parsed, record in zip(rows, data[0]["rows"]):
        for key, value in record.items():
            if isinstance(value, float):
                assert float(parsed[key]) == value


def test_csv_output_makes_formula_like_text_inert():
    from xhsxl.cli.output import Column, Section, csv_text

    text = csv_text([Section("t", "t", [Column("name", unit="text"), Column("value")],
                             [{"name": "=cmd|' /C calc'!A0", "value": -5.0}, {"name": "＋1", "value": None}])])
    assert text.splitlines() == ["name,value", "'=cmd|' /C calc'!A0,-5.0", "'＋1,"]


@given(st.one_of(st.integers(-10**15 + 1, 10**15 - 1).map(str),
                 st.decimals(-10**14, 10**14, places=3, allow_nan=False, allow_infinity=False).map(str),
                 st.text("0123456789.,-%¥ ", max_size=12)))
@settings(deadline=None)  # the first example imports the schema
def test_the_command_lines_number_reader_agrees_with_the_schemas(text):
    import typer

    from xhsxl.cli.output import parse_number
    from xhsxl.core.errors import XhsInputError
    from xhsxl.excel.cells import coerce_number

    try:
        expected = coerce_number(text, "value")
    except XhsInputError:
        expected = None
    try:
        got = parse_number(text)
    except typer.BadParameter:
        got = None
    assert got == expected


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch):
    from xhsxl.core import metrics

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(metrics, "roi", interrupted)
    result = run("roi", 100, 50)
    assert result.exit_code == ExitCode.INTERRUPTED == 130
    assert result.output.strip() == "error: interrupted"


def _error_cases():
    import errno
    import json as json_module
    import zipfile
    from xml.etree import ElementTree

    from pydantic import BaseModel

    from xhsxl.core.errors import XhsInputError
    from xhsxl.excel.errors import InputFileError
    from xhsxl.workbook.recalc import RecalcUnavailableError
    from xhsxl.workbook.safe_files import UnsafePathError

    class Budget(BaseModel):
        amount: float

    try:
        Budget(amount="lots")
    except Exception as error:  # noqa: BLE001 - the pydantic error itself is the case
        invalid = error
    return [
        (XhsInputError("cost must be greater than 0 (got 0)"), ExitCode.INPUT, "cost must be greater than 0"),
        (invalid, ExitCode.INPUT, "amount = 'lots'"),
        (InputFileError("clients.csv: the file is empty"), ExitCode.FILE, "the file is empty"),
        (UnsafePathError("'../x' would be written outside out"), ExitCode.FILE, "outside"),
        (RecalcUnavailableError("install xhsxl[recalc]"), ExitCode.FILE, "install xhsxl[recalc]"),
        (zipfile.BadZipFile("File is not a zip file"), ExitCode.FILE, "not an XLSX workbook"),
        (ElementTree.ParseError("not well-formed"), ExitCode.FILE, "malformed or refused XML"),
        (json_module.JSONDecodeError("Expecting value", "x", 0), ExitCode.FILE, "not valid JSON"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), ExitCode.FILE,
         "not utf-8 text (invalid start byte)"),
        (FileNotFoundError(errno.ENOENT, "No such file", "in.csv"), ExitCode.FILE, "in.csv: no such file"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "out"), ExitCode.FILE, "out: is a folder"),
        (PermissionError(errno.EACCES, "Permission denied", "a.xlsx"), ExitCode.FILE, "a.xlsx: permission denied"),
        (OSError(errno.ENOSPC, "No space left on device"), ExitCode.FILE, "the disk is full"),
        (FileExistsError("x.xlsx already exists"), ExitCode.FILE, "add --overwrite"),
        (MemoryError(), ExitCode.FILE, "out of memory"),
        (KeyError("sheet"), ExitCode.INTERNAL, "unexpected KeyError"),
    ]


@pytest.mark.parametrize("error, code, message", _error_cases(), ids=lambda case: type(case).__name__
                         if isinstance(case, BaseException) else None)
def test_each_error_type_maps_to_its_exit_code_and_a_message_saying_what(error, code, message):
    from xhsxl.cli.exits import describe_error

    got_code, text = describe_error(error)
    assert got_code == code and message in text and "\n" not in text


@pytest.mark.parametrize("args", [["roi", "50%", "450000"], ["clv", "retention", "60%", "0.7", "0.01"],
                                  ["allocate", "45%"], ["forecast", "450000%"], ["tier", "10%"],
                                  ["reallocate", str(EXAMPLES / "checkpoints.csv"), "--reserve", "10%"]],
                         ids=lambda args: args[0])
def test_a_percentage_typed_for_an_amount_or_a_count_is_refused_not_divided_by_100(args):
    result = run(*args)
    assert result.exit_code == 2 and "an amount or a count, not a share" in result.output, result.output


def test_shares_and_rates_still_take_percentages():
    assert "¥2,400" in run("clv", "simple", 400, 0.5, "60%", 20).output
    assert run("clv", "retention", 120, "70%", "1%").exit_code == 0
    assert run("profit-roi", 1_680_000, 450_000, "--margin", "60%").exit_code == 0


def test_version_option_prints_the_package_version_and_exits_0():
    import xhsxl

    result = run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"xhsxl {xhsxl.__version__}"

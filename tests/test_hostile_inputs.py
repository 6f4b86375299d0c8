"""Hostile input to every reader: no traceback, no believable wrong number, no live formula in what is written,
and the good rows still written. Each reproduction of the hostile-input report is a test here or in
tests/test_hostile_batch.py."""

import csv
import io
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.workbook.defined_name import DefinedName
from typer.testing import CliRunner

from xhsxl import udfs
from xhsxl.cli import app
from xhsxl.core.allocation import LARGEST_OPTIMISED_BUDGET, TierCurve, optimal_allocation
from xhsxl.core.errors import XhsInputError
from xhsxl.excel.cells import coerce_number
from xhsxl.excel.errors import InputFileError
from xhsxl.workbook.batch import ERRORS_NAME, MAX_QUOTED_CHARS, inert_csv_text, run_batch
from xhsxl.workbook.clients import decode_text, read_clients
from xhsxl.workbook.template import build_workbook

ROOT = Path(__file__).parent.parent
HEADER = ["client_name", "brand_stage", "creator_fees", "content_production", "paid_ads", "direct_revenue"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def cli(*args):
    return CliRunner().invoke(app, [*map(str, args)], terminal_width=200)


def assert_clean_exit(result, codes=(0, 1, 2)):
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in codes, result.output


def write_rows(path, rows, header=HEADER, delimiter=",", encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def errors_rows(out):
    with open(out / f"{ERRORS_NAME}.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def assert_inert(field):
    assert not field.startswith(FORMULA_STARTS) or field.lstrip("+-").replace(".", "", 1).isdigit(), field


# ------------------------------------------------------------------------------------ numbers mean what they say
def test_a_decimal_comma_in_a_semicolon_csv_is_a_decimal_mark_not_thousands(tmp_path):
    source = write_rows(tmp_path / "semi.csv", [["Acme", "growth", "250000", "100000", "100000", "1680000,50"]],
                        delimiter=";")
    (row,) = read_clients(source).rows
    assert row.campaign.direct_revenue == pytest.approx(1_680_000.5)


def test_a_lone_decimal_comma_is_refused_with_both_readings():
    with pytest.raises(XhsInputError, match=r"1\.5 with a decimal comma or as 15"):
        coerce_number("1,5")


@pytest.mark.parametrize("typed", ["350%", "250%"])
def test_a_percentage_in_a_money_field_is_refused_not_read_as_yuan(tmp_path, typed):
    source = write_rows(tmp_path / "pct.csv", [["Acme", "growth", typed, "0", "0", "1000"]])
    (row,) = read_clients(source).rows
    assert not row.ok and "without %" in row.problems[0].reason


@pytest.mark.parametrize("command", [["roi", "50%", "450000"], ["clv", "retention", "60%", "0.7", "0.01"]])
def test_a_percentage_where_an_amount_belongs_on_the_command_line_is_refused(command):
    result = cli(*command)
    assert_clean_exit(result, (2,))
    assert "without %" in result.output


def test_caps_given_as_a_percentage_are_refused_not_read_as_yuan(tmp_path):
    result = cli("reallocate", ROOT / "examples" / "checkpoints.csv", "--reserve", "60000", "--caps", "mid=30%")
    assert_clean_exit(result, (2,))
    assert "without %" in result.output


@pytest.mark.parametrize("typed, value", [("168万", 1_680_000.0), ("1.2亿", 120_000_000.0), ("(5,000)", -5000.0),
                                          ("-", 0.0), ("1.234,56", 1234.56), ("¥1,680,000", 1_680_000.0)])
def test_numbers_as_people_write_them_read_as_what_they_say(typed, value):
    assert coerce_number(typed) == pytest.approx(value)


def test_a_table_without_a_revenue_column_is_warned_about_on_the_terminal_and_in_errors_csv(tmp_path):
    source = write_rows(tmp_path / "norev.csv", [["Acme", "growth", "1000", "0", "0"]], header=HEADER[:5])
    out = tmp_path / "out"
    result = cli("batch", source, "--out", out, "--jobs", "1")
    assert_clean_exit(result, (0,))
    assert "no revenue column" in result.output
    assert any("no revenue column" in row[3] for row in errors_rows(out)[1:])


def test_a_formula_cell_without_a_stored_result_is_refused_not_read_as_zero(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["Acme", "growth", "=100000*2", 0, 0, 1000])  # openpyxl stores no result beside the formula
    wb.save(tmp_path / "clients.xlsx")
    (row,) = read_clients(tmp_path / "clients.xlsx").rows
    assert not row.ok
    assert "open and save the file in Excel, or export values" in row.problems[0].reason


def test_an_integer_of_absurd_length_in_json_is_that_rows_problem_quoted_short(tmp_path):
    source = tmp_path / "big.json"
    source.write_text('[{"client_name": "A", "creator_fees": ' + "9" * 5000 + ', "direct_revenue": 1},'
                      ' {"client_name": "B", "creator_fees": 1, "direct_revenue": 1}]')
    out = tmp_path / "out"
    result = cli("batch", source, "--out", out, "--jobs", "1")
    assert_clean_exit(result, (2,))
    assert (out / "B.xlsx").is_file()
    (header, problem) = errors_rows(out)
    assert "too large" in problem[3] and len(problem[2]) <= MAX_QUOTED_CHARS
    assert len(result.output) < 2000


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=300, deadline=None)
def test_any_text_in_a_money_field_is_a_finite_number_or_a_located_refusal(text):
    try:
        number = coerce_number(text, "creator_fees", percent=False)
    except XhsInputError as error:
        assert "creator_fees" in str(error)
        return
    assert number is None or number == number and abs(number) != float("inf")


# ------------------------------------------------------------------------------------ encodings
NAMES = ["測試品牌", "小紅書美妝", "花漾肌", "上海美妝有限公司"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5"])
def test_each_supported_encoding_reads_chinese_names_exactly(tmp_path, encoding):
    rows = [[name, "growth", "1000", "0", "0", "100"] for name in NAMES]
    table = read_clients(write_rows(tmp_path / "c.csv", rows, encoding=encoding))
    assert [row.campaign.client_name for row in table.rows] == NAMES


def test_a_short_big5_file_is_refused_with_encoding_suggested_never_read_as_gb18030(tmp_path):
    # the report's reproduction: one name, too little text to tell Big5 from GB18030
    source = write_rows(tmp_path / "c.csv", [["測試品牌", "growth", "1000", "0", "0", "100"]], encoding="big5")
    with pytest.raises(InputFileError, match="--encoding big5"):
        read_clients(source)
    assert read_clients(source, encoding="big5").rows[0].campaign.client_name == "測試品牌"


def test_a_big5_file_with_a_few_names_is_read_as_big5(tmp_path):
    rows = [[name, "growth", "1000", "0", "0", "100"] for name in NAMES]
    table = read_clients(write_rows(tmp_path / "c.csv", rows, encoding="big5"))
    assert table.encoding == "big5" and [row.campaign.client_name for row in table.rows] == NAMES


@pytest.mark.parametrize("encoding, name", [("shift_jis", "テスト株式会社"), ("cp1252", "Café Müller")])
def test_other_encodings_are_refused_with_the_encoding_to_pass_and_read_when_named(tmp_path, encoding, name):
    source = write_rows(tmp_path / "c.csv", [[name, "growth", "1000", "0", "0", "100"]], encoding=encoding)
    result = cli("batch", source, "--out", tmp_path / "out")
    assert_clean_exit(result, (1,))
    assert f"--encoding {encoding}" in result.output
    assert read_clients(source, encoding=encoding).rows[0].campaign.client_name == name
    assert_clean_exit(cli("batch", source, "--out", tmp_path / "out", "--encoding", encoding, "--jobs", "1"), (0,))


@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=8),
                min_size=1, max_size=4),
       st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5"]))
@SLOW
def test_chinese_text_in_any_supported_encoding_is_read_exactly_or_refused(names, encoding):
    text = "client_name,direct_revenue\n" + "".join(f"{name},1\n" for name in names)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # a character Big5 cannot write
    try:
        decoded, _ = decode_text(Path("c.csv"), data)
    except InputFileError as error:
        assert "--encoding" in str(error) or "UTF-8" in str(error)
        return
    assert decoded.removeprefix("\ufeff") == text


@given(st.binary(max_size=400))
@settings(max_examples=200, deadline=None)
def test_random_bytes_are_a_table_or_a_file_error_never_a_traceback(data):
    path = Path("/nonexistent")
    for suffix in (".csv", ".json"):
        try:
            text, _ = decode_text(path.with_suffix(suffix), data)
        except InputFileError:
            continue
        assert isinstance(text, str)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_random_bytes_under_any_name_end_in_one_line_through_the_cli(tmp_path, suffix):
    import random

    generator = random.Random(16)
    for attempt in range(5):
        source = tmp_path / f"c{attempt}{suffix}"
        source.write_bytes(bytes(generator.randrange(256) for _ in range(300)))
        assert_clean_exit(cli("batch", source, "--out", tmp_path / "out"), (1,))


def test_a_gbk_json_campaign_fills_with_its_chinese_name(tmp_path):
    source = tmp_path / "c.json"
    source.write_bytes(json.dumps({"client_name": "上海美妆有限公司", "creator_fees": 1000},
                                  ensure_ascii=False).encode("gbk"))
    result = cli("fill", source, "--out", tmp_path / "c.xlsx")
    assert_clean_exit(result, (0,))
    result = cli("read", tmp_path / "c.xlsx")
    assert_clean_exit(result, (0, 2))
    assert "上海美妆有限公司" in result.output


# ------------------------------------------------------------------------------------ hostile text everywhere
HOSTILE_TEXT = st.text(alphabet=st.sampled_from(list("=+-@[]/\\<>&'\"|! \t\r\nab中\x00\x07\x1b\u202e＝＠")),
                       min_size=1, max_size=20)


@given(st.lists(HOSTILE_TEXT, min_size=1, max_size=3), HOSTILE_TEXT)
@SLOW
def test_markup_control_characters_and_formulas_in_every_text_field_never_break_a_batch(tmp_path_factory, names,
                                                                                         header):
    folder = tmp_path_factory.mktemp("hostile")
    rows = [[name, "growth", "1000", "0", "0", "5000"] for name in names] + [["Good Co", "growth", "1", "0", "0",
                                                                              "10"]]
    source = write_rows(folder / "c.csv", rows, header=HEADER + [header])
    out = folder / "out"
    result = cli("batch", source, "--out", out, "--jobs", "1")
    assert_clean_exit(result)
    if result.exit_code == 1:  # the extra header named a field twice or made the file unreadable as a table
        return
    assert (out / "Good-Co.xlsx").is_file()
    for row in errors_rows(out):
        for field in row:
            assert_inert(field)
    summary = load_workbook(out / "summary.xlsx")["Summary"]
    for row in summary.iter_rows(min_row=5, min_col=2, max_col=3):
        for cell in row:
            assert cell.data_type == "s" or cell.value is None


def test_a_formula_like_unknown_header_is_inert_in_errors_csv(tmp_path):
    source = write_rows(tmp_path / "c.csv", [["Acme", "growth", "1", "0", "0", "10", "x"]],
                        header=HEADER + ["+cmd|' /C calc'!A0"])
    out = tmp_path / "out"
    run_batch(source, out, jobs=1)
    assert errors_rows(out)[1][1] == "'+cmd|' /C calc'!A0"


@pytest.mark.parametrize("text, shown", [("-5", "-5"), ("-1.5e3", "-1.5e3"), ("=1+2", "'=1+2"), ("－1", "'－1"),
                                         ("@SUM(A1)", "'@SUM(A1)"), ("-1+cmd", "'-1+cmd"), ("\tx", "'\tx")])
def test_errors_csv_fields_are_inert_while_negative_numbers_stay_numbers(text, shown):
    assert inert_csv_text(text) == shown


def test_attribute_out_writes_channel_names_inert(tmp_path):
    source = write_rows(tmp_path / "paths.csv", [["=cmd|' /C calc'!A0 > tmall", "3"], ["search > tmall", "2"]],
                        header=["path", "conversions"])
    out = tmp_path / "credit.csv"
    result = cli("attribute", source, "--out", out)
    assert_clean_exit(result, (0,))
    cells = [cell for row in csv.reader(io.StringIO(out.read_text("utf-8-sig"))) for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells
    for cell in cells:
        assert_inert(cell)


@pytest.mark.parametrize("command", ["read", "recalc"])
def test_markup_in_a_workbook_path_is_printed_as_written(tmp_path, command):
    folder = tmp_path / "[bold]x[red]"
    folder.mkdir()
    result = cli(command, folder / "missing.xlsx")
    assert_clean_exit(result, (1,))
    assert "[bold]x[red]" in result.output


def test_a_whole_column_defined_name_in_a_workbook_is_no_traceback(tmp_path):
    workbook = build_workbook()
    workbook.defined_names["Everything"] = DefinedName("Everything", attr_text="Inputs!$A:$A")
    workbook.save(tmp_path / "w.xlsx")
    assert_clean_exit(cli("read", tmp_path / "w.xlsx"))


@pytest.mark.parametrize("content", [None, b"not a zip", b"PK\x03\x04broken"])
def test_recalc_of_a_missing_or_non_workbook_file_is_one_line_exit_1(tmp_path, content):
    path = tmp_path / "w.xlsx"
    if content is not None:
        path.write_bytes(content)
    result = cli("recalc", path)
    assert_clean_exit(result, (1,))
    assert len(result.output.strip().splitlines()) == 1


def test_the_largest_finite_budget_is_refused_or_computed_never_an_overflow():
    curves = [["tier", "curve", "param1", "param2"], ["mid", "power", 1, 0.5], ["top", "power", 1, 0.5],
              ["micro", "power", 1, 0.5]]
    try:
        udfs.XHS_OPTIMAL_ALLOCATION(1.7e308, curves)
    except XhsInputError:
        pass


def test_a_budget_above_the_optimisers_stated_limit_is_refused_naming_it_and_the_limit_is_computed():
    curves = [TierCurve("mid", "power", 1, 0.5), TierCurve("top", "power", 1, 0.5), TierCurve("micro", "power", 1, 0.5)]
    with pytest.raises(XhsInputError, match="total_budget must be at most 9007199254740992"):
        optimal_allocation(1.7e308, curves)
    plan = optimal_allocation(LARGEST_OPTIMISED_BUDGET, curves)
    assert math.fsum(tier.amount for tier in plan.tiers) == LARGEST_OPTIMISED_BUDGET


# ------------------------------------------------------------------------------------ the planner cache
def test_a_whole_column_plan_is_trimmed_and_kept_once(monkeypatch):
    udfs._forecast_kept.cache_clear()
    lines = [["line", "amount"], ["mid", 200000], ["top", 100000]] + [[None, None]] * 1_048_573
    first = udfs.XHS_FORECAST(lines, "growth")
    assert udfs.XHS_FORECAST(lines, "growth") == first
    assert udfs._forecast_kept.cache_info().currsize == 1


def test_the_planner_cache_keeps_no_plan_larger_than_its_byte_budget():
    udfs._forecast_kept.cache_clear()
    small = [["line", "amount"], ["mid", 200000]]
    assert udfs._fits_cache((small, "growth"))
    long_text = [["line", "amount"], ["mid", 200000]] + [["x" * 30_000, None]] * 10
    assert not udfs._fits_cache((long_text, "growth"))
    assert not udfs._fits_cache(([[1.0, 2.0]] * 20_000, "growth"))


# ------------------------------------------------------------------------------------ every reading command
def _hostile_files(folder):
    """Files no command can use, each with the suffixes the commands read."""
    folder.mkdir(exist_ok=True)
    made = {}
    for suffix in (".csv", ".json", ".xlsx"):
        made[f"random{suffix}"] = folder / f"random{suffix}"
        made[f"random{suffix}"].write_bytes(bytes(range(256)) * 3)
        made[f"empty{suffix}"] = folder / f"empty{suffix}"
        made[f"empty{suffix}"].write_bytes(b"")
        made[f"nul{suffix}"] = folder / f"nul{suffix}"
        made[f"nul{suffix}"].write_bytes(b"a,b\n\0\0\0\n")
        made[f"missing{suffix}"] = folder / f"missing{suffix}"
        made[f"folder{suffix}"] = folder / f"folder{suffix}"
        made[f"folder{suffix}"].mkdir()
        made[f"markup{suffix}"] = folder / f"[red]x[bold]{suffix}"
        made[f"markup{suffix}"].write_text("[/]a,[bold]b\n[red]1,[/]2\n", encoding="utf-8")
        made[f"utf16-no-bom{suffix}"] = folder / f"utf16{suffix}"
        made[f"utf16-no-bom{suffix}"].write_bytes("client_name,direct_revenue\n測試,1\n".encode("utf-16-le"))
    made["bomb.xlsx"] = _bomb_file(folder / "bomb.xlsx")
    return made


def _bomb_file(path):
    buffer = io.BytesIO()
    Workbook().save(buffer)
    import zipfile

    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", b"\0" * (8 * 1024 * 1024))
    path.write_bytes(buffer.getvalue())
    return path


READING_COMMANDS = {
    "batch": lambda path, out: ["batch", path, "--out", out / "batch", "--jobs", "1"],
    "fill": lambda path, out: ["fill", path, "--out", out / "filled.xlsx"],
    "read": lambda path, out: ["read", path],
    "recalc": lambda path, out: ["recalc", path],
    "attribute": lambda path, out: ["attribute", path],
    "attribute --touchpoints": lambda path, out: ["attribute", path, "--touchpoints"],
    "calibrate": lambda path, out: ["calibrate", path],
    "backtest": lambda path, out: ["backtest", path],
    "reallocate": lambda path, out: ["reallocate", path, "--reserve", "1000"],
}


@pytest.mark.parametrize("command", sorted(READING_COMMANDS))
def test_every_reading_command_ends_every_hostile_file_in_one_line_and_a_documented_code(tmp_path, command):
    failures = []
    for name, path in _hostile_files(tmp_path / "in").items():
        result = cli(*READING_COMMANDS[command](path, tmp_path))
        lines = [line for line in result.output.splitlines() if line.strip()]
        clean = ("Traceback" not in result.output and result.exit_code in (1, 2)
                 and (result.exception is None or isinstance(result.exception, SystemExit)))
        if not clean or not lines:
            failures.append(f"{name}: exit {result.exit_code}: {result.output.strip()[:300]!r} {result.exception!r}")
    assert not failures, "\n".join(failures)


def test_huge_cells_and_headers_are_quoted_short_on_the_terminal_and_in_errors_csv(tmp_path):
    source = write_rows(tmp_path / "huge.csv", [["A" * 100_000, "growth", "1", "0", "0", "1", ""],
                                                ["B", "growth", "Q" * 100_000, "0", "0", "1", ""],
                                                ["Good", "growth", "1", "0", "0", "1", ""]],
                        header=HEADER + ["x" * 100_000])
    out = tmp_path / "out"
    result = cli("batch", source, "--out", out, "--jobs", "1")
    assert_clean_exit(result, (2,))
    assert len(result.output) < 3000
    assert (out / "Good.xlsx").is_file()
    assert all(len(field) <= 400 for row in errors_rows(out) for field in row)


def test_a_cell_beyond_the_csv_field_limit_is_one_line_not_a_bug_report(tmp_path):
    source = write_rows(tmp_path / "c.csv", [["A", "growth", "1", "0", "0", "1"]], header=HEADER[:-1] + ["x" * 200_000])
    result = cli("batch", source, "--out", tmp_path / "out")
    assert_clean_exit(result, (1,))
    assert "not a readable CSV file" in result.output and len(result.output) < 400

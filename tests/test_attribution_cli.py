"""``xhsxl attribute``: path tables and touch logs from CSV, XLSX and Parquet, the core's numbers printed.

A file that cannot be read exits 1; a missing column or a bad cell exits 2 with the column (and row) named.
"""

import csv
import io
import sys

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

from xhsxl.cli import app
from xhsxl.core import attribution
from xhsxl.core.errors import XhsInputError
from xhsxl.excel.errors import InputFileError
from xhsxl.workbook.sheets import attribution as attribution_sheet
from xhsxl.workbook.journey_files import read_path_table, read_touchpoints

runner = CliRunner()
ROWS = [list(row) for row in attribution_sheet.ATTRIBUTION_EXAMPLE]
HEADER = ["path", "conversions", "value", "nulls"]
TABLE = attribution.path_table(*(list(column) for column in zip(*ROWS)))
TOUCHES = [
    ["user", "time", "channel", "converted", "value"],
    ["ann", "2024-05-01 10:00", "kol_mid", "0", ""],
    ["ann", "2024-05-03 21:15", "search_ads", "1", "320"],
    ["bo", "2024-03-01 09:00", "kol_top", "0", ""],  # 62 days before bo's conversion: outside the lookback
    ["bo", "2024-05-02 12:00", "feed_ads", "no", ""],
    ["bo", "2024-05-04 12:00", "search_ads", "TRUE", "120"],
    ["cy", "2024-05-02 08:00", "koc_micro", "", ""],
    ["ann", "2024-05-10 10:00", "feed_ads", "false", ""],
]


class Run:
    """A command's exit code and its output with rich's line wrapping undone."""

    def __init__(self, result):
        self.exit_code = result.exit_code
        self.output = " ".join(result.output.split())


def run(*args):
    return Run(runner.invoke(app, ["attribute", *map(str, args)], terminal_width=200))


def write_csv(path, rows, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, title="Paths", above=()):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = title
    for row in [*above, *rows]:
        ws.append(row)
    workbook.save(path)
    return path


def read_out(path):
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [[row[0], *(None if cell == "" else float(cell) for cell in row[1:])] for row in rows[1:]]


def assert_rows(got, expected):
    assert [row[0] for row in got] == [row[0] for row in expected]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a[1:], b[1:], rtol=1e-12)


# ------------------------------------------------------------------------------------------ path tables


def test_a_path_table_csv_prints_exact_markov_credit_and_writes_it(tmp_path):
    source = write_csv(tmp_path / "paths.csv", [HEADER, *ROWS])
    out = tmp_path / "result.csv"
    result = run(source, "--model", "markov", "--order", "2", "--removal-effects", "--out", out)
    assert result.exit_code == 0, result.output
    assert "path ← 'path', conversions ← 'conversions', value ← 'value', nulls ← 'nulls'" in result.output
    assert "Markov attribution, order 2" in result.output and "Removal effects" in result.output
    expected = attribution.markov(TABLE, 2)
    for channel, share in zip(expected.channels, expected.share):
        assert channel in result.output and f"{share:.1%}" in result.output
    header, rows = read_out(out)
    assert header == ["channel", "conversions", "value", "share", "removal_effect", "value_removal_effect"]
    assert_rows(rows, [row + extra[1:] for row, extra in zip(expected.table()[1:],
                                                              expected.removal_effects_table()[1:])])


def test_every_path_table_model_equals_the_core(tmp_path):
    source = write_csv(tmp_path / "paths.csv", [HEADER, *ROWS])
    for model in ("first_touch", "last_touch", "last_non_direct", "linear", "position_based", "shapley",
                  "simplified_shapley"):
        out = tmp_path / f"{model}.csv"
        assert run(source, "--model", model, "--out", out).exit_code == 0
        assert_rows(read_out(out)[1], attribution.attribute(TABLE, model).table()[1:])


def test_model_shapley_monotone_prints_the_monotone_cover_with_no_negative_credit(tmp_path):
    # Journeys with b convert less often than those with a alone: plain Shapley credits b with -4.
    source = write_csv(tmp_path / "paths.csv", [HEADER, ["a", 10, 1000, 10], ["a > b", 1, 100, 19], ["b", 1, 100, 9]])
    table = attribution.path_table(["a", "a > b", "b"], [10, 1, 1], [1000, 100, 100], [10, 19, 9])
    out = tmp_path / "monotone.csv"
    result = run(source, "--model", "shapley_monotone", "--out", out)
    assert result.exit_code == 0, result.output
    rows = read_out(out)[1]
    assert_rows(rows, attribution.shapley(table, monotone=True).table()[1:])
    assert min(row[1] for row in rows) >= 0 > min(attribution.shapley(table).conversions)


def test_order_auto_is_chosen_as_the_core_chooses(tmp_path):
    source = write_csv(tmp_path / "paths.csv", [HEADER, *ROWS])
    result = run(source, "--order", "auto", "--out", tmp_path / "auto.csv")
    expected = attribution.markov(TABLE, "auto")
    assert result.exit_code == 0 and f"order {expected.order} (chosen by BIC)" in result.output
    assert_rows(read_out(tmp_path / "auto.csv")[1], expected.table()[1:])


def test_a_gbk_csv_with_chinese_headers_and_channel_names(tmp_path):
    rows = [[path.replace("kol_top", "头部达人"), *rest] for path, *rest in ROWS]
    source = write_csv(tmp_path / "路径表.csv", [["路径", "转化", "金额", "未转化"], *rows], encoding="gbk")
    out = tmp_path / "out.csv"
    result = run(source, "--out", out)
    assert result.exit_code == 0, result.output
    assert "gb18030" in result.output and "头部达人" in result.output
    expected = attribution.markov(attribution.path_table(*(list(column) for column in zip(*rows))))
    assert_rows(read_out(out)[1], expected.table()[1:])


def test_a_bom_csv_with_semicolons_and_named_columns(tmp_path):
    source = write_csv(tmp_path / "export.csv", [["Journey", "Orders", "GMV", "Lost"], *ROWS],
                       encoding="utf-8-sig", delimiter=";")
    result = run(source, "--path-col", "journey", "--conversions-col", "ORDERS", "--value-col", "gmv",
                 "--nulls-col", "Lost", "--out", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    assert "path ← 'Journey'" in result.output
    assert_rows(read_out(tmp_path / "o.csv")[1], attribution.markov(TABLE).table()[1:])


def test_a_multi_character_separator(tmp_path):
    rows = [[path.replace(" > ", " -> "), *rest] for path, *rest in ROWS]
    source = write_csv(tmp_path / "arrows.csv", [HEADER, *rows])
    assert run(source, "--sep", "->", "--out", tmp_path / "o.csv").exit_code == 0
    assert_rows(read_out(tmp_path / "o.csv")[1], attribution.markov(TABLE).table()[1:])


def test_an_xlsx_sheet_with_a_title_above_the_table(tmp_path):
    source = write_xlsx(tmp_path / "paths.xlsx", [HEADER, *ROWS], above=[["May journeys"], []])
    workbook = openpyxl.load_workbook(source)
    workbook.create_sheet("First", 0).append(["nothing", "here"])
    workbook.save(source)
    result = run(source, "--sheet", "paths", "--model", "linear", "--out", tmp_path / "o.csv")
    assert result.exit_code == 0, result.output
    assert "(xlsx, sheet 'Paths')" in result.output
    assert_rows(read_out(tmp_path / "o.csv")[1], attribution.linear(TABLE).table()[1:])


def test_without_nulls_markov_warns_and_shapley_refuses(tmp_path):
    source = write_csv(tmp_path / "paths.csv", [HEADER[:3], *(row[:3] for row in ROWS)])
    result = run(source)
    assert result.exit_code == 0
    assert "warning: no non-converting counts (nulls) were given" in result.output
    assert "no nulls column" in result.output
    shapley = run(source, "--model", "shapley")
    assert shapley.exit_code == 2 and "shapley needs non-converting counts" in shapley.output
    quiet = run(source, "--model", "last_touch")
    assert quiet.exit_code == 0 and "warning" not in quiet.output


def test_an_entirely_blank_value_column_counts_as_absent(tmp_path):
    source = write_csv(tmp_path / "paths.csv", [HEADER, *([p, c, "", n] for p, c, _, n in ROWS)])
    result = run(source, "--out", tmp_path / "o.csv")
    assert result.exit_code == 0 and "no value column" in result.output
    header, rows = read_out(tmp_path / "o.csv")
    assert header == ["channel", "conversions", "value", "share"] and all(row[2] is None for row in rows)


def test_format_csv_on_stdout_equals_the_out_file(tmp_path):
    source = write_csv(tmp_path / "paths.csv", [HEADER, *ROWS])
    piped = runner.invoke(app, ["attribute", str(source), "--out", str(tmp_path / "credit.csv"), "--format", "csv"])
    assert piped.exit_code == 0, piped.output
    assert piped.stdout.encode("utf-8-sig") == (tmp_path / "credit.csv").read_bytes()


def test_channel_names_that_look_like_formulas_are_written_inert(tmp_path):
    rows = [[path.replace("kol_mid", "=cmd|' /C calc'!A0"), *rest] for path, *rest in ROWS]
    source = write_csv(tmp_path / "paths.csv", [HEADER, *rows])
    result = run(source, "--out", tmp_path / "credit.csv")
    assert result.exit_code == 0, result.output
    names = [row[0] for row in csv.reader(io.StringIO((tmp_path / "credit.csv").read_bytes().decode("utf-8-sig")))]
    assert "'=cmd|' /C calc'!A0" in names and not any(name.startswith("=") for name in names)


def test_an_existing_out_file_is_kept_unless_overwrite(tmp_path):
    source = write_csv(tmp_path / "paths.csv", [HEADER, *ROWS])
    out = tmp_path / "result.csv"
    out.write_text("keep me")
    result = run(source, "--out", out)
    assert result.exit_code == 1 and "--overwrite" in result.output and out.read_text() == "keep me"
    assert run(source, "--out", out, "--overwrite").exit_code == 0
    assert read_out(out)[0][0] == "channel"


# ------------------------------------------------------------------------------------------ touch logs


def test_a_touchpoint_csv_equals_the_core_journeys(tmp_path):
    source = write_csv(tmp_path / "touches.csv", TOUCHES)
    out = tmp_path / "o.csv"
    result = run(source, "--touchpoints", "--lookback", 30, "--out", out)
    assert result.exit_code == 0, result.output
    assert "user ← 'user', time ← 'time', channel ← 'channel', converted ← 'converted', value ← 'value'" in result.output
    body = TOUCHES[1:]
    journeys = attribution.journeys_from_touchpoints(
        [r[0] for r in body], [r[1] for r in body], [r[2] for r in body],
        [r[3] in ("1", "TRUE") for r in body], [float(r[4]) if r[4] else None for r in body], lookback_days=30)
    assert journeys.path_strings() == ["kol_mid > search_ads", "feed_ads", "feed_ads > search_ads", "koc_micro"]
    assert "4 journeys, 5 channels, 2 conversions" in result.output
    assert_rows(read_out(out)[1], attribution.markov(journeys).table()[1:])
    decay = run(source, "--touchpoints", "--model", "time_decay", "--half-life", 3, "--out", tmp_path / "d.csv")
    assert decay.exit_code == 0, decay.output
    assert_rows(read_out(tmp_path / "d.csv")[1], attribution.time_decay(journeys, 3).table()[1:])


def test_a_touchpoint_xlsx_with_real_dates_and_numeric_ids(tmp_path):
    import datetime as dt

    rows = [["User", "Timestamp", "Channel", "Converted", "Value"]]
    for user, time, channel, converted, value in TOUCHES[1:]:
        rows.append([{"ann": 101, "bo": 102, "cy": 103}[user], dt.datetime.fromisoformat(time), channel,
                     converted in ("1", "TRUE"), float(value) if value else None])
    source = write_xlsx(tmp_path / "touches.xlsx", rows, title="log")
    csv_source = write_csv(tmp_path / "touches.csv", TOUCHES)
    assert run(source, "--touchpoints", "--out", tmp_path / "x.csv").exit_code == 0
    assert run(csv_source, "--touchpoints", "--out", tmp_path / "c.csv").exit_code == 0
    assert_rows(read_out(tmp_path / "x.csv")[1], read_out(tmp_path / "c.csv")[1])


def test_time_decay_on_a_path_table_says_it_needs_touch_times(tmp_path):
    source = write_csv(tmp_path / "paths.csv", [HEADER, *ROWS])
    result = run(source, "--model", "time_decay")
    assert result.exit_code == 2 and "--touchpoints" in result.output


# ------------------------------------------------------------------------------------------ Parquet


def test_parquet_equals_csv(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    columns = list(zip(*ROWS))
    pq.write_table(pa.table({"path": list(columns[0]), "conversions": [int(v) for v in columns[1]],
                             "value": [float(v) for v in columns[2]], "nulls": [int(v) for v in columns[3]]}),
                   tmp_path / "paths.parquet")
    result = run(tmp_path / "paths.parquet", "--out", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    assert "(parquet)" in result.output
    assert_rows(read_out(tmp_path / "p.csv")[1], attribution.markov(TABLE).table()[1:])


def test_parquet_without_pyarrow_exits_1_saying_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    (tmp_path / "paths.parquet").write_bytes(b"PAR1")
    result = run(tmp_path / "paths.parquet")
    assert result.exit_code == 1 and "install pyarrow to read Parquet" in result.output


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("name, content, message", [
    ("missing.csv", None, "no such file"),
    ("empty.csv", b"", "the file is empty"),
    ("binary.csv", b"\x00\x01\x02PK", "binary file"),
    ("fake.xlsx", b"this is not a workbook", "not an XLSX workbook"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "unsupported file type '.xls'"),
    ("paths.json", b"[]", "unsupported file type '.json'"),
    ("broken.parquet", b"not parquet at all", "not a readable Parquet file"),
])
def test_a_file_that_cannot_be_read_exits_1(tmp_path, name, content, message):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    if content is not None:
        (tmp_path / name).write_bytes(content)
    result = run(tmp_path / name)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_an_unknown_sheet_exits_1_naming_the_sheets(tmp_path):
    source = write_xlsx(tmp_path / "paths.xlsx", [HEADER, *ROWS])
    result = run(source, "--sheet", "June")
    assert result.exit_code == 1 and "no sheet named 'June'; the sheets are 'Paths'" in result.output


@pytest.mark.parametrize("rows, args, message", [
    ([HEADER, *ROWS], ["--path-col", "journey"], "no column named 'journey' (for path) in paths.csv"),
    ([["route", "conversions"], *(row[:2] for row in ROWS)], [], "no path column in paths.csv: name it 'path'"),
    ([["path", "orders"], *(row[:2] for row in ROWS)], [], "no conversions column"),
    ([HEADER, *ROWS[:2], [ROWS[2][0], "lots", 1.0, 2.0], *ROWS[3:]], [],
     "conversions (column 'conversions') must be a number (got 'lots') in row 4"),
    ([HEADER, *ROWS[:5], [ROWS[5][0], 5, 100, ""], *ROWS[6:]], [],
     "nulls (column 'nulls') is blank in row 7"),
    ([HEADER, ROWS[0], ["", 5, 100, 10]], [], "path (column 'path') is blank in row 3"),
    ([HEADER, ROWS[0], [ROWS[1][0], 5, "", 10]], [], "value (column 'value') is blank in row 3"),
    ([HEADER, ROWS[0], [ROWS[1][0], -5, 0, 10]], [], "conversions must be at least 0 (got -5) in row 3"),
    ([HEADER, ROWS[0], ["kol_mid >> search_ads", 5, 10, 10]], [], "paths in row 3 has an empty channel"),
    ([HEADER, *ROWS], ["--order", "7"], "order must be a whole number from 1 to 4"),
    ([HEADER, *ROWS], ["--model", "magic"], "model must be one of"),
    ([HEADER], [], "no data rows"),
])
def test_a_bad_column_or_cell_exits_2_naming_it(tmp_path, rows, args, message):
    source = write_csv(tmp_path / "paths.csv", rows)
    result = run(source, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_bad_touch_rows_name_the_row_of_the_file(tmp_path):
    rows = [list(row) for row in TOUCHES]
    rows[3][1] = "last tuesday"
    result = run(write_csv(tmp_path / "t.csv", rows), "--touchpoints")
    assert result.exit_code == 2 and "in row 4" in result.output and "last tuesday" in result.output
    rows = [list(row) for row in TOUCHES]
    rows[5][3] = "maybe"
    result = run(write_csv(tmp_path / "t.csv", rows), "--touchpoints")
    assert result.exit_code == 2 and "converted (column 'converted') must be TRUE/FALSE, 1/0" in result.output
    assert "in row 6" in result.output
    missing = run(write_csv(tmp_path / "t.csv", [row[:2] + row[3:] for row in TOUCHES]), "--touchpoints")
    assert missing.exit_code == 2 and "no channel column" in missing.output


# ------------------------------------------------------------------------------------------ the reader


def test_large_files_report_progress_and_read_chunk_by_chunk(tmp_path):
    rng = np.random.default_rng(3)
    channels = np.array(["kol_top", "kol_mid", "koc_micro", "search_ads", "feed_ads"])
    n = 150_000
    paths = [" > ".join(channels[rng.integers(0, 5, k)]) for k in rng.integers(1, 5, n)]
    conversions = rng.integers(0, 3, n)
    nulls = rng.integers(0, 40, n)
    source = write_csv(tmp_path / "big.csv", [["path", "conversions", "nulls"],
                                              *zip(paths, conversions.tolist(), nulls.tolist())])
    messages = []
    read = read_path_table(source, progress=messages.append)
    assert read.rows == n and read.columns == {"path": "path", "conversions": "conversions", "value": None,
                                               "nulls": "nulls"}
    assert any(m.startswith("reading big.csv") for m in messages)
    assert "read 131,072 rows" in messages and messages[-1] == f"parsing {n:,} paths"
    expected = attribution.path_table(paths, conversions, nulls=nulls)
    assert read.table.channels == expected.channels
    np.testing.assert_array_equal(read.table.touches, expected.touches)
    np.testing.assert_array_equal(read.table.conversions, expected.conversions)


def test_the_reader_raises_file_and_input_errors_apart(tmp_path):
    with pytest.raises(InputFileError):
        read_touchpoints(tmp_path / "none.csv")
    with pytest.raises(XhsInputError, match="no user column"):
        read_touchpoints(write_csv(tmp_path / "p.csv", [HEADER, *ROWS]))


def test_reading_in_small_chunks_gives_the_same_journeys(tmp_path, monkeypatch):
    from xhsxl.workbook import journey_files

    # Numeric ids in some chunks and text ids in others must still name the same users; "007" is not "7".
    ids = {"ann": "7", "bo": "007", "cy": "cy"}
    rows = [TOUCHES[0], [], *([ids[row[0]], *row[1:]] for row in TOUCHES[1:])]
    source = write_csv(tmp_path / "t.csv", rows)
    whole = read_touchpoints(source)
    monkeypatch.setattr(journey_files, "_CHUNK", 2)
    chunked = read_touchpoints(source)
    assert chunked.table.path_strings() == whole.table.path_strings()
    body = TOUCHES[1:]
    expected = attribution.journeys_from_touchpoints(
        [ids[r[0]] for r in body], [r[1] for r in body], [r[2] for r in body], [r[3] in ("1", "TRUE") for r in body],
        [float(r[4]) if r[4] else None for r in body])
    assert sorted(chunked.table.path_strings()) == sorted(expected.path_strings())
    np.testing.assert_array_equal(np.sort(chunked.table.conversions), np.sort(expected.conversions))
    paths = write_csv(tmp_path / "p.csv", [["Exported 2024-06-01"], [], HEADER, *ROWS[:5], [], *ROWS[5:]])
    read = read_path_table(paths)
    assert read.rows == len(ROWS) and read.table.path_strings() == TABLE.path_strings()

"""Batch generation: good rows all written and correct, bad rows all reported, nothing lost or half-written."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula
from typer.testing import CliRunner

from xhsxl.cli import app
from xhsxl.workbook.batch import BatchResult, Outcome, run_batch, summary_workbook
from xhsxl.workbook.read import read_inputs
from xhsxl.workbook.recalc import recalculate
from xhsxl.workbook.safe_files import TEMP_PREFIX
from xhsxl.workbook.static import static_mismatches
from xhsxl.workbook.template import workbook_bytes

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "workbooks" / "examples" / "clients.csv"

HEADER = ["client_name", "brand_stage", "creator_fees", "content_production", "paid_ads", "impressions", "clicks",
          "conversions", "direct_revenue", "gross_margin"]
ROWS = [
    ["Acme Beauty", "growth", "250000", "100,000", "¥70,000", "6200000", "85000", "4200", "1680000", "60%"],
    ["", "growth", "1000", "0", "0", "10", "1", "1", "100", "0.5"],  # missing client name
    ["Text Cost", "growth", "lots", "0", "0", "10", "1", "1", "100", "0.5"],  # text in a number
    ["Negative", "growth", "-5", "0", "0", "10", "1", "1", "100", "0.5"],  # negative cost
    ["Teen Brand", "teenage", "1000", "0", "0", "10", "1", "1", "100", "0.5"],  # unknown stage
    ["acme beauty", "growth", "1000", "0", "0", "10", "1", "1", "100", "0.5"],  # duplicate client
    ['=HYPERLINK("http://x","y")', "成长期", "1000", "500", "0", "10", "1", "1", "3000", "0.5"],  # formula-like
    ["../../etc/passwd", "maturity", "2000", "0", "0", "10", "1", "1", "100", "0.5"],  # path-like
    ["Two Faults", "growth", "-1", "0", "0", "10", "1", "1", "100", "300%"],  # two problems in one row
    ["CON", "cold_start", "900", "0", "0", "0", "0", "0", "0", "0.4"],  # Windows device name, no results
]
BAD = {3: "client_name", 4: "creator_fees", 5: "creator_fees", 6: "brand_stage", 7: "client_name", 10: "creator_fees"}


def write_csv(path, rows=ROWS, header=HEADER, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args):
    return CliRunner().invoke(app, ["batch", *map(str, args)], terminal_width=200)


def test_good_rows_are_written_bad_rows_reported_with_their_column_and_exit_2(tmp_path):
    out = tmp_path / "out"
    result = run(write_csv(tmp_path / "clients.csv"), "--out", out, "--jobs", "1")
    assert result.exit_code == 2, result.output
    written = sorted(p.name for p in out.glob("*.xlsx") if p.name != "summary.xlsx")
    assert written == sorted(["Acme-Beauty.xlsx", "HYPERLINK-http-x-y.xlsx", "etc-passwd.xlsx", "CON-client.xlsx"])
    with open(out / "errors.csv", encoding="utf-8-sig", newline="") as handle:
        problems = list(csv.DictReader(handle))
    by_row = {}
    for problem in problems:
        by_row.setdefault(int(problem["row"]), []).append(problem)
    assert set(by_row) == set(BAD)
    for row, column in BAD.items():
        assert column in [p["column"] for p in by_row[row]], row
    assert {p["column"] for p in by_row[10]} == {"creator_fees", "gross_margin"}  # every problem of the row
    assert "duplicate of row 2" in by_row[7][0]["reason"]
    assert "row 4, creator_fees" in " ".join(result.output.split())


def test_every_written_workbook_holds_its_row_and_recalculates_to_the_core(tmp_path):
    out = tmp_path / "out"
    result = run_batch(write_csv(tmp_path / "clients.csv"), out, jobs=2)
    written = [o for o in result.outcomes if o.status == "written"]
    assert len(written) == 4
    for outcome in written:
        campaign = read_inputs(outcome.path).campaign
        assert campaign is not None and campaign.client_name == outcome.client
        recalculated = recalculate(outcome.path)
        assert recalculated.errors == []
        assert static_mismatches(campaign, recalculated) == []
        assert outcome.headline["roi"] == campaign.results()["roi"]
    formula_like = next(o for o in written if o.client.startswith("="))
    assert formula_like.client == '=HYPERLINK("http://x","y")'
    assert all(Path(o.path).resolve().parent == out.resolve() for o in written)


def test_summary_links_every_workbook_and_compares_clients_in_a_chart(tmp_path):
    out = tmp_path / "out"
    run_batch(write_csv(tmp_path / "clients.csv"), out, jobs=1)
    ws = load_workbook(out / "summary.xlsx")["Summary"]
    links = {c.value: c.hyperlink.target for row in ws.iter_rows(min_row=5) for c in row if c.hyperlink}
    assert set(links) == {"Acme-Beauty.xlsx", "HYPERLINK-http-x-y.xlsx", "etc-passwd.xlsx", "CON-client.xlsx"}
    assert all(links[name] == name for name in links)
    clients = [ws.cell(r, 2).value for r in range(5, ws.max_row + 1) if ws.cell(r, 2).value]
    assert '=HYPERLINK("http://x","y")' in clients  # stored as text, not as a formula
    ranking = load_workbook(out / "summary.xlsx")["Ranking"]
    rois = [ranking.cell(r, 3).value for r in range(4, ranking.max_row + 1)]
    assert len(rois) == 4 and rois == sorted(rois, reverse=True)
    assert ranking.cell(4, 4).hyperlink.target == ranking.cell(4, 4).value
    assert len(ranking._charts) == 1


def test_a_large_batch_charts_its_highest_and_lowest_roi_not_every_client(tmp_path):
    outcomes = [Outcome(row=i + 2, client=f"Brand {i:03d}", status="written", path=tmp_path / f"Brand-{i:03d}.xlsx",
                        headline={"roi": (i * 37 % 101) / 10 - 1}) for i in range(120)]
    result = BatchResult(None, outcomes, [], tmp_path / "summary.xlsx", tmp_path / "errors.csv")
    path = tmp_path / "summary.xlsx"
    path.write_bytes(workbook_bytes(summary_workbook(result)))
    ranking = load_workbook(path)["Ranking"]
    rois = [ranking.cell(r, 3).value for r in range(4, 124)]
    assert rois == pytest.approx(sorted((o.headline["roi"] for o in outcomes), reverse=True), rel=1e-15)
    charts = summary_workbook(result)["Ranking"]._charts
    assert len(charts) == 2 and all(chart.height < 20 for chart in charts)
    assert [c.title.tx.rich.p[0].r[0].t for c in charts] == ["The 25 highest ROI of 120 · 最高",
                                                           "The 25 lowest ROI of 120 · 最低"]


def test_existing_workbooks_are_kept_unless_overwrite_and_the_row_is_reported(tmp_path):
    source = write_csv(tmp_path / "clients.csv", ROWS[:1])
    out = tmp_path / "out"
    assert run(source, "--out", out).exit_code == 0
    target = out / "Acme-Beauty.xlsx"
    target.write_bytes(b"the analyst's own edits")
    again = run(source, "--out", out)
    assert again.exit_code == 0
    assert target.read_bytes() == b"the analyst's own edits"
    assert "already exists and was kept" in " ".join(again.output.split())
    assert run(source, "--out", out, "--overwrite").exit_code == 0
    assert load_workbook(target)["Inputs"] is not None


def test_same_input_gives_byte_identical_outputs(tmp_path):
    source = write_csv(tmp_path / "clients.csv")
    first, second = tmp_path / "a", tmp_path / "b"
    run_batch(source, first, jobs=2)
    run_batch(source, second, jobs=1)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_gbk_and_bom_csv_give_the_same_workbooks_as_utf8(tmp_path):
    rows = [["花漾肌 Bloom Skin", "成长期", "120000", "40000", "30000", "2100000", "30000", "1200", "560000", "0.62"]]
    outputs = []
    for encoding in ("utf-8", "utf-8-sig", "gbk"):
        out = tmp_path / encoding
        run_batch(write_csv(tmp_path / f"{encoding}.csv", rows, encoding=encoding), out, jobs=1)
        outputs.append((out / "花漾肌-Bloom-Skin.xlsx").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_only_restricts_the_run_to_named_clients(tmp_path):
    out = tmp_path / "out"
    result = run(write_csv(tmp_path / "clients.csv"), "--out", out, "--only", "con", "--only", "Nobody")
    assert sorted(p.name for p in out.glob("*.xlsx")) == ["CON-client.xlsx", "summary.xlsx"]
    assert "matches no client" in " ".join(result.output.split()) and result.exit_code == 0
    # a name shared by a good row and its rejected duplicate selects both, and the duplicate is reported
    both = run(write_csv(tmp_path / "clients.csv"), "--out", tmp_path / "two", "--only", "ACME BEAUTY")
    assert both.exit_code == 2 and (tmp_path / "two" / "Acme-Beauty.xlsx").exists()


def test_static_batch_writes_values_in_place_of_xhs_formulas(tmp_path):
    out = tmp_path / "out"
    result = run_batch(write_csv(tmp_path / "clients.csv", ROWS[:1]), out, static=True, jobs=1)
    workbook = load_workbook(result.outcomes[0].path)
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                assert not (isinstance(text, str) and text.startswith("=") and "XHS_" in text)
    # ROI has a closed form: a native formula the copy's own engine computes to the batch's headline.
    roi = recalculate(result.outcomes[0].path).value("Results", "C7")
    assert roi == pytest.approx(result.outcomes[0].headline["roi"])


def test_an_unreadable_table_exits_1(tmp_path):
    bad = tmp_path / "clients.xlsx"
    bad.write_bytes(b"not a workbook")
    result = run(bad, "--out", tmp_path / "out")
    assert result.exit_code == 1 and "error" in result.output


def test_markup_in_cells_and_headers_is_printed_as_written(tmp_path):
    rows = [["[/] Brand", "growth", "[bold]lots[/]", "0", "0", "10", "1", "1", "100", "0.5"],
            ["Good [b]", "growth", "1000", "0", "0", "10", "1", "1", "100", "0.5"]]
    result = run(write_csv(tmp_path / "clients.csv", rows, HEADER + ["[/]extra"]), "--out", tmp_path / "out",
                 "--jobs", "1")
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    output = " ".join(result.output.split())
    assert "[bold]lots[/]" in output and "Good [b]" in output and "[/]extra" in output


def test_a_control_character_in_one_client_name_is_that_rows_problem(tmp_path):
    rows = [["Bell\x07 Co", "growth", "1000", "0", "0", "10", "1", "1", "100", "0.5"],
            ["Good", "growth", "1000", "0", "0", "10", "1", "1", "100", "0.5"]]
    result = run(write_csv(tmp_path / "clients.csv", rows), "--out", tmp_path / "out", "--jobs", "1")
    assert result.exit_code in (0, 2), result.output
    assert "\x07" not in result.output  # shown escaped, never sent to the terminal


def test_format_json_reports_every_client_with_numbers_as_numbers(tmp_path):
    import json

    result = CliRunner().invoke(app, ["batch", str(write_csv(tmp_path / "clients.csv")), "--out",
                                      str(tmp_path / "out"), "--jobs", "1", "--format", "json"])
    assert result.exit_code == 2
    status, headline = json.loads(result.stdout)
    assert {row["status"]: row["clients"] for row in status["rows"]}["written"] == 4
    acme = next(row for row in headline["rows"] if row["client"] == "Acme Beauty")
    assert acme["roi"] == pytest.approx(1_680_000 / 420_000 - 1) and acme["workbook"] == "Acme-Beauty.xlsx"


def _children(pid):
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.update(int(c) for c in text)
    return children


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find the worker processes")
def test_a_killed_worker_leaves_no_partial_workbook_and_a_rerun_completes(tmp_path):
    rows = [[f"Client {i:03d}", "growth", "100000", "50000", "20000", "1000000", "20000", "800", "400000", "0.5"]
            for i in range(400)]
    source = write_csv(tmp_path / "many.csv", rows)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "xhsxl.cli", "batch", str(source), "--out", str(out), "--jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(out.glob("Client-*.xlsx"))) < 10:
            time.sleep(0.05)
        workers = _children(process.pid)
        assert workers, "the batch should be running worker processes"
        os.kill(sorted(workers)[0], signal.SIGKILL)
        assert process.wait(timeout=120) != 0
    finally:
        if process.poll() is None:
            process.kill()
    partial = [p.name for p in out.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert all(not name.endswith(".xlsx") for name in partial), partial  # a temporary is never an .xlsx
    for path in out.glob("*.xlsx"):  # every workbook there is whole
        load_workbook(path, read_only=True).close()
    assert len(list(out.glob("Client-*.xlsx"))) < len(rows)
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert len(list(out.glob("Client-*.xlsx"))) == len(rows)
    assert not list(out.glob(TEMP_PREFIX + "*"))


def test_planned_announces_exactly_the_outcomes_progress_then_reports(tmp_path):
    source = write_csv(tmp_path / "clients.csv")
    for only in ((), ("acme beauty", "con")):
        announced, reported = [], []
        run_batch(source, tmp_path / f"out{len(only)}", jobs=2, only=only, progress=reported.append,
                  planned=announced.append)
        assert announced == [len(reported)] and len(reported) == (len(ROWS) if not only else 3)


def test_a_log_gets_one_plain_line_per_client_with_its_row_verb_and_file(tmp_path):
    rows = [["Bell\x07 Co", "growth", "1000", "0", "0", "10", "1", "1", "100", "0.5"],
            ["[b]Good[/b] " + "x" * 150, "growth", "1000", "0", "0", "10", "1", "1", "100", "0.5"],
            ["Acme", "growth", "1000", "0", "0", "10", "1", "1", "100", "0.5"]]
    result = run(write_csv(tmp_path / "clients.csv", rows), "--out", tmp_path / "out", "--jobs", "1")
    lines = [line for line in result.stdout.splitlines() if line.startswith("row ")]
    # rejected rows are known first; a control character is shown escaped, markup as written, a long name cut
    assert lines[0] == "row 2: rejected Bell\\x07 Co"
    assert lines[1].startswith("row 3: wrote [b]Good[/b] xxx") and "…" in lines[1]
    assert "… -> b-Good-b-" in lines[1] and lines[1].endswith(".xlsx")  # one line, however long
    assert lines[2] == "row 4: wrote Acme -> Acme.xlsx"
    assert len(lines) == 3


@pytest.mark.parametrize("count, jobs", [(1, 2), (7, 2), (1000, 2), (1000, 3), (401, 8)])
def test_chunks_carry_every_client_once_in_order_and_shrink_towards_the_end(count, jobs):
    from xhsxl.workbook.batch import CHUNK_CLIENTS, _chunks

    chunks = _chunks(list(range(count)), jobs)
    assert [task for chunk in chunks for task in chunk] == list(range(count))
    sizes = [len(chunk) for chunk in chunks]
    assert sizes == sorted(sizes, reverse=True) and max(sizes) <= CHUNK_CLIENTS and sizes[-1] == 1

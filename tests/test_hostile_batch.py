"""Hostile input to the batch: links, unwritable targets, busy folders and dead parents cost one row, never a
client's file, never the run, never a traceback."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from xhsxl.cli import app
from xhsxl.workbook import batch as batch_module
from xhsxl.workbook.batch import LOCK_NAME, FolderBusyError, output_folder_lock, run_batch
from xhsxl.workbook.safe_files import UnsafePathError, safe_path

HEADER = ["client_name", "brand_stage", "creator_fees", "content_production", "paid_ads", "impressions", "clicks",
          "conversions", "direct_revenue", "gross_margin"]


def client(name, revenue="1680000"):
    return [name, "growth", "250000", "100000", "70000", "6200000", "85000", "4200", revenue, "0.6"]


def write_csv(path, rows, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def errors_of(out):
    with open(out / "errors.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def cli(*args):
    return CliRunner().invoke(app, [*map(str, args)], terminal_width=200)


def assert_no_traceback(result):
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# ------------------------------------------------------------------------------------------- never through a link
def test_a_symlink_to_another_clients_workbook_is_that_rows_problem_and_never_followed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    source = write_csv(tmp_path / "clients.csv", [client("Acme"), client("Zed", revenue="999")])
    run_batch(source, out, jobs=1)
    acme_before = (out / "Acme.xlsx").read_bytes()
    (out / "Zed.xlsx").unlink()
    (out / "Zed.xlsx").symlink_to("Acme.xlsx")
    result = cli("batch", source, "--out", out, "--jobs", "1", "--overwrite")
    assert_no_traceback(result)
    assert result.exit_code == 2, result.output
    assert (out / "Zed.xlsx").is_symlink()
    # Acme's file is Acme's workbook, rewritten from Acme's row, never Zed's
    assert load_workbook(out / "Acme.xlsx")["Inputs"] is not None
    assert (out / "Acme.xlsx").read_bytes() == acme_before
    problems = errors_of(out)
    assert [(p["row"], "symbolic link" in p["reason"]) for p in problems] == [("3", True)]
    assert "wrote Zed -> Acme.xlsx" not in result.output


def test_a_symlink_pointing_outside_the_folder_is_a_row_problem_not_a_traceback(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    secret = tmp_path / "secret.xlsx"
    secret.write_bytes(b"keep me")
    (out / "Zed.xlsx").symlink_to(secret)
    source = write_csv(tmp_path / "clients.csv", [client("Acme"), client("Zed")])
    result = cli("batch", source, "--out", out, "--jobs", "1", "--overwrite")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert secret.read_bytes() == b"keep me"
    assert (out / "Acme.xlsx").is_file() and (out / "summary.xlsx").is_file()
    assert ["3"] == [p["row"] for p in errors_of(out)]


def test_a_dangling_symlink_is_not_written_through(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "Zed.xlsx").symlink_to(tmp_path / "elsewhere.xlsx")
    result = run_batch(write_csv(tmp_path / "clients.csv", [client("Zed")]), out, jobs=1, overwrite=True)
    assert not (tmp_path / "elsewhere.xlsx").exists()
    assert [o.status for o in result.outcomes] == ["failed"]


def test_safe_path_refuses_a_link_inside_the_folder_and_returns_the_chosen_name(tmp_path):
    (tmp_path / "Acme.xlsx").write_bytes(b"")
    (tmp_path / "Zed.xlsx").symlink_to("Acme.xlsx")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        safe_path(tmp_path, "Zed")
    assert safe_path(tmp_path, "Acme").name == "Acme.xlsx"


def test_a_folder_where_a_workbook_would_go_is_that_rows_problem(tmp_path):
    out = tmp_path / "out"
    (out / "Zed.xlsx").mkdir(parents=True)
    result = run_batch(write_csv(tmp_path / "clients.csv", [client("Acme"), client("Zed")]), out, jobs=1)
    assert [o.status for o in result.outcomes] == ["written", "failed"]
    assert "folder" in result.outcomes[1].problems[0].reason
    assert result.exit_code == 2


# ------------------------------------------------------------------------------------------- unwritable targets
def test_an_unwritable_target_is_that_rows_problem_the_rest_written_and_the_reports_complete(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = batch_module.atomic_write

    def refuse_one(target, write, overwrite=False):
        if Path(target).name == "Client-03.xlsx":
            raise PermissionError(13, "Permission denied", str(target))
        return real(target, write, overwrite)

    monkeypatch.setattr(batch_module, "atomic_write", refuse_one)
    source = write_csv(tmp_path / "clients.csv", [client(f"Client {i:02d}") for i in range(1, 14)])
    result = cli("batch", source, "--out", out, "--jobs", "1")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert len([p for p in out.glob("Client-*.xlsx")]) == 12
    summary = load_workbook(out / "summary.xlsx")["Summary"]
    statuses = [summary.cell(row, 5).value for row in range(5, 18)]
    assert statuses.count("written") == 12 and statuses.count("not written") == 1
    (problem,) = errors_of(out)
    assert problem["row"] == "4" and "permission denied" in problem["reason"]


def test_a_full_disk_for_one_row_is_that_rows_problem(tmp_path, monkeypatch):
    real = batch_module.atomic_write

    def full(target, write, overwrite=False):
        if Path(target).name == "Zed.xlsx":
            raise OSError(28, "No space left on device")
        return real(target, write, overwrite)

    monkeypatch.setattr(batch_module, "atomic_write", full)
    result = run_batch(write_csv(tmp_path / "c.csv", [client("Acme"), client("Zed")]), tmp_path / "out", jobs=1)
    assert [o.status for o in result.outcomes] == ["written", "failed"]
    assert "disk is full" in result.outcomes[1].problems[0].reason


def test_an_output_folder_that_is_a_file_is_one_located_line_exit_1(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder")
    result = cli("batch", write_csv(tmp_path / "c.csv", [client("Acme")]), "--out", out)
    assert_no_traceback(result)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and str(out) in lines[0] and "--overwrite" not in lines[0], result.output


def test_a_missing_parent_folder_is_created(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    result = run_batch(write_csv(tmp_path / "c.csv", [client("Acme")]), out, jobs=1)
    assert result.exit_code == 0 and (out / "Acme.xlsx").is_file()


def test_a_summary_that_cannot_be_written_is_one_located_line(tmp_path):
    out = tmp_path / "out"
    (out / "summary.xlsx").mkdir(parents=True)
    result = cli("batch", write_csv(tmp_path / "c.csv", [client("Acme")]), "--out", out)
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert "summary.xlsx" in result.output


# ------------------------------------------------------------------------------------------- concurrency
def test_a_second_batch_into_a_busy_folder_is_refused_naming_the_holders_pid(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with output_folder_lock(out):
        # a lock taken through another descriptor, as a second process would
        with pytest.raises(FolderBusyError, match=f"process {os.getpid()}"):
            with output_folder_lock(out):
                pass
        result = cli("batch", write_csv(tmp_path / "c.csv", [client("Acme")]), "--out", out)
        assert_no_traceback(result)
        assert result.exit_code == 1 and str(os.getpid()) in result.output
        assert not (out / "Acme.xlsx").exists()
    assert (out / LOCK_NAME).exists()
    assert run_batch(tmp_path / "c.csv", out, jobs=1).exit_code == 0  # released when the first run ends


def test_a_symlinked_lock_file_is_refused_and_not_followed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out / LOCK_NAME).symlink_to(victim)
    with pytest.raises(FolderBusyError, match="symbolic link"):
        run_batch(write_csv(tmp_path / "c.csv", [client("Acme")]), out, jobs=1)
    assert victim.read_text() == "keep"


def test_a_table_beyond_excels_row_limit_is_refused_before_any_workbook_is_built(tmp_path, monkeypatch):
    from xhsxl.workbook import clients as clients_module

    monkeypatch.setattr(clients_module, "MAX_CLIENT_ROWS", 3)
    out = tmp_path / "out"
    source = write_csv(tmp_path / "c.csv", [client(f"C{i}") for i in range(4)])
    result = cli("batch", source, "--out", out)
    assert_no_traceback(result)
    assert result.exit_code == 1 and "split the table" in result.output
    assert not out.exists()


def _children(pid):
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(int(c) for c in (task / "children").read_text().split())
    return children


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find the worker processes")
def test_workers_exit_when_the_batch_process_is_killed(tmp_path):
    rows = [client(f"Client {i:03d}") for i in range(300)]
    source = write_csv(tmp_path / "many.csv", rows)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "xhsxl.cli", "batch", str(source), "--out", str(out), "--jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(out.glob("Client-*.xlsx"))) < 5:
            time.sleep(0.05)
        workers = _children(process.pid)
        assert workers
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() and
                                                  "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]
                                                  for w in workers if Path(f"/proc/{w}").exists()):
            time.sleep(0.1)
        alive = [w for w in workers if Path(f"/proc/{w}").exists()
                 and Path(f"/proc/{w}/stat").read_text().split()[2] != "Z"]
        assert not alive, alive
    finally:
        for worker in workers:
            try:
                os.kill(worker, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

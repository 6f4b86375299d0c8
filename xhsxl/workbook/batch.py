"""Batch generation: a table of clients in, one finished workbook per client and a summary out, nothing lost.

:func:`run_batch` reads the table (:mod:`xhsxl.workbook.clients`), gives every good row a safe, unique
file name (:mod:`xhsxl.workbook.safe_files`), builds the workbooks in worker processes — each worker builds
the layout once and binds one client after another (:class:`~xhsxl.workbook.template.WorkbookFactory`) —
writes each file atomically, and finishes with ``summary.xlsx`` (headline KPIs, a link to every workbook,
the clients ranked by ROI with charts comparing them) and ``errors.csv`` (every problem: row, column, value,
reason).

A bad row never stops a good one — nor does a row whose file cannot be written (read-only, a folder or a
symlink in its place: never followed, so one client's workbook never lands in another's file); an existing
workbook is never replaced without ``overwrite``; a run that is killed leaves only temporary files, which the
next run removes. One run at a time writes into a folder (:func:`output_folder_lock`), and worker processes
stop when the run that started them dies. The same input gives the same bytes.
"""

from __future__ import annotations

import copy
import csv
import errno
import gc
import io
import math
import os
import re
import sys
import threading
import time
import unicodedata
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Iterator, Literal, Sequence
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from xhsxl.core.errors import XhsInputError
from xhsxl.excel.errors import Problem
from xhsxl.schema import HEADLINE_METRICS, NUMBER_FORMATS, OUTPUTS, ClientCampaign
from xhsxl.workbook.clients import MAX_CLIENT_ROWS, ROW_COLUMN, ClientTable, read_clients
from xhsxl.workbook.safe_files import (UnsafePathError, atomic_write, clean_stray_temps, create_temp, safe_path,
                                        slugify, unique_names, unsafe_entry)
from xhsxl.workbook.sheets.kit import LABELS, LINE_HEIGHT, shown_as, wrapped_lines
from xhsxl.workbook.template import WorkbookFactory, _serialise, write_text

__all__ = ["Outcome", "BatchResult", "HEADLINE", "run_batch", "SUMMARY_NAME", "ERRORS_NAME", "LOCK_NAME",
           "MAX_CLIENT_ROWS", "FolderBusyError", "output_folder_lock"]

SUMMARY_NAME = "summary"
ERRORS_NAME = "errors"

#: The file a running batch holds locked in its output folder, with its process id in it.
LOCK_NAME = ".xhsxl-batch.lock"


class FolderBusyError(OSError):
    """Another batch is writing into the output folder; the message names its process id."""

#: The KPIs the summary shows per client, in column order: the schema's headline, as on the Dashboard.
HEADLINE: tuple[str, ...] = HEADLINE_METRICS

Status = Literal["written", "skipped", "rejected", "failed"]


@dataclass(frozen=True)
class Outcome:
    """What became of one row of the table."""

    row: int
    client: str
    status: Status
    path: Path | None = None
    headline: dict[str, float | None] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    campaign_name: str = ""
    stage: str = ""


@dataclass(frozen=True)
class BatchResult:
    table: ClientTable
    outcomes: list[Outcome]
    cleaned: list[Path]
    summary: Path
    errors: Path
    not_found: tuple[str, ...] = ()

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def problems(self) -> list[Problem]:
        """Every problem of the run in row order: the table's, each rejected row's, each skipped file."""
        found = list(self.table.problems)
        for outcome in self.outcomes:
            found.extend(outcome.problems)
        return sorted(found, key=lambda p: (p.row, p.column))

    @property
    def exit_code(self) -> int:
        """0 when every row was written (or kept as it was), 2 when any row was rejected or not written."""
        return 2 if self.count("rejected") or self.count("failed") else 0


@dataclass(frozen=True)
class _Task:
    row: int
    campaign: ClientCampaign
    target: str
    static: bool
    overwrite: bool
    example: bool = False


_FACTORIES: dict[tuple[bool, bool], WorkbookFactory] = {}


def _factory(static: bool, example: bool = False) -> WorkbookFactory:
    """One factory per process and mode (static or live, with or without the worked examples): the layout is
    built once, then bound to each client."""
    if (static, example) not in _FACTORIES:
        _FACTORIES[static, example] = WorkbookFactory(static, example)
    return _FACTORIES[static, example]


def _headline(campaign: ClientCampaign) -> dict[str, float | None]:
    results = campaign.results()
    return {key: results[key] for key in HEADLINE}


def _build(task: _Task) -> Outcome:
    """Build and write one client's workbook (runs in a worker process)."""
    campaign = task.campaign
    common = {"row": task.row, "client": campaign.client_name, "campaign_name": campaign.campaign_name,
              "stage": campaign.brand_stage}
    try:
        headline = _headline(campaign)
    except XhsInputError as error:
        # Valid fields whose combination cannot be computed (an overflow from absurd magnitudes).
        return Outcome(status="rejected", problems=(Problem(task.row, ROW_COLUMN, None, str(error)),), **common)
    target = Path(task.target)
    # Checked again just before writing: the folder may have changed since the names were chosen.
    refusal = unsafe_entry(target)
    if refusal:
        return _failed(task, refusal)
    data = _factory(task.static, task.example).workbook_bytes(campaign)
    try:
        atomic_write(target, lambda temp: temp.write_bytes(data), task.overwrite)
    except FileExistsError:
        if unsafe_entry(target):  # a link or folder that appeared while the workbook was being built
            return _failed(task, unsafe_entry(target) or "")
        reason = f"{target.name} already exists and was kept; use --overwrite to replace it"
        return Outcome(status="skipped", path=target, headline=headline,
                       problems=(Problem(task.row, "(file)", target.name, reason),), **common)
    except OSError as error:
        # This row's file only (read-only, open in Excel on Windows, a folder in the way, the disk full):
        # the other rows are still written.
        return _failed(task, write_failure(target, error))
    return Outcome(status="written", path=target, headline=headline, **common)


#: What to do about a file that cannot be written, by the operating system's reason.
_WRITE_FAILURES = {
    errno.EACCES: "permission denied: it is read-only, or open in another program such as Excel; close it or "
                  "make it writable and run again",
    errno.EPERM: "not permitted: it is read-only, locked or open in another program; close it and run again",
    errno.EISDIR: "a folder of that name is in the way; remove or rename it and run again",
    errno.ENOTDIR: "a file is in the way of the folder; remove or rename it and run again",
    errno.ENOSPC: "the disk is full; free some space and run again",
    errno.EDQUOT: "the disk quota is used up; free some space and run again",
    errno.EROFS: "the file system is read-only; choose another --out folder",
    errno.ENAMETOOLONG: "the name is too long for this file system",
}


def write_failure(target: Path, error: OSError) -> str:
    """One sentence on why ``target`` was not written and what to do about it."""
    reason = _WRITE_FAILURES.get(error.errno or 0, error.strerror or type(error).__name__)
    return f"{target.name} was not written: {reason}"


def _build_many(tasks: Sequence[_Task]) -> list[Outcome]:
    return [_build(task) for task in tasks]


def _warm(static: bool, example: bool, parent: int) -> None:
    _exit_with_parent(parent)
    _factory(static, example)
    # Everything alive now (the modules, the layout) lives as long as the worker: the collector need not look
    # at it again after each few hundred workbooks, nor copy the pages shared with the parent by looking.
    gc.freeze()


#: How often a worker checks that the run which started it is still alive, in seconds.
PARENT_CHECK_SECONDS = 0.5


def _exit_with_parent(parent: int) -> None:
    """Stop this worker process soon after ``parent`` dies (killed with -9, say) instead of living on as an
    orphan: a daemon thread watches for the worker being handed to another parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)  # no clean-up to run: a half-written file is a temporary one, removed by the next run

    threading.Thread(target=watch, name="xhsxl-parent-watch", daemon=True).start()


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().strip()


def run_batch(
    clients: Path | str,
    out_dir: Path | str,
    static: bool = False,
    jobs: int | None = None,
    overwrite: bool = False,
    only: Iterable[str] = (),
    sheet: str | None = None,
    progress: Callable[[Outcome], None] | None = None,
    example: bool = False,
    encoding: str | None = None,
    planned: Callable[[int], None] | None = None,
) -> BatchResult:
    """Write one workbook per good row of ``clients`` into ``out_dir``, then the summary and errors files.

    Raises :class:`~xhsxl.workbook.clients.InputFileError` when the table cannot be read at all (or has more
    than :data:`~xhsxl.workbook.clients.MAX_CLIENT_ROWS` rows), an :class:`OSError` naming the folder when
    ``out_dir`` cannot be written at all (a file of that name, no permission, a read-only disk), and
    :class:`FolderBusyError` when another batch is writing into it. ``jobs`` worker processes build the
    workbooks (default: every core); ``only`` restricts the run to the named clients; ``progress`` is called
    with each row's outcome as it completes. The analyst's blocks (paths, touch log, checkpoints, past
    campaigns) start empty in every client's workbook unless ``example`` puts the worked examples in.
    ``encoding`` names a CSV or JSON table's encoding when it is not detected on its own. ``planned`` is
    called once, before any ``progress``, with the number of outcomes the run will report.
    """
    out = Path(out_dir)
    table = read_clients(clients, sheet, encoding)  # refuses a table beyond MAX_CLIENT_ROWS before validating it
    _prepare_folder(out)
    with output_folder_lock(out):
        return _run_locked(table, out, static, jobs, overwrite, only, progress, example, planned)


def _prepare_folder(out: Path) -> None:
    """Create ``out`` (and missing parents) and prove a file can be created there, before any work is done."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder; choose a folder for --out", str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
        os.unlink(create_temp(out, ""))
    except OSError as error:
        if error.filename is None or Path(str(error.filename)).name.startswith("."):
            # name the folder the user chose, not the probe's hidden name
            raise OSError(error.errno, error.strerror, str(out)) from None
        raise


@contextmanager
def output_folder_lock(out: Path) -> Iterator[None]:
    """Hold :data:`LOCK_NAME` in ``out`` locked for the run: a second batch into the same folder is refused
    with the first one's process id, instead of removing its temporary files as strays. The operating system
    releases the lock when the process ends however it ends, so a killed run never leaves the folder locked."""
    path = out / LOCK_NAME
    refusal = unsafe_entry(path)
    if refusal:
        raise FolderBusyError(errno.ELOOP, refusal, str(path))
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        if not _try_lock(descriptor):
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() if hasattr(os, "pread") else ""
            raise FolderBusyError(
                errno.EBUSY, f"another xhsxl batch (process {holder or 'unknown'}) is writing into this folder; wait "
                "for it to finish or choose another --out", str(out))
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        os.close(descriptor)  # closing releases the lock; the file stays, empty of meaning, for the next run


def _try_lock(descriptor: int) -> bool:
    """Take the lock on ``descriptor`` without waiting; False when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _run_locked(table: ClientTable, out: Path, static: bool, jobs: int | None, overwrite: bool,
                only: Iterable[str], progress: Callable[[Outcome], None] | None, example: bool,
                planned: Callable[[int], None] | None = None) -> BatchResult:
    cleaned = clean_stray_temps(out)

    # A good row is one with a campaign; pairing them keeps the campaign typed as present.
    good = [(row, row.campaign) for row in table.good_rows if row.campaign is not None]
    # Names come from every good row, so a client's file is the same with or without --only.
    stems = unique_names([slugify(campaign.client_name) for _, campaign in good], reserved=[SUMMARY_NAME, ERRORS_NAME])
    wanted = {_key(name) for name in only}
    found = {_key(campaign.client_name) for _, campaign in good} | {_key(row.client_name_raw) for row in table.bad_rows}
    not_found = tuple(sorted(name for name in only if _key(name) not in found))
    outcomes = [
        Outcome(row=row.row_number, client=row.client_name_raw, status="rejected", problems=tuple(row.problems))
        for row in table.bad_rows
        if not wanted or _key(row.client_name_raw) in wanted
    ]
    selected = [(row, campaign, stem) for (row, campaign), stem in zip(good, stems)
                if not wanted or _key(campaign.client_name) in wanted]
    # No more workers than clients, and none for a few: starting one takes longer than building a few workbooks.
    jobs = min(jobs or os.cpu_count() or 1, len(selected)) if len(selected) >= 4 else 1
    with _workers(jobs, static, example) as pool:
        tasks: list[_Task] = []
        for row, campaign, stem in selected:
            try:
                target = safe_path(out, stem)
            except UnsafePathError as error:  # a link or a folder where this client's file would go
                task = _Task(row.row_number, campaign, str(out / f"{stem}.xlsx"), static, overwrite, example)
                outcomes.append(_failed(task, str(error)))
                continue
            tasks.append(_Task(row.row_number, campaign, str(target), static, overwrite, example))
        if planned:
            planned(len(outcomes) + len(tasks))
        if progress:
            for outcome in outcomes:
                progress(outcome)
        outcomes += _run_tasks(tasks, pool, jobs, progress)
    outcomes.sort(key=lambda o: o.row)

    result = BatchResult(table, outcomes, cleaned, out / f"{SUMMARY_NAME}.xlsx", out / f"{ERRORS_NAME}.csv", not_found)
    summary = summary_bytes(result)
    # The summary and the errors file describe the latest run: they are replaced, atomically, every time.
    _write_report(result.summary, summary)
    _write_report(result.errors, errors_csv(result.problems()))
    return result


def _write_report(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data``; an OSError names ``target`` (not the temporary file) and the reason."""
    refusal = unsafe_entry(target)
    if refusal:
        raise UnsafePathError(refusal)
    try:
        atomic_write(target, lambda temp: temp.write_bytes(data), overwrite=True)
    except OSError as error:
        raise OSError(error.errno, write_failure(target, error), str(target)) from None


@contextmanager
def _workers(jobs: int, static: bool, example: bool) -> Iterator[ProcessPoolExecutor | None]:
    """``jobs`` worker processes (None for one job: the workbooks are built in this process), started at
    once, so that they build their layouts while this process still checks the clients' file names."""
    if jobs <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_warm, initargs=(static, example, os.getpid())) as pool:
        pool.submit(os.getpid)  # nothing to do but start the workers (with fork, the first task starts them all)
        yield pool


def _run_tasks(tasks: list[_Task], pool: ProcessPoolExecutor | None, jobs: int,
               progress: Callable[[Outcome], None] | None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    if pool is None:
        for task in tasks:
            outcomes.append(_build(task))
            if progress:
                progress(outcomes[-1])
        return outcomes
    futures = {pool.submit(_build_many, chunk): chunk for chunk in _chunks(tasks, jobs)}
    for future in as_completed(futures):
        try:
            done = future.result()
        except BrokenProcessPool:
            done = [_failed(task, "the worker process building it stopped before it finished; run the batch "
                                  "again to write it") for task in futures[future]]
        for outcome in done:
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    return outcomes


#: Most clients one round trip to a worker carries: enough that the trips cost little, few enough that progress
#: shows.
CHUNK_CLIENTS = 25


def _chunks(tasks: list[_Task], jobs: int) -> list[list[_Task]]:
    """``tasks`` in chunks for ``jobs`` workers, smaller and smaller towards the end (a quarter of each worker's
    share of what is left, at most :data:`CHUNK_CLIENTS`): all the workers finish within a few workbooks of
    each other, instead of one of them building a whole last chunk alone."""
    chunks = []
    start = 0
    while start < len(tasks):
        size = max(1, min(CHUNK_CLIENTS, (len(tasks) - start) // (jobs * 4)))
        chunks.append(tasks[start:start + size])
        start += size
    return chunks


def _failed(task: _Task, reason: str) -> Outcome:
    return Outcome(row=task.row, client=task.campaign.client_name, status="failed",
                   problems=(Problem(task.row, "(file)", Path(task.target).name, reason),),
                   campaign_name=task.campaign.campaign_name, stage=task.campaign.brand_stage)


# ----------------------------------------------------------------------------------------- reports

_OUTPUT = {o.key: o for o in OUTPUTS}
_STATUS = {"written": "written", "skipped": "kept (existed)", "rejected": "rejected", "failed": "not written"}


def summary_workbook(result: BatchResult) -> Workbook:
    """One row per client: status, a link to its workbook, headline KPIs; and a sheet ranking them by ROI."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws["A1"] = "Clients · 客户汇总"
    ws["A1"].font = Font(name="Calibri", size=16, bold=True, color="C0392B")
    written = result.count("written")
    ws["A2"] = (f"{written} written, {result.count('skipped')} kept, {result.count('rejected')} rejected, "
                f"{result.count('failed')} not written — problems are listed in {result.errors.name}")
    ws["A2"].font = Font(name="Calibri", italic=True, color="6B7280")
    header = ["Row", "Client · 客户", "Campaign · 活动", "Stage · 阶段", "Status · 状态", "Workbook · 文件",
              *(f"{_OUTPUT[k].label_en} · {_OUTPUT[k].label_zh}" for k in HEADLINE)]
    for column, name in enumerate(header, start=1):
        cell = ws.cell(4, column, name.replace(" · ", "\n"))  # English over Chinese, neither broken mid-word
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C0392B")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    looks = _Looks()
    formats = [NUMBER_FORMATS[_OUTPUT[key].unit] for key in HEADLINE]
    row = 5
    for outcome in result.outcomes:
        ws.cell(row, 1, outcome.row)
        _outside_text(ws.cell(row, 2), outcome.client)
        _outside_text(ws.cell(row, 3), outcome.campaign_name)
        stage = ws.cell(row, 4, outcome.stage)
        if outcome.stage in LABELS:  # the stage's key stays in the cell (a filter sorts by it); a person reads its label
            looks.give(stage, ("stage", outcome.stage), number_format=shown_as(LABELS[outcome.stage]))
        ws.cell(row, 5, _STATUS[outcome.status])
        if outcome.path is not None and outcome.status in ("written", "skipped"):
            _link(ws.cell(row, 6), outcome.path.name, looks)
        for offset, (key, number_format) in enumerate(zip(HEADLINE, formats)):
            value = outcome.headline.get(key)
            cell = ws.cell(row, 7 + offset, "n/a" if value is None and outcome.headline else value)
            looks.give(cell, ("format", number_format), number_format=number_format)
        row += 1
    last = row - 1
    ws.freeze_panes = "C5"
    ws.auto_filter.ref = f"A4:{ws.cell(4, len(header)).column_letter}{max(last, 5)}"
    widths = (6, 40, 46, 20, 14, 46, *(14,) * len(HEADLINE))
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(4, column).column_letter].width = width
    # Tall enough for the longest bilingual header wrapped in its column: a fixed height clipped them.
    ws.row_dimensions[4].height = LINE_HEIGHT * max(wrapped_lines(name.replace(" · ", "\n"), width, bold=True)
                                                    for name, width in zip(header, widths)) + 2
    _landscape(ws)
    _ranking_sheet(wb, result, looks)
    return wb


class _Looks:
    """The summary's cell styles, each made once and copied onto every cell that has it: registering a font or
    number format with the workbook (comparing it with every one already known) costs more than the rest of
    writing the cell, and a summary of a thousand clients has ten thousand styled cells."""

    def __init__(self) -> None:
        self._made: dict[Hashable, Any] = {}

    def give(self, cell: Cell, look: Hashable, **style: Any) -> None:
        """Style ``cell`` as ``look``: set ``style`` the first time, copy what that made afterwards. A look is
        always given to cells styled alike before (such as unstyled ones), so the copy is what setting would make."""
        made = self._made.get(look)
        if made is None:
            for name, value in style.items():
                setattr(cell, name, value)
            self._made[look] = copy.copy(cell._style)
        else:
            cell._style = copy.copy(made)


#: How a link to a client's workbook looks in the summary.
_LINK_FONT = Font(name="Calibri", color="1D4ED8", underline="single")


def _link(cell: Cell, name: str, looks: _Looks) -> None:
    """A relative link to the workbook ``name`` beside the summary: it keeps working when the folder moves."""
    cell.value = name
    cell.hyperlink = name
    looks.give(cell, ("link",), font=_LINK_FONT)
    cell.data_type = "s"  # a file name is text, even one that starts like a formula


def summary_bytes(result: BatchResult) -> bytes:
    """``summary.xlsx``: :func:`summary_workbook` serialised with its plain cells written straight as text
    (:class:`_PlainCellsWorksheetWriter`) — the bytes ``workbook_bytes(summary_workbook(result))`` gives, in a fraction
    of the time for a batch of thousands of clients."""
    return _serialise(summary_workbook(result), _PlainCellsExcelWriter)


class _PlainCellsWorksheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer, except that a row of plain cells — numbers, text, styled blanks — is
    written as text directly. openpyxl builds an element tree for every cell and serialises it in pure Python:
    most of the time of a summary of a thousand clients. A row with anything else (a formula, a date, a
    boolean, rich text, a comment, a row height) goes through openpyxl's own cell writer, and so does every
    row when openpyxl writes with lxml. Tests hold the result to openpyxl's own bytes."""

    def __init__(self, ws: Any) -> None:
        super().__init__(ws, out=io.BytesIO())  # in memory: openpyxl would go through a temporary file

    def write_row(self, xf: Any, row: list[Cell], row_idx: int) -> None:
        # et_xmlfile's writer (the standard library's serialiser) keeps its text output as ``_file``.
        text: Callable[[str], object] | None = getattr(xf, "_file", None)
        written = None if text is None or row_idx in self.ws.row_dimensions else _plain_row(row, row_idx)
        if text is None or written is None:
            super().write_row(xf, row, row_idx)
            return
        for cell in row:
            if cell.hyperlink:
                self.ws._hyperlinks.append(cell.hyperlink)  # as openpyxl's cell writer collects them
        text(written)

    def cleanup(self) -> None:
        pass  # nothing on disk to remove


def _plain_row(row: list[Cell], row_idx: int) -> str | None:
    """``<row>`` with its cells as openpyxl writes them with the standard library, or None when a cell is not a
    plain number, text or styled blank."""
    parts = [f'<row r="{row_idx}">']
    for cell in row:
        value = cell._value
        styled = cell.has_style
        if cell._comment is not None:
            return None
        if value is None and not styled:
            continue  # openpyxl writes no element for it
        style = f' s="{cell.style_id}"' if styled else ""
        if cell.data_type == "n" and (value is None or (type(value) in (int, float) and math.isfinite(value))):
            parts.append(f'<c r="{cell.coordinate}"{style} t="n" />' if value is None else
                         f'<c r="{cell.coordinate}"{style} t="n"><v>{"%.16g" % value}</v></c>')
        elif cell.data_type == "s" and type(value) is str:
            if value == "":
                parts.append(f'<c r="{cell.coordinate}"{style} t="inlineStr" />')
            else:
                # openpyxl marks text with leading or trailing white space to be kept as it is
                space = ' xml:space="preserve"' if value.strip() and value != value.strip() else ""
                parts.append(f'<c r="{cell.coordinate}"{style} t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>')
        else:
            return None
    parts.append("</row>")
    return "".join(parts)


class _PlainCellsExcelWriter(ExcelWriter):
    """openpyxl's workbook writer with :class:`_PlainCellsWorksheetWriter` for every worksheet."""

    def write_worksheet(self, ws: Any) -> None:
        # openpyxl's own steps (ExcelWriter.write_worksheet, normal mode) with the worksheet writer swapped.
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _PlainCellsWorksheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read())
        self.manifest.append(ws)


#: Most characters Excel holds in a cell; a longer one makes Excel report the file as damaged.
EXCEL_CELL_CHARS = 32_767


def _outside_text(cell: Any, text: str) -> None:
    """Client text into a summary cell, as text: a rejected row's name is as the file had it, so a control
    character (which the XLSX format cannot store) is shown as ``\\xNN`` and an overlong one is cut."""
    text = ILLEGAL_CHARACTERS_RE.sub(lambda match: f"\\x{ord(match.group(0)):02x}", str(text))
    if len(text) > EXCEL_CELL_CHARS:
        text = text[: EXCEL_CELL_CHARS - 1] + "…"
    write_text(cell, text)


#: Clients a ranking chart shows at most: a batch of more gets one chart of the highest and one of the lowest.
CHART_CLIENTS = 25


def _ranking_sheet(wb: Workbook, result: BatchResult, looks: _Looks) -> None:
    """Clients with results ranked by ROI, highest first, and bar charts comparing them (all of them up to twice
    ``CHART_CLIENTS``; beyond, the highest and the lowest, so no chart grows taller than a page)."""
    ranked = sorted((o for o in result.outcomes if o.headline), key=lambda o: (o.headline["roi"] is None,
                                                                              -(o.headline["roi"] or 0.0)))
    ws = wb.create_sheet("Ranking")
    roi_format = NUMBER_FORMATS["fraction"]
    ws["A1"] = "Clients ranked by ROI · 投资回报率排名"
    ws["A1"].font = Font(name="Calibri", size=16, bold=True, color="C0392B")
    for column, name in enumerate(("Rank · 排名", "Client · 客户", "ROI · 投资回报率", "Workbook · 文件"), start=1):
        cell = ws.cell(3, column, name)
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C0392B")
    for rank, outcome in enumerate(ranked, start=1):
        ws.cell(3 + rank, 1, rank)
        _outside_text(ws.cell(3 + rank, 2), outcome.client)
        roi = outcome.headline["roi"]
        looks.give(ws.cell(3 + rank, 3, "n/a" if roi is None else roi), ("format", roi_format),
                   number_format=roi_format)
        if outcome.path is not None:
            _link(ws.cell(3 + rank, 4), outcome.path.name, looks)
    for letter, width in zip("ABCD", (12, 40, 20, 46)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"
    with_roi = sum(1 for o in ranked if o.headline["roi"] is not None)
    if with_roi == 0:
        return
    if with_roi <= 2 * CHART_CLIENTS:
        spans = [("ROI by client · 各客户投资回报率", 1, with_roi)]
    else:
        spans = [(f"The {CHART_CLIENTS} highest ROI of {with_roi:,} · 最高", 1, CHART_CLIENTS),
                 (f"The {CHART_CLIENTS} lowest ROI of {with_roi:,} · 最低", with_roi - CHART_CLIENTS + 1, with_roi)]
    anchor = 3
    for title, first, final in spans:
        chart = BarChart()
        chart.type = "bar"
        chart.title = title
        chart.add_data(Reference(ws, min_col=3, min_row=3 + first, max_row=3 + final))
        chart.set_categories(Reference(ws, min_col=2, min_row=3 + first, max_row=3 + final))
        chart.x_axis.scaling.orientation = "maxMin"  # rank order from the top, as in the table
        chart.x_axis.tickLblPos = "low"  # client names at the edge, clear of bars below 0 %
        chart.y_axis.numFmt = "0%"
        chart.legend = None
        chart.width, chart.height = 18, 3 + 0.6 * (final - first + 1)
        ws.add_chart(chart, f"F{anchor}")
        anchor += int(chart.height / 0.5) + 2  # rows of about 0.5 cm
    _landscape(ws)


def _landscape(ws: Any) -> None:
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def errors_csv(problems: Sequence[Problem]) -> bytes:
    """``errors.csv``: one line per problem, UTF-8 with a byte-order mark so Excel shows Chinese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "column", "value", "reason"])
    for problem in problems:
        # Every field can carry outside text: a header is the column, a cell the value, and both are quoted
        # in the reason.
        row, column, value, reason = problem.record()
        writer.writerow([inert_csv_text(row), inert_csv_text(_quoted(column)), inert_csv_text(_quoted(value)),
                         inert_csv_text(reason)])
    return buffer.getvalue().encode("utf-8-sig")


#: Most characters of a cell or header errors.csv quotes: enough to find it in the file, never a pasted document.
MAX_QUOTED_CHARS = 100


def _quoted(text: str) -> str:
    return text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 1] + "…"


#: What makes a spreadsheet read a CSV field as a formula (or, after a tab or line break, as the start of one),
#: with the full-width forms that Excel in Chinese and Japanese locales also accepts.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def inert_csv_text(text: str) -> str:
    """``text`` as a CSV field a spreadsheet shows as text instead of running: a leading apostrophe before
    anything that starts like a formula. A plain number (``-5``, ``-1.5e3``) is left as it is, so a negative
    value still opens as a number."""
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text

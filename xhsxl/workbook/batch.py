"""Batch generation: a table of clients in, one finished workbook per client and a summary out, nothing lost.

:func:`run_batch` reads the table (:mod:`xhsxl.workbook.clients`), gives every good row a safe, unique
file name (:mod:`xhsxl.workbook.safe_files`), builds the workbooks in worker processes — each worker builds
the layout once and binds one client after another (:class:`~xhsxl.workbook.template.WorkbookFactory`) —
writes each file atomically, and finishes with ``summary.xlsx`` (headline KPIs, a link to every workbook,
the clients ranked by ROI with charts comparing them) and ``errors.csv`` (every problem: row, column, value,
reason).

A bad row never stops a good one; an existing workbook is never replaced without ``overwrite``; a run that
is killed leaves only temporary files, which the next run removes. The same input gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Sequence

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill

from xhsxl.core.errors import XhsInputError
from xhsxl.excel.errors import Problem
from xhsxl.schema import HEADLINE_METRICS, NUMBER_FORMATS, OUTPUTS, ClientCampaign
from xhsxl.workbook.clients import ROW_COLUMN, ClientTable, read_clients
from xhsxl.workbook.safe_files import atomic_write, clean_stray_temps, safe_path, slugify, unique_names
from xhsxl.workbook.sheets.kit import LABELS, LINE_HEIGHT, shown_as, wrapped_lines
from xhsxl.workbook.template import WorkbookFactory, workbook_bytes, write_text

__all__ = ["Outcome", "BatchResult", "HEADLINE", "run_batch", "SUMMARY_NAME", "ERRORS_NAME"]

SUMMARY_NAME = "summary"
ERRORS_NAME = "errors"

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
    data = _factory(task.static, task.example).workbook_bytes(campaign)
    try:
        atomic_write(target, lambda temp: temp.write_bytes(data), task.overwrite)
    except FileExistsError:
        reason = f"{target.name} already exists and was kept; use --overwrite to replace it"
        return Outcome(status="skipped", path=target, headline=headline,
                       problems=(Problem(task.row, "(file)", target.name, reason),), **common)
    return Outcome(status="written", path=target, headline=headline, **common)


def _build_many(tasks: Sequence[_Task]) -> list[Outcome]:
    return [_build(task) for task in tasks]


def _warm(static: bool, example: bool) -> None:
    _factory(static, example)


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
) -> BatchResult:
    """Write one workbook per good row of ``clients`` into ``out_dir``, then the summary and errors files.

    Raises :class:`~xhsxl.workbook.clients.InputFileError` when the table cannot be read at all. ``jobs``
    worker processes build the workbooks (default: every core); ``only`` restricts the run to the named
    clients; ``progress`` is called with each row's outcome as it completes. The analyst's blocks (paths,
    touch log, checkpoints, past campaigns) start empty in every client's workbook unless ``example`` puts the
    worked examples in.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cleaned = clean_stray_temps(out)
    table = read_clients(clients, sheet)

    # A good row is one with a campaign; pairing them keeps the campaign typed as present.
    good = [(row, row.campaign) for row in table.good_rows if row.campaign is not None]
    # Names come from every good row, so a client's file is the same with or without --only.
    stems = unique_names([slugify(campaign.client_name) for _, campaign in good], reserved=[SUMMARY_NAME, ERRORS_NAME])
    wanted = {_key(name) for name in only}
    found = {_key(campaign.client_name) for _, campaign in good} | {_key(row.client_name_raw) for row in table.bad_rows}
    not_found = tuple(sorted(name for name in only if _key(name) not in found))
    tasks = [
        _Task(row.row_number, campaign, str(safe_path(out, stem)), static, overwrite, example)
        for (row, campaign), stem in zip(good, stems)
        if not wanted or _key(campaign.client_name) in wanted
    ]
    outcomes = [
        Outcome(row=row.row_number, client=row.client_name_raw, status="rejected", problems=tuple(row.problems))
        for row in table.bad_rows
        if not wanted or _key(row.client_name_raw) in wanted
    ]
    if progress:
        for outcome in outcomes:
            progress(outcome)
    outcomes += _run_tasks(tasks, jobs or os.cpu_count() or 1, static, progress, example)
    outcomes.sort(key=lambda o: o.row)

    result = BatchResult(table, outcomes, cleaned, out / f"{SUMMARY_NAME}.xlsx", out / f"{ERRORS_NAME}.csv", not_found)
    summary = workbook_bytes(summary_workbook(result))
    # The summary and the errors file describe the latest run: they are replaced, atomically, every time.
    atomic_write(result.summary, lambda temp: temp.write_bytes(summary), overwrite=True)
    errors = errors_csv(result.problems())
    atomic_write(result.errors, lambda temp: temp.write_bytes(errors), overwrite=True)
    return result


def _run_tasks(tasks: list[_Task], jobs: int, static: bool, progress: Callable[[Outcome], None] | None,
               example: bool = False) -> list[Outcome]:
    if not tasks:
        return []
    outcomes: list[Outcome] = []
    if jobs <= 1 or len(tasks) < 4:
        for task in tasks:
            outcomes.append(_build(task))
            if progress:
                progress(outcomes[-1])
        return outcomes
    # Several chunks per worker keep both busy to the end and make progress visible; each chunk is one
    # round trip between processes.
    size = max(1, min(25, len(tasks) // (jobs * 4)))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    with ProcessPoolExecutor(max_workers=jobs, initializer=_warm, initargs=(static, example)) as pool:
        futures = {pool.submit(_build_many, chunk): chunk for chunk in chunks}
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
    row = 5
    for outcome in result.outcomes:
        ws.cell(row, 1, outcome.row)
        write_text(ws.cell(row, 2), outcome.client)
        write_text(ws.cell(row, 3), outcome.campaign_name)
        stage = ws.cell(row, 4, outcome.stage)
        if outcome.stage in LABELS:  # the stage's key stays in the cell (a filter sorts by it); a person reads its label
            stage.number_format = shown_as(LABELS[outcome.stage])
        ws.cell(row, 5, _STATUS[outcome.status])
        if outcome.path is not None and outcome.status in ("written", "skipped"):
            link = ws.cell(row, 6, outcome.path.name)
            link.hyperlink = outcome.path.name  # relative: the link keeps working when the folder moves
            link.font = Font(name="Calibri", color="1D4ED8", underline="single")
            link.data_type = "s"
        for offset, key in enumerate(HEADLINE):
            value = outcome.headline.get(key)
            cell = ws.cell(row, 7 + offset, "n/a" if value is None and outcome.headline else value)
            cell.number_format = NUMBER_FORMATS[_OUTPUT[key].unit]
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
    _ranking_sheet(wb, result)
    return wb


#: Clients a ranking chart shows at most: a batch of more gets one chart of the highest and one of the lowest.
CHART_CLIENTS = 25


def _ranking_sheet(wb: Workbook, result: BatchResult) -> None:
    """Clients with results ranked by ROI, highest first, and bar charts comparing them (all of them up to twice
    ``CHART_CLIENTS``; beyond, the highest and the lowest, so no chart grows taller than a page)."""
    ranked = sorted((o for o in result.outcomes if o.headline), key=lambda o: (o.headline["roi"] is None,
                                                                              -(o.headline["roi"] or 0.0)))
    ws = wb.create_sheet("Ranking")
    ws["A1"] = "Clients ranked by ROI · 投资回报率排名"
    ws["A1"].font = Font(name="Calibri", size=16, bold=True, color="C0392B")
    for column, name in enumerate(("Rank · 排名", "Client · 客户", "ROI · 投资回报率", "Workbook · 文件"), start=1):
        cell = ws.cell(3, column, name)
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C0392B")
    for rank, outcome in enumerate(ranked, start=1):
        ws.cell(3 + rank, 1, rank)
        write_text(ws.cell(3 + rank, 2), outcome.client)
        roi = outcome.headline["roi"]
        ws.cell(3 + rank, 3, "n/a" if roi is None else roi).number_format = NUMBER_FORMATS["fraction"]
        if outcome.path is not None:
            link = ws.cell(3 + rank, 4, outcome.path.name)
            link.hyperlink = outcome.path.name
            link.font = Font(name="Calibri", color="1D4ED8", underline="single")
            link.data_type = "s"
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
        value = "" if problem.value is None else str(problem.value)
        writer.writerow([problem.row, problem.column, _inert(value), problem.reason])
    return buffer.getvalue().encode("utf-8-sig")


def _inert(text: str) -> str:
    """A value Excel will show as text when it opens the CSV, not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

"""``xhsxl batch``: a table of clients in; one workbook per client, summary.xlsx and errors.csv out."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from xhsxl.cli.exits import App, about, one_line, visible
from xhsxl.cli.output import Column, EncodingOption, FormatOption, OutputFormat, Section, console, emit, errors, say, warn
from xhsxl.cli.workbooks import STATIC_HELP, Example

if TYPE_CHECKING:
    from xhsxl.workbook.batch import Status

app = App()

#: Most characters of one cell, header or name a line on the terminal quotes (the rest is in the file itself).
QUOTED_CHARS = 100

#: A batch run lists every client's headline results up to twice this many; beyond, the lowest and highest ROI.
HEADLINE_ENDS = 10

_STATUS_LABELS: dict[Status, str] = {"written": "written", "skipped": "kept (already there)", "rejected": "rejected",
                  "failed": "not written"}
_VERBS = {"written": "wrote", "skipped": "kept", "rejected": "rejected", "failed": "not written"}
_HEADLINE_COLUMNS = [Column("row", table=False), Column("client", unit="text"),
                     Column("roi", "ROI", "fraction"), Column("roas", "ROI 1:x", "ratio"),
                     Column("profit_roi", "profit ROI", "fraction"), Column("blended_roi", "blended ROI", "fraction"),
                     Column("workbook", unit="text")]


def _print_problem(problem: Any) -> None:
    """One line per row problem on stderr: row, column, value, reason, escaped and on one line."""
    from rich.markup import escape

    colour = "yellow" if problem.column == "(file)" and "kept" in problem.reason else "red"
    value = f" = {one_line(repr(problem.value), QUOTED_CHARS)}" if problem.value not in (None, "") else ""
    text = one_line(f"{one_line(problem.column, QUOTED_CHARS)}{value}: {problem.reason}")
    errors.print(f"[{colour}]row {problem.row}[/], {escape(text)}", soft_wrap=True, highlight=False)


def _headline_rows(outcomes: list[Any], everyone: bool) -> tuple[list[dict[str, Any] | None], str]:
    """The clients' headline rows (every one, or the extremes of a long run) and the table's title."""
    with_results = [outcome for outcome in outcomes if outcome.headline]
    shown: list[Any] = with_results
    title = "Headline results"
    if not everyone and len(with_results) > 2 * HEADLINE_ENDS:
        # A long run: the extremes, where a mistyped input shows first; every client is in summary.xlsx.
        ranked = sorted(with_results, key=lambda o: (o.headline["roi"] is not None, o.headline["roi"] or 0.0))
        shown = ranked[:HEADLINE_ENDS] + [None] + ranked[-HEADLINE_ENDS:]
        title = (f"Headline results: the {HEADLINE_ENDS} lowest and {HEADLINE_ENDS} highest ROI of "
                 f"{len(with_results):,} clients (all of them in summary.xlsx)")
    rows = [None if o is None else {"row": o.row, "client": o.client, **{k: o.headline[k] for k in
                                    ("roi", "roas", "profit_roi", "blended_roi")},
                                    "workbook": o.path.name if o.path else ""} for o in shown]
    return rows, title


@app.command()
def batch(
    clients: Annotated[Path, typer.Argument(help="Table of clients: CSV (UTF-8, UTF-16, GB18030/GBK or Big5; others with --encoding), XLSX or JSON; one row per campaign.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the workbooks, summary.xlsx and errors.csv.")],
    static: Annotated[bool, typer.Option("--static", help=STATIC_HELP)] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", min=1, help="Worker processes (default: every core).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace client workbooks that already exist.")] = False,
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Only this client (repeat for several).")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Worksheet of an XLSX table (default: the first).")] = None,
    encoding: EncodingOption = None,
    example: Example = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """One finished workbook per client, plus summary.xlsx and errors.csv, in one command.

    Columns are the input keys (xhsxl fields) or their English or Chinese labels; 30% and 0.3, ¥1,200,000
    and 1200000 are read alike. Every bad row is reported with its row, column and reason while every good
    row is still written, and a row whose file cannot be written (read-only, open in Excel, a symlink or a
    folder in its place, never followed) is reported the same way. Existing client workbooks are kept
    unless --overwrite; summary.xlsx and errors.csv always describe the latest run, and one run at a time
    writes into a folder. Exit status: 0 all rows written, 2 some rows rejected or not written, 1 the table
    could not be read, the folder not written, or another batch is writing into it. With --format csv or json, stdout
    carries the status counts and every client's headline results.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from xhsxl.workbook.batch import run_batch

    interactive = console.is_terminal and fmt == OutputFormat.table
    # On a terminal, a bar that rich redraws ten times a second whatever the pace; elsewhere (a log, a pipe) a
    # line per client, written as plain text: rendered by rich, a thousand lines cost most of a second.
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console, transient=True) if interactive else None
    lines = sys.stdout if fmt == OutputFormat.table else sys.stderr  # as say(): stdout may carry CSV or JSON
    task = None

    def planned(total: int) -> None:
        nonlocal task
        if bar is not None:
            task = bar.add_task("building workbooks", total=total)

    def report(outcome: Any) -> None:
        if bar is not None and task is not None:
            bar.advance(task)
        elif not interactive:
            where = f" -> {outcome.path.name}" if outcome.path else ""
            lines.write(visible(f"row {outcome.row}: {_VERBS[outcome.status]} "
                                f"{one_line(outcome.client, QUOTED_CHARS)}{where}") + "\n")

    with about(clients), bar or nullcontext():
        result = run_batch(clients, out, static, jobs, overwrite, only or (), sheet, report, example,
                           encoding=encoding, planned=planned)
    lines.flush()  # every client's line before the problems and tables that follow, on stderr too
    for path in result.cleaned:
        say(f"removed {path.name}, left by an interrupted run", fmt)
    for name in result.not_found:
        warn(f"--only {name!r} matches no client in {clients}")
    for problem in result.problems():
        _print_problem(problem)
    status = Section("status", f"{clients.name} → {out}", [Column("status", table=False),
                                                           Column("label", "status", "text"),
                                                           Column("clients", unit="integer")],
                     [{"status": key, "label": label, "clients": result.count(key)}
                      for key, label in _STATUS_LABELS.items()])
    rows, title = _headline_rows(result.outcomes, everyone=fmt != OutputFormat.table)
    headline = Section("headline", title, _HEADLINE_COLUMNS,
                       [row if row is not None else {"client": "…", "workbook": "…"} for row in rows])
    emit([status, headline] if rows or fmt != OutputFormat.table else [status], fmt)
    say(f"summary: {result.summary}   problems: {result.errors}", fmt)
    raise typer.Exit(result.exit_code)


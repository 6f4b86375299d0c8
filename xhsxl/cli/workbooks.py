"""Workbook commands: write the template or a client's workbook, read a workbook's inputs back, and
recalculate one headlessly (optionally writing its static copy)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import re
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

import typer

from xhsxl.cli.exits import App, CommandError, ExitCode, about, print_error, check_output_file
from xhsxl.cli.metrics import load_campaigns, validated_campaign
from xhsxl.cli.output import Column, EncodingOption, FormatOption, OutputFormat, Section, emit, say, warn

app = App()

Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace the file if it exists.")]
Example = Annotated[bool, typer.Option(
    "--example", help="Fill the analyst's blocks (paths, touch log, checkpoints, past campaigns) with the worked "
                      "examples instead of leaving them empty for the client's own data.")]
#: What --static makes, for every command that takes it.
STATIC_HELP = ("A static copy for a client without Python: closed-form results as plain Excel formulas, the rest "
               "as fixed values (no add-in needed).")


def _campaign_from_json(path: Path, encoding: str | None = None) -> Any:
    with about(path):
        items = load_campaigns(path, encoding)
    if len(items) != 1:
        raise CommandError(f"{path} holds {len(items)} campaigns; fill takes one (use xhsxl batch)", ExitCode.FILE)
    campaign = validated_campaign(items[0], str(path))
    if campaign is None:
        raise typer.Exit(ExitCode.INPUT)
    return campaign


def _write(campaign: Any, out: Path, static: bool, overwrite: bool, sheet_values: dict[str, Any] | None = None,
           fmt: OutputFormat = OutputFormat.table, example: bool | None = None) -> None:
    from xhsxl.workbook.fill import write_workbook

    check_output_file(out)
    with about(out):
        write_workbook(campaign, out, static=static, overwrite=overwrite, sheet_values=sheet_values, example=example)
    say(f"wrote {'static' if static else 'live'} workbook {out}", fmt)


@app.command()
def template(
    path: Annotated[Path, typer.Argument(help="Where to write the template.")] = Path("xhsxl_template.xlsx"),
    overwrite: Overwrite = False,
) -> None:
    """Write the template workbook (filled with case study 1 as an example) from the schema."""
    _write(None, path, False, overwrite)


@app.command()
def fill(
    client: Annotated[Path, typer.Argument(help="A JSON file with one campaign object (schema keys).")],
    out: Annotated[Path, typer.Option("--out", help="The workbook to write.")],
    static: Annotated[bool, typer.Option("--static", help=STATIC_HELP)] = False,
    overwrite: Overwrite = False,
    example: Example = False,
    encoding: EncodingOption = None,
) -> None:
    """Write a client's workbook from a campaign JSON file."""
    _write(_campaign_from_json(client, encoding), out, static, overwrite, example=example)


def _read_inputs(workbook: Path) -> Any:
    """The workbook's inputs, each bad cell reported; exit 2 when the campaign cannot be validated."""
    from xhsxl.workbook.read import read_inputs

    with about(workbook):
        inputs = read_inputs(workbook)
    for problem in inputs.problems:
        print_error(str(problem))
    for problem in inputs.sheet_problems:
        warn(str(problem))
    if inputs.campaign is None:
        raise typer.Exit(ExitCode.INPUT)
    return inputs


@app.command()
def read(workbook: Annotated[Path, typer.Argument(help="An xhsxl workbook.")]) -> None:
    """Print a workbook's inputs as JSON; each bad cell is reported with its sheet, cell and reason."""
    import json

    inputs = _read_inputs(workbook)
    typer.echo(json.dumps(inputs.campaign.model_dump(), ensure_ascii=False, indent=2))


def _padding_lines(padding: list[Any]) -> list[str]:
    """One line per array range with cells beyond its function's result (they show #N/A in Excel)."""
    ranges: dict[tuple[str, str | None], list[str]] = {}
    for cell in padding:
        ranges.setdefault((cell.sheet, cell.formula), []).append(cell.cell)
    lines = []
    for (sheet, formula), cells in ranges.items():
        function = re.search(r"XHS_\w+", formula or "")
        lines.append(f"{sheet}!{cells[0]}:{cells[-1]}: {len(cells)} cells beyond the result of "
                     f"{function.group(0) if function else 'the array formula'} show #N/A (the range is larger than "
                     "the result; select it, F2, Ctrl+Shift+Enter to resize)")
    return lines


_CELL_ERROR_COLUMNS = [Column("sheet", unit="text"), Column("cell", unit="text"), Column("formula", unit="text"),
                       Column("error", unit="text"), Column("message", unit="text")]


def _bad_inputs(workbook: Path) -> list[Any]:
    """The input cells of an xhsxl workbook that fail validation (none for a workbook that is not one of ours):
    the causes of the errors that cascade from them."""
    from xhsxl.excel.errors import InputFileError
    from xhsxl.workbook.read import read_inputs

    try:
        return list(read_inputs(workbook).problems)
    except InputFileError:
        return []


def _report_recalculation(workbook: Path, result: Any, fmt: OutputFormat, name_in_summary: bool = False) -> None:
    """One recalculated workbook: the bad input cells first (the causes), then the cells ending in an error —
    listed one by one when nothing explains them, else counted by sheet and error, since they follow from the
    causes — then padding notes and a count. CSV and JSON carry every cell."""
    causes = _bad_inputs(workbook) if result.errors else []
    count = sum(len(cells) for cells in result.values.values())
    prefix = f"{workbook}: " if name_in_summary else ""
    for cause in causes:
        print_error(f"{prefix}{cause}")
    if result.errors and causes and fmt == OutputFormat.table:
        grouped: dict[tuple[str, str], int] = {}
        for error in result.errors:
            grouped[(error.sheet, error.error)] = grouped.get((error.sheet, error.error), 0) + 1
        emit(Section("broken", f"{prefix}cells broken by the inputs above", [
            Column("sheet", unit="text"), Column("error", unit="text"), Column("cells", unit="count")],
            [{"sheet": sheet, "error": error, "cells": cells} for (sheet, error), cells in grouped.items()]), fmt)
        say("Correct the inputs above and recalculate; --format csv lists every cell.", fmt)
    elif result.errors or fmt != OutputFormat.table:
        emit(Section("errors", str(workbook), _CELL_ERROR_COLUMNS,
                     [{"sheet": e.sheet, "cell": e.cell, "formula": None if e.formula is None else str(e.formula),
                       "error": e.error, "message": e.message} for e in result.errors]), fmt)
    for line in _padding_lines(result.padding):
        say(line, fmt, markup="[yellow]note:[/] {}")
    causes_text = f" ({len(causes)} input{'s' if len(causes) != 1 else ''} failing validation)" if causes else ""
    say(f"{prefix}{count:,} cells evaluated, {len(result.errors)} ending in an error{causes_text}", fmt)


class _Collector:
    """The cyclic garbage collector's part in a recalc command: off while the first workbook is compiled and
    evaluated, then the survivors frozen and the collector back on for the workbooks after it.

    A compiled template is some 200,000 objects that live until the command ends, beside the modules imported
    for it; the collector's passes walk them again and again and free nothing (about 0.2 s of a single recalc's
    CPU time). Frozen (``gc.freeze``), they are left out of every later pass, while each further workbook's garbage
    is collected as usual. When the command ends, the collector's state is what it was before.
    """

    def __init__(self) -> None:
        self.frozen = False

    def first_workbook_done(self) -> None:
        if not self.frozen and not gc.isenabled():
            gc.freeze()
            self.frozen = True
            gc.enable()


@functools.cache
def _nothing_collected_at_exit() -> None:
    """At interpreter exit, freeze every object left, so that finalisation does not collect them one by one.

    After a recalc, the compiled model's cycles and the modules imported for it are still there when the
    process ends; the interpreter's last collection walks and frees them all, about 0.25 s after the last line
    is printed. The memory goes back to the system with the process either way. Files are closed where they
    are written (and the standard streams are flushed by the interpreter), so no finaliser is waited for.
    """
    atexit.register(gc.freeze)


@contextlib.contextmanager
def _collector_for_the_command() -> Iterator[_Collector]:
    _nothing_collected_at_exit()
    enabled = gc.isenabled()
    gc.disable()
    collector = _Collector()
    try:
        yield collector
    finally:
        if collector.frozen:
            gc.unfreeze()
        if enabled:
            gc.enable()
        else:
            gc.disable()


@app.command()
def recalc(
    workbooks: Annotated[list[Path], typer.Argument(
        metavar="WORKBOOK...", show_default=False,
        help="Workbooks (or folders of .xlsx files) to evaluate headlessly; workbooks of one layout share one "
             "compiled model, so each after the first takes a fraction of the time.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the static copy here (.xlsx).")] = None,
    static: Annotated[bool, typer.Option("--static", help="Write the static copy (default name: X.static.xlsx).")] = False,
    overwrite: Overwrite = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Evaluate every formula with the XHS_ functions and report cells that end in an Excel error.

    With --static (or --out) it also writes the deliverable for a client without Python, from one workbook: the
    same layout, formats and charts, closed-form results as plain Excel formulas and the rest as values,
    checked against the recalculated live cells. Exit status 2 when a cell ends in an error or the static copy
    disagrees with the live cells.
    """
    with _collector_for_the_command() as collector:
        _recalc(workbooks, out, static, overwrite, fmt, collector)


def _recalc(workbooks: list[Path], out: Path | None, static: bool, overwrite: bool, fmt: OutputFormat,
            collector: _Collector) -> None:
    files: list[Path] = []
    for given in workbooks:
        if given.is_dir():
            found = sorted(path for path in given.glob("*.xlsx") if not path.name.startswith((".", "~$")))
            if not found:
                raise CommandError(f"{given}: a folder without .xlsx workbooks", ExitCode.FILE)
            files.extend(found)
        else:
            files.append(given)
    if len(files) > 1:
        if static or out:
            raise CommandError("--static and --out take one workbook")
        from xhsxl.workbook.recalc import recalculate_many

        failed = 0
        results = recalculate_many(files)
        for path in files:  # the results come in the files' order: a file that cannot be read is named
            with about(path):
                _, many = next(results)
            collector.first_workbook_done()
            _report_recalculation(path, many, fmt, name_in_summary=True)
            failed += bool(many.errors)
        say(f"{len(files)} workbooks recalculated, {failed} with a cell ending in an error", fmt)
        raise typer.Exit(ExitCode.INPUT if failed else ExitCode.OK)
    workbook = files[0]
    target = out or workbook.with_name(workbook.stem + ".static.xlsx")
    if static or out:  # refused before the recalculation, which takes a while
        check_output_file(target)
        if target.exists() and not overwrite:
            raise CommandError(f"{target} already exists and was left unchanged; add --overwrite to replace it",
                               ExitCode.FILE)

    from xhsxl.workbook.recalc import recalculate

    with about(workbook):
        result = recalculate(workbook)
    _report_recalculation(workbook, result, fmt)
    if not (static or out):
        raise typer.Exit(ExitCode.INPUT if result.errors else ExitCode.OK)
    from xhsxl.workbook.static import static_mismatches  # here: a plain recalc has no use for the static builder

    inputs = _read_inputs(workbook)
    mismatches = static_mismatches(inputs.campaign, result, sheet_values=inputs.sheet_values)
    for mismatch in mismatches:
        print_error(f"static and live disagree at {mismatch}")
    _write(inputs.campaign, target, True, overwrite, inputs.sheet_values, fmt)
    raise typer.Exit(ExitCode.INPUT if result.errors or mismatches else ExitCode.OK)

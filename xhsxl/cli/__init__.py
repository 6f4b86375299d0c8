"""The ``xhsxl`` command: the same core as the Excel functions, from a shell.

One module per command group — :mod:`~xhsxl.cli.reference` (version, functions, fields),
:mod:`~xhsxl.cli.metrics` (roi, profit-roi, campaign, allocate, optimise, tier, elasticity),
:mod:`~xhsxl.cli.clv` (the ``clv`` sub-app), :mod:`~xhsxl.cli.workbooks` (template, fill, read, recalc),
:mod:`~xhsxl.cli.batch`, :mod:`~xhsxl.cli.platforms` (import), :mod:`~xhsxl.cli.attribution` (attribute) and :mod:`~xhsxl.cli.planner` (forecast,
calibrate, reallocate) — assembled here. Every command runs inside the one error path of
:mod:`~xhsxl.cli.exits`; :mod:`~xhsxl.cli.output` prints tables, CSV and JSON. The modules import the core,
the workbook package and the planner inside their commands, so ``xhsxl --help`` loads none of them.
"""

from __future__ import annotations

from typing import Annotated

import typer

import xhsxl
from xhsxl.cli import attribution, batch, clv, metrics, planner, platforms, reference, workbooks
from xhsxl.cli.exits import ExitCode, exit_codes_text
from xhsxl.cli.output import console, errors

__all__ = ["app", "console", "errors", "ExitCode"]

app = typer.Typer(
    help="Xiaohongshu campaign economics: ROI, KPIs, CLV, blended return and budget allocation.",
    # "\b" keeps click from re-wrapping the list into one paragraph.
    epilog="\b\nExit status:\n" + exit_codes_text(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# In the order `xhsxl --help` lists them.
for group in (reference, metrics, workbooks, batch, platforms, attribution, planner):
    app.add_typer(group.app)
app.add_typer(clv.app, name="clv")


def _print_version(asked: bool) -> None:
    if asked:
        console.print(f"xhsxl {xhsxl.__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the xhsxl version and exit.")] = False) -> None:
    """Xiaohongshu campaign economics: ROI, KPIs, CLV, blended return and budget allocation."""

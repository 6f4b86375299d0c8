"""The workbook's sheets, one module each, and :data:`SHEETS`, the registry listing them in workbook order.

Each module declares what its sheet shows (computed cells, tables, yellow input blocks, charts, its worked
example) and draws it with :mod:`xhsxl.workbook.sheets.kit`. The template builder draws the registry in order;
the reader, the static copy and the batch find every yellow block through it. A new sheet is a module with a
``SHEET`` and one line here.
"""

from __future__ import annotations

from typing import Any

from xhsxl.workbook.sheets import (
    allocation, attribution, checkpoints, dashboard, inputs, planner, platform_data, results, start, xlwings_conf,
)
from xhsxl.workbook.sheets.kit import InputBlock, Sheet

__all__ = ["SHEETS", "input_blocks", "worked_examples"]

#: Every sheet, in workbook order.
SHEETS: tuple[Sheet, ...] = (
    start.SHEET,
    inputs.SHEET,
    results.SHEET,
    allocation.SHEET,
    planner.SHEET,
    checkpoints.SHEET,
    attribution.SHEET,
    dashboard.SHEET,
    platform_data.SHEET,
    xlwings_conf.SHEET,
)


def input_blocks(sheets: tuple[Sheet, ...] | None = None) -> tuple[InputBlock, ...]:
    """The yellow input blocks outside the schema of ``sheets`` (default: the registry), in workbook order."""
    return tuple(block for sheet in (SHEETS if sheets is None else sheets) for block in sheet.inputs)


def worked_examples(sheets: tuple[Sheet, ...] | None = None) -> dict[str, Any]:
    """The worked examples of the analyst's blocks, by input key, as ``sheet_values`` takes them: what the
    template shows, and what a client's workbook holds when asked for the examples."""
    return {key: block.example[row][column]
            for block in input_blocks(sheets) if block.worked_example
            for key, row, column in block.cells()}

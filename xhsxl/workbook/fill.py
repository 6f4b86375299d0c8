"""Write a client's workbook to disk: built from code, serialised deterministically, moved into place atomically.

A workbook is never made by editing a saved file (openpyxl would drop what it does not read, such as
charts); it is built from the schema and the layout for each client, so the template, a client's live
workbook and its static copy always share one layout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from xhsxl.schema import ClientCampaign
from xhsxl.workbook.safe_files import atomic_write
from xhsxl.workbook.template import build_workbook, workbook_bytes

__all__ = ["write_workbook"]


def write_workbook(campaign: ClientCampaign | None, target: Path | str, static: bool = False,
                   overwrite: bool = False, sheet_values: Mapping[str, Any] | None = None,
                   example: bool | None = None) -> Path:
    """Write ``campaign``'s workbook (the example template when None) to ``target`` and return its path.

    ``static`` writes values in place of ``XHS_`` formulas, for a client without the add-in;
    ``sheet_values`` carries what the analyst typed outside the schema and ``example`` whether the blocks left
    out hold the worked examples (by default only the template's do; see :func:`build_workbook`). An
    existing file is replaced only with ``overwrite``; otherwise :class:`FileExistsError` leaves it
    untouched. The file appears whole or not at all (:func:`xhsxl.workbook.safe_files.atomic_write`).
    """
    target = Path(target)
    data = workbook_bytes(build_workbook(campaign, static, sheet_values, example))
    atomic_write(target, lambda temp: temp.write_bytes(data), overwrite)
    return target

"""Platform export files in, client tables out: the file shell around :mod:`xhsxl.platforms.read` and
:mod:`xhsxl.platforms.mapping`, for ``xhsxl import`` and for ``xhsxl batch`` given exports as CLIENTS.

The bytes are read with the client table's own guards (size caps, zip-bomb check, UTF-8 / GBK / UTF-16
decoding), so an export is as safe to read as a client table. This module sits beside the workbook package's
file readers (it returns their :class:`~xhsxl.workbook.clients.ClientTable`); the UDFs use
:mod:`xhsxl.platforms.read` and :mod:`~xhsxl.platforms.mapping` alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from xhsxl.excel.errors import InputFileError, Problem
from xhsxl.platforms.columns import DEFAULT_WINDOW
from xhsxl.platforms.mapping import MappedCampaign, map_exports
from xhsxl.platforms.read import (
    EXPORT_SUFFIXES, HEADER_SEARCH_ROWS, FileProblem, PlatformExport, csv_rows, first_xlsx_rows, platform_of_headers,
    read_export_rows, xlsx_rows,
)
from xhsxl.schema import ClientCampaign, validation_problems
from xhsxl.workbook.clients import (
    ROW_COLUMN, ClientRow, ClientTable, check_xlsx_archive, decode_text, read_file_bytes,
)

__all__ = ["read_export", "read_exports", "export_files", "is_export", "campaign_values", "exports_client_table"]


def read_export(path: Path | str, encoding: str | None = None) -> PlatformExport:
    """Read one export file: XLSX (its first sheet) or CSV / TSV in UTF-8, GBK / GB18030 or UTF-16 (detected,
    or ``encoding`` when given).

    Raises :class:`InputFileError` when the file cannot be read or its header names neither platform."""
    path = Path(path)
    data = read_file_bytes(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") or data.startswith(b"PK\x03\x04"):
        check_xlsx_archive(path, data)
        return read_export_rows(xlsx_rows(path, data), path.name)
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise InputFileError(f"{path.name}: unsupported file type {path.suffix!r}; export the report as XLSX or CSV")
    text, found = decode_text(path, data, encoding)
    export = read_export_rows(csv_rows(text), path.name)
    export.encoding = found
    return export


def export_files(paths: Iterable[Path | str]) -> list[Path]:
    """The files named, a folder standing for the export files in it (by name, hidden files left out)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                            and p.suffix.lower() in EXPORT_SUFFIXES)
            if not inside:
                raise InputFileError(f"{path}: the folder holds no export (.xlsx or .csv)")
            files += inside
        else:
            files.append(path)
    return files


def is_export(path: Path | str, encoding: str | None = None) -> bool:
    """Whether ``path`` is a folder (of exports) or a CSV / XLSX whose first rows hold a platform's header row.

    Only the first rows are looked at, so asking about a large client table costs little."""
    path = Path(path)
    if path.is_dir():
        return True
    if path.suffix.lower() not in EXPORT_SUFFIXES or not path.is_file():
        return False
    try:
        data = read_file_bytes(path)
        if data.startswith(b"PK\x03\x04"):
            check_xlsx_archive(path, data)
            rows = first_xlsx_rows(data, HEADER_SEARCH_ROWS)
        else:
            rows = [cells for _, cells in csv_rows("\n".join(decode_text(path, data, encoding)[0].splitlines()[:HEADER_SEARCH_ROWS]))]
    except Exception:  # noqa: BLE001 — whatever is wrong with the file, the client table's reader says it best
        return False
    return any(platform_of_headers(cells) is not None for cells in rows)


def read_exports(paths: Iterable[Path | str], encoding: str | None = None) -> list[PlatformExport]:
    """Every export file named (folders expanded), read."""
    return [read_export(path, encoding) for path in export_files(paths)]


def campaign_values(campaign: MappedCampaign) -> dict[str, Any]:
    """The campaign as the schema's fields: the names, then every mapped value. A client table names each
    row's client once (one workbook each), so a plan or a month is named with its client: 示例品牌 · 秋季新品."""
    name = " · ".join(part for part in (campaign.client_name, campaign.campaign_name) if part)
    return {"client_name": name, "campaign_name": campaign.campaign_name, **campaign.values}


def exports_client_table(paths: Iterable[Path | str], window: int = DEFAULT_WINDOW, level: str = "account",
                         default_client: str = "", encoding: str | None = None,
                         exports: list[PlatformExport] | None = None,
                         ) -> tuple[ClientTable, list[MappedCampaign], list[PlatformExport]]:
    """The client table the exports describe — one row per campaign, numbered 1, 2, … — the mapped
    campaigns, and the exports read (``exports``: already read from ``paths``, so they are not read twice).
    The table's problems are the exports' notes (unknown columns, a total row that disagrees, a window not
    exported); a campaign with a cell that did not read is a bad row."""
    files = [Path(path) for path in paths]
    if exports is None:
        exports = read_exports(files, encoding)
    if not default_client and len(files) == 1:
        default_client = files[0].name if files[0].is_dir() else files[0].stem
    campaigns = map_exports(exports, window, level, default_client)
    refusing = [p for c in campaigns for p in c.problems]
    notes: list[Problem] = [p for e in exports for p in e.problems if p not in refusing]
    rows: list[ClientRow] = []
    for number, campaign in enumerate(campaigns, start=1):
        problems: list[Problem] = list(campaign.problems)
        model = None
        if not problems:
            try:
                model = ClientCampaign.model_validate(campaign_values(campaign))
            except ValidationError as error:
                problems = [FileProblem(number, key if key in campaign.values else ROW_COLUMN, value, reason,
                                        "; ".join(campaign.sources.get(key, ())))
                            for key, value, reason in validation_problems(error)]
        rows.append(ClientRow(number, campaign_values(campaign)["client_name"], model, problems))
    unknown = [f"{e.name}: {header}" for e in exports for header in e.unknown_columns]
    first = files[0] if files else Path(".")
    table = ClientTable(first, exports[0].encoding if exports else None, rows, unknown, notes,
                        file_format="platform export")
    return table, campaigns, exports

"""``xhsxl import``: Juguang (聚光) and Pugongying (蒲公英) report exports in; a client table the batch reads, the
planner's history and the reallocation's checkpoints out, with the mapping of every field to its columns."""

from __future__ import annotations

import csv
import enum
import io
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from xhsxl.cli.exits import App, CommandError, ExitCode, check_output_file
from xhsxl.cli.output import Column, EncodingOption, FormatOption, OutputFormat, Section, emit, say, warn

app = App()


class PlatformChoice(str, enum.Enum):
    juguang = "juguang"
    pugongying = "pugongying"
    all = "all"


class LevelChoice(str, enum.Enum):
    account = "account"
    campaign = "campaign"
    month = "month"


def _write_csv(path: Path, rows: list[list[Any]]) -> None:
    """A CSV in UTF-8 with the BOM Excel needs to show Chinese headers, written atomically."""
    from xhsxl.workbook.safe_files import atomic_write

    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [["" if cell is None else f"{cell:.10g}" if isinstance(cell, float) else cell for cell in row] for row in rows])
    data = buffer.getvalue().encode("utf-8-sig")
    atomic_write(path, lambda temp: temp.write_bytes(data), overwrite=True)


def _shown_value(row: dict[str, Any]) -> str:
    """Money to the fen, counts whole: as the platform's own report shows them."""
    from xhsxl.schema import FIELDS_BY_KEY

    field = FIELDS_BY_KEY.get(row["field"].split("[")[0])
    return f"{row['value']:,.0f}" if field is not None and field.unit == "count" else f"{row['value']:,.2f}"


@app.command("import")
def import_exports(
    platform: Annotated[PlatformChoice, typer.Argument(help="Which platform's exports: juguang, pugongying, or all "
                                                            "(both, read together).")],
    files: Annotated[list[Path], typer.Argument(help="Export files (XLSX, or CSV in UTF-8, GBK or UTF-16) or "
                                                     "folders of them, as the web UI writes them.")],
    level: Annotated[LevelChoice, typer.Option("--level", help="One client-table row per client (account), per "
                                                               "Juguang plan (campaign) or per month.")] = LevelChoice.account,
    window: Annotated[int, typer.Option("--window", help="Days of off-platform GMV (行业商品GMV) counted as "
                                                         "cross-platform sales: 7, 15 or 30.")] = 7,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the client table (CSV) that `xhsxl batch` reads.")] = None,
    history: Annotated[Optional[Path], typer.Option("--history", help="Write the planner's history CSV: one row "
                                                                      "per campaign (or per month with --level month).")] = None,
    checkpoints: Annotated[Optional[Path], typer.Option("--checkpoints", help="Write the reallocation's checkpoints "
                                                                              "CSV: 24 h / 72 h / 7 d cumulative "
                                                                              "from daily or hourly rows.")] = None,
    encoding: EncodingOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Read platform report exports as they are and map them to xhsxl's fields.

    The report's platform and level are recognised from its header row; money is read in ¥ (a 分 column is
    divided by 100), "1.23%" as a share, text numbers and "-" as numbers; a 合计/总计 row is checked against
    the rows and never added; unknown columns are reported and kept out. The table printed lists every
    field with the columns it was summed from. Exit status: 0 every campaign mapped, 2 a cell or campaign
    was refused (each problem names file, row, column, value and reason), 1 a file could not be read.
    """
    from xhsxl.platforms.columns import WINDOWS
    from xhsxl.platforms.files import campaign_values, exports_client_table, read_exports
    from xhsxl.platforms.tables import checkpoint_table, history_table
    from xhsxl.schema import FIELDS, FIELDS_BY_KEY

    if window not in WINDOWS:
        raise CommandError(f"--window must be one of {', '.join(map(str, WINDOWS))} (got {window})")
    for target in (out, history, checkpoints):
        if target is not None:
            check_output_file(target)
    exports = read_exports(files, encoding)
    wrong = [e for e in exports if platform != PlatformChoice.all and e.platform != platform.value]
    if wrong:
        raise CommandError(f"{wrong[0].name}: is a {wrong[0].title} report, not {platform.value}; use "
                           f"`xhsxl import {wrong[0].platform}` or `xhsxl import all`")
    table, campaigns, exports = exports_client_table(files, window, level.value, exports=exports)
    for export in exports:
        say(f"{export.name}: {export.title}, {export.level} level"
            f"{', by ' + export.grain if export.grain else ''}, {len(export.rows)} rows"
            f"{', total row checked' if export.total else ''}", fmt)
    for problem in table.problems:
        warn(str(problem))
    rows = []
    for campaign, row in zip(campaigns, table.rows):
        if not row.ok:  # a refused campaign's partial sums would read as its figures
            continue
        name = " · ".join(part for part in (campaign.client_name, campaign.campaign_name) if part)
        for key in (f.key for f in FIELDS if f.key in campaign.values):
            rows.append({"campaign": name, "field": key, "label": FIELDS_BY_KEY[key].label_zh,
                         "value": campaign.values[key], "sources": " + ".join(campaign.sources[key])})
        for tier, fees in campaign.fees_by_tier.items():
            rows.append({"campaign": name, "field": f"creator_fees[{tier}]", "label": "达人费用（按粉丝分层）",
                         "value": fees, "sources": "博主粉丝量 → tier"})
    emit(Section("mapping", f"Mapping (off-platform GMV at {window} days)",
                 [Column("campaign", unit="text"), Column("field", unit="text"), Column("label", unit="text"),
                  Column("value", unit="number", show=_shown_value), Column("sources", unit="text")], rows), fmt)
    refused = [problem for row in table.rows for problem in row.problems]
    for problem in refused:
        warn(str(problem))
    if out is not None:
        keys = [f.key for f in FIELDS if f.key in {"client_name", "campaign_name"} or
                any(f.key in c.values for c in campaigns)]
        good = [c for c, row in zip(campaigns, table.rows) if row.ok]
        _write_csv(out, [keys, *([campaign_values(c).get(k) for k in keys] for c in good)])
        say(f"wrote {out} ({len(good)} of {len(campaigns)} campaigns)", fmt)
    if history is not None:
        _write_csv(history, history_table(exports, window, "month" if level == LevelChoice.month else
                                          "campaign" if level == LevelChoice.campaign else "account"))
        say(f"wrote {history}", fmt)
    if checkpoints is not None:
        _write_csv(checkpoints, checkpoint_table(exports, window))
        say(f"wrote {checkpoints}", fmt)
    raise typer.Exit(ExitCode.INPUT if refused else ExitCode.OK)

"""The planner's tables from platform exports: a campaign history (one row per campaign or month) for
``calibrate`` / ``forecast --history``, and reallocation checkpoints (24 h / 72 h / 7 d cumulative) for
``reallocate``, both as header-row tables that :mod:`xhsxl.planner_tables` reads back.

A history row's spend is every cost the exports report (ad spend + creator and platform fees), its
engagements the five actions Juguang counts in 互动量, its revenue the direct GMV plus the off-platform GMV
at the chosen window, its visits the clicks. Checkpoints need dated rows (by day or by hour): each line
(Juguang plan, else the client) is summed over the rows that end by the checkpoint; a checkpoint the data
does not reach yet is left blank, as the checkpoint table expects.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from xhsxl.core import figures
from xhsxl.core.returns import ENGAGEMENT_ACTIONS
from xhsxl.excel.errors import InputFileError
from xhsxl.platforms.columns import DEFAULT_WINDOW, TIME_COLUMNS
from xhsxl.platforms.mapping import CAMPAIGN_COLUMNS, CLIENT_COLUMNS, MappedCampaign, map_exports
from xhsxl.platforms.read import PlatformExport

__all__ = ["HISTORY_HEADER", "CHECKPOINT_HEADER", "history_table", "checkpoint_table"]

HISTORY_HEADER = ["campaign", "spend", "impressions", "engagements", "conversions", "revenue", "visits"]
CHECKPOINT_HEADER = ["line", "hours", "spend", "revenue", "conversions", "engagements"]

_ENGAGEMENT_FIELDS = ("likes", "saves", "comments", "shares", "new_followers")
assert len(_ENGAGEMENT_FIELDS) == len(ENGAGEMENT_ACTIONS)


def _history_row(campaign: MappedCampaign) -> list[Any]:
    v = campaign.values
    name = " · ".join(part for part in (campaign.client_name, campaign.campaign_name) if part)
    return [name, v.get("paid_ads", 0.0) + v.get("creator_fees", 0.0), v.get("impressions", 0.0),
            math.fsum(v.get(key, 0.0) for key in _ENGAGEMENT_FIELDS), v.get("conversions", 0.0),
            v.get("direct_revenue", 0.0) + v.get("cross_platform_revenue", 0.0), v.get("clicks", 0.0)]


def history_table(exports: list[PlatformExport], window: int = DEFAULT_WINDOW, by: str = "campaign") -> list[list[Any]]:
    """One history row per Juguang plan (``by="campaign"``) or per calendar month (``by="month"``)."""
    campaigns = map_exports(exports, window, by)
    bad = [p for c in campaigns for p in c.problems]
    if bad:
        raise InputFileError(str(bad[0]))
    return [HISTORY_HEADER, *map(_history_row, campaigns)]


def _row_end_hours(export: PlatformExport, day: str, hour: str, first: dt.date) -> float:
    """Hours from the start of the first day to the end of the row's day or hour."""
    digits = "".join(ch for ch in day if ch.isdigit())
    try:
        date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InputFileError(f"{export.name}: {day!r} is not a date (write 2026-11-01)") from None
    days = (date - first).days
    if export.grain == "hour":
        try:
            number = float(hour or 0)
        except ValueError:
            number = -1.0
        if not 0 <= number < 24:
            raise InputFileError(f"{export.name}: hour {hour!r} of {day} is not an hour of the day (0 to 23)")
        return days * 24 + number + 1
    return (days + 1) * 24.0


def checkpoint_table(exports: list[PlatformExport], window: int = DEFAULT_WINDOW,
                     hours: tuple[int, ...] = figures.REALLOCATION_CHECKPOINTS_HOURS) -> list[list[Any]]:
    """Cumulative spend, revenue, conversions and engagements per line at each checkpoint, from the Juguang
    exports' dated rows (Pugongying's post-campaign data has no dates and adds nothing)."""
    lines: dict[str, dict[float, list[float]]] = {}
    for export in exports:
        if export.platform == "pugongying":  # post-campaign totals per note: no time to place them at
            continue
        if export.grain is None:
            raise InputFileError(f"{export.name}: checkpoints need rows by day or by hour (a 日期 column); this "
                                 f"report has none")
        bad = [p for p in export.problems if any(r.number == p.row and not r.ok for r in export.rows)]
        if bad:
            raise InputFileError(str(bad[0]))
        first = min(_date_of(export, row.labels) for row in export.rows)
        for row in export.rows:
            line = export.label(row, *CAMPAIGN_COLUMNS) or export.label(row, *CLIENT_COLUMNS[export.platform]) \
                or export.name.rsplit(".", 1)[0]
            end = _row_end_hours(export, export.label(row, *TIME_COLUMNS["day"]), export.label(row, *TIME_COLUMNS["hour"]),
                                 first)
            one = campaign_of_row(export, row, window)
            sums = lines.setdefault(line, {}).setdefault(end, [0.0, 0.0, 0.0, 0.0])
            for i, value in enumerate(one):
                sums[i] += value
    table: list[list[Any]] = [CHECKPOINT_HEADER]
    for line, by_end in lines.items():
        reached = max(by_end)
        for checkpoint in hours:
            if reached < checkpoint:
                table.append([line, checkpoint, None, None, None, None])
                continue
            totals = [math.fsum(v[i] for end, v in by_end.items() if end <= checkpoint) for i in range(4)]
            table.append([line, checkpoint, *totals])
    return table


def _date_of(export: PlatformExport, labels: dict[str, str]) -> dt.date:
    day = next((labels[name] for name in TIME_COLUMNS["day"] if labels.get(name)), "")
    digits = "".join(ch for ch in day if ch.isdigit())
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InputFileError(f"{export.name}: {day!r} is not a date (write 2026-11-01)") from None


def campaign_of_row(export: PlatformExport, row: Any, window: int) -> list[float]:
    """One row's spend, revenue, conversions and engagements, by the same declarations as the mapping."""
    single = PlatformExport(export.name, export.platform, export.level, export.grain, export.headers,
                            export.columns, export.label_columns, [row])
    (campaign,) = map_exports([single], window, "account", "row")
    v = campaign.values
    return [v.get("paid_ads", 0.0) + v.get("creator_fees", 0.0),
            v.get("direct_revenue", 0.0) + v.get("cross_platform_revenue", 0.0), v.get("conversions", 0.0),
            math.fsum(v.get(key, 0.0) for key in _ENGAGEMENT_FIELDS)]

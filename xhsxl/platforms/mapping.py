"""Platform exports to the schema's campaign inputs: each declared column summed into its field, with the
columns each value came from, and no action counted twice when both platforms report the same notes.

The rules (docs/platforms.md explains them with their sources):

- Juguang 消费 → paid ads; Pugongying 博主报价 + 服务费金额 → creator fees; each creator's tier from 博主粉丝量.
- Impressions, clicks (Pugongying: reads), likes, saves, comments, shares, follows, 7-day orders and their
  GMV → the results fields; 行业商品GMV / 成交订单量 at the chosen window (7, 15 or 30 days) → cross-platform
  sales and conversions.
- A note both platforms report: Pugongying's figures are the note's *all-traffic* figures, which include the
  promoted traffic Juguang reports (推广曝光量 is part of 曝光量), so for such a note Juguang's impressions,
  clicks and engagements are not added; its spend, orders and GMV are (Pugongying reports none of them).
  Matching needs the note id in both exports; without it the exports are refused together, not summed.
- A total row is never added; a row with a cell that does not read stops its campaign, with the problem.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from xhsxl.core import figures
from xhsxl.core.errors import XhsInputError
from xhsxl.schema import FIELDS
from xhsxl.excel.errors import InputFileError
from xhsxl.platforms.columns import COLUMNS, DEFAULT_WINDOW, TIME_COLUMNS, WINDOWS, PlatformColumn
from xhsxl.platforms.read import ExportRow, FileProblem, PlatformExport

__all__ = ["LEVEL_CHOICES", "MAPPED_FIELDS", "MAPPING_TABLE_HEADER", "NOT_IN_EXPORT", "mapping_table", "pasted_campaign", "read_window", "MappedCampaign", "map_exports", "creator_tier", "CLIENT_COLUMNS", "NOTE_COLUMNS", "CAMPAIGN_COLUMNS"]

#: Every schema field some platform column feeds, in schema (and Inputs) order: the rows of the mapping table.
MAPPED_FIELDS: tuple[str, ...] = tuple(f.key for f in FIELDS if any(c.target == f.key for c in COLUMNS))
MAPPING_TABLE_HEADER: tuple[str, ...] = ("field", "label", "value", "source")
#: The source the mapping table gives a field no column of the exports feeds (its value left blank).
NOT_IN_EXPORT = "not in the export"

#: What one campaign (one client-table row) is: a client's whole export, a Juguang plan, or a calendar month.
LEVEL_CHOICES: tuple[str, ...] = ("account", "campaign", "month")
#: Columns naming the client (brand) a row belongs to, per platform.
CLIENT_COLUMNS: dict[str, tuple[str, ...]] = {"juguang": ("账户名称",), "pugongying": ("报备品牌名称", "品牌名称")}
#: Columns naming the note a row is about.
NOTE_COLUMNS: tuple[str, ...] = ("笔记ID", "笔记id", "笔记链接")
#: Juguang's campaign (plan) column; Pugongying has no campaign.
CAMPAIGN_COLUMNS: tuple[str, ...] = ("计划名称", "计划ID")


@dataclass
class MappedCampaign:
    """One campaign's inputs read from platform exports: schema field → value, and field → the columns
    (``file: header``) it was summed from."""

    client_name: str
    campaign_name: str
    values: dict[str, float] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    #: Creator fees (博主报价 + 服务费金额) by the tier of each creator's followers, when the export has them.
    fees_by_tier: dict[str, float] = field(default_factory=dict)
    #: Problems that stop this campaign (a cell that did not read in one of its rows).
    problems: list[FileProblem] = field(default_factory=list)
    #: Juguang rows whose results were not added because Pugongying reports the same note.
    shared_notes: set[str] = field(default_factory=set)
    #: (file, first row number) of the rows read, for ordering and reports.
    first_row: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, key: str, value: float, source: str) -> None:
        total = self.values.get(key, 0.0) + value
        if not math.isfinite(total):
            raise InputFileError(f"{source}: the sum for {key} is too large to be a campaign figure")
        self.values[key] = total
        if source not in self.sources.setdefault(key, []):
            self.sources[key].append(source)


def creator_tier(followers: float) -> str:
    """The creator tier of a follower count, by the article's lower bounds (a creator at a bound is in it).

    >>> creator_tier(9_999), creator_tier(50_000), creator_tier(1_200_000)
    ('nano', 'mid', 'top')
    """
    tier = figures.CREATOR_TIERS[0]
    for name in figures.CREATOR_TIERS:
        if followers >= figures.TIER_FOLLOWER_BOUNDS[name].value:
            tier = name
    return tier


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def map_exports(exports: list[PlatformExport], window: int = DEFAULT_WINDOW, level: str = "account",
                default_client: str = "", client: str | None = None) -> list[MappedCampaign]:
    """The campaigns the exports describe: one per client (``level="account"``), one per Juguang plan
    (``level="campaign"``, Juguang exports only) or one per client and calendar month (``level="month"``, exports
    with a 日期 column). A row's client is its 账户名称 / 报备品牌名称 cell, else
    ``default_client`` (the file's name); ``client``, when given, names every row's client whatever its columns
    say (a pasted range is one campaign)."""
    if window not in WINDOWS:
        raise InputFileError(f"the window must be one of {', '.join(map(str, WINDOWS))} days (got {window})")
    if level not in LEVEL_CHOICES:
        raise InputFileError(f"the level must be one of {', '.join(LEVEL_CHOICES)} (got {level!r})")
    if level == "month":
        for export in exports:
            if not set(TIME_COLUMNS["day"]) & set(export.label_columns.values()):
                raise InputFileError(f"{export.name}: one row per month needs a 日期 column; this report has none")
    if level == "campaign":
        for export in exports:
            if export.platform == "pugongying":
                raise InputFileError(f"{export.name}: Pugongying reports have no campaign (计划); read them with "
                                     "--level account")
            if not set(CAMPAIGN_COLUMNS) & set(export.label_columns.values()):
                raise InputFileError(f"{export.name}: --level campaign needs a 计划名称 column; this report is at "
                                     f"{export.level} level")

    def client_of(export: PlatformExport, row: ExportRow) -> str:
        if client is not None:
            return client
        return export.label(row, *CLIENT_COLUMNS[export.platform]) or default_client or export.name.rsplit(".", 1)[0]

    def campaign_of(export: PlatformExport, row: ExportRow) -> str:
        if level == "month":  # 2026-11-01, 2026/11/01 and 20261101 all fall in 2026-11
            digits = "".join(ch for ch in export.label(row, *TIME_COLUMNS["day"]) if ch.isdigit())
            return f"{digits[:4]}-{digits[4:6]}"
        return export.label(row, *CAMPAIGN_COLUMNS) if level == "campaign" else ""

    # Which notes Pugongying reports, per client, and which fields it reports for them.
    shared: dict[str, set[str]] = {}
    pgy_targets: dict[str, set[str]] = {}
    for export in exports:
        if export.platform != "pugongying":
            continue
        targets = {c.target for c in export.columns.values() if c.target}
        for row in export.rows:
            owner = _key(client_of(export, row))
            pgy_targets.setdefault(owner, set()).update(targets)
            note = export.label(row, *NOTE_COLUMNS)
            if note:
                shared.setdefault(owner, set()).add(_key(note))
    for export in exports:
        if export.platform != "juguang":
            continue
        clients = {_key(client_of(export, row)) for row in export.rows}
        has_notes = bool(set(NOTE_COLUMNS) & set(export.label_columns.values()))
        if clients & set(pgy_targets) and not has_notes:
            others = ", ".join(e.name for e in exports if e.platform == "pugongying")
            raise InputFileError(
                f"{export.name}: read together with the Pugongying data of the same client ({others}), a Juguang "
                "report must be at note level (a 笔记ID column): without note ids the notes both platforms report "
                "cannot be told apart, and their impressions and engagements would be counted twice")

    campaigns: dict[tuple[str, str], MappedCampaign] = {}
    for export in exports:
        _window_columns(export, window)
        for row in export.rows:
            name, campaign_name = client_of(export, row), campaign_of(export, row)
            campaign = campaigns.get((_key(name), _key(campaign_name)))
            if campaign is None:
                campaign = campaigns[(_key(name), _key(campaign_name))] = MappedCampaign(name, campaign_name,
                                                                                          first_row=row.number)
            if not row.ok:
                campaign.problems += [p for p in export.problems if p.row == row.number and p.file == export.name]
                continue
            note = _key(export.label(row, *NOTE_COLUMNS))
            on_shared_note = export.platform == "juguang" and note and note in shared.get(_key(name), set())
            if on_shared_note:
                campaign.shared_notes.add(note)
            fees = 0.0
            for index, column in export.columns.items():
                if not column.target or column.api_field not in row.values:
                    continue
                if column.window is not None and column.window != window:
                    continue
                if on_shared_note and column.target in pgy_targets.get(_key(name), set()):
                    continue
                campaign.add(column.target, row.values[column.api_field], f"{export.name}: {export.headers[index]}")
                if column.target == "creator_fees":
                    fees += row.values[column.api_field]
            followers = row.values.get("kol_fan_num")
            if export.platform == "pugongying" and followers is not None:
                tier = creator_tier(followers)
                campaign.fees_by_tier[tier] = campaign.fees_by_tier.get(tier, 0.0) + fees
    return sorted(campaigns.values(), key=lambda c: (c.first_row, c.client_name, c.campaign_name))


def _window_columns(export: PlatformExport, window: int) -> None:
    """An export with off-platform GMV at other windows but not at ``window`` gets a problem saying so: the
    value is never taken from another window."""
    windows = {c.window for c in export.columns.values() if c.window is not None}
    if windows and window not in windows:
        header_row = min((r.number for r in export.rows), default=1) - 1
        shown = ", ".join(f"{w} days" for w in sorted(windows))
        problem = FileProblem(header_row, f"行业商品GMV({window}日)", None,
                              f"not in this export (it has {shown}); choose one of those with --window", export.name)
        if problem not in export.problems:
            export.problems.append(problem)


def describe_column(column: PlatformColumn) -> str:
    """A column as the mapping table shows it: header, API field and unit."""
    return f"{column.header} ({column.api_field}, {column.unit})"


def read_window(value: object) -> int:
    """The days of off-platform GMV a cell asks for: blank is :data:`DEFAULT_WINDOW`, else one of :data:`WINDOWS`."""
    from xhsxl.excel.ranges import cell_integer

    days = cell_integer(value, "window", DEFAULT_WINDOW)
    if days not in WINDOWS:
        raise XhsInputError(argument="window", reason=f"must be {', '.join(map(str, WINDOWS[:-1]))} or {WINDOWS[-1]}",
                            value=value)
    return days


def pasted_campaign(exports: list[PlatformExport], window: int = DEFAULT_WINDOW) -> MappedCampaign:
    """The one campaign pasted exports hold, whatever clients and plans their rows name (the Platform data
    sheet maps one campaign); a cell that does not read refuses it, naming area, row, column and reason."""
    (campaign,) = map_exports(exports, window, client="")
    if campaign.problems:
        raise XhsInputError(str(campaign.problems[0]))
    return campaign


def mapping_table(exports: list[PlatformExport], window: int = DEFAULT_WINDOW) -> list[list[object]]:
    """One campaign's mapped inputs as a fixed-size table — header, then one row per :data:`MAPPED_FIELDS`
    entry: field, Chinese label, value, the columns it was summed from (:data:`NOT_IN_EXPORT` and a blank value
    when none). Every row is the one campaign's; a cell that does not read refuses the table, naming it."""
    campaign = pasted_campaign(exports, window)
    labels = {f.key: f.label_zh for f in FIELDS}
    rows: list[list[object]] = [list(MAPPING_TABLE_HEADER)]
    rows += [[key, labels[key], campaign.values.get(key), " + ".join(campaign.sources.get(key, ())) or NOT_IN_EXPORT]
             for key in MAPPED_FIELDS]
    return rows

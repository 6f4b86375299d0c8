"""The planner's input tables read from what a spreadsheet range or a CSV file holds.

Budget lines, a benchmark table, a campaign history, checkpoint results and per-line caps arrive as rows of
cells: numbers as numbers or as text a person typed ("¥1,200,000", "30%"), blanks as ``None`` or "". Each
reader here finds the columns (by a header row, or by position when there is none), turns cells into
numbers with :func:`xhsxl.excel.cells.coerce_number`, skips blank rows, and raises
:class:`~xhsxl.core.errors.XhsInputError` naming the table, the row and the column of a bad cell. The Excel
functions and the command line read their tables with the same functions, so both accept the same tables.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping

from xhsxl.core.errors import XhsInputError
from xhsxl.core.planner import FunnelBenchmarks, benchmarks_from_table, normalize_line
from xhsxl.core.validate import describe
from xhsxl.excel.cells import coerce_number, is_blank
from xhsxl.excel.ranges import is_single_cell, without_blank_tail

__all__ = [
    "BudgetLines",
    "read_budget_lines",
    "read_benchmarks",
    "History",
    "read_history",
    "Checkpoints",
    "read_checkpoints",
    "read_amounts",
    "parse_amounts",
]

#: Header spellings of each column (lower-cased, spaces and hyphens as "_").
_HISTORY_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "spend": ("spend", "cost", "budget", "花费", "消耗", "预算"),
    "impressions": ("impressions", "曝光", "曝光量"),
    "engagements": ("engagements", "interactions", "互动", "互动量"),
    "conversions": ("conversions", "orders", "direct_conversions", "转化", "订单", "订单数"),
    "revenue": ("revenue", "gmv", "sales", "销售额"),
    "visits": ("visits", "clicks", "profile_visits", "profile_visitors", "点击", "访问", "点击量"),
}
_LINE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "line": ("line", "budget_line", "渠道", "预算项"),
    "amount": ("amount", "spend", "budget", "cost", "金额", "预算"),
    "cpm_index": ("cpm_index",),
    "cvr_index": ("cvr_index",),
}
_CHECKPOINT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "line": ("line", "budget_line", "creator", "渠道"),
    "hours": ("hours", "checkpoint", "checkpoint_hours", "hour", "小时", "检查点"),
    "spend": ("spend", "spend_so_far", "cost", "花费", "消耗"),
    "planned": ("planned", "planned_spend", "计划花费"),
    "revenue": ("revenue", "gmv", "sales", "销售额"),
    "conversions": ("conversions", "orders", "转化", "订单"),
    "engagements": ("engagements", "interactions", "互动", "互动量"),
}
METRICS: tuple[str, ...] = ("revenue", "conversions", "engagements")
#: Columns of ¥ amounts and counts: "30%" there is a slip (¥0.30?), refused with a hint; shares may use it.
_AMOUNTS = frozenset({"amount", "spend", "planned", "revenue", "impressions", "engagements", "conversions",
                      "visits"})
#: Rows of XHS_TIER_ALLOCATION's table that restate other rows (the creator total, the stage split): skipped,
#: so that table can be handed to the forecast as it is.
_SUBTOTAL_LINES = {"creators", "spillover", "closed_loop"}


def _key(cell: Any) -> str | None:
    if not isinstance(cell, str):
        return None
    text = unicodedata.normalize("NFKC", cell).strip().lower()
    return "_".join(text.replace("-", " ").split()) or None


def _rows(value: Any, table: str) -> list[list[Any]]:
    """A range as a list of rows (a flat list is one column), blank rows dropped, with their 1-based numbers."""
    if not isinstance(value, (list, tuple)) or not value:
        raise XhsInputError(f"{table} must be a range of rows (got {describe(value)})")
    value = without_blank_tail(value)
    if all(isinstance(row, (list, tuple)) for row in value):
        rows = [list(row) for row in value]
    elif any(isinstance(row, (list, tuple)) for row in value):
        raise XhsInputError(f"{table} must be a rectangular range (it mixes cells and rows)")
    else:
        rows = [[cell] for cell in value]
    widths = {len(row) for row in rows}
    if len(widths) != 1 or 0 in widths:
        raise XhsInputError(f"{table} must be a rectangular range")
    return rows


def _number(cell: Any, table: str, row: int, column: str) -> float | None:
    try:
        return coerce_number(cell, column, percent=column not in _AMOUNTS)
    except XhsInputError as error:
        raise XhsInputError(f"{table} row {row}, column {column}: {error}") from None


def _header(row: list[Any], columns: Mapping[str, tuple[str, ...]], table: str) -> dict[str, int] | None:
    """Column positions from a header row, or None when the row is data (no cell names a known column)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        key = _key(cell)
        for column, spellings in columns.items():
            if key in spellings:
                if column in found:
                    raise XhsInputError(f"{table} names the column {column} twice in its header")
                found[column] = index
    return found or None


# --------------------------------------------------------------------------------------------------
# Budget lines
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetLines:
    """A forecast's lines: a total budget (a number) or ¥ per line, and optional per-line multipliers."""

    lines: float | dict[str, float]
    cpm_index: dict[str, float]
    cvr_index: dict[str, float]


def read_budget_lines(value: Any, table: str = "lines") -> BudgetLines:
    """A total budget (one cell) or a table of budget lines: line, amount, [cpm_index], [cvr_index].

    A header row is optional (without one the columns are in that order). A blank amount is 0; blank rows
    are skipped; each line may appear once. The table XHS_TIER_ALLOCATION returns is read as it is: its
    "creators" row (the sum of the tiers) and its stage rows are skipped.

    >>> read_budget_lines(450_000.0).lines
    450000.0
    >>> read_budget_lines([["line", "amount"], ["mid", "¥200,000"], ["Paid ads", 80_000.0], [None, None]]).lines
    {'mid': 200000.0, 'paid_ads': 80000.0}
    """
    if is_single_cell(value):
        cell = value
        while isinstance(cell, (list, tuple)):
            cell = cell[0]
        total = coerce_number(cell, table, percent=False)
        if total is None:
            raise XhsInputError(f"{table} is required: a total budget or a table of budget lines and amounts")
        return BudgetLines(total, {}, {})
    rows = _rows(value, table)
    header = _header(rows[0], _LINE_COLUMNS, table)
    start = 1 if header else 0
    if header is None:
        if len(rows[0]) < 2:
            raise XhsInputError(f"{table} must have at least 2 columns: line and amount")
        header = dict(zip(("line", "amount", "cpm_index", "cvr_index"), range(len(rows[0]))))
    for needed in ("line", "amount"):
        if needed not in header:
            raise XhsInputError(f"{table} header must name the columns line and amount")
    amounts: dict[str, float] = {}
    indices: dict[str, dict[str, float]] = {"cpm_index": {}, "cvr_index": {}}
    for number, row in enumerate(rows[start:], start=start + 1):
        if all(is_blank(cell) for cell in row):
            continue
        name = row[header["line"]]
        if is_blank(name):
            raise XhsInputError(f"{table} row {number} has an amount but no line name")
        if _key(name) in _SUBTOTAL_LINES:
            continue
        try:
            line = normalize_line(name)
        except XhsInputError as error:
            raise XhsInputError(f"{table} row {number}: {error}") from None
        if line in amounts:
            raise XhsInputError(f"{table} names line {line} twice (row {number})")
        amount = _number(row[header["amount"]], table, number, "amount")
        amounts[line] = 0.0 if amount is None else amount
        for column in ("cpm_index", "cvr_index"):
            if column in header:
                multiplier = _number(row[header[column]], table, number, column)
                if multiplier is not None:
                    indices[column][line] = multiplier
    if not amounts:
        raise XhsInputError(f"{table} has no budget lines")
    return BudgetLines(amounts, indices["cpm_index"], indices["cvr_index"])


def read_benchmarks(value: Any, table: str = "benchmarks") -> FunnelBenchmarks | None:
    """Benchmarks from a table shaped like XHS_CALIBRATE's (header: benchmark, low, base, high, …); None if blank."""
    if is_blank(value) or (isinstance(value, (list, tuple)) and all(
            is_blank(cell) for row in value for cell in (row if isinstance(row, (list, tuple)) else [row]))):
        return None
    rows = _rows(value, table)
    names = [_key(cell) for cell in rows[0]]
    clean: list[list[Any]] = [[cell if isinstance(cell, str) else None for cell in rows[0]]]
    for number, row in enumerate(rows[1:], start=2):
        out = []
        for index, (column, cell) in enumerate(zip(names, row)):
            # std_error and residual_sd carry a calibration's spread into the forecast's prediction interval
            if column in ("low", "base", "high", "std_error", "residual_sd"):
                out.append(_number(cell, table, number, column))
            elif column == "benchmark":
                out.append(cell if isinstance(cell, str) or cell is None else describe(cell))
            else:
                out.append(None)
        clean.append(out)
    return benchmarks_from_table(clean)


# --------------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """Columns of a campaign history for :func:`xhsxl.core.planner.calibrate`."""

    spend: list[float]
    impressions: list[float]
    engagements: list[float]
    conversions: list[float]
    revenue: list[float]
    visits: list[float] | None
    campaigns: list[str] | None = None


_CAMPAIGN_NAMES = ("campaign", "campaign_name", "name", "活动", "活动名称")


def read_history(value: Any, table: str = "history") -> History:
    """A history table: spend, impressions, engagements, conversions, revenue, [visits], one row per past campaign.

    With a header row the columns may be in any order and other columns (a campaign name, a date) are
    ignored; without one they are in that order. A visits column left entirely blank is ignored.

    >>> history = read_history([["campaign", "spend", "impressions", "engagements", "conversions", "revenue"],
    ...                         ["spring", "¥100,000", 1.5e6, 2e4, 1000, 300_000]])
    >>> history.spend, history.visits
    ([100000.0], None)
    """
    rows = _rows(value, table)
    header = _header(rows[0], _HISTORY_COLUMNS, table)
    start = 1 if header else 0
    if header is None:
        order = ("spend", "impressions", "engagements", "conversions", "revenue", "visits")
        if len(rows[0]) < 5:
            raise XhsInputError(f"{table} must have the columns spend, impressions, engagements, conversions, "
                                "revenue and optionally visits (a header row names them)")
        header = dict(zip(order, range(len(rows[0]))))
    missing = [column for column in ("spend", "impressions", "engagements", "conversions", "revenue")
               if column not in header]
    if missing:
        raise XhsInputError(f"{table} header must name the columns {', '.join(missing)}")
    columns: dict[str, list[float | None]] = {column: [] for column in header}
    # The campaign's name, when a header names it, labels the backtest's rows.
    name_at = next((index for index, cell in enumerate(rows[0]) if _key(cell) in _CAMPAIGN_NAMES), None) \
        if start else None
    names: list[str] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if all(is_blank(row[index]) for index in header.values()):
            continue
        if name_at is not None:
            label = row[name_at]
            names.append(f"row {number}" if is_blank(label) else label if isinstance(label, str) else describe(label))
        for column, index in header.items():
            cell = _number(row[index], table, number, column)
            if cell is None and column != "visits":
                raise XhsInputError(f"{table} row {number}, column {column} is blank; every past campaign needs it")
            columns[column].append(cell)
    if not columns["spend"]:
        raise XhsInputError(f"{table} has no rows")
    visits = columns.get("visits")
    if visits is not None and all(v is None for v in visits):
        visits = None
    elif visits is not None and any(v is None for v in visits):
        row = visits.index(None) + 1 + start
        raise XhsInputError(f"{table} column visits is blank in row {row}; fill it in every row or leave it empty")
    return History(*(list(columns[c]) for c in ("spend", "impressions", "engagements", "conversions", "revenue")),
                   visits=visits, campaigns=names if name_at is not None else None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------------

_HOURS = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(h|hr|hrs|hour|hours|小时|d|day|days|天)?\s*$", re.IGNORECASE)


def _hours(cell: Any, table: str, row: int) -> float | None:
    if is_blank(cell):
        return None
    if isinstance(cell, str):
        match = _HOURS.match(unicodedata.normalize("NFKC", cell))
        if not match:
            raise XhsInputError(f"{table} row {row}, column hours must be hours such as 24, '72h' or '7d' "
                                f"(got {describe(cell)})")
        unit = (match.group(2) or "h").lower()
        return float(match.group(1)) * (24.0 if unit in ("d", "day", "days", "天") else 1.0)
    return _number(cell, table, row, "hours")


@dataclass(frozen=True)
class Checkpoints:
    """Columns of a checkpoint table for :func:`xhsxl.core.planner.reallocate`."""

    line: list[str]
    hours: list[float] | None
    spend: list[float]
    result: list[float]
    planned: dict[str, float]
    lines_order: list[str]
    metric: str


def read_checkpoints(value: Any, metric: str | None = None, table: str = "checkpoints") -> Checkpoints:
    """A checkpoint table: line, hours, spend, and the result column (revenue, conversions or engagements).

    With a header row the columns are found by name, the result column by ``metric`` (default: the first of
    revenue, conversions, engagements present) and an optional ``planned`` column (the line's planned spend);
    without one they are line, hours, spend, result[, planned]. Hours may be written 24, "72h" or "7d". A row
    naming a line with blank spend and result is a checkpoint not reached yet: the line is reported, the row
    not used.

    >>> table = [["line", "hours", "spend", "revenue"], ["mid", "24h", 20_000, 60_000], ["micro", "7d", None, None]]
    >>> checkpoints = read_checkpoints(table)
    >>> checkpoints.line, checkpoints.hours, checkpoints.lines_order
    (['mid'], [24.0], ['mid', 'micro'])
    """
    rows = _rows(value, table)
    chosen = None if metric is None or is_blank(metric) else _key(metric)
    if chosen is not None and chosen not in METRICS:
        raise XhsInputError(f"metric must be one of {', '.join(METRICS)} (got {describe(metric)})")
    header = _header(rows[0], _CHECKPOINT_COLUMNS, table)
    start = 1 if header else 0
    if header is None:
        if len(rows[0]) < 4:
            raise XhsInputError(f"{table} must have the columns line, hours, spend and a result (revenue, "
                                "conversions or engagements); a header row names them")
        header = dict(zip(("line", "hours", "spend", chosen or "revenue", "planned"), range(len(rows[0]))))
    for needed in ("line", "spend"):
        if needed not in header:
            raise XhsInputError(f"{table} header must name the columns line, hours, spend and a result")
    if chosen is None:
        chosen = next((m for m in METRICS if m in header), None)
        if chosen is None:
            raise XhsInputError(f"{table} header must name a result column: revenue, conversions or engagements")
    elif chosen not in header:
        raise XhsInputError(f"{table} has no {chosen} column (metric {describe(metric)})")
    lines, hours, spend, result, order = [], [], [], [], []
    planned: dict[str, float] = {}
    seen_order: set[str] = set()
    for number, row in enumerate(rows[start:], start=start + 1):
        if all(is_blank(cell) for cell in row):
            continue
        name = row[header["line"]]
        if is_blank(name):
            raise XhsInputError(f"{table} row {number} has results but no line name")
        label = str(name).strip() if isinstance(name, str) else describe(name)
        if label.lower() not in seen_order:
            seen_order.add(label.lower())
            order.append(label)
        spent = _number(row[header["spend"]], table, number, "spend")
        got = _number(row[header[chosen]], table, number, chosen)
        if "planned" in header:
            plan = _number(row[header["planned"]], table, number, "planned")
            if plan is not None:
                planned[label] = plan
        if spent is None and got is None:
            continue
        if spent is None or got is None:
            missing = "spend" if spent is None else chosen
            raise XhsInputError(f"{table} row {number}, column {missing} is blank while the row has results; "
                                "fill both or neither (a checkpoint not reached yet)")
        lines.append(label)
        spend.append(spent)
        result.append(got)
        hours.append(_hours(row[header["hours"]], table, number) if "hours" in header else None)
    if not order:
        raise XhsInputError(f"{table} has no rows")
    if any(h is None for h in hours):
        if not all(h is None for h in hours):
            row = hours.index(None)
            raise XhsInputError(f"{table} has a checkpoint without hours (line {lines[row]}); fill hours in every "
                                "row with results")
        hour_list = None
    else:
        hour_list = hours
    return Checkpoints(lines, hour_list, spend, result, planned, order, chosen)


# --------------------------------------------------------------------------------------------------
# Caps and other line → amount tables
# --------------------------------------------------------------------------------------------------


def read_amounts(value: Any, table: str) -> dict[str, float] | None:
    """A two-column range of line names and ¥ amounts (an optional header row is skipped); None if blank."""
    if is_blank(value):
        return None
    rows = _rows(value, table)
    if len(rows[0]) != 2:
        raise XhsInputError(f"{table} must have 2 columns: line and amount")
    result: dict[str, float] = {}
    for number, (name, cell) in enumerate(rows, start=1):
        if is_blank(name) and is_blank(cell):
            continue
        if number == 1 and isinstance(cell, str) and _key(cell) in ("amount", "cap", "caps", "planned", "金额", "上限"):
            continue
        if is_blank(name) or not isinstance(name, str):
            raise XhsInputError(f"{table} row {number} must start with a line name (got {describe(name)})")
        amount = _number(cell, table, number, "amount")
        if amount is None:
            continue
        if name.strip().lower() in {k.lower() for k in result}:
            raise XhsInputError(f"{table} names line {name.strip()} twice")
        result[name.strip()] = amount
    return result or None


def parse_amounts(text: str | None, option: str, *, percent: bool = True) -> dict[str, float]:
    """``"mid=30000,paid_ads=¥50,000"`` → ``{"mid": 30000.0, "paid_ads": 50000.0}`` (command-line options).

    Pairs are separated by commas or semicolons; a comma inside an amount is allowed when the next pair starts
    with ``name=``. ``percent=False`` for ¥ amounts (``--caps``), where ``30%`` is refused with a hint;
    shares (``--split``) may be written as percentages.

    >>> parse_amounts("mid=30000, paid_ads=¥50,000", "--caps")
    {'mid': 30000.0, 'paid_ads': 50000.0}
    """
    if text is None or not text.strip():
        return {}
    pairs = re.split(r"[;,](?=\s*[^\s=,;]+\s*=)", text)
    result: dict[str, float] = {}
    for pair in pairs:
        if "=" not in pair:
            raise XhsInputError(f"{option} must be name=amount pairs separated by commas (got {pair.strip()!r})")
        name, _, amount = pair.partition("=")
        number = coerce_number(amount, f"{option} {name.strip()}", percent=percent)
        if not name.strip() or number is None:
            raise XhsInputError(f"{option} must be name=amount pairs separated by commas (got {pair.strip()!r})")
        result[name.strip()] = number
    return result

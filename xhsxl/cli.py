"""The ``xhsxl`` command: the same core as the Excel functions, from a shell, printed as rich tables.

Every number comes from :mod:`xhsxl.core` through the same calls the UDFs make; invalid input prints the
core's message (argument, value, rule) and exits with status 2.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import xhsxl
from xhsxl import catalogue
from xhsxl.core import allocation, figures, metrics, response
from xhsxl.core import clv as clv_core
from xhsxl.core.attribution import LOOKBACK_DAYS, TIME_DECAY_HALF_LIFE_DAYS
from xhsxl.core.attribution.paths import MISSING_NON_CONVERSIONS_MESSAGE
from xhsxl.core.errors import XhsInputError
from xhsxl.schema import FIELDS, GROUPS, OUTPUTS, ClientCampaign, coerce_number, validation_problems

app = typer.Typer(
    help="Xiaohongshu campaign economics: ROI, KPIs, CLV, blended return and budget allocation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
clv_app = typer.Typer(help="Customer lifetime value: simple, retention-based, or scored from fitted BG/NBD.",
                      no_args_is_help=True)
app.add_typer(clv_app, name="clv")

console = Console()
errors = Console(stderr=True)


def _number(text: str) -> float:
    """Numbers as analysts write them: 450000, 450,000, ¥450,000, 30%."""
    value = coerce_number(text, "value")
    if value is None:
        raise typer.BadParameter("a number is required")
    return value


Money = Annotated[float, typer.Argument(parser=_number, show_default=False)]


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except XhsInputError as error:
        errors.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(2) from None


def _money(value: float | None) -> str:
    if value is None:
        return "—"
    return f"¥{value:,.2f}" if abs(value) < 100 and not float(value).is_integer() else f"¥{value:,.0f}"


def _format(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "fraction":
        return f"{value:.1%}"
    if unit == "CNY":
        return _money(value)
    if unit == "CNY per action":
        return f"¥{value:,.2f}"
    if unit == "ratio":
        return f"1:{value:,.2f}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.3f}"


def _table(rows: list[list[Any]], title: str, columns: list[tuple[str, str, str]]) -> Table:
    """A rich table from a header-row table as the core returns it, showing ``columns``:
    (header in the core's table, title to show, unit to format with)."""
    table = Table(title=title, title_justify="left", header_style="bold")
    index = {str(name): i for i, name in enumerate(rows[0])}
    for _, shown, unit in columns:
        table.add_column(shown, justify="left" if unit == "text" else "right")
    for row in rows[1:]:
        table.add_row(*(_format(row[index[key]], unit) for key, _, unit in columns))
    return table


def _range(low: Any, high: Any) -> str:
    if low is None or high is None:
        return ""
    return f"{low:.0%}" if low == high else f"{low:.0%}–{high:.0%}"


def _plan_table(rows: list[list[Any]], title: str) -> Table:
    """The rule-based plan: share, amount, recommended range, a flag, and creators the money buys."""
    index = {str(name): i for i, name in enumerate(rows[0])}
    table = Table(title=title, title_justify="left", header_style="bold")
    for name, justify in (("line", "left"), ("share", "right"), ("amount", "right"), ("recommended", "right"),
                          ("", "left"), ("notes it buys", "right")):
        table.add_column(name, justify=justify)
    for row in rows[1:]:
        get = lambda key: row[index[key]]  # noqa: E731 - a local reader for this row
        tier = get("group") == "creators"
        flag = {True: "[green]in range[/]", False: "[bold red]outside[/]", None: ""}[get("in_range")]
        notes = "" if get("creators_typical") is None else (
            f"{get('creators_low'):,}–{get('creators_high'):,}" if get("creators_low") != get("creators_high")
            else f"{get('creators_typical'):,}")
        share = get("share_of_group") if tier else get("share_of_total")
        table.add_row(("  " if tier else "") + str(get("line")), _format(share, "fraction"),
                      _money(get("amount")), _range(get("recommended_low"), get("recommended_high")), flag, notes)
    return table


_STAGE_COLUMNS = [("stage", "stage", "text"), ("line", "line", "text"), ("share", "share", "fraction"),
                  ("amount", "amount", "CNY")]
_BREAKDOWN_COLUMNS = [("label", "component", "text"), ("标签", "组成", "text"), ("value", "value", "CNY"),
                      ("weight", "weight", "fraction"), ("weighted value", "weighted", "CNY"),
                      ("share", "share", "fraction")]
_OPTIMAL_COLUMNS = [("tier", "tier", "text"), ("curve", "curve", "text"), ("amount", "amount", "CNY"),
                    ("share", "share", "fraction"), ("expected_return", "expected return", "CNY"),
                    ("average_roi", "ROI", "fraction"), ("marginal_return", "marginal ¥ per ¥", "number"),
                    ("binding", "bound", "text")]


@app.command()
def version() -> None:
    """Print the xhsxl version."""
    console.print(f"xhsxl {xhsxl.__version__}")


@app.command()
def functions(name: Annotated[Optional[str], typer.Argument(help="Show one function in full.")] = None) -> None:
    """List the XHS_ Excel functions with their signatures and help (read from the function library itself)."""
    library = catalogue.read_catalogue()
    if name:
        match = [f for f in library if f.name.upper() == name.upper() or f.name.upper() == f"XHS_{name.upper()}"]
        if not match:
            errors.print(f"[bold red]error:[/] no function {name!r}; run 'xhsxl functions' for the list")
            raise typer.Exit(2)
        f = match[0]
        console.print(f"[bold]{escape(f.signature)}[/]\n{escape(f.summary)}\n")
        table = Table("argument", "optional", "meaning", header_style="bold")
        for a in f.arguments:
            table.add_row(a.name, "yes" if a.optional else "", escape(a.doc or ""))
        console.print(table)
        return
    table = Table(title=f"{len(library)} XHS_ functions", title_justify="left", header_style="bold")
    table.add_column("function", no_wrap=True)
    table.add_column("what it returns")
    for f in library:
        table.add_row(escape(f.signature), escape(f.summary))
    console.print(table)


@app.command()
def fields() -> None:
    """List every campaign input (the one schema): key, labels, unit, default, bounds."""
    table = Table(header_style="bold", title="Campaign inputs", title_justify="left")
    for column in ("group", "key", "label", "标签", "unit", "default", "bounds"):
        table.add_column(column)
    for f in FIELDS:
        table.add_row(GROUPS[f.group][0], f.key, f.label_en, f.label_zh, f.unit,
                      "required" if f.required else ("" if f.default is None else str(f.default)), f.bounds_text())
    console.print(table)


@app.command()
def roi(
    revenue: Money,
    cost: Money,
    basis: Annotated[str, typer.Option(help="net: (revenue − cost) / cost; ratio: revenue / cost.")] = "net",
) -> None:
    """ROI of a campaign: net (the articles' 273 %) or ratio (the platforms' ROI 1:x)."""
    value = _run(lambda: metrics.roi(revenue, cost, basis))
    shown = f"{value:.1%}" if basis == "net" else f"1:{value:.2f}"
    console.print(f"ROI ({basis}) = [bold]{shown}[/]  ({value:.6g})")


@app.command("profit-roi")
def profit_roi(
    revenue: Money,
    cost: Money,
    margin: Annotated[float, typer.Option(parser=_number, help="Gross margin (0.6 or 60%).")],
    refunds: Annotated[float, typer.Option(parser=_number, help="Refund rate.")] = 0.0,
    commission: Annotated[float, typer.Option(parser=_number, help="Platform commission rate.")] = 0.0,
) -> None:
    """Profit ROI, break-even ROAS and break-even revenue."""
    rows = _run(lambda: [
        ["Profit ROI", f"{metrics.profit_roi(revenue, cost, margin, refunds, commission):.1%}"],
        ["ROAS (GMV / spend)", f"{metrics.roas(revenue, cost):.2f}"],
        ["Break-even ROAS", f"{metrics.breakeven_roas(margin, refunds, commission):.2f}"],
        ["Break-even revenue", _money(metrics.breakeven_revenue(cost, margin, refunds, commission))],
    ])
    table = Table("measure", "value", header_style="bold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _load_campaigns(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as error:
        errors.print(f"[bold red]error:[/] cannot read {path}: {error}")
        raise typer.Exit(1) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        errors.print(f"[bold red]error:[/] {path} must hold a campaign object or a list of them")
        raise typer.Exit(1)
    return data


def _print_campaign(campaign: ClientCampaign) -> None:
    results = campaign.results()
    title = campaign.client_name + (f" — {campaign.campaign_name}" if campaign.campaign_name else "")
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("result")
    table.add_column("结果")
    table.add_column("value", justify="right")
    for output in OUTPUTS:
        table.add_row(output.label_en, output.label_zh, _format(results[output.key], output.unit))
    console.print(table)
    console.print(_table(results.breakdown, "Blended return breakdown", _BREAKDOWN_COLUMNS))
    console.print(_plan_table(results.allocation, f"Budget plan for {_money(campaign.budget)}"))
    console.print(_table(results.stage, "Spillover vs closed loop", _STAGE_COLUMNS))
    console.print(_table(results.optimal, "Optimised creator split (reference curves)", _OPTIMAL_COLUMNS))


@app.command()
def campaign(
    files: Annotated[list[Path], typer.Argument(help="JSON files, each a campaign object or a list of them.")],
) -> None:
    """Validate client campaigns and print their full result set: ROI family, KPIs, blended return, plan."""
    failed = 0
    for path in files:
        for index, data in enumerate(_load_campaigns(path), start=1):
            try:
                item = ClientCampaign.model_validate(data)
            except ValidationError as error:
                failed += 1
                name = data.get("client_name", f"campaign {index}")
                for key, value, reason in validation_problems(error):
                    errors.print(f"[bold red]error:[/] {path} #{index} ({name}) {key} = {value!r}: {reason}")
                continue
            _print_campaign(item)
    if failed:
        raise typer.Exit(2)


@app.command()
def allocate(
    budget: Money,
    stage: Annotated[Optional[str], typer.Option(help="cold_start / growth / maturity (冷启动 / 成长期 / 成熟期).")] = None,
    reserve: Annotated[Optional[float], typer.Option(parser=_number, help="Reserve share (default 15%).")] = None,
    content: Annotated[Optional[float], typer.Option(parser=_number, help="Content production share (default 25%).")] = None,
    paid_ads: Annotated[Optional[float], typer.Option(parser=_number, help="Paid ads share (default 16%).")] = None,
    tech: Annotated[Optional[float], typer.Option(parser=_number, help="Tech & analytics share (default 5%).")] = None,
) -> None:
    """Rule-based budget plan from the articles' ranges, with creators per tier and the stage split."""
    shares = {k: v for k, v in (("reserve_share", reserve), ("content_share", content),
                                ("paid_ads_share", paid_ads), ("tech_share", tech)) if v is not None}
    plan = _run(lambda: allocation.allocate_budget(budget, **shares))
    console.print(_plan_table(plan.table(), f"Budget plan for {_money(budget)}"))
    if stage:
        split = _run(lambda: allocation.stage_split(budget, stage))
        console.print(_table(split.table(), "Spillover vs closed loop", _STAGE_COLUMNS))


def _curve(text: str) -> allocation.TierCurve:
    """tier:curve:param1:param2[:shape], e.g. mid:power:1200:0.686."""
    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise typer.BadParameter(f"{text!r}: write tier:curve:param1:param2[:shape], e.g. mid:power:1200:0.686")
    shape = _number(parts[4]) if len(parts) == 5 else 1.0
    return allocation.TierCurve(parts[0], parts[1], _number(parts[2]), _number(parts[3]), shape)


@app.command()
def optimise(
    budget: Money,
    curve: Annotated[list[str], typer.Option(help="tier:curve:param1:param2[:shape]; repeat per tier.")],
) -> None:
    """Optimised creator split: maximise expected return under concave curves within the articles' tier ranges."""
    curves = [_curve(c) for c in curve]
    plan = _run(lambda: allocation.optimal_allocation(budget, curves))
    console.print(_table(plan.table(), f"Optimised split of {_money(budget)}", _OPTIMAL_COLUMNS))


@app.command()
def tier(followers: Annotated[list[float], typer.Argument(parser=_number, help="Follower counts.")]) -> None:
    """Creator tier of each follower count (article 000's bounds)."""
    names = _run(lambda: allocation.classify_tier(followers))
    table = Table("followers", "tier", header_style="bold")
    for count, name in zip(followers, [names] if isinstance(names, str) else list(names)):
        table.add_row(f"{count:,.0f}", str(name))
    console.print(table)


@app.command()
def elasticity(
    budget_before: Annotated[float, typer.Option(parser=_number)] = figures.DIMINISHING_RETURNS["budget_before"].value,
    budget_after: Annotated[float, typer.Option(parser=_number)] = figures.DIMINISHING_RETURNS["budget_after"].value,
    cpm_change: Annotated[float, typer.Option(parser=_number)] = figures.DIMINISHING_RETURNS["cpm_change"].value,
    cvr_change: Annotated[float, typer.Option(parser=_number)] = figures.DIMINISHING_RETURNS["cvr_change"].value,
) -> None:
    """Elasticity of conversions to budget implied by a budget change (article 003: ≈ 0.686)."""
    value = _run(lambda: response.implied_elasticity(budget_before, budget_after, cpm_change, cvr_change))
    console.print(f"elasticity = [bold]{value:.4f}[/]")


@clv_app.command("simple")
def clv_simple(aov: Money, orders_per_period: Money, gross_margin: Money, periods: Money) -> None:
    """AOV × orders per period × gross margin × periods."""
    console.print(f"CLV = [bold]{_money(_run(lambda: clv_core.clv_simple(aov, orders_per_period, gross_margin, periods)))}[/]")


@clv_app.command("retention")
def clv_retention(
    margin: Money,
    retention: Money,
    discount_rate: Money,
    horizon: Annotated[Optional[int], typer.Option(help="Periods counted; default no limit.")] = None,
    timing: Annotated[str, typer.Option(help="future (default) | start | end.")] = "future",
) -> None:
    """Retention-based discounted CLV (future orders only by default)."""
    value = _run(lambda: clv_core.clv_retention(margin, retention, discount_rate, horizon, timing))
    console.print(f"CLV = [bold]{_money(value)}[/]")


# ------------------------------------------------------------------------------------------------ attribution

_CREDIT_COLUMNS = [("channel", "channel", "text"), ("conversions", "conversions", "number"),
                   ("value", "value", "CNY"), ("share", "share", "fraction")]
_REMOVAL_COLUMNS = [("channel", "channel", "text"), ("removal_effect", "removal effect", "fraction"),
                    ("value_removal_effect", "value removal effect", "fraction")]


def _markov_order_option(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise typer.BadParameter(f"a whole number from 1 to 4 or 'auto' (got {text!r})") from None


@app.command()
def attribute(
    source: Annotated[Path, typer.Argument(metavar="INPUT", show_default=False,
                                           help="A path table or, with --touchpoints, a touch log: .csv (UTF-8 or "
                                                "GBK), .xlsx or .parquet (needs pyarrow).")],
    model: Annotated[str, typer.Option(help="markov, first_touch, last_touch, last_non_direct, linear, "
                                            "position_based, time_decay (needs --touchpoints), shapley, "
                                            "simplified_shapley.")] = "markov",
    order: Annotated[str, typer.Option(help="Markov order, 1-4, or 'auto' (chosen by BIC).")] = "1",
    sep: Annotated[str, typer.Option(help="Separator between channels in a path.")] = ">",
    path_col: Annotated[Optional[str], typer.Option(help="Path column (default: path or paths).")] = None,
    conversions_col: Annotated[Optional[str], typer.Option(help="Conversions column (default: conversions).")] = None,
    value_col: Annotated[Optional[str], typer.Option(help="Value column, ¥ (default: value, if present).")] = None,
    nulls_col: Annotated[Optional[str], typer.Option(
        help="Non-converting journeys column (default: nulls, if present).")] = None,
    touchpoints: Annotated[bool, typer.Option(
        "--touchpoints", help="INPUT is one row per touch (user, time, channel, converted, value), aggregated "
                              "into journeys.")] = False,
    lookback: Annotated[float, typer.Option(help="With --touchpoints: days before a journey's end a touch "
                                                 "still counts.")] = LOOKBACK_DAYS.value,
    user_col: Annotated[Optional[str], typer.Option(help="User column (default: user or user_id).")] = None,
    time_col: Annotated[Optional[str], typer.Option(
        help="Time column (default: time or timestamp): dates and times, or numbers of days.")] = None,
    channel_col: Annotated[Optional[str], typer.Option(help="Channel column (default: channel).")] = None,
    converted_col: Annotated[Optional[str], typer.Option(
        help="Converted column (default: converted): 1/0, TRUE/FALSE, yes/no; blank = not converted.")] = None,
    half_life: Annotated[float, typer.Option(help="time_decay: days for a touch's weight to halve.")]
        = TIME_DECAY_HALF_LIFE_DAYS.value,
    removal_effects: Annotated[bool, typer.Option(
        "--removal-effects", help="Also print the Markov removal effects.")] = False,
    sheet: Annotated[Optional[str], typer.Option(help="The worksheet of an XLSX (default: the first).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Also write the result as CSV (UTF-8).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the --out file if it exists.")] = False,
) -> None:
    """Multi-touch attribution of a path table or a touch log: credit per channel, exact Markov by default.

    A path table has one journey pattern per row — path ("kol_mid > search_ads > tmall"), conversions, and
    optionally value and nulls (journeys along the path that did not convert). Markov and Shapley need the
    nulls: without them every path converts and the credit is biased (a warning says so).
    """
    from xhsxl.core import attribution
    from xhsxl.workbook.clients import ClientFileError
    from xhsxl.workbook.journey_files import read_path_table, read_touchpoints

    name = _run(lambda: attribution.model_name(model))
    chosen_order = _markov_order_option(order)
    if name == "time_decay" and not touchpoints:
        errors.print("[bold red]error:[/] time_decay needs the time of each touch: run it with --touchpoints on "
                     "the touch log")
        raise typer.Exit(2)
    columns = ({"user": user_col, "time": time_col, "channel": channel_col, "converted": converted_col,
                "value": value_col} if touchpoints else
               {"path": path_col, "conversions": conversions_col, "value": value_col, "nulls": nulls_col})
    with errors.status(f"reading {escape(source.name)}") as status:
        def progress(message: str) -> None:
            status.update(escape(message))

        try:
            if touchpoints:
                read = _run(lambda: read_touchpoints(source, columns, lookback_days=lookback, sheet=sheet,
                                                     progress=progress))
            else:
                read = _run(lambda: read_path_table(source, columns, sep=sep, sheet=sheet, progress=progress))
        except ClientFileError as error:
            errors.print(f"[bold red]error:[/] {escape(str(error))}")
            raise typer.Exit(1) from None
        table = read.table
        found = ", ".join(f"{role} ← {header!r}" for role, header in read.columns.items() if header is not None)
        absent = [role for role, header in read.columns.items() if header is None]
        where = (f", sheet {read.sheet!r}" if read.sheet else "") + (
            f", {read.encoding}" if read.encoding not in (None, "utf-8", "utf-8-sig") else "")
        console.print(f"[dim]{escape(source.name)} ({read.file_format}{where}): {read.rows:,} rows; columns "
                      f"{escape(found)}" + (f"; no {' or '.join(absent)} column" if absent else "") + "[/]")
        if not table.has_nulls and (name in ("markov", "shapley") or removal_effects):
            errors.print(f"[yellow]warning: {escape(MISSING_NON_CONVERSIONS_MESSAGE)}[/]")
        status.update(f"{name} attribution of {table.n_paths:,} paths over {table.n_channels} channels")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", attribution.MissingNonConversionsWarning)  # said once, above
            result = _run(lambda: attribution.attribute(table, name, order=chosen_order, half_life_days=half_life))
            chain = None
            if removal_effects:
                chain = result if result.model == "markov" else _run(lambda: attribution.markov(table, chosen_order))

    summary = (f"{table.n_paths:,} {'journeys' if touchpoints else 'paths'}, {table.n_channels} channels, "
               f"{table.total_conversions:,.0f} conversions")
    if table.total_value is not None:
        summary += f", {_money(table.total_value)}"
    if table.has_nulls:
        summary += f", {table.nulls.sum():,.0f} journeys not converting"
    console.print(summary)
    if result.model == "markov":
        title = (f"Markov attribution, order {result.order}" + (" (chosen by BIC)" if chosen_order == "auto" else "")
                 + f" · P(conversion) {result.conversion_probability:.2%}")
    else:
        title = f"{result.model.replace('_', ' ').capitalize()} attribution"
    rows = result.table()
    console.print(_table(rows, title, _CREDIT_COLUMNS if result.value is not None else
                         [c for c in _CREDIT_COLUMNS if c[0] != "value"]))
    if "standard_errors" in result.details:
        console.print(f"[dim]Shapley values sampled ({result.details['permutations']:,} channel orders, seed "
                      f"{result.details['seed']}); standard errors are in the result's details[/]")
    removal = None if chain is None else chain.removal_effects_table()
    if removal is not None:
        console.print(_table(removal, f"Removal effects (Markov, order {chain.order})",
                             _REMOVAL_COLUMNS if chain.value is not None else _REMOVAL_COLUMNS[:2]))
    if out is not None:
        _write_attribution_csv(out, rows, removal, overwrite)


def _write_attribution_csv(out: Path, rows: list[list[Any]], removal: list[list[Any]] | None,
                           overwrite: bool) -> None:
    import csv
    import io

    from xhsxl.workbook.safe_files import atomic_write

    table = [list(row) for row in rows]
    if removal is not None:
        for row, extra in zip(table, removal):
            row.extend(extra[1:])
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows([["" if v is None else v for v in row] for row in table])
    data = buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read Chinese channel names
    try:
        atomic_write(out, lambda temp: temp.write_bytes(data), overwrite=overwrite)
    except FileExistsError as error:
        errors.print(f"[bold red]error:[/] {error}; add --overwrite to replace it")
        raise typer.Exit(1) from None
    except OSError as error:
        errors.print(f"[bold red]error:[/] cannot write {out}: {error.strerror or error}")
        raise typer.Exit(1) from None
    console.print(f"wrote [bold]{escape(str(out))}[/]")


# ------------------------------------------------------------------------------------------------ workbooks


def _campaign_from_json(path: Path) -> ClientCampaign:
    items = _load_campaigns(path)
    if len(items) != 1:
        errors.print(f"[bold red]error:[/] {path} holds {len(items)} campaigns; fill takes one (use xhsxl batch)")
        raise typer.Exit(1)
    try:
        return ClientCampaign.model_validate(items[0])
    except ValidationError as error:
        for key, value, reason in validation_problems(error):
            errors.print(f"[bold red]error:[/] {path}: {key} = {value!r}: {reason}")
        raise typer.Exit(2) from None


def _write(campaign: ClientCampaign | None, out: Path, static: bool, overwrite: bool,
           sheet_values: dict[str, Any] | None = None, example: bool | None = None) -> None:
    from xhsxl.workbook.fill import write_workbook

    try:
        write_workbook(campaign, out, static=static, overwrite=overwrite, sheet_values=sheet_values, example=example)
    except FileExistsError as error:
        errors.print(f"[bold red]error:[/] {error}; add --overwrite to replace it")
        raise typer.Exit(1) from None
    console.print(f"wrote {'static' if static else 'live'} workbook [bold]{out}[/]")


Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace the file if it exists.")]
Example = Annotated[bool, typer.Option(
    "--example", help="Fill the analyst's blocks (paths, touch log, checkpoints, past campaigns) with the worked "
                      "examples instead of leaving them empty for the client's own data.")]


@app.command()
def template(
    path: Annotated[Path, typer.Argument(help="Where to write the template.")] = Path("xhsxl_template.xlsx"),
    overwrite: Overwrite = False,
) -> None:
    """Write the template workbook (filled with case study 1 as an example) from the schema."""
    _write(None, path, False, overwrite)


#: A batch run lists every client's headline results up to twice this many; beyond, the lowest and highest ROI.
_HEADLINE_ENDS = 10


@app.command()
def batch(
    clients: Annotated[Path, typer.Argument(help="Table of clients: CSV (UTF-8 or GBK), XLSX or JSON; one row per campaign.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the workbooks, summary.xlsx and errors.csv.")],
    static: Annotated[bool, typer.Option("--static", help="Values in place of XHS_ formulas (for clients without the add-in).")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", min=1, help="Worker processes (default: every core).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace client workbooks that already exist.")] = False,
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Only this client (repeat for several).")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Worksheet of an XLSX table (default: the first).")] = None,
    example: Example = False,
) -> None:
    """One finished workbook per client, plus summary.xlsx and errors.csv, in one command.

    Columns are the input keys (xhsxl fields) or their English or Chinese labels; 30% and 0.3, ¥1,200,000
    and 1200000 are read alike. Every bad row is reported with its row, column and reason while every good
    row is still written. Existing client workbooks are kept unless --overwrite; summary.xlsx and
    errors.csv always describe the latest run. Exit status: 0 all rows written, 2 some rows rejected or
    not written, 1 the table could not be read.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from xhsxl.workbook.batch import run_batch
    from xhsxl.workbook.clients import ClientFileError

    interactive = console.is_terminal
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console, transient=True) if interactive else None
    task = None
    shown = {"written": "wrote", "skipped": "kept", "rejected": "rejected", "failed": "not written"}

    def report(outcome: Any) -> None:
        if bar is not None and task is not None:
            bar.advance(task)
        elif not interactive:
            where = f" -> {outcome.path.name}" if outcome.path else ""
            print(f"row {outcome.row}: {shown[outcome.status]} {outcome.client}{where}", flush=True)

    try:
        if bar is not None:
            with bar:
                from xhsxl.workbook.clients import read_clients

                task = bar.add_task("building workbooks", total=len(read_clients(clients, sheet).rows))
                result = run_batch(clients, out, static, jobs, overwrite, only or (), sheet, report, example)
        else:
            result = run_batch(clients, out, static, jobs, overwrite, only or (), sheet, report, example)
    except ClientFileError as error:
        errors.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(1) from None
    for path in result.cleaned:
        console.print(f"removed {path.name}, left by an interrupted run")
    for name in result.not_found:
        errors.print(f"[yellow]warning:[/] --only {name!r} matches no client in {clients}")
    for problem in result.problems():
        colour = "yellow" if problem.column == "(file)" and "kept" in problem.reason else "red"
        errors.print(f"[{colour}]row {problem.row}[/], {escape(str(problem.column))}"
                     + (f" = {escape(repr(problem.value))}" if problem.value not in (None, "") else "")
                     + f": {escape(problem.reason)}")
    table = Table("status", "clients", header_style="bold", title=f"{clients.name} → {out}", title_justify="left")
    for status, label in (("written", "written"), ("skipped", "kept (already there)"), ("rejected", "rejected"),
                          ("failed", "not written")):
        table.add_row(label, str(result.count(status)))
    console.print(table)
    with_results = [outcome for outcome in result.outcomes if outcome.headline]
    title = "Headline results"
    shown: list[Any] = with_results
    if len(with_results) > 2 * _HEADLINE_ENDS:
        # A long run: the extremes, where a mistyped input shows first; every client is in summary.xlsx.
        ranked = sorted(with_results, key=lambda o: (o.headline["roi"] is not None, o.headline["roi"] or 0.0))
        shown = ranked[:_HEADLINE_ENDS] + [None] + ranked[-_HEADLINE_ENDS:]
        title = (f"Headline results: the {_HEADLINE_ENDS} lowest and {_HEADLINE_ENDS} highest ROI of "
                 f"{len(with_results):,} clients (all of them in {result.summary.name})")
    summary = Table(header_style="bold", title=title, title_justify="left")
    for column in ("client", "ROI", "ROI 1:x", "profit ROI", "blended ROI", "workbook"):
        summary.add_column(column, justify="left" if column in ("client", "workbook") else "right")
    for outcome in shown:
        if outcome is None:
            summary.add_row("…", "…", "…", "…", "…", "…")
            continue
        h = outcome.headline
        summary.add_row(escape(outcome.client), _format(h["roi"], "fraction"), _format(h["roas"], "ratio"),
                        _format(h["profit_roi"], "fraction"), _format(h["blended_roi"], "fraction"),
                        escape(outcome.path.name if outcome.path else ""))
    if summary.row_count:
        console.print(summary)
    console.print(f"summary: [bold]{result.summary}[/]   problems: [bold]{result.errors}[/]")
    raise typer.Exit(result.exit_code)


@app.command()
def fill(
    client: Annotated[Path, typer.Argument(help="A JSON file with one campaign object (schema keys).")],
    out: Annotated[Path, typer.Option("--out", help="The workbook to write.")],
    static: Annotated[bool, typer.Option("--static", help="Values in place of XHS_ formulas (no add-in needed).")] = False,
    overwrite: Overwrite = False,
    example: Example = False,
) -> None:
    """Write a client's workbook from a campaign JSON file."""
    _write(_campaign_from_json(client), out, static, overwrite, example=example)


@app.command()
def read(workbook: Annotated[Path, typer.Argument(help="An xhsxl workbook.")]) -> None:
    """Print a workbook's inputs as JSON; each bad cell is reported with its sheet, cell and reason."""
    from xhsxl.workbook.clients import ClientFileError
    from xhsxl.workbook.read import read_inputs

    try:
        inputs = read_inputs(workbook)
    except ClientFileError as error:
        errors.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(1) from None
    for problem in inputs.problems:
        errors.print(f"[bold red]error:[/] {problem}")
    for problem in inputs.sheet_problems:
        errors.print(f"[yellow]warning:[/] {escape(str(problem))}")
    if inputs.campaign is None:
        raise typer.Exit(2)
    print(json.dumps(inputs.campaign.model_dump(), ensure_ascii=False, indent=2))


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


@app.command()
def recalc(
    workbook: Annotated[Path, typer.Argument(help="A workbook to evaluate headlessly.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the static copy here (.xlsx).")] = None,
    static: Annotated[bool, typer.Option("--static", help="Write the static copy (default name: X.static.xlsx).")] = False,
    overwrite: Overwrite = False,
) -> None:
    """Evaluate every formula with the XHS_ functions and report cells that end in an Excel error.

    With --static (or --out) it also writes the deliverable for a client without Python: the same layout,
    formats and charts with values in place of XHS_ formulas, checked against the recalculated live cells.
    """
    from xhsxl.workbook.clients import ClientFileError
    from xhsxl.workbook.recalc import recalculate
    from xhsxl.workbook.read import read_inputs
    from xhsxl.workbook.static import static_mismatches

    result = recalculate(workbook)
    table = Table("sheet", "cell", "formula", "error", header_style="bold", title=f"{workbook}", title_justify="left")
    for error in result.errors:
        table.add_row(error.sheet, error.cell, escape(str(error.formula)), escape(f"{error.error} {error.message or ''}"))
    count = sum(len(cells) for cells in result.values.values())
    if result.errors:
        console.print(table)
    for line in _padding_lines(result.padding):
        console.print(f"[yellow]note:[/] {escape(line)}")
    console.print(f"{count:,} cells evaluated, {len(result.errors)} ending in an error")
    if not (static or out):
        raise typer.Exit(2 if result.errors else 0)
    try:
        inputs = read_inputs(workbook)
    except ClientFileError as error:
        errors.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(1) from None
    if inputs.campaign is None:
        for problem in inputs.problems:
            errors.print(f"[bold red]error:[/] {problem}")
        raise typer.Exit(2)
    for problem in inputs.sheet_problems:
        errors.print(f"[yellow]warning:[/] {escape(str(problem))}")
    mismatches = static_mismatches(inputs.campaign, result, sheet_values=inputs.sheet_values)
    for mismatch in mismatches:
        errors.print(f"[bold red]error:[/] static and live disagree at {mismatch}")
    target = out or workbook.with_name(workbook.stem + ".static.xlsx")
    _write(inputs.campaign, target, True, overwrite, inputs.sheet_values)
    raise typer.Exit(2 if result.errors or mismatches else 0)


# ------------------------------------------------------------------------------------------------ planner


def _csv_rows(path: Path) -> list[list[str]]:
    """The rows of a CSV file (UTF-8 with or without BOM, GBK, UTF-16), cells as text."""
    import csv
    import io

    from xhsxl.workbook.clients import ClientFileError, decode_text

    try:
        text, _ = decode_text(path, path.read_bytes())
    except OSError as error:
        errors.print(f"[bold red]error:[/] cannot read {path}: {error.strerror or error}")
        raise typer.Exit(1) from None
    except ClientFileError as error:
        errors.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(1) from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        errors.print(f"[bold red]error:[/] {path} is empty")
        raise typer.Exit(1)
    width = max(len(row) for row in rows)
    return [row + [""] * (width - len(row)) for row in rows]


_BAND_UNITS = {"CNY": "CNY", "count": "count", "fraction": "fraction", "ratio": "ratio"}


def _band_table(result: Any, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for name, justify in (("metric", "left"), ("指标", "left"), ("low", "right"), ("base", "right"), ("high", "right")):
        table.add_column(name, justify=justify)
    for metric, chinese, unit, *values in result.table()[1:]:
        table.add_row(metric, chinese, *(_format(value, _BAND_UNITS[unit]) for value in values))
    return table


def _lines_table(result: Any, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for name in ("line", "spend", "impressions", "visits", "conversions", "revenue", "ROAS", "next ¥ returns",
                 "flattens at"):
        table.add_column(name, justify="left" if name == "line" else "right")
    for row in result.base.lines + (result.base.total,):
        table.add_row(
            row.line, _money(row.spend), _format(row.impressions, "count"), _format(row.visits, "count"),
            _format(row.direct_conversions + row.cross_platform_conversions, "count"), _money(row.revenue),
            _format(row.roas, "ratio"), "—" if row.marginal_roas is None else f"¥{row.marginal_roas:,.2f}",
            _money(row.flattening_spend),
        )
    return table


def _print_findings(findings: Any) -> None:
    colour = {"high": "bold red", "medium": "yellow", "info": "green"}
    console.print("[bold]Recommendations / 建议[/]")
    for finding in findings:
        console.print(f"[{colour[finding.severity]}]{finding.severity:>6}[/]  {escape(finding.message_en)}")
        console.print(f"        {escape(finding.message_zh)}")


def _split_shares(split: str | None, tiers: str | None) -> dict[str, Any]:
    from xhsxl.core import planner
    from xhsxl.planner_tables import parse_amounts

    arguments = {"reserve": "reserve_share", "content_production": "content_share", "paid_ads": "paid_ads_share",
                 "tech_analytics": "tech_share"}
    shares: dict[str, Any] = {}
    for name, value in parse_amounts(split, "--split").items():
        line = planner.normalize_line(name)
        if line not in arguments:
            raise XhsInputError(f"--split sets reserve, content, paid_ads and tech (got {name}); use --tiers for creators")
        shares[arguments[line]] = value
    tier_shares = {}
    for name, value in parse_amounts(tiers, "--tiers").items():
        line = planner.normalize_line(name)
        if line not in planner.CREATOR_LINES:
            raise XhsInputError(f"--tiers sets top, mid, micro and nano (got {name})")
        tier_shares[line] = value
    if tier_shares:
        shares["tier_shares"] = tier_shares
    return shares


@app.command()
def forecast(
    budget: Annotated[Optional[float], typer.Argument(
        parser=_number, show_default=False, help="Total budget, ¥, split by the article's plan (see --split).")] = None,
    stage: Annotated[Optional[str], typer.Option(
        help="Brand stage for cross-platform sales: cold_start / growth / maturity (冷启动 / 成长期 / 成熟期); "
             "default direct sales only.")] = None,
    split: Annotated[Optional[str], typer.Option(
        help="Budget line shares, e.g. reserve=15%,content=25%,paid_ads=16%,tech=5% (the rest goes to creators).")] = None,
    tiers: Annotated[Optional[str], typer.Option(
        help="Creator budget shares, e.g. top=25%,mid=50%,micro=25%.")] = None,
    lines: Annotated[Optional[Path], typer.Option(
        help="CSV of budget lines instead of BUDGET: line,amount[,cpm_index,cvr_index].")] = None,
    case: Annotated[Optional[int], typer.Option(
        help="Forecast case study 1 or 2 of article 000, line by line as printed.")] = None,
    history: Annotated[Optional[Path], typer.Option(
        help="Calibrate the benchmarks on this history CSV first (see xhsxl calibrate).")] = None,
    margin: Annotated[float, typer.Option(parser=_number, help="Gross margin on sales.")] = 0.5,
    commission: Annotated[float, typer.Option(parser=_number, help="Xiaohongshu commission on its own sales.")] = 0.10,
    refunds: Annotated[float, typer.Option(parser=_number, help="Share of sales refunded.")] = 0.0,
) -> None:
    """Forecast a plan before the campaign: funnel, revenue and ROI in the low, base and high cases, per line, and
    recommendations in English and Chinese."""
    from xhsxl.core import planner
    from xhsxl.planner_tables import read_budget_lines, read_history

    given = [name for name, value in (("BUDGET", budget), ("--lines", lines), ("--case", case)) if value is not None]
    if len(given) != 1:
        errors.print("[bold red]error:[/] give exactly one of BUDGET, --lines FILE or --case 1|2"
                     + (f" (got {', '.join(given)})" if given else ""))
        raise typer.Exit(2)

    def plan() -> Any:
        cpm_index = cvr_index = None
        if lines is not None:
            budget_lines = read_budget_lines(_csv_rows(lines), str(lines))
            amounts: Any = budget_lines.lines
            cpm_index, cvr_index = budget_lines.cpm_index or None, budget_lines.cvr_index or None
        elif case is not None:
            amounts = planner.case_study_lines(case)
        else:
            amounts = planner.plan_lines(budget, **_split_shares(split, tiers))
        benchmarks = None
        if history is not None:
            table = read_history(_csv_rows(history), str(history))
            benchmarks = planner.calibrate(table.spend, table.impressions, table.engagements, table.conversions,
                                           table.revenue, table.visits).benchmarks
        return planner.forecast(amounts, stage, benchmarks, margin, refunds, commission, cpm_index=cpm_index,
                                cvr_index=cvr_index)

    result = _run(plan)
    total = result.base.cost
    where = f", stage {result.stage}" if result.stage else ", direct sales only"
    console.print(_band_table(result, f"Forecast for {_money(total)}{where}: low / base / high"))
    console.print(_lines_table(result, "By budget line (base case)"))
    _print_findings(_run(lambda: planner.recommend(result)))


@app.command()
def calibrate(
    history: Annotated[Path, typer.Argument(
        help="CSV of past campaigns with a header: spend, impressions, engagements, conversions, revenue, [visits].")],
    reference_spend: Annotated[float, typer.Option(parser=_number, help="Spend at which CPM and CVR are quoted.")] = 200_000,
    fixed_curvature: Annotated[bool, typer.Option(
        "--fixed-curvature", help="Keep article 003's curvature instead of fitting it (2 rows suffice).")] = False,
) -> None:
    """Fit the funnel benchmarks (CPM, engagement rate, CTR, CVR, AOV, curvature) to a client's past campaigns, with
    standard errors."""
    from xhsxl.core import planner
    from xhsxl.planner_tables import read_history

    def fit() -> Any:
        table = read_history(_csv_rows(history), str(history))
        return planner.calibrate(table.spend, table.impressions, table.engagements, table.conversions, table.revenue,
                                 table.visits, reference_spend, not fixed_curvature)

    result = _run(fit)
    table = Table(title=f"Benchmarks fitted to {result.rows} past campaigns ({history.name})", title_justify="left",
                  header_style="bold")
    for name, justify in (("benchmark", "left"), ("low", "right"), ("base", "right"), ("high", "right"),
                          ("std. error", "right"), ("residual sd", "right"), ("how", "left")):
        table.add_column(name, justify=justify)

    def shown(name: str, value: float | None) -> str:
        if value is None:
            return "—"
        if name in ("cpm", "aov", "reference_spend"):
            return f"¥{value:,.2f}"
        if name in ("engagement_rate", "ctr", "cvr"):
            return f"{value:.3%}"
        return f"{value:.4f}"

    for item in result.estimates:
        table.add_row(item.name, shown(item.name, item.low), shown(item.name, item.value), shown(item.name, item.high),
                      shown(item.name, item.std_error), "—" if item.residual_sd is None else f"{item.residual_sd:.3f}",
                      escape(item.how))
    console.print(table)
    _run(lambda: result.benchmarks)  # says so when the fitted curvature cannot be used for a forecast
    console.print(f"Forecast with them: xhsxl forecast BUDGET --history {history}")


@app.command()
def reallocate(
    checkpoints: Annotated[Path, typer.Argument(
        help="CSV of results so far: line, hours, spend, revenue (or conversions, engagements), [planned].")],
    reserve: Annotated[float, typer.Option(parser=_number, help="The reserve to reallocate, ¥.", show_default=False)],
    caps: Annotated[Optional[str], typer.Option(help="Most extra ¥ per line, e.g. mid=30000,paid_ads=50000.")] = None,
    metric: Annotated[Optional[str], typer.Option(
        help="Result to maximise: revenue, conversions or engagements (default the first present).")] = None,
    elasticity: Annotated[float, typer.Option(
        parser=_number, help="Curve elasticity for lines with one checkpoint.")] = figures.DEFAULT_ELASTICITY.value,
) -> None:
    """Move the reserve to the lines whose next ¥ returns most, under curves fitted to 24 h / 72 h / 7 d results;
    the amounts add up exactly to the reserve."""
    from xhsxl.core import planner
    from xhsxl.planner_tables import parse_amounts, read_checkpoints

    def solve() -> Any:
        table = read_checkpoints(_csv_rows(checkpoints), metric, str(checkpoints))
        return planner.reallocate(table.line, table.spend, table.result, reserve, hours=table.hours,
                                  caps=parse_amounts(caps, "--caps") or None, planned=table.planned or None,
                                  elasticity=elasticity, metric=table.metric, lines_order=table.lines_order)

    result = _run(solve)
    table = Table(title=f"Reserve of {_money(result.reserve)} by marginal {result.metric}", title_justify="left",
                  header_style="bold")
    for name in ("line", "at", "spend so far", result.metric, "per ¥", "elasticity", "next ¥ now", "cap", "extra",
                 "share", "next ¥ after", f"expected +{result.metric}"):
        table.add_column(name, justify="left" if name == "line" else "right")
    for line in result.lines:
        table.add_row(
            line.line, "—" if line.checkpoint_hours is None else f"{line.checkpoint_hours:g} h",
            _money(line.spend_so_far), _format(line.result_so_far, "count"),
            "—" if line.return_per_yuan is None else f"{line.return_per_yuan:,.3f}",
            "—" if line.elasticity is None else f"{line.elasticity:.3f} ({line.curve})",
            "—" if line.marginal_before is None else f"{line.marginal_before:,.3f}", _money(line.cap),
            _money(line.amount) + (" (cap)" if line.binding == "cap" else ""), _format(line.share_of_reserve, "fraction"),
            "—" if line.marginal_after is None else f"{line.marginal_after:,.3f}", _format(line.expected_gain, "count"),
        )
    console.print(table)
    exact = "exactly" if sum(result.amounts().values()) == result.reserve else "to rounding"
    console.print(f"The amounts add up {exact} to {_money(result.reserve)}; expected extra {result.metric}: "
                  f"{_format(result.expected_gain, 'count')}.")


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

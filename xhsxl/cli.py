"""The ``xhsxl`` command: the same core as the Excel functions, from a shell, printed as rich tables.

Every number comes from :mod:`xhsxl.core` through the same calls the UDFs make; invalid input prints the
core's message (argument, value, rule) and exits with status 2.
"""

from __future__ import annotations

import json
import sys
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


def _write(campaign: ClientCampaign | None, out: Path, static: bool, overwrite: bool) -> None:
    from xhsxl.workbook.fill import write_workbook

    try:
        write_workbook(campaign, out, static=static, overwrite=overwrite)
    except FileExistsError as error:
        errors.print(f"[bold red]error:[/] {error}; add --overwrite to replace it")
        raise typer.Exit(1) from None
    console.print(f"wrote {'static' if static else 'live'} workbook [bold]{out}[/]")


Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace the file if it exists.")]


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
    static: Annotated[bool, typer.Option("--static", help="Values in place of XHS_ formulas (no add-in needed).")] = False,
    overwrite: Overwrite = False,
) -> None:
    """Write a client's workbook from a campaign JSON file."""
    _write(_campaign_from_json(client), out, static, overwrite)


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
    if inputs.campaign is None:
        raise typer.Exit(2)
    print(json.dumps(inputs.campaign.model_dump(), ensure_ascii=False, indent=2))


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
    mismatches = static_mismatches(inputs.campaign, result)
    for mismatch in mismatches:
        errors.print(f"[bold red]error:[/] static and live disagree at {mismatch}")
    target = out or workbook.with_name(workbook.stem + ".static.xlsx")
    _write(inputs.campaign, target, True, overwrite)
    raise typer.Exit(2 if result.errors or mismatches else 0)


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

"""Campaign arithmetic from a shell: ROI family, a campaign's full result set, rule-based and optimised
allocation, creator tiers and the implied elasticity — the same core calls the XHS_ functions make."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from xhsxl.cli.exits import App, CommandError, ExitCode, about, print_error
from xhsxl.cli.output import (Column, EncodingOption, FormatOption, Money, OutputFormat, Section, emit, formatted, money,
                              parse_amount, parse_number, say, share_range)
from xhsxl.core import figures

app = App()

STAGE_COLUMNS = [Column("stage", unit="text"), Column("line", unit="text"), Column("share", unit="fraction"),
                 Column("amount", unit="CNY")]
BREAKDOWN_COLUMNS = [Column("label", "component", "text"), Column("标签", "组成", "text"),
                     Column("value", unit="CNY"), Column("weight", unit="fraction"),
                     Column("weighted value", "weighted", "CNY"), Column("share", unit="fraction")]
OPTIMAL_COLUMNS = [Column("tier", unit="text"), Column("curve", unit="text"), Column("amount", unit="CNY"),
                   Column("share", unit="fraction"), Column("expected_return", "expected return", "CNY"),
                   Column("average_roi", "ROI", "fraction"), Column("marginal_return", "marginal ¥ per ¥"),
                   Column("binding", "bound", "text")]


def _creators(row: dict[str, Any]) -> str:
    if row["creators_typical"] is None:
        return ""
    if row["creators_low"] != row["creators_high"]:
        return f"{row['creators_low']:,}–{row['creators_high']:,}"
    return f"{row['creators_typical']:,}"


def _plan_share(row: dict[str, Any]) -> str:
    return formatted(row["share_of_group"] if row["group"] == "creators" else row["share_of_total"], "fraction")


PLAN_COLUMNS = [
    Column("line", unit="text", show=lambda row: ("  " if row["group"] == "creators" else "") + str(row["line"])),
    Column("share", "share", "fraction", show=_plan_share, data=False),
    Column("amount", unit="CNY"),
    Column("recommended", unit="text", data=False,
           show=lambda row: share_range(row["recommended_low"], row["recommended_high"])),
    Column("in_range", "", "flag", show=lambda row: {True: "in range", False: "outside", None: ""}[row["in_range"]],
           style=lambda row: {True: "green", False: "bold red"}.get(row["in_range"], "")),
    Column("creators", "notes it buys", "count", show=_creators, data=False),
]


def plan_sections(plan_table: list[list[Any]], title: str) -> Section:
    """The rule-based plan: share, amount, recommended range, a flag, and creators the money buys."""
    return Section.from_core("plan", title, plan_table, PLAN_COLUMNS)


@app.command()
def roi(
    revenue: Money,
    cost: Money,
    basis: Annotated[str, typer.Option(help="net: (revenue − cost) / cost; ratio: revenue / cost.")] = "net",
) -> None:
    """ROI of a campaign: net (the articles' 273 %) or ratio (the platforms' ROI 1:x)."""
    from xhsxl.core import metrics

    value = metrics.roi(revenue, cost, basis)
    shown = f"{value:.1%}" if basis == "net" else f"1:{value:.2f}"
    say(f"ROI ({basis}) = {shown}  ({value:.6g})")


@app.command("profit-roi")
def profit_roi(
    revenue: Money,
    cost: Money,
    margin: Annotated[float, typer.Option(parser=parse_number, help="Gross margin (0.6 or 60%).")],
    refunds: Annotated[float, typer.Option(parser=parse_number, help="Refund rate.")] = 0.0,
    commission: Annotated[float, typer.Option(parser=parse_number, help="Platform commission rate.")] = 0.0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Profit ROI, break-even ROAS and break-even revenue."""
    from xhsxl.core import metrics

    rows = [
        {"measure": "Profit ROI", "value": metrics.profit_roi(revenue, cost, margin, refunds, commission),
         "unit": "fraction"},
        {"measure": "ROAS (GMV / spend)", "value": metrics.roas(revenue, cost), "unit": "ratio"},
        {"measure": "Break-even ROAS", "value": metrics.breakeven_roas(margin, refunds, commission), "unit": "ratio"},
        {"measure": "Break-even revenue", "value": metrics.breakeven_revenue(cost, margin, refunds, commission),
         "unit": "CNY"},
    ]
    emit(Section("profit_roi", "Profit view", [
        Column("measure", unit="text"),
        Column("value", show=lambda row: formatted(row["value"], row["unit"])), Column("unit", table=False)],
        rows), fmt)


def load_campaigns(path: Path, encoding: str | None = None) -> list[dict[str, Any]]:
    import json

    from xhsxl.workbook.clients import decode_text, read_file_bytes

    text, _ = decode_text(path, read_file_bytes(path), encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{path}: not valid JSON ({error})", ExitCode.FILE) from None
    except ValueError as error:  # an integer longer than Python converts: a value, not the file, is wrong
        raise CommandError(f"{path}: a number in it is too long to be a value ({error})", ExitCode.INPUT) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise CommandError(f"{path} must hold a campaign object or a list of them", ExitCode.FILE)
    return data


def validated_campaign(data: dict[str, Any], where: str) -> Any | None:
    """The validated campaign, or None after one error line per bad field (``where``, field, value, reason)."""
    from pydantic import ValidationError

    from xhsxl.excel.campaign import campaign_cells
    from xhsxl.schema import ClientCampaign, validation_problems

    values, refused = campaign_cells(data)
    for key, error in refused.items():
        print_error(f"{where}: {key} = {data[key]!r}: {error.reason or error}")
    if refused:
        return None
    try:
        return ClientCampaign.model_validate(values)
    except ValidationError as error:
        for key, value, reason in validation_problems(error):
            print_error(f"{where}: {key} = {value!r}: {reason}")
        return None


def campaign_sections(campaign: Any) -> list[Section]:
    """Every table of a campaign's results; the first is titled with the client, and every row carries the
    client's name in CSV and JSON (a file may hold several campaigns)."""
    from xhsxl.schema import OUTPUTS

    results = campaign.results()
    client = campaign.client_name + (f" — {campaign.campaign_name}" if campaign.campaign_name else "")
    headline = Section("results", client, [
        Column("key", table=False), Column("result", unit="text"), Column("结果", unit="text"),
        Column("value", show=lambda row: formatted(row["value"], row["unit"])), Column("unit", table=False)],
        [{"key": output.key, "result": output.label_en, "结果": output.label_zh, "value": results[output.key],
          "unit": output.unit} for output in OUTPUTS])
    sections = [
        headline,
        Section.from_core("breakdown", "Blended return breakdown", results.breakdown, BREAKDOWN_COLUMNS),
        plan_sections(results.allocation, f"Budget plan for {money(campaign.budget)}"),
        Section.from_core("stage", "Spillover vs closed loop", results.stage, STAGE_COLUMNS),
        Section.from_core("optimal", "Optimised creator split (reference curves)", results.optimal, OPTIMAL_COLUMNS),
    ]
    for section in sections:
        section.columns = [Column("client", table=False), *section.columns]
        for row in section.rows:
            row["client"] = client
    return sections


@app.command()
def campaign(
    files: Annotated[list[Path], typer.Argument(help="JSON files, each a campaign object or a list of them.")],
    encoding: EncodingOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Validate client campaigns and print their full result set: ROI family, KPIs, blended return, plan.

    Every bad field of every campaign is reported (file, campaign, field, value, reason); the good ones are
    still printed. Exit status 2 when any campaign was refused.
    """
    failed = 0
    sections: list[Section] = []
    for path in files:
        with about(path):
            items = load_campaigns(path, encoding)
        for index, data in enumerate(items, start=1):
            item = validated_campaign(data, f"{path} #{index} ({data.get('client_name', f'campaign {index}')})")
            if item is None:
                failed += 1
                continue
            if fmt == OutputFormat.table:
                emit(campaign_sections(item))
            else:
                sections.extend(campaign_sections(item))
    if sections:
        emit(sections, fmt)
    if failed:
        raise typer.Exit(ExitCode.INPUT)


@app.command()
def allocate(
    budget: Money,
    stage: Annotated[Optional[str], typer.Option(help="cold_start / growth / maturity (冷启动 / 成长期 / 成熟期).")] = None,
    reserve: Annotated[Optional[float], typer.Option(parser=parse_number, help="Reserve share (default 15%).")] = None,
    content: Annotated[Optional[float], typer.Option(
        parser=parse_number, help="Content production share (default 25%).")] = None,
    paid_ads: Annotated[Optional[float], typer.Option(parser=parse_number, help="Paid ads share (default 16%).")] = None,
    tech: Annotated[Optional[float], typer.Option(parser=parse_number, help="Tech & analytics share (default 5%).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Rule-based budget plan from the articles' ranges, with creators per tier and the stage split."""
    from xhsxl.core import allocation

    shares: dict[str, Any] = {k: v for k, v in (("reserve_share", reserve), ("content_share", content),
                                ("paid_ads_share", paid_ads), ("tech_share", tech)) if v is not None}
    plan = allocation.allocate_budget(budget, **shares)
    sections = [plan_sections(plan.table(), f"Budget plan for {money(budget)}")]
    if stage:
        split = allocation.stage_split(budget, stage)
        sections.append(Section.from_core("stage", "Spillover vs closed loop", split.table(), STAGE_COLUMNS))
    emit(sections, fmt)


def _curve(text: str) -> Any:
    """tier:curve:param1:param2[:shape], e.g. mid:power:1200:0.686."""
    from xhsxl.core import allocation

    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise typer.BadParameter(f"{text!r}: write tier:curve:param1:param2[:shape], e.g. mid:power:1200:0.686")
    shape = parse_amount(parts[4]) if len(parts) == 5 else 1.0
    return allocation.TierCurve(parts[0], parts[1], parse_amount(parts[2]), parse_amount(parts[3]), shape)


@app.command()
def optimise(
    budget: Money,
    curve: Annotated[list[str], typer.Option(help="tier:curve:param1:param2[:shape]; repeat per tier.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Optimised creator split: maximise expected return under concave curves within the articles' tier ranges."""
    from xhsxl.core import allocation

    plan = allocation.optimal_allocation(budget, [_curve(c) for c in curve])
    emit(Section.from_core("optimal", f"Optimised split of {money(budget)}", plan.table(), OPTIMAL_COLUMNS), fmt)


@app.command()
def tier(
    followers: Annotated[list[float], typer.Argument(parser=parse_amount, help="Follower counts.")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Creator tier of each follower count (article 000's bounds)."""
    from xhsxl.core import allocation

    found = allocation.classify_tier(followers)
    names = [found] if isinstance(found, str) else list(found)
    emit(Section("tiers", "Creator tiers", [Column("followers", unit="count"), Column("tier", unit="text")],
                 [{"followers": count, "tier": str(name)} for count, name in zip(followers, names)]), fmt)


@app.command()
def elasticity(
    budget_before: Annotated[float, typer.Option(parser=parse_amount)] = figures.DIMINISHING_RETURNS["budget_before"].value,
    budget_after: Annotated[float, typer.Option(parser=parse_amount)] = figures.DIMINISHING_RETURNS["budget_after"].value,
    cpm_change: Annotated[float, typer.Option(parser=parse_number)] = figures.DIMINISHING_RETURNS["cpm_change"].value,
    cvr_change: Annotated[float, typer.Option(parser=parse_number)] = figures.DIMINISHING_RETURNS["cvr_change"].value,
) -> None:
    """Elasticity of conversions to budget implied by a budget change (article 003: ≈ 0.686)."""
    from xhsxl.core import response

    value = response.implied_elasticity(budget_before, budget_after, cpm_change, cvr_change)
    say(f"elasticity = {value:.4f}")

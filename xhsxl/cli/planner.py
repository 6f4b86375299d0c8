"""Planner commands: forecast a plan before the campaign, calibrate the benchmarks on a client's history, and
reallocate the reserve from checkpoint results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from xhsxl.cli.exits import App, CommandError, about
from xhsxl.cli.output import (Column, EncodingOption, FormatOption, OutputFormat, Section, emit, formatted, money, parse_amount,
                              parse_number, say)
from xhsxl.core import figures

app = App()


def _csv_rows(path: Path, encoding: str | None = None) -> list[list[str]]:
    """The rows of a CSV file (UTF-8 with or without BOM, GBK, UTF-16), cells as text."""
    import csv
    import io

    from xhsxl.workbook.clients import decode_text, read_file_bytes

    with about(path):
        text, _ = decode_text(path, read_file_bytes(path), encoding)
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise CommandError(f"{path} holds no rows")
    width = max(len(row) for row in rows)
    return [row + [""] * (width - len(row)) for row in rows]


def _band_section(result: Any, title: str) -> Section:
    def band(key: str) -> Column:
        return Column(key, unit="number", show=lambda row: formatted(row[key], row["unit"]))

    return Section.from_core("forecast", title, result.table(), [
        Column("metric", unit="text"), Column("指标", unit="text"), Column("unit", table=False),
        band("low"), band("base"), band("high")])


def _lines_section(result: Any, title: str) -> Section:
    rows = [{"line": row.line, "spend": row.spend, "impressions": row.impressions, "visits": row.visits,
             "conversions": row.direct_conversions + row.cross_platform_conversions, "revenue": row.revenue,
             "roas": row.roas, "marginal_roas": row.marginal_roas, "flattening_spend": row.flattening_spend}
            for row in result.base.lines + (result.base.total,)]
    return Section("lines", title, [
        Column("line", unit="text"), Column("spend", unit="CNY"), Column("impressions", unit="count"),
        Column("visits", unit="count"), Column("conversions", unit="count"), Column("revenue", unit="CNY"),
        Column("roas", "ROAS", "ratio"), Column("marginal_roas", "next ¥ returns", "CNY2"),
        Column("flattening_spend", "flattens at", "CNY")], rows)


def _findings_section(findings: Any) -> Section:
    colour = {"high": "bold red", "medium": "yellow", "info": "green"}
    return Section("findings", "Recommendations / 建议", [
        Column("severity", unit="text", style=lambda row: colour.get(row["severity"], "")),
        Column("code", table=False), Column("line", table=False),
        Column("message_en", "", "text"), Column("message_zh", "", "text")],
        [{"severity": f.severity, "code": f.code, "line": f.line, "message_en": f.message_en,
          "message_zh": f.message_zh} for f in findings], blocks=True)


def _split_shares(split: str | None, tiers: str | None) -> dict[str, Any]:
    from xhsxl.core import planner
    from xhsxl.core.errors import XhsInputError
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


def _history(path: Path, encoding: str | None = None) -> Any:
    from xhsxl.planner_tables import read_history

    rows = _csv_rows(path, encoding)
    with about(path):
        return read_history(rows, str(path))


@app.command()
def forecast(
    budget: Annotated[Optional[float], typer.Argument(
        parser=parse_amount, show_default=False, help="Total budget, ¥, split by the article's plan (see --split).")] = None,
    stage: Annotated[Optional[str], typer.Option(
        help="Brand stage: cold_start / growth / maturity (冷启动 / 成长期 / 成熟期). Recorded only: 003's stage split "
             "divides the budget, not the sales (see --spillover).")] = None,
    spillover: Annotated[Optional[str], typer.Option(
        help="Off-platform share of sales (Tmall, JD, offline): measured, e.g. 56%; a range low,base,high, e.g. "
             "40%,50%,60%; or a stated prior: case_study_2 (000's 56 % at maturity, 42-70 %) or users (003's 70 % of "
             "users, 0-70 %). Default: direct sales only.")] = None,
    level: Annotated[float, typer.Option(
        parser=parse_number, help="Level of the prediction interval (the band), e.g. 80% or 0.9.")] = 0.8,
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
    margin: Annotated[float, typer.Option(parser=parse_number, help="Gross margin on sales.")] = 0.5,
    commission: Annotated[float, typer.Option(parser=parse_number, help="Xiaohongshu commission on its own sales.")] = 0.10,
    refunds: Annotated[float, typer.Option(parser=parse_number, help="Share of sales refunded.")] = 0.0,
    encoding: EncodingOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Forecast a plan before the campaign: funnel, revenue and ROI in the low, base and high cases, per line, and
    recommendations in English and Chinese."""
    from xhsxl.core import planner
    from xhsxl.planner_tables import read_budget_lines

    given = [name for name, value in (("BUDGET", budget), ("--lines", lines), ("--case", case)) if value is not None]
    if len(given) != 1:
        raise CommandError("give exactly one of BUDGET, --lines FILE or --case 1|2"
                           + (f" (got {', '.join(given)})" if given else ""))
    cpm_index = cvr_index = None
    if lines is not None:
        rows = _csv_rows(lines, encoding)
        with about(lines):
            budget_lines = read_budget_lines(rows, str(lines))
        amounts: Any = budget_lines.lines
        cpm_index, cvr_index = budget_lines.cpm_index or None, budget_lines.cvr_index or None
    elif case is not None:
        amounts = planner.case_study_lines(case)
    elif budget is not None:
        amounts = planner.plan_lines(budget, **_split_shares(split, tiers))
    benchmarks = None
    if history is not None:
        table = _history(history, encoding)
        benchmarks = planner.calibrate(table.spend, table.impressions, table.engagements, table.conversions,
                                       table.revenue, table.visits).benchmarks
    result = planner.forecast(amounts, stage, benchmarks, margin, refunds, commission,
                              spillover=_spillover_option(spillover), cpm_index=cpm_index, cvr_index=cvr_index,
                              level=level)
    where = f", stage {result.stage}" if result.stage else ""
    emit([_band_section(result, f"Forecast for {money(result.base.cost)}{where}: base and {result.level:.0%} "
                                "prediction interval (low / high)"),
          _lines_section(result, "By budget line (base case)"),
          _findings_section(planner.recommend(result))], fmt)
    say(f"Off-platform share of sales: {result.spillover.source}", fmt)
    say(f"Band: {result.interval_source}", fmt)


def _spillover_option(text: str | None) -> Any:
    """--spillover as the core takes it: None, a measured share ("56%"), a range ("42%,56%,70%") or a prior's name."""
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) == 3:
        return tuple(parse_number(part) for part in parts)
    try:
        return parse_number(text)
    except typer.BadParameter:
        return text.strip()


def _calibration_value(row: dict[str, Any], key: str) -> str:
    value = row[key]
    if value is None:
        return "—"
    if row["benchmark"] in ("cpm", "aov", "reference_spend"):
        return f"¥{value:,.2f}"
    if row["benchmark"] in ("engagement_rate", "ctr", "cvr"):
        return f"{value:.3%}"
    return f"{value:.4f}"


@app.command()
def calibrate(
    history: Annotated[Path, typer.Argument(
        help="CSV of past campaigns with a header: spend, impressions, engagements, conversions, revenue, [visits].")],
    reference_spend: Annotated[float, typer.Option(parser=parse_amount, help="Spend at which CPM and CVR are quoted.")] = 200_000,
    fixed_curvature: Annotated[bool, typer.Option(
        "--fixed-curvature", help="Keep article 003's curvature instead of fitting it (2 rows suffice).")] = False,
    encoding: EncodingOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Fit the funnel benchmarks (CPM, engagement rate, CTR, CVR, AOV, curvature) to a client's past campaigns, with
    standard errors."""
    from xhsxl.core import planner

    table = _history(history, encoding)
    result = planner.calibrate(table.spend, table.impressions, table.engagements, table.conversions, table.revenue,
                               table.visits, reference_spend, not fixed_curvature)

    def value(key: str) -> Column:
        return Column(key, key.replace("_", " ").replace("std error", "std. error"),
                      show=lambda row: _calibration_value(row, key))

    emit(Section("benchmarks", f"Benchmarks fitted to {result.rows} past campaigns ({history.name})", [
        Column("benchmark", unit="text"), value("low"), value("base"), value("high"), value("std_error"),
        Column("residual_sd", "residual sd", show=lambda row: formatted(row["residual_sd"], "number")),
        Column("how", unit="text")],
        [{"benchmark": e.name, "low": e.low, "base": e.value, "high": e.high, "std_error": e.std_error,
          "residual_sd": e.residual_sd, "how": e.how} for e in result.estimates]), fmt)
    result.benchmarks  # raises, saying why, when the fitted curvature cannot be used for a forecast
    say(f"Forecast with them: xhsxl forecast BUDGET --history {history}", fmt)


def _signed(key: str) -> Callable[[dict[str, Any]], str]:
    """A signed percentage cell (an error or a bias): +4.4 %, or — where there is none."""
    return lambda row: "—" if row[key] is None else f"{row[key]:+.1%}"


@app.command()
def backtest(
    history: Annotated[Optional[Path], typer.Argument(
        help="CSV of past campaigns with a header: [campaign], spend, impressions, engagements, conversions, revenue, "
             "[visits]; at least 4 rows.")] = None,
    cases: Annotated[bool, typer.Option(
        "--cases", help="Backtest article 000's two case studies instead, each forecast from a fit to the other.")] = False,
    level: Annotated[float, typer.Option(parser=parse_number, help="Level of the prediction interval, e.g. 80%.")] = 0.8,
    fixed_curvature: Annotated[bool, typer.Option(
        "--fixed-curvature", help="Keep article 003's curvature in every fold instead of fitting it.")] = False,
    encoding: EncodingOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Forecast each past campaign from the others (leave-one-out) and report the errors of revenue, conversions
    and ROI (MAPE and bias) and how often the prediction interval held the actual figure."""
    from xhsxl.core import planner

    if (history is None) == (not cases):
        raise CommandError("give exactly one of HISTORY or --cases")
    if cases:
        result = planner.case_study_backtest(level)
        source = "article 000's case studies"
    else:
        assert history is not None
        table = _history(history, encoding)
        result = planner.backtest(table.spend, table.impressions, table.engagements, table.conversions, table.revenue,
                                  table.visits, campaigns=table.campaigns, level=level,
                                  fit_curvature=not fixed_curvature)
        source = history.name
    rows = [{"campaign": row.campaign, "revenue": row.actual_revenue, "forecast": row.forecast_revenue,
             "low": row.revenue_low, "high": row.revenue_high, "error": row.revenue_error,
             "conversions_error": row.conversions_error, "roi": row.actual_roi, "forecast_roi": row.forecast_roi,
             "inside": "yes" if row.revenue_covered else "no"} for row in result.rows]
    per_campaign = Section("backtest", f"Leave-one-out backtest of {source}: {result.level:.0%} interval", [
        Column("campaign", unit="text"), Column("revenue", unit="CNY"), Column("forecast", unit="CNY"),
        Column("low", "interval low", "CNY"), Column("high", "interval high", "CNY"),
        Column("error", show=_signed("error")), Column("conversions_error", "conv. error", show=_signed("conversions_error")),
        Column("roi", "ROI", "fraction"), Column("forecast_roi", "forecast ROI", "fraction"),
        Column("inside", "in interval", "text")], rows)
    overall = Section("summary", "Overall", [
        Column("metric", unit="text"), Column("mape", "MAPE", "fraction"), Column("bias", show=_signed("bias")),
        Column("coverage", f"in {result.level:.0%} interval", "fraction")],
        [{"metric": metric, "mape": result.mape(metric), "bias": result.bias(metric),
          "coverage": result.coverage(metric) if metric != "roi" else None}
         for metric in ("revenue", "conversions", "roi")])
    emit([per_campaign, overall], fmt)


@app.command()
def reallocate(
    checkpoints: Annotated[Path, typer.Argument(
        help="CSV of results so far: line, hours, spend, revenue (or conversions, engagements), [planned].")],
    reserve: Annotated[float, typer.Option(parser=parse_amount, help="The reserve to reallocate, ¥.", show_default=False)],
    caps: Annotated[Optional[str], typer.Option(help="Most extra ¥ per line, e.g. mid=30000,paid_ads=50000.")] = None,
    metric: Annotated[Optional[str], typer.Option(
        help="Result to maximise: revenue, conversions or engagements (default the first present).")] = None,
    elasticity: Annotated[float, typer.Option(
        parser=parse_number, help="Curve elasticity for lines with one checkpoint.")] = figures.DEFAULT_ELASTICITY.value,
    encoding: EncodingOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Move the reserve to the lines whose next ¥ returns most, under curves fitted to 24 h / 72 h / 7 d results;
    the amounts add up exactly to the reserve."""
    from xhsxl.core import planner
    from xhsxl.planner_tables import parse_amounts, read_checkpoints

    rows = _csv_rows(checkpoints, encoding)
    with about(checkpoints):
        table = read_checkpoints(rows, metric, str(checkpoints))
    result = planner.reallocate(table.line, table.spend, table.result, reserve, hours=table.hours,
                                caps=parse_amounts(caps, "--caps", percent=False) or None, planned=table.planned or None,
                                elasticity=elasticity, metric=table.metric, lines_order=table.lines_order)

    def per_yuan(key: str) -> Any:
        return lambda row: "—" if row[key] is None else f"{row[key]:,.3f}"

    lines = Section.from_core("reallocation", f"Reserve of {money(result.reserve)} by marginal {result.metric}",
                              result.table()[:-1], [
        Column("line", unit="text"),
        Column("checkpoint_hours", "at", show=lambda row: "—" if row["checkpoint_hours"] is None
               else f"{row['checkpoint_hours']:g} h"),
        Column("spend_so_far", "spend so far", "CNY"), Column("result_so_far", result.metric, "count"),
        Column("return_per_yuan", "per ¥", show=per_yuan("return_per_yuan")),
        Column("elasticity", show=lambda row: "—" if row["elasticity"] is None
               else f"{row['elasticity']:.3f} ({row['curve']})"),
        Column("marginal_before", "next ¥ now", show=per_yuan("marginal_before")), Column("cap", unit="CNY"),
        Column("amount", "extra", show=lambda row: money(row["amount"]) + (" (cap)" if row["binding"] == "cap" else "")),
        Column("share_of_reserve", "share", "fraction"),
        Column("marginal_after", "next ¥ after", show=per_yuan("marginal_after")),
        Column("expected_gain", f"expected +{result.metric}", "count")])
    emit(lines, fmt)
    exact = "exactly" if sum(result.amounts().values()) == result.reserve else "to rounding"
    say(f"The amounts add up {exact} to {money(result.reserve)}; expected extra {result.metric}: "
        f"{formatted(result.expected_gain, 'count')}.", fmt)

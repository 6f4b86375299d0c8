"""The planner's commands on the example files the README uses: forecast, calibrate, reallocate."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xhsxl import cli
from xhsxl.cli import app
from xhsxl.core.planner import calibrate, forecast, reallocate
from xhsxl.planner_tables import read_checkpoints, read_history

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Tables as a wide terminal shows them (the console is made once, at import, 80 columns when not a tty)."""
    monkeypatch.setattr(cli.console, "width", 240)


def run(*args):
    return runner.invoke(app, [str(a) for a in args], terminal_width=240)


def _csv(path):
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_forecast_of_case_study_1_prints_its_figures_back():
    result = run("forecast", "--case", 1)
    assert result.exit_code == 0, result.output
    assert "6,200,000" in result.output and "85,000" in result.output and "4,200" in result.output
    assert "¥1,680,000" in result.output and "273.3%" in result.output
    assert "Recommendations / 建议" in result.output


def test_forecast_of_a_budget_with_a_stated_spillover_range_prints_the_band_lines_and_findings():
    result = run("forecast", "450,000", "--stage", "成长期", "--spillover", "40%,50%,60%", "--split",
                 "reserve=18%,content=30%", "--tiers", "top=25%,mid=50%,micro=25%")
    assert result.exit_code == 0, result.output
    expected = forecast({"reserve": 81_000, "content_production": 135_000, "paid_ads": 72_000, "tech_analytics": 22_500,
                         "top": 34_875, "mid": 69_750, "micro": 34_875}, "growth", spillover=(0.4, 0.5, 0.6))
    assert f"¥{expected.base.total.revenue:,.0f}" in result.output
    assert re.search(r"spillover_share\s+│\s+站外销售占比\s+│\s+40\.0%\s+│\s+50\.0%\s+│\s+60\.0%", result.output)
    assert "80% prediction" in result.output and "Off-platform share of sales: stated range" in result.output
    assert "By budget line" in result.output and "content_production" in result.output


def test_forecast_names_its_spillover_source_and_refuses_a_stage_as_one():
    prior = run("forecast", "--case", "2", "--stage", "maturity", "--spillover", "case_study_2", "--level", "90%")
    assert prior.exit_code == 0, prior.output
    assert "90% prediction interval" in prior.output and "000 case study 2 measured 56%" in " ".join(prior.output.split())
    stage = run("forecast", "450000", "--spillover", "cold_start")
    assert stage.exit_code == 2 and "budget split" in stage.output


def test_backtest_prints_each_campaign_and_the_overall_errors_and_coverage():
    result = run("backtest", EXAMPLES / "history.csv")
    assert result.exit_code == 0, result.output
    assert "MAPE" in result.output and "in 80% interval" in result.output
    rows = run("backtest", EXAMPLES / "history.csv", "--format", "csv").output.split("\n\n")
    assert rows[0].splitlines()[0].startswith("campaign,revenue,forecast,low,high,error")
    assert any(line.startswith("618 warm-up,") for line in rows[0].splitlines())
    assert rows[1].splitlines()[0] == "metric,mape,bias,coverage"
    cases = run("backtest", "--cases")
    assert cases.exit_code == 0 and "000 case study 2" in cases.output
    assert run("backtest").exit_code == 2
    short = run("backtest", EXAMPLES / "checkpoints.csv")
    assert short.exit_code == 2


def test_forecast_reads_lines_from_a_csv_and_calibrates_on_a_history(tmp_path):
    lines = tmp_path / "lines.csv"
    lines.write_text("line,amount,cpm_index\nmid,¥200000,1.2\npaid ads,80000,\ntech,20000,\n", encoding="utf-8")
    result = run("forecast", "--lines", lines, "--history", EXAMPLES / "history.csv")
    assert result.exit_code == 0, result.output
    history = read_history(_csv(EXAMPLES / "history.csv"))
    fitted = calibrate(history.spend, history.impressions, history.engagements, history.conversions, history.revenue,
                       history.visits).benchmarks
    expected = forecast({"mid": 200_000, "paid_ads": 80_000, "tech_analytics": 20_000}, benchmarks=fitted,
                        cpm_index={"mid": 1.2})
    assert f"¥{expected.base.total.revenue:,.0f}" in result.output


def test_forecast_needs_exactly_one_plan_and_reports_bad_input_with_status_2():
    assert run("forecast").exit_code == 2
    assert run("forecast", 450_000, "--case", 1).exit_code == 2
    bad = run("forecast", 450_000, "--split", "radio=10%")
    assert bad.exit_code == 2 and "line must be one of" in bad.output
    loss = run("forecast", 450_000, "--margin", "5%")
    assert loss.exit_code == 2 and "must exceed commission_rate" in loss.output


def test_calibrate_prints_the_fitted_benchmarks_with_errors():
    result = run("calibrate", EXAMPLES / "history.csv")
    assert result.exit_code == 0, result.output
    history = read_history(_csv(EXAMPLES / "history.csv"))
    fit = calibrate(history.spend, history.impressions, history.engagements, history.conversions, history.revenue,
                    history.visits)
    assert f"¥{fit.estimate('cpm').value:,.2f}" in result.output
    assert f"{fit.estimate('cpm_curvature').value:.4f}" in result.output
    assert "9 past campaigns" in result.output and "std. error" in result.output


def test_calibrate_refuses_too_short_a_history(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("spend,impressions,engagements,conversions,revenue\n100000,1500000,20000,1000,300000\n"
                     "200000,2600000,35000,1800,550000\n", encoding="utf-8")
    result = run("calibrate", short)
    assert result.exit_code == 2 and "at least 3 history rows" in result.output
    assert run("calibrate", short, "--fixed-curvature").exit_code == 0
    assert run("calibrate", tmp_path / "missing.csv").exit_code == 1


def test_reallocate_splits_the_reserve_exactly_within_the_caps():
    result = run("reallocate", EXAMPLES / "checkpoints.csv", "--reserve", 80_000, "--caps", "mid=30000")
    assert result.exit_code == 0, result.output
    assert "add up exactly to ¥80,000" in result.output
    table = read_checkpoints(_csv(EXAMPLES / "checkpoints.csv"))
    plan = reallocate(table.line, table.spend, table.result, 80_000, hours=table.hours, caps={"mid": 30_000})
    best = max(plan.lines, key=lambda line: line.amount)
    assert best.line == "micro" and f"¥{best.amount:,.0f}" in result.output
    assert plan.amounts()["top"] == 0  # its results flattened


def test_reallocate_on_another_metric_and_with_too_small_caps():
    result = run("reallocate", EXAMPLES / "checkpoints.csv", "--reserve", "¥80,000", "--metric", "engagements")
    assert result.exit_code == 0 and "marginal engagements" in result.output
    bad = run("reallocate", EXAMPLES / "checkpoints.csv", "--reserve", 80_000, "--caps",
              "top=1,mid=1,micro=1,paid_ads=1,content_production=1")
    assert bad.exit_code == 2 and "less than the reserve" in bad.output


@pytest.mark.parametrize("command", ["forecast", "calibrate", "reallocate"])
def test_planner_commands_have_complete_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output


def test_every_planner_command_in_the_planning_page_runs():
    section = (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    commands = [line.split("#")[0].split() for line in block.splitlines() if line.strip()]
    assert len(commands) >= 5
    for words in commands:
        assert words[0] == "xhsxl"
        result = run(*[ROOT / word if word.startswith("examples/") else word for word in words[1:]])
        assert result.exit_code == 0, (words, result.output)


def test_the_readmes_case_study_table_is_each_case_forecast_from_the_other():
    from xhsxl.core import figures
    from xhsxl.core.planner import case_study_lines, fit_campaign

    one, two = figures.CASE_STUDY_1, figures.CASE_STUDY_2
    fit_one = fit_campaign(case_study_lines(1), one.impressions, one.direct_conversions, one.revenue,
                           visits=one.profile_visitors)
    fit_two = fit_campaign(case_study_lines(2), two.impressions, two.direct_conversions,
                           (1 - two.other_channel_revenue_share) * two.revenue, engagements=two.engagements)
    readme = (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")
    for number, case, result in (
            (1, one, forecast(case_study_lines(1), "cold_start", fit_two, spillover=0.0)),
            (2, two, forecast(case_study_lines(2), "maturity", fit_one, spillover=two.other_channel_revenue_share))):
        cases = [result.case(c) for c in ("low", "base", "high")]
        conversions = case.direct_conversions + (case.cross_platform_conversions or 0)
        rows = [
            ("Impressions", f"{case.impressions:,.0f}", [f"{c.total.impressions:,.0f}" for c in cases]),
            ("Conversions" + (" (direct + Tmall)" if number == 2 else ""), f"{conversions:,.0f}",
             [f"{c.conversions:,.0f}" for c in cases]),
            ("Revenue", f"¥{case.revenue:,.0f}", [f"¥{c.total.revenue:,.0f}" for c in cases]),
            ("ROI", f"{case.revenue / case.total_cost * 100 - 100:,.0f} %", [f"{c.roi * 100:,.0f} %" for c in cases]),
        ]
        for label, actual, forecasts in rows:
            assert f"| {label} | {actual} | {' | '.join(forecasts)} |" in readme, (number, label)

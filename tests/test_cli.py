"""The xhsxl command: each command runs, prints the core's numbers, and refuses bad input with status 2."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xhsxl import catalogue
from xhsxl.cli import app

ROOT = Path(__file__).parent.parent
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], terminal_width=200)


def test_functions_lists_every_udf_with_its_signature():
    result = run("functions")
    assert result.exit_code == 0
    for function in catalogue.read_catalogue():
        assert function.name in result.output
    detail = run("functions", "roi")
    assert detail.exit_code == 0 and "XHS_ROI(revenue, cost, [basis])" in detail.output
    assert run("functions", "nope").exit_code == 2


def test_roi_prints_the_articles_273_percent():
    result = run("roi", "1,680,000", "¥450,000")
    assert result.exit_code == 0 and "273.3%" in result.output
    assert "1:7.24" in run("roi", 4_920_000, 680_000, "--basis", "ratio").output


def test_bad_input_exits_2_with_the_cores_message():
    result = run("roi", 100, 0)
    assert result.exit_code == 2
    assert "cost must be greater than 0 (got 0)" in result.output


def test_campaign_prints_full_results_for_both_case_studies():
    result = run("campaign", ROOT / "examples" / "case_studies.json")
    assert result.exit_code == 0, result.output
    assert "273.3%" in result.output and "623.5%" in result.output
    assert "Blended return breakdown" in result.output and "Spillover vs closed loop" in result.output


def test_campaign_reports_every_bad_field_and_exits_2(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"client_name": "A", "creator_fees": -1, "gross_margin": 60},
                                {"client_name": "B", "creator_fees": 1000}]), encoding="utf-8")
    result = run("campaign", path)
    assert result.exit_code == 2
    assert "creator_fees" in result.output and "write 60% or 0.6" in result.output
    assert "B" in result.output  # the good campaign still printed


def test_allocate_flags_shares_outside_the_articles_ranges():
    result = run("allocate", 450_000, "--stage", "成长期", "--reserve", "30%")
    assert result.exit_code == 0, result.output
    assert re.search(r"reserve\s+│\s+30\.0%.*outside", result.output)
    assert "closed_loop" in result.output


def test_optimise_tier_elasticity_and_clv_commands():
    result = run("optimise", 250_000, "--curve", "top:power:40:0.6", "--curve", "mid:power:60:0.686",
                 "--curve", "micro:hill:300000:80000")
    assert result.exit_code == 0, result.output
    assert "¥250,000" in result.output and "expected" in result.output
    assert re.search(r"top\s+│\s+power\s+│\s+¥50,000\s+│\s+20\.0%", result.output)  # held at its 20 % floor
    assert "mid" in run("tier", 50_000, 9_999).output
    assert "0.6860" in run("elasticity").output
    assert "¥2,400" in run("clv", "simple", 400, 0.5, "60%", 20).output
    retention = run("clv", "retention", 100, 0.5, 0.0)
    assert retention.exit_code == 0 and "¥100" in retention.output


@pytest.mark.parametrize("command", ["roi", "allocate", "campaign", "optimise", "clv", "fields", "functions"])
def test_every_command_has_complete_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output

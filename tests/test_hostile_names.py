"""Tier names typed by a user: a misspelt tier is refused with the tier it resembles, never planned as a
tier of its own with no range; names of the user's own stay accepted where the API allows them."""

import pytest
from typer.testing import CliRunner

from xhsxl import udfs
from xhsxl.cli import app
from xhsxl.core.allocation import TierCurve, allocate_budget, checked_custom_tier, expected_return, optimal_allocation, reference_spend
from xhsxl.core.errors import XhsInputError


def cli(*args):
    return CliRunner().invoke(app, [*map(str, args)], terminal_width=200)


def test_optimise_refuses_a_misspelt_tier_with_did_you_mean_and_exit_2():
    result = cli("optimise", "100000", "--curve", "tpo:power:40:0.6", "--curve", "mid:power:40:0.6")
    assert result.exit_code == 2, result.output
    assert "did you mean 'top'?" in result.output
    assert "Traceback" not in result.output


def test_optimise_keeps_a_tier_name_of_the_users_own():
    result = cli("optimise", "100000", "--curve", "brand_partners:power:40:0.6", "--curve", "mid:power:40:0.6",
                 "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "brand_partners" in result.output


@pytest.mark.parametrize("typed, meant", [("tpo", "top"), ("mdi", "mid"), ("mirco", "micro"), ("nanno", "nano")])
def test_a_near_miss_of_each_article_tier_is_refused_naming_it(typed, meant):
    with pytest.raises(XhsInputError, match=f"did you mean '{meant}'"):
        checked_custom_tier(typed)


def test_the_optimal_allocation_function_refuses_a_misspelt_tier_in_its_curve_table():
    curves = [["tier", "curve", "param1", "param2"], ["tpo", "power", 40, 0.6], ["mid", "power", 40, 0.6]]
    with pytest.raises(XhsInputError, match="did you mean 'top'"):
        udfs.XHS_OPTIMAL_ALLOCATION(100000, curves)


def test_a_rule_based_plan_suggests_the_tier_a_share_or_fee_table_misspells():
    with pytest.raises(XhsInputError, match="tier_shares tier must be one of .*did you mean 'mid'"):
        allocate_budget(100000, tier_shares=[["mdi", 0.5], ["top", 0.5]])
    with pytest.raises(XhsInputError, match="fee_table tier must be one of .*did you mean 'top'"):
        allocate_budget(100000, fee_table={"tpo": 5000})


def test_a_forecast_line_misspelling_a_tier_is_refused_with_did_you_mean():
    with pytest.raises(XhsInputError, match="did you mean 'top'"):
        udfs.XHS_FORECAST([["line", "amount"], ["tpo", 100000]], "growth")


def test_share_bounds_and_amounts_naming_a_tier_without_a_curve_suggest_the_curve_meant():
    curves = [TierCurve("mid", "power", 1, 0.5), TierCurve("top", "power", 1, 0.5)]
    with pytest.raises(XhsInputError, match="did you mean 'top'"):
        optimal_allocation(100000, curves, min_shares={"tpo": 0.2})
    with pytest.raises(XhsInputError, match="did you mean 'mid'"):
        expected_return({"mdi": 100}, curves)
    with pytest.raises(XhsInputError, match="did you mean 'micro'"):
        reference_spend(100000, "micor")


def test_reallocate_caps_naming_a_misspelt_line_suggest_the_line_meant(tmp_path):
    checkpoints = tmp_path / "checkpoints.csv"
    checkpoints.write_text("line,hours,spend,revenue\nmid,24,10000,30000\nmid,72,20000,50000\n"
                           "top,24,10000,20000\ntop,72,20000,30000\n", encoding="utf-8")
    result = cli("reallocate", checkpoints, "--reserve", "10000", "--caps", "tpo=3000")
    assert result.exit_code == 2, result.output
    assert "caps names line 'tpo'" in result.output and "did you mean 'top'?" in result.output

"""Tiers, the rule-based plan, the stage split and the optimised plan (checked against SLSQP)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from xhsxl.core import figures
from xhsxl.core.allocation import (
    ALLOCATION_TABLE_HEADER,
    DEFAULT_TIER_SHARES,
    OPTIMAL_TABLE_HEADER,
    STAGE_TABLE_HEADER,
    AllocationPlan,
    TierCurve,
    allocate_budget,
    classify_tier,
    expected_return,
    normalize_stage,
    optimal_allocation,
    stage_split,
)
from xhsxl.core.errors import XhsInputError

# ============================================================================================== tiers


@pytest.mark.parametrize(
    "followers, tier",
    [
        (0, "nano"), (1, "nano"), (9_999, "nano"), (9_999.5, "nano"),
        (10_000, "micro"), (10_001, "micro"), (49_999, "micro"),
        (50_000, "mid"), (50_001, "mid"), (199_999, "mid"),
        (200_000, "top"), (200_001, "top"), (1e9, "top"),
    ],
)
def test_classify_tier_at_and_around_every_bound(followers, tier):
    assert classify_tier(followers) == tier


def test_classify_tier_returns_str_for_a_number_and_array_of_same_shape_for_a_range():
    assert type(classify_tier(12_345)) is str
    out = classify_tier([[5_000, 60_000], [250_000, 10_000]])
    assert out.shape == (2, 2)
    assert out.tolist() == [["nano", "mid"], ["top", "micro"]]


def test_classify_tier_custom_bounds_as_mapping_or_pairs():
    bounds = {"small": 0, "broad_reach": figures.BROAD_REACH_FOLLOWERS.low}
    assert classify_tier([499_999, 500_000], bounds).tolist() == ["small", "broad_reach"]
    pairs = [("nano", 0), ("micro", 5_000), ("mid", 100_000), ("top", 1_000_000)]
    assert classify_tier([4_999, 5_000, 100_000, 999_999, 1_000_000], pairs).tolist() == [
        "nano", "micro", "mid", "mid", "top"]


def test_classify_tier_accepts_the_figures_table_itself():
    assert classify_tier(50_000, figures.TIER_FOLLOWER_BOUNDS) == "mid"


@pytest.mark.parametrize(
    "bounds, message",
    [
        ({"nano": 0, "micro": 60_000, "mid": 50_000}, "bounds must increase"),
        ({"nano": 0, "micro": 10_000, "mid": 10_000}, "bounds must increase"),
        ({"micro": 10_000, "mid": 50_000}, "bounds must start at 0"),
        ({"nano": 0, "micro": -5}, "bounds for tier micro must be at least 0"),
        ({"nano": 0, "micro": "many"}, "bounds for tier micro must be a number"),
        ({}, "bounds must name at least one tier"),
        ([("nano", 0), ("Nano", 10)], "bounds must name each tier once"),
        ({"": 0}, "bounds must be a tier name"),
        ("nano", "bounds must be a table"),
    ],
)
def test_classify_tier_rejects_bad_bounds(bounds, message):
    with pytest.raises(XhsInputError, match=message):
        classify_tier(1_000, bounds)


def test_classify_tier_rejects_negative_followers_naming_the_argument():
    with pytest.raises(XhsInputError, match=r"followers must be at least 0 \(got -1 at position 2\)"):
        classify_tier([5, -1])


# ================================================================================= rule-based plan


def test_rule_based_defaults_for_450000_by_hand():
    plan = allocate_budget(450_000)
    budget = {line.line: line for line in plan.lines if line.group == "budget"}
    assert list(budget) == ["reserve", "content_production", "paid_ads", "tech_analytics", "creators"]
    assert {k: v.share_of_total for k, v in budget.items()} == pytest.approx(
        {"reserve": 0.15, "content_production": 0.25, "paid_ads": 0.16, "tech_analytics": 0.05, "creators": 0.39})
    # 15 % / 25 % / 16 % / 5 % of ¥450,000, the creators the remaining 39 %.
    assert {k: v.amount for k, v in budget.items()} == {
        "reserve": 67_500.0, "content_production": 112_500.0, "paid_ads": 72_000.0, "tech_analytics": 22_500.0,
        "creators": 175_500.0}
    tiers = {line.line: line for line in plan.lines if line.group == "creators"}
    assert list(tiers) == ["creators_top", "creators_mid", "creators_micro"]
    # Mid-tier at its midpoint, 45 %; the two 20-30 % tiers share the other 55 %.
    assert tiers["creators_mid"].share_of_group == pytest.approx(0.45)
    assert tiers["creators_top"].share_of_group == pytest.approx(0.275)
    assert tiers["creators_micro"].share_of_group == pytest.approx(0.275)
    assert tiers["creators_mid"].amount == pytest.approx(175_500 * 0.45, rel=1e-15)
    assert tiers["creators_mid"].share_of_total == pytest.approx(0.39 * 0.45)
    assert plan.total == 450_000.0
    assert plan.creator_budget == 175_500.0


def test_default_tier_shares_sum_to_one_inside_the_article_ranges():
    assert math.fsum(DEFAULT_TIER_SHARES.values()) == 1.0
    printed = {t: figures.TIER_BUDGET_SHARE[t].mid for t in ("top", "mid", "micro")}
    assert math.fsum(printed.values()) == pytest.approx(0.95)  # why the defaults cannot all be midpoints
    assert DEFAULT_TIER_SHARES["mid"] == printed["mid"]
    for tier, share in DEFAULT_TIER_SHARES.items():
        assert figures.TIER_BUDGET_SHARE[tier].contains(share)


def test_rule_based_ranges_and_in_range_flags_for_defaults():
    plan = allocate_budget(450_000)
    expected = {
        "reserve": (0.15, 0.20, True),
        "content_production": (0.25, 0.35, True),
        # exactly what the case studies spent: ¥70,000 / ¥450,000 to ¥180,000 / ¥680,000
        "paid_ads": (70_000 / 450_000, 180_000 / 680_000, True),
        "tech_analytics": (30_000 / 680_000, 30_000 / 450_000, True),
        "creators": (None, None, None),
        "creators_top": (0.20, 0.30, True),
        "creators_mid": (0.40, 0.50, True),
        "creators_micro": (0.20, 0.30, True),
    }
    assert {line.line: (line.recommended_low, line.recommended_high, line.in_range) for line in plan.lines} == expected
    assert "observed" in plan.line("paid_ads").source
    assert "observed" in plan.line("tech_analytics").source
    assert "Reserve 15-20%" in plan.line("reserve").source


def test_share_outside_its_range_is_flagged_and_inside_is_not():
    plan = allocate_budget(450_000, reserve_share=0.25, content_share=0.30, paid_ads_share=0.20,
                           tier_shares={"top": 0.5, "mid": 0.3, "micro": 0.2})
    assert plan.line("reserve").in_range is False
    assert plan.line("content_production").in_range is True
    assert plan.line("paid_ads").in_range is True
    assert plan.line("creators_top").in_range is False
    assert plan.line("creators_mid").in_range is False
    assert plan.line("creators_micro").in_range is True  # exactly on the bound counts as inside


def test_creators_estimate_from_fee_table():
    plan = allocate_budget(450_000)
    micro = plan.line("creators_micro")  # ¥48,262.50 at ¥3,000-5,000 a note
    assert (micro.creators_low, micro.creators_typical, micro.creators_high) == (9, 12, 16)
    mid = plan.line("creators_mid")  # ¥78,975 at ¥10,000
    assert (mid.creators_low, mid.creators_typical, mid.creators_high) == (7, 7, 7)
    top = plan.line("creators_top")  # ¥48,262.50 does not buy one ¥50,000 note
    assert (top.creators_low, top.creators_typical, top.creators_high) == (0, 0, 0)
    creators = plan.line("creators")
    assert (creators.creators_low, creators.creators_typical, creators.creators_high) == (16, 19, 23)
    assert plan.line("reserve").creators_typical is None


def test_creators_estimate_with_custom_fees_and_exact_multiples():
    plan = allocate_budget(100_000, 0, 0, 0, 0, {"mid": 0.3, "micro": 0.3, "top": 0.4},
                           fee_table={"micro": (2_000, 6_000), "mid": 7_500, "top": figures.CELEBRITY_FEE})
    micro = plan.line("creators_micro")  # ¥30,000: 5 notes at 6,000, 7 at 4,000, 15 at 2,000
    assert (micro.creators_low, micro.creators_typical, micro.creators_high) == (5, 7, 15)
    assert plan.line("creators_mid").creators_typical == 4  # ¥30,000 / ¥7,500 exactly
    assert plan.line("creators_top").creators_high == 0
    assert "fee_table argument" in plan.line("creators_mid").source


def test_nano_row_appears_only_when_nano_is_named():
    assert "creators_nano" not in [line.line for line in allocate_budget(100_000).lines]
    named = allocate_budget(100_000, tier_shares={"top": 0.25, "mid": 0.5, "micro": 0.25, "nano": 0.0})
    assert named.line("creators_nano").amount == 0.0  # a fixed-shape table for the template
    assert len(named.table()) == len(allocate_budget(100_000, tier_shares={"mid": 0.9, "nano": 0.1}).table())
    plan = allocate_budget(100_000, tier_shares={"top": 0.2, "mid": 0.45, "micro": 0.25, "nano": 0.1})
    nano = plan.line("creators_nano")
    assert nano.share_of_group == 0.1 and nano.in_range is True
    assert nano.creators_typical == 3  # ¥3,900 of creator money at ¥1,000 a note
    assert [line.line for line in plan.lines][-4:] == ["creators_top", "creators_mid", "creators_micro", "creators_nano"]


def test_tier_shares_not_summing_to_one_say_what_they_sum_to():
    with pytest.raises(XhsInputError, match=r"tier_shares must sum to 1 .* they sum to 0\.95"):
        allocate_budget(100_000, tier_shares={"top": 0.25, "mid": 0.45, "micro": 0.25})


def test_tier_shares_within_1e_9_of_one_are_accepted():
    plan = allocate_budget(100_000, tier_shares={"top": 1 / 3, "mid": 1 / 3, "micro": 1 / 3 + 5e-10})
    assert math.fsum(line.amount for line in plan.lines if line.group == "creators") == plan.creator_budget


def test_budget_lines_over_100_percent_rejected_with_their_sum():
    with pytest.raises(XhsInputError, match=r"must not exceed 1 together .* they sum to 1\.1"):
        allocate_budget(100_000, reserve_share=0.4, content_share=0.4, paid_ads_share=0.25, tech_share=0.05)


def test_budget_lines_at_exactly_100_percent_leave_creators_nothing():
    plan = allocate_budget(1_000, 0.2, 0.35, 0.35, 0.1)
    assert plan.creator_budget == 0.0
    assert all(line.amount == 0.0 for line in plan.lines if line.group == "creators")
    assert math.fsum(line.amount for line in plan.lines if line.group == "budget") == 1_000.0


@st.composite
def budget_and_shares(draw):
    budget = draw(st.floats(min_value=1.0, max_value=1e9))
    reserve, content, paid, tech = (draw(st.floats(0.0, 0.25)) for _ in range(4))
    if draw(st.booleans()):  # sometimes the four lines take everything
        total = reserve + content + paid + tech
        assume(total > 0)
        reserve, content, paid, tech = reserve / total, content / total, paid / total, tech / total
    weights = [draw(st.floats(0.0, 1.0)) for _ in range(4)]
    assume(sum(weights) > 1e-3)
    tiers = dict(zip(("top", "mid", "micro", "nano"), (w / math.fsum(weights) for w in weights)))
    return budget, reserve, content, paid, tech, tiers


@settings(max_examples=150, deadline=None)
@given(budget_and_shares())
def test_allocation_amounts_sum_exactly_to_budget(case):
    budget, reserve, content, paid, tech, tiers = case
    plan = allocate_budget(budget, reserve, content, paid, tech, tiers)
    lines = [line for line in plan.lines if line.group == "budget"]
    tier_lines = [line for line in plan.lines if line.group == "creators"]
    amounts = [line.amount for line in lines]
    assert math.fsum(amounts) == budget  # exactly, not approximately
    assert sum(amounts) == budget and sum(reversed(amounts)) == budget  # naive sums too, in any order
    assert math.fsum(line.amount for line in tier_lines) == plan.creator_budget
    assert sum(line.amount for line in tier_lines) == plan.creator_budget
    assert all(line.amount >= 0 for line in plan.lines)
    assert math.fsum(line.share_of_total for line in lines) == pytest.approx(1.0, abs=1e-12)
    assert math.fsum(line.share_of_group for line in tier_lines) == pytest.approx(
        1.0 if tiers["nano"] > 0 else 1.0 - tiers["nano"], abs=1e-9)
    for line in plan.lines:  # each amount is its share, up to the rounding the exact split moves
        assert line.amount == pytest.approx(line.share_of_total * budget, rel=1e-12, abs=1e-12 * budget)


def test_allocation_table_has_header_and_plain_values_only():
    plan = allocate_budget(450_000, tier_shares={"top": 0.2, "mid": 0.5, "micro": 0.2, "nano": 0.1})
    table = plan.table()
    assert table[0] == list(ALLOCATION_TABLE_HEADER)
    assert len(table) == 1 + len(plan.lines)
    for row in table:
        assert len(row) == len(ALLOCATION_TABLE_HEADER)
        for cell in row:
            assert cell is None or type(cell) in (str, float, int, bool)
            assert not (isinstance(cell, float) and not math.isfinite(cell))
    creators = dict(zip(table[0], table[1 + [line.line for line in plan.lines].index("creators")]))
    assert creators["recommended_low"] is None and creators["in_range"] is None
    reserve = dict(zip(table[0], table[1]))
    assert reserve["line"] == "reserve" and reserve["creators_low"] is None and reserve["in_range"] is True


def test_plan_line_lookup_rejects_unknown_line():
    with pytest.raises(XhsInputError, match="line must be one of"):
        allocate_budget(1_000).line("celebrities")


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"total_budget": 0}, "total_budget must be greater than 0"),
        ({"total_budget": "lots"}, "total_budget must be a number"),
        ({"total_budget": [1, 2]}, "total_budget must be a single number"),
        ({"total_budget": 1_000, "reserve_share": 1.2}, "reserve_share must be at most 1"),
        ({"total_budget": 1_000, "content_share": -0.1}, "content_share must be at least 0"),
        ({"total_budget": 1_000, "paid_ads_share": "x"}, "paid_ads_share must be a number"),
        ({"total_budget": 1_000, "tech_share": float("nan")}, "tech_share must be a finite number"),
        ({"total_budget": 1_000, "tier_shares": {"celebrity": 1.0}}, "tier_shares tier must be one of"),
        ({"total_budget": 1_000, "tier_shares": {"mid": 1.5}}, "tier_shares for mid must be at most 1"),
        ({"total_budget": 1_000, "tier_shares": 0.5}, "tier_shares must be a table"),
        ({"total_budget": 1_000, "fee_table": {"mid": 0}}, r"fee_table for mid \(low\) must be greater than 0"),
        ({"total_budget": 1_000, "fee_table": {"micro": (5_000, 3_000)}}, "fee_table for micro low fee must not exceed"),
        ({"total_budget": 1_000, "fee_table": {"mega": 1}}, "fee_table tier must be one of"),
    ],
)
def test_allocate_budget_bad_inputs_name_the_argument(kwargs, argument):
    with pytest.raises(XhsInputError, match=argument):
        allocate_budget(**kwargs)


# ===================================================================================== stage split


@pytest.mark.parametrize(
    "stage, key, spillover",
    [
        ("cold_start", "cold_start", 0.70), ("Cold Start", "cold_start", 0.70), ("冷启动", "cold_start", 0.70),
        ("growth", "growth", 0.50), ("GROWTH ", "growth", 0.50), ("成长期", "growth", 0.50),
        ("maturity", "maturity", 0.40), ("Mature", "maturity", 0.40), ("成熟期", "maturity", 0.40),
        (" cold\u3000start ", "cold_start", 0.70), ("COLD-START", "cold_start", 0.70),
    ],
)
def test_stage_split_for_every_stage_in_english_and_chinese(stage, key, spillover):
    split = stage_split(450_000, stage)
    assert split.stage == key == normalize_stage(stage)
    assert split.spillover_share == spillover
    assert split.closed_loop_share == pytest.approx(1 - spillover)
    assert split.spillover_amount == pytest.approx(450_000 * spillover, rel=1e-15)
    assert split.spillover_amount + split.closed_loop_amount == 450_000
    assert "003" in split.source


def test_stage_split_hand_amounts():
    assert (stage_split(450_000, "cold start").spillover_amount, stage_split(450_000, "cold start").closed_loop_amount) == (
        315_000.0, 135_000.0)
    maturity = stage_split(450_000, "成熟期")
    assert (maturity.spillover_amount, maturity.closed_loop_amount) == (180_000.0, 270_000.0)


@settings(max_examples=100, deadline=None)
@given(budget=st.floats(min_value=1e-3, max_value=1e12), stage=st.sampled_from(["冷启动", "growth", "maturity"]))
def test_stage_split_amounts_sum_exactly_to_budget(budget, stage):
    split = stage_split(budget, stage)
    assert split.spillover_amount + split.closed_loop_amount == budget
    assert math.fsum([split.spillover_amount, split.closed_loop_amount]) == budget


def test_stage_split_table_has_header_and_two_rows():
    table = stage_split(100_000, "growth").table()
    assert table[0] == list(STAGE_TABLE_HEADER)
    assert [row[1] for row in table[1:]] == ["spillover", "closed_loop"]
    assert [row[3] for row in table[1:]] == [50_000.0, 50_000.0]


@pytest.mark.parametrize("stage", ["decline", "", None, 3])
def test_unknown_stage_lists_accepted_names_in_english_and_chinese(stage):
    with pytest.raises(XhsInputError) as error:
        stage_split(100_000, stage)
    message = str(error.value)
    assert message.startswith("stage must be one of")
    for name in ("cold start", "growth", "maturity", "冷启动", "成长期", "成熟期"):
        assert name in message


# ======================================================================================= optimiser


def test_optimiser_two_power_tiers_closed_form():
    # Equal elasticity e: marginal a·e·x^(e−1) equal ⇒ x ∝ a^(1/(1−e)). e = 0.5, a = 1, 3 ⇒ 1 : 9.
    curves = [TierCurve("a", "power", 1.0, 0.5), TierCurve("b", "power", 3.0, 0.5)]
    plan = optimal_allocation(1_000_000, curves)
    assert [t.amount for t in plan.tiers] == pytest.approx([100_000, 900_000], rel=1e-12)
    assert plan.total_expected_return == pytest.approx(math.sqrt(1_000_000 * (1 + 9)), rel=1e-12)
    assert [t.binding for t in plan.tiers] == [None, None]
    assert plan.multiplier == pytest.approx(0.5 * 1.0 / math.sqrt(100_000), rel=1e-10)


def test_optimiser_closed_form_with_different_elasticities():
    # f1 = 2·x^0.5, f2 = x (linear, slope 1): f1' = x^-0.5 = 1 ⇒ x1 = 1; the line takes the rest.
    curves = [TierCurve("a", "power", 2.0, 0.5), TierCurve("b", "power", 1.0, 1.0)]
    plan = optimal_allocation(100.0, curves)
    assert [t.amount for t in plan.tiers] == pytest.approx([1.0, 99.0], rel=1e-12)
    assert plan.multiplier == 1.0


def test_optimiser_hill_shape_one_closed_form():
    # Identical Hill curves: the optimum splits evenly; with M = 2·h each tier's marginal is M h / (x + h)².
    curves = [TierCurve("x", "hill", 2e6, 1e6), TierCurve("y", "hill", 2e6, 1e6)]
    plan = optimal_allocation(500_000, curves)
    assert [t.amount for t in plan.tiers] == pytest.approx([250_000.0, 250_000.0], rel=1e-12)
    assert plan.multiplier == pytest.approx(2e6 * 1e6 / (1.25e6) ** 2, rel=1e-10)


def test_optimiser_respects_article_bounds_by_default():
    # Top is by far the best curve, so it is pushed to its 30 % maximum; the others sit at their minimums
    # except the one that takes the rest.
    curves = [TierCurve("top", "power", 100.0, 0.7), TierCurve("mid", "power", 1.0, 0.7),
              TierCurve("micro", "power", 2.0, 0.7)]
    plan = optimal_allocation(1_000_000, curves)
    shares = {t.tier: t.share for t in plan.tiers}
    assert shares["top"] == pytest.approx(0.30)
    assert shares["mid"] == pytest.approx(0.40)
    assert shares["micro"] == pytest.approx(0.30)
    assert {t.tier: t.binding for t in plan.tiers} == {"top": "max", "mid": "min", "micro": "max"}
    assert plan.multiplier is None  # every tier on a bound
    assert [(t.min_share, t.max_share) for t in plan.tiers] == [(0.2, 0.3), (0.4, 0.5), (0.2, 0.3)]


def test_optimiser_custom_bounds_by_mapping_or_aligned_sequence():
    curves = [TierCurve("a", "power", 1.0, 0.5), TierCurve("b", "power", 3.0, 0.5)]
    by_name = optimal_allocation(1_000, curves, min_shares={"A": 0.25}, max_shares={"b": 0.7})
    by_position = optimal_allocation(1_000, curves, [0.25, None], [None, 0.7])
    assert by_name.amounts() == by_position.amounts() == {"a": 300.0, "b": 700.0}
    assert [t.binding for t in by_name.tiers] == [None, "max"]


def test_optimiser_table_has_header_tiers_and_total_row():
    curves = [TierCurve("top", "hill", 2e6, 3e5, 0.7), TierCurve("mid", "power", 50.0, 0.686),
              TierCurve("micro", "hill", 1e6, 5e4)]
    plan = optimal_allocation(180_000, curves)
    table = plan.table()
    assert table[0] == list(OPTIMAL_TABLE_HEADER)
    assert [row[0] for row in table[1:]] == ["top", "mid", "micro", "total"]
    total = dict(zip(table[0], table[-1]))
    assert total["amount"] == 180_000.0 and total["expected_return"] == plan.total_expected_return
    assert total["average_roi"] == pytest.approx(plan.total_expected_return / 180_000 - 1)
    for row in table:
        assert len(row) == len(OPTIMAL_TABLE_HEADER)
        assert all(cell is None or type(cell) in (str, float, int, bool) for cell in row)
        assert all(not (isinstance(cell, float) and not math.isfinite(cell)) for cell in row)


def test_optimiser_zero_spend_tier_reports_no_average_roi_and_no_infinite_marginal_in_table():
    curves = [TierCurve("a", "power", 1.0, 0.5), TierCurve("b", "power", 1.0, 0.5)]
    plan = optimal_allocation(1_000, curves, [0, 0], [1, 0])
    assert plan.tiers[1].amount == 0.0 and plan.tiers[1].average_roi is None
    assert plan.table()[2][OPTIMAL_TABLE_HEADER.index("marginal_return")] is None


@pytest.mark.parametrize(
    "min_shares, max_shares, message",
    [
        ({"mid": 0.5, "micro": 0.3, "top": 0.3}, None, r"min_shares sum to 1\.1 .* exceed the whole budget"),
        (None, {"mid": 0.4, "micro": 0.25, "top": 0.25}, r"max_shares sum to 0\.9 .* cannot cover the whole budget"),
        ({"mid": 0.45}, {"mid": 0.42}, r"min_shares for mid \(0\.45\) must not exceed max_shares for mid \(0\.42\)"),
        ({"mid": 1.5}, None, "min_shares for mid must be at most 1"),
        (None, {"top": -0.1}, "max_shares for top must be at least 0"),
        ({"celebrity": 0.1}, None, "min_shares names tier 'celebrity', which has no curve"),
        ([0.1, 0.2], None, r"min_shares must give one share per tier in curves \(3\), got 2"),
    ],
)
def test_optimiser_infeasible_or_invalid_bounds_rejected(min_shares, max_shares, message):
    curves = [TierCurve(t, "power", 1.0, 0.686) for t in ("mid", "micro", "top")]
    with pytest.raises(XhsInputError, match=message):
        optimal_allocation(100_000, curves, min_shares, max_shares)


def test_optimiser_default_bounds_of_too_few_tiers_are_infeasible_with_a_hint():
    with pytest.raises(XhsInputError, match=r"max_shares sum to 0\.8 .* raise a maximum or add a tier"):
        optimal_allocation(100_000, [TierCurve("mid", "power", 1, 0.5), TierCurve("micro", "power", 1, 0.5)])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: optimal_allocation(-5, [TierCurve("a", "power", 1, 0.5)]), "total_budget must be greater than 0"),
        (lambda: optimal_allocation(100, []), "curves must contain at least one tier"),
        (lambda: optimal_allocation(100, "mid"), "curves must be a list of TierCurve"),
        (lambda: optimal_allocation(100, [TierCurve("a", "power", 1, 0.5), TierCurve("A", "hill", 1, 1)]),
         "curves must name each tier once"),
        (lambda: TierCurve("mid", "power", 0, 0.5), r"scale \(param1\) for tier mid must be greater than 0"),
        (lambda: TierCurve("mid", "power", 1, 1.2), r"elasticity \(param2\) for tier mid must be at most 1"),
        (lambda: TierCurve("mid", "hill", 1, -3), r"half_saturation \(param2\) for tier mid must be greater than 0"),
        (lambda: TierCurve("mid", "hill", 1, 3, 1.5), "shape for tier mid must be at most 1"),
        (lambda: TierCurve("mid", "hill", "x", 3), r"max_response \(param1\) for tier mid must be a number"),
        (lambda: TierCurve("mid", "spline", 1, 3), "curve must be one of 'power', 'hill'"),
        (lambda: TierCurve(None, "power", 1, 0.5), "tier must be a tier name"),
    ],
)
def test_optimiser_bad_inputs_name_the_argument(call, message):
    with pytest.raises(XhsInputError, match=message):
        call()


def test_expected_return_of_mapping_sequence_and_plans():
    curves = [TierCurve("top", "power", 1.0, 0.5), TierCurve("mid", "power", 2.0, 0.5),
              TierCurve("micro", "power", 3.0, 0.5)]
    assert expected_return({"top": 100, "MID": 400}, curves) == pytest.approx(10 + 40)  # micro spends 0
    assert expected_return([100, 400, 900], curves) == pytest.approx(10 + 40 + 90)
    plan = allocate_budget(450_000)
    amounts = plan.tier_amounts()
    assert expected_return(plan, curves) == pytest.approx(
        sum(c.response(amounts[c.tier]) for c in curves), rel=1e-14)
    optimal = optimal_allocation(plan.creator_budget, curves)
    assert expected_return(optimal, curves) == pytest.approx(optimal.total_expected_return, rel=1e-14)


def test_expected_return_rejects_amounts_for_tiers_without_curves():
    curves = [TierCurve("mid", "power", 1.0, 0.5)]
    with pytest.raises(XhsInputError, match="amounts names tier 'top', which has no curve"):
        expected_return({"mid": 100, "top": 50}, curves)
    with pytest.raises(XhsInputError, match=r"amounts for mid must be at least 0"):
        expected_return([-1], curves)


# -------------------------------------------------------------------- optimality: random cases vs SLSQP


@st.composite
def curve_for(draw, tier):
    if draw(st.booleans()):
        elasticity = draw(st.one_of(st.just(1.0), st.floats(0.1, 0.95)))
        return TierCurve(tier, "power", draw(st.floats(0.1, 100.0)), elasticity)
    shape = draw(st.one_of(st.just(1.0), st.floats(0.2, 0.95)))
    return TierCurve(tier, "hill", draw(st.floats(1e4, 1e8)), draw(st.floats(1e3, 1e7)), shape)


@st.composite
def optimisation_cases(draw):
    """Budget, curves and share bounds: the article's tiers with default bounds, or named tiers with random
    feasible bounds."""
    budget = draw(st.floats(1e4, 1e8))
    if draw(st.booleans()):
        names = ["top", "mid", "micro"] + (["nano"] if draw(st.booleans()) else [])
        curves = [draw(curve_for(name)) for name in names]
        mins = [figures.TIER_BUDGET_SHARE[n].low for n in names]
        maxs = [figures.TIER_BUDGET_SHARE[n].high for n in names]
        return budget, curves, None, None, mins, maxs
    count = draw(st.integers(2, 5))
    curves = [draw(curve_for(f"tier{i}")) for i in range(count)]
    mins = [draw(st.floats(0.0, 1.0)) / count * draw(st.sampled_from([0.0, 0.5, 0.99])) for _ in range(count)]
    maxs = [low + draw(st.floats(0.0, 1.0)) * (1 - low) for low in mins]
    if math.fsum(maxs) < 1:
        maxs[-1] = 1.0
    return budget, curves, mins, maxs, mins, maxs


def slsqp_best(budget, curves, mins, maxs):
    """SLSQP's optimum, repaired to exact feasibility (clipped to bounds, residual spread over room)."""
    norm = max(1e-12, sum(c.response(budget / len(curves)) for c in curves))

    def objective(shares):
        return -sum(c.response(max(s, 0.0) * budget) for c, s in zip(curves, shares)) / norm

    def gradient(shares):
        return np.array([-budget * c.marginal(max(s, 1e-12) * budget) for c, s in zip(curves, shares)]) / norm

    lows, highs = np.array(mins), np.array(maxs)
    start = lows + (1 - lows.sum()) * (highs - lows) / max((highs - lows).sum(), 1e-300)
    result = minimize(objective, start, jac=gradient, method="SLSQP", bounds=list(zip(mins, maxs)),
                      constraints=[{"type": "eq", "fun": lambda s: s.sum() - 1, "jac": lambda s: np.ones_like(s)}],
                      options={"ftol": 1e-15, "maxiter": 500})
    shares = np.clip(result.x, lows, highs)
    gap = 1 - shares.sum()
    room = (highs - shares) if gap > 0 else (shares - lows)
    shares = shares + gap * room / room.sum()
    return expected_return(list(shares * budget), curves)


def assert_kkt(plan, curves=None):
    """Unbound tiers share one marginal return λ; a tier at its minimum earns ≤ λ, at its maximum ≥ λ."""
    free = [t for t in plan.tiers if t.binding is None]
    if plan.multiplier is None:
        assert not free
        return

    def tolerance(tier):
        # Amounts are multiples of ulp(budget) so they sum exactly; for an amount of only a few thousand
        # ulps (a share near 1e-12) that quantisation alone moves the marginal return by about ulp / amount.
        quantum = math.ulp(plan.total_budget)
        return 1e-6 + 2 * quantum / max(tier.amount, quantum)

    for tier in free:
        assert tier.marginal_return == pytest.approx(plan.multiplier, rel=tolerance(tier))
    for tier in plan.tiers:
        if tier.max_share - tier.min_share < 1e-9:  # pinned: either bound, no condition on its margin
            continue
        if tier.binding == "min":
            marginal = tier.marginal_return
            quantum = math.ulp(plan.total_budget)
            if tier.amount < quantum and curves is not None:
                # An optimum below one ulp of the budget is stored as ¥0, where a power curve's slope is
                # infinite; the slope one ulp in must still be no more than λ, since slopes only fall.
                marginal = next(c for c in curves if c.tier == tier.tier).marginal(quantum)
            assert marginal <= plan.multiplier * (1 + tolerance(tier))
        if tier.binding == "max":
            assert tier.marginal_return >= plan.multiplier * (1 - tolerance(tier))


@settings(max_examples=60, deadline=None)
@given(optimisation_cases())
def test_optimiser_equal_marginal_returns_bounds_and_exact_total(case):
    budget, curves, min_shares, max_shares, mins, maxs = case
    plan = optimal_allocation(budget, curves, min_shares, max_shares)
    amounts = [t.amount for t in plan.tiers]
    assert math.fsum(amounts) == budget and sum(amounts) == budget
    for tier, low, high in zip(plan.tiers, mins, maxs):
        assert low * budget * (1 - 1e-9) - 1e-9 * budget <= tier.amount <= high * budget * (1 + 1e-9) + 1e-9 * budget
        assert tier.expected_return == pytest.approx(
            next(c for c in curves if c.tier == tier.tier).response(tier.amount), rel=1e-12)
    assert_kkt(plan, curves)


@settings(max_examples=40, deadline=None)
@given(optimisation_cases())
def test_optimiser_at_least_as_good_as_slsqp(case):
    budget, curves, min_shares, max_shares, mins, maxs = case
    plan = optimal_allocation(budget, curves, min_shares, max_shares)
    theirs = slsqp_best(budget, curves, mins, maxs)
    assert plan.total_expected_return >= theirs - 1e-9 * abs(theirs)


def test_slsqp_agrees_with_optimiser_on_a_smooth_case():
    # Guards the comparison above against a broken SLSQP set-up that would make it vacuous.
    curves = [TierCurve("top", "hill", 2e6, 3e5, 0.7), TierCurve("mid", "power", 50.0, 0.686),
              TierCurve("micro", "hill", 1e6, 5e4)]
    mins, maxs = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
    plan = optimal_allocation(180_000, curves, mins, maxs)
    assert slsqp_best(180_000, curves, mins, maxs) == pytest.approx(plan.total_expected_return, rel=1e-7)


@st.composite
def rule_based_tier_shares(draw):
    top = draw(st.floats(0.20, 0.30))
    mid = draw(st.floats(0.40, 0.50))
    micro = 1 - top - mid
    assume(0.20 <= micro <= 0.30)
    return {"top": top, "mid": mid, "micro": micro}


@settings(max_examples=50, deadline=None)
@given(budget=st.floats(1e4, 1e9), tiers=st.one_of(st.none(), rule_based_tier_shares()),
       curves=st.tuples(curve_for("top"), curve_for("mid"), curve_for("micro")))
def test_optimised_plan_beats_rule_based_plan_on_the_same_curves(budget, tiers, curves):
    rule = allocate_budget(budget, tier_shares=tiers)
    optimal = optimal_allocation(rule.creator_budget, list(curves))  # same bounds the rule's split sits in
    rule_return = expected_return(rule, list(curves))
    assert optimal.total_expected_return >= rule_return - 1e-9 * abs(rule_return)


def test_rule_based_plan_is_a_plan_dataclass_with_total():
    plan = allocate_budget(1_000)
    assert isinstance(plan, AllocationPlan) and plan.total == 1_000.0
    with pytest.raises(AttributeError):
        plan.total_budget = 5  # frozen

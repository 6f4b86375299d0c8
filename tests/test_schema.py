"""The one schema: its declarations, the model derived from it, and a whole campaign computed through it."""

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from field_strategies import campaigns

from xhsxl.core import figures, metrics
from xhsxl.core.errors import XhsInputError
from xhsxl.excel.campaign import campaign_cells
from xhsxl.excel.cells import coerce_number
from xhsxl.schema import (
    FIELDS,
    FIELDS_BY_KEY,
    GROUPS,
    HEADLINE_METRICS,
    OUTPUTS,
    SPANS,
    ClientCampaign,
    field_for_header,
    validation_problems,
)

EXAMPLES = json.loads((Path(__file__).parent.parent / "examples" / "case_studies.json").read_text(encoding="utf-8"))


def test_every_field_is_fully_declared_once():
    assert len(FIELDS_BY_KEY) == len(FIELDS)
    labels = set()
    for field in FIELDS:
        assert field.key.isidentifier() and field.key == field.key.lower()
        assert field.label_en and field.label_zh and field.help, field.key
        assert field.group in GROUPS
        assert (field.label_en, field.label_zh) not in labels
        labels.add((field.label_en, field.label_zh))
        if field.is_numeric:
            assert field.ge is not None or field.gt is not None, f"{field.key} has no lower bound"
            if field.default is not None:
                low = field.gt if field.gt is not None else field.ge
                assert field.default >= low and (field.le is None or field.default <= field.le), field.key


def test_the_model_has_exactly_the_declared_fields():
    assert list(ClientCampaign.model_fields) == [f.key for f in FIELDS]
    schema = ClientCampaign.model_json_schema()
    assert schema["properties"]["gross_margin"]["title"] == "Gross margin"
    assert schema["properties"]["gross_margin"]["label_zh"] == "毛利率"


@pytest.mark.parametrize("index, reported", [(0, 273), (1, 624)])
def test_case_studies_reproduce_the_articles_roi(index, reported):
    campaign = ClientCampaign.model_validate(EXAMPLES[index])
    results = campaign.results()
    assert round(results["roi"] * 100) == reported
    case = (figures.CASE_STUDY_1, figures.CASE_STUDY_2)[index]
    assert campaign.total_cost == case.total_cost
    assert results["revenue"] == pytest.approx(case.revenue)


def test_campaign_results_cover_every_declared_output_and_are_never_nan():
    results = ClientCampaign.model_validate(EXAMPLES[0]).results()
    assert set(results.values) == {o.key for o in OUTPUTS}
    for key, value in results.values.items():
        assert value is None or math.isfinite(value), key
    # no follower base was given, so the growth rate is undefined rather than infinite
    assert results["follower_growth_rate"] is None
    assert results["cpa"] == pytest.approx(450_000 / 4_200)


def test_commission_applies_to_xiaohongshu_sales_only():
    data = dict(EXAMPLES[1], gross_margin=0.6, commission_rate=0.1)
    results = ClientCampaign.model_validate(data).results()
    profit = 4_920_000 * 0.6 - 2_164_800 * 0.1 - 680_000
    assert results["profit_roi"] == pytest.approx(profit / 680_000)


@pytest.mark.parametrize(
    "text, number",
    [("¥1,680,000", 1_680_000), ("30%", 0.3), (" 12.5 % ", 0.125), ("１２３", 123), ("RMB 500", 500),
     ("450000元", 450_000), (7, 7.0), ("", None), (None, None), ("1e3", 1000)],
)
def test_numbers_are_read_as_analysts_write_them(text, number):
    assert coerce_number(text) == number


@pytest.mark.parametrize("text", ["abc", "1,2,3x", True, "nan", "inf", [1]])
def test_unreadable_numbers_are_refused(text):
    with pytest.raises(XhsInputError):
        coerce_number(text)


def test_a_percentage_typed_as_a_whole_number_is_refused_with_a_hint():
    with pytest.raises(ValidationError) as error:
        ClientCampaign(client_name="x", creator_fees=1, gross_margin=30)
    [(key, value, reason)] = validation_problems(error.value)
    assert key == "gross_margin" and value == 30
    assert "write 30% or 0.3" in reason
    values, refused = campaign_cells({"client_name": "x", "creator_fees": 1, "gross_margin": "30%"})
    assert not refused and ClientCampaign(**values).gross_margin == 0.3


def test_the_schema_validates_values_and_leaves_spreadsheet_text_to_the_excel_reader():
    with pytest.raises(ValidationError) as error:
        ClientCampaign(client_name="x", creator_fees="¥1,000")
    [(key, value, reason)] = validation_problems(error.value)
    assert (key, value, reason) == ("creator_fees", "¥1,000", "creator_fees must be a number (got '¥1,000')")


def test_every_problem_of_a_row_is_reported_with_its_field():
    with pytest.raises(ValidationError) as error:
        ClientCampaign.model_validate({"client_name": " ", "creator_fees": -5, "brand_stage": "teenage",
                                       "impressions": "lots", "colour": "red"})
    problems = validation_problems(error.value)
    keys = [key for key, _, _ in problems]
    assert keys == ["client_name", "brand_stage", "creator_fees", "impressions", "colour"]
    reasons = dict((k, r) for k, _, r in problems)
    assert reasons["creator_fees"] == "creator_fees must be at least 0 (got -5)"
    assert "冷启动" in reasons["brand_stage"]
    assert reasons["colour"] == "unknown column"


def test_brand_stage_accepts_chinese_names():
    assert ClientCampaign(client_name="x", creator_fees=1, brand_stage="成熟期").brand_stage == "maturity"
    assert ClientCampaign(client_name="x", creator_fees=1, brand_stage=" Cold Start ").brand_stage == "cold_start"


def test_a_campaign_without_any_cost_is_refused():
    with pytest.raises(ValidationError, match="costs must add up to more than 0"):
        ClientCampaign(client_name="x")


def test_tier_shares_must_add_up_to_one():
    with pytest.raises(ValidationError, match="add up to 100 %"):
        ClientCampaign(client_name="x", creator_fees=1, share_top=0.5)


def test_headers_may_be_keys_or_either_label():
    assert field_for_header("Gross margin").key == "gross_margin"
    assert field_for_header("毛利率").key == "gross_margin"
    assert field_for_header(" GROSS_MARGIN ").key == "gross_margin"
    assert field_for_header("colour") is None


def test_client_text_that_looks_like_a_formula_is_kept_as_given():
    name = '=HYPERLINK("http://x","y")'
    assert ClientCampaign(client_name=name, creator_fees=1).client_name == name


@settings(max_examples=60, deadline=None)
@given(campaigns(max_cost=1e9))
def test_random_valid_campaigns_compute_without_nan_and_agree_with_the_core(campaign):
    results = campaign.results()
    assert all(v is None or math.isfinite(v) for v in results.values.values())
    assert results["total_cost"] == pytest.approx(math.fsum(getattr(campaign, k) for k in SPANS["cost_lines"]))
    revenue = campaign.direct_revenue + campaign.cross_platform_revenue - campaign.cross_platform_baseline
    assert results["revenue"] == pytest.approx(revenue, rel=1e-12, abs=1e-6)
    if revenue >= 0:
        assert results["roi"] == pytest.approx(metrics.roi(revenue, campaign.total_cost), rel=1e-12)
    assert sum(row[4] for row in results.allocation[1:] if row[1] == "budget") == pytest.approx(campaign.budget)


def test_text_with_control_characters_is_refused_with_the_code_point():
    with pytest.raises(ValidationError, match=r"invisible control character \(U\+0008\)"):
        ClientCampaign(client_name="Acme\x08", creator_fees=1)
    assert ClientCampaign(client_name="Acme\tChina", creator_fees=1).client_name == "Acme\tChina"


def test_every_input_range_is_a_run_of_consecutive_fields_and_the_costs_are_their_whole_group():
    keys = [f.key for f in FIELDS]
    for name, span in SPANS.items():
        first = keys.index(span[0])
        assert keys[first:first + len(span)] == list(span), name
    assert SPANS["cost_lines"] == tuple(f.key for f in FIELDS if f.group == "costs")
    counts = ClientCampaign(client_name="x", creator_fees=1).engagement_counts()
    assert counts == [0.0] * len(SPANS["engagement_counts"])


def test_the_headline_metrics_are_declared_outputs():
    assert set(HEADLINE_METRICS) <= {o.key for o in OUTPUTS} and len(set(HEADLINE_METRICS)) == len(HEADLINE_METRICS)

"""Every number the product takes from its source articles, named, with the sentence it comes from.

Industry benchmarks are what a client will challenge first, so none is inlined anywhere else: code that
needs one imports it from here, and every default that is *not* from the articles says so in its
``source``. Articles are cited by their number (000 … 004):

- 000 — "Xiaohongshu ROI: budget to revenue" (calculator, tier strategy, the two case studies).
- 001 — "Xiaohongshu analytics and ROI measurement" (KPIs, blended ROI, baselines, CLV windows).
- 002 — "Doing business on Xiaohongshu" (platform fees, KOL fees per note).
- 003 — "Closed loop vs spillover budget planning" (stage splits, diminishing returns).

(This module would naturally be called ``benchmarks``; it is ``figures`` so it is never confused with the
performance benchmarks in ``benchmarks/``.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

__all__ = [
    "Figure",
    "Range",
    "CaseStudy",
    "CASE_STUDY_1",
    "CASE_STUDY_2",
    "CREATOR_TIERS",
    "TIER_FOLLOWER_BOUNDS",
    "TIER_BUDGET_SHARE",
    "TIER_FEE_PER_NOTE",
    "BROAD_REACH_FOLLOWERS",
    "CONTENT_SHARE",
    "RESERVE_SHARE",
    "PAID_ADS_SHARE",
    "TECH_ANALYTICS_SHARE",
    "REALLOCATION_CHECKPOINTS_HOURS",
    "STAGE_SPILLOVER_SHARE",
    "STAGE_ALIASES",
    "DIMINISHING_RETURNS",
    "DEFAULT_ELASTICITY",
    "PLATFORM_DEPOSIT",
    "PLATFORM_MONTHLY_FEE",
    "PLATFORM_COMMISSION",
    "LOGISTICS_FEE",
    "CLOSED_LOOP_ROAS_EXAMPLE",
    "SPILLOVER_USER_SHARE",
    "MEASUREMENT_WINDOW_MONTHS",
    "TIERED_STRATEGY_ROI_UPLIFT",
    "REALLOCATION_ROI_UPLIFT",
    "NANO_FEE",
    "CELEBRITY_FEE",
    "CASE_1_CPA_BELOW_BENCHMARK",
]


@dataclass(frozen=True)
class Figure:
    """One number with its unit and provenance."""

    value: float
    unit: str
    source: str
    quote: str


@dataclass(frozen=True)
class Range:
    """A recommended or observed interval ``[low, high]`` with its provenance."""

    low: float
    high: float
    unit: str
    source: str
    quote: str

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2

    def contains(self, value: float, tolerance: float = 1e-12) -> bool:
        return self.low - tolerance <= value <= self.high + tolerance


@dataclass(frozen=True)
class CaseStudy:
    """A campaign reported in article 000, line by line as printed."""

    name: str
    total_cost: float
    creator_fees: float
    content_production: float
    paid_ads: float
    tech_analytics: float
    impressions: float
    revenue: float
    reported_roi: float
    direct_conversions: float
    profile_visitors: float | None = None
    new_followers: float | None = None
    engagements: float | None = None
    cross_platform_conversions: float | None = None
    other_channel_revenue_share: float | None = None
    creators: Mapping[str, int] = field(default_factory=dict)
    source: str = "000"


CASE_STUDY_1 = CaseStudy(
    name="International beauty brand entry (case study 1)",
    total_cost=450_000,
    creator_fees=250_000,
    content_production=100_000,
    paid_ads=70_000,
    tech_analytics=30_000,
    impressions=6_200_000,
    profile_visitors=85_000,
    new_followers=12_500,
    direct_conversions=4_200,
    revenue=1_680_000,
    reported_roi=2.73,
    creators=MappingProxyType({"mid": 5, "micro": 15}),
    source="000, 'Case Study 1: International Beauty Brand Entry Strategy': 'Total Campaign Budget: "
    "¥450,000 … Revenue generated: ¥1.68 million … ROI: 273%'",
)

CASE_STUDY_2 = CaseStudy(
    name="Domestic fashion brand sales acceleration (case study 2)",
    total_cost=680_000,
    creator_fees=320_000,
    content_production=150_000,
    paid_ads=180_000,
    tech_analytics=30_000,
    impressions=12_500_000,
    engagements=168_000,
    direct_conversions=8_600,
    cross_platform_conversions=11_200,
    revenue=4_920_000,
    reported_roi=6.24,
    other_channel_revenue_share=0.56,
    creators=MappingProxyType({"top": 3, "micro": 25}),
    source="000, 'Case Study 2: Domestic Fashion Brand Sales Acceleration': 'Total Campaign Budget: "
    "¥680,000 … Revenue generated: ¥4.92 million … ROI: 624% … 56% of revenue coming from influenced "
    "sales on other channels'",
)

#: Creator tiers from smallest to largest. Nano is named in 000 ("¥1,000 for nano-influencers") but the
#: article gives it no follower bound or budget share; those below are product defaults.
CREATOR_TIERS: tuple[str, ...] = ("nano", "micro", "mid", "top")

#: Lower follower bound of each tier (a creator with exactly the bound belongs to that tier).
TIER_FOLLOWER_BOUNDS: Mapping[str, Figure] = MappingProxyType(
    {
        "nano": Figure(0, "followers", "product default", "below the micro-KOC bound of 10,000"),
        "micro": Figure(10_000, "followers", "000", "micro-KOCs (10,000-50,000 followers)"),
        "mid": Figure(50_000, "followers", "000", "mid-tier KOLs (50,000-200,000 followers)"),
        "top": Figure(200_000, "followers", "000", "top-tier KOLs (200,000+ followers)"),
    }
)

#: Recommended share of the creator budget per tier.
TIER_BUDGET_SHARE: Mapping[str, Range] = MappingProxyType(
    {
        "nano": Range(0.0, 0.10, "share of creator budget", "product default",
                      "000 gives nano-influencers no budget share; at most 10 % by default"),
        "micro": Range(0.20, 0.30, "share of creator budget", "000",
                       "20-30% to micro-KOCs (10,000-50,000 followers)"),
        "mid": Range(0.40, 0.50, "share of creator budget", "000",
                     "40-50% to mid-tier KOLs (50,000-200,000 followers)"),
        "top": Range(0.20, 0.30, "share of creator budget", "000",
                     "20-30% to top-tier KOLs (200,000+ followers)"),
    }
)

#: Fee per sponsored note, ¥: (low, typical, high). Public fee tables disagree; these are parameters.
TIER_FEE_PER_NOTE: Mapping[str, Range] = MappingProxyType(
    {
        "nano": Range(1_000, 1_000, "CNY per note", "000",
                      "These fees can range from ¥1,000 for nano-influencers"),
        "micro": Range(3_000, 5_000, "CNY per note", "002",
                       "less reputable opinion leaders ask for 3,000 to 5,000 yuan"),
        "mid": Range(10_000, 10_000, "CNY per note", "002",
                     "Mid-level opinion leaders charge an average of about 10,000 yuan"),
        "top": Range(50_000, 100_000, "CNY per note", "002",
                     "the most authoritative opinion leaders cost from 50,000 to 100,000 yuan"),
    }
)

NANO_FEE = Figure(1_000, "CNY per note", "000", "These fees can range from ¥1,000 for nano-influencers")
CELEBRITY_FEE = Figure(500_000, "CNY per note", "000", "to ¥500,000+ for top-tier celebrities")

BROAD_REACH_FOLLOWERS = Range(
    500_000, 1_000_000, "followers", "002",
    "it is best to attract very well-known opinion leaders with 500 thousand to 1 million subscribers",
)

CONTENT_SHARE = Range(0.25, 0.35, "share of total budget", "000",
                      "allocating 25-35% of your total budget to content production")
RESERVE_SHARE = Range(0.15, 0.20, "share of total budget", "000",
                      "Reserve 15-20% of your budget for mid-campaign optimization")
#: Not recommended by any article: the range the two case studies spent, as exact shares of their totals
#: (¥70,000 / ¥450,000 ≈ 15.56 % and ¥180,000 / ¥680,000 ≈ 26.47 %). The article's labels round them to 16 %
#: and 26 %; a range built from the labels called both case studies "outside what they spent".
PAID_ADS_SHARE = Range(CASE_STUDY_1.paid_ads / CASE_STUDY_1.total_cost, CASE_STUDY_2.paid_ads / CASE_STUDY_2.total_cost,
                       "share of total budget", "000 (case studies, observed)",
                       "Paid Promotion: ¥70,000 (16%) … Paid Promotion: ¥180,000 (26%)")
#: Not recommended by any article: the range the two case studies spent, exact shares (¥30,000 / ¥680,000 ≈
#: 4.41 % and ¥30,000 / ¥450,000 ≈ 6.67 %; the labels print 4 % and 7 %).
TECH_ANALYTICS_SHARE = Range(CASE_STUDY_2.tech_analytics / CASE_STUDY_2.total_cost,
                             CASE_STUDY_1.tech_analytics / CASE_STUDY_1.total_cost, "share of total budget",
                             "000 (case studies, observed)",
                             "Technical Implementation & Analytics: ¥30,000 (7%) … Analytics & Optimization: "
                             "¥30,000 (4%)")

REALLOCATION_CHECKPOINTS_HOURS: tuple[int, ...] = (24, 72, 168)  # 000: "24-hour, 72-hour, and 7-day intervals"

#: Spillover (站外, jump to Tmall/JD) share of the budget by brand stage; closed loop (站内) is the rest.
STAGE_SPILLOVER_SHARE: Mapping[str, Figure] = MappingProxyType(
    {
        "cold_start": Figure(0.70, "share of budget", "003",
                             "Cold start period … Budget ratio recommendation: 70% for spillover and 30% for closed loop"),
        "growth": Figure(0.50, "share of budget", "003",
                         "Growth stage … Budget ratio recommendation: 50% for spillover | 50% for closed loop"),
        "maturity": Figure(0.40, "share of budget", "003",
                           "Maturity … Budget ratio recommendation: 60% closed loop | 40% spillover"),
    }
)

#: Every spelling of a stage an analyst may type, lower-cased, to its canonical key.
STAGE_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "cold_start": "cold_start", "cold start": "cold_start", "cold-start": "cold_start", "coldstart": "cold_start",
        "cold": "cold_start", "launch": "cold_start", "冷启动": "cold_start", "冷启动期": "cold_start",
        "growth": "growth", "grow": "growth", "成长": "growth", "成长期": "growth",
        "maturity": "maturity", "mature": "maturity", "成熟": "maturity", "成熟期": "maturity",
    }
)

#: 003, Minefield 2: monthly budget ¥200k → ¥500k, CPM +40 %, conversion rate +5 %.
DIMINISHING_RETURNS = MappingProxyType(
    {
        "budget_before": Figure(200_000, "CNY per month", "003", "when the monthly budget increases from 200,000"),
        "budget_after": Figure(500_000, "CNY per month", "003", "to 500,000"),
        "cpm_change": Figure(0.40, "relative change", "003", "the CPM (cost per thousand impressions) increases by 40%"),
        "cvr_change": Figure(0.05, "relative change", "003", "but the conversion rate only increases by 5%"),
    }
)


def _article_elasticity() -> float:
    budget = DIMINISHING_RETURNS["budget_after"].value / DIMINISHING_RETURNS["budget_before"].value
    cpm = 1 + DIMINISHING_RETURNS["cpm_change"].value
    cvr = 1 + DIMINISHING_RETURNS["cvr_change"].value
    # Impressions scale with budget / CPM; conversions with impressions × conversion rate.
    return math.log(budget / cpm * cvr) / math.log(budget)


DEFAULT_ELASTICITY = Figure(
    _article_elasticity(), "d ln(conversions) / d ln(budget)", "003 (derived)",
    "ln(2.5 / 1.4 × 1.05) / ln 2.5: conversions grow 1.875× for 2.5× budget",
)

PLATFORM_DEPOSIT = Figure(20_000, "CNY", "002", "The average deposit amount is 20,000 yuan")
PLATFORM_MONTHLY_FEE = Range(10_000, 60_000, "CNY per month", "002", "This amount varies from 10,000 to 60,000 yuan")
PLATFORM_COMMISSION = Range(0.10, 0.15, "share of sales", "002",
                            "At first, the fee was charged in the amount of 5% of sales revenue. In 2019, this "
                            "figure varies on average from 10 to 15%.")
LOGISTICS_FEE = Figure(0.05, "share of sales", "002", "Xiaohongshu's fee is only 5%.")
CLOSED_LOOP_ROAS_EXAMPLE = Figure(3.0, "GMV / spend", "003", "has increased its closed-loop ROI to 1:3")
SPILLOVER_USER_SHARE = Figure(0.70, "share of users", "003",
                              "70% of users on the platform will still choose to jump to Tmall flagship store")
MEASUREMENT_WINDOW_MONTHS = Range(6, 12, "months", "001", "Track performance over longer periods (6-12 months)")
TIERED_STRATEGY_ROI_UPLIFT = Range(0.30, 0.40, "relative ROI", "000",
                                   "consistently delivers 30-40% higher ROI compared to single-tier strategies")
REALLOCATION_ROI_UPLIFT = Range(0.40, 0.60, "relative ROI", "000",
                                "ROI improvements of 40-60% compared to static budget allocation models")
#: Case study 1's cost per acquisition against the industry's: an industry campaign pays 1 / (1 − 0.4) ≈ 1.67×
#: as much per conversion, i.e. converts 60 % as well per ¥ (the planner's pessimistic conversion rate).
CASE_1_CPA_BELOW_BENCHMARK = Figure(0.40, "relative CPA", "000",
                                    "delivering a cost-per-acquisition 40% lower than industry benchmarks")

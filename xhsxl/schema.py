"""THE declaration of every input of a client campaign, and everything derived from it.

Each field is declared once, in :data:`FIELDS`: key, English and Chinese label, unit, default, bounds,
help text and group. From that list come the pydantic model :class:`ClientCampaign`, the template's input
cells, data validation and named ranges, the batch input columns and the reader. Adding an input is one
edit here.

The schema validates values, it does not read spreadsheet text: numbers arrive as numbers, read from
cells (``"¥1,200,000"``, ``"30%"``, full-width digits, blanks) by :mod:`xhsxl.excel` first. ``30`` in a
percentage field is refused with a hint, not read as 3000 %.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model, model_validator

from xhsxl.core import clv as clv_core
from xhsxl.core import figures, metrics, returns
from xhsxl.core import allocation
from xhsxl.core.allocation import allocate_budget, normalize_stage, stage_split
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import is_blank, kept_per_yuan

__all__ = [
    "Unit",
    "UNIT_LABELS",
    "NUMBER_FORMATS",
    "InputField",
    "GROUPS",
    "FIELDS",
    "FIELDS_BY_KEY",
    "OUTPUTS",
    "OutputMetric",
    "ClientCampaign",
    "CampaignResults",
    "SPANS",
    "HEADLINE_METRICS",
    "field_for_header",
    "validation_problems",
]

Unit = Literal["CNY", "CNY per action", "count", "fraction", "rate", "ratio", "elasticity", "months", "days",
               "flag", "text", "stage"]

#: Excel number format per unit, used by the template and every generated workbook.
NUMBER_FORMATS: dict[str, str] = {
    "CNY": '"¥"#,##0',
    "CNY per action": '"¥"#,##0.00',
    "count": "#,##0",
    "fraction": "0.0%",
    "rate": "0.00%",  # funnel rates such as a 1.37 % CTR, where a tenth of a per cent is too coarse
    "ratio": '"1:"0.00',
    "elasticity": "0.000",
    "months": "0",
    "days": "0.0",
    "flag": '"TRUE";"TRUE";"FALSE"',  # Excel shows a TRUE/FALSE cell as such; this makes other readers do so too
    "text": "@",
    "stage": "@",
}


#: How each unit is shown to a person (workbook unit columns, docs).
UNIT_LABELS: dict[str, str] = {
    "CNY": "¥",
    "CNY per action": "¥ each",
    "count": "count",
    "fraction": "%",
    "rate": "%",
    "ratio": "ROI 1:x",
    "elasticity": "number",
    "months": "months",
    "days": "days",
    "flag": "TRUE/FALSE",
    "text": "text",
    "stage": "choice",
}


@dataclass(frozen=True)
class InputField:
    """One campaign input: everything the model, the workbook, the batch and the docs need to know."""

    key: str
    label_en: str
    label_zh: str
    unit: Unit
    group: str
    help: str
    default: Any = None
    required: bool = False
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    choices: tuple[str, ...] = ()
    integer: bool = False
    #: The named range this field belongs to, passed whole to an XHS_ function (see :data:`SPANS`); the
    #: costs need none: their range is their group.
    span: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.unit not in ("text", "stage")

    @property
    def number_format(self) -> str:
        return NUMBER_FORMATS[self.unit]

    def bounds_text(self) -> str:
        """The bounds in words, for help text and error hints ("0 to 1", "at least 0")."""
        low = self.gt if self.gt is not None else self.ge
        if low is not None and self.le is not None:
            return f"{_fmt(low)} to {_fmt(self.le)}"
        if self.gt is not None:
            return f"greater than {_fmt(self.gt)}"
        if self.ge is not None:
            return f"at least {_fmt(self.ge)}"
        return ""


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


#: Field groups in display order: key → (English, Chinese).
GROUPS: dict[str, tuple[str, str]] = {
    "client": ("Client", "客户"),
    "costs": ("Campaign costs", "活动成本"),
    "results": ("Campaign results", "活动结果"),
    "engagement": ("Engagement and its value", "互动及其价值"),
    "customers": ("Customer economics", "客户经济"),
    "strategy": ("Budget strategy", "预算策略"),
    "weights": ("Blended-return weights", "综合回报权重"),
}

# Keyword arguments of :class:`InputField` shared by a kind of field. Each preset is a TypedDict with exactly
# its keys, so ``InputField(..., **_MONEY)`` is checked against the field's annotations, and a call that also
# passes one of the preset's keys is refused by the type checker instead of failing at import.
class _SharePreset(TypedDict):
    unit: Unit
    ge: float
    le: float


class _MoneyPreset(TypedDict):
    unit: Unit
    ge: float
    default: float


class _ConversionsPreset(_MoneyPreset):
    pass


class _CountPreset(_MoneyPreset):
    integer: bool


class _EngagementCountPreset(_CountPreset):
    group: str
    span: str


_SHARE: _SharePreset = {"unit": "fraction", "ge": 0.0, "le": 1.0}
_MONEY: _MoneyPreset = {"unit": "CNY", "ge": 0.0, "default": 0.0}
_COUNT: _CountPreset = {"unit": "count", "ge": 0.0, "default": 0.0, "integer": True}
_CONVERSIONS: _ConversionsPreset = {"unit": "count", "ge": 0.0, "default": 0.0}
_ENGAGEMENT_COUNT: _EngagementCountPreset = {**_COUNT, "group": "engagement", "span": "engagement_counts"}


FIELDS: tuple[InputField, ...] = (
    # client
    InputField("client_name", "Client / brand", "客户/品牌", "text", "client",
               "Name of the client or brand; used for the file name and headings.", required=True),
    InputField("campaign_name", "Campaign", "活动名称", "text", "client",
               "Name of the campaign (optional).", default=""),
    InputField("brand_stage", "Brand stage", "品牌阶段", "stage", "client",
               "cold_start (冷启动), growth (成长期) or maturity (成熟期): sets the spillover / closed-loop "
               "split (70/30, 50/50, 40/60, article 003).",
               default="growth", choices=tuple(figures.STAGE_SPILLOVER_SHARE)),
    # costs
    InputField("creator_fees", "KOL/KOC fees", "达人合作费用", group="costs",
               help="Fees paid to KOLs and KOCs of every tier, ¥.", **_MONEY),
    InputField("content_production", "Content production", "内容制作", group="costs",
               help="Visuals, video and copy production, ¥ (article 000 advises 25-35 % of the budget).", **_MONEY),
    InputField("paid_ads", "Paid ads", "付费广告", group="costs",
               help="Promoted notes (推广笔记), search ads and opening-screen ads, ¥.", **_MONEY),
    InputField("product_sampling", "Product sampling", "产品寄样", group="costs",
               help="Cost of free products sent to creators and community members, ¥.", **_MONEY),
    InputField("agency_fees", "Agency & management", "代理及管理费", group="costs",
               help="Strategy, campaign management and optimisation fees, ¥.", **_MONEY),
    InputField("tech_analytics", "Technology & analytics", "技术与数据分析", group="costs",
               help="Tracking set-up, e-commerce integration and monitoring tools, ¥.", **_MONEY),
    InputField("platform_fees", "Platform fees", "平台费用", group="costs",
               help="The campaign's share of store deposit and monthly platform fee, ¥ (deposit ≈ ¥20,000, "
                    "monthly fee ¥10,000-60,000, article 002).", **_MONEY),
    # results
    InputField("impressions", "Impressions", "曝光量", group="results",
               help="Total impressions of the campaign's notes and ads.", **_COUNT),
    InputField("clicks", "Clicks / profile visits", "点击/主页访问", group="results",
               help="Clicks to product pages or profile visits (the denominator of conversion rate).", **_COUNT),
    InputField("conversions", "Direct conversions", "站内转化", group="results",
               help="Orders placed on Xiaohongshu attributed to the campaign (fractional when a model attributes them).",
               **_CONVERSIONS),
    InputField("direct_revenue", "Direct sales", "站内销售额", group="results",
               help="Revenue of the direct conversions, ¥.", **_MONEY),
    InputField("cross_platform_conversions", "Cross-platform conversions", "站外转化", group="results",
               help="Orders on Tmall, JD or offline attributed to the campaign (may be fractional).", **_CONVERSIONS),
    InputField("cross_platform_revenue", "Cross-platform sales (campaign period)", "站外销售额（活动期）",
               group="results", help="Tmall / JD / offline sales during the campaign, ¥.", **_MONEY),
    InputField("cross_platform_baseline", "Cross-platform baseline", "站外基线销售额", group="results",
               help="The same channels' sales in an equally long period before the campaign, ¥; only the "
                    "increase counts (article 001: before-and-after comparisons).", **_MONEY),
    InputField("new_customers", "New customers", "新客户数", group="results",
               help="First-time customers acquired by the campaign (valued at CLV in the blended return).",
               **_COUNT),
    InputField("starting_followers", "Followers at start", "活动前粉丝数", group="results",
               help="Brand account followers when the campaign started (for follower growth rate).", **_COUNT),
    # engagement
    InputField("likes", "Likes", "点赞", help="Likes (点赞).", **_ENGAGEMENT_COUNT),
    InputField("saves", "Saves", "收藏", help="Saves (收藏), a strong purchase signal.", **_ENGAGEMENT_COUNT),
    InputField("comments", "Comments", "评论", help="Comments (评论).", **_ENGAGEMENT_COUNT),
    InputField("shares", "Shares", "分享", help="Shares (分享).", **_ENGAGEMENT_COUNT),
    InputField("new_followers", "New followers", "新增关注",
               help="Follows gained; counted as an engagement, as Juguang does.", **_ENGAGEMENT_COUNT),
    *(
        InputField(f"value_per_{action[:-1]}", f"Value per {action[:-1]}", f"每次{zh}价值", "CNY per action",
                   "engagement", f"¥ value of one {action[:-1]}; 0 leaves {action} out of the blended return. "
                   "Set from the client's own link between engagement and later sales.", default=0.0, ge=0.0,
                   span="engagement_unit_values")
        for action, zh in zip(returns.ENGAGEMENT_ACTIONS, ("点赞", "收藏", "评论", "分享", "关注"))
    ),
    InputField("brand_value", "Brand / earned-media value", "品牌/赢得媒体价值", group="engagement",
               help="Brand-lift or earned-media value, ¥. If it already prices the engagements, set the "
                    "engagement weight to 0.", **_MONEY),
    # customers
    InputField("gross_margin", "Gross margin", "毛利率", group="customers", default=0.5,
               help="Gross margin on sales (product assumption 50 %; replace with the client's).", **_SHARE),
    InputField("refund_rate", "Refund rate", "退款率", group="customers", default=0.0,
               help="Share of GMV refunded; Juguang GMV includes refunded orders.", **_SHARE),
    InputField("commission_rate", "Platform commission", "平台佣金率", group="customers",
               default=figures.PLATFORM_COMMISSION.low,
               help="Xiaohongshu commission on its own sales (10-15 % since 2019, article 002); applied to "
                    "direct sales only.", **_SHARE),
    InputField("orders_per_month", "Orders per customer per month", "每月人均订单", "count", "customers",
               "Repeat orders a retained customer places per month, for CLV.", default=0.5, ge=0.0),
    InputField("retention_rate", "Monthly retention", "月留存率", "fraction", "customers",
               "Share of customers still buying a month later, for CLV (below 100 %).", default=0.7, ge=0.0,
               le=0.999),
    InputField("discount_rate", "Monthly discount rate", "月折现率", "fraction", "customers",
               "Discount rate per month for CLV (1 % a month ≈ 12.7 % a year).", default=0.01, ge=0.0, le=1.0),
    InputField("clv_months", "CLV horizon (months)", "CLV期限（月）", "months", "customers",
               "Months of future orders counted in CLV (article 001 measures over 6-12 months).",
               default=figures.MEASUREMENT_WINDOW_MONTHS.high, ge=1.0, le=600.0, integer=True),
    # strategy
    InputField("planned_budget", "Next budget", "下期预算", "CNY", "strategy",
               "Budget to plan the allocation for, ¥; blank uses this campaign's total cost.", default=None, ge=0.0),
    InputField("reserve_share", "Reserve", "预留调整预算", group="strategy", default=allocation.DEFAULT_RESERVE_SHARE,
               help="Held back for mid-campaign reallocation at 24 h, 72 h and 7 days (000: 15-20 %).",
               span="line_shares", **_SHARE),
    InputField("content_share", "Content production share", "内容制作占比", group="strategy",
               default=allocation.DEFAULT_CONTENT_SHARE,
               help="Share of the budget for content production (000: 25-35 %).",
               span="line_shares", **_SHARE),
    InputField("paid_ads_share", "Paid ads share", "付费广告占比", group="strategy",
               default=allocation.DEFAULT_PAID_ADS_SHARE,
               help="Share of the budget for paid ads (the case studies spent 16 % and 26 %).",
               span="line_shares", **_SHARE),
    InputField("tech_share", "Tech & analytics share", "技术分析占比", group="strategy",
               default=allocation.DEFAULT_TECH_SHARE,
               help="Share of the budget for tracking and analytics (the case studies spent 4-7 %).",
               span="line_shares", **_SHARE),
    *(
        InputField(f"share_{tier}", f"{tier.capitalize()} creators' share", f"{zh}预算占比", group="strategy",
                   default=allocation.DEFAULT_TIER_SHARES.get(tier, 0.0),
                   help=f"Share of the creator budget for {tier} creators "
                        f"({figures.TIER_BUDGET_SHARE[tier].quote}).", span="tier_shares", **_SHARE)
        for tier, zh in (("top", "头部达人"), ("mid", "腰部达人"), ("micro", "初级达人/KOC"), ("nano", "素人"))
    ),
    *(
        InputField(f"roas_{tier}", f"{tier.capitalize()} creators' ROI 1:x", f"{zh}投产比", "ratio", "strategy",
                   f"Revenue per ¥ expected from {tier} creators at their reference spend (the creator budget × "
                   f"the midpoint of their article range); drives the optimised split. Default 3, the closed-loop "
                   f"'ROI 1:3' of article 003.", default=figures.CLOSED_LOOP_ROAS_EXAMPLE.value, gt=0.0, le=1000.0)
        for tier, zh in (("top", "头部达人"), ("mid", "腰部达人"), ("micro", "初级达人/KOC"))
    ),
    InputField("elasticity", "Response elasticity", "投放弹性", "elasticity", "strategy",
               "How conversions scale with spend (1 = linear). Default 0.686 from article 003: ¥200k→¥500k "
               "raised CPM 40 % and conversion 5 %.", default=round(figures.DEFAULT_ELASTICITY.value, 3),
               gt=0.0, le=1.0),
    # weights
    *(
        InputField(f"weight_{key}", f"Weight: {label_en}", f"权重：{label_zh}", "fraction", "weights",
                   f"Weight of '{label_en}' in the blended return (0-100 %).", default=1.0, ge=0.0, le=1.0,
                   span="blended_weights")
        for key, (label_en, label_zh) in returns.RETURN_COMPONENTS.items()
    ),
)

FIELDS_BY_KEY: dict[str, InputField] = {f.key: f for f in FIELDS}
COST_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS if f.group == "costs")


def _spans() -> dict[str, tuple[str, ...]]:
    """Every named multi-cell input range: the whole costs group (the core sums every cost, so the workbook
    must too), then each declared ``span``. A range is consecutive cells on the Inputs sheet, so its fields
    must be consecutive in FIELDS; a field declared out of place is refused here, not summed short."""
    spans: dict[str, tuple[str, ...]] = {"cost_lines": COST_KEYS}
    for f in FIELDS:
        if f.span:
            spans.setdefault(f.span, ())
            spans[f.span] += (f.key,)
    order = [f.key for f in FIELDS]
    for name, keys in spans.items():
        first = order.index(keys[0])
        if tuple(order[first:first + len(keys)]) != keys:
            raise ValueError(f"the fields of the range {name} are not consecutive in FIELDS: {', '.join(keys)}")
    return spans


#: Named input ranges passed whole to XHS_ functions: name → field keys, in schema (and cell) order.
SPANS: dict[str, tuple[str, ...]] = _spans()
TIER_SHARE_KEYS: dict[str, str] = {key.removeprefix("share_"): key for key in SPANS["tier_shares"]}


# --------------------------------------------------------------------------------------------------- values
def _plain_number(value: Any, name: str) -> float | None:
    """A number given as a number (``None`` for a blank); text is refused — :mod:`xhsxl.excel` reads it."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise XhsInputError(argument=name, reason="must be a number, not a true/false value")
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise XhsInputError(argument=name, reason="must be a number", shown=repr(value))
    try:
        number = float(value)
    except OverflowError:
        raise XhsInputError(argument=name, reason="is too large", shown=f"a number of {len(str(value))} digits") from None
    if not math.isfinite(number):
        raise XhsInputError(argument=name, reason="must be a finite number", shown=repr(value))
    return number


def _check_number(field: InputField, number: float) -> None:
    """Raise with the field's bounds in words, plus a hint when a percentage was typed as a whole number."""
    too_low = (field.ge is not None and number < field.ge) or (field.gt is not None and number <= field.gt)
    too_high = field.le is not None and number > field.le
    if too_low or too_high:
        hint = ""
        if field.unit == "fraction" and too_high and number <= 100:
            hint = f"; write {_fmt(number)}% or {number / 100:g}"
        raise XhsInputError(f"{field.key} must be {field.bounds_text()} (got {_fmt(number)}){hint}")
    if field.integer and not float(number).is_integer():
        raise XhsInputError(f"{field.key} must be a whole number (got {number:g})")


def _number_validator(field: InputField) -> Callable[[Any], float | None]:
    def check(value: Any) -> float | None:
        number = _plain_number(value, field.key)
        if number is None:
            if field.default is None and not field.required:
                return None
            if field.required:
                raise XhsInputError(f"{field.key} is required")
            return float(field.default)
        _check_number(field, number)
        return number

    return check


def _text_validator(field: InputField) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = "" if value is None else str(value)
        text = text.strip()
        if field.required and not text:
            raise XhsInputError(f"{field.key} is required")
        if len(text) > 200:
            raise XhsInputError(f"{field.key} must be at most 200 characters (got {len(text)})")
        control = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r"), None)
        if control is not None:
            # Spreadsheets cannot store these (openpyxl refuses them); they come from copy-paste accidents.
            raise XhsInputError(f"{field.key} contains an invisible control character (U+{ord(control):04X}); "
                                "retype the text")
        return text if text else str(field.default or "")

    return check


def _stage_validator(field: InputField) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if is_blank(value):
            return str(field.default)
        return normalize_stage(value)

    return check


def _annotation(field: InputField) -> Any:
    check: Callable[[Any], float | str | None]
    if field.unit == "text":
        check = _text_validator(field)
        base: Any = str
    elif field.unit == "stage":
        check = _stage_validator(field)
        base = str
    else:
        check = _number_validator(field)
        base = float if field.default is not None or field.required else float | None
    info = Field(
        default=... if field.required else field.default,
        title=field.label_en,
        description=field.help,
        json_schema_extra={"label_zh": field.label_zh, "unit": field.unit, "group": field.group},
        validate_default=False,
    )
    return (Annotated[base, BeforeValidator(check)], info)


class _CampaignBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="after")
    def _costs_and_shares(self) -> "_CampaignBase":
        if sum(getattr(self, key) for key in COST_KEYS) <= 0:
            raise XhsInputError("the campaign's costs must add up to more than 0 (every cost line is 0 or blank)")
        tiers = sum(getattr(self, key) for key in TIER_SHARE_KEYS.values())
        if abs(tiers - 1) > 1e-6:
            raise XhsInputError(f"the creator tier shares must add up to 100 % (they add up to {tiers:.2%})")
        lines = sum(getattr(self, key) for key in SPANS["line_shares"])
        if lines > 1 + 1e-9:
            raise XhsInputError(
                f"reserve, content, paid-ads and tech shares add up to {lines:.1%}, leaving nothing for creators"
            )
        return self


_CampaignFields = create_model(
    "_CampaignFields", __base__=_CampaignBase, **{f.key: _annotation(f) for f in FIELDS}
)


@dataclass(frozen=True)
class OutputMetric:
    """One computed result: how the template, summary and CLI label and format it."""

    key: str
    label_en: str
    label_zh: str
    unit: Unit


OUTPUTS: tuple[OutputMetric, ...] = (
    OutputMetric("total_cost", "Total cost", "总成本", "CNY"),
    OutputMetric("incremental_cross_platform", "Incremental cross-platform sales", "站外增量销售额", "CNY"),
    OutputMetric("revenue", "Attributed revenue", "归因销售额", "CNY"),
    OutputMetric("roi", "ROI (net)", "投资回报率（净）", "fraction"),
    OutputMetric("roas", "ROI 1:x (GMV / spend)", "投产比", "ratio"),
    OutputMetric("profit_roi", "Profit ROI", "利润回报率", "fraction"),
    OutputMetric("breakeven_roas", "Break-even ROAS", "盈亏平衡投产比", "ratio"),
    OutputMetric("breakeven_revenue", "Break-even revenue", "盈亏平衡销售额", "CNY"),
    OutputMetric("cpm", "CPM", "千次曝光成本", "CNY per action"),
    OutputMetric("cpc", "Cost per click / visit", "单次点击成本", "CNY per action"),
    OutputMetric("cpa", "Cost per acquisition", "单次转化成本", "CNY per action"),
    OutputMetric("engagements", "Engagements", "互动量", "count"),
    OutputMetric("cpe", "Cost per engagement", "单次互动成本", "CNY per action"),
    OutputMetric("ctr", "Click-through rate", "点击率", "fraction"),
    OutputMetric("cvr", "Conversion rate", "转化率", "fraction"),
    OutputMetric("aov", "Average order value", "客单价", "CNY per action"),
    OutputMetric("engagement_rate", "Engagement rate", "互动率", "fraction"),
    OutputMetric("save_rate", "Save rate", "收藏率", "fraction"),
    OutputMetric("follower_growth_rate", "Follower growth rate", "粉丝增长率", "fraction"),
    OutputMetric("engagement_value", "Engagement value", "互动价值", "CNY"),
    OutputMetric("clv", "CLV per new customer (future orders)", "新客户终身价值", "CNY per action"),
    OutputMetric("blended_return", "Blended return", "综合回报", "CNY"),
    OutputMetric("blended_roi", "Blended ROI", "综合投资回报率", "fraction"),
)


#: The results a client reads first, in order: the Dashboard's tiles, the batch summary's columns.
HEADLINE_METRICS: tuple[str, ...] = ("total_cost", "revenue", "roi", "roas", "profit_roi", "blended_roi", "cpa",
                                     "cpm")


@dataclass(frozen=True)
class CampaignResults:
    """Every result of a campaign, computed by the core. ``values[key]`` is None where undefined
    (a rate over zero impressions), never NaN."""

    values: dict[str, float | None]
    breakdown: list[list[Any]]
    allocation: list[list[Any]]
    stage: list[list[Any]]
    optimal: list[list[Any]]

    def __getitem__(self, key: str) -> float | None:
        return self.values[key]


def _when(defined: bool, compute: Callable[..., float | np.ndarray], *args: Any) -> float | None:
    """``compute(*args)`` where the KPI is defined (its denominator is not zero), else None.

    Exactly the condition the workbook's ``IF(…, XHS_…, "n/a")`` tests: an undefined KPI is n/a in both,
    and anything else the core refuses (an overflow from absurd inputs) is an input error in both.
    """
    return float(compute(*args)) if defined else None


# The base class is made at run time from FIELDS (one attribute per field), which a static checker cannot
# follow: it sees a variable, not a class, so the attributes read below are unchecked rather than wrong.
class ClientCampaign(_CampaignFields):  # type: ignore[misc, valid-type]
    """A whole client campaign, validated; :meth:`results` computes its full result set through the core.

    >>> c = ClientCampaign(client_name="Case 1", creator_fees=250_000, content_production=100_000,
    ...                    paid_ads=70_000, tech_analytics=30_000, direct_revenue=1_680_000)
    >>> round(c.results()["roi"], 4)
    2.7333
    """

    @property
    def total_cost(self) -> float:
        return math.fsum(getattr(self, key) for key in COST_KEYS)

    @property
    def budget(self) -> float:
        """The budget the allocation plans for: the planned budget, or this campaign's total cost."""
        return self.planned_budget if self.planned_budget is not None else self.total_cost

    def span(self, name: str) -> list[float]:
        """The values of a named input range (:data:`SPANS`), in its order."""
        return [getattr(self, key) for key in SPANS[name]]

    def engagement_counts(self) -> list[float]:
        return self.span("engagement_counts")

    def engagement_unit_values(self) -> list[float]:
        return self.span("engagement_unit_values")

    def blended_weights(self) -> list[float]:
        return self.span("blended_weights")

    def tier_shares(self) -> dict[str, float]:
        return {tier: getattr(self, key) for tier, key in TIER_SHARE_KEYS.items()}

    def results(self) -> CampaignResults:
        cost = self.total_cost
        incremental = float(metrics.incremental_revenue(self.cross_platform_revenue, self.cross_platform_baseline))
        revenue = self.direct_revenue + incremental
        # Commission is charged on Xiaohongshu's own sales only, not on Tmall or JD sales.
        commissioned_share = self.direct_revenue / revenue if revenue > 0 else 1.0
        all_conversions = self.conversions + self.cross_platform_conversions
        kept = kept_per_yuan(self.gross_margin, self.refund_rate, self.commission_rate, commissioned_share)
        breaks_even = revenue > 0 and kept > 0  # otherwise no ROAS breaks even: n/a, as in the workbook
        profit_terms = (self.gross_margin, self.refund_rate, self.commission_rate)
        engaged = float(metrics.engagements(*self.engagement_counts()))
        order_value = _when(self.conversions > 0, metrics.aov, self.direct_revenue, self.conversions)
        monthly_margin = order_value * self.orders_per_month * self.gross_margin if order_value is not None else 0.0
        clv = float(clv_core.clv_retention(monthly_margin, self.retention_rate, self.discount_rate, self.clv_months))
        engagement_money = float(returns.engagement_value(self.engagement_counts(), self.engagement_unit_values()))
        blended = returns.blended_return(
            self.direct_revenue, incremental, self.new_customers, clv, engagement_money, self.brand_value,
            self.blended_weights(), 1.0, cost,
        )
        values: dict[str, float | None] = {
            "total_cost": cost,
            "incremental_cross_platform": incremental,
            "revenue": revenue,
            "roi": _when(revenue >= 0, metrics.roi, revenue, cost),
            "roas": _when(revenue >= 0, metrics.roas, revenue, cost),
            "profit_roi": _when(revenue >= 0, metrics.profit_roi, revenue, cost, *profit_terms, self.direct_revenue),
            "breakeven_roas": _when(breaks_even, metrics.breakeven_roas, *profit_terms, commissioned_share),
            "breakeven_revenue": _when(breaks_even, metrics.breakeven_revenue, cost, *profit_terms, commissioned_share),
            "cpm": _when(self.impressions > 0, metrics.cpm, cost, self.impressions),
            "cpc": _when(self.clicks > 0, metrics.cpc, cost, self.clicks),
            "cpa": _when(all_conversions > 0, metrics.cpa, cost, all_conversions),
            "engagements": engaged,
            "cpe": _when(engaged > 0, metrics.cpe, cost, engaged),
            "ctr": _when(self.impressions > 0, metrics.ctr, self.clicks, self.impressions),
            "cvr": _when(self.clicks > 0, metrics.cvr, self.conversions, self.clicks),
            "aov": order_value,
            "engagement_rate": _when(self.impressions > 0, metrics.engagement_rate, engaged, self.impressions),
            "save_rate": _when(self.impressions > 0, metrics.save_rate, self.saves, self.impressions),
            "follower_growth_rate": _when(self.starting_followers > 0, metrics.follower_growth_rate, self.new_followers,
                                          self.starting_followers),
            "engagement_value": engagement_money,
            "clv": clv,
            "blended_return": float(blended.total),
            "blended_roi": float(blended.roi),
        }
        plan = allocate_budget(
            self.budget, self.reserve_share, self.content_share, self.paid_ads_share, self.tech_share,
            self.tier_shares(),
        )
        curves = allocation.reference_curves(
            plan.creator_budget, {tier: getattr(self, f"roas_{tier}") for tier in allocation.REFERENCE_TIERS},
            self.elasticity,
        )
        return CampaignResults(
            values=values,
            breakdown=blended.table(),
            allocation=plan.table(),
            stage=stage_split(self.budget, self.brand_stage).table(),
            optimal=allocation.optimal_allocation(plan.creator_budget, curves).table(),
        )


# --------------------------------------------------------------------------------------------------- readers
_HEADERS: dict[str, str] = {}
for _f in FIELDS:
    for _name in (_f.key, _f.label_en, _f.label_zh):
        _HEADERS[unicodedata.normalize("NFKC", _name).strip().lower()] = _f.key


def field_for_header(header: str) -> InputField | None:
    """The field a column header names: its key, English label or Chinese label (any case), or None."""
    key = _HEADERS.get(unicodedata.normalize("NFKC", str(header)).strip().lower())
    return FIELDS_BY_KEY[key] if key else None


def validation_problems(error: ValidationError) -> list[tuple[str, Any, str]]:
    """(field key, value, reason) for every problem in a pydantic error, in field order — every problem of
    a row, not just the first."""
    problems = []
    for item in error.errors():
        key = str(item["loc"][0]) if item["loc"] else "(campaign)"
        reason = str(item.get("ctx", {}).get("error", item["msg"]))
        if item["type"] == "extra_forbidden":
            reason = "unknown column"
        elif item["type"] == "missing":
            reason = f"{key} is required"
        problems.append((key, item.get("input"), reason.removeprefix("Value error, ")))
    order = {f.key: i for i, f in enumerate(FIELDS)}
    return sorted(problems, key=lambda p: order.get(p[0], len(order)))

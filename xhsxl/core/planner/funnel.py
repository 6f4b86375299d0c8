"""The funnel forecast: from a budget split into lines to impressions, conversions, revenue and ROI.

Each budget line that buys attention — a creator tier (top, mid, micro, nano), paid ads, content
production — runs the same funnel::

    spend ──CPM──▶ impressions ──engagement rate──▶ engagements
                   impressions ──CTR──▶ visits ──CVR──▶ direct conversions ──AOV──▶ direct revenue
    direct revenue ──spillover share σ──▶ cross-platform revenue = direct × σ / (1 − σ)

Technology & analytics costs money and buys no attention; the reserve is deployed pro rata over the funnel
lines (what it adds is shown on its own row). Revenue, cost, ROI (net and ratio) and profit ROI follow.

**Diminishing returns** (article 003, Minefield 2): "when the monthly budget increases from 200,000 to
500,000, the CPM … increases by 40%, but the conversion rate only increases by 5%". On each line

    CPM(s) = CPM₀ · (s / s_ref)^a     with 1.40 = 2.5^a  ⇒  a = ln 1.40 / ln 2.5 ≈ 0.3672
    CVR(s) = CVR₀ · (s / s_ref)^b     with 1.05 = 2.5^b  ⇒  b = ln 1.05 / ln 2.5 ≈ 0.0532

so impressions grow like s^(1−a) and conversions and revenue like s^e with e = 1 − a + b ≈ 0.686 —
``figures.DEFAULT_ELASTICITY``, the curvature the optimiser uses. CPM₀ and CVR₀ are quoted at the reference
spend s_ref (default ¥200,000, the article's starting budget). The conversion rate is capped at 100 %.
Splitting one budget over three equally funded lines multiplies conversions by 3^(1−e) ≈ 1.41 on this
curve — the same order as 000's "30-40% higher ROI compared to single-tier strategies" (a consistency
check, not an input).

**Default benchmarks** (:func:`case_study_benchmarks`) are derived from article 000's two case studies, each
taken line by line as printed (creator fees split over the tiers named, in proportion to creators × typical
fee per note, :func:`case_study_lines`):

============================  ===========================================  ==================================
benchmark                     base (derivation)                            low / high (derivation)
============================  ===========================================  ==================================
CPM₀ (¥ per 1,000 at s_ref)   case 1: Σ 1000·s_ref·(sᵢ/s_ref)^(1−a) / 6.2M  case 2 the same way (lower = better)
                              ≈ ¥85.28                                     ≈ ¥55.59; pessimistic = base
CTR (visits per impression)   case 1: 85,000 / 6.2M ≈ 1.371 %              one observation: low = high = base
CVR₀ (conversions per visit)  case 1: 4,200 / (85,000-visit funnel at      low = base × (1 − 0.40): case 1's
                              s_ref) ≈ 5.111 %                             CPA was "40% lower than industry
                                                                           benchmarks"; high = base
AOV (¥ per order)             case 1: ¥1.68M / 4,200 = ¥400                low = case 2's direct AOV, 44 % of
                                                                           ¥4.92M / 8,600 ≈ ¥251.72; high = base
engagement rate               case 2: 168,000 / 12.5M = 1.344 %            low = case 1's 12,500 follows /
                                                                           6.2M ≈ 0.202 % (a floor); high = base
============================  ===========================================  ==================================

Case 1 reports only direct conversions and its revenue is ¥400 × 4,200, so it is forecast on direct sales
only (no stage): with these defaults its impressions, visits, conversions, revenue and ROI come back to
floating-point precision (the defaults are computed from ``figures``, not typed; rounded as above they agree
within 0.01 %).

**Spillover share** σ (:func:`spillover_share`): the share of the campaign's *sales* made on other platforms
(Tmall, JD, offline), an input with a source — measured (the platform's off-platform GMV, the client's Tmall / JD
data, its history), or a stated prior: case study 2's measured 56 % at maturity (42–70 %), or 003's "70% of
users … jump to Tmall" as a wide prior (0–70 %). Given nothing, σ = 0: direct sales only. The brand stage does
not set it: 003's 70 / 50 / 40 % "Budget ratio recommendation" is how to divide the *budget* between spillover
and closed-loop work (:func:`xhsxl.core.allocation.stage_split`); read as a share of sales it forecast case
study 1 (cold start) at ¥5.6M against its actual ¥1.68M. Cross-platform orders are assumed to have the same
AOV (case 2: ¥246 against ¥252).

**The band** is a prediction interval at a stated level (``level``, default 80 %): the range that holds a new
campaign's actual figure with that probability (:mod:`~xhsxl.core.planner.interval`). Its width comes from the
benchmarks' ``spread`` — a calibration's residuals and leverage on Student's t, or, with no history, the
articles' priors (ln 1.40 for what a ¥ buys, ln(1 / 0.6) for what it sells) — and from σ's range. Each metric's
bound is the base times exp(∓ half-width), so low ≤ base ≤ high holds for every count, revenue, ROI and profit.
The columns are bounds per metric, not one scenario: the low revenue and the low impressions are each the
interval's lower end. The levels' low / high (case 1 against case 2) describe the evidence, not the band.

Articles are cited by their number, 000 to 004 (listed in :mod:`xhsxl.core.figures`).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from xhsxl.core import metrics
from xhsxl.core.allocation import exact_parts, allocate_budget, normalize_stage
from xhsxl.core.errors import XhsInputError
from xhsxl.core.figures import (
    CASE_1_CPA_BELOW_BENCHMARK,
    CASE_STUDY_1,
    CASE_STUDY_2,
    DIMINISHING_RETURNS,
    PLATFORM_COMMISSION,
    SPILLOVER_USER_SHARE,
    STAGE_ALIASES,
    STAGE_SPILLOVER_SHARE,
    TIER_FEE_PER_NOTE,
    CaseStudy,
)
from xhsxl.core.planner.interval import (
    DEFAULT_LEVEL,
    EQUATION_SIGNS,
    PRIOR_SPREAD,
    SPREAD_METRICS,
    Spread,
    check_level,
    normal_quantile,
)
from xhsxl.core.validate import (
    ArrayLike, describe, is_blank, kept_per_yuan, numeric, scalar_or_array, single_number,
)

__all__ = [
    "LINES",
    "FUNNEL_LINES",
    "CREATOR_LINES",
    "LINE_LABELS_ZH",
    "CASES",
    "DEFAULT_CPM_CURVATURE",
    "DEFAULT_CVR_CURVATURE",
    "DEFAULT_REFERENCE_SPEND",
    "DEFAULT_GROSS_MARGIN",
    "DEFAULT_COMMISSION_RATE",
    "SPILLOVER_RANGE_LEVEL",
    "SPILLOVER_PRIOR_WIDTH",
    "SPILLOVER_PRIORS",
    "spillover_from_sales",
    "BENCHMARK_TABLE_HEADER",
    "BAND_TABLE_HEADER",
    "BAND_ROWS",
    "LINE_TABLE_HEADER",
    "normalize_line",
    "Benchmark",
    "FunnelBenchmarks",
    "benchmarks_from_table",
    "case_study_lines",
    "case_study_benchmarks",
    "fit_campaign",
    "DEFAULT_BENCHMARKS",
    "spillover_share",
    "FunnelResult",
    "funnel",
    "marginal_roas",
    "plan_lines",
    "LineForecast",
    "CaseForecast",
    "Forecast",
    "forecast",
]


# --------------------------------------------------------------------------------------------------
# Budget lines
# --------------------------------------------------------------------------------------------------

#: Every budget line a forecast knows, in table order. The forecast tables always have one row per line.
LINES: tuple[str, ...] = ("top", "mid", "micro", "nano", "paid_ads", "content_production", "tech_analytics", "reserve")
#: Lines that buy attention and run the funnel.
FUNNEL_LINES: tuple[str, ...] = ("top", "mid", "micro", "nano", "paid_ads", "content_production")
#: Creator tiers among the lines (their shares are of the creator budget).
CREATOR_LINES: tuple[str, ...] = ("top", "mid", "micro", "nano")

#: Chinese name of each line (and of the total row), as on the template's sheets.
LINE_LABELS_ZH: Mapping[str, str] = {
    "top": "头部达人", "mid": "腰部达人", "micro": "初级达人/KOC", "nano": "素人", "paid_ads": "付费广告",
    "content_production": "内容制作", "tech_analytics": "技术分析", "reserve": "预留调整预算", "total": "合计",
}

_LINE_ALIASES: Mapping[str, str] = {
    **{line: line for line in LINES},
    "creators_top": "top", "top_tier": "top", "头部": "top", "头部达人": "top", "头部kol": "top",
    "creators_mid": "mid", "mid_tier": "mid", "腰部": "mid", "腰部达人": "mid", "腰部kol": "mid",
    "creators_micro": "micro", "koc": "micro", "micro_koc": "micro", "初级达人": "micro", "初级达人/koc": "micro",
    "creators_nano": "nano", "素人": "nano",
    "paid": "paid_ads", "ads": "paid_ads", "paid_promotion": "paid_ads", "付费广告": "paid_ads", "广告": "paid_ads",
    "content": "content_production", "内容": "content_production", "内容制作": "content_production",
    "tech": "tech_analytics", "analytics": "tech_analytics", "tech_and_analytics": "tech_analytics",
    "技术分析": "tech_analytics", "技术与分析": "tech_analytics",
    "预留": "reserve", "预留调整预算": "reserve",
}


def normalize_line(name: Any) -> str:
    """Canonical name of a budget line ("top", …, "paid_ads", "content_production", "tech_analytics", "reserve").

    Case, spaces, hyphens and the spellings of the allocation table ("creators_mid") and the template
    ("腰部达人") are accepted.

    >>> normalize_line(" Paid Ads ")
    'paid_ads'
    >>> normalize_line("creators_mid"), normalize_line("内容制作")
    ('mid', 'content_production')
    >>> normalize_line("radio")
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: line must be one of top, mid, micro, nano, paid_ads, content_production, tech_analytics, reserve (got 'radio')
    >>> normalize_line("tpo")
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: line must be one of top, mid, micro, nano, paid_ads, content_production, tech_analytics, reserve (got 'tpo'); did you mean 'top'?
    """
    close: list[str] = []
    if isinstance(name, str):
        key = "_".join(name.strip().lower().replace("-", " ").replace("&", " and ").split())
        if key in _LINE_ALIASES:
            return _LINE_ALIASES[key]
        close = difflib.get_close_matches(key, list(_LINE_ALIASES), n=1, cutoff=0.6)
    raise XhsInputError(argument="line", reason=f"must be one of {', '.join(LINES)}", value=name,
                        hint=f"did you mean {_LINE_ALIASES[close[0]]!r}?" if close else None)


# --------------------------------------------------------------------------------------------------
# Curvature from article 003
# --------------------------------------------------------------------------------------------------

_BUDGET_GROWTH = DIMINISHING_RETURNS["budget_after"].value / DIMINISHING_RETURNS["budget_before"].value
#: a = ln 1.40 / ln 2.5 ≈ 0.3672: CPM × (spend / reference)^a (003: "the CPM … increases by 40%").
DEFAULT_CPM_CURVATURE: float = math.log(1 + DIMINISHING_RETURNS["cpm_change"].value) / math.log(_BUDGET_GROWTH)
#: b = ln 1.05 / ln 2.5 ≈ 0.0532: CVR × (spend / reference)^b (003: "the conversion rate only increases by 5%").
DEFAULT_CVR_CURVATURE: float = math.log(1 + DIMINISHING_RETURNS["cvr_change"].value) / math.log(_BUDGET_GROWTH)
#: ¥200,000, 003's starting monthly budget: where CPM₀ and CVR₀ are quoted.
DEFAULT_REFERENCE_SPEND: float = DIMINISHING_RETURNS["budget_before"].value
#: 50 %: a product assumption (the template's default gross margin), to be replaced with the client's.
DEFAULT_GROSS_MARGIN: float = 0.5
#: 10 %: the low end of 002's 10–15 % platform commission; it applies to Xiaohongshu's own sales only.
DEFAULT_COMMISSION_RATE: float = PLATFORM_COMMISSION.low

#: The three cases of a forecast: pessimistic, base, optimistic.
CASES: tuple[str, ...] = ("low", "base", "high")


def _case(case: Any) -> str:
    if not isinstance(case, str):
        raise XhsInputError(f"case must be 'low', 'base' or 'high' (got {describe(case)})")
    key = case.strip().lower()
    key = {"pessimistic": "low", "optimistic": "high", "mid": "base", "": "base"}.get(key, key)
    if key not in CASES:
        raise XhsInputError(f"case must be 'low', 'base' or 'high' (got {describe(case)})")
    return key


_TOO_LARGE = "the forecast is too large to represent for these amounts; check the units (¥ amounts, rates as fractions)"


def _fsum(values: Iterable[float]) -> float:
    """math.fsum, refusing a total that overflows with a readable message."""
    try:
        total = math.fsum(values)
    except OverflowError:
        raise XhsInputError(_TOO_LARGE) from None
    if not math.isfinite(total):
        raise XhsInputError(_TOO_LARGE)
    return total


def _check_curvature(cpm_curvature: float, cvr_curvature: float) -> None:
    if not cpm_curvature < 1:
        raise XhsInputError(
            f"cpm_curvature must be less than 1 (got {describe(cpm_curvature)}): at 1 or more impressions would "
            "stop growing with spend"
        )
    elasticity = 1 - cpm_curvature + cvr_curvature
    if not 0 < elasticity <= 1 + 1e-12:
        raise XhsInputError(
            f"cpm_curvature and cvr_curvature must give an elasticity 1 − cpm_curvature + cvr_curvature in (0, 1] "
            f"(got 1 − {describe(cpm_curvature)} + {describe(cvr_curvature)} = {elasticity:.4g}): returns must not "
            "grow faster than spend"
        )


# --------------------------------------------------------------------------------------------------
# Benchmarks
# --------------------------------------------------------------------------------------------------

#: Allowed values of each banded benchmark: (lower bound, inclusive?, upper bound or None).
_BENCHMARK_BOUNDS: Mapping[str, tuple[float, bool, float | None]] = {
    "cpm": (0.0, False, None),
    "engagement_rate": (0.0, True, 1.0),
    "ctr": (0.0, False, 1.0),
    "cvr": (0.0, False, 1.0),
    "aov": (0.0, False, None),
    "spillover_share": (0.0, True, 0.95),
}
_BENCHMARK_UNITS: Mapping[str, tuple[str, bool]] = {
    "cpm": ("CNY per 1,000 impressions", False),
    "engagement_rate": ("engagements per impression", True),
    "ctr": ("visits per impression", True),
    "cvr": ("conversions per visit", True),
    "aov": ("CNY per order", True),
    "spillover_share": ("share of revenue", True),
}


@dataclass(frozen=True)
class Benchmark:
    """One funnel benchmark with its range: ``low ≤ base ≤ high`` as numbers, and its provenance.

    ``higher_is_better`` says which end the optimistic case takes: a higher CPM is worse, so the low
    (pessimistic) case of a forecast uses ``cpm.high``. :meth:`pick` does the mapping.

    >>> Benchmark("cpm", 55.0, 85.0, 85.0).pick("low")
    85.0
    >>> Benchmark("aov", 250.0, 400.0, 400.0).pick("low")
    250.0
    >>> Benchmark("ctr", 0.02, 0.01, 0.03)
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: ctr must have low ≤ base ≤ high (got 0.02, 0.01, 0.03)
    """

    name: str
    low: float
    base: float
    high: float
    unit: str = field(default="", compare=False)
    higher_is_better: bool = True
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.name not in _BENCHMARK_BOUNDS:
            raise XhsInputError(f"benchmark must be one of {', '.join(_BENCHMARK_BOUNDS)} (got {describe(self.name)})")
        floor, inclusive, ceiling = _BENCHMARK_BOUNDS[self.name]
        values = []
        for label, value in (("low", self.low), ("base", self.base), ("high", self.high)):
            bounds: dict[str, float] = {"ge" if inclusive else "gt": floor}
            if ceiling is not None:
                bounds["le"] = ceiling
            values.append(single_number(value, f"{self.name} ({label})", **bounds))
        low, base, high = values
        if not low <= base <= high:
            raise XhsInputError(
                f"{self.name} must have low ≤ base ≤ high (got {describe(low)}, {describe(base)}, {describe(high)})"
            )
        unit, better = _BENCHMARK_UNITS[self.name]
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "unit", self.unit or unit)
        object.__setattr__(self, "higher_is_better", better)

    def pick(self, case: str) -> float:
        """The value the ``case`` ("low", "base", "high") uses: the pessimistic end for "low"."""
        key = _case(case)
        if key == "base":
            return self.base
        optimistic = key == "high"
        return self.high if optimistic == self.higher_is_better else self.low

    @classmethod
    def of(cls, name: str, value: Any, source: str = "argument") -> "Benchmark":
        """A benchmark from a number (no range), a (low, base, high) triple or a Benchmark."""
        if isinstance(value, Benchmark):
            return replace(value, name=name) if value.name != name else value
        if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes)):
            if len(value) != 3:
                raise XhsInputError(f"{name} must be a number or a (low, base, high) triple (got {describe(value)})")
            low, base, high = value
        else:
            low = base = high = value
        return cls(name, low, base, high, source=source)


#: Header of :meth:`FunnelBenchmarks.table` and of the calibration table (the same shape, so either can be
#: handed to the forecast).
BENCHMARK_TABLE_HEADER: tuple[str, ...] = (
    "benchmark", "low", "base", "high", "std_error", "residual_sd", "unit", "source",
)
_BANDED: tuple[str, ...] = ("cpm", "engagement_rate", "ctr", "cvr", "aov")
_CURVATURE_ROWS: tuple[str, ...] = ("cpm_curvature", "cvr_curvature", "elasticity", "reference_spend")


@dataclass(frozen=True)
class FunnelBenchmarks:
    """The benchmarks a forecast runs on: five levels with their ranges, the curvature, the reference spend, and
    the spread of a new campaign about them.

    ``cpm`` and ``cvr`` are quoted at ``reference_spend``; ``cpm_curvature`` (a) and ``cvr_curvature`` (b)
    bend them with spend, and the funnel's elasticity 1 − a + b must lie in (0, 1]. The forecast runs on the
    levels' base values; its band comes from ``spread`` (:class:`~xhsxl.core.planner.interval.Spread`: a
    calibration's residuals, or the articles' priors), not from the levels' low / high, which describe where
    the evidence lies.
    """

    cpm: Benchmark
    engagement_rate: Benchmark
    ctr: Benchmark
    cvr: Benchmark
    aov: Benchmark
    cpm_curvature: float = DEFAULT_CPM_CURVATURE
    cvr_curvature: float = DEFAULT_CVR_CURVATURE
    reference_spend: float = DEFAULT_REFERENCE_SPEND
    source: str = field(default="", compare=False)
    notes: Mapping[str, str] = field(default_factory=dict, compare=False)
    spread: Spread = field(default=PRIOR_SPREAD, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.spread, Spread):
            raise XhsInputError(f"spread must be a Spread (got {describe(self.spread)})")
        for name in _BANDED:
            value = getattr(self, name)
            if not isinstance(value, Benchmark):
                object.__setattr__(self, name, Benchmark.of(name, value))
            elif value.name != name:
                raise XhsInputError(f"{name} must be the {name} benchmark (got {value.name})")
        a = single_number(self.cpm_curvature, "cpm_curvature")
        b = single_number(self.cvr_curvature, "cvr_curvature")
        _check_curvature(a, b)
        object.__setattr__(self, "cpm_curvature", a)
        object.__setattr__(self, "cvr_curvature", b)
        object.__setattr__(self, "reference_spend", single_number(self.reference_spend, "reference_spend", gt=0))

    @property
    def elasticity(self) -> float:
        """1 − cpm_curvature + cvr_curvature: how revenue scales with a line's spend (≈ 0.686 by default)."""
        return 1 - self.cpm_curvature + self.cvr_curvature

    def point(self, case: str = "base") -> dict[str, float]:
        """The five levels as the ``case`` uses them."""
        return {name: getattr(self, name).pick(case) for name in _BANDED}

    def with_values(self, **values: Any) -> "FunnelBenchmarks":
        """A copy with some benchmarks replaced: a number (no range), a (low, base, high) triple, a Benchmark,
        or a float for ``cpm_curvature``, ``cvr_curvature`` and ``reference_spend``.

        >>> DEFAULT_BENCHMARKS.with_values(aov=(200, 300, 350)).aov.pick("low")
        200.0
        """
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name in _BANDED:
                changes[name] = Benchmark.of(name, value)
            elif name in ("cpm_curvature", "cvr_curvature", "reference_spend"):
                changes[name] = value
            else:
                raise XhsInputError(f"benchmark must be one of {', '.join(_BANDED + _CURVATURE_ROWS[:2])}, "
                                    f"reference_spend (got {describe(name)})")
        return replace(self, **changes, source=self.source + " (edited)" if changes else self.source)

    def table(self) -> list[list[Any]]:
        """Header ``BENCHMARK_TABLE_HEADER`` and 9 rows: cpm, engagement_rate, ctr, cvr, aov, cpm_curvature,
        cvr_curvature, elasticity, reference_spend. Curvature rows repeat their value as low and high."""
        rows: list[list[Any]] = [list(BENCHMARK_TABLE_HEADER)]
        for name in _BANDED:
            item = getattr(self, name)
            rows.append([name, item.low, item.base, item.high, None, None, item.unit,
                         self.notes.get(name, item.source)])
        for name, unit in zip(_CURVATURE_ROWS, ("exponent of spend", "exponent of spend", "d ln revenue / d ln spend",
                                               "CNY")):
            value = getattr(self, name)
            rows.append([name, value, value, value, None, None, unit, self.notes.get(name, "")])
        return rows


def benchmarks_from_table(rows: Sequence[Sequence[Any]], base: FunnelBenchmarks | None = None) -> FunnelBenchmarks:
    """Benchmarks from a table shaped like :meth:`FunnelBenchmarks.table` (e.g. the calibration's).

    Parameters
    ----------
    rows : sequence of rows
        A header row naming at least ``benchmark`` and ``base`` (``low`` and ``high`` optional), then one row
        per benchmark to set. Names: cpm, engagement_rate, ctr, cvr, aov, cpm_curvature, cvr_curvature,
        reference_spend; an ``elasticity`` row is ignored (it follows from the curvatures). A blank low or
        high means no range on that side (the base value).
    base : FunnelBenchmarks, optional
        Benchmarks for the rows the table leaves out (default :data:`DEFAULT_BENCHMARKS`).

    Examples
    --------
    >>> table = [["benchmark", "low", "base", "high"], ["aov", 300, 350, 380], ["cpm_curvature", None, 0.3, None]]
    >>> fitted = benchmarks_from_table(table)
    >>> fitted.aov.pick("low"), fitted.cpm_curvature
    (300.0, 0.3)
    """
    base = DEFAULT_BENCHMARKS if base is None else base
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence) or not rows:
        raise XhsInputError("benchmarks must be a table with a header row (benchmark, low, base, high)")
    header = rows[0]
    if isinstance(header, (str, bytes)) or not isinstance(header, Sequence):
        raise XhsInputError("benchmarks must be a table with a header row (benchmark, low, base, high)")
    names = [str(cell).strip().lower() if isinstance(cell, str) else None for cell in header]
    if "benchmark" not in names or "base" not in names:
        raise XhsInputError("benchmarks must have a header row naming the columns benchmark, low, base and high")
    column = {name: index for index, name in enumerate(names) if name}
    values: dict[str, Any] = {}
    for number, row in enumerate(rows[1:], start=2):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != len(header):
            raise XhsInputError(f"benchmarks row {number} must have {len(header)} cells like the header")
        cells = {name: row[index] for name, index in column.items()}
        label = cells["benchmark"]
        if label is None or (isinstance(label, str) and not label.strip()):
            if all(map(is_blank, row)):
                continue
            raise XhsInputError(f"benchmarks row {number} has no benchmark name")
        key = str(label).strip().lower() if isinstance(label, str) else label
        if key == "elasticity":
            continue
        if key in values:
            raise XhsInputError(f"benchmarks must name each benchmark once (got {key!r} twice)")
        middle = cells["base"]
        if middle is None:
            raise XhsInputError(f"benchmarks row {number} ({key}) has no base value")
        if key in _BANDED:
            low = cells.get("low")
            high = cells.get("high")
            values[key] = (middle if low is None else low, middle, middle if high is None else high)
        elif key in ("cpm_curvature", "cvr_curvature", "reference_spend"):
            values[key] = middle
        else:
            raise XhsInputError(
                f"benchmarks row {number} names {describe(label)}; use cpm, engagement_rate, ctr, cvr, aov, "
                "cpm_curvature, cvr_curvature or reference_spend"
            )
    for name in _BANDED:
        if name in values:
            low, middle, high = values[name]
            values[name] = Benchmark(name, low, middle, high, source="benchmarks table")
    fitted = base.with_values(**values)
    spread = _spread_from_table(rows[1:], column, fitted)
    return fitted if spread is None else replace(fitted, spread=spread)


def _spread_from_table(rows: Sequence[Sequence[Any]], column: Mapping[str, int],
                       fitted: FunnelBenchmarks) -> Spread | None:
    """The spread a calibration table implies, from its residual_sd and std_error columns; None when the table
    has no residual_sd for CPM (not a calibration's). The equations are taken as independent (the table does
    not carry their joint residuals) and the quantile as normal (nor the degrees of freedom)."""
    if "residual_sd" not in column:
        return None
    residual: dict[str, float] = {}
    estimation: dict[str, float] = {}
    for row in rows:
        label = row[column["benchmark"]]
        key = label.strip().lower() if isinstance(label, str) else None
        if key not in _BANDED:
            continue
        sd = row[column["residual_sd"]]
        error = row[column["std_error"]] if "std_error" in column else None
        if isinstance(sd, (int, float)) and not isinstance(sd, bool) and math.isfinite(sd) and sd >= 0:
            residual[key] = float(sd)
        if isinstance(error, (int, float)) and not isinstance(error, bool) and math.isfinite(error) and error >= 0:
            estimation[key] = (float(error) / getattr(fitted, key).base) ** 2
    if "cpm" not in residual:
        return None
    log_sd = {metric: math.sqrt(math.fsum(residual.get(name, 0.0) ** 2 for name in signs))
              for metric, signs in EQUATION_SIGNS.items()}
    parameter = {metric: math.fsum(estimation.get(name, 0.0) for name in signs)
                 for metric, signs in EQUATION_SIGNS.items()}
    return Spread(log_sd=log_sd, parameter_var=parameter, reference_spend=fitted.reference_spend,
                  source="benchmarks table: residual sd and standard errors, equations taken as independent")


# --------------------------------------------------------------------------------------------------
# Derivation from the case studies
# --------------------------------------------------------------------------------------------------


def _case_study(case: Any) -> CaseStudy:
    if isinstance(case, CaseStudy):
        return case
    if case in (1, 1.0, "1", "case 1", "case_1"):
        return CASE_STUDY_1
    if case in (2, 2.0, "2", "case 2", "case_2"):
        return CASE_STUDY_2
    raise XhsInputError(f"case must be 1 or 2, the case studies of article 000 (got {describe(case)})")


def case_study_lines(case: Any) -> dict[str, float]:
    """A case study's budget as forecast lines, as article 000 prints it.

    Parameters
    ----------
    case : 1, 2 or figures.CaseStudy
        Case study 1 (¥450,000: creators ¥250,000 with 5 mid-tier KOLs and 15 micro-KOCs) or 2
        (¥680,000: creators ¥320,000 with 3 top-tier KOLs and 25 micro-KOCs).

    Returns
    -------
    dict of str to float
        ¥ per line; the creator fees are split over the tiers the case names in proportion to
        ``creators × typical fee per note`` (the midpoint of ``figures.TIER_FEE_PER_NOTE``), the amounts
        adding up exactly to the printed total.

    Notes
    -----
    The article gives the creator fees as one sum; the split is the only assumption. Case 1: 5 × ¥10,000
    against 15 × ¥4,000, so mid 50/110 and micro 60/110 of ¥250,000.

    References
    ----------
    000, Case Studies 1 and 2 ("partnered with 5 mid-tier beauty KOLs and 15 micro-KOCs"; "3 top-tier KOLs
    … with 25 micro-KOCs"); 002 for the fees per note.

    Examples
    --------
    >>> lines = case_study_lines(1)
    >>> {k: round(v, 2) for k, v in lines.items()}
    {'mid': 113636.36, 'micro': 136363.64, 'paid_ads': 70000.0, 'content_production': 100000.0, 'tech_analytics': 30000.0}
    >>> sum(lines.values())
    450000.0
    """
    study = _case_study(case)
    tiers = [tier for tier in ("top", "mid", "micro", "nano") if study.creators.get(tier)]
    weights = [study.creators[tier] * TIER_FEE_PER_NOTE[tier].mid for tier in tiers]
    parts = [study.creator_fees * weight / math.fsum(weights) for weight in weights]
    amounts = exact_parts(parts, float(study.creator_fees), max(range(len(parts)), key=parts.__getitem__))
    lines = dict(zip(tiers, amounts))
    lines.update(paid_ads=float(study.paid_ads), content_production=float(study.content_production),
                 tech_analytics=float(study.tech_analytics))
    return lines


def _funnel_reach(lines: Mapping[str, float], curvature: float, reference: float) -> list[tuple[float, float]]:
    """(spend / reference, Σ-term) per funnel line: impressions ∝ reference · (spend / reference)^(1 − curvature)."""
    ratios = [lines[line] / reference for line in FUNNEL_LINES if lines.get(line, 0) > 0]
    return [(ratio, reference * ratio ** (1 - curvature)) for ratio in ratios]


def _cpm_at_reference(lines: Mapping[str, float], impressions: float, curvature: float, reference: float) -> float:
    # impressions = Σ 1000 · reference · rᵢ^(1−a) / CPM₀  ⇒  CPM₀ = 1000 · Σ reference · rᵢ^(1−a) / impressions
    return 1000 * _fsum(term for _, term in _funnel_reach(lines, curvature, reference)) / impressions


def _conversions_per_visit(lines: Mapping[str, float], cpm0: float, ctr: float, conversions: float,
                           cpm_curvature: float, cvr_curvature: float, reference: float) -> float:
    # conversions = Σ impressionsᵢ · CTR · CVR₀ · rᵢ^b  ⇒  CVR₀ = conversions / (CTR · Σ impressionsᵢ · rᵢ^b)
    reach = _funnel_reach(lines, cpm_curvature, reference)
    weighted = _fsum(1000 * term / cpm0 * ratio ** cvr_curvature for ratio, term in reach)
    return conversions / (ctr * weighted)


def case_study_benchmarks(
    cpm_curvature: float = DEFAULT_CPM_CURVATURE,
    cvr_curvature: float = DEFAULT_CVR_CURVATURE,
    reference_spend: float = DEFAULT_REFERENCE_SPEND,
) -> FunnelBenchmarks:
    """The default funnel benchmarks, derived from article 000's two case studies (see the module doc).

    Parameters
    ----------
    cpm_curvature, cvr_curvature : float, optional
        Exponents a and b of CPM and CVR in spend (default 003's ln 1.40 / ln 2.5 and ln 1.05 / ln 2.5).
    reference_spend : float, optional
        Spend per line at which CPM₀ and CVR₀ are quoted, ¥ (default ¥200,000). Re-derived from the cases,
        the benchmarks give the same forecasts for any reference spend: it only says where they are quoted.

    Returns
    -------
    FunnelBenchmarks
        CPM₀, CTR, CVR₀ and AOV from case 1, engagement rate from case 2, their ranges from the other case and
        article 000's "40% lower than industry benchmarks" CPA.

    Notes
    -----
    With lines sᵢ of case c (:func:`case_study_lines`) and rᵢ = sᵢ / s_ref:
    CPM₀ = 1000 · Σ s_ref · rᵢ^(1−a) / impressions; CTR = visitors / impressions;
    CVR₀ = conversions / (CTR · Σ impressionsᵢ · rᵢ^b); AOV = revenue / conversions (case 1; case 2's direct
    AOV is 44 % of its revenue over its 8,600 direct conversions); engagement rate = engagements /
    impressions (case 2; case 1's 12,500 follows give a floor).

    References
    ----------
    000, Case Studies 1 and 2; "a cost-per-acquisition 40% lower than industry benchmarks"; 003, Minefield 2.

    Examples
    --------
    >>> defaults = case_study_benchmarks()
    >>> round(defaults.cpm.base, 2), round(defaults.cpm.low, 2), round(defaults.ctr.base, 5)
    (85.28, 55.59, 0.01371)
    >>> round(defaults.cvr.base, 5), round(defaults.cvr.low, 5), defaults.aov.base, round(defaults.aov.low, 2)
    (0.05111, 0.03067, 400.0, 251.72)
    >>> round(defaults.engagement_rate.base, 5), round(defaults.elasticity, 4)
    (0.01344, 0.686)
    """
    a = single_number(cpm_curvature, "cpm_curvature")
    b = single_number(cvr_curvature, "cvr_curvature")
    _check_curvature(a, b)
    reference = single_number(reference_spend, "reference_spend", gt=0)
    one, two = CASE_STUDY_1, CASE_STUDY_2
    # Figures article 000 reports for these two case studies only (optional fields of CaseStudy).
    assert one.profile_visitors is not None and one.new_followers is not None
    assert two.engagements is not None and two.other_channel_revenue_share is not None
    lines_one, lines_two = case_study_lines(1), case_study_lines(2)

    cpm_one = _cpm_at_reference(lines_one, one.impressions, a, reference)
    cpm_two = _cpm_at_reference(lines_two, two.impressions, a, reference)
    ctr = one.profile_visitors / one.impressions
    cvr = _conversions_per_visit(lines_one, cpm_one, ctr, one.direct_conversions, a, b, reference)
    cvr_industry = cvr * (1 - CASE_1_CPA_BELOW_BENCHMARK.value)
    aov = one.revenue / one.direct_conversions
    aov_two = (1 - two.other_channel_revenue_share) * two.revenue / two.direct_conversions
    engagement = two.engagements / two.impressions
    follows_floor = one.new_followers / one.impressions

    case1, case2 = "000 case study 1", "000 case study 2"
    cpm_note = (f"base {case1}: 1000·Σ s_ref·(s/s_ref)^(1−a) / {one.impressions:,.0f} impressions; "
                f"optimistic {case2} the same way")
    return FunnelBenchmarks(
        cpm=Benchmark("cpm", min(cpm_one, cpm_two), cpm_one, max(cpm_one, cpm_two), source=cpm_note),
        engagement_rate=Benchmark(
            "engagement_rate", min(follows_floor, engagement), engagement, max(follows_floor, engagement),
            source=f"base {case2}: 168,000 engagements / 12.5M impressions; low {case1}: 12,500 follows / 6.2M "
                   "(a floor)"),
        ctr=Benchmark("ctr", ctr, ctr, ctr, source=f"{case1}: 85,000 profile visitors / 6.2M impressions (one observation)"),
        cvr=Benchmark("cvr", cvr_industry, cvr, cvr,
                      source=f"base {case1}: 4,200 conversions / 85,000 visits at s_ref; low × (1 − 0.40): "
                             f"000 '{CASE_1_CPA_BELOW_BENCHMARK.quote}'"),
        aov=Benchmark("aov", min(aov, aov_two), aov, max(aov, aov_two),
                      source=f"base {case1}: ¥1.68M / 4,200; low {case2}: 44 % of ¥4.92M / 8,600 direct conversions"),
        cpm_curvature=a,
        cvr_curvature=b,
        reference_spend=reference,
        source="article 000 case studies 1 and 2, article 003 curvature",
        notes={"cpm_curvature": "003: CPM +40 % for 2.5× budget, ln 1.4 / ln 2.5",
               "cvr_curvature": "003: conversion rate +5 % for 2.5× budget, ln 1.05 / ln 2.5",
               "elasticity": "1 − cpm_curvature + cvr_curvature",
               "reference_spend": "003: the ¥200,000 starting budget"},
    )


#: The benchmarks a forecast uses unless told otherwise (:func:`case_study_benchmarks` with its defaults).
DEFAULT_BENCHMARKS: FunnelBenchmarks = case_study_benchmarks()



def fit_campaign(
    lines: Any,
    impressions: float,
    conversions: float,
    revenue: float,
    visits: float | None = None,
    engagements: float | None = None,
    base: FunnelBenchmarks | None = None,
) -> FunnelBenchmarks:
    """Benchmarks under which the forecast of one past campaign's lines gives back its totals.

    Parameters
    ----------
    lines : mapping of line to ¥, or sequence of (line, ¥) pairs
        The campaign's budget lines, as for :func:`forecast` (some funnel line must have spent).
    impressions, conversions : float
        Its impressions and direct conversions (> 0).
    revenue : float
        Revenue of those conversions, ¥ (> 0): direct sales, without other platforms' (those come from the
        spillover share).
    visits, engagements : float, optional
        Its visits and engagements (> 0); without them CTR and the engagement rate stay ``base``'s.
    base : FunnelBenchmarks, optional
        Curvature, reference spend, and the relative width of each range (default :data:`DEFAULT_BENCHMARKS`).

    Returns
    -------
    FunnelBenchmarks
        CPM₀, CTR, CVR₀, AOV and engagement rate set so that ``forecast(lines, benchmarks=...)`` reproduces
        ``impressions``, ``visits``, ``conversions``, ``revenue`` and ``engagements`` in the base case (without a
        reserve line); each range keeps ``base``'s low / base and high / base ratios (rates capped at 1).

    Notes
    -----
    With rᵢ = sᵢ / s_ref over the funnel lines: CPM₀ = 1000 · Σ s_ref · rᵢ^(1−a) / impressions, CTR =
    visits / impressions, CVR₀ = conversions / (CTR · Σ impressionsᵢ · rᵢ^b), AOV = revenue / conversions,
    engagement rate = engagements / impressions. :func:`case_study_benchmarks` is this applied to case study 1.

    References
    ----------
    000, Case Studies 1 and 2 (campaigns reported as totals of this kind).

    Examples
    --------
    >>> fitted = fit_campaign(case_study_lines(2), 12_500_000, 8_600, 0.44 * 4_920_000, engagements=168_000)
    >>> result = forecast(case_study_lines(2), benchmarks=fitted, spillover=0.56)
    >>> round(result.base.total.impressions), round(result.base.total.direct_conversions), round(result.base.total.revenue)
    (12500000, 8600, 4920000)
    """
    template = DEFAULT_BENCHMARKS if base is None else base
    amounts = _line_amounts(lines)
    if not any(amounts.get(line, 0.0) > 0 for line in FUNNEL_LINES):
        raise XhsInputError(f"lines must spend something on a funnel line ({', '.join(FUNNEL_LINES)})")
    shown = single_number(impressions, "impressions", gt=0)
    converted = single_number(conversions, "conversions", gt=0)
    sales = single_number(revenue, "revenue", gt=0)
    a, b, reference = template.cpm_curvature, template.cvr_curvature, template.reference_spend
    cpm0 = _cpm_at_reference(amounts, shown, a, reference)
    ctr = template.ctr.base if visits is None else single_number(visits, "visits", gt=0) / shown
    engagement = (template.engagement_rate.base if engagements is None
                  else single_number(engagements, "engagements", ge=0) / shown)
    cvr = _conversions_per_visit(amounts, cpm0, ctr, converted, a, b, reference)
    values = {"cpm": cpm0, "ctr": ctr, "cvr": cvr, "aov": sales / converted, "engagement_rate": engagement}
    for name in ("ctr", "cvr", "engagement_rate"):
        if values[name] > 1:
            raise XhsInputError(f"the campaign's {name} comes out above 100 % ({values[name]:.4g}); check its counts")

    def banded(name: str) -> Benchmark:
        model = getattr(template, name)
        value = values[name]
        low, high = value * model.low / model.base, value * model.high / model.base
        if name in ("ctr", "cvr", "engagement_rate"):
            low, high = min(low, 1.0), min(high, 1.0)
        return Benchmark(name, min(low, value), value, max(high, value), source="fitted to one campaign")

    # Every name in _BANDED is a Benchmark field; a ** dict is checked against all fields, hence the ignore.
    return replace(template, **{name: banded(name) for name in _BANDED},  # type: ignore[arg-type]
                   source="fitted to one campaign's totals", notes={})

# --------------------------------------------------------------------------------------------------
# Spillover
# --------------------------------------------------------------------------------------------------

#: The level at which a spillover range (a prior's or one typed as low, base, high) is read: 80 %.
SPILLOVER_RANGE_LEVEL: float = 0.80
_CASE_2_SHARE = CASE_STUDY_2.other_channel_revenue_share
assert _CASE_2_SHARE is not None, "article 000 reports case study 2's off-platform share"
_USERS_SHARE = SPILLOVER_USER_SHARE.value
#: ± 14 points around case study 2's 56 %: the distance to 003's 70 % of users, the only other figure.
SPILLOVER_PRIOR_WIDTH: float = _USERS_SHARE - _CASE_2_SHARE

#: Stated priors for the off-platform share of sales, each an 80 % range with its source.
SPILLOVER_PRIORS: Mapping[str, tuple[float, float, float, str]] = {
    "case_study_2": (
        _CASE_2_SHARE - SPILLOVER_PRIOR_WIDTH, _CASE_2_SHARE, _CASE_2_SHARE + SPILLOVER_PRIOR_WIDTH,
        f"prior: 000 case study 2 measured {_CASE_2_SHARE:.0%} at maturity ('56% of revenue coming from influenced "
        f"sales on other channels'); ± {SPILLOVER_PRIOR_WIDTH * 100:.0f} points, the distance to 003's "
        f"{_USERS_SHARE:.0%} of users, read as an 80 % range",
    ),
    "users": (
        0.0, _USERS_SHARE / 2, _USERS_SHARE,
        f"wide prior: 003 '{SPILLOVER_USER_SHARE.quote}' ({_USERS_SHARE:.0%}, a statement about users, not one "
        "brand's sales) as the upper end, 0 (a brand selling only on Xiaohongshu) as the lower, the midpoint as "
        "base, read as an 80 % range",
    ),
}
_PRIOR_ALIASES: Mapping[str, str] = {
    "case_study_2": "case_study_2", "case_2": "case_study_2", "case2": "case_study_2", "000": "case_study_2",
    "prior": "case_study_2", "案例2": "case_study_2",
    "users": "users", "user": "users", "003": "users", "user_statement": "users", "wide": "users",
    "wide_prior": "users", "用户": "users",
}
_DIRECT_ONLY = {"", "none", "direct", "direct_only", "no", "0"}


def spillover_share(source: Any = None) -> Benchmark:
    """The off-platform share of sales (Tmall, JD, offline) a forecast assumes, with its range and its source.

    Parameters
    ----------
    source : None, float, (low, base, high), Benchmark or str
        Where the share comes from:

        - a number in [0, 0.95]: **measured** — the platform's own off-platform GMV, the client's Tmall / JD
          data, or its history (no range: it was measured);
        - a (low, base, high) triple: a stated range, read as an 80 % range;
        - ``"case_study_2"`` (or "000", "prior"): 000 case study 2's measured 56 % at maturity, 42–70 %;
        - ``"users"`` (or "003", "wide"): 003's "70% of users … jump to Tmall" as a wide prior, 0–70 %, base 35 %;
        - None, "" or "none": direct sales only, σ = 0.

        A brand stage ("cold_start", "growth", "maturity") is refused: 003's stage split is how to divide the
        *budget* between spillover and closed-loop work (:func:`xhsxl.core.allocation.stage_split`), not a share
        of *sales*.

    Returns
    -------
    Benchmark
        σ: low, base, high and its ``source``. Cross-platform revenue is direct revenue × σ / (1 − σ).

    Notes
    -----
    A range is read as an 80 % interval (``SPILLOVER_RANGE_LEVEL``) of σ; the forecast carries it into its
    band on the log scale: ln(1 / (1 − σ)) for revenue, ln(σ / (1 − σ)) for cross-platform sales.

    References
    ----------
    000, case study 2: "56% of revenue coming from influenced sales on other channels" (maturity). 003: "70% of
    users on the platform will still choose to jump to Tmall"; "Budget ratio recommendation: 70% for spillover
    and 30% for closed loop" (a budget split, not used here).

    Examples
    --------
    >>> share = spillover_share("case_study_2")
    >>> round(share.low, 2), share.base, round(share.high, 2)
    (0.42, 0.56, 0.7)
    >>> spillover_share(0.3).base, spillover_share(None).high
    (0.3, 0.0)
    >>> spillover_share("maturity")
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: spillover must be a measured share, a (low, base, high) range, "case_study_2" or "users" (got 'maturity'): a brand stage's 40% is 003's budget split between spillover and closed-loop work, not a share of sales
    """
    if source is None:
        return Benchmark("spillover_share", 0.0, 0.0, 0.0, source="none given: direct sales only")
    if isinstance(source, Benchmark):
        return Benchmark.of("spillover_share", source)
    if isinstance(source, str):
        key = "_".join(source.strip().lower().replace("-", " ").split())
        if key in _DIRECT_ONLY:
            return Benchmark("spillover_share", 0.0, 0.0, 0.0, source="none given: direct sales only")
        if key in _PRIOR_ALIASES:
            low, base, high, note = SPILLOVER_PRIORS[_PRIOR_ALIASES[key]]
            return Benchmark("spillover_share", low, base, high, source=note)
        stage = STAGE_ALIASES.get(source.strip().lower())
        reason = (f": a brand stage's {STAGE_SPILLOVER_SHARE[stage].value:.0%} is 003's budget split between "
                  "spillover and closed-loop work, not a share of sales") if stage else ""
        raise XhsInputError(
            f"spillover must be a measured share, a (low, base, high) range, \"case_study_2\" or \"users\" "
            f"(got {describe(source)}){reason}"
        )
    if isinstance(source, (Sequence, np.ndarray)):
        return Benchmark.of("spillover_share", source, source="stated range (read as an 80 % range)")
    return Benchmark.of("spillover_share", source, source="measured")


def spillover_from_sales(direct_revenue: Any, cross_platform_revenue: Any) -> Benchmark:
    """The off-platform share a past campaign measured: cross-platform sales over all its sales.

    Parameters
    ----------
    direct_revenue : float
        Sales on Xiaohongshu, ¥ (≥ 0).
    cross_platform_revenue : float
        Sales on other platforms attributed to the campaign (Tmall, JD, offline), ¥ (≥ 0).

    Returns
    -------
    Benchmark
        σ = cross / (direct + cross) as a point (it was measured), with the amounts in its source; direct sales
        only when both are 0.

    Notes
    -----
    σ = cross_platform_revenue / (direct_revenue + cross_platform_revenue), refused above 95 % (the funnel's
    cross-platform uplift σ / (1 − σ) would exceed 19×).

    References
    ----------
    000, case study 2: ¥4.92M of revenue, "56% of revenue coming from influenced sales on other channels".

    Examples
    --------
    >>> share = spillover_from_sales(0.44 * 4_920_000, 0.56 * 4_920_000)
    >>> round(share.base, 4), share.source
    (0.56, 'measured: ¥2,755,200 off-platform of ¥4,920,000')
    >>> spillover_from_sales(1_680_000, 0).base
    0.0
    """
    direct = single_number(direct_revenue, "direct_revenue", ge=0)
    cross = single_number(cross_platform_revenue, "cross_platform_revenue", ge=0)
    total = direct + cross
    if total <= 0:
        return spillover_share(None)
    share = cross / total
    if share > 0.95:
        raise XhsInputError(f"the measured off-platform share must not exceed 95 % (got {share:.1%} of ¥{total:,.0f})")
    return Benchmark("spillover_share", share, share, share,
                     source=f"measured: ¥{cross:,.0f} off-platform of ¥{total:,.0f}")


# --------------------------------------------------------------------------------------------------
# The funnel of one line (vectorised)
# --------------------------------------------------------------------------------------------------


class FunnelResult(NamedTuple):
    """The funnel of one line (or of many, as arrays): counts and ¥."""

    impressions: Any
    engagements: Any
    visits: Any
    direct_conversions: Any
    cross_platform_conversions: Any
    direct_revenue: Any
    cross_platform_revenue: Any
    revenue: Any


def _broadcast(*arrays: np.ndarray) -> list[np.ndarray]:
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise XhsInputError(f"the arguments' sizes do not match (shapes {shapes})") from None


def _checked_curvature(cpm_curvature: Any, cvr_curvature: Any) -> tuple[np.ndarray, np.ndarray]:
    a = numeric(cpm_curvature, "cpm_curvature")
    b = numeric(cvr_curvature, "cvr_curvature")
    a, b = _broadcast(a, b)
    for a_value, b_value in zip(a.reshape(-1), b.reshape(-1)):
        _check_curvature(float(a_value), float(b_value))
    return a, b


def _kernel(spend, cpm, engagement_rate, ctr, cvr, aov, spillover, a, b, reference):
    """Unchecked funnel on float arrays; also returns the conversion rate before the 100 % cap."""
    with np.errstate(all="ignore"):  # non-finite results are refused by the callers with a readable message
        ratio = spend / reference
        impressions = 1000.0 * reference * np.power(ratio, 1.0 - a) / cpm
        raw_cvr = cvr * np.power(ratio, b)
        rate = np.minimum(1.0, raw_cvr)
        visits = impressions * ctr
        conversions = np.where(spend > 0, visits * rate, 0.0)
        direct = conversions * aov
        uplift = spillover / (1.0 - spillover)
        return FunnelResult(
            impressions=impressions, engagements=impressions * engagement_rate, visits=visits,
            direct_conversions=conversions, cross_platform_conversions=conversions * uplift, direct_revenue=direct,
            cross_platform_revenue=direct * uplift, revenue=direct + direct * uplift,
        ), raw_cvr


def _marginal(spend, cpm, ctr, cvr, aov, spillover, a, b, reference):
    """e · revenue / spend, written without the revenue so that a tiny spend does not underflow it to 0:
    (1000 / cpm) · r^(−a) · ctr · min(1, cvr · r^b) · aov / (1 − σ), times e = 1 − a + b (1 − a once capped)."""
    with np.errstate(all="ignore"):
        ratio = spend / reference
        raw_cvr = cvr * np.power(ratio, b)
        per_yuan = 1000.0 / cpm * np.power(ratio, -a) * ctr * np.minimum(1.0, raw_cvr) * aov / (1.0 - spillover)
        return np.where(raw_cvr < 1.0, 1.0 - a + b, 1.0 - a) * per_yuan


def funnel(
    spend: ArrayLike,
    cpm: ArrayLike,
    engagement_rate: ArrayLike,
    ctr: ArrayLike,
    cvr: ArrayLike,
    aov: ArrayLike,
    spillover_share: ArrayLike = 0.0,
    cpm_curvature: ArrayLike = DEFAULT_CPM_CURVATURE,
    cvr_curvature: ArrayLike = DEFAULT_CVR_CURVATURE,
    reference_spend: ArrayLike = DEFAULT_REFERENCE_SPEND,
) -> FunnelResult:
    """The funnel of a budget line: spend → impressions → engagements, visits → conversions → revenue.

    Parameters
    ----------
    spend : array_like
        Spend on the line, ¥ (≥ 0).
    cpm : array_like
        CPM at the reference spend, ¥ per 1,000 impressions (> 0).
    engagement_rate : array_like
        Engagements (likes, saves, comments, shares, follows) per impression, in [0, 1].
    ctr : array_like
        Visits (clicks or profile visits) per impression, in (0, 1].
    cvr : array_like
        Conversions per visit at the reference spend, in (0, 1].
    aov : array_like
        Average order value, ¥ (> 0).
    spillover_share : array_like, optional
        Share σ of revenue made on other platforms, in [0, 0.95] (default 0: direct sales only).
    cpm_curvature, cvr_curvature : array_like, optional
        a and b; 1 − a + b must lie in (0, 1] (defaults from 003, ≈ 0.3672 and 0.0532).
    reference_spend : array_like, optional
        Spend at which ``cpm`` and ``cvr`` hold, ¥ (> 0; default ¥200,000).

    Returns
    -------
    FunnelResult
        impressions, engagements, visits, direct_conversions, cross_platform_conversions (counts),
        direct_revenue, cross_platform_revenue, revenue (¥): floats for scalar input, arrays otherwise.

    Notes
    -----
    With r = spend / reference_spend: impressions = 1000 · reference_spend · r^(1−a) / cpm (that is,
    1000 · spend / (cpm · r^a)); engagements = impressions · engagement_rate; visits = impressions · ctr;
    direct conversions = visits · min(1, cvr · r^b); direct revenue = conversions · aov; cross-platform
    conversions and revenue = the direct ones × σ / (1 − σ); revenue = direct + cross-platform.

    References
    ----------
    003, Minefield 2 (the curvature); 000, Case Studies 1 and 2 (the default benchmarks,
    :func:`case_study_benchmarks`).

    Examples
    --------
    At the reference spend the benchmarks apply as they are: ¥200,000 at CPM ¥50 buys 4M impressions.

    >>> result = funnel(200_000, 50, 0.01, 0.02, 0.05, 300)
    >>> result.impressions, result.visits, result.direct_conversions, result.revenue
    (4000000.0, 80000.0, 4000.0, 1200000.0)
    >>> funnel([100_000, 400_000], 50, 0.01, 0.02, 0.05, 300, spillover_share=0.5).revenue.round()
    array([1491742., 3861257.])
    """
    spend_ = numeric(spend, "spend", ge=0)
    cpm_ = numeric(cpm, "cpm", gt=0)
    engagement = numeric(engagement_rate, "engagement_rate", ge=0, le=1)
    ctr_ = numeric(ctr, "ctr", gt=0, le=1)
    cvr_ = numeric(cvr, "cvr", gt=0, le=1)
    aov_ = numeric(aov, "aov", gt=0)
    spillover = numeric(spillover_share, "spillover_share", ge=0, le=0.95)
    a, b = _checked_curvature(cpm_curvature, cvr_curvature)
    reference = numeric(reference_spend, "reference_spend", gt=0)
    arrays = _broadcast(spend_, cpm_, engagement, ctr_, cvr_, aov_, spillover, a, b, reference)
    result, _ = _kernel(*arrays)
    return FunnelResult(*(scalar_or_array(value) for value in result))


def marginal_roas(
    spend: ArrayLike,
    cpm: ArrayLike,
    ctr: ArrayLike,
    cvr: ArrayLike,
    aov: ArrayLike,
    spillover_share: ArrayLike = 0.0,
    cpm_curvature: ArrayLike = DEFAULT_CPM_CURVATURE,
    cvr_curvature: ArrayLike = DEFAULT_CVR_CURVATURE,
    reference_spend: ArrayLike = DEFAULT_REFERENCE_SPEND,
) -> float | np.ndarray:
    """Revenue of the next ¥ on a line: the derivative of :func:`funnel`'s revenue with respect to spend.

    Parameters
    ----------
    spend : array_like
        Spend on the line, ¥ (> 0: the first yuan's return is infinite on a concave power curve).
    cpm, ctr, cvr, aov, spillover_share, cpm_curvature, cvr_curvature, reference_spend : array_like
        As in :func:`funnel`.

    Returns
    -------
    float or ndarray
        ¥ of revenue per extra ¥ of spend. Below 1 the next ¥ returns less than it costs; the net marginal
        ROI is this minus 1.

    Notes
    -----
    Revenue is ``K · spend^e`` with e = 1 − a + b (1 − a once the conversion rate is capped at 100 %), so the
    marginal return is ``e · revenue / spend``: e times the line's average ROAS, falling as spend grows.

    References
    ----------
    003, Minefield 2: "Xiaohongshu traffic has diminishing marginal effects".

    Examples
    --------
    >>> round(marginal_roas(200_000, 50, 0.02, 0.05, 300), 4)  # average ROAS 6, elasticity 0.686
    4.1162
    """
    spend_ = numeric(spend, "spend", gt=0)
    cpm_ = numeric(cpm, "cpm", gt=0)
    ctr_ = numeric(ctr, "ctr", gt=0, le=1)
    cvr_ = numeric(cvr, "cvr", gt=0, le=1)
    aov_ = numeric(aov, "aov", gt=0)
    spillover = numeric(spillover_share, "spillover_share", ge=0, le=0.95)
    a, b = _checked_curvature(cpm_curvature, cvr_curvature)
    reference = numeric(reference_spend, "reference_spend", gt=0)
    spend_, cpm_, ctr_, cvr_, aov_, spillover, a, b, reference = _broadcast(
        spend_, cpm_, ctr_, cvr_, aov_, spillover, a, b, reference)
    return scalar_or_array(_marginal(spend_, cpm_, ctr_, cvr_, aov_, spillover, a, b, reference))


# --------------------------------------------------------------------------------------------------
# Forecast of a whole plan
# --------------------------------------------------------------------------------------------------


def plan_lines(
    total_budget: float,
    reserve_share: float | None = None,
    content_share: float | None = None,
    paid_ads_share: float | None = None,
    tech_share: float | None = None,
    tier_shares: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The forecast lines of the article's rule-based plan (:func:`xhsxl.core.allocation.allocate_budget`).

    Arguments as in ``allocate_budget``. Returns ¥ per line — top, mid, micro (nano when ``tier_shares``
    names it), paid_ads, content_production, tech_analytics, reserve — adding up exactly to the budget.

    >>> {k: round(v) for k, v in plan_lines(450_000).items()}
    {'top': 48262, 'mid': 78975, 'micro': 48262, 'paid_ads': 72000, 'content_production': 112500, 'tech_analytics': 22500, 'reserve': 67500}
    """
    plan = allocate_budget(total_budget, reserve_share, content_share, paid_ads_share, tech_share, tier_shares)
    lines: dict[str, float] = {}
    for item in plan.lines:
        if item.group == "creators":
            lines[item.line.removeprefix("creators_")] = item.amount
    for line in ("paid_ads", "content_production", "tech_analytics", "reserve"):
        lines[line] = plan.line(line).amount
    return lines


def _line_amounts(lines: Any) -> dict[str, float]:
    if isinstance(lines, (int, float, np.integer, np.floating)) and not isinstance(lines, bool):
        # A numpy scalar as a Python float (exact: numpy's integers fit a float's range); Python's own ints stay
        # as they are, so one too large for a float is refused by the core's check, not by float().
        return plan_lines(lines if isinstance(lines, (int, float)) else float(lines))
    if isinstance(lines, Mapping):
        pairs: Iterable[Any] = lines.items()
    elif isinstance(lines, (str, bytes)) or not isinstance(lines, Iterable):
        raise XhsInputError(f"lines must be a total budget or a table of budget lines and amounts (got {describe(lines)})")
    else:
        pairs = lines
    amounts: dict[str, float] = {}
    for pair in pairs:
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise XhsInputError(f"lines must be pairs of a line name and an amount (got {describe(pair)})")
        name, amount = pair
        key = normalize_line(name)
        if key in amounts:
            raise XhsInputError(f"lines must name each line once (got {key!r} twice)")
        amounts[key] = single_number(amount, f"amount for line {key}", ge=0)
    if not amounts or _fsum(amounts.values()) <= 0:
        raise XhsInputError("lines must spend something: every amount is 0")
    return amounts


def _indices(value: Any, name: str) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise XhsInputError(f"{name} must map line names to multipliers (got {describe(value)})")
    result: dict[str, float] = {}
    for line, index in value.items():
        key = normalize_line(line)
        if key not in FUNNEL_LINES:
            raise XhsInputError(f"{name} applies to funnel lines only ({', '.join(FUNNEL_LINES)}), not {key}")
        result[key] = 1.0 if index is None else single_number(index, f"{name} for {key}", gt=0)
    return result


#: Header of :meth:`Forecast.lines_table`.
LINE_TABLE_HEADER: tuple[str, ...] = (
    "line", "spend", "impressions", "engagements", "visits", "direct_conversions", "cross_platform_conversions",
    "direct_revenue", "cross_platform_revenue", "revenue", "roas", "marginal_roas", "marginal_roi",
    "flattening_spend",
)


@dataclass(frozen=True)
class LineForecast:
    """One row of a forecast: a line (or "reserve", "total") in one case.

    ``roas`` is revenue / spend (None at zero spend). ``marginal_roas`` is the revenue of the next ¥ at the
    line's planned spend, ``marginal_roi`` that minus 1; ``flattening_spend`` the spend at which the next ¥
    would return exactly ¥1 (``spend · marginal_roas^(1/(1−e))``) — all three None for zero spend, the
    cost-only line, the reserve and the total. The reserve row holds what deploying the reserve pro rata over
    the funnel lines adds.
    """

    line: str
    spend: float
    impressions: float
    engagements: float
    visits: float
    direct_conversions: float
    cross_platform_conversions: float
    direct_revenue: float
    cross_platform_revenue: float
    revenue: float
    roas: float | None
    marginal_roas: float | None
    marginal_roi: float | None
    flattening_spend: float | None

    def row(self) -> list[Any]:
        return [getattr(self, column) for column in LINE_TABLE_HEADER]


_FUNNEL_FIELDS = FunnelResult._fields


@dataclass(frozen=True)
class CaseForecast:
    """A forecast's base case or one end of its prediction interval: the rows (one per line, fixed order), the
    total and the ROI family. At the interval's ends every row is the base row scaled by its metric's factor, and
    ``total_conversions`` holds the bound of direct plus cross-platform conversions."""

    case: str
    lines: tuple[LineForecast, ...]
    total: LineForecast
    spillover_share: float
    cost: float
    roi: float
    roas: float
    profit: float
    profit_roi: float
    breakeven_roas: float
    total_conversions: float | None = None

    def line(self, name: str) -> LineForecast:
        key = "total" if name == "total" else normalize_line(name)
        return self.total if key == "total" else next(item for item in self.lines if item.line == key)

    @property
    def conversions(self) -> float:
        """Direct plus cross-platform conversions (in the low and high cases, the bound of their sum)."""
        if self.total_conversions is not None:
            return self.total_conversions
        return self.total.direct_conversions + self.total.cross_platform_conversions

    def value(self, metric: str) -> float:
        """One number of the band table (``BAND_ROWS``) for this case."""
        if metric in _FUNNEL_FIELDS or metric == "spend":
            return getattr(self.total, metric)
        if metric == "conversions":
            return self.conversions
        return getattr(self, metric)


#: Rows of :meth:`Forecast.table`: (metric, 中文, unit).
BAND_ROWS: tuple[tuple[str, str, str], ...] = (
    ("spend", "总花费", "CNY"),
    ("impressions", "曝光量", "count"),
    ("engagements", "互动量", "count"),
    ("visits", "点击/主页访问", "count"),
    ("direct_conversions", "站内转化", "count"),
    ("cross_platform_conversions", "站外转化", "count"),
    ("conversions", "总转化", "count"),
    ("direct_revenue", "站内销售额", "CNY"),
    ("cross_platform_revenue", "站外销售额", "CNY"),
    ("revenue", "总销售额", "CNY"),
    ("roi", "投资回报率", "fraction"),
    ("roas", "投产比", "ratio"),
    ("profit", "利润", "CNY"),
    ("profit_roi", "利润回报率", "fraction"),
    ("breakeven_roas", "盈亏平衡投产比", "ratio"),
    ("spillover_share", "站外销售占比", "fraction"),
)
#: Header of :meth:`Forecast.table`.
BAND_TABLE_HEADER: tuple[str, ...] = ("metric", "指标", "unit", "low", "base", "high")


@dataclass(frozen=True)
class Forecast:
    """A plan's forecast in the low, base and high cases, with the inputs it was made from."""

    lines: Mapping[str, float]
    stage: str | None
    benchmarks: FunnelBenchmarks
    spillover: Benchmark
    gross_margin: float
    refund_rate: float
    commission_rate: float
    low: CaseForecast
    base: CaseForecast
    high: CaseForecast
    level: float = DEFAULT_LEVEL
    interval_source: str = ""

    def case(self, case: str = "base") -> CaseForecast:
        """The forecast of one case: "low", "base" or "high"."""
        return getattr(self, _case(case))

    def roi(self, case: str = "base", basis: str = "net") -> float:
        """Projected ROI of a case: "net" (revenue − cost) / cost, "ratio" revenue / cost, or "profit"."""
        chosen = self.case(case)
        key = basis.strip().lower() if isinstance(basis, str) else basis
        if key in ("net", "", None):
            return chosen.roi
        if key in ("ratio", "roas", "gmv", "1:x"):
            return chosen.roas
        if key in ("profit", "profit_roi"):
            return chosen.profit_roi
        raise XhsInputError(f"basis must be 'net', 'ratio' or 'profit' (got {describe(basis)})")

    def table(self) -> list[list[Any]]:
        """The band: header ``BAND_TABLE_HEADER`` and 16 rows (``BAND_ROWS``): the prediction interval's low end,
        the base forecast and the high end, at ``level``.

        Each row's low and high are that metric's bounds (not one scenario): counts, revenue, ROI and profit grow
        from low to high; the spillover share shows its range and the break-even ROAS the value at each end of
        it (commission is paid on direct sales only, so more spillover lowers it).
        """
        rows: list[list[Any]] = [list(BAND_TABLE_HEADER)]
        for metric, chinese, unit in BAND_ROWS:
            rows.append([metric, chinese, unit] + [self.case(case).value(metric) for case in CASES])
        return rows

    def lines_table(self, case: str = "base") -> list[list[Any]]:
        """Header ``LINE_TABLE_HEADER``, one row per line of ``LINES`` (8, zero where nothing is spent), then
        the total: 10 rows with the header."""
        chosen = self.case(case)
        return [list(LINE_TABLE_HEADER)] + [item.row() for item in chosen.lines] + [chosen.total.row()]


def _line_row(line: str, spend: float, values: Sequence[float], marginal: float | None, elasticity: float) -> LineForecast:
    revenue = values[-1]
    flattening = None
    if marginal is not None and elasticity < 1:
        with np.errstate(over="ignore"):
            flattening = float(spend * np.power(marginal, 1.0 / (1.0 - elasticity)))
        flattening = flattening if math.isfinite(flattening) else None
    return LineForecast(
        line, spend, **dict(zip(_FUNNEL_FIELDS, values, strict=True)), roas=revenue / spend if spend > 0 else None,
        marginal_roas=marginal,
        marginal_roi=None if marginal is None else marginal - 1.0, flattening_spend=flattening,
    )


def _forecast_case(case: str, amounts: Mapping[str, float], benchmarks: FunnelBenchmarks, spillover: float,
                   cpm_index: Mapping[str, float], cvr_index: Mapping[str, float],
                   kept_direct: float, kept_cross: float, margin_args: tuple[float, float, float]
                   ) -> tuple[CaseForecast, list[float]]:
    point = benchmarks.point(case)
    a, b, reference = benchmarks.cpm_curvature, benchmarks.cvr_curvature, benchmarks.reference_spend
    spend = np.array([amounts.get(line, 0.0) for line in FUNNEL_LINES])
    cpm = point["cpm"] * np.array([cpm_index.get(line, 1.0) for line in FUNNEL_LINES])
    cvr = np.minimum(1.0, point["cvr"] * np.array([cvr_index.get(line, 1.0) for line in FUNNEL_LINES]))

    def run(spends: np.ndarray) -> tuple[FunnelResult, np.ndarray]:
        return _kernel(spends, cpm, point["engagement_rate"], point["ctr"], cvr, point["aov"], spillover, a, b, reference)

    planned, raw_cvr = run(spend)
    columns = np.array(planned)  # (8 funnel fields, 6 lines)
    if not np.isfinite(columns).all():
        raise XhsInputError(_TOO_LARGE)
    elasticity = np.where(raw_cvr < 1.0, 1.0 - a + b, 1.0 - a)
    marginal = np.where(spend > 0, _marginal(spend, cpm, point["ctr"], cvr, point["aov"], spillover, a, b, reference),
                        np.nan)

    rows: list[LineForecast] = []
    for index, line in enumerate(FUNNEL_LINES):
        value = float(marginal[index])
        rows.append(_line_row(line, float(spend[index]), [float(v) for v in columns[:, index]],
                              value if math.isfinite(value) else None, float(elasticity[index])))
    tech = amounts.get("tech_analytics", 0.0)
    rows.append(_line_row("tech_analytics", tech, [0.0] * len(_FUNNEL_FIELDS), None, 1.0))

    reserve = amounts.get("reserve", 0.0)
    media = _fsum(spend)
    if reserve > 0 and media > 0:
        with np.errstate(all="ignore"):
            deployed, _ = run(spend + reserve * spend / media)
        deployed_columns = np.array(deployed)
        if not np.isfinite(deployed_columns).all():
            raise XhsInputError(_TOO_LARGE)
        added = [max(0.0, _fsum(deployed_columns[k]) - _fsum(columns[k])) for k in range(len(_FUNNEL_FIELDS))]
    else:
        added = [0.0] * len(_FUNNEL_FIELDS)
    rows.append(_line_row("reserve", reserve, added, None, 1.0))

    totals = [_fsum(getattr(row, name) for row in rows) for name in _FUNNEL_FIELDS]
    cost = _fsum(row.spend for row in rows)
    total = _line_row("total", cost, totals, None, 1.0)
    revenue = total.revenue
    profit = total.direct_revenue * kept_direct + total.cross_platform_revenue * kept_cross - cost
    margin, refunds, commission = margin_args
    kept = kept_per_yuan(margin, refunds, commission, 1 - spillover)
    return CaseForecast(
        case=case, lines=tuple(rows), total=total, spillover_share=spillover, cost=cost,
        roi=float(metrics.roi(revenue, cost)), roas=float(metrics.roas(revenue, cost)), profit=profit,
        profit_roi=profit / cost, breakeven_roas=1.0 / kept,
    ), [float(e) for e in elasticity]


def _log_odds_gap(share: Benchmark) -> tuple[float, float, float, float]:
    """One standard deviation of the spillover share's two log terms, below and above the base:
    (u_low, u_high) of ln(1 / (1 − σ)) (total sales) and (o_low, o_high) of ln(σ / (1 − σ)) (cross-platform
    sales), from its range read at ``SPILLOVER_RANGE_LEVEL``. A range reaching 0 has an infinite o_low."""
    z = normal_quantile(SPILLOVER_RANGE_LEVEL)

    def u(value: float) -> float:
        return -math.log1p(-value)

    def o(value: float) -> float:
        return math.log(value / (1 - value)) if value > 0 else -math.inf

    low, base, high = share.low, share.base, share.high
    if base <= 0:
        return 0.0, u(high) / z, 0.0, 0.0
    return (u(base) - u(low)) / z, (u(high) - u(base)) / z, (o(base) - o(low)) / z, (o(high) - o(base)) / z


#: The log spread each funnel field takes (FunnelResult field → Spread metric).
_FIELD_METRIC: Mapping[str, str] = {
    "impressions": "impressions", "engagements": "engagements", "visits": "visits",
    "direct_conversions": "conversions", "cross_platform_conversions": "conversions",
    "direct_revenue": "revenue", "cross_platform_revenue": "revenue", "revenue": "revenue",
}


def _interval_case(case: str, base: CaseForecast, elasticities: Sequence[float], spread: Spread, level: float,
                   leverage: float, share: Benchmark, kept_rates: tuple[float, float],
                   margin_args: tuple[float, float, float]) -> CaseForecast:
    """The low or high end of the prediction interval, every row scaled by its field's factor."""
    sign = -1.0 if case == "low" else 1.0
    u_low, u_high, o_low, o_high = _log_odds_gap(share)
    z = normal_quantile(level)
    sigma_u, sigma_o = (u_low, o_low) if case == "low" else (u_high, o_high)
    widths = {metric: spread.half_width(metric, level, leverage) for metric in SPREAD_METRICS}
    factors: dict[str, float] = {}
    for name, metric in _FIELD_METRIC.items():
        extra = sigma_u if name == "revenue" else sigma_o if name.startswith("cross_platform") else 0.0
        width = math.hypot(widths[metric], z * extra) if math.isfinite(extra) else math.inf
        factors[name] = math.exp(sign * width) if math.isfinite(width) else (0.0 if sign < 0 else math.inf)
    if not all(math.isfinite(value) for value in factors.values()):
        raise XhsInputError("the spillover range must not reach 0 and above together with a 0 base")
    conversions_width = math.hypot(widths["conversions"], z * sigma_u)
    conversions = base.conversions * math.exp(sign * conversions_width)

    def scaled(row: LineForecast, elasticity: float) -> LineForecast:
        values = [getattr(row, name) * factors[name] for name in _FUNNEL_FIELDS]
        marginal = None if row.marginal_roas is None else row.marginal_roas * factors["revenue"]
        return _line_row(row.line, row.spend, values, marginal, elasticity)

    # The cost-only line and the reserve have no marginal return, so their elasticity is never used.
    padded = list(elasticities) + [1.0] * (len(base.lines) - len(elasticities))
    rows = tuple(scaled(row, elasticity) for row, elasticity in zip(base.lines, padded))
    total = scaled(base.total, 1.0)
    spillover = share.pick(case)
    kept_direct, kept_cross = kept_rates
    margin, refunds, commission = margin_args
    # Profit at this end: the bound of revenue, kept at the rate of this end's spillover share — the same share
    # the break-even ROAS beside it uses, so "profit < 0" and "ROAS < break-even" agree.
    kept = (1 - spillover) * kept_direct + spillover * kept_cross
    profit = total.revenue * kept - base.cost
    return CaseForecast(
        case=case, lines=rows, total=total, spillover_share=spillover, cost=base.cost,
        roi=float(metrics.roi(total.revenue, base.cost)), roas=float(metrics.roas(total.revenue, base.cost)),
        profit=profit, profit_roi=profit / base.cost,
        breakeven_roas=1.0 / ((1 - refunds) * margin - commission * (1 - spillover)), total_conversions=conversions,
    )


def forecast(
    lines: Any,
    stage: str | None = None,
    benchmarks: FunnelBenchmarks | None = None,
    gross_margin: float = DEFAULT_GROSS_MARGIN,
    refund_rate: float = 0.0,
    commission_rate: float = DEFAULT_COMMISSION_RATE,
    spillover: Any = None,
    cpm_index: Mapping[str, float] | None = None,
    cvr_index: Mapping[str, float] | None = None,
    level: float = DEFAULT_LEVEL,
) -> Forecast:
    """Forecast a campaign plan: per line and in total, impressions to revenue and ROI, low / base / high.

    Parameters
    ----------
    lines : float, mapping of line to ¥, or sequence of (line, ¥) pairs
        The budget lines (:data:`LINES`: top, mid, micro, nano, paid_ads, content_production,
        tech_analytics, reserve; spellings as in :func:`normalize_line`); lines left out spend 0. A number is a
        total budget split by the article's rule-based plan (:func:`plan_lines`).
    stage : str, optional
        Brand stage ("cold_start", "growth", "maturity"), recorded with the forecast. It does not set the
        off-platform share of sales: 003's stage split divides the budget, not the sales (``spillover``).
    benchmarks : FunnelBenchmarks, optional
        Default :data:`DEFAULT_BENCHMARKS` (case studies); :func:`~xhsxl.core.planner.calibrate` fits a
        client's own.
    gross_margin : float, optional
        Gross margin on sales, in [0, 1] (default 50 %, a product assumption).
    refund_rate : float, optional
        Share of sales refunded, in [0, 1] (default 0).
    commission_rate : float, optional
        Xiaohongshu's commission on its own (direct) sales, in [0, 1] (default 10 %, 002's low end).
        ``(1 − refund_rate) × gross_margin`` must exceed it.
    spillover : float, (low, base, high), str or Benchmark, optional
        The off-platform share of sales σ and its source (:func:`spillover_share`): a measured share, a stated
        range, "case_study_2" (56 %, 42–70 %) or "users" (0–70 %); default None, direct sales only.
    cpm_index, cvr_index : mapping of line to multiplier, optional
        A funnel line's CPM or conversion rate relative to the benchmark (default 1 for every line: the
        articles give no per-tier CPM or conversion rate).
    level : float, optional
        Level of the prediction interval, in (0, 1) (default 0.80).

    Returns
    -------
    Forecast
        ``.base`` (:class:`CaseForecast`: rows per line, total, ROI, ROAS, profit, profit ROI, break-even
        ROAS), ``.low`` and ``.high`` the interval's ends; ``.level``, ``.interval_source`` (what the width
        rests on); ``.table()`` the band, ``.lines_table(case)`` the lines.

    Notes
    -----
    Each funnel line runs :func:`funnel` on its own spend (diminishing returns per line). Technology &
    analytics is cost only. The reserve is deployed over the funnel lines in proportion to their spend; its
    row is what that adds. ROI = revenue / cost − 1, ROAS = revenue / cost; profit = direct revenue ×
    ((1 − refund) · margin − commission) + cross-platform revenue × (1 − refund) · margin − cost; profit
    ROI = profit / cost; break-even ROAS = 1 / ((1 − refund) · margin − commission · (1 − σ)).
    Interval: metric_low, high = base · exp(∓ w), w = √((q · s_m)² · (1 + h) + (z · s_σ)²) with s_m the
    benchmarks' spread of metric m, q its quantile at ``level`` (t or normal), h the largest leverage among the
    lines, s_σ one standard deviation of ln(1 / (1 − σ)) (revenue) or ln(σ / (1 − σ)) (cross-platform) from
    σ's 80 % range. ROI, ROAS and profit follow from the revenue bound (profit at that end's σ), so they are
    ordered low ≤ base ≤ high.

    References
    ----------
    000, "Interactive Xiaohongshu ROI Calculator" (budget components in, estimated revenue and projected ROI
    out) and Case Studies 1 and 2; 003, stage splits and Minefield 2.

    Examples
    --------
    Case study 1, forecast from the defaults (which it calibrated), reproduces its figures:

    >>> result = forecast(case_study_lines(1))
    >>> base = result.base
    >>> round(base.total.impressions), round(base.total.visits), round(base.total.direct_conversions)
    (6200000, 85000, 4200)
    >>> round(base.total.revenue), round(base.roi, 4)
    (1680000, 2.7333)
    >>> result.low.total.revenue <= base.total.revenue <= result.high.total.revenue
    True
    >>> round(forecast(450_000, "growth").roi("base", "ratio"), 2)  # the stage alone moves no sales off-platform
    4.03
    >>> round(forecast(450_000, "growth", spillover=0.5).roi("base", "ratio"), 2)  # a measured 50 % does
    8.06
    >>> [round(result.roi(case) * 100) for case in ("low", "base", "high")]  # an 80 % interval
    [94, 273, 618]
    """
    amounts = _line_amounts(lines)
    chosen = DEFAULT_BENCHMARKS if benchmarks is None else benchmarks
    if not isinstance(chosen, FunnelBenchmarks):
        raise XhsInputError(f"benchmarks must be FunnelBenchmarks (got {describe(chosen)})")
    share = spillover_share(spillover)
    margin = single_number(gross_margin, "gross_margin", ge=0, le=1)
    refunds = single_number(refund_rate, "refund_rate", ge=0, le=1)
    commission = single_number(commission_rate, "commission_rate", ge=0, le=1)
    kept_cross = kept_per_yuan(margin, refunds, commission, 0.0)  # Tmall / JD sales pay no platform commission
    kept_direct = kept_per_yuan(margin, refunds, commission)
    if not kept_direct > 0:
        raise XhsInputError(
            f"gross_margin × (1 − refund_rate) must exceed commission_rate (got {describe(margin)} × "
            f"(1 − {describe(refunds)}) against {describe(commission)}): every sale would lose money"
        )
    cpm_indices = _indices(cpm_index, "cpm_index")
    cvr_indices = _indices(cvr_index, "cvr_index")
    chosen_level = check_level(level)
    key = None if stage is None or (isinstance(stage, str) and not stage.strip()) else normalize_stage(stage)
    margin_args = (margin, refunds, commission)
    base, elasticities = _forecast_case("base", amounts, chosen, share.base, cpm_indices, cvr_indices, kept_direct,
                                        kept_cross, margin_args)
    spread = chosen.spread
    # The largest leverage among the lines that spend: the benchmarks are least certain at the line farthest
    # from the history's spends, and a wider band there is the cautious reading.
    leverage = max((spread.leverage(amounts[line]) for line in FUNNEL_LINES if amounts.get(line, 0.0) > 0),
                   default=0.0)
    ends = {case: _interval_case(case, base, elasticities, spread, chosen_level, leverage, share,
                                 (kept_direct, kept_cross), margin_args) for case in ("low", "high")}
    quantile = spread.quantile(chosen_level)
    how = (f"{chosen_level:.0%} prediction interval: ± {quantile:.3f} × spread "
           f"({'Student t, ' + format(spread.dof, 'g') + ' d.o.f.' if spread.dof else 'normal'}), spread from "
           f"{spread.source or chosen.source}; spillover: {share.source}")
    return Forecast(
        lines={line: amounts.get(line, 0.0) for line in LINES}, stage=key, benchmarks=chosen, spillover=share,
        gross_margin=margin, refund_rate=refunds, commission_rate=commission, low=ends["low"], base=base,
        high=ends["high"], level=chosen_level, interval_source=how,
    )

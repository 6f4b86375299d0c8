"""Campaign budget allocation: creator tiers, the rule-based plan, the stage split, the optimised plan.

Four questions an agency answers before a Xiaohongshu campaign, each one function:

- :func:`classify_tier` — which tier is a creator with this many followers (nano, micro, mid, top)?
- :func:`allocate_budget` — the article's rule-based plan: reserve, content production, paid ads,
  technology & analytics, creators, and the creator money split by tier, with each share checked
  against its recommended range and the number of sponsored notes each tier's money buys (000, 002).
- :func:`stage_split` — spillover (站外, jump to Tmall/JD) versus closed loop (站内) by brand stage (003).
- :func:`optimal_allocation` — the creator split that maximises expected return under concave
  diminishing-returns curves (:mod:`xhsxl.core.response`) within per-tier minimum and maximum shares,
  solved exactly by equalising marginal returns; :func:`expected_return` scores any plan on the same
  curves.

Money always adds up: the amounts of a plan sum *exactly* (in floating point, in any order) to the budget
they split, so a client's spreadsheet never shows a one-cent gap between the lines and the total. Plans are
frozen dataclasses with a ``table()`` method returning plain Python rows (a header row first, ``None``
where a value does not apply, never NaN) — the shape the Excel functions return.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.figures import (
    CONTENT_SHARE,
    CREATOR_TIERS,
    PAID_ADS_SHARE,
    RESERVE_SHARE,
    STAGE_ALIASES,
    STAGE_SPILLOVER_SHARE,
    TECH_ANALYTICS_SHARE,
    TIER_BUDGET_SHARE,
    TIER_FEE_PER_NOTE,
    TIER_FOLLOWER_BOUNDS,
    Range,
)
from xhsxl.core.response import (
    CURVE_NAMES,
    check_hill_params,
    check_power_params,
    curve_name,
    hill_kernel,
    hill_marginal_kernel,
    marginal_response,
    power_kernel,
    power_marginal_kernel,
    power_scale_from_point,
    response,
)
from xhsxl.core.validate import describe, numeric, single_number

__all__ = [
    "DEFAULT_RESERVE_SHARE",
    "DEFAULT_CONTENT_SHARE",
    "DEFAULT_PAID_ADS_SHARE",
    "DEFAULT_TECH_SHARE",
    "DEFAULT_TIER_SHARES",
    "ALLOCATION_TABLE_HEADER",
    "STAGE_TABLE_HEADER",
    "OPTIMAL_TABLE_HEADER",
    "classify_tier",
    "AllocationLine",
    "AllocationPlan",
    "allocate_budget",
    "normalize_stage",
    "StageSplit",
    "stage_split",
    "TierCurve",
    "checked_custom_tier",
    "did_you_mean",
    "LARGEST_OPTIMISED_BUDGET",
    "OptimalTier",
    "OptimalPlan",
    "optimal_allocation",
    "expected_return",
    "REFERENCE_TIERS",
    "reference_spend",
    "reference_curves",
]

# --------------------------------------------------------------------------------------------------
# Defaults of the rule-based plan: every line sits at the low end of its range, so the creators — the
# line the articles are about — get the largest remainder (61 % to the four lines, 39 % to creators).
# --------------------------------------------------------------------------------------------------

#: 15 %: the low end of 000's "Reserve 15-20% of your budget for mid-campaign optimization".
DEFAULT_RESERVE_SHARE: float = RESERVE_SHARE.low
#: 25 %: the low end of 000's "allocating 25-35% of your total budget to content production".
DEFAULT_CONTENT_SHARE: float = CONTENT_SHARE.low
#: 16 %: no article recommends a paid-ads share; this is the low end of what the two case studies spent
#: (15.56 % to 26.47 %, ``figures.PAID_ADS_SHARE``) as the article prints it (16 %), the same rule as the reserve
#: and content defaults; rounded to the printed label so the default plan's amounts stay round.
DEFAULT_PAID_ADS_SHARE: float = round(PAID_ADS_SHARE.low, 2)
#: 5 %: a product default, not an article figure, inside the 4-7 % the case studies spent on
#: technology & analytics (``figures.TECH_ANALYTICS_SHARE``).
DEFAULT_TECH_SHARE: float = 0.05

#: Share of the creator budget per tier. 000 prints 40-50 % mid, 20-30 % micro, 20-30 % top, whose
#: midpoints sum to only 95 %: the default keeps mid-tier at its midpoint, 45 %, and gives the missing
#: 5 % equally to the two 20-30 % tiers, 27.5 % each — round numbers an analyst can quote, each inside its
#: range. Nano gets nothing unless asked.
DEFAULT_TIER_SHARES: Mapping[str, float] = MappingProxyType({"top": 0.275, "mid": 0.45, "micro": 0.275})

#: Budget lines of the rule-based plan in table order: (line, argument name, default, recommended range).
_BUDGET_LINES: tuple[tuple[str, str, float, Range], ...] = (
    ("reserve", "reserve_share", DEFAULT_RESERVE_SHARE, RESERVE_SHARE),
    ("content_production", "content_share", DEFAULT_CONTENT_SHARE, CONTENT_SHARE),
    ("paid_ads", "paid_ads_share", DEFAULT_PAID_ADS_SHARE, PAID_ADS_SHARE),
    ("tech_analytics", "tech_share", DEFAULT_TECH_SHARE, TECH_ANALYTICS_SHARE),
)
#: Creator tiers in table order, largest first.
_TABLE_TIERS: tuple[str, ...] = ("top", "mid", "micro", "nano")

ALLOCATION_TABLE_HEADER: tuple[str, ...] = (
    "line", "group", "share_of_total", "share_of_group", "amount", "recommended_low", "recommended_high",
    "in_range", "creators_low", "creators_typical", "creators_high", "source",
)
STAGE_TABLE_HEADER: tuple[str, ...] = ("stage", "line", "share", "amount", "source")
OPTIMAL_TABLE_HEADER: tuple[str, ...] = (
    "tier", "curve", "amount", "share", "min_share", "max_share", "expected_return", "average_roi",
    "marginal_return", "binding",
)

#: Tolerance for shares that must sum to 1 (tier shares, bounds): typed percentages such as 1/3 + 2/3.
_SUM_TOLERANCE = 1e-9

#: The largest budget the optimiser splits, ¥: 2⁵³, the last point at which a float still counts every
#: whole yuan. Beyond it the amounts can no longer add up to the budget to the yuan, and near the float
#: limit the sum of the tiers' maximums overflows; no campaign comes within a million times of it.
LARGEST_OPTIMISED_BUDGET: float = float(2**53)
#: Guard when flooring amount / fee, so ¥30,000 at ¥3,000 a note buys 10 notes even if the amount is
#: ¥29,999.99999999996 after the share arithmetic.
_COUNT_GUARD = 1e-9


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def exact_parts(parts: Sequence[float], target: float, absorb: int) -> list[float]:
    """``parts`` adjusted so that they sum to ``target`` exactly, the rounding going to ``parts[absorb]``.

    Every other part is rounded to a multiple of ``q = ulp(target)`` (a change below 1e-16 of the
    target), and the absorbing part becomes ``target`` minus their sum. All parts and all partial sums
    are then multiples of ``q`` no larger than ``target``, hence exactly representable, so the parts
    add up to ``target`` with no rounding at all — with ``math.fsum``, with ``sum`` in any order, and with
    Excel's ``SUM``. Parts must be non-negative and the absorbing part at least the rounding error.
    """
    quantum = math.ulp(target)
    exact = [float(round(part / quantum)) * quantum for part in parts]
    exact[absorb] = 0.0
    exact[absorb] = target - math.fsum(exact)
    return exact


def _tier_key(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise XhsInputError(f"{name} must be a tier name such as 'mid' (got {describe(value)})")
    return value.strip().lower()


def did_you_mean(key: str, names: Iterable[str]) -> str | None:
    """"did you mean 'top'?" when ``key`` is a likely misspelling of one of ``names``, else None."""
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _unknown_tier(value: Any, name: str, names: Sequence[str], reason: str | None = None) -> XhsInputError:
    key = value.strip().lower() if isinstance(value, str) else str(value)
    return XhsInputError(argument=name, reason=reason or f"must be one of {', '.join(names)}", value=value,
                         hint=did_you_mean(key, names))


def _no_curve(key: str, name: str, names: Sequence[str]) -> XhsInputError:
    hint = did_you_mean(key, names)
    return XhsInputError(f"{name} names tier {key!r}, which has no curve (tiers: {', '.join(names)})"
                         + (f"; {hint}" if hint else ""))


def checked_custom_tier(tier: str, name: str = "tier") -> str:
    """``tier`` (normalised) when it is one of 000's tiers or a name of the user's own unlike any of them.

    Curves may name tiers of their own (a tier the articles have no range for gets shares 0 to 1), so an
    unknown name cannot simply be refused; but a near miss of a real tier ("tpo") would silently lose
    that tier's range, so it is refused with the tier it resembles.

    >>> checked_custom_tier(" Top "), checked_custom_tier("brand_partners")
    ('top', 'brand_partners')
    >>> checked_custom_tier("tpo")
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: tier must be one of nano, micro, mid, top, or a name of your own unlike them (got 'tpo'); did you mean 'top'?
    """
    key = _tier_key(tier, name)
    if key in CREATOR_TIERS or did_you_mean(key, CREATOR_TIERS) is None:
        return key
    raise _unknown_tier(tier, name, CREATOR_TIERS,
                        f"must be one of {', '.join(CREATOR_TIERS)}, or a name of your own unlike them")


def _pairs(value: Any, name: str) -> list[tuple[Any, Any]]:
    """A mapping, or a sequence of (key, value) pairs such as a two-column Excel range, as a list of pairs."""
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise XhsInputError(f"{name} must be a table of tier names and values (got {describe(value)})")
    pairs = []
    for item in value:
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise XhsInputError(f"{name} must be a table of tier names and values (got row {describe(item)})")
        pairs.append((item[0], item[1]))
    return pairs


def _plain(value: Any) -> Any:
    """A table cell as a plain Python value; NaN and infinities become None (Excel shows NaN as #NUM!)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    number = float(value)
    return number if math.isfinite(number) else None


def _source(figure_range: Range) -> str:
    return f"{figure_range.source}: {figure_range.quote}"


# --------------------------------------------------------------------------------------------------
# 1. Tiers
# --------------------------------------------------------------------------------------------------


def _follower_bounds(bounds: Any) -> tuple[list[str], np.ndarray]:
    if bounds is None:
        return list(CREATOR_TIERS), np.array([TIER_FOLLOWER_BOUNDS[t].value for t in CREATOR_TIERS], dtype=float)
    names: list[str] = []
    lows: list[float] = []
    for tier, low in _pairs(bounds, "bounds"):
        key = _tier_key(tier, "bounds")
        if key in names:
            raise XhsInputError(f"bounds must name each tier once (got {key!r} twice)")
        low = getattr(low, "value", low)  # accept figures.Figure values, as in TIER_FOLLOWER_BOUNDS
        lows.append(single_number(low, f"bounds for tier {key}", ge=0))
        names.append(key)
    if not names:
        raise XhsInputError("bounds must name at least one tier")
    order = np.argsort(lows, kind="stable")
    if lows[order[0]] != 0:
        lowest = names[order[0]]
        raise XhsInputError(
            f"bounds must start at 0 followers so every creator has a tier (the lowest is {lowest}: "
            f"{describe(lows[order[0]])}); add a tier such as 'nano': 0"
        )
    for previous, current in zip(range(len(names) - 1), range(1, len(names))):
        if not lows[current] > lows[previous]:
            raise XhsInputError(
                f"bounds must increase from tier to tier (got {names[previous]}: {describe(lows[previous])} "
                f"then {names[current]}: {describe(lows[current])})"
            )
    return names, np.asarray(lows)


def classify_tier(followers: Any, bounds: Mapping[str, float] | None = None) -> str | np.ndarray:
    """Creator tier ("nano", "micro", "mid", "top") of each follower count.

    Parameters
    ----------
    followers : array_like
        Follower counts (≥ 0); a number or a column of them.
    bounds : mapping of str to float, optional
        Lower follower bound of each tier, smallest tier first, strictly increasing, the first 0 —
        e.g. ``{"nano": 0, "micro": 10_000, "mid": 50_000, "top": 200_000}`` (the default, from
        ``figures.TIER_FOLLOWER_BOUNDS``). Any tier names may be used. A sequence of (name, bound) pairs
        is accepted too.

    Returns
    -------
    str or ndarray of str
        The tier of each count: the last tier whose lower bound is ≤ the count. A creator exactly on a
        bound belongs to the upper tier (50,000 followers is "mid").

    Notes
    -----
    ``tier = names[searchsorted(bounds, followers, side="right") − 1]``. Public fee tables and the
    articles disagree on the bounds (see ``TIER_FOLLOWER_BOUNDS`` in :mod:`xhsxl.core.figures`), which is
    why they are a parameter.

    References
    ----------
    000: "mid-tier KOLs (50,000-200,000 followers) … micro-KOCs (10,000-50,000 followers) … top-tier
    KOLs (200,000+ followers)"; the nano tier below 10,000 is a product default.

    Examples
    --------
    >>> classify_tier(50_000)
    'mid'
    >>> classify_tier([9_999, 10_000, 199_999, 200_000])
    array(['nano', 'micro', 'mid', 'top'], dtype='<U5')
    >>> classify_tier(600_000, {"regular": 0, "broad_reach": 500_000})
    'broad_reach'
    """
    counts = numeric(followers, "followers", ge=0)
    names, lows = _follower_bounds(bounds)
    index = np.searchsorted(lows, counts, side="right") - 1
    labels = np.asarray(names)[index]
    return str(labels) if labels.ndim == 0 else labels


# --------------------------------------------------------------------------------------------------
# 2. Rule-based plan
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationLine:
    """One line of a rule-based plan.

    ``group`` is "budget" for the lines that split the total (reserve, content_production, paid_ads,
    tech_analytics, creators) and "creators" for the tiers that split the creators line. For a budget
    line ``share_of_group`` equals ``share_of_total``; for a tier it is the share of the creator budget,
    which is what ``recommended_low``/``recommended_high`` bound (for budget lines they bound the share
    of the total). ``in_range`` is None where there is no range (the creators line, the remainder).
    ``creators_low``/``creators_typical``/``creators_high`` count the sponsored notes (one per creator)
    the amount pays for at the high, typical (midpoint) and low fee per note, floored; None for the
    non-creator lines, the tier totals on the creators line.
    """

    line: str
    group: str
    share_of_total: float
    share_of_group: float
    amount: float
    recommended_low: float | None
    recommended_high: float | None
    in_range: bool | None
    creators_low: int | None
    creators_typical: int | None
    creators_high: int | None
    source: str

    def row(self) -> list[Any]:
        """This line as a table row, in the order of ``ALLOCATION_TABLE_HEADER``."""
        return [_plain(getattr(self, column)) for column in ALLOCATION_TABLE_HEADER]


@dataclass(frozen=True)
class AllocationPlan:
    """A rule-based plan: the budget lines (summing exactly to ``total_budget``) and the creator tiers
    (summing exactly to the creators line)."""

    total_budget: float
    lines: tuple[AllocationLine, ...]

    @property
    def total(self) -> float:
        """The budget the plan splits, ¥ (equal to the exact sum of the budget lines)."""
        return self.total_budget

    @property
    def creator_budget(self) -> float:
        """The creators line, ¥: the money the tiers split."""
        return self.line("creators").amount

    def line(self, name: str) -> AllocationLine:
        """The line called ``name`` ("reserve", "creators_mid", …)."""
        for item in self.lines:
            if item.line == name:
                return item
        names = ", ".join(item.line for item in self.lines)
        raise XhsInputError(f"line must be one of {names} (got {describe(name)})")

    def tier_amounts(self) -> dict[str, float]:
        """Amount per creator tier, ¥, keyed by tier name ("top", "mid", …) — for :func:`expected_return`."""
        return {item.line.removeprefix("creators_"): item.amount for item in self.lines if item.group == "creators"}

    def table(self) -> list[list[Any]]:
        """Header row ``ALLOCATION_TABLE_HEADER`` then one row per line; plain Python values, None if n/a."""
        return [list(ALLOCATION_TABLE_HEADER)] + [item.row() for item in self.lines]


def _tier_share_table(tier_shares: Any) -> dict[str, float]:
    if tier_shares is None:
        return dict(DEFAULT_TIER_SHARES)
    shares: dict[str, float] = {}
    for tier, share in _pairs(tier_shares, "tier_shares"):
        key = _tier_key(tier, "tier_shares")
        if key not in TIER_BUDGET_SHARE:
            raise _unknown_tier(tier, "tier_shares tier", CREATOR_TIERS)
        if key in shares:
            raise XhsInputError(f"tier_shares must name each tier once (got {key!r} twice)")
        # A blank Excel cell next to a tier name means "nothing for this tier".
        shares[key] = 0.0 if share is None else single_number(share, f"tier_shares for {key}", ge=0, le=1)
    total = math.fsum(shares.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        listed = " + ".join(f"{tier} {describe(share)}" for tier, share in shares.items())
        raise XhsInputError(f"tier_shares must sum to 1 (100 % of the creator budget); they sum to {total:.10g} ({listed})")
    return shares


def _fee_range(value: Any, tier: str) -> tuple[float, float]:
    name = f"fee_table for {tier}"
    if isinstance(value, Range):
        low, high = value.low, value.high
    elif isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes)):
        if len(value) != 2:
            raise XhsInputError(f"{name} must be a fee or a (low, high) pair of fees (got {describe(value)})")
        low, high = value
    else:
        low = high = getattr(value, "value", value)
    low_ = single_number(low, f"{name} (low)", gt=0)
    high_ = single_number(high, f"{name} (high)", gt=0)
    if low_ > high_:
        raise XhsInputError(f"{name} low fee must not exceed its high fee (got {describe(low_)} > {describe(high_)})")
    return low_, high_


def _fee_table(fee_table: Any) -> dict[str, tuple[float, float, str]]:
    fees = {tier: (fee.low, fee.high, _source(fee)) for tier, fee in TIER_FEE_PER_NOTE.items()}
    if fee_table is None:
        return fees
    for tier, value in _pairs(fee_table, "fee_table"):
        key = _tier_key(tier, "fee_table")
        if key not in fees:
            raise _unknown_tier(tier, "fee_table tier", CREATOR_TIERS)
        low, high = _fee_range(value, key)
        fees[key] = (low, high, "fee_table argument")
    return fees


def _notes(amount: float, fee: float) -> int:
    return int(math.floor(amount / fee + _COUNT_GUARD))


def allocate_budget(
    total_budget: float,
    reserve_share: float | None = None,
    content_share: float | None = None,
    paid_ads_share: float | None = None,
    tech_share: float | None = None,
    tier_shares: Mapping[str, float] | None = None,
    fee_table: Mapping[str, Any] | None = None,
) -> AllocationPlan:
    """The article's rule-based campaign plan: budget lines, creator tiers, notes each tier buys.

    Parameters
    ----------
    total_budget : float
        Total campaign budget, ¥ (> 0).
    reserve_share : float, optional
        Share of the total held back for mid-campaign reallocation, in [0, 1]. Default 0.15, the low
        end of 000's 15–20 % advice.
    content_share : float, optional
        Share of the total for content production, in [0, 1]. Default 0.25, the low end of 000's
        25–35 %.
    paid_ads_share : float, optional
        Share of the total for paid promotion (promoted notes, search and opening-screen ads), in
        [0, 1]. Default 0.16, a product default: no article recommends a figure; 000's case studies
        *spent* 15.56 % and 26.47 % (printed as 16 % and 26 %), and 16 % lies inside that range.
    tech_share : float, optional
        Share of the total for technology & analytics, in [0, 1]. Default 0.05, a product default
        inside the 4.41–6.67 % the case studies spent (printed as 4 % and 7 %).
    tier_shares : mapping of str to float, optional
        Share of the *creator* budget per tier ("nano", "micro", "mid", "top"; missing tiers get 0),
        each in [0, 1], summing to 1 within 1e-9. Default :data:`DEFAULT_TIER_SHARES`: mid 45 % (its
        range midpoint), micro and top 27.5 % each (000's midpoints sum to only 95 %); nano 0.
    fee_table : mapping of str to fee, optional
        Fee per sponsored note per tier, ¥: a number, a (low, high) pair or a ``figures.Range``.
        Overrides ``figures.TIER_FEE_PER_NOTE`` (nano ¥1,000; micro ¥3,000–5,000; mid ¥10,000;
        top ¥50,000–100,000) for the tiers given.

    Returns
    -------
    AllocationPlan
        Lines "reserve", "content_production", "paid_ads", "tech_analytics", "creators" (group
        "budget"), then "creators_top", "creators_mid", "creators_micro" and — when ``tier_shares``
        names nano, even with 0, so a template's table keeps one shape — "creators_nano" (group
        "creators"). ``plan.table()`` is the Excel table.

    Notes
    -----
    The four lines take ``share × total_budget``; the creators line takes the remainder,
    ``(1 − Σ shares) × total_budget``, so the four shares must not exceed 1 together. Each tier takes
    ``tier share × creators line``. Amounts are then made to add up exactly (:func:`exact_parts`): the
    budget lines sum to ``total_budget`` and the tiers to the creators line with no floating-point
    residue, the rounding (below 1e-16 of the budget) going to the largest line. Notes per tier are
    ``floor(amount / fee)`` at the high, typical (midpoint of low and high) and low fee — so
    ``creators_low`` ≤ ``creators_typical`` ≤ ``creators_high``. ``in_range`` compares each share with
    its range: for reserve and content the article's *advice*; for paid ads and tech & analytics the
    range the case studies *observed* (marked "observed" in ``source``); for tiers 000's tier ranges
    (nano: a product default of at most 10 %).

    References
    ----------
    000, "Tiered KOL Investment Strategy": "40-50% to mid-tier KOLs … 20-30% to micro-KOCs … 20-30% to
    top-tier KOLs"; "allocating 25-35% of your total budget to content production"; "Reserve 15-20% of
    your budget for mid-campaign optimization"; case studies 1 and 2 for paid ads and tech & analytics.
    002 for fees per note ("Mid-level opinion leaders charge an average of about 10,000 yuan").

    Examples
    --------
    >>> plan = allocate_budget(450_000)
    >>> [(line.line, line.amount) for line in plan.lines if line.group == "budget"]
    [('reserve', 67500.0), ('content_production', 112500.0), ('paid_ads', 72000.0), ('tech_analytics', 22500.0), ('creators', 175500.0)]
    >>> mid = plan.line("creators_mid")
    >>> round(mid.share_of_group, 4), round(mid.amount, 2), mid.in_range, mid.creators_typical
    (0.45, 78975.0, True, 7)
    >>> plan.line("creators_top").creators_typical  # ¥48,262.50 does not buy one ¥50,000+ top-tier note
    0
    >>> allocate_budget(450_000, content_share=0.10).line("content_production").in_range
    False
    """
    budget = single_number(total_budget, "total_budget", gt=0)
    given = {"reserve_share": reserve_share, "content_share": content_share, "paid_ads_share": paid_ads_share,
             "tech_share": tech_share}
    shares = [
        default if given[argument] is None else single_number(given[argument], argument, ge=0, le=1)
        for _line, argument, default, _range in _BUDGET_LINES
    ]
    spent = math.fsum(shares)
    if spent > 1.0 + _SUM_TOLERANCE:
        listed = " + ".join(f"{argument} {describe(share)}" for (_l, argument, _d, _r), share in zip(_BUDGET_LINES, shares))
        raise XhsInputError(
            f"reserve_share, content_share, paid_ads_share and tech_share must not exceed 1 together "
            f"(100 % of total_budget); they sum to {spent:.10g} ({listed})"
        )
    creator_share = max(0.0, 1.0 - spent)
    tiers = _tier_share_table(tier_shares)
    fees = _fee_table(fee_table)

    # Budget lines: the largest line (the creators on ties) absorbs the rounding.
    parts = [share * budget for share in shares] + [creator_share * budget]
    absorb = max(range(len(parts)), key=lambda i: (parts[i], i))
    amounts = exact_parts(parts, budget, absorb)
    creator_amount = amounts[-1]

    shown = [tier for tier in _TABLE_TIERS if tier != "nano" or "nano" in tiers]
    tier_share = [tiers.get(tier, 0.0) for tier in shown]
    if creator_amount > 0:
        tier_parts = [share * creator_amount for share in tier_share]
        absorb_tier = max(range(len(shown)), key=lambda i: tier_parts[i])
        tier_amounts = exact_parts(tier_parts, creator_amount, absorb_tier)
    else:
        tier_amounts = [0.0] * len(shown)

    lines: list[AllocationLine] = []
    for (line, _argument, _default, figure_range), share, amount in zip(_BUDGET_LINES, shares, amounts):
        lines.append(AllocationLine(
            line=line, group="budget", share_of_total=share, share_of_group=share, amount=amount,
            recommended_low=figure_range.low, recommended_high=figure_range.high,
            in_range=figure_range.contains(share), creators_low=None, creators_typical=None, creators_high=None,
            source=_source(figure_range),
        ))
    tier_lines: list[AllocationLine] = []
    for tier, share, amount in zip(shown, tier_share, tier_amounts):
        low_fee, high_fee, fee_source = fees[tier]
        figure_range = TIER_BUDGET_SHARE[tier]
        tier_lines.append(AllocationLine(
            line=f"creators_{tier}", group="creators", share_of_total=share * creator_share, share_of_group=share,
            amount=amount, recommended_low=figure_range.low, recommended_high=figure_range.high,
            in_range=figure_range.contains(share), creators_low=_notes(amount, high_fee),
            creators_typical=_notes(amount, (low_fee + high_fee) / 2), creators_high=_notes(amount, low_fee),
            source=f"{_source(figure_range)}; fees {fee_source}",
        ))
    lines.append(AllocationLine(
        line="creators", group="budget", share_of_total=creator_share, share_of_group=creator_share,
        amount=creator_amount, recommended_low=None, recommended_high=None, in_range=None,
        creators_low=sum(_notes(a, fees[t][1]) for t, a in zip(shown, tier_amounts)),
        creators_typical=sum(_notes(a, (fees[t][0] + fees[t][1]) / 2) for t, a in zip(shown, tier_amounts)),
        creators_high=sum(_notes(a, fees[t][0]) for t, a in zip(shown, tier_amounts)),
        source="remainder of total_budget after the other budget lines; split by tier below",
    ))
    return AllocationPlan(total_budget=budget, lines=tuple(lines + tier_lines))


# --------------------------------------------------------------------------------------------------
# 3. Stage split
# --------------------------------------------------------------------------------------------------


def _stage_names() -> str:
    names = []
    for stage in STAGE_SPILLOVER_SHARE:
        chinese = [alias for alias, key in STAGE_ALIASES.items() if key == stage and not alias.isascii()]
        names.append(" / ".join([stage.replace("_", " ")] + chinese))
    return "; ".join(names)


def normalize_stage(stage: str) -> str:
    """Canonical brand-stage key ("cold_start", "growth", "maturity") of an English or Chinese name.

    Parameters
    ----------
    stage : str
        A stage as an analyst types it: "cold start", "Cold-Start", "launch", "growth", "mature",
        "冷启动", "成长期", "成熟期", … (``figures.STAGE_ALIASES``); case, surrounding and repeated spaces
        (including the ideographic space) do not matter.

    Returns
    -------
    str
        "cold_start", "growth" or "maturity".

    Notes
    -----
    The text is lower-cased with runs of white space collapsed to one space and looked up in
    ``figures.STAGE_ALIASES``; failing that, looked up again with spaces, hyphens and underscores removed.

    References
    ----------
    003: "Cold start period … Growth stage … Maturity".

    Examples
    --------
    >>> normalize_stage("  Cold   Start ")
    'cold_start'
    >>> normalize_stage("成熟期")
    'maturity'
    >>> normalize_stage("decline")
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: stage must be one of cold start / 冷启动 / 冷启动期; growth / 成长 / 成长期; maturity / 成熟 / 成熟期 (got 'decline')
    """
    if isinstance(stage, str):
        text = " ".join(stage.lower().split())
        for candidate in (text, text.replace(" ", "").replace("-", "").replace("_", "")):
            if candidate in STAGE_ALIASES:
                return STAGE_ALIASES[candidate]
    raise XhsInputError(f"stage must be one of {_stage_names()} (got {describe(stage)})")


@dataclass(frozen=True)
class StageSplit:
    """A budget split into spillover (站外, jump to Tmall/JD) and closed loop (站内) for a brand stage."""

    stage: str
    budget: float
    spillover_share: float
    closed_loop_share: float
    spillover_amount: float
    closed_loop_amount: float
    source: str

    def table(self) -> list[list[Any]]:
        """Header row ``STAGE_TABLE_HEADER`` then the spillover and closed-loop rows."""
        return [
            list(STAGE_TABLE_HEADER),
            [self.stage, "spillover", self.spillover_share, self.spillover_amount, self.source],
            [self.stage, "closed_loop", self.closed_loop_share, self.closed_loop_amount, self.source],
        ]


def stage_split(budget: float, stage: str) -> StageSplit:
    """Split a budget between spillover and closed loop by brand stage.

    Parameters
    ----------
    budget : float
        Budget to split, ¥ (> 0).
    stage : str
        Brand stage, English or Chinese (see :func:`normalize_stage`).

    Returns
    -------
    StageSplit
        Shares and amounts; ``spillover_amount + closed_loop_amount == budget`` exactly.

    Notes
    -----
    ``spillover = share × budget`` and ``closed_loop = budget − spillover`` with the spillover share
    70 % (cold start), 50 % (growth) or 40 % (maturity); the larger part absorbs the rounding.

    References
    ----------
    003: "Cold start period … 70% for spillover and 30% for closed loop"; "Growth stage … 50% for
    spillover | 50% for closed loop"; "Maturity … 60% closed loop | 40% spillover".

    Examples
    --------
    >>> split = stage_split(450_000, "冷启动")
    >>> split.stage, split.spillover_amount, split.closed_loop_amount
    ('cold_start', 315000.0, 135000.0)
    >>> stage_split(100_000, "maturity").table()[1][:4]
    ['maturity', 'spillover', 0.4, 40000.0]
    """
    amount = single_number(budget, "budget", gt=0)
    key = normalize_stage(stage)
    figure = STAGE_SPILLOVER_SHARE[key]
    spillover = figure.value
    closed_loop = 1.0 - spillover
    parts = [spillover * amount, closed_loop * amount]
    spill_amount, loop_amount = exact_parts(parts, amount, 0 if parts[0] >= parts[1] else 1)
    return StageSplit(
        stage=key, budget=amount, spillover_share=spillover, closed_loop_share=closed_loop,
        spillover_amount=spill_amount, closed_loop_amount=loop_amount,
        source=f"{figure.source}: {figure.quote}",
    )


# --------------------------------------------------------------------------------------------------
# 4. Optimised allocation
# --------------------------------------------------------------------------------------------------


def _softplus(z: float) -> float:
    """ln(1 + eᶻ) without overflow."""
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


def _exp(z: float) -> float:
    return math.inf if z > 709.0 else math.exp(z)


@dataclass(frozen=True)
class TierCurve:
    """The response curve of one creator tier, as in :func:`xhsxl.core.response.response`.

    ``curve`` is "power" (``param1`` = scale, ``param2`` = elasticity in (0, 1]) or "hill" (``param1`` =
    max_response, ``param2`` = half_saturation, ``shape`` = Hill exponent in (0, 1]; ignored for power).
    Names are normalised (" Mid " → "mid", "Power" → "power") and the parameters checked on creation.

    >>> TierCurve("Mid", "Power", 2.0, 0.686)
    TierCurve(tier='mid', curve='power', param1=2.0, param2=0.686, shape=1.0)
    >>> TierCurve("mid", "power", 2.0, 1.5)
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: elasticity (param2) for tier mid must be at most 1 (got 1.5)
    """

    tier: str
    curve: str
    param1: float
    param2: float
    shape: float = 1.0

    def __post_init__(self) -> None:
        tier = _tier_key(self.tier, "tier")
        curve = curve_name(self.curve)
        name1, name2 = CURVE_NAMES[curve]
        param1 = single_number(self.param1, f"{name1} (param1) for tier {tier}")
        param2 = single_number(self.param2, f"{name2} (param2) for tier {tier}")
        shape = single_number(self.shape, f"shape for tier {tier}")
        try:
            if curve == "power":
                check_power_params(param1, param2)
            else:
                check_hill_params(param1, param2, shape)
        except XhsInputError as error:
            # Re-raise naming the field and the tier: "scale must be …" → "scale (param1) for tier mid must be …".
            message = str(error)
            for field_name, label in ((name1, f"{name1} (param1)"), (name2, f"{name2} (param2)"), ("shape", "shape")):
                if message.startswith(field_name + " "):
                    message = f"{label} for tier {tier}" + message[len(field_name):]
                    break
            raise XhsInputError(message) from None
        object.__setattr__(self, "tier", tier)
        object.__setattr__(self, "curve", curve)
        object.__setattr__(self, "param1", param1)
        object.__setattr__(self, "param2", param2)
        object.__setattr__(self, "shape", shape)

    def response(self, spend: Any) -> float | np.ndarray:
        """Expected return of ``spend`` (¥) on this tier's curve."""
        return response(spend, self.curve, self.param1, self.param2, self.shape)

    def marginal(self, spend: Any) -> float | np.ndarray:
        """Return per extra ¥ at ``spend`` on this tier's curve."""
        return marginal_response(spend, self.curve, self.param1, self.param2, self.shape)

    # Unchecked scalar kernels for the optimiser.
    @property
    def _is_linear(self) -> bool:
        return self.curve == "power" and self.param2 == 1.0

    def _value(self, spend: float) -> float:
        if self.curve == "power":
            return float(power_kernel(spend, self.param1, self.param2))
        return float(hill_kernel(spend, self.param1, self.param2, self.shape))

    def _slope(self, spend: float) -> float:
        if self.curve == "power":
            return float(power_marginal_kernel(spend, self.param1, self.param2))
        return float(hill_marginal_kernel(spend, self.param1, self.param2, self.shape))

    def _spend_at_slope(self, log_slope: float) -> float:
        """The spend s ≥ 0 at which f'(s) = exp(log_slope) (0 if f' never gets that high); not for linear."""
        if self.curve == "power":
            scale, elasticity = self.param1, self.param2
            # a e s^(e-1) = λ  ⇔  s = (λ / (a e))^(1 / (e - 1))
            return _exp((log_slope - math.log(scale * elasticity)) / (elasticity - 1.0))
        peak, half, shape = self.param1, self.param2, self.shape
        if shape == 1.0:
            # M h / (s + h)² = λ  ⇔  s = sqrt(M h / λ) − h
            return max(0.0, _exp(0.5 * (math.log(peak * half) - log_slope)) - half)
        # With u = ln(s / h): (k − 1) u − 2 ln(1 + e^(k u)) = ln(λ h / (M k)), strictly decreasing in u.
        target = log_slope + math.log(half / (peak * shape))

        def gap(u: float) -> float:
            return (shape - 1.0) * u - 2.0 * _softplus(shape * u) - target

        # Brackets from ln(1 + eᶻ) ≥ max(0, z) and ln(1 + eᶻ) ≤ max(0, z) + ln 2, widened by 1 so that
        # rounding at an end where the bound is tight cannot give both ends the same sign.
        shifted = target + 2.0 * math.log(2.0)
        u_low = (shifted / (shape - 1.0) if shifted >= 0 else -shifted / (1.0 + shape)) - 1.0
        u_high = (-target / (1.0 + shape) if target <= 0 else target / (shape - 1.0)) + 1.0
        from scipy.optimize import brentq  # imported here: scipy.optimize is most of the package's start-up

        u = brentq(gap, u_low, u_high, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
        return _exp(u + math.log(half))


@dataclass(frozen=True)
class OptimalTier:
    """One tier of an optimised plan.

    ``expected_return`` is f(amount); ``average_roi`` the net ROI f(amount) / amount − 1 (meaningful when
    the curve's output is revenue, ¥; None at zero spend); ``marginal_return`` f′(amount), the return of
    one more ¥ (equal across tiers that no bound holds back); ``binding`` "min", "max" or None.
    """

    tier: str
    curve: str
    amount: float
    share: float
    min_share: float
    max_share: float
    expected_return: float
    average_roi: float | None
    marginal_return: float
    binding: str | None


@dataclass(frozen=True)
class OptimalPlan:
    """The creator budget split that maximises total expected return under the tiers' curves."""

    total_budget: float
    tiers: tuple[OptimalTier, ...]
    total_expected_return: float
    multiplier: float | None

    @property
    def total(self) -> float:
        """The budget the plan splits, ¥ (equal to the exact sum of the tier amounts)."""
        return self.total_budget

    @property
    def total_roi(self) -> float:
        """Net ROI of the whole plan: total expected return / budget − 1 (for revenue curves)."""
        return self.total_expected_return / self.total_budget - 1.0

    def amounts(self) -> dict[str, float]:
        """Amount per tier, ¥ — for :func:`expected_return`."""
        return {tier.tier: tier.amount for tier in self.tiers}

    def table(self) -> list[list[Any]]:
        """Header row ``OPTIMAL_TABLE_HEADER``, one row per tier, then a "total" row whose
        ``marginal_return`` is the multiplier (None if every tier sits on a bound)."""
        rows: list[list[Any]] = [list(OPTIMAL_TABLE_HEADER)]
        rows += [[_plain(getattr(tier, column)) for column in OPTIMAL_TABLE_HEADER] for tier in self.tiers]
        rows.append([
            "total", None, _plain(self.total_budget), 1.0, None, None, _plain(self.total_expected_return),
            _plain(self.total_roi), _plain(self.multiplier), None,
        ])
        return rows


def _tier_curves(curves: Any) -> list[TierCurve]:
    if isinstance(curves, TierCurve):
        curves = [curves]
    if isinstance(curves, (str, bytes, Mapping)) or not isinstance(curves, Iterable):
        raise XhsInputError(f"curves must be a list of TierCurve (got {describe(curves)})")
    result: list[TierCurve] = []
    for item in curves:
        if isinstance(item, TierCurve):
            result.append(item)
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and 4 <= len(item) <= 5:
            result.append(TierCurve(*item))  # (tier, curve, param1, param2[, shape]), e.g. an Excel row
        else:
            raise XhsInputError(f"curves must be a list of TierCurve (got item {describe(item)})")
    if not result:
        raise XhsInputError("curves must contain at least one tier")
    seen: set[str] = set()
    for item in result:
        checked_custom_tier(item.tier)
        if item.tier in seen:
            raise XhsInputError(f"curves must name each tier once (got {item.tier!r} twice)")
        seen.add(item.tier)
    return result


def _share_bound(value: Any, tiers: list[TierCurve], name: str, pick: Callable[[Range], float], fallback: float) -> list[float]:
    defaults = [pick(TIER_BUDGET_SHARE[t.tier]) if t.tier in TIER_BUDGET_SHARE else fallback for t in tiers]
    if value is None:
        return defaults
    given: dict[str, Any] = {}
    if isinstance(value, Mapping):
        names = [t.tier for t in tiers]
        for tier, share in value.items():
            key = _tier_key(tier, name)
            if key not in names:
                raise _no_curve(key, name, names)
            given[key] = share
        values = [given.get(t.tier) for t in tiers]
    else:
        values = list(np.asarray(value, dtype=object).reshape(-1)) if not isinstance(value, (str, bytes)) else [value]
        if len(values) != len(tiers):
            raise XhsInputError(f"{name} must give one share per tier in curves ({len(tiers)}), got {len(values)}")
    return [
        default if share is None else single_number(share, f"{name} for {tier.tier}", ge=0, le=1)
        for share, default, tier in zip(values, defaults, tiers)
    ]


def solve_concave(tiers: list[TierCurve], lows: list[float], highs: list[float], budget: float) -> tuple[list[float], float | None]:
    """Amounts maximising Σ fᵢ(xᵢ) with Σ xᵢ = budget and lowᵢ ≤ xᵢ ≤ highᵢ, and the multiplier λ."""
    count = len(tiers)
    if math.fsum(lows) >= budget * (1.0 - 1e-12):
        return list(lows), None
    if math.fsum(highs) <= budget * (1.0 + 1e-12):
        return list(highs), None
    fixed = [low == high for low, high in zip(lows, highs)]
    linear = [tier._is_linear and not fix for tier, fix in zip(tiers, fixed)]
    log_slopes = [math.log(tier.param1) if lin else math.nan for tier, lin in zip(tiers, linear)]

    def amount(i: int, log_lambda: float) -> float:
        if fixed[i]:
            return lows[i]
        if linear[i]:
            # A straight line: all of its room below its slope, none above (and none at it, by convention).
            return highs[i] if log_lambda < log_slopes[i] else lows[i]
        return min(highs[i], max(lows[i], tiers[i]._spend_at_slope(log_lambda)))

    def excess(log_lambda: float) -> float:
        return math.fsum(amount(i, log_lambda) for i in range(count)) - budget

    # Bracket: below every active tier's slope at its maximum, all tiers sit at their maximum (excess ≥ 0);
    # above every tier's slope at low + gap / n, no tier exceeds low + gap / n (excess ≤ 0).
    active = [i for i in range(count) if not fixed[i]]
    gap = budget - math.fsum(lows)
    log_low = min(math.log(max(tiers[i]._slope(highs[i]), 1e-300)) for i in active) - 1e-6
    log_high = max(
        math.log(max(tiers[i]._slope(min(highs[i], lows[i] + gap / len(active))), 1e-300)) for i in active
    ) + 1e-6
    for _widen in range(60):  # a guard against rounding at the bracket's ends; normally not entered
        if excess(log_low) >= 0 >= excess(log_high):
            break
        log_low, log_high = log_low - 1.0, log_high + 1.0
    from scipy.optimize import brentq  # imported here: scipy.optimize is most of the package's start-up

    log_lambda = brentq(excess, log_low, log_high, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=500)

    # Straight-line tiers whose slope is the multiplier are indifferent at the margin: they take the rest.
    free = [i for i in active if linear[i] and abs(log_slopes[i] - log_lambda) <= 1e-9]
    if free:
        log_lambda = log_slopes[free[0]]
    amounts = [amount(i, log_lambda) for i in range(count)]
    rest = budget - math.fsum(amounts)
    for i in free:
        extra = min(max(rest, 0.0), highs[i] - lows[i])
        amounts[i] += extra
        rest -= extra
    return amounts, math.exp(log_lambda)


def optimal_allocation(
    total_budget: float,
    curves: Sequence[TierCurve],
    min_shares: Mapping[str, float] | Sequence[float | None] | None = None,
    max_shares: Mapping[str, float] | Sequence[float | None] | None = None,
) -> OptimalPlan:
    """The split of a (creator) budget across tiers that maximises total expected return.

    Parameters
    ----------
    total_budget : float
        Budget to split, ¥ (> 0) — typically the creators line of :func:`allocate_budget`.
    curves : sequence of TierCurve
        One response curve per tier (tier names unique). A (tier, curve, param1, param2[, shape]) row is
        accepted in place of a TierCurve.
    min_shares, max_shares : mapping of tier to share, or sequence aligned with ``curves``, optional
        Minimum and maximum share of ``total_budget`` per tier, in [0, 1]. Missing tiers (or None
        entries) default to 000's range for the tier (``figures.TIER_BUDGET_SHARE``: micro 20–30 %,
        mid 40–50 %, top 20–30 %, nano 0–10 %) and to 0 and 1 for other tier names.

    Returns
    -------
    OptimalPlan
        Per tier: amount, share, expected return, average (net) ROI, marginal return, binding bound;
        the total expected return and the multiplier λ. Amounts sum exactly to ``total_budget``.

    Raises
    ------
    XhsInputError
        If the budget is above ``LARGEST_OPTIMISED_BUDGET`` (2⁵³ ¥, where floats stop counting whole
        yuan), a share is outside [0, 1], a minimum exceeds its maximum, the minimums add up to more than
        the budget or the maximums to less (within 1e-9).

    Notes
    -----
    Maximise ``Σ fᵢ(xᵢ)`` subject to ``Σ xᵢ = B`` and ``minᵢ·B ≤ xᵢ ≤ maxᵢ·B``. Every curve is concave
    (power elasticity and Hill shape in (0, 1]), so the KKT conditions are sufficient: there is a λ with
    ``xᵢ = clip(fᵢ′⁻¹(λ), minᵢ·B, maxᵢ·B)`` — every tier not held by a bound earns the same marginal
    return λ. ``Σ xᵢ(λ)`` is non-increasing in λ; λ is its root (``scipy.optimize.brentq`` on ln λ,
    bracketed from the curves' slopes at the bounds). The inverse ``f′⁻¹`` is closed-form for power
    (``(λ / (a·e))^(1/(e−1))``) and Hill with shape 1 (``√(M·h/λ) − h``), and a bracketed monotone
    root for other Hill shapes. A straight line (elasticity 1) is all-or-nothing except when λ equals
    its slope; then it takes what the others leave. Finally the float residue is moved to the largest
    tier no bound holds (:func:`exact_parts`), so the amounts add up to ``B`` exactly. The result is
    the global optimum up to floating point; tests check it against SLSQP. ``multiplier`` is λ, or None
    when every tier sits on a bound (then no single marginal return prices the budget).

    References
    ----------
    000, "Tiered KOL Investment Strategy" (the default per-tier ranges); 003, Minefield 2: "Xiaohongshu
    traffic has diminishing marginal effects" (why concave curves, and the default elasticity ≈ 0.686).

    Examples
    --------
    Two tiers with elasticity 0.5 and no binding bounds: spend ∝ scale², here 1 : 4.

    >>> curves = [TierCurve("a", "power", 1.0, 0.5), TierCurve("b", "power", 2.0, 0.5)]
    >>> plan = optimal_allocation(1_000_000, curves)
    >>> [tier.amount for tier in plan.tiers]
    [200000.0, 800000.0]
    >>> plan.total_expected_return  # sqrt(B · Σ scale²)
    2236.0679
    >>> round(plan.tiers[0].marginal_return, 6) == round(plan.tiers[1].marginal_return, 6)
    True
    """
    budget = single_number(total_budget, "total_budget", gt=0, le=LARGEST_OPTIMISED_BUDGET)
    tiers = _tier_curves(curves)
    mins = _share_bound(min_shares, tiers, "min_shares", lambda r: r.low, 0.0)
    maxs = _share_bound(max_shares, tiers, "max_shares", lambda r: r.high, 1.0)
    for tier, low, high in zip(tiers, mins, maxs):
        if low > high:
            raise XhsInputError(
                f"min_shares for {tier.tier} ({describe(low)}) must not exceed max_shares for {tier.tier} ({describe(high)})"
            )
    min_total, max_total = math.fsum(mins), math.fsum(maxs)
    if min_total > 1.0 + _SUM_TOLERANCE:
        listed = " + ".join(f"{t.tier} {describe(s)}" for t, s in zip(tiers, mins))
        raise XhsInputError(f"min_shares sum to {min_total:.10g} ({listed}): the minimums exceed the whole budget")
    if max_total < 1.0 - _SUM_TOLERANCE:
        listed = " + ".join(f"{t.tier} {describe(s)}" for t, s in zip(tiers, maxs))
        raise XhsInputError(
            f"max_shares sum to {max_total:.10g} ({listed}): the maximums cannot cover the whole budget; "
            "raise a maximum or add a tier"
        )
    lows = [share * budget for share in mins]
    highs = [share * budget for share in maxs]
    amounts, multiplier = solve_concave(tiers, lows, highs, budget)

    tolerance = 1e-10 * budget

    def binding(i: int, value: float) -> str | None:
        above_min, below_max = value - lows[i], highs[i] - value
        if above_min <= tolerance and above_min <= below_max:
            return "min"
        if below_max <= tolerance:
            return "max"
        return None

    # The float residue goes to the largest tier no bound holds (its marginal return is λ, so the move
    # costs nothing to first order), else to the largest tier that stays within its bounds.
    # (Bounds that sum to 1 only within 1e-9 can leave no tier able to take the residue within its bounds;
    # then the exact total wins over a bound breached by less than 1e-9 of the budget.)
    order = sorted(range(len(tiers)), key=lambda i: (binding(i, amounts[i]) is not None, -amounts[i]))
    candidates = [exact_parts(amounts, budget, absorb) for absorb in order]
    amounts = next(
        (exact for exact, i in zip(candidates, order)
         if 0 <= exact[i] and lows[i] - tolerance <= exact[i] <= highs[i] + tolerance),
        candidates[0],
    )
    states = [binding(i, value) for i, value in enumerate(amounts)]
    if all(state is not None for state in states):
        multiplier = None

    rows: list[OptimalTier] = []
    for tier, value, low, high, state in zip(tiers, amounts, mins, maxs, states):
        earned = tier._value(value)
        rows.append(OptimalTier(
            tier=tier.tier, curve=tier.curve, amount=value, share=value / budget, min_share=low, max_share=high,
            expected_return=earned, average_roi=earned / value - 1.0 if value > 0 else None,
            marginal_return=tier._slope(value), binding=state,
        ))
    total_return = math.fsum(row.expected_return for row in rows)
    return OptimalPlan(total_budget=budget, tiers=tuple(rows), total_expected_return=total_return, multiplier=multiplier)


def expected_return(amounts: Any, curves: Sequence[TierCurve]) -> float | np.ndarray:
    """Total expected return of a plan's tier amounts under the tiers' curves.

    Parameters
    ----------
    amounts : mapping of tier to ¥, sequence aligned with ``curves``, AllocationPlan or OptimalPlan
        Spend per tier, ¥ (≥ 0). Each may be a column of scenarios (arrays broadcast). A tier with a curve
        but no amount spends 0; an amount for a tier without a curve is an error (its return would be
        silently lost).
    curves : sequence of TierCurve
        As in :func:`optimal_allocation`.

    Returns
    -------
    float or ndarray
        ``Σ fᵢ(amountᵢ)``, in the unit of the curves' return.

    Notes
    -----
    Use it to compare the rule-based plan (``allocate_budget(...).tier_amounts()``) with the optimised
    one on the same curves.

    References
    ----------
    003, Minefield 2 (diminishing marginal effects).

    Examples
    --------
    >>> curves = [TierCurve("mid", "power", 1.0, 0.5), TierCurve("micro", "power", 2.0, 0.5)]
    >>> expected_return({"mid": 400, "micro": 100}, curves)
    40.0
    >>> expected_return([[400, 900], 100], curves)
    array([40., 50.])
    """
    tiers = _tier_curves(curves)
    if isinstance(amounts, AllocationPlan):
        amounts = amounts.tier_amounts()
    elif isinstance(amounts, OptimalPlan):
        amounts = amounts.amounts()
    if isinstance(amounts, Mapping):
        names = [t.tier for t in tiers]
        given: dict[str, Any] = {}
        for tier, value in amounts.items():
            key = _tier_key(tier, "amounts")
            if key not in names:
                raise _no_curve(key, "amounts", names)
            given[key] = value
        values = [given.get(t.tier, 0.0) for t in tiers]
    else:
        if isinstance(amounts, (str, bytes)) or not isinstance(amounts, Iterable):
            raise XhsInputError(f"amounts must give one amount per tier in curves (got {describe(amounts)})")
        values = list(amounts)
        if len(values) != len(tiers):
            raise XhsInputError(f"amounts must give one amount per tier in curves ({len(tiers)}), got {len(values)}")
    spends = [numeric(value, f"amounts for {tier.tier}", ge=0) for value, tier in zip(values, tiers)]
    try:
        spends = list(np.broadcast_arrays(*spends))
    except ValueError:
        raise XhsInputError("amounts must have matching sizes for every tier") from None
    total = np.zeros(spends[0].shape)
    for tier, spend in zip(tiers, spends):
        if tier.curve == "power":
            total = total + power_kernel(spend, tier.param1, tier.param2)
        else:
            total = total + hill_kernel(spend, tier.param1, tier.param2, tier.shape)
    return float(total) if total.ndim == 0 else total


#: The tiers the optimised plan splits the creator budget across when no curves of the client's own are
#: given. Nano is left out: 000 gives it no range, so there is nothing to centre its curve on.
REFERENCE_TIERS: tuple[str, ...] = ("top", "mid", "micro")


def reference_spend(creator_budget: float, tier: str) -> float:
    """Spend at which a tier's ROAS is stated: the creator budget × the midpoint of the tier's article range.

    >>> reference_spend(200_000, "mid")
    90000.0
    """
    budget = single_number(creator_budget, "creator_budget", gt=0)
    key = _tier_key(tier, "tier")
    if key not in REFERENCE_TIERS:
        raise _unknown_tier(tier, "tier", REFERENCE_TIERS)
    return budget * TIER_BUDGET_SHARE[key].mid


def reference_curves(creator_budget: float, roas: Mapping[str, float], elasticity: float) -> list[TierCurve]:
    """Power curves for top, mid and micro creators from what an analyst can state about each tier.

    Each tier returns ``roas[tier]`` per ¥ (ROI 1:x) at its reference spend (:func:`reference_spend`),
    and returns diminish with the same ``elasticity`` on either side of it: the curve is
    ``scale × spend^elasticity`` with ``scale`` from :func:`xhsxl.core.response.power_scale_from_point`.
    With equal ROAS in every tier the optimised plan is the article midpoints rescaled (26.3 / 47.4 /
    26.3 %); a tier stated to return more draws money towards it, within its range.

    Parameters
    ----------
    creator_budget : float
        The creator line of the plan, ¥ (> 0).
    roas : mapping of str to float
        Expected revenue per ¥ for "top", "mid" and "micro" at the reference spend (> 0).
    elasticity : float
        In (0, 1]; the article's 0.686 by default elsewhere (``figures.DEFAULT_ELASTICITY``).

    Examples
    --------
    >>> curves = reference_curves(200_000, {"top": 3, "mid": 3, "micro": 3}, 0.686)
    >>> plan = optimal_allocation(200_000, curves)
    >>> [round(t.share, 4) for t in plan.tiers]
    [0.2632, 0.4737, 0.2632]
    """
    curves = []
    for tier in REFERENCE_TIERS:
        if tier not in roas:
            raise XhsInputError(f"roas must give a value for tier {tier}")
        spend = reference_spend(creator_budget, tier)
        ratio = single_number(roas[tier], f"roas for tier {tier}", gt=0)
        scale = float(power_scale_from_point(spend, ratio * spend, elasticity))  # scalars in, one number out
        curves.append(TierCurve(tier, "power", scale, elasticity))
    return curves

"""Recommendations: what a client should change in a plan, in English and Chinese, with the numbers behind it.

Article 000's calculator ends in "Recommendation: …". :func:`recommend` reads a
:class:`~xhsxl.core.planner.funnel.Forecast` and reports, most severe first:

====================================  ========  =========================================================
code                                  severity  when
====================================  ========  =========================================================
``below_breakeven``                   high      even the interval's upper bound of profit ROI is negative
``past_flattening``                   high      even the upper bound of a line's next ¥ returns less than ¥1
``low_case_loss``                     medium    break-even lies inside the interval (the low end loses money)
``share_out_of_range``                medium    reserve, content or a creator tier outside 000's range
``marginal_gap``                      medium    a line's next ¥ returns under half of the best line's (base)
``marginal_below_breakeven``          medium    the upper bound of a line's next ¥ is ≥ ¥1 but under break-even
``share_outside_observed``            info      paid ads or tech & analytics outside what the case studies spent
``plan_ok``                           info      nothing high or medium was found
====================================  ========  =========================================================

Shares are checked by :func:`xhsxl.core.allocation.allocate_budget` (its ``in_range`` flags). A loss — of the
plan or of a line's next ¥ — is called only when the upper bound of the forecast's prediction interval is below
break-even; when break-even lies inside the interval the finding quotes the interval and says to keep the
reserve until the checkpoints confirm. Marginal gaps compare base-case returns at each line's planned spend. Each :class:`Finding` keeps the numbers it quotes, and
:func:`findings_column` lays the findings out as the fixed-size column the Excel function returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from xhsxl.core.allocation import allocate_budget
from xhsxl.core.errors import XhsInputError
from xhsxl.core.planner.funnel import CREATOR_LINES, FUNNEL_LINES, LINE_LABELS_ZH, Forecast, LineForecast
from xhsxl.core.validate import describe, single_number

__all__ = ["FINDING_CODES", "SEVERITIES", "RECOMMENDATION_ROWS", "Finding", "recommend", "findings_column"]

#: Every finding code with its severity.
FINDING_CODES: Mapping[str, str] = {
    "below_breakeven": "high",
    "past_flattening": "high",
    "low_case_loss": "medium",
    "share_out_of_range": "medium",
    "marginal_gap": "medium",
    "marginal_below_breakeven": "medium",
    "share_outside_observed": "info",
    "plan_ok": "info",
}
SEVERITIES: tuple[str, ...] = ("high", "medium", "info")
_SEVERITY_ZH = {"high": "高", "medium": "中", "info": "提示"}

#: Rows of findings in :func:`findings_column` (below its header row): enough for every line to be flagged
#: once and the plan-level findings besides.
RECOMMENDATION_ROWS: int = 12

_LABELS_EN = {
    "top": "Top-tier creators", "mid": "Mid-tier creators", "micro": "Micro creators (KOC)",
    "nano": "Nano creators", "paid_ads": "Paid ads", "content_production": "Content production",
    "tech_analytics": "Tech & analytics", "reserve": "The reserve",
}
_LABELS_IN_TEXT = {
    "top": "top-tier creators", "mid": "mid-tier creators", "micro": "micro creators (KOC)", "nano": "nano creators",
    "paid_ads": "paid ads", "content_production": "content production",
}


@dataclass(frozen=True)
class Finding:
    """One recommendation: a code (``FINDING_CODES``), its severity, the line it concerns (None for the plan),
    the message in English and Chinese, and the numbers the message quotes."""

    code: str
    severity: str
    line: str | None
    message_en: str
    message_zh: str
    numbers: Mapping[str, float] = field(default_factory=dict)

    def message(self, language: str = "en") -> str:
        """The message in "en", "zh" or "both" (English / Chinese)."""
        key = _language(language)
        if key == "zh":
            return self.message_zh
        if key == "both":
            return f"{self.message_en} / {self.message_zh}"
        return self.message_en


def _language(language: Any) -> str:
    if not isinstance(language, str):
        raise XhsInputError(f"language must be 'en', 'zh' or 'both' (got {describe(language)})")
    key = language.strip().lower()
    key = {"english": "en", "英文": "en", "chinese": "zh", "cn": "zh", "中文": "zh", "": "en"}.get(key, key)
    if key not in ("en", "zh", "both"):
        raise XhsInputError(f"language must be 'en', 'zh' or 'both' (got {describe(language)})")
    return key


def _steady(value: float, digits: int) -> float:
    """``value`` without its last bits of floating-point noise, so that the same figure computed along two paths
    (a workbook's formulas and the core) rounds to the same printed digits, even at a half (10.85 %)."""
    return round(value, digits) if math.isfinite(value) else value


def _yuan(value: float) -> str:
    value = _steady(value, 6)
    return f"¥{value:,.0f}" if value >= 0 else f"-¥{-value:,.0f}"


def _pct(value: float) -> str:
    return f"{_steady(value * 100, 9):.1f} %"


def _pct_zh(value: float) -> str:
    return f"{_steady(value * 100, 9):.1f}%"


def _range_text(low: float, high: float) -> tuple[str, str]:
    # Whole percents print as such; the case studies' exact shares (15.56 %) keep a decimal.
    digits = 0 if all(abs(v * 100 - round(v * 100)) < 1e-9 for v in (low, high)) else 1
    text = f"{low * 100:.{digits}f}–{high * 100:.{digits}f} %" if low != high else f"{low * 100:.{digits}f} %"
    return text, text.replace(" %", "%")


def _share_findings(plan: Forecast) -> list[Finding]:
    amounts = plan.lines
    total = math.fsum(amounts.values())
    creators = math.fsum(amounts[line] for line in CREATOR_LINES)
    tier_shares = None
    if creators > 0:
        tier_shares = {line: amounts[line] / creators for line in CREATOR_LINES
                       if amounts[line] > 0 or line != "nano"}
    allocation = allocate_budget(
        total, reserve_share=amounts["reserve"] / total, content_share=amounts["content_production"] / total,
        paid_ads_share=amounts["paid_ads"] / total, tech_share=amounts["tech_analytics"] / total,
        tier_shares=tier_shares,
    )
    findings = []
    for item in allocation.lines:
        low, high = item.recommended_low, item.recommended_high
        # A line is out of range only where it has a range (in_range is None, and the bounds too, where not).
        if item.in_range is not False or low is None or high is None:
            continue
        line = item.line.removeprefix("creators_")
        if line in CREATOR_LINES and creators <= 0:
            continue
        tier = item.group == "creators"
        whole = creators if tier else total
        share = item.share_of_group
        target = low if share < low else high
        change = target * whole - amounts[line]
        observed = "observed" in item.source
        english_range, chinese_range = _range_text(low, high)
        of_what = "of the creator budget" if tier else "of the budget"
        of_what_zh = "达人预算" if tier else "总预算"
        if observed:
            reference = f"outside the {english_range} the article's case studies spent [000]"
            reference_zh = f"不在文章案例实际投入的{chinese_range}范围内［000］"
        else:
            reference = f"outside the recommended {english_range} [000]"
            reference_zh = f"不在建议的{chinese_range}范围内［000］"
        digits = 0 if abs(target * 100 - round(target * 100)) < 1e-9 else 1
        verb = f"raising it to {target * 100:.{digits}f} % means {_yuan(change)} more" if change > 0 else \
            f"lowering it to {target * 100:.{digits}f} % frees {_yuan(-change)}"
        verb_zh = f"调到{target * 100:.{digits}f}%需增加{_yuan(change)}" if change > 0 else \
            f"降到{target * 100:.{digits}f}%可释放{_yuan(-change)}"
        label = _LABELS_EN[line]
        findings.append(Finding(
            code="share_outside_observed" if observed else "share_out_of_range",
            severity="info" if observed or line == "nano" else "medium",
            line=line,
            message_en=f"{label}: {_pct(share)} {of_what} ({_yuan(amounts[line])}), {reference}; {verb}.",
            message_zh=f"{LINE_LABELS_ZH[line]}占{of_what_zh}的{_pct_zh(share)}（{_yuan(amounts[line])}），"
                       f"{reference_zh}；{verb_zh}。",
            numbers={"share": share, "recommended_low": low, "recommended_high": high, "amount": amounts[line],
                     "change_to_range": change},
        ))
    return findings


def _interval_text(plan: Forecast) -> tuple[str, str]:
    """"the 80 % interval" in English and Chinese."""
    level = f"{plan.level * 100:.0f}"
    return f"the {level} % interval", f"{level}%预测区间"


def _profit_findings(plan: Forecast) -> list[Finding]:
    base, low, high = plan.base, plan.low, plan.high
    interval, interval_zh = _interval_text(plan)
    numbers = {"roas": base.roas, "breakeven_roas": base.breakeven_roas, "profit_roi": base.profit_roi,
               "profit": base.profit, "low_roas": low.roas, "low_profit_roi": low.profit_roi, "high_roas": high.roas,
               "high_profit_roi": high.profit_roi, "level": plan.level}
    roas_range = f"1:{low.roas:.2f}–1:{high.roas:.2f}"
    profit_range = f"{_yuan(low.profit)} to {_yuan(high.profit)}"
    profit_range_zh = f"{_yuan(low.profit)}至{_yuan(high.profit)}"
    if high.profit_roi < 0:
        # A loss is called only when even the upper bound is below break-even.
        needed = high.breakeven_roas * base.cost
        return [Finding(
            "below_breakeven", "high", None,
            f"The campaign loses money even at the top of {interval}: ROAS {roas_range} (base 1:{base.roas:.2f}) "
            f"is below the break-even 1:{high.breakeven_roas:.2f}, profit {profit_range}. Breaking even needs "
            f"{_yuan(needed)} of sales against at most {_yuan(high.total.revenue)} forecast: cut cost, raise the "
            "margin or move budget to lines with a higher marginal return.",
            f"即使在{interval_zh}上限，活动仍亏损：投产比{roas_range}（基准1:{base.roas:.2f}）低于盈亏平衡点"
            f"1:{high.breakeven_roas:.2f}，利润{profit_range_zh}。盈亏平衡需要{_yuan(needed)}销售额，预测最多"
            f"{_yuan(high.total.revenue)}：请降低成本、提高毛利或把预算移到边际回报更高的渠道。",
            {**numbers, "breakeven_revenue": needed},
        )]
    if low.profit_roi < 0:
        return [Finding(
            "low_case_loss", "medium", None,
            f"Break-even lies inside {interval}: ROAS {roas_range} (base 1:{base.roas:.2f}) against the break-even "
            f"1:{base.breakeven_roas:.2f}; profit {profit_range} (base {_yuan(base.profit)}). Keep the reserve until "
            f"the 24 h and 72 h checkpoints confirm a ROAS above 1:{base.breakeven_roas:.2f}.",
            f"盈亏平衡点落在{interval_zh}内：投产比{roas_range}（基准1:{base.roas:.2f}），盈亏平衡点"
            f"1:{base.breakeven_roas:.2f}；利润{profit_range_zh}（基准{_yuan(base.profit)}）。"
            f"请保留预留预算，待24小时和72小时检查点确认投产比高于1:{base.breakeven_roas:.2f}后再投放。",
            numbers,
        )]
    return []


def _equalising_move(plan: Forecast, worse: str, better: str) -> float:
    """¥ to move from ``worse`` to ``better`` so their marginal returns meet (same elasticity e on both):
    Kᵢ·sᵢ^(e−1) equal with the pair's total fixed, Kᵢ = revenueᵢ / sᵢ^e."""
    e = plan.benchmarks.elasticity
    rows = {line: plan.base.line(line) for line in (worse, better)}
    total = rows[worse].spend + rows[better].spend
    if e >= 1:
        return rows[worse].spend
    k = {line: row.revenue / row.spend ** e for line, row in rows.items()}
    ratio = (k[worse] / k[better]) ** (1 / (1 - e))  # s_worse / s_better at equal margins
    return max(0.0, rows[worse].spend - total * ratio / (1 + ratio))


def _marginal_findings(plan: Forecast, gap_ratio: float) -> list[Finding]:
    base, high = plan.base, plan.high
    interval, interval_zh = _interval_text(plan)
    # The lines with spend, with the next ¥'s return in the base, low and high case (None only at zero
    # spend, which is the same spend in all three).
    active: list[tuple[LineForecast, float, float, float]] = []
    for line in FUNNEL_LINES:
        margin, low_margin, high_margin = (case.line(line).marginal_roas for case in (base, plan.low, high))
        if margin is not None and low_margin is not None and high_margin is not None:
            active.append((base.line(line), margin, low_margin, high_margin))
    findings: list[Finding] = []
    if not active:
        return findings
    best, best_margin = max(((row, margin) for row, margin, _, _ in active), key=lambda pair: pair[1])
    for row, margin, low_margin, high_margin in active:
        label, label_zh = _LABELS_EN[row.line], LINE_LABELS_ZH[row.line]
        span = f"¥{low_margin:.2f}–¥{high_margin:.2f}"
        # A line is called past its flattening point, or below break-even, only when the upper bound of its
        # next ¥'s return is: within the interval the evidence does not say so.
        if high_margin < 1:
            flat = high.line(row.line).flattening_spend
            where = f" Beyond {_yuan(flat)} on this line the next ¥ returns less than ¥1 even at the top of {interval}; " \
                    f"the plan spends {_yuan(row.spend)}." if flat is not None else ""
            where_zh = f"即使按{interval_zh}上限，该渠道超过{_yuan(flat)}后每多投¥1回报不足¥1，计划投入{_yuan(row.spend)}。" \
                if flat is not None else ""
            findings.append(Finding(
                "past_flattening", "high", row.line,
                f"{label}: past the point where returns flatten, the next ¥ returns {span} of revenue ({interval}, "
                f"base ¥{margin:.2f}).{where}",
                f"{label_zh}已过收益拐点：每多投¥1只带来{span}销售额（{interval_zh}，基准¥{margin:.2f}）。{where_zh}",
                {"marginal_roas": margin, "high_marginal_roas": high_margin,
                 "flattening_spend": flat if flat is not None else math.nan, "spend": row.spend},
            ))
        elif high_margin < high.breakeven_roas:
            findings.append(Finding(
                "marginal_below_breakeven", "medium", row.line,
                f"{label}: the next ¥ returns {span} of revenue ({interval}, base ¥{margin:.2f}), below the break-even "
                f"ROAS 1:{high.breakeven_roas:.2f} even at the top: it adds sales but loses money after cost of goods "
                "and commission.",
                f"{label_zh}：每多投¥1带来{span}销售额（{interval_zh}，基准¥{margin:.2f}），即使按上限也低于盈亏平衡投产比"
                f"1:{high.breakeven_roas:.2f}：能增加销售额，但扣除成本和佣金后亏损。",
                {"marginal_roas": margin, "high_marginal_roas": high_margin, "breakeven_roas": high.breakeven_roas,
                 "spend": row.spend},
            ))
        if row.line != best.line and margin < gap_ratio * best_margin:
            move = _equalising_move(plan, row.line, best.line)
            best_label = _LABELS_IN_TEXT[best.line]
            findings.append(Finding(
                "marginal_gap", "medium", row.line,
                f"{label}: the next ¥ returns ¥{margin:.2f}, {_pct(margin / best_margin)} of the "
                f"¥{best_margin:.2f} it returns on {best_label}; moving about {_yuan(move)} from this line "
                "to that one would make their marginal returns equal.",
                f"{label_zh}：每多投¥1带来¥{margin:.2f}，仅为{LINE_LABELS_ZH[best.line]}（¥{best_margin:.2f}）的"
                f"{_pct_zh(margin / best_margin)}；从该渠道移约{_yuan(move)}到{LINE_LABELS_ZH[best.line]}可使两者边际回报相等。",
                {"marginal_roas": margin, "best_marginal_roas": best_margin,
                 "ratio": margin / best_margin, "move": move},
            ))
    return findings


def recommend(plan: Forecast, gap_ratio: float = 0.5) -> tuple[Finding, ...]:
    """Plain-language findings about a forecast plan, in English and Chinese, most severe first.

    Parameters
    ----------
    plan : Forecast
        A forecast (:func:`~xhsxl.core.planner.forecast`).
    gap_ratio : float, optional
        A line is flagged when its next ¥ returns less than this fraction of the best line's, in (0, 1]
        (default 0.5, "far below").

    Returns
    -------
    tuple of Finding
        Sorted by severity (high, medium, info), then in the order found; ``plan_ok`` when nothing high or
        medium was found. Codes and their conditions: the module doc.

    Notes
    -----
    Break-even: profit ROI < 0, i.e. ROAS < 1 / ((1 − refund) · margin − commission · (1 − σ)), judged at the
    interval's upper end for a loss and at its lower end for "break-even lies inside". Marginal
    return of line i: e · revenueᵢ / spendᵢ at the planned spend (base case). The move that equalises two
    lines' marginal returns keeps their sum: with revenueᵢ = Kᵢ · sᵢ^e, s_worse / s_better =
    (K_worse / K_better)^(1/(1−e)).

    References
    ----------
    000: "Recommendation: Enter your campaign details above to receive a customized recommendation"; the tier,
    content and reserve ranges. 003, Minefield 2: "The more budget, the better the effect" is the minefield.

    Examples
    --------
    >>> from xhsxl.core.planner.funnel import forecast
    >>> plan = forecast({"mid": 400_000, "micro": 20_000, "content_production": 30_000})
    >>> [finding.code for finding in recommend(plan)][:3]
    ['low_case_loss', 'share_out_of_range', 'share_out_of_range']
    >>> gap = next(f for f in recommend(plan) if f.code == "marginal_gap")
    >>> print(gap.message_en)
    Mid-tier creators: the next ¥ returns ¥1.81, 39.0 % of the ¥4.65 it returns on micro creators (KOC); moving about ¥190,000 from this line to that one would make their marginal returns equal.
    >>> print(gap.message_zh)
    腰部达人：每多投¥1带来¥1.81，仅为初级达人/KOC（¥4.65）的39.0%；从该渠道移约¥190,000到初级达人/KOC可使两者边际回报相等。
    """
    if not isinstance(plan, Forecast):
        raise XhsInputError(f"plan must be a Forecast (got {describe(plan)})")
    ratio = single_number(gap_ratio, "gap_ratio", gt=0, le=1)
    findings = _profit_findings(plan) + _share_findings(plan) + _marginal_findings(plan, ratio)
    if not any(f.severity in ("high", "medium") for f in findings):
        base = plan.base
        findings.append(Finding(
            "plan_ok", "info", None,
            f"No issue found: the shares are in range, the base case earns a profit ROI of {_pct(base.profit_roi)} "
            f"(ROAS 1:{base.roas:.2f} against break-even 1:{base.breakeven_roas:.2f}), and every line's next ¥ "
            "returns at least half of the best line's and more than break-even.",
            f"未发现问题：各项占比在建议范围内，基准情形利润回报率{_pct_zh(base.profit_roi)}"
            f"（投产比1:{base.roas:.2f}，盈亏平衡点1:{base.breakeven_roas:.2f}），各渠道边际回报均高于盈亏平衡点。",
            {"profit_roi": base.profit_roi, "roas": base.roas, "breakeven_roas": base.breakeven_roas},
        ))
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return tuple(sorted(findings, key=lambda f: order[f.severity]))


def findings_column(findings: Sequence[Finding], rows: int = RECOMMENDATION_ROWS, language: str = "en") -> list[list[str]]:
    """Findings as a fixed-size column for Excel: a header row, then exactly ``rows`` rows padded with "".

    Each row reads "[severity] message". When there are more findings than rows, the last row says how
    many more there are.

    >>> column = findings_column([Finding("plan_ok", "info", None, "All good.", "一切正常。")], rows=3)
    >>> column
    [['Recommendations'], ['[info] All good.'], [''], ['']]
    >>> findings_column([Finding("plan_ok", "info", None, "All good.", "一切正常。")], rows=2, language="zh")[:2]
    [['建议'], ['[提示] 一切正常。']]
    """
    key = _language(language)
    count = int(rows)
    if count < 1:
        raise XhsInputError(f"rows must be at least 1 (got {describe(rows)})")
    header = {"en": "Recommendations", "zh": "建议", "both": "Recommendations / 建议"}[key]

    def text(finding: Finding) -> str:
        tag = {"en": finding.severity, "zh": _SEVERITY_ZH[finding.severity],
               "both": f"{finding.severity} {_SEVERITY_ZH[finding.severity]}"}[key]
        return f"[{tag}] {finding.message(key)}"

    lines = [text(finding) for finding in findings]
    if len(lines) > count:
        hidden = len(lines) - count + 1
        more = {"en": f"… and {hidden} more findings", "zh": f"……另有{hidden}条建议",
                "both": f"… and {hidden} more findings / ……另有{hidden}条建议"}[key]
        lines = lines[:count - 1] + [more]
    return [[header]] + [[line] for line in lines] + [[""] for _ in range(count - len(lines))]

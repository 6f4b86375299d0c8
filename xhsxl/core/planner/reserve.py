"""Reserve reallocation: move the held-back budget to the lines that return most, at 24 h, 72 h and 7 days.

Article 000: "Reserve 15-20% of your budget for mid-campaign optimization. Establish performance benchmarks at
24-hour, 72-hour, and 7-day intervals … Reallocate reserved budget to amplify the most effective campaign
elements." :func:`reallocate` does the last step with arithmetic instead of judgement:

1. Each line's results so far (cumulative spend and a cumulative result — revenue, conversions or
   engagements — at each checkpoint) give it a power curve ``result = k · spend^e``: through the latest
   checkpoint with the default elasticity (article 003's ≈ 0.686) when there is one checkpoint, or with the
   elasticity fitted by least squares on ln result against ln spend when there are two or more at different
   spends (then clipped to [``min_elasticity``, 1]: early data can look flat or accelerating).
2. The reserve R goes where the next ¥ returns most: maximise Σ kᵢ·(bᵢ + xᵢ)^eᵢ over the extra amounts xᵢ with
   Σ xᵢ = R and 0 ≤ xᵢ ≤ capᵢ, where bᵢ is what the line spends anyway (its planned budget when given, else
   its spend so far). The curves are concave, so the optimum equalises the marginal returns of every line no
   cap holds (KKT) — solved exactly by :mod:`xhsxl.core.allocation`'s optimiser with each line's amount
   bounded below by bᵢ and above by bᵢ + capᵢ.
3. The amounts are made to add up to R exactly (``sum(amounts) == R`` in floating point, in any order), the
   rounding going to a line no cap holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from xhsxl.core.allocation import TierCurve, did_you_mean, exact_parts, solve_concave
from xhsxl.core.errors import XhsInputError
from xhsxl.core.figures import DEFAULT_ELASTICITY
from xhsxl.core.validate import describe, numeric, single_number

__all__ = ["REALLOCATION_TABLE_HEADER", "ReserveLine", "Reallocation", "reallocate"]

_TOO_LARGE = ("the amounts are too large or too small to reallocate in floating point; check the units (¥ amounts "
              "of spend, reserve and caps)")

#: Header of :meth:`Reallocation.table`.
REALLOCATION_TABLE_HEADER: tuple[str, ...] = (
    "line", "checkpoint_hours", "spend_so_far", "result_so_far", "base_spend", "elasticity", "curve",
    "return_per_yuan", "marginal_before", "cap", "amount", "share_of_reserve", "marginal_after", "expected_gain",
    "binding",
)


@dataclass(frozen=True)
class ReserveLine:
    """One line of a reallocation.

    ``checkpoint_hours``, ``spend_so_far`` and ``result_so_far`` are the latest checkpoint (None before the
    first); ``curve`` is "fitted", "default" or "no results"; ``marginal_before`` / ``marginal_after`` the
    result of the next ¥ at the base spend and after the extra ``amount``; ``expected_gain`` the result the
    amount is expected to add; ``binding`` "cap" when the cap stops the line, "none" when its next ¥ is worth
    less than the reserve's marginal return even before any extra, else None.
    """

    line: str
    checkpoint_hours: float | None
    spend_so_far: float | None
    result_so_far: float | None
    base_spend: float | None
    elasticity: float | None
    curve: str
    return_per_yuan: float | None
    marginal_before: float | None
    cap: float
    amount: float
    share_of_reserve: float
    marginal_after: float | None
    expected_gain: float
    binding: str | None

    def row(self) -> list[Any]:
        return [getattr(self, column) for column in REALLOCATION_TABLE_HEADER]


@dataclass(frozen=True)
class Reallocation:
    """The reserve split over the lines; ``sum(amounts) == reserve`` exactly."""

    reserve: float
    metric: str
    lines: tuple[ReserveLine, ...]
    multiplier: float | None
    expected_gain: float

    def amounts(self) -> dict[str, float]:
        """Extra ¥ per line."""
        return {line.line: line.amount for line in self.lines}

    def table(self) -> list[list[Any]]:
        """Header ``REALLOCATION_TABLE_HEADER``, one row per line (in the order given), then a "total" row
        whose ``marginal_after`` is the common marginal return of the lines no cap holds."""
        spent = [line.spend_so_far for line in self.lines if line.spend_so_far is not None]
        results = [line.result_so_far for line in self.lines if line.result_so_far is not None]
        bases = [line.base_spend for line in self.lines if line.base_spend is not None]
        total_spent = math.fsum(spent) if spent else None
        total_result = math.fsum(results) if results else None
        return [list(REALLOCATION_TABLE_HEADER)] + [line.row() for line in self.lines] + [[
            "total", None, total_spent, total_result, math.fsum(bases) if bases else None, None, None,
            total_result / total_spent if total_spent and total_result is not None else None, None, None,
            self.reserve, 1.0, self.multiplier, self.expected_gain, None,
        ]]


def _names(line: Any) -> list[str]:
    if isinstance(line, (str, bytes)) or not isinstance(line, (Sequence, np.ndarray)):
        raise XhsInputError(f"line must be a list of line names, one per checkpoint row (got {describe(line)})")
    names = []
    for index, name in enumerate(line, start=1):
        if isinstance(name, (int, float)) and not isinstance(name, bool):
            name = describe(float(name))
        if not isinstance(name, str) or not name.strip():
            raise XhsInputError(f"line must name the line of every checkpoint row (row {index}: {describe(name)})")
        names.append(name.strip())
    return names


def _amount_map(value: Any, name: str, known: dict[str, str]) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise XhsInputError(f"{name} must map line names to ¥ amounts (got {describe(value)})")
    result = {}
    for line, amount in value.items():
        key = str(line).strip().lower()
        if key not in known:
            raise XhsInputError(f"{name} names line {describe(line)}, which has no checkpoint rows "
                                f"(lines: {', '.join(known.values())})"
                                + (f"; {hint}" if (hint := did_you_mean(key, list(known))) else ""))
        if amount is None:
            continue
        result[known[key]] = single_number(amount, f"{name} for {known[key]}", ge=0)
    return result


def _fitted_elasticity(spends: np.ndarray, results: np.ndarray) -> float | None:
    usable = results > 0
    if usable.sum() < 2 or np.ptp(np.log(spends[usable])) == 0:
        return None
    x, y = np.log(spends[usable]), np.log(results[usable])
    x_centred = x - x.mean()
    return float(x_centred @ (y - y.mean()) / (x_centred @ x_centred))


def reallocate(
    line: Sequence[str],
    spend: Any,
    result: Any,
    reserve: float,
    hours: Any = None,
    caps: Mapping[str, float] | None = None,
    planned: Mapping[str, float] | None = None,
    elasticity: float = DEFAULT_ELASTICITY.value,
    metric: str = "revenue",
    min_elasticity: float = 0.05,
    lines_order: Sequence[str] | None = None,
) -> Reallocation:
    """Split the reserve over the lines with the highest marginal return under curves fitted to checkpoints.

    Parameters
    ----------
    line : sequence of str
        The line of each checkpoint row (any labels: "mid", "paid_ads", a creator's name; matched
        case-insensitively).
    spend : array_like
        Cumulative spend of the line up to the checkpoint, ¥ (≥ 0; rows with 0 are "not started" and skipped).
    result : array_like
        Cumulative result up to the checkpoint (≥ 0), in the unit of ``metric``.
    reserve : float
        The reserve to split, ¥ (> 0).
    hours : array_like, optional
        Hours since launch of each checkpoint (> 0; 24, 72, 168 in article 000). Orders each line's rows
        (default: the order given); spend must not fall from one checkpoint to the next.
    caps : mapping of line to ¥, optional
        Most extra ¥ a line may receive (≥ 0; default the whole reserve). Caps must leave room for the reserve.
    planned : mapping of line to ¥, optional
        What the line will have spent anyway by the end (≥ its spend so far). The reserve's return is measured
        on top of it; by default on top of the spend so far.
    elasticity : float, optional
        Curve elasticity for lines with one usable checkpoint, in (0, 1] (default 003's ≈ 0.686).
    metric : str, optional
        Name of the result ("revenue", "conversions", "engagements"), for labels (default "revenue").
    min_elasticity : float, optional
        Lower clip of a fitted elasticity, in (0, 1] (default 0.05).
    lines_order : sequence of str, optional
        Every line to report, in order, including lines with no checkpoint rows yet (they receive nothing).
        Default: the lines of ``line`` in order of first appearance.

    Returns
    -------
    Reallocation
        Per line: latest checkpoint, curve, marginal returns before and after, cap, the extra ``amount``,
        its expected gain; ``sum(r.amount for r in result.lines) == reserve`` exactly.

    Raises
    ------
    XhsInputError
        No line has results, the caps add up to less than the reserve, a line's spend falls between
        checkpoints, a checkpoint is given twice, or an argument is out of range.

    Notes
    -----
    Curve of line i: ``fᵢ(s) = kᵢ · s^eᵢ`` with ``kᵢ = resultᵢ / spendᵢ^eᵢ`` at its latest checkpoint. The
    extra amounts maximise ``Σ fᵢ(bᵢ + xᵢ)`` subject to ``Σ xᵢ = R``, ``0 ≤ xᵢ ≤ capᵢ``: every line no bound
    holds ends at the same marginal return ``fᵢ′(bᵢ + xᵢ) = λ`` (``multiplier``). A line with more result per
    ¥ at the same spend has a larger kᵢ and so receives more.

    References
    ----------
    000, "Data-Driven Budget Reallocation": "Reserve 15-20% … performance benchmarks at 24-hour, 72-hour, and
    7-day intervals … Reallocate reserved budget to amplify the most effective campaign elements." 003,
    Minefield 2 (the default elasticity).

    Examples
    --------
    Two lines with the same spend, one with 1.5 times the revenue: the better one takes most of the reserve,
    until the next ¥ returns the same on both.

    >>> plan = reallocate(["mid", "micro"], [50_000, 50_000], [150_000, 100_000], 80_000, elasticity=0.5)
    >>> [round(line.amount) for line in plan.lines], round(plan.multiplier, 4)
    ([74615, 5385], 0.9501)
    >>> sum(line.amount for line in plan.lines) == 80_000
    True
    >>> plan = reallocate(["mid", "micro"], [50_000, 50_000], [200_000, 100_000], 80_000, caps={"mid": 30_000})
    >>> [line.amount for line in plan.lines], plan.lines[0].binding
    ([30000.0, 50000.0], 'cap')
    """
    names = _names(line)
    count = len(names)
    if count == 0:
        raise XhsInputError("line must have at least one checkpoint row")
    spend_ = numeric(spend, "spend", ge=0).reshape(-1)
    result_ = numeric(result, "result", ge=0).reshape(-1)
    for array, column in ((spend_, "spend"), (result_, "result")):
        if array.size != count:
            raise XhsInputError(f"{column} must have one value per checkpoint row ({count}), got {array.size}")
    hours_ = None if hours is None else numeric(hours, "hours", gt=0).reshape(-1)
    if hours_ is not None and hours_.size != count:
        raise XhsInputError(f"hours must have one value per checkpoint row ({count}), got {hours_.size}")
    amount = single_number(reserve, "reserve", gt=0)
    default_e = single_number(elasticity, "elasticity", gt=0, le=1)
    floor_e = single_number(min_elasticity, "min_elasticity", gt=0, le=1)
    label = metric.strip() if isinstance(metric, str) and metric.strip() else None
    if label is None:
        raise XhsInputError(f"metric must name the result, e.g. 'revenue' (got {describe(metric)})")

    known: dict[str, str] = {}
    for name in list(lines_order or []) + names:
        if isinstance(name, str) and name.strip():
            known.setdefault(name.strip().lower(), name.strip())
        else:
            raise XhsInputError(f"lines_order must list line names (got {describe(name)})")
    cap_of = _amount_map(caps, "caps", known)
    planned_of = _amount_map(planned, "planned", known)

    # The rows of each line, in checkpoint order.
    rows_of: dict[str, list[int]] = {name: [] for name in known.values()}
    for index, name in enumerate(names):
        rows_of[known[name.lower()]].append(index)
    if hours_ is not None:
        for name, rows in rows_of.items():
            rows.sort(key=lambda i: hours_[i])
            seen = [hours_[i] for i in rows]
            if len(set(seen)) != len(seen):
                raise XhsInputError(f"line {name} has two checkpoints at the same hour; give each checkpoint once")

    curves: list[TierCurve | None] = []
    facts: list[dict[str, Any]] = []
    for position, (name, rows) in enumerate(rows_of.items()):
        started = [i for i in rows if spend_[i] > 0]
        for earlier, later in zip(started, started[1:]):
            if spend_[later] < spend_[earlier]:
                when = f" ({describe(hours_[earlier])} h → {describe(hours_[later])} h)" if hours_ is not None else ""
                raise XhsInputError(
                    f"spend of line {name} falls from {describe(spend_[earlier])} to {describe(spend_[later])}{when}: "
                    "give cumulative spend and results up to each checkpoint"
                )
        fact: dict[str, Any] = {"line": name, "hours": None, "spend": None, "result": None, "base": None,
                                "elasticity": None, "curve": "no results", "average": None}
        curve = None
        if started:
            last = started[-1]
            spent, got = float(spend_[last]), float(result_[last])
            fact.update(hours=float(hours_[last]) if hours_ is not None else None, spend=spent, result=got,
                        average=got / spent)
            base = planned_of.get(name, spent)
            if base < spent:
                raise XhsInputError(f"planned for {name} ({describe(base)}) must be at least its spend so far "
                                    f"({describe(spent)})")
            fact["base"] = base
            if got > 0:
                fitted = _fitted_elasticity(spend_[started], result_[started])
                e = default_e if fitted is None else min(1.0, max(floor_e, fitted))
                with np.errstate(all="ignore"):
                    scale = got / spent ** e
                if not math.isfinite(scale) or scale <= 0:
                    raise XhsInputError(f"the results of line {name} are too large or too small to fit a curve; "
                                        "check the units")
                curve = TierCurve(f"line {position + 1}", "power", scale, e)
                fact.update(elasticity=e, curve="default" if fitted is None else "fitted")
        curves.append(curve)
        facts.append(fact)

    caps_ = [min(cap_of.get(fact["line"], amount), amount) if curve is not None else 0.0
             for fact, curve in zip(facts, curves)]
    eligible_curves = {i: curve for i, curve in enumerate(curves) if curve is not None and caps_[i] > 0}
    eligible = list(eligible_curves)
    if not eligible:
        raise XhsInputError(
            "no line has results to reallocate to yet (every line has 0 spend or 0 result, or a cap of 0); "
            "reallocate after the first checkpoint"
        )
    try:
        room = math.fsum(caps_[i] for i in eligible)
        whole = math.fsum(facts[i]["base"] for i in eligible) + amount
    except OverflowError:
        room = whole = math.inf
    if not math.isfinite(whole):
        raise XhsInputError(_TOO_LARGE)
    if room < amount * (1 - 1e-12):
        raise XhsInputError(
            f"the caps of the lines with results add up to {room:,.2f}, less than the reserve {amount:,.2f}: raise a "
            "cap or reallocate less"
        )

    lows = [facts[i]["base"] for i in eligible]
    highs = [facts[i]["base"] + caps_[i] for i in eligible]
    try:
        solved, multiplier = solve_concave([eligible_curves[i] for i in eligible], lows, highs, whole)
    except (OverflowError, ZeroDivisionError, ValueError):  # brentq refuses a bracket that overflowed
        raise XhsInputError(_TOO_LARGE) from None
    if not all(math.isfinite(value) for value in solved):
        raise XhsInputError(_TOO_LARGE)
    extras = [0.0] * len(facts)
    for i, value, low in zip(eligible, solved, lows):
        extras[i] = min(caps_[i], max(0.0, value - low))
    tolerance = 1e-9 * amount
    # The solver works on base + extra, so each extra carries the rounding of its base spend (and the root's
    # tolerance). Spread that residue within the caps — over lines strictly inside their bounds first — so
    # that the exact split below only moves the last ulps.
    residual = amount - math.fsum(extras)
    inside = [i for i in eligible if 0.0 < extras[i] < caps_[i]]
    if residual > 0:
        order = sorted(inside, key=lambda i: -extras[i]) + sorted(
            (i for i in eligible if extras[i] == 0.0), key=lambda i: -eligible_curves[i]._slope(facts[i]["base"]))
    else:
        order = sorted(inside, key=lambda i: -extras[i]) + sorted(
            (i for i in eligible if extras[i] >= caps_[i]), key=lambda i: -extras[i])
    for i in order:
        if residual == 0.0:
            break
        move = min(residual, caps_[i] - extras[i]) if residual > 0 else -min(-residual, extras[i])
        extras[i] += move
        residual = amount - math.fsum(extras)
    absorb = max(inside or eligible, key=lambda i: extras[i])
    exact = exact_parts(extras, amount, absorb)
    if exact[absorb] < 0:  # a residue larger than the absorbing line's share: give it to the largest line
        exact = exact_parts(extras, amount, max(eligible, key=lambda i: extras[i]))

    result_lines = []
    gains = []
    for i, (fact, curve) in enumerate(zip(facts, curves)):
        extra = exact[i]
        if curve is None:
            gain, before, after, binding = 0.0, None, None, None
        else:
            base = fact["base"]
            before = curve._slope(base)
            after = curve._slope(base + extra)
            gain = curve._value(base + extra) - curve._value(base)
            binding = "cap" if extra >= caps_[i] - tolerance else ("none" if extra <= tolerance else None)
        gains.append(gain)
        result_lines.append(ReserveLine(
            line=fact["line"], checkpoint_hours=fact["hours"], spend_so_far=fact["spend"],
            result_so_far=fact["result"], base_spend=fact["base"], elasticity=fact["elasticity"], curve=fact["curve"],
            return_per_yuan=fact["average"], marginal_before=before, cap=caps_[i], amount=extra,
            share_of_reserve=extra / amount, marginal_after=after, expected_gain=gain, binding=binding,
        ))
    if all(line.binding is not None for line in result_lines if line.elasticity is not None):
        multiplier = None
    return Reallocation(reserve=amount, metric=label, lines=tuple(result_lines), multiplier=multiplier,
                        expected_gain=math.fsum(gains))

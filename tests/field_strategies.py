"""Hypothesis strategies for whole campaigns, built from :data:`xhsxl.schema.FIELDS`: every field is drawn from
its unit and bounds, so a field added to the schema is drawn by every property test without editing one.

Only the campaign-level rules are known here by name: the costs add up to more than 0, the creator tier shares
(``tier_shares``) to 100 %, the budget-line shares (``line_shares``) to at most 100 %. ``REALISTIC`` narrows a
few ranges to what analysts type (a 99 % refund rate is valid and tested elsewhere, but makes every other
number of a random campaign n/a).
"""

from __future__ import annotations

from hypothesis import strategies as st

from xhsxl.schema import FIELDS, SPANS, ClientCampaign

#: Narrower ranges than the schema allows, by field key: (low, high).
REALISTIC: dict[str, tuple[float, float]] = {
    "refund_rate": (0.0, 0.5), "commission_rate": (0.0, 0.3), "retention_rate": (0.0, 0.99),
    "discount_rate": (0.0, 0.2), "orders_per_month": (0.0, 5.0), "planned_budget": (1_000.0, 1e8),
}
#: The largest value drawn per unit where the schema sets no upper bound.
_CEILING = {"CNY": 5e7, "CNY per action": 50.0, "count": 1e8, "ratio": 20.0, "elasticity": 1.0, "months": 60.0,
            "days": 365.0, "fraction": 1.0, "rate": 1.0}
#: The smallest value drawn where the schema's lower bound is exclusive or absent (a ratio of 1e-300 is no ratio).
_FLOOR = {"ratio": 0.1, "elasticity": 0.2, "months": 1.0}

TEXT = st.characters(blacklist_categories=("Cc", "Cs"))


def percent(low: float, high: float) -> st.SearchStrategy[float]:
    """Rates as analysts type them, to 0.01 % (a margin of 1e-300 is not a margin)."""
    return st.integers(round(low * 10_000), round(high * 10_000)).map(lambda n: n / 10_000)


def field_values(f) -> st.SearchStrategy:
    """Valid values of one field, from its unit and bounds."""
    if f.unit == "text":
        if f.required:
            return st.text(TEXT, min_size=1, max_size=30).filter(str.strip)
        return st.text(TEXT, max_size=20) | st.sampled_from([" spaced ", "a & b <c>", "=1+1", "618 大促"])
    if f.unit == "stage":
        return st.sampled_from([*f.choices, "冷启动", "成长期", "成熟期"])
    low = f.gt if f.gt is not None else (f.ge if f.ge is not None else 0.0)
    low = max(low, _FLOOR.get(f.unit, low))
    high = min(f.le if f.le is not None else _CEILING[f.unit], _CEILING[f.unit])
    low, high = REALISTIC.get(f.key, (low, high))
    if f.integer:
        values = st.integers(int(low), int(high)).map(float)
    elif f.unit in ("fraction", "rate"):
        values = percent(low, high)
    elif f.unit == "count":  # fractional counts (attributed conversions): none, or at least half of one
        values = st.just(0.0) | st.floats(max(low, 0.5), high)
    else:
        values = st.floats(low, high)
    return st.none() | values if f.default is None and not f.required else values


@st.composite
def campaigns(draw, fields=FIELDS, max_cost: float = 5e6) -> ClientCampaign:
    """A valid campaign with every field of ``fields`` drawn."""
    data = {}
    costs = [f.key for f in fields if f.group == "costs"]
    tiers, lines = SPANS["tier_shares"], SPANS["line_shares"]
    for f in fields:
        if f.key not in costs and f.key not in tiers and f.key not in lines:
            data[f.key] = draw(field_values(f))
    amounts = draw(st.lists(st.floats(0, max_cost), min_size=len(costs), max_size=len(costs))
                   .filter(lambda xs: sum(xs) > 100))
    data.update(zip(costs, amounts))
    weights = draw(st.lists(st.integers(1, 100), min_size=len(tiers), max_size=len(tiers)))
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1 - sum(shares[:-1])
    data.update(zip(tiers, shares))
    data.update(zip(lines, draw(st.lists(percent(0, 1 / len(lines)), min_size=len(lines), max_size=len(lines)))))
    return ClientCampaign.model_validate(data)

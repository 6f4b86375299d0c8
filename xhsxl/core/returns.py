"""What a campaign returns beyond direct sales, and the blended return that weighs it all.

Article 000 lists five return components (direct sales, cross-platform conversions, new customers valued
at CLV, engagement value, brand equity) and says successful campaigns "apply weighted values to these
different return components"; article 001 asks to "combine these metrics into a blended ROI". This module
is that calculation, with each component's share reported so the number can be defended line by line.

Two overlaps are excluded by construction, and the docs say so:

- *New customers × CLV* must use CLV of **future** orders only (the default of
  :func:`xhsxl.core.clv.clv_retention`): the first order is already in direct or cross-platform sales.
- *Earned-media value* often already prices the engagements; when it does, give engagement a weight of 0
  (or leave the per-action values at 0) so the same saves are not paid for twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import ArrayLike, fraction, numeric, scalar_or_array

__all__ = [
    "ENGAGEMENT_ACTIONS",
    "RETURN_COMPONENTS",
    "engagement_value",
    "earned_media_value",
    "BlendedReturn",
    "blended_return",
    "blended_roi",
]


#: Engagement actions in the order every per-action array uses (Juguang's 互动量 components).
ENGAGEMENT_ACTIONS: tuple[str, ...] = ("likes", "saves", "comments", "shares", "follows")

#: The blended-return components in order, with their display labels (English, Chinese).
RETURN_COMPONENTS: dict[str, tuple[str, str]] = {
    "direct": ("Direct sales", "站内直接销售"),
    "cross_platform": ("Incremental cross-platform sales", "站外增量销售"),
    "new_customers": ("New customers × CLV", "新客户终身价值"),
    "engagement": ("Engagement value", "互动价值"),
    "brand": ("Brand / earned-media value", "品牌价值"),
}


def engagement_value(counts: ArrayLike, unit_values: ArrayLike, weights: ArrayLike = None) -> float | np.ndarray:
    """Money value of a campaign's engagements: Σ count × value per action × weight.

    Parameters
    ----------
    counts : array_like, shape (..., k)
        Engagement counts per action, last axis in the order of :data:`ENGAGEMENT_ACTIONS`
        (likes, saves, comments, shares, follows) or any k actions matching ``unit_values``.
    unit_values : array_like, shape (k,)
        ¥ value of one action of each kind (≥ 0), e.g. what a save is worth from its link to later sales.
    weights : array_like, shape (k,), optional
        Confidence weight per action in [0, 1]; default 1 for all.

    Returns
    -------
    float or ndarray
        ¥ value, one per campaign (the last axis is summed).

    References
    ----------
    000: "Engagement Value: Monetary value assigned to interactions like saves (收藏), comments, and
    follows, based on their correlation with future sales."

    Examples
    --------
    >>> engagement_value([100_000, 20_000, 5_000, 2_000, 1_000], [0.1, 2, 1, 1.5, 5])
    63000.0
    >>> engagement_value([100_000, 20_000, 5_000, 2_000, 1_000], [0.1, 2, 1, 1.5, 5], [0, 1, 1, 1, 1])
    53000.0
    """
    counts = numeric(counts, "counts", ge=0)
    values = numeric(unit_values, "unit_values", ge=0)
    if counts.ndim == 0:
        counts = counts.reshape(1)
    if values.ndim != 1:
        values = values.ravel()
    k = values.shape[0]
    if counts.shape[-1] != k:
        raise XhsInputError(
            f"counts must have one value per action ({k}, matching unit_values) but has {counts.shape[-1]}"
        )
    weight = np.ones(k) if weights is None else fraction(weights, "weights").ravel()
    if weight.shape[0] != k:
        raise XhsInputError(f"weights must have one value per action ({k}) but has {weight.shape[0]}")
    return scalar_or_array(np.sum(counts * values * weight, axis=-1))


def earned_media_value(
    impressions: ArrayLike,
    cpm_benchmark: ArrayLike,
    engagement_count: ArrayLike = 0.0,
    cpe_benchmark: ArrayLike = 0.0,
) -> float | np.ndarray:
    """Earned-media value: what buying the same reach (and engagements) as ads would have cost, ¥.

    Parameters
    ----------
    impressions : array_like
        Organic impressions earned (≥ 0).
    cpm_benchmark : array_like
        Paid CPM the reach is priced at, ¥ per 1,000 impressions (≥ 0).
    engagement_count : array_like, optional
        Organic engagements to price as well (≥ 0).
    cpe_benchmark : array_like, optional
        Paid cost per engagement, ¥ (≥ 0). Leave 0 when engagement value is counted separately.

    Notes
    -----
    ``impressions / 1000 × cpm_benchmark + engagements × cpe_benchmark``.

    References
    ----------
    000: "Brand Equity Growth: Long-term brand value enhancement".

    Examples
    --------
    >>> earned_media_value(2_000_000, 60)
    120000.0
    >>> earned_media_value(2_000_000, 60, 10_000, 2)
    140000.0
    """
    reach = numeric(impressions, "impressions", ge=0) / 1000 * numeric(cpm_benchmark, "cpm_benchmark", ge=0)
    engaged = numeric(engagement_count, "engagements", ge=0) * numeric(cpe_benchmark, "cpe_benchmark", ge=0)
    return scalar_or_array(reach + engaged)


@dataclass(frozen=True)
class BlendedReturn:
    """A blended return with its breakdown; scalar fields for one campaign, arrays for many.

    ``components`` maps each key of :data:`RETURN_COMPONENTS` to its weighted ¥ value.
    """

    components: dict[str, float | np.ndarray]
    raw: dict[str, float | np.ndarray]
    weights: dict[str, float | np.ndarray]
    total: float | np.ndarray
    cost: float | np.ndarray | None

    @property
    def roi(self) -> float | np.ndarray:
        """Blended net ROI, (blended return − cost) / cost; needs a cost."""
        if self.cost is None:
            raise XhsInputError("cost is needed for a blended ROI")
        with np.errstate(over="ignore", invalid="ignore"):  # scalar_or_array refuses an overflow with a message
            return scalar_or_array((np.asarray(self.total) - self.cost) / self.cost)

    def shares(self) -> dict[str, float | np.ndarray]:
        """Each component's share of the blended return (0 when the blended return is 0)."""
        total = np.asarray(self.total, dtype=float)
        safe = np.where(total == 0, 1.0, total)
        return {k: scalar_or_array(np.where(total == 0, 0.0, np.asarray(v) / safe)) for k, v in self.components.items()}

    def table(self) -> list[list[Any]]:
        """Breakdown table with a header row: component, label (中文), value, weight, weighted, share."""
        if np.ndim(self.total) != 0:
            raise XhsInputError("a breakdown table is for one campaign; pass single values, not ranges")
        shares = self.shares()
        rows: list[list[Any]] = [["component", "label", "标签", "value", "weight", "weighted value", "share"]]
        for key, (label_en, label_zh) in RETURN_COMPONENTS.items():
            rows.append(
                [key, label_en, label_zh, float(self.raw[key]), float(self.weights[key]),
                 float(self.components[key]), float(shares[key])]
            )
        rows.append(["total", "Blended return", "综合回报", None, None, float(self.total), 1.0 if self.total else 0.0])
        return rows


def blended_return(
    direct: ArrayLike = 0.0,
    cross_platform: ArrayLike = 0.0,
    new_customers: ArrayLike = 0.0,
    clv: ArrayLike = 0.0,
    engagement: ArrayLike = 0.0,
    brand: ArrayLike = 0.0,
    weights: ArrayLike = None,
    margin: ArrayLike = 1.0,
    cost: ArrayLike = None,
) -> BlendedReturn:
    """Blended return: the weighted sum of the five return components, with its breakdown.

    Parameters
    ----------
    direct : array_like
        Direct sales on Xiaohongshu attributed to the campaign, ¥ (≥ 0).
    cross_platform : array_like
        *Incremental* sales on Tmall, JD or offline (see :func:`xhsxl.core.metrics.incremental_revenue`), ¥.
        May be negative when sales fell over the baseline.
    new_customers : array_like
        New customers acquired (≥ 0).
    clv : array_like
        Future lifetime value per new customer, ¥ (≥ 0), already margin-based; excludes the first order.
    engagement : array_like
        Engagement value, ¥ (≥ 0), see :func:`engagement_value`.
    brand : array_like
        Brand or earned-media value, ¥ (≥ 0), see :func:`earned_media_value`.
    weights : array_like, shape (5,), optional
        Weight of each component in [0, 1], in the order direct, cross-platform, new customers,
        engagement, brand. Default 1 for all.
    margin : array_like, optional
        Gross margin applied to the two *sales* components (direct, cross-platform), in [0, 1]. The
        default 1 keeps them as revenue, like the articles' ROI; CLV, engagement and brand values are
        already money values and are not multiplied.
    cost : array_like, optional
        Campaign cost, ¥ (> 0), for :attr:`BlendedReturn.roi`.

    Returns
    -------
    BlendedReturn

    Notes
    -----
    ``Σ wᵢ × componentᵢ`` where the sales components are ``margin × sales`` and the new-customer component
    is ``new_customers × clv``; blended ROI ``= (blended return − cost) / cost``.

    References
    ----------
    000: "apply weighted values to these different return components". 001: "combines these metrics into
    a blended ROI calculation that reflects both immediate returns and long-term value creation".

    Examples
    --------
    >>> b = blended_return(1_680_000, 0, 3_000, 150, 40_000, 0, cost=450_000)
    >>> b.total
    2170000.0
    >>> round(b.roi, 4)
    3.8222
    >>> round(b.shares()["direct"], 4)
    0.7742
    """
    margin = fraction(margin, "margin")
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below with a message
        customers_value = numeric(new_customers, "new_customers", ge=0) * numeric(clv, "clv", ge=0)
    raw = {
        "direct": numeric(direct, "direct", ge=0),
        "cross_platform": numeric(cross_platform, "cross_platform"),
        "new_customers": customers_value,
        "engagement": numeric(engagement, "engagement", ge=0),
        "brand": numeric(brand, "brand", ge=0),
    }
    if weights is None:
        weight = np.ones(len(RETURN_COMPONENTS))
    else:
        weight = fraction(weights, "weights").ravel()
        if weight.shape[0] != len(RETURN_COMPONENTS):
            raise XhsInputError(
                f"weights must have {len(RETURN_COMPONENTS)} values (direct, cross-platform, new customers, "
                f"engagement, brand) but has {weight.shape[0]}"
            )
    weights_by_key = dict(zip(RETURN_COMPONENTS, weight))
    sales_basis = {"direct", "cross_platform"}
    components = {
        key: (margin * value if key in sales_basis else value) * weights_by_key[key] for key, value in raw.items()
    }
    with np.errstate(over="ignore", invalid="ignore"):
        # Started from a float zero, not sum()'s integer 0, so the total is typed (and is) a float array.
        total = sum(np.broadcast_arrays(*components.values()), np.zeros(()))
    cost_value = None if cost is None else numeric(cost, "cost", gt=0)
    return BlendedReturn(
        components={k: scalar_or_array(v) for k, v in components.items()},
        raw={k: scalar_or_array(v) for k, v in raw.items()},
        weights={k: float(v) for k, v in weights_by_key.items()},
        total=scalar_or_array(total),
        cost=None if cost_value is None else scalar_or_array(cost_value),
    )


def blended_roi(cost: ArrayLike, **components: Any) -> float | np.ndarray:
    """Blended net ROI: (blended return − cost) / cost; ``components`` as in :func:`blended_return`.

    Examples
    --------
    >>> round(blended_roi(680_000, direct=2_164_800, cross_platform=2_755_200), 4)
    6.2353
    """
    return blended_return(cost=cost, **components).roi

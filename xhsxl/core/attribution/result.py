"""What every attribution model returns: credit per channel, and for Markov the chain behind it.

A result is a small frozen object holding numpy arrays (for Python callers) with a :meth:`table` method
that returns a header row and rows of plain Python values — ``str``, ``float`` and ``None`` — which is
exactly the 2-D list an Excel UDF hands back. Absent numbers are ``None`` (a blank cell), never NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

if TYPE_CHECKING:  # only named in annotations; importing scipy would cost every UDF start-up ~0.1 s
    import scipy.sparse

__all__ = ["AttributionResult", "TransitionMatrix", "RESULT_HEADER", "REMOVAL_EFFECTS_HEADER"]

#: Header of :meth:`AttributionResult.table` (what ``XHS_ATTRIBUTION`` returns).
RESULT_HEADER = ("channel", "conversions", "value", "share")
#: Header of :meth:`AttributionResult.removal_effects_table` (what ``XHS_REMOVAL_EFFECTS`` returns).
REMOVAL_EFFECTS_HEADER = ("channel", "removal_effect", "value_removal_effect")


def _plain(array: np.ndarray | None, index: int) -> float | None:
    return None if array is None else float(array[index])


@dataclass(frozen=True, eq=False)
class TransitionMatrix:
    """The estimated Markov chain: states, transition probabilities and the counts they come from.

    ``states`` starts with ``"(start)"`` and ends with ``"(conversion)"`` and ``"(null)"``; a state of an
    order-k chain is named by its channels joined with ``" > "`` (``"kol_mid > search_ads"``).
    ``probabilities`` and ``counts`` are sparse ``len(states)``-square matrices (row = from, column = to);
    the two absorbing states have empty rows.

    ``self_loops`` says whether a channel repeated on consecutive touches stays a transition from a state to
    itself (``True``, repeats kept) or was collapsed before estimation. Self-loops never change
    P(conversion) or removal effects of an order-1 chain (see :func:`~xhsxl.core.attribution.markov`).
    """

    states: tuple[str, ...]
    probabilities: scipy.sparse.csr_array
    counts: scipy.sparse.csr_array
    order: int
    self_loops: bool

    def to_dense(self) -> np.ndarray:
        """The probabilities as a dense ``len(states)``-square array."""
        return self.probabilities.toarray()

    def table(self) -> list[list[Any]]:
        """``[["from", "to", "probability"], ...]``, one row per non-zero transition, as plain values."""
        coo = self.probabilities.tocoo()
        order = np.lexsort((coo.col, coo.row))
        rows: list[list[Any]] = [["from", "to", "probability"]]
        rows.extend(
            [self.states[int(r)], self.states[int(c)], float(p)]
            for r, c, p in zip(coo.row[order], coo.col[order], coo.data[order])
        )
        return rows


@dataclass(frozen=True, eq=False)
class AttributionResult:
    """Credit per channel from one attribution model.

    Attributes
    ----------
    model : str
        The model's name (``"markov"``, ``"linear"``, …).
    channels : tuple of str
        Channel names, in the order of every array below (sorted by name).
    conversions : ndarray
        Conversions credited to each channel; they sum to the table's total conversions.
    value : ndarray or None
        Value (revenue, ¥) credited to each channel; sums to the total value. ``None`` when the input
        carried no values.
    removal_effects, value_removal_effects : ndarray or None
        Markov only: the share of P(conversion) (of expected value) lost when the channel is removed.
    conversion_probability : float or None
        Markov only: probability that a journey starting now ends in a conversion.
    order : int or None
        Markov only: the order of the chain.
    transition_matrix : TransitionMatrix or None
        Markov only, on request.
    details : mapping
        Model parameters and diagnostics (half-life used, sampling error of Monte-Carlo Shapley, …).
    """

    model: str
    channels: tuple[str, ...]
    conversions: np.ndarray
    value: np.ndarray | None
    removal_effects: np.ndarray | None = None
    value_removal_effects: np.ndarray | None = None
    conversion_probability: float | None = None
    order: int | None = None
    transition_matrix: TransitionMatrix | None = None
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float | None:
        return None if self.value is None else float(self.value.sum())

    @property
    def share(self) -> np.ndarray:
        """Each channel's share of the credited conversions (sums to 1)."""
        return self.conversions / self.conversions.sum()

    def credit(self, channel: str) -> float:
        """Conversions credited to one channel (``KeyError`` if the channel is not in the data)."""
        try:
            return float(self.conversions[self.channels.index(channel)])
        except ValueError:
            raise KeyError(channel) from None

    def table(self) -> list[list[Any]]:
        """Header ``["channel", "conversions", "value", "share"]`` and one row per channel, plain values.

        ``value`` is ``None`` (a blank cell) when the input carried no values.
        """
        share = self.share
        rows: list[list[Any]] = [list(RESULT_HEADER)]
        rows.extend(
            [name, float(self.conversions[i]), _plain(self.value, i), float(share[i])]
            for i, name in enumerate(self.channels)
        )
        return rows

    def removal_effects_table(self) -> list[list[Any]]:
        """Header ``["channel", "removal_effect", "value_removal_effect"]`` and one row per channel.

        Only Markov results have removal effects; for any other model this raises ``ValueError``.
        """
        if self.removal_effects is None:
            raise ValueError(f"the {self.model} model has no removal effects; use model='markov'")
        rows: list[list[Any]] = [list(REMOVAL_EFFECTS_HEADER)]
        rows.extend(
            [name, float(self.removal_effects[i]), _plain(self.value_removal_effects, i)]
            for i, name in enumerate(self.channels)
        )
        return rows

    def __repr__(self) -> str:
        lines = [f"AttributionResult(model={self.model!r}" + (f", order={self.order}" if self.order else "") + ")"]
        for name, conversions, share in zip(self.channels, self.conversions, self.share):
            lines.append(f"  {name:<20} {conversions:14.4f}  {share:7.2%}")
        return "\n".join(lines)

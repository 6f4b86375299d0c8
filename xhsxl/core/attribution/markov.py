"""Data-driven attribution by Markov-chain removal effects, of order 1 to 4, solved exactly.

Journeys become walks on a chain ``(start) → states → (conversion) | (null)`` whose transition
probabilities are the observed transition frequencies. A channel's *removal effect* is the share of
conversions lost if its states led to ``(null)`` instead; conversions and value are credited to channels
in proportion to their removal effects (Anderl et al., 2016).

ChannelAttribution, the standard peer, estimates these probabilities by simulating random walks, so its
answers move with the seed and the number of simulations. Here every probability of conversion is an
absorption probability of the chain, found by one sparse (or, for small chains, dense LU) linear solve
per channel — no matrix inverse, no simulation: the same data give the same numbers, to rounding.

The states of an order-k chain follow ChannelAttribution, so results are comparable: a journey of ``n``
touches visits the ``max(1, n − k + 1)`` windows of ``k`` consecutive channels (the whole journey when it
has fewer than ``k`` touches), entering the first window straight from ``(start)``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from xhsxl.core.attribution.heuristics import require_conversions
from xhsxl.core.attribution.paths import MISSING_NON_CONVERSIONS_MESSAGE, MissingNonConversionsWarning, PathTable
from xhsxl.core.attribution.result import AttributionResult, TransitionMatrix
from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe

# scipy.sparse is imported inside the functions that build or solve sparse chains: small chains are dense
# numpy, and importing scipy would cost every UDF start-up ~0.1 s. Only the type checker imports it here.
if TYPE_CHECKING:
    import scipy.sparse

__all__ = ["markov", "select_markov_order", "MarkovOrderSelection", "MAX_ORDER", "MAX_MARKOV_CHANNELS", "ORDER_CRITERIA"]

#: Highest chain order offered. States grow as n_channels**order (6 channels at order 4: up to 1,554
#: states) while the journeys long enough to estimate them get fewer.
MAX_ORDER = 4
#: Most channels :func:`markov` attributes. Each channel's removal effect is one exact sparse solve over
#: all states, so the time grows with channels × states: at order 1, 3,000 channels take ~8 s and 5,000
#: ~16 s; 30,000 would take over ten minutes. Above it, rare channels should be grouped (or a rule-based
#: model used).
MAX_MARKOV_CHANNELS = 5_000
#: Information criteria :func:`select_markov_order` can minimise.
ORDER_CRITERIA = ("bic", "aic")

# Up to this many transient states a dense LU solve (LAPACK gesv) is used. Above it SuperLU wins: the
# chain is sparse (a state has at most n_channels + 2 successors) and, measured on 259 states, a dense
# solve was no faster even single-threaded, and 5-15x slower at 1,555 states.
_DENSE_STATE_LIMIT = 64
# Transition counts are summed with one bincount over a dense (1+S)² grid up to this many cells.
_DENSE_COUNT_CELLS = 4_000_000
# Window keys below this bound are numbered by a presence table instead of a sort.
_DIRECT_KEY_LIMIT = 1 << 22

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


@dataclass(frozen=True, eq=False)
class _Chain:
    """An estimated chain. Transient states: 0 is (start), 1..S the channel windows."""

    order: int
    window_keys: np.ndarray  # (S,) packed channel windows, base n_channels + 1, oldest channel first
    contains: np.ndarray  # (S, n_channels) bool: window s includes channel c
    counts: np.ndarray | scipy.sparse.csr_array  # (1+S, 1+S) transition weights between transient states
    to_conversion: np.ndarray  # (1+S,) weight of transitions into (conversion)
    to_null: np.ndarray  # (1+S,) weight of transitions into (null)
    value_to_conversion: np.ndarray | None  # (1+S,) value carried into (conversion)
    n_journeys: float

    @property
    def n_transient(self) -> int:
        return len(self.to_conversion)

    @property
    def row_total(self) -> np.ndarray:
        counts = self.counts
        leaving = np.asarray(counts.sum(axis=1)).ravel()
        return leaving + self.to_conversion + self.to_null


def _order(order: Any, name: str = "order") -> int:
    if isinstance(order, bool) or not isinstance(order, (int, float, np.integer, np.floating)):
        raise XhsInputError(f"{name} must be a whole number from 1 to {MAX_ORDER} (got {describe(order)})")
    if not float(order).is_integer() or not 1 <= order <= MAX_ORDER:
        raise XhsInputError(f"{name} must be a whole number from 1 to {MAX_ORDER} (got {describe(order)})")
    return int(order)


def _build_chain(paths: PathTable, order: int) -> _Chain:
    """Count the transitions of every journey, vectorised over all windows (memory: a few arrays of them)."""
    weight = paths.conversions + paths.nulls
    if not (weight > 0).all():  # a path with neither conversions nor nulls was never walked
        paths = paths.take(weight > 0)
        weight = weight[weight > 0]
    n_channels = paths.n_channels
    base = n_channels + 1  # digit 0 = no channel (a window of a journey shorter than the order)
    if order * math.log2(base) > 62:
        raise XhsInputError(f"order {order} is too high for {n_channels} channels (the states would not fit)")
    lengths = paths.lengths
    index_type = np.int32 if paths.n_touches < 2**31 else np.int64

    # A journey of L touches has max(1, L − k + 1) windows, ending at touches min(k, L) − 1 … L − 1.
    windows_per_path = np.maximum(lengths - order + 1, 1)
    window_offsets = np.zeros(paths.n_paths + 1, dtype=np.int64)
    np.cumsum(windows_per_path, out=window_offsets[1:])
    n_windows = int(window_offsets[-1])
    journey = np.repeat(np.arange(paths.n_paths, dtype=index_type), windows_per_path)
    key_space = base**order
    key_type = np.int32 if key_space < 2**31 else np.int64
    if order == 1:
        key = paths.touches.astype(key_type) + 1
    else:
        first_window_end = paths.offsets[:-1] + np.minimum(order, lengths) - 1
        window_end = np.arange(n_windows, dtype=np.int64)
        window_end += np.repeat(first_window_end - window_offsets[:-1], windows_per_path)
        window_length = np.repeat(np.minimum(order, lengths).astype(key_type), windows_per_path)
        key = np.zeros(n_windows, dtype=key_type)
        for lag in range(order - 1, -1, -1):  # oldest channel of the window first
            source_touch = window_end - lag
            np.maximum(source_touch, 0, out=source_touch)  # masked below when it falls before the journey
            digit = paths.touches[source_touch].astype(key_type) + 1
            digit[window_length <= lag] = 0  # the window of a short journey has fewer channels
            key *= base
            key += digit
        del window_end, window_length, digit, source_touch

    if key_space <= _DIRECT_KEY_LIMIT:  # number the windows in key order without sorting
        present = np.bincount(key, minlength=key_space) > 0
        window_keys = np.flatnonzero(present)
        number = (np.cumsum(present) - 1).astype(index_type)
        state: NDArray[np.signedinteger[Any]] = number[key]  # 32- or 64-bit, as index_type chose
    else:
        window_keys, state = np.unique(key, return_inverse=True)
        state = state.astype(index_type)
    del key
    n_states = len(window_keys)

    contains = np.zeros((n_states, n_channels), dtype=bool)
    remaining = window_keys.copy()
    for _ in range(order):
        remaining, digit_of_state = np.divmod(remaining, base)
        has = digit_of_state > 0
        contains[np.flatnonzero(has), digit_of_state[has] - 1] = True

    # Transition (from, to) as one flat index into the (1+S)² grid; a journey's first window is
    # entered from (start) = 0, channel windows are 1…S.
    n = n_states + 1
    flat = np.empty(n_windows, dtype=np.int64)
    flat[0] = 0
    flat[1:] = state[:-1]
    flat[1:] += 1
    flat[window_offsets[:-1]] = 0
    flat *= n
    flat += state
    flat += 1
    step_weight = weight[journey]
    if n > _DENSE_STATE_LIMIT:
        import scipy.sparse
    if n * n <= _DENSE_COUNT_CELLS:
        grid = np.bincount(flat, weights=step_weight, minlength=n * n).reshape(n, n)
        counts: np.ndarray | scipy.sparse.csr_array = grid if n <= _DENSE_STATE_LIMIT else scipy.sparse.csr_array(grid)
    else:
        source, target = np.divmod(flat, n)
        counts = scipy.sparse.csr_array(
            scipy.sparse.coo_array((step_weight, (source, target)), shape=(n, n))
        )  # duplicates are summed on conversion
    del flat, step_weight, journey

    ending_state = state[window_offsets[1:] - 1]

    def into_absorbing(per_journey: np.ndarray) -> np.ndarray:
        flow = np.zeros(n)
        flow[1:] = np.bincount(ending_state, weights=per_journey, minlength=n_states)
        return flow

    return _Chain(
        order=order,
        window_keys=window_keys,
        contains=contains,
        counts=counts,
        to_conversion=into_absorbing(paths.conversions),
        to_null=into_absorbing(paths.nulls),
        value_to_conversion=None if paths.values is None else into_absorbing(paths.values),
        n_journeys=float(weight.sum()),
    )


def _absorption(chain: _Chain) -> tuple[np.ndarray, np.ndarray]:
    """P(conversion) and expected value from (start), for the full chain then with each channel removed.

    Returns two arrays of length ``1 + n_channels``: element 0 is the full chain, element ``1 + c`` the
    chain in which every state containing channel ``c`` leads to (null). Each is the first component of
    ``h`` in ``(I − Q_K) h = b_K``, ``Q`` the transient-to-transient probabilities, ``b`` the one-step
    probabilities (or expected values) of conversion, ``K`` the states kept.
    """
    row_total = chain.row_total
    row_total[row_total == 0] = 1.0  # only (start) of an empty chain; its row is all zeros anyway
    rhs = [chain.to_conversion / row_total]
    if chain.value_to_conversion is not None:
        rhs.append(chain.value_to_conversion / row_total)
    rhs_matrix = np.column_stack(rhs)
    n_channels = chain.contains.shape[1]
    dense = isinstance(chain.counts, np.ndarray)
    if dense:
        system = np.eye(chain.n_transient) - chain.counts / row_total[:, None]
    else:
        import scipy.sparse
        import scipy.sparse.linalg

        scale = scipy.sparse.diags_array(1.0 / row_total)
        system = (scipy.sparse.eye_array(chain.n_transient, format="csr") - scale @ chain.counts).tocsr()

    results = np.zeros((1 + n_channels, rhs_matrix.shape[1]))
    keep_all = np.ones(chain.n_transient, dtype=bool)
    for removed in range(-1, n_channels):
        keep = keep_all.copy()
        if removed >= 0:
            keep[1:] = ~chain.contains[:, removed]
        kept = np.flatnonzero(keep)
        if dense:
            # numpy's gesv wrapper: the same LU solve as scipy.linalg.solve, 20x less overhead on tiny systems.
            solution = np.linalg.solve(system[np.ix_(kept, kept)], rhs_matrix[kept])
        else:
            factor = scipy.sparse.linalg.splu(system[kept][:, kept].tocsc())
            solution = factor.solve(rhs_matrix[kept])
        results[removed + 1] = solution[0]
    conversion = results[:, 0]
    value = results[:, 1] if rhs_matrix.shape[1] > 1 else np.zeros(0)
    return conversion, value


def _reaches_conversion(chain: _Chain) -> np.ndarray:
    """Which transient states have a path of observed transitions to (conversion) — graph search, exact."""
    edges = (chain.counts > 0).astype(np.int32)  # edges[i, j]: i → j observed; dense or sparse as counted
    reached = chain.to_conversion > 0
    frontier = reached.copy()
    while frontier.any():
        predecessors = np.asarray((edges @ frontier.astype(np.int32)) > 0).ravel() & ~reached
        reached |= predecessors
        frontier = predecessors
    return reached


def _removal_effects(full: float, without: np.ndarray) -> np.ndarray:
    if full <= 0:
        return np.zeros(len(without))
    # Removing states can only lose conversions; clip the rounding noise of a channel that changes nothing.
    return np.clip(1.0 - without / full, 0.0, 1.0)


def markov(
    paths: PathTable,
    order: int | str = 1,  # "auto", in any case and spacing (as typed in a cell); other text is refused
    *,
    collapse_repeats: bool = False,
    include_transition_matrix: bool = False,
    max_order: int = MAX_ORDER,
    criterion: str = "bic",
) -> AttributionResult:
    """Markov-chain attribution: credit in proportion to each channel's exact removal effect.

    Parameters
    ----------
    paths : PathTable
        From :func:`~xhsxl.core.attribution.path_table` or
        :func:`~xhsxl.core.attribution.journeys_from_touchpoints`. Non-converting counts matter: without
        them (``has_nulls`` false) a :class:`MissingNonConversionsWarning` is issued.
    order : int from 1 to 4, or ``"auto"``, default 1
        Memory of the chain: a state is the last ``order`` channels. ``"auto"`` picks the order from 1 to
        ``max_order`` that minimises ``criterion`` (see :func:`select_markov_order`).
    collapse_repeats : bool, default False
        Read ``a > a > b`` as ``a > b`` before estimating. Off by default, as ChannelAttribution. At order 1
        it changes nothing but the reported transition matrix: a repeated channel is a self-loop, and
        self-loops do not change absorption probabilities. At order ≥ 2 it changes the states
        (``a > a`` is a state of its own when repeats are kept).
    include_transition_matrix : bool, default False
        Attach the estimated chain as ``result.transition_matrix``.
    max_order, criterion
        For ``order="auto"`` only.

    Returns
    -------
    AttributionResult
        Credited ``conversions`` and ``value`` per channel, ``removal_effects`` and
        ``value_removal_effects``, ``conversion_probability``, ``order``; ``details`` holds the number of
        states and, for ``"auto"``, the :class:`MarkovOrderSelection`.

    Notes
    -----
    With ``w`` journeys along each path (conversions + nulls), the transition count from state ``s`` to
    ``t`` is the sum of ``w`` over path steps ``s → t``; each path ends with ``conversions`` steps into
    (conversion) and ``nulls`` into (null). ``P`` is the count matrix divided by its row sums. Let ``Q``
    be ``P`` among transient states and ``b`` the column into (conversion). Absorption probabilities
    solve

    .. math:: (I - Q)\\,h = b, \\qquad P(\\text{conversion}) = h_{\\text{start}}.

    Removing channel ``c`` sends every state containing ``c`` to (null): drop those rows and columns and
    solve again for ``h^{(-c)}``. Then

    .. math:: \\text{RE}_c = 1 - h^{(-c)}_{\\text{start}} / h_{\\text{start}}, \\qquad
              \\text{credit}_c = \\text{total conversions} \\cdot \\text{RE}_c / \\textstyle\\sum_k \\text{RE}_k .

    Value is credited the same way with ``b`` replaced by the expected value carried into (conversion)
    from each state (value of the paths ending there over the state's row sum) — the value removal
    effect, which equals the conversion removal effect when every conversion is worth the same. This is
    what ChannelAttribution estimates by simulation. Each solve is an LU factorisation of at most
    ``1 + states`` unknowns (dense LAPACK for tiny chains, sparse SuperLU above 64 states).

    References
    ----------
    Anderl, E., Becker, I., von Wangenheim, F. & Schumann, J. H. (2016). Mapping the customer journey:
    Lessons learned from graph-based online attribution modeling. *International Journal of Research in
    Marketing* 33(3), 457–474.
    Altomare, D. & Loris, D. ChannelAttribution (R and Python package), ``markov_model``.
    Kemeny, J. G. & Snell, J. L. (1960). *Finite Markov Chains*, ch. III (absorption probabilities).

    Examples
    --------
    Two journeys along ``a > b`` (one converts), one along ``a`` (none converts), three along ``b``
    (one converts). P(conversion) is 1/2; without ``a`` it is 1/3, without ``b`` it is 0.

    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["a > b", "a", "b"], [1, 0, 1], values=[100, 0, 60], nulls=[0, 1, 1])
    >>> result = markov(table)
    >>> result.conversion_probability
    0.5
    >>> result.removal_effects.round(6).tolist()
    [0.333333, 1.0]
    >>> result.conversions.round(9).tolist(), result.value.round(9).tolist()
    ([0.5, 1.5], [40.0, 120.0])
    >>> result.table()[0]
    ['channel', 'conversions', 'value', 'share']
    """
    paths = require_conversions(paths)
    if paths.n_channels > MAX_MARKOV_CHANNELS:
        raise XhsInputError(
            argument="paths", reason=f"must have at most {MAX_MARKOV_CHANNELS:,} distinct channels for markov "
            "(one exact chain solve per channel)", value=paths.n_channels, shown=f"{paths.n_channels:,} channels",
            hint="group rare channels into one (e.g. 'other'), or use last_touch, linear or position_based, "
            "which have no such limit")
    if not paths.has_nulls:
        warnings.warn(MISSING_NON_CONVERSIONS_MESSAGE, MissingNonConversionsWarning, stacklevel=2)
    if collapse_repeats:
        paths = paths.without_repeats()
    selection = None
    if isinstance(order, str):
        if order.strip().lower() != "auto":
            raise XhsInputError(f"order must be a whole number from 1 to {MAX_ORDER} or 'auto' (got {order!r})")
        selection = select_markov_order(paths, max_order, criterion=criterion)
        chosen = selection.best_order
    else:
        chosen = _order(order)

    chain = _build_chain(paths, chosen)
    conversion, value = _absorption(chain)
    removal = _removal_effects(conversion[0], conversion[1:])
    # A channel none of whose states can reach (conversion) loses nothing when removed: make that an exact
    # zero rather than the 1e-16 left by subtracting two equal solves.
    dead = ~(chain.contains & _reaches_conversion(chain)[1:, None]).any(axis=0)
    removal[dead] = 0.0
    credited = paths.total_conversions * removal / removal.sum()
    value_removal = value_credit = None
    if paths.values is not None:
        value_removal = _removal_effects(value[0], value[1:])
        value_removal[dead] = 0.0
        total_value = float(paths.values.sum())
        value_credit = (
            total_value * value_removal / value_removal.sum() if value_removal.sum() > 0 else np.zeros_like(removal)
        )
    details: dict[str, Any] = {
        "states": len(chain.window_keys),
        "collapse_repeats": bool(collapse_repeats),
        "solver": "dense LU" if isinstance(chain.counts, np.ndarray) else "sparse LU",
    }
    if selection is not None:
        details["order_selection"] = selection
    return AttributionResult(
        model="markov",
        channels=paths.channels,
        conversions=credited,
        value=value_credit,
        removal_effects=removal,
        value_removal_effects=value_removal,
        conversion_probability=float(conversion[0]),
        order=chosen,
        transition_matrix=_transition_matrix(chain, paths.channels, not collapse_repeats)
        if include_transition_matrix
        else None,
        details=MappingProxyType(details),
    )


def _state_names(chain: _Chain, channels: tuple[str, ...]) -> list[str]:
    base = len(channels) + 1
    names = []
    for key in chain.window_keys.tolist():
        digits = []
        for _ in range(chain.order):
            key, digit = divmod(key, base)
            if digit:
                digits.append(channels[digit - 1])
        names.append(" > ".join(reversed(digits)))
    return names


def _transition_matrix(chain: _Chain, channels: tuple[str, ...], self_loops: bool) -> TransitionMatrix:
    import scipy.sparse

    n = chain.n_transient
    counts = scipy.sparse.coo_array(chain.counts)
    absorbing = np.arange(n)
    rows = np.concatenate([counts.row, absorbing, absorbing])
    cols = np.concatenate([counts.col, np.full(n, n), np.full(n, n + 1)])
    data = np.concatenate([counts.data, chain.to_conversion, chain.to_null])
    nonzero = data > 0
    full = scipy.sparse.csr_array(
        scipy.sparse.coo_array((data[nonzero], (rows[nonzero], cols[nonzero])), shape=(n + 2, n + 2))
    )
    row_total = np.asarray(full.sum(axis=1)).ravel()
    row_total[row_total == 0] = 1.0
    probabilities = scipy.sparse.csr_array(scipy.sparse.diags_array(1.0 / row_total) @ full)
    states = (START, *_state_names(chain, channels), CONVERSION, NULL)
    return TransitionMatrix(
        states=states, probabilities=probabilities, counts=full, order=chain.order, self_loops=self_loops
    )


@dataclass(frozen=True)
class MarkovOrderSelection:
    """Fit of Markov chains of each order to the same journeys, and the order the criterion prefers."""

    orders: tuple[int, ...]
    log_likelihood: tuple[float, ...]
    parameters: tuple[int, ...]
    criterion: str
    scores: tuple[float, ...]
    best_order: int

    def table(self) -> list[list[Any]]:
        """Header ``["order", "log_likelihood", "parameters", <criterion>]`` and one row per order."""
        rows: list[list[Any]] = [["order", "log_likelihood", "parameters", self.criterion]]
        rows.extend(
            [k, ll, p, s] for k, ll, p, s in zip(self.orders, self.log_likelihood, self.parameters, self.scores)
        )
        return rows


def _fit(chain: _Chain) -> tuple[float, int]:
    """Log-likelihood of the journeys under the chain's own estimates, and its free parameters."""
    import scipy.sparse

    counts = scipy.sparse.csr_array(chain.counts)
    row_total = chain.row_total
    rows = np.concatenate([counts.tocoo().row, np.arange(chain.n_transient), np.arange(chain.n_transient)])
    data = np.concatenate([counts.tocoo().data, chain.to_conversion, chain.to_null])
    used = data > 0
    rows, data = rows[used], data[used]
    log_likelihood = float(np.sum(data * np.log(data / row_total[rows])))
    outcomes_per_row = np.bincount(rows, minlength=chain.n_transient)
    parameters = int(np.sum(np.maximum(outcomes_per_row - 1, 0)))
    return log_likelihood, parameters


def select_markov_order(
    paths: PathTable, max_order: int = MAX_ORDER, *, criterion: str = "bic", collapse_repeats: bool = False
) -> MarkovOrderSelection:
    """Choose the chain order by an information criterion (BIC by default).

    Parameters
    ----------
    paths : PathTable
    max_order : int, default 4
        Orders 1 to ``max_order`` are fitted.
    criterion : {'bic', 'aic'}
        ``bic`` (default) penalises parameters by the log of the number of journeys, ``aic`` by 2; BIC
        picks the true order consistently as data grow, AIC tends to pick higher orders.
    collapse_repeats : bool
        As in :func:`markov`.

    Returns
    -------
    MarkovOrderSelection

    Notes
    -----
    Every order models the same thing — the probability of each journey's channel sequence *and* its
    outcome — so the likelihoods are comparable: ``log L_k = Σ n_st log(n_st / n_s)`` over all observed
    transitions, absorptions included, with ``n_st`` the transition counts and ``n_s`` their row sums.
    Free parameters: per state, the number of distinct observed successors minus one.

    .. math:: \\text{BIC}_k = -2 \\log L_k + p_k \\ln N, \\qquad \\text{AIC}_k = -2 \\log L_k + 2 p_k,

    ``N`` the number of journeys (conversions + nulls). The order with the smallest score wins; ties go
    to the lower order. ChannelAttribution's ``choose_order`` instead compares cross-validated ROC
    curves of predicted conversion; an information criterion needs no random folds and is deterministic.

    References
    ----------
    Schwarz, G. (1978). Estimating the dimension of a model. *Annals of Statistics* 6(2), 461–464.
    Katz, R. W. (1981). On some criteria for estimating the order of a Markov chain.
    *Technometrics* 23(3), 243–249.

    Examples
    --------
    Journeys that alternate channels strictly are better explained with memory:

    >>> from xhsxl.core.attribution import path_table
    >>> table = path_table(["a > b > a > b", "b > a > b > a", "a > a > a", "b > b > b"],
    ...                    [40, 0, 0, 0], nulls=[0, 40, 40, 40])
    >>> selection = select_markov_order(table, 2)
    >>> selection.best_order
    2
    >>> [round(score, 1) for score in selection.scores]
    [1571.6, 1006.5]
    """
    if not isinstance(paths, PathTable):
        require_conversions(paths)
    key = str(criterion).strip().lower()
    if key not in ORDER_CRITERIA:
        raise XhsInputError(f"criterion must be one of {', '.join(ORDER_CRITERIA)} (got {describe(criterion)})")
    highest = _order(max_order, "max_order")
    if collapse_repeats:
        paths = paths.without_repeats()
    orders, log_likelihoods, parameters, scores = [], [], [], []
    for order in range(1, highest + 1):
        chain = _build_chain(paths, order)
        log_likelihood, n_parameters = _fit(chain)
        penalty = math.log(chain.n_journeys) if key == "bic" else 2.0
        orders.append(order)
        log_likelihoods.append(log_likelihood)
        parameters.append(n_parameters)
        scores.append(-2.0 * log_likelihood + penalty * n_parameters)
    best = orders[int(np.argmin(scores))]
    return MarkovOrderSelection(
        orders=tuple(orders),
        log_likelihood=tuple(log_likelihoods),
        parameters=tuple(parameters),
        criterion=key,
        scores=tuple(scores),
        best_order=best,
    )

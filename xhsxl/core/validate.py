"""Input checking shared by every core function: numbers in, arrays out, one readable error.

Each check converts its argument to a float array (a scalar becomes a 0-d array) and raises
:class:`XhsInputError` naming the argument, the rule and the first offending value, so a 10,000-row
column with one bad row says which row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from xhsxl.core.errors import XhsInputError, describe

__all__ = ["ArrayLike", "Number", "numeric", "fraction", "single_number", "kept_per_yuan", "scalar_or_array", "describe",
           "first_position", "is_number", "is_blank"]

#: A number or anything numpy reads as an array of numbers: a list, a column of 100,000 rows, a 2-D block.
ArrayLike = Any

#: What a core function returns: a float for scalar arguments, an array of the broadcast shape otherwise.
Number = float | np.ndarray


def is_blank(value: Any) -> bool:
    """A blank cell: ``None`` (Excel, openpyxl, JSON null) or text of nothing but spaces (a CSV's empty field).

    The one definition, here so that the core's own table readers use it too; :mod:`xhsxl.excel` passes it on.
    """
    return value is None or (isinstance(value, str) and not value.strip())


def first_position(mask: np.ndarray) -> tuple[int, ...] | None:
    """The 1-based position of the first True in ``mask`` (``(k,)`` or ``(row, column)``); None for a scalar."""
    index = np.argwhere(mask)[0]
    return None if mask.ndim == 0 else tuple(int(i) + 1 for i in index)


def _where(array: np.ndarray, mask: np.ndarray) -> tuple[Any, tuple[int, ...] | None]:
    """The first value of ``array`` where ``mask`` holds, and its position (None for a scalar)."""
    index = np.argwhere(mask)[0]
    return array[tuple(index)], first_position(mask)


def numeric(
    value: Any,
    name: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
) -> np.ndarray:
    """``value`` as a finite float array obeying the bounds, or :class:`XhsInputError`.

    >>> numeric(450_000, "cost", gt=0)
    array(450000.)
    >>> numeric(-5, "cost", gt=0)
    Traceback (most recent call last):
    xhsxl.core.errors.XhsInputError: cost must be greater than 0 (got -5)
    """
    if value is None:
        raise XhsInputError(argument=name, reason="is required (got a blank)")
    if value.__class__ is float or value.__class__ is int:
        # The common case, a plain number within its bounds, without numpy's per-call cost; anything that
        # fails a check goes the general way below, which words the error.
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if (math.isfinite(number) and (gt is None or number > gt) and (ge is None or number >= ge)
                and (lt is None or number < lt) and (le is None or number <= le)):
            return np.array(number)
    raw = np.asarray(value)
    if raw.dtype == bool:
        raise XhsInputError(argument=name, reason="must be a number, not a true/false value")
    if raw.dtype.kind == "O" and any(v is None for v in raw.ravel()):
        _, where = _where(raw, np.vectorize(lambda v: v is None, otypes=[bool])(raw))
        raise XhsInputError(argument=name, reason="is required", value="a blank", shown="a blank", position=where)
    if raw.dtype.kind not in "iuf":
        try:
            raw = raw.astype(float)
        except OverflowError:
            bad = next((v for v in raw.ravel() if isinstance(v, int) and abs(v) > 2 ** 1023), value)
            raise XhsInputError(argument=name, reason="must be a finite number", value=bad) from None
        except (TypeError, ValueError):
            flat = raw.ravel()
            bad = next((v for v in flat if not is_number(v)), flat[0] if flat.size else value)
            raise XhsInputError(argument=name, reason="must be a number", value=bad) from None
    array = raw.astype(float, copy=False)
    if array.size == 0:
        raise XhsInputError(argument=name, reason="must not be empty")
    finite = np.isfinite(array)
    if not finite.all():
        bad, where = _where(array, ~finite)
        raise XhsInputError(argument=name, reason="must be a finite number", value=bad, position=where)
    for bound, op, words in (
        (gt, np.greater, "greater than"),
        (ge, np.greater_equal, "at least"),
        (lt, np.less, "less than"),
        (le, np.less_equal, "at most"),
    ):
        if bound is None:
            continue
        ok = op(array, bound)
        if not ok.all():
            bad, where = _where(array, ~ok)
            raise XhsInputError(argument=name, reason=f"must be {words} {describe(float(bound))}", value=bad,
                                position=where)
    return array


def fraction(value: Any, name: str, *, allow_one: bool = True) -> np.ndarray:
    """A share or rate in [0, 1] (30 % is 0.3), or in [0, 1) with ``allow_one=False``."""
    if allow_one:
        return numeric(value, name, ge=0, le=1)
    return numeric(value, name, ge=0, lt=1)


def single_number(value: Any, name: str, **bounds: float) -> float:
    """``value`` as one finite float obeying ``bounds`` (an Excel single cell may arrive as ``[[x]]``).

    >>> single_number([[450_000]], "budget", gt=0)
    450000.0
    """
    array = numeric(value, name, **bounds)
    if array.size != 1:
        raise XhsInputError(argument=name, reason=f"must be a single number (got {array.size} values)")
    return float(array.reshape(-1)[0])


def kept_per_yuan(gross_margin: Any, refund_rate: Any, commission_rate: Any, commissioned_share: Any = 1.0) -> Any:
    """Profit kept per ¥ of GMV: ``(1 − refund) × margin − commission × commissioned_share``.

    The one statement of the rule that the profit ROI, the break-even ROAS, the planner's forecast and the
    shells share: commission is charged only on the share of GMV sold on the platform, and a refunded order
    keeps no margin. Plain arithmetic on numbers or arrays the caller has already checked (the core's
    :func:`xhsxl.core.metrics.profit_roi` family checks them first).

    >>> round(kept_per_yuan(0.6, 0.1, 0.1, 0.5), 4)
    0.49
    """
    return (1 - refund_rate) * gross_margin - commission_rate * commissioned_share


def scalar_or_array(result: np.ndarray) -> float | np.ndarray:
    """A 0-d result as a Python float, anything else as the array itself (numpy-financial's convention).

    A result that overflowed (inputs near 1e308) is refused rather than returned as ``inf`` or ``nan``.
    """
    if result.__class__ is float and math.isfinite(result):
        return result
    result = np.asarray(result, dtype=float)
    if not np.isfinite(result).all():
        raise XhsInputError(
            "the result is too large to represent for these inputs; check the units (¥ amounts, rates as "
            "fractions such as 0.3)"
        )
    return float(result) if result.ndim == 0 else result


def is_number(value: Any) -> bool:
    """Whether ``float(value)`` reads it (a number or numeric text); used to name the first bad item."""
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True

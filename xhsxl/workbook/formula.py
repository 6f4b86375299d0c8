"""Workbook formulas as small expression trees: written to Excel as text, evaluated in Python as values.

Every computed cell of the template is declared once as an expression. :meth:`Expr.excel` renders the
formula a live workbook carries (``=XHS_ROI(revenue,total_cost)``); :meth:`Expr.evaluate` computes the
same cell by calling the same :mod:`xhsxl.udfs` functions with the shapes Excel passes. A headless
recalculation of the live workbook with the ``formulas`` engine then checks the two agree cell by cell.

A static copy (for a client without the add-in) needs no ``XHS_`` function: :data:`NATIVE` and
:data:`NATIVE_TABLES` declare, next to each function with a closed form, the same computation in native Excel
over the same names, refusing what the core refuses with a short error text; :func:`native` and
:func:`native_table` rewrite a cell's tree with them, so an edited input still updates the result. What has
no closed form (attribution, optimiser, forecast, calibration, reallocation) is written as its value.

Only what the template needs exists here: names, literals, ``XHS_`` calls, arithmetic and comparisons,
``IF``, ``SUM``, one cell of an array-formula table (a reference to it), and for the static copy ``AND``,
``OR``, ``INT``, ``INDEX``, ``SUMPRODUCT`` and ``COUNTIF``. All of them are functions Excel 2010+, the
``formulas`` package and LibreOffice evaluate alike.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from xhsxl.workbook.udf_module import udf_module
from xhsxl.core.allocation import (
    _BUDGET_LINES, _COUNT_GUARD, _SUM_TOLERANCE, _TABLE_TIERS, ALLOCATION_TABLE_HEADER, STAGE_TABLE_HEADER,
)
from xhsxl.core.figures import STAGE_ALIASES, STAGE_SPILLOVER_SHARE, TIER_BUDGET_SHARE, TIER_FEE_PER_NOTE
from xhsxl.core.returns import RETURN_COMPONENTS
from xhsxl.core.errors import XhsInputError

__all__ = [
    "Expr", "Refs", "Env", "Name", "Span", "Lit", "Call", "BinOp", "If", "Sum", "TableCell", "Table", "IsBlank",
    "NOT_APPLICABLE", "calls_xhs",
]

#: What a guarded KPI shows when its denominator is zero (the core returns None there).
NOT_APPLICABLE = "n/a"


class Refs(Protocol):
    """Where expressions' names are in the workbook: all a formula's text needs (the template's placement)."""

    def ref(self, name: str) -> str: ...

    def cell_ref(self, name: str, row: int, column: int) -> str: ...


class Env(Refs, Protocol):
    """Where expressions find what they refer to, and its values: what computing a static value needs."""

    def value(self, name: str) -> Any: ...

    def span(self, name: str) -> list[list[Any]]: ...

    def table(self, name: str) -> list[list[Any]]: ...


class Expr:
    """An expression: ``excel(env)`` is its formula text (without ``=``), ``evaluate(env)`` its value."""

    def excel(self, env: Refs) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def evaluate(self, env: Env) -> Any:  # pragma: no cover
        raise NotImplementedError

    def names(self) -> set[str]:
        """Every name (cell, span or table) the expression refers to."""
        return set()

    # Arithmetic builds trees, so a layout reads like the formula it declares.
    def __add__(self, other: Any) -> "BinOp":
        return BinOp("+", self, _lift(other))

    def __sub__(self, other: Any) -> "BinOp":
        return BinOp("-", self, _lift(other))

    def __mul__(self, other: Any) -> "BinOp":
        return BinOp("*", self, _lift(other))

    def __truediv__(self, other: Any) -> "BinOp":
        return BinOp("/", self, _lift(other))

    def __gt__(self, other: Any) -> "BinOp":
        return BinOp(">", self, _lift(other))

    def __ge__(self, other: Any) -> "BinOp":
        return BinOp(">=", self, _lift(other))

    def __lt__(self, other: Any) -> "BinOp":
        return BinOp("<", self, _lift(other))

    def __le__(self, other: Any) -> "BinOp":
        return BinOp("<=", self, _lift(other))

    def __pow__(self, other: Any) -> "BinOp":
        return BinOp("^", self, _lift(other))

    def __rsub__(self, other: Any) -> "BinOp":
        return BinOp("-", _lift(other), self)

    def __rmul__(self, other: Any) -> "BinOp":
        return BinOp("*", _lift(other), self)

    def __radd__(self, other: Any) -> "BinOp":
        return BinOp("+", _lift(other), self)

    def __rtruediv__(self, other: Any) -> "BinOp":
        return BinOp("/", _lift(other), self)


def _lift(value: Any) -> Expr:
    return value if isinstance(value, Expr) else Lit(value)


@dataclass(frozen=True, eq=False)
class Name(Expr):
    """A single named cell (an input, or a result other cells build on)."""

    name: str

    def excel(self, env: Refs) -> str:
        return env.ref(self.name)

    def evaluate(self, env: Env) -> Any:
        return env.value(self.name)

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True, eq=False)
class Span(Expr):
    """A named range of several cells, passed whole to an ``XHS_`` function (Excel passes a 2-D list)."""

    name: str

    def excel(self, env: Refs) -> str:
        return env.ref(self.name)

    def evaluate(self, env: Env) -> Any:
        return env.span(self.name)

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True, eq=False)
class Lit(Expr):
    value: Any

    def excel(self, env: Refs) -> str:
        if isinstance(self.value, str):
            return '"' + self.value.replace('"', '""') + '"'
        if isinstance(self.value, bool):
            return "TRUE" if self.value else "FALSE"
        return repr(float(self.value)) if not float(self.value).is_integer() else str(int(self.value))

    def evaluate(self, env: Env) -> Any:
        return self.value


@dataclass(frozen=True, eq=False)
class Call(Expr):
    """A call of an ``XHS_`` function of :mod:`xhsxl.udfs`."""

    function: str
    args: tuple[Expr, ...]

    def __init__(self, function: str, *args: Any) -> None:
        if not hasattr(udf_module(), function):
            raise ValueError(f"{function} is not an XHS_ function")
        object.__setattr__(self, "function", function)
        object.__setattr__(self, "args", tuple(_lift(a) for a in args))

    def excel(self, env: Refs) -> str:
        return f"{self.function}({','.join(a.excel(env) for a in self.args)})"

    def evaluate(self, env: Env) -> Any:
        values = [a.evaluate(env) for a in self.args]
        if any(isinstance(v, CellError) for v in values):
            return next(v for v in values if isinstance(v, CellError))
        try:
            return getattr(udf_module(), self.function)(*values)
        except XhsInputError as error:
            return CellError(str(error))

    def names(self) -> set[str]:
        return set().union(*(a.names() for a in self.args))


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "^": operator.pow,
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq, "<>": operator.ne,
}


@dataclass(frozen=True, eq=False)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr

    def excel(self, env: Refs) -> str:
        return f"({self.left.excel(env)}{self.op}{self.right.excel(env)})"

    def evaluate(self, env: Env) -> Any:
        left, right = self.left.evaluate(env), self.right.evaluate(env)
        for side in (left, right):
            if isinstance(side, CellError):
                return side
        if self.op in ("=", "<>") and (isinstance(left, str) or isinstance(right, str)):
            # Excel compares text without case, and a blank cell equals "".
            same = str("" if left is None else left).lower() == str("" if right is None else right).lower()
            return same if self.op == "=" else not same
        # Excel treats a blank cell as 0 in arithmetic.
        left = 0.0 if left is None else left
        right = 0.0 if right is None else right
        if isinstance(left, str) or isinstance(right, str):
            return CellError("#VALUE!")
        if self.op == "/" and right == 0:
            return CellError("#DIV/0!")
        try:
            result = _OPERATORS[self.op](left, right)
        except (OverflowError, ZeroDivisionError):
            return CellError("#NUM!")
        if isinstance(result, float) and not math.isfinite(result):
            return CellError("#NUM!")  # Excel's answer to a result beyond the largest number
        return result

    def names(self) -> set[str]:
        return self.left.names() | self.right.names()


@dataclass(frozen=True, eq=False)
class If(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr

    def __init__(self, condition: Expr, then: Any, otherwise: Any) -> None:
        object.__setattr__(self, "condition", condition)
        object.__setattr__(self, "then", _lift(then))
        object.__setattr__(self, "otherwise", _lift(otherwise))

    def excel(self, env: Refs) -> str:
        return f"IF({self.condition.excel(env)},{self.then.excel(env)},{self.otherwise.excel(env)})"

    def evaluate(self, env: Env) -> Any:
        test = self.condition.evaluate(env)
        if isinstance(test, CellError):
            return test
        return self.then.evaluate(env) if test else self.otherwise.evaluate(env)

    def names(self) -> set[str]:
        return self.condition.names() | self.then.names() | self.otherwise.names()


@dataclass(frozen=True, eq=False)
class IsBlank(Expr):
    """True when the named cell is empty (``name=""`` in Excel, which all three engines agree on)."""

    name: str

    def excel(self, env: Refs) -> str:
        return f'({env.ref(self.name)}="")'

    def evaluate(self, env: Env) -> Any:
        return env.value(self.name) in (None, "")

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True, eq=False)
class Sum(Expr):
    """``SUM`` over named cells or spans."""

    items: tuple[Expr, ...]

    def __init__(self, *items: Expr) -> None:
        object.__setattr__(self, "items", items)

    def excel(self, env: Refs) -> str:
        return f"SUM({','.join(i.excel(env) for i in self.items)})"

    def evaluate(self, env: Env) -> Any:
        total = 0.0
        for item in self.items:
            value = item.evaluate(env)
            cells = [c for row in value for c in row] if isinstance(value, list) else [value]
            for cell in cells:
                if isinstance(cell, CellError):
                    return cell
                if isinstance(cell, (int, float)) and not isinstance(cell, bool):
                    total += cell
        return total

    def names(self) -> set[str]:
        return set().union(*(i.names() for i in self.items))


@dataclass(frozen=True, eq=False)
class TableCell(Expr):
    """One cell of a named array-formula table, 1-based as ``INDEX`` counts (row 1 is the header).

    Written as a plain reference to that cell (``'Planner'!$E$33``), the value ``INDEX(table,row,column)``
    would give: the headless engine takes a few milliseconds per ``INDEX`` over an array formula's range, which
    for the few dozen such cells of the template doubled the time of a recalculation.
    """

    table: str
    row: int
    column: int

    def excel(self, env: Refs) -> str:
        return env.cell_ref(self.table, self.row, self.column)

    def evaluate(self, env: Env) -> Any:
        rows = env.table(self.table)
        if not isinstance(rows, list):
            return rows  # an error, or one value Excel repeats over the whole table (n/a)
        return rows[self.row - 1][self.column - 1]

    def names(self) -> set[str]:
        return {self.table}


@dataclass(frozen=True, eq=False)
class Table(Expr):
    """A named array-formula table passed whole (header row included) to an ``XHS_`` function."""

    name: str

    def excel(self, env: Refs) -> str:
        return env.ref(self.name)

    def evaluate(self, env: Env) -> Any:
        return env.table(self.name)

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class CellError:
    """What a live cell would show as an error; the static workbook shows its message instead."""

    message: str


def calls_xhs(expr: Expr) -> bool:
    """Whether the expression calls an ``XHS_`` function anywhere (what the static workbook replaces)."""
    if isinstance(expr, Call):
        return True
    children: list[Expr] = []
    for value in vars(expr).values():
        if isinstance(value, Expr):
            children.append(value)
        elif isinstance(value, tuple):
            children.extend(v for v in value if isinstance(v, Expr))
    return any(calls_xhs(child) for child in children)


def resolve(env_values: Mapping[str, Any], name: str) -> Any:
    """Look a name up, saying which one is missing (a layout mistake, caught by the tests)."""
    try:
        return env_values[name]
    except KeyError:
        raise KeyError(f"the layout refers to {name!r}, which no cell or table defines") from None


# ------------------------------------------------------------------------------------------------ native Excel
# A static copy goes to a client without the add-in. A result whose XHS_ function has a closed form is written
# there as the same formula in native Excel over the same named cells, so editing an input still updates it;
# :data:`NATIVE` declares that formula next to each function's name. The trees below use only functions Excel
# 2010+, LibreOffice and the ``formulas`` package all evaluate (IF, AND, OR, INT, INDEX, SUMPRODUCT, COUNTIF,
# arithmetic), and evaluate in Python to what the UDF returns, which the tests hold them to.


@dataclass(frozen=True, eq=False)
class Refuse(Expr):
    """An input the core refuses: the cell shows a short error text, never a believable number."""

    message: str

    def excel(self, env: Refs) -> str:
        return Lit(f"Error: {self.message}").excel(env)

    def evaluate(self, env: Env) -> Any:
        return CellError(self.message)


def _countif(values: Any, criterion: Any) -> Any:
    """COUNTIF with the two criteria the renderings use: numbers below 0, numbers above 1."""
    test = {"<0": lambda v: v < 0, ">1": lambda v: v > 1}[criterion]
    return float(sum(1 for v in _flat(values) if isinstance(v, (int, float)) and not isinstance(v, bool) and test(v)))


def _flat(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    return [c for row in value for c in (row if isinstance(row, list) else [row])]


def _numbers(values: Any) -> list[float]:
    return [v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0 for v in _flat(values)]


#: The native functions the renderings use, with what each computes (Excel's semantics for our arguments).
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "INT": lambda x: float(math.floor(0.0 if x is None else x)),
    "AND": lambda *xs: all(bool(x) for x in xs),
    "OR": lambda *xs: any(bool(x) for x in xs),
    "INDEX": lambda values, i: _flat(values)[int(i) - 1],
    "SUMPRODUCT": lambda a, b: math.fsum(x * y for x, y in zip(_numbers(a), _numbers(b))),
    "COUNTIF": _countif,
}


@dataclass(frozen=True, eq=False)
class Fn(Expr):
    """A native Excel function of :data:`_FUNCTIONS` (not an ``XHS_`` one)."""

    function: str
    args: tuple[Expr, ...]

    def __init__(self, function: str, *args: Any) -> None:
        if function not in _FUNCTIONS:
            raise ValueError(f"{function} is not a native function the static copy may use")
        object.__setattr__(self, "function", function)
        object.__setattr__(self, "args", tuple(_lift(a) for a in args))

    def excel(self, env: Refs) -> str:
        return f"{self.function}({','.join(a.excel(env) for a in self.args)})"

    def evaluate(self, env: Env) -> Any:
        values = [a.evaluate(env) for a in self.args]
        for value in _flat(values):
            if isinstance(value, CellError):
                return value
        return _FUNCTIONS[self.function](*values)

    def names(self) -> set[str]:
        return set().union(*(a.names() for a in self.args))


def _checked(value: Expr, *rules: tuple[Expr, str]) -> Expr:
    """``value`` where every rule's condition holds; else the first failing rule's message."""
    for condition, message in reversed(rules):
        if not condition.names() and condition.evaluate(_NO_NAMES) is True:
            continue  # a rule on literals that holds (a default argument): nothing to check in the cell
        value = If(condition, value, Refuse(message))
    return value


class _NoNames:
    """The environment of an expression over literals only."""

    def value(self, name: str) -> Any:  # pragma: no cover - only called for expressions without names
        raise KeyError(name)

    span = table = ref = value

    def cell_ref(self, name: str, row: int, column: int) -> str:  # pragma: no cover
        raise KeyError(name)


_NO_NAMES: Any = _NoNames()


def _at_least_0(x: Expr, name: str) -> tuple[Expr, str]:
    return x >= 0, f"{name} must be at least 0"


def _above_0(x: Expr, name: str) -> tuple[Expr, str]:
    return x > 0, f"{name} must be greater than 0"


def _share(x: Expr, name: str) -> tuple[Expr, str]:
    return Fn("AND", x >= 0, x <= 1), f"{name} must be between 0 and 1"


def _no_negative(values: Expr, name: str) -> tuple[Expr, str]:
    return BinOp("=", Fn("COUNTIF", values, "<0"), Lit(0)), f"{name} must be at least 0"


def _blank(x: Expr) -> Expr:
    """Whether an argument is a blank cell (what an XHS_ function takes as "use the default")."""
    return IsBlank(x.name) if isinstance(x, Name) else Lit(False)


def _per(numerator: Expr, denominator: Expr, numerator_name: str, denominator_name: str, scale: float = 1) -> Expr:
    value = numerator / denominator * scale if scale != 1 else numerator / denominator
    return _checked(value, _at_least_0(numerator, numerator_name), _above_0(denominator, denominator_name))


def _incremental(campaign: Expr, baseline: Expr, campaign_days: Expr | None = None,
                 baseline_days: Expr | None = None) -> Expr:
    rules = [_at_least_0(campaign, "campaign"), _at_least_0(baseline, "baseline")]
    if campaign_days is None and baseline_days is None:
        return _checked(campaign - baseline, *rules)
    campaign_days = Lit(1) if campaign_days is None else campaign_days
    baseline_days = Lit(1) if baseline_days is None else baseline_days
    rules += [_above_0(campaign_days, "campaign_days"), _above_0(baseline_days, "baseline_days")]
    return _checked(campaign - baseline * campaign_days / baseline_days, *rules)


def _roi(revenue: Expr, cost: Expr, basis: Expr | None = None) -> Expr:
    if basis is not None and not (isinstance(basis, Lit) and str(basis.value).lower() in ("net", "ratio", "")):
        raise _NoNative("XHS_ROI with a basis read from a cell")
    ratio = isinstance(basis, Lit) and str(basis.value).lower() == "ratio"
    value = revenue / cost if ratio else revenue / cost - 1
    return _checked(value, _at_least_0(revenue, "revenue"), _above_0(cost, "cost"))


def _profit_terms(gross_margin: Expr, refund_rate: Expr | None, commission_rate: Expr | None
                  ) -> tuple[Expr, Expr, list[tuple[Expr, str]]]:
    refund = Lit(0) if refund_rate is None else refund_rate
    commission = Lit(0) if commission_rate is None else commission_rate
    rules = [_share(gross_margin, "gross_margin"), _share(refund, "refund_rate"),
             _share(commission, "commission_rate")]
    return refund, commission, rules


def _profit_roi(revenue: Expr, cost: Expr, gross_margin: Expr, refund_rate: Expr | None = None,
                commission_rate: Expr | None = None, commissioned_revenue: Expr | None = None) -> Expr:
    refund, commission, rules = _profit_terms(gross_margin, refund_rate, commission_rate)
    charged = revenue if commissioned_revenue is None else commissioned_revenue
    rules = [_at_least_0(revenue, "revenue"), _above_0(cost, "cost"), *rules]
    if commissioned_revenue is not None:
        rules.append(_at_least_0(charged, "commissioned_revenue"))
    value = (revenue * (1 - refund) * gross_margin - charged * commission - cost) / cost
    return _checked(value, *rules)


def _kept_per_yuan(gross_margin: Expr, refund_rate: Expr | None, commission_rate: Expr | None,
                   commissioned_share: Expr | None) -> tuple[Expr, list[tuple[Expr, str]]]:
    refund, commission, rules = _profit_terms(gross_margin, refund_rate, commission_rate)
    share = Lit(1) if commissioned_share is None else commissioned_share
    rules.append(_at_least_0(share, "commissioned_share"))
    kept = (1 - refund) * gross_margin - commission * share
    rules.append((kept > 0, "no ROAS breaks even: refunds and commission eat the margin"))
    return kept, rules


def _breakeven_roas(gross_margin: Expr, refund_rate: Expr | None = None, commission_rate: Expr | None = None,
                    commissioned_share: Expr | None = None) -> Expr:
    kept, rules = _kept_per_yuan(gross_margin, refund_rate, commission_rate, commissioned_share)
    return _checked(1 / kept, *rules)


def _breakeven_revenue(cost: Expr, gross_margin: Expr, refund_rate: Expr | None = None,
                       commission_rate: Expr | None = None, commissioned_share: Expr | None = None) -> Expr:
    kept, rules = _kept_per_yuan(gross_margin, refund_rate, commission_rate, commissioned_share)
    return _checked(cost * (1 / kept), _at_least_0(cost, "cost"), *rules)


_ENGAGEMENT_NAMES = ("likes", "saves", "comments", "shares", "follows")


def _engagement_total(likes: Expr, *others: Expr) -> tuple[Expr, list[tuple[Expr, str]]]:
    terms = (likes, *others)
    total: Expr = terms[0]
    for term in terms[1:]:
        total = total + term
    return total, [_at_least_0(term, name) for term, name in zip(terms, _ENGAGEMENT_NAMES)]


def _engagements(likes: Expr, *others: Expr) -> Expr:
    total, rules = _engagement_total(likes, *others)
    return _checked(total, *rules)


def _cpe(cost: Expr, likes: Expr, *others: Expr) -> Expr:
    total, rules = _engagement_total(likes, *others)
    return _checked(cost / total, _at_least_0(cost, "cost"), *rules, _above_0(total, "engagements"))


def _engagement_value(counts: Expr, unit_values: Expr, weights: Expr | None = None) -> Expr:
    if weights is not None:
        raise _NoNative("XHS_ENGAGEMENT_VALUE with weights")
    return _checked(Fn("SUMPRODUCT", counts, unit_values), _no_negative(counts, "counts"),
                    _no_negative(unit_values, "unit_values"))


def _clv_retention(margin: Expr, retention: Expr, discount_rate: Expr, horizon: Expr | None = None,
                   timing: Expr | None = None) -> Expr:
    if timing is not None and not (isinstance(timing, Lit) and str(timing.value).lower() in ("future", "")):
        raise _NoNative("XHS_CLV_RETENTION with another timing")
    # The core's start value m / ((1 + d − r) / (1 + d)), times r / (1 + d) for future orders only.
    per_period = margin / ((1 + discount_rate - retention) / (1 + discount_rate)) * (retention / (1 + discount_rate))
    rules = [_at_least_0(margin, "margin"),
             (Fn("AND", retention >= 0, retention < 1), "retention must be at least 0 and below 1"),
             _at_least_0(discount_rate, "discount_rate")]
    if horizon is None:
        return _checked(per_period, *rules)
    kept = 1 - (retention / (1 + discount_rate)) ** horizon
    finite = margin * kept / ((1 + discount_rate - retention) / (1 + discount_rate)) * (retention / (1 + discount_rate))
    whole = (Fn("AND", horizon >= 1, BinOp("=", Fn("INT", horizon), horizon)),
             "horizon must be a whole number of at least 1")
    return _checked(If(_blank(horizon), per_period, _checked(finite, whole)), *rules)


#: The blended return's components in the order XHS_BLENDED_RETURN takes them (the core's RETURN_COMPONENTS).
_COMPONENTS = ("direct", "cross_platform", "new_customers", "engagement", "brand")


def _blended_parts(direct: Expr, cross_platform: Expr | None = None, new_customers: Expr | None = None,
                   clv: Expr | None = None, engagement: Expr | None = None, brand: Expr | None = None,
                   weights: Expr | None = None, margin: Expr | None = None
                   ) -> tuple[list[Expr], list[Expr], list[Expr], list[tuple[Expr, str]]]:
    """(raw values, weights, weighted values, rules) of the five components, as the core computes them."""
    zero = Lit(0)
    cross_platform, new_customers, clv, engagement, brand = (
        zero if x is None else x for x in (cross_platform, new_customers, clv, engagement, brand))
    margin = Lit(1) if margin is None else margin
    raw = [direct, cross_platform, new_customers * clv, engagement, brand]
    shares: list[Expr] = [Lit(1)] * 5 if weights is None else [Fn("INDEX", weights, i) for i in range(1, 6)]
    # margin × value as the core computes it; a literal margin of 1 changes nothing and is left out.
    unit_margin = isinstance(margin, Lit) and margin.value == 1
    weighted: list[Expr] = [(margin * value if i < 2 and not unit_margin else value) * weight
                            for i, (value, weight) in enumerate(zip(raw, shares))]
    rules = [_share(margin, "margin"), _at_least_0(new_customers, "new_customers"), _at_least_0(clv, "clv"),
             _at_least_0(direct, "direct"), _at_least_0(engagement, "engagement"), _at_least_0(brand, "brand")]
    if weights is not None:
        rules.append((BinOp("=", Fn("COUNTIF", weights, "<0") + Fn("COUNTIF", weights, ">1"), Lit(0)),
                      "weights must be between 0 and 1"))
    return raw, shares, weighted, rules


def _total(weighted: list[Expr]) -> Expr:
    total = weighted[0]
    for term in weighted[1:]:
        total = total + term
    return total


def _blended_return(*args: Expr) -> Expr:
    _raw, _weights, weighted, rules = _blended_parts(*args)
    return _checked(_total(weighted), *rules)


def _blended_roi(cost: Expr, *args: Expr) -> Expr:
    _raw, _weights, weighted, rules = _blended_parts(*args)
    return _checked((_total(weighted) - cost) / cost, *rules, _above_0(cost, "cost"))


def _curve_scale(spend: Expr, return_at_spend: Expr, elasticity: Expr) -> Expr:
    return _checked(return_at_spend / spend ** elasticity, _above_0(spend, "spend"),
                    _above_0(return_at_spend, "response_at_spend"),
                    (Fn("AND", elasticity > 0, elasticity <= 1), "elasticity must be above 0 and at most 1"))


def _clv_simple(aov: Expr, orders_per_period: Expr, gross_margin: Expr, periods: Expr) -> Expr:
    return _checked(aov * orders_per_period * gross_margin * periods, _at_least_0(aov, "aov"),
                    _at_least_0(orders_per_period, "orders_per_period"), _share(gross_margin, "gross_margin"),
                    _at_least_0(periods, "periods"))


def _earned_media(impressions: Expr, cpm_benchmark: Expr, engagements: Expr | None = None,
                  cpe_benchmark: Expr | None = None) -> Expr:
    engagements = Lit(0) if engagements is None else engagements
    cpe_benchmark = Lit(0) if cpe_benchmark is None else cpe_benchmark
    return _checked(impressions / 1000 * cpm_benchmark + engagements * cpe_benchmark,
                    _at_least_0(impressions, "impressions"), _at_least_0(cpm_benchmark, "cpm_benchmark"),
                    _at_least_0(engagements, "engagements"), _at_least_0(cpe_benchmark, "cpe_benchmark"))


class _NoNative(Exception):
    """A call this module has no native rendering for (its result stays a value in a static copy)."""


#: The native rendering of every XHS_ function with a closed form, by name: it takes the call's argument
#: trees and returns the formula that computes the same value, refusing what the core refuses.
NATIVE: dict[str, Callable[..., Expr]] = {
    "XHS_INCREMENTAL": _incremental,
    "XHS_ROI": _roi,
    "XHS_ROAS": lambda revenue, cost: _roi(revenue, cost, Lit("ratio")),
    "XHS_PROFIT_ROI": _profit_roi,
    "XHS_BREAKEVEN_ROAS": _breakeven_roas,
    "XHS_BREAKEVEN_REVENUE": _breakeven_revenue,
    "XHS_CPM": lambda cost, impressions: _per(cost, impressions, "cost", "impressions", 1000),
    "XHS_CPC": lambda cost, clicks: _per(cost, clicks, "cost", "clicks"),
    "XHS_CPA": lambda cost, conversions: _per(cost, conversions, "cost", "conversions"),
    "XHS_CTR": lambda clicks, impressions: _per(clicks, impressions, "clicks", "impressions"),
    "XHS_CVR": lambda conversions, clicks: _per(conversions, clicks, "conversions", "clicks"),
    "XHS_AOV": lambda revenue, orders: _per(revenue, orders, "revenue", "orders"),
    "XHS_ENGAGEMENT_RATE": lambda count, impressions: _per(count, impressions, "engagements", "impressions"),
    "XHS_SAVE_RATE": lambda saves, impressions: _per(saves, impressions, "saves", "impressions"),
    "XHS_FOLLOWER_GROWTH": lambda new, start: _per(new, start, "new_followers", "starting_followers"),
    "XHS_ENGAGEMENTS": _engagements,
    "XHS_CPE": _cpe,
    "XHS_ENGAGEMENT_VALUE": _engagement_value,
    "XHS_CLV": _clv_simple,
    "XHS_CLV_RETENTION": _clv_retention,
    "XHS_EARNED_MEDIA": _earned_media,
    "XHS_BLENDED_RETURN": _blended_return,
    "XHS_BLENDED_ROI": _blended_roi,
    "XHS_CURVE_SCALE": _curve_scale,
}


def native(expr: Expr) -> Expr | None:
    """``expr`` with every ``XHS_`` call replaced by its native rendering; None when a call has none."""
    try:
        return _native(expr)
    except _NoNative:
        return None


def _native(expr: Expr) -> Expr:
    if isinstance(expr, Call):
        if expr.function not in NATIVE:
            raise _NoNative(expr.function)
        return NATIVE[expr.function](*(_native(a) for a in expr.args))
    if isinstance(expr, BinOp):
        return BinOp(expr.op, _native(expr.left), _native(expr.right))
    if isinstance(expr, If):
        return If(_native(expr.condition), _native(expr.then), _native(expr.otherwise))
    if isinstance(expr, Sum):
        return Sum(*(_native(i) for i in expr.items))
    if isinstance(expr, Fn):
        return Fn(expr.function, *(_native(a) for a in expr.args))
    return expr  # a name, span, literal, table cell or refusal: the same in both


# ------------------------------------------------------------------------------------------------ native tables
#: A table's cells, header row first: an expression per cell, None for a blank one.
Grid = list[list["Expr | None"]]


def _table(rows: Grid, rules: list[tuple[Expr, str]]) -> Grid:
    """A table the core refuses as a whole shows the first failing rule's message in its first cell and
    leaves the rest blank, as a static copy's value table does."""
    rules = [(condition, message) for condition, message in rules
             if condition.names() or condition.evaluate(_NO_NAMES) is not True]
    if not rules:
        return rows
    valid = rules[0][0] if len(rules) == 1 else Fn("AND", *(condition for condition, _ in rules))
    grid: Grid = []
    for r, row in enumerate(rows):
        cells: list[Expr | None] = []
        for c, cell in enumerate(row):
            if r == c == 0:
                cells.append(_checked(_lift(cell), *rules))
            elif r == 0:
                cells.append(cell)  # the header stays, beside the message
            else:
                cells.append(None if cell is None else If(valid, cell, ""))
        grid.append(cells)
    return grid


def _breakdown_table(*args: Expr) -> Grid:
    raw, weights, weighted, rules = _blended_parts(*args)
    total = _total(weighted)
    rows: Grid = [[Lit(h) for h in ("component", "label", "标签", "value", "weight", "weighted value", "share")]]
    for (key, (label_en, label_zh)), value, weight, part in zip(RETURN_COMPONENTS.items(), raw, weights, weighted):
        share = If(BinOp("=", total, Lit(0)), 0, part / total)
        rows.append([Lit(key), Lit(label_en), Lit(label_zh), value, weight, part, share])
    rows.append([Lit("total"), Lit("Blended return"), Lit("综合回报"), None, None, total,
                 If(BinOp("=", total, Lit(0)), 0, 1)])
    return _table(rows, rules)


def _stage_key(stage: Expr) -> Expr:
    """The canonical stage key of what the stage cell holds (any of the core's spellings), or a refusal."""
    choice: Expr = Refuse("stage must be one of cold_start, growth, maturity")
    for key in reversed(tuple(STAGE_SPILLOVER_SHARE)):
        spellings = [alias for alias, canonical in STAGE_ALIASES.items() if canonical == key]
        choice = If(Fn("OR", *(BinOp("=", stage, Lit(alias)) for alias in spellings)), key, choice)
    return choice


def _stage_split_table(budget: Expr, stage: Expr) -> Grid:
    key = _stage_key(stage)

    def by_stage(values: dict[str, Any]) -> Expr:
        chosen: Expr = Lit("")
        for name in reversed(tuple(STAGE_SPILLOVER_SHARE)):
            chosen = If(BinOp("=", key, Lit(name)), values[name], chosen)
        return chosen

    spillover = by_stage({name: figure.value for name, figure in STAGE_SPILLOVER_SHARE.items()})
    closed_loop = by_stage({name: 1.0 - figure.value for name, figure in STAGE_SPILLOVER_SHARE.items()})
    source = by_stage({name: f"{figure.source}: {figure.quote}" for name, figure in STAGE_SPILLOVER_SHARE.items()})
    rows: Grid = [[Lit(h) for h in STAGE_TABLE_HEADER],
                  [key, Lit("spillover"), spillover, spillover * budget, source],
                  [key, Lit("closed_loop"), closed_loop, closed_loop * budget, source]]
    known = Fn("OR", *(BinOp("=", stage, Lit(alias)) for alias in STAGE_ALIASES))
    return _table(rows, [_above_0(budget, "budget"), (known, "stage must be one of cold_start, growth, maturity")])


#: The tolerance of ``figures.Range.contains``, which the core's in-range flags use.
_RANGE_TOLERANCE = 1e-12


def _in_range(share: Expr, low: float, high: float) -> Expr:
    """Whether a share sits in its recommended range, with the core's tolerance (``Range.contains``)."""
    return Fn("AND", share >= low - _RANGE_TOLERANCE, share <= high + _RANGE_TOLERANCE)


def _notes(amount: Expr, fee: float) -> Expr:
    """Sponsored notes an amount pays for at a fee, floored as the core floors them (with its guard)."""
    return Fn("INT", amount / fee + _COUNT_GUARD)


def _tier_allocation_table(budget: Expr, stage: Expr | None = None, line_shares: Expr | None = None,
                           tier_shares: Expr | None = None) -> Grid:
    if not (stage is None or (isinstance(stage, Lit) and stage.value in ("", None))):
        raise _NoNative("XHS_TIER_ALLOCATION with a stage")
    if line_shares is None or tier_shares is None:
        raise _NoNative("XHS_TIER_ALLOCATION without its share ranges")
    rows: Grid = [[Lit(h) for h in ALLOCATION_TABLE_HEADER]]
    rules = [_above_0(budget, "total_budget")]
    shares = []
    for index, (line, argument, _default, figure_range) in enumerate(_BUDGET_LINES, start=1):
        share = Fn("INDEX", line_shares, index)
        shares.append(share)
        rules.append(_share(share, argument))
        rows.append([Lit(line), Lit("budget"), share, share, share * budget, Lit(figure_range.low),
                     Lit(figure_range.high), _in_range(share, figure_range.low, figure_range.high), None, None, None,
                     Lit(_range_source(figure_range))])
    spent = Sum(line_shares)
    rules.append((spent <= 1 + _SUM_TOLERANCE, "the four line shares must not exceed 100 % together"))
    creator_share = If(1 - spent < 0, 0, 1 - spent)
    creator_amount = creator_share * budget
    tier_rows: Grid = []
    counts: list[list[Expr]] = [[], [], []]
    for index, tier in enumerate(_TABLE_TIERS, start=1):
        share = Fn("INDEX", tier_shares, index)
        rules.append(_share(share, f"tier_shares for {tier}"))
        amount = share * creator_amount
        low_fee, high_fee = TIER_FEE_PER_NOTE[tier].low, TIER_FEE_PER_NOTE[tier].high
        notes = [_notes(amount, high_fee), _notes(amount, (low_fee + high_fee) / 2), _notes(amount, low_fee)]
        for column, count in zip(counts, notes):
            column.append(count)
        figure_range = TIER_BUDGET_SHARE[tier]
        fees = f"{TIER_FEE_PER_NOTE[tier].source}: {TIER_FEE_PER_NOTE[tier].quote}"
        tier_rows.append([Lit(f"creators_{tier}"), Lit("creators"), share * creator_share, share, amount,
                          Lit(figure_range.low), Lit(figure_range.high),
                          _in_range(share, figure_range.low, figure_range.high), *notes,
                          Lit(f"{_range_source(figure_range)}; fees {fees}")])
    tiers_total = Sum(tier_shares)
    rules.append((Fn("AND", tiers_total >= 1 - _SUM_TOLERANCE, tiers_total <= 1 + _SUM_TOLERANCE),
                  "tier_shares must sum to 100 % of the creator budget"))
    rows.append([Lit("creators"), Lit("budget"), creator_share, creator_share, creator_amount, None, None, None,
                 *(_total(column) for column in counts),
                 Lit("remainder of total_budget after the other budget lines; split by tier below")])
    return _table(rows + tier_rows, rules)


def _range_source(figure_range: Any) -> str:
    return f"{figure_range.source}: {figure_range.quote}"


#: Native renderings of the XHS_ table functions with a closed form: the argument trees in, a grid out.
NATIVE_TABLES: dict[str, Callable[..., Grid]] = {
    "XHS_BLENDED_BREAKDOWN": _breakdown_table,
    "XHS_STAGE_SPLIT": _stage_split_table,
    "XHS_TIER_ALLOCATION": _tier_allocation_table,
}


def native_table(expr: Expr, rows: int, columns: int) -> Grid | None:
    """The native grid (``rows`` × ``columns``, padded with blanks) of a table whose expression is a call of
    :data:`NATIVE_TABLES` over closed forms; None when it has none."""
    if not (isinstance(expr, Call) and expr.function in NATIVE_TABLES):
        return None
    try:
        grid = NATIVE_TABLES[expr.function](*(_native(a) for a in expr.args))
    except _NoNative:
        return None
    padded: Grid = [list(row[:columns]) + [None] * (columns - len(row)) for row in grid[:rows]]
    return padded + [[None] * columns for _ in range(rows - len(padded))]


def is_flag(expr: Expr) -> bool:
    """Whether the expression yields TRUE or FALSE (a comparison, AND, OR), looking through a table's guard.

    LibreOffice shows such a result as 1 or 0 unless the cell's number format says it is a flag; Excel shows
    TRUE or FALSE whatever the format."""
    if isinstance(expr, If) and isinstance(expr.otherwise, Lit) and expr.otherwise.value == "":
        expr = expr.then
    return (isinstance(expr, Fn) and expr.function in ("AND", "OR")) or (
        isinstance(expr, BinOp) and expr.op in ("=", "<>", "<", "<=", ">", ">="))

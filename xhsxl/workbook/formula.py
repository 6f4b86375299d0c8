"""Workbook formulas as small expression trees: written to Excel as text, evaluated in Python as values.

Every computed cell of the template is declared once as an expression. :meth:`Expr.excel` renders the
formula a live workbook carries (``=XHS_ROI(revenue,total_cost)``); :meth:`Expr.evaluate` computes the
same cell by calling the same :mod:`xhsxl.udfs` functions with the shapes Excel passes, which is what a
static workbook (values in place of ``XHS_`` formulas) is written from. A headless recalculation of the
live workbook with the ``formulas`` engine then checks the two agree cell by cell.

Only what the template needs exists here: names, literals, ``XHS_`` calls, arithmetic and comparisons,
``IF``, ``SUM`` and one cell of an array-formula table (a reference to it). All of them are functions Excel, the
``formulas`` package and LibreOffice evaluate alike.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from xhsxl import udfs
from xhsxl.core.errors import XhsInputError

__all__ = [
    "Expr", "Refs", "Env", "Name", "Span", "Lit", "Call", "BinOp", "If", "Sum", "TableCell", "IsBlank",
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
        if not hasattr(udfs, function):
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
            return getattr(udfs, self.function)(*values)
        except XhsInputError as error:
            return CellError(str(error))

    def names(self) -> set[str]:
        return set().union(*(a.names() for a in self.args))


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, ">": operator.gt,
    ">=": operator.ge, "=": operator.eq,
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
        # Excel treats a blank cell as 0 in arithmetic.
        left = 0.0 if left is None else left
        right = 0.0 if right is None else right
        if self.op == "/" and right == 0:
            return CellError("#DIV/0!")
        return _OPERATORS[self.op](left, right)

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

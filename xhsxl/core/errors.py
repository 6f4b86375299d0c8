"""The one exception every invalid input raises, in the core, the UDFs, the schema and the CLI.

An error is made of fields — the argument, the rule it breaks (``reason``), the offending value, and where
that value sits — and its text is composed from them in one place, :meth:`XhsInputError.__str__`. The core
knows only the position of a value in the array it was given; a shell that knows which row of a range or
file that position came from puts the row (and column) in with :meth:`XhsInputError.located`, and the text
follows, without any message being rewritten.
"""

from __future__ import annotations

import math
import sys
from typing import Any

__all__ = ["XhsInputError", "NO_VALUE", "describe"]


class _NoValue:
    def __repr__(self) -> str:
        return "NO_VALUE"

    def __reduce__(self) -> str:
        return "NO_VALUE"  # one marker, also after a trip through pickle


#: Longest quotation of a value in a message, in characters.
_QUOTED = 100

#: Marks an error that quotes no value (a blank, a missing column), as distinct from one quoting ``None``.
NO_VALUE: Any = _NoValue()


def describe(value: Any) -> str:
    """Short printable form of a value for an error message (``1.5``, ``'abc'``, ``-5``).

    Long values are cut: a message quotes what is needed to find the cell, never a whole pasted document.
    """
    # A numpy scalar exists only once numpy is imported: this module does not import it, so that the command
    # line's help and the error path stay light.
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, float):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class XhsInputError(ValueError):
    """An input is invalid. The message names the argument and the offending value.

    Either a finished ``message`` (for rules about several arguments at once) or the fields it is made of:

    argument
        The argument or field the value was given for (``cost``, ``gross_margin``).
    reason
        The rule, worded to follow the argument's name (``must be greater than 0``, ``is blank``).
    value
        The offending value, quoted as ``(got …)``; :data:`NO_VALUE` when there is none to quote.
    shown
        How to quote the value when :func:`describe` would not say it best (``a date (2024-05-01)``).
    position
        1-based position of the value in the array the core was given: ``(k,)`` or ``(row, column)``.
    row, column
        Where the value is as the user sees it (a range's or a file's row; a column number or header),
        filled in by the shell that knows; they replace ``position`` in the text.
    hint
        What to do about it, after a semicolon (``write 30% or 0.3``).

    It subclasses :class:`ValueError` so generic callers can catch it; Excel shows its text in the cell
    (classic xlwings) or on hover (xlwings Lite), the CLI prints it, and errors.csv stores its fields.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        argument: str | None = None,
        reason: str | None = None,
        value: Any = NO_VALUE,
        shown: str | None = None,
        position: tuple[int, ...] | None = None,
        row: int | None = None,
        column: int | str | None = None,
        hint: str | None = None,
    ) -> None:
        if message is None and reason is None:
            raise TypeError("XhsInputError needs a message or a reason")
        self.message = message
        self.argument = argument
        self.reason = reason
        self.value = value
        self.shown = shown
        self.position = tuple(int(p) for p in position) if position is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.reason is None:
            return str(self.message)
        return _compose(self)

    @property
    def quoted_value(self) -> str | None:
        """The value as the text quotes it, or None when the error quotes none."""
        if self.value is NO_VALUE and self.shown is None:
            return None
        quoted = self.shown if self.shown is not None else describe(self.value)
        # a message quotes enough to find the cell, never a whole pasted document
        return quoted if len(quoted) <= _QUOTED else quoted[: _QUOTED - 3] + "..."

    def located(self, row: int, column: int | str | None = None) -> "XhsInputError":
        """The same error placed at ``row`` (and ``column``) as the user numbers them; ``position`` goes.

        An error given as a finished message has no place to put a row and is returned unchanged.
        """
        if self.reason is None:
            return self
        return XhsInputError(
            argument=self.argument, reason=self.reason, value=self.value, shown=self.shown,
            row=row, column=column, hint=self.hint,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Batch workers send errors back to the parent process: keep the fields, not only the text.
        return (_restore, (self.message, {
            "argument": self.argument, "reason": self.reason, "value": self.value, "shown": self.shown,
            "position": self.position, "row": self.row, "column": self.column, "hint": self.hint,
        }))

    def fields(self) -> dict[str, Any]:
        """The structured fields, for a report row (errors.csv) or a test."""
        return {
            "argument": self.argument, "row": self.row, "column": self.column,
            "value": None if self.value is NO_VALUE else self.value,
            "reason": self.reason if self.reason is not None else self.message,
        }


def _restore(message: str | None, fields: dict[str, Any]) -> XhsInputError:
    return XhsInputError(message, **fields)


def _compose(error: XhsInputError) -> str:
    """The text of a structured error: the one place its wording is decided.

    ``cost must be greater than 0 (got -5)``; in an array ``(got -5 at position 3)``; placed in a range
    ``(got -5) in row 3, column 2``. Without a value the place follows the name: ``paths in row 3 is blank``.
    """
    name = error.argument or "value"
    if error.row is not None:
        where = f"in row {error.row}" + (f", column {error.column}" if error.column is not None else "")
    elif error.position is not None:
        where = "at position " + ", ".join(map(str, error.position))
    else:
        where = ""
    quoted = error.quoted_value
    if quoted is None:
        text = f"{name} {where} {error.reason}" if where else f"{name} {error.reason}"
    elif error.row is not None:
        text = f"{name} {error.reason} (got {quoted}) {where}"
    elif where:
        text = f"{name} {error.reason} (got {quoted} {where})"
    else:
        text = f"{name} {error.reason} (got {quoted})"
    return f"{text}; {error.hint}" if error.hint else text

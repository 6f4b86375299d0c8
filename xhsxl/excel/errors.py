"""What a reader of Excel-shaped input reports: a file it cannot read, and located problems in one it can.

:class:`InputFileError` is the one error of every file reader (client tables, path tables, touch logs,
workbooks): nothing in the file can be used, and the message says why. :class:`Problem` is one located
problem in a file that can be read — the row as the user numbers it, the column as its header is written,
the value and the reason — and the one place such a problem is put into words, for the terminal and for a
report row (errors.csv) alike. A cell-level :class:`~xhsxl.core.errors.XhsInputError` becomes a Problem
with :meth:`Problem.from_error`, keeping its fields rather than parsing its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xhsxl.core.errors import NO_VALUE, XhsInputError

__all__ = ["InputFileError", "Problem"]


class InputFileError(Exception):
    """An input file cannot be read as the table it should hold: missing, a folder, unreadable, of the wrong
    format, empty, too large, or without a required column. Nothing in it can be used; the message, which
    starts with the file's name, says why."""


@dataclass(frozen=True)
class Problem:
    """One problem, located as the user will look for it: ``row`` as numbered in their file (a CSV's header
    is row 1, an XLSX uses the sheet's own row numbers, JSON the 1-based position in the list) and
    ``column`` as the header is written there."""

    row: int
    column: str
    value: Any
    reason: str

    @classmethod
    def from_error(cls, error: XhsInputError, row: int, column: str) -> "Problem":
        """The problem an input error describes, placed at ``row`` and ``column`` of a file."""
        value = None if error.reason is None or error.value is NO_VALUE else error.value
        return cls(row, column, value, str(error))

    def record(self) -> tuple[str, str, str, str]:
        """The row of a problem report (row, column, value, reason), each as text."""
        return str(self.row), str(self.column), "" if self.value is None else str(self.value), self.reason

    def __str__(self) -> str:
        value = "" if self.value is None else f" = {self.value!r}"
        return f"row {self.row}, {self.column}{value}: {self.reason}"

"""What the commands print: numbers formatted by unit, tables that fit the terminal, and CSV or JSON for pipes.

A command describes each table once — :class:`Column` (key, label, unit) and rows of raw values — and
:func:`emit` shows it in the format asked for with ``--format``:

- ``table`` (default): rich tables whose values are never cut. Text columns wrap; numbers stay whole. A table
  that cannot fit the terminal even so is printed one record per block (``label: value`` lines) instead.
- ``csv``: each table as CSV on stdout, a header row of keys first, tables separated by one blank line;
  numbers as plain numbers, text that a spreadsheet would run as a formula made inert.
- ``json``: one JSON array on stdout, an object per table (``name``, ``title``, ``rows`` as records); numbers
  as numbers, blanks as ``null``.

With ``csv`` or ``json`` every other line a command prints (notes, "wrote …") goes to stderr, so stdout holds
only the data. Cells are rich ``Text``, never markup: a value holding ``[/]`` prints as written.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Iterable, Optional, Sequence

import typer
from rich.cells import cell_len
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from xhsxl.cli.exits import one_line, visible

__all__ = ["console", "errors", "OutputFormat", "FormatOption", "Column", "Section", "emit", "say", "warn",
           "money", "formatted", "share_range", "parse_number", "parse_amount", "Money", "Share", "inert",
           "FigureDefault", "EncodingOption"]

console = Console()
errors = Console(stderr=True)


class OutputFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[OutputFormat, typer.Option(
    "--format", help="table for reading; csv or json (to stdout, numbers as numbers) for piping.")]

#: The one ``--encoding`` of every command that reads CSV or JSON text: a file the detector cannot place
#: (or places wrongly) is read exactly when its encoding is named.
EncodingOption = Annotated[Optional[str], typer.Option(
    "--encoding", help="Text encoding of a CSV or JSON input when it is not detected (UTF-8, UTF-16, GB18030 "
                       "and Big5 are), e.g. big5, shift_jis or cp1252.")]


# ------------------------------------------------------------------------------------------------ numbers in
#: Plain decimals, which every reader reads as Python's float() does: parsed here without importing the
#: schema and its numeric stack, so ``xhsxl roi 1680000 450000`` starts quickly.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")


def parse_number(text: str | float, percent: bool = True) -> float:
    """Numbers as analysts write them: 450000, 450,000, ¥450,000, 168万, 30% — read by the one number reader of
    :mod:`xhsxl.excel.cells`. (Defaults arrive already as numbers.)"""
    if isinstance(text, str) and _PLAIN_DECIMAL.fullmatch(text):
        return float(text)
    from xhsxl.core.errors import XhsInputError
    from xhsxl.excel.cells import coerce_number

    try:
        value = coerce_number(text, "value", percent=percent)
    except XhsInputError as error:
        raise typer.BadParameter(str(error)) from None
    if value is None:
        raise typer.BadParameter("a number is required")
    return value


def parse_amount(text: str | float) -> float:
    """A ¥ amount or a count: read as :func:`parse_number`, but a percentage is refused — ``50%`` typed for a
    revenue is a slip, not ¥0.50."""
    return parse_number(text, percent=False)


#: A ¥ amount or a count argument (no %); :data:`Share` a share or rate argument (0.6 or 60%).
Money = Annotated[float, typer.Argument(parser=parse_amount, show_default=False)]
Share = Annotated[float, typer.Argument(parser=parse_number, show_default=False)]


class FigureDefault:
    """An option's default taken from a named figure (``module.NAME.value``) only when it is used or shown.

    The figure's module is imported then, not when the command is registered: ``xhsxl --help`` does not load
    the engine a single command's default lives beside. Pass it as ``typer.Option(default_factory=...)``.
    """

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self) -> float:
        import importlib

        return float(getattr(importlib.import_module(self.module), self.name).value)

    def __str__(self) -> str:  # what --help shows as the default
        return f"{self():g}"


# ------------------------------------------------------------------------------------------------ numbers out
def money(value: float | None) -> str:
    if value is None:
        return "—"
    return f"¥{value:,.2f}" if abs(value) < 100 and not float(value).is_integer() else f"¥{value:,.0f}"


def share_range(low: Any, high: Any) -> str:
    if low is None or high is None:
        return ""
    return f"{low:.0%}" if low == high else f"{low:.0%}–{high:.0%}"


def formatted(value: Any, unit: str) -> str:
    """``value`` as the table shows it; ``unit`` is one of the schema's units or a display unit below."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "fraction":
        return f"{value:.1%}"
    if unit == "percent3":
        return f"{value:.3%}"
    if unit == "CNY":
        return money(value)
    if unit in ("CNY per action", "CNY2"):
        return f"¥{value:,.2f}"
    if unit == "ratio":
        return f"1:{value:,.2f}"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "number4":
        return f"{value:.4f}"
    if unit == "integer":
        return f"{value:,}"
    return f"{value:,.3f}"


# ------------------------------------------------------------------------------------------------ tables
@dataclass(frozen=True)
class Column:
    """One column: ``key`` names it in CSV and JSON, ``label`` in the table, ``unit`` says how to format it.

    ``show`` computes a table-only cell from the whole row (a range "40%–50%" from two raw columns);
    ``table=False`` keeps a raw column out of the table, ``data=False`` a display column out of CSV and JSON.
    """

    key: str
    label: str | None = None
    unit: str = "number"
    show: Callable[[dict[str, Any]], str] | None = None
    table: bool = True
    data: bool = True
    style: Callable[[dict[str, Any]], str] | None = None

    @property
    def heading(self) -> str:
        return self.key if self.label is None else self.label

    def cell(self, row: dict[str, Any]) -> Text:
        text = self.show(row) if self.show is not None else formatted(row.get(self.key), self.unit)
        return Text(visible(text), style=self.style(row) if self.style is not None else "")

    @property
    def numeric(self) -> bool:
        return self.unit not in ("text", "flag")


@dataclass
class Section:
    """One table a command prints: ``name`` keys it in JSON; rows map column keys to raw values."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: Print one record per block even when a table would fit (reference lists with long text).
    blocks: bool = False

    @classmethod
    def from_core(cls, name: str, title: str, table: Sequence[Sequence[Any]], columns: Sequence[Column]) -> Section:
        """From a header-row table as the core returns it (``table[0]`` holds the keys). The core's columns that
        ``columns`` does not show are still in CSV and JSON."""
        keys = [str(key) for key in table[0]]
        named = {column.key for column in columns}
        columns = [*columns, *(Column(key, table=False) for key in keys if key not in named)]
        return cls(name, title, columns, [dict(zip(keys, row)) for row in table[1:]])


#: A text column may fold a long word down to this many terminal columns; numbers never fold.
TEXT_FOLD_WIDTH = 8


def _least_widths(section: Section) -> list[int]:
    """Each shown column's least width: a number's whole width and its header's longest word; a text column's
    longest word, but at most :data:`TEXT_FOLD_WIDTH` (longer words fold)."""
    widths = []
    for column in section.columns:
        if not column.table:
            continue
        cells = [column.cell(row).plain for row in section.rows]
        if column.numeric:
            widths.append(max(cell_len(piece) for piece in [*cells, *column.heading.split(), "-"]))
        else:
            longest = max(cell_len(piece) for piece in [*" ".join([*cells, column.heading]).split(), "-"])
            widths.append(min(TEXT_FOLD_WIDTH, longest))
    return widths


def _column_widths(section: Section, available: int) -> list[int] | None:
    """Column widths that fit ``available`` terminal columns without cutting or folding a number: each column's
    least width, then the room left shared out a column at a time up to each one's natural width. None when
    even the least widths do not fit."""
    shown = [column for column in section.columns if column.table]
    least = _least_widths(section)
    natural = [max(least_width, *(cell_len(column.cell(row).plain) for row in section.rows),
                   cell_len(column.heading))
               for column, least_width in zip(shown, least)]
    # Each column has one space of padding on either side and a border on its left; one more border closes it.
    room = available - (3 * len(shown) + 1)
    if sum(least) > room:
        return None
    widths, spare = list(least), room - sum(least)
    while spare > 0 and widths != natural:
        for index, target in enumerate(natural):
            if spare > 0 and widths[index] < target:
                widths[index] += 1
                spare -= 1
    return widths


def _rich_table(section: Section, widths: list[int]) -> Table:
    table = Table(title=Text(visible(section.title)), title_justify="left", header_style="bold")
    shown = [column for column in section.columns if column.table]
    for column, width in zip(shown, widths):
        # Every column is at least as wide as its longest number, so numbers never fold; text wraps at spaces
        # and folds a word longer than its column.
        table.add_column(Text(visible(column.heading)), justify="right" if column.numeric else "left",
                         overflow="fold", width=width)
    for row in section.rows:
        table.add_row(*(column.cell(row) for column in shown))
    return table


def _indented(text: Text, indent: int) -> Text:
    """``text`` wrapped to the terminal with every line indented (no trailing padding, unlike rich's Padding)."""
    lines = text.wrap(console, max(console.width - indent, 20), overflow="fold")
    for line in lines:
        line.rstrip()  # the space a line was broken at
    return Text("\n").join(Text(" " * indent) + line for line in lines)


def _blocks(section: Section) -> Group:
    """One record per block: the first column as its heading, then ``label: value`` lines."""
    shown = [column for column in section.columns if column.table]
    parts: list[Any] = [Text(visible(section.title), style="bold")] if section.title else []
    for row in section.rows:
        head, *rest = shown
        parts.append(Text(head.cell(row).plain, style="bold"))
        for column in rest:
            line = Text(f"{column.heading}: " if column.heading else "")
            line.append(column.cell(row))
            if line.plain:
                parts.append(_indented(line, 4))
    return Group(*parts)


def _machine(value: Any) -> Any:
    """A value for CSV or JSON: numpy scalars as Python numbers, NaN and infinities as blanks."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def inert(text: str) -> str:
    """Text a spreadsheet opening the CSV shows as text instead of running it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_cell(value: Any) -> Any:
    value = _machine(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return inert(value) if isinstance(value, str) else value


def csv_text(sections: Iterable[Section]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for number, section in enumerate(sections):
        if number:
            buffer.write("\n")
        columns = [column for column in section.columns if column.data]
        writer.writerow([inert(column.key) for column in columns])
        for row in section.rows:
            writer.writerow([_csv_cell(row.get(column.key)) for column in columns])
    return buffer.getvalue()


def json_text(sections: Iterable[Section]) -> str:
    data = [{"name": section.name, "title": section.title,
             "rows": [{column.key: _machine(row.get(column.key)) for column in section.columns if column.data}
                      for row in section.rows]} for section in sections]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def emit(sections: Section | Sequence[Section], fmt: OutputFormat = OutputFormat.table) -> None:
    """Print ``sections`` in ``fmt`` (see the module docstring)."""
    sections = [sections] if isinstance(sections, Section) else list(sections)
    if fmt == OutputFormat.csv:
        sys.stdout.write(csv_text(sections))
    elif fmt == OutputFormat.json:
        sys.stdout.write(json_text(sections))
    else:
        for section in sections:
            widths = None if section.blocks or not section.rows else _column_widths(section, console.width)
            console.print(_blocks(section) if widths is None and section.rows else
                          _rich_table(section, widths or _least_widths(section)))


def say(text: str, fmt: OutputFormat = OutputFormat.table, *, markup: str = "{}") -> None:
    """A line for the reader: on stdout with a table, on stderr when stdout carries CSV or JSON.

    ``text`` is escaped; ``markup`` wraps it (``"[bold]{}[/]"``)."""
    target = console if fmt == OutputFormat.table else errors
    target.print(markup.format(escape(visible(text))), highlight=False)


def warn(text: str) -> None:
    """A warning on stderr, escaped, on one line."""
    errors.print(f"[yellow]warning:[/] {escape(one_line(text))}", soft_wrap=True, highlight=False)

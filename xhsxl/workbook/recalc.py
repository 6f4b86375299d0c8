"""Headless recalculation: evaluate an xhsxl workbook's formulas without Excel, XHS_ functions included.

openpyxl writes formulas without cached values, so a workbook it builds shows no numbers until something
recalculates it. This module does that with the ``formulas`` package (an Excel formula compiler in pure
Python): it registers every ``XHS_*`` function of :mod:`xhsxl.udfs` with ``formulas``, compiles the
workbook into a calculation graph and evaluates it. The tests use it to prove the template's numbers equal
the core's, and ``xhsxl recalc --static`` uses it to hand clients without Python a workbook with the
numbers baked in (see :func:`computed_values_for_static`).

What the engine sees, argument by argument, is what Excel passes through xlwings: a number as ``float``,
a blank cell as ``None``, text as ``str``, ``bool``, a one-cell range as its value and a larger range as a
list of rows. A table result fills a classic (CSE) array formula's range the way Excel fills it: cut to
the range when the range is smaller, a single row or column repeated across a larger range, and
``#N/A`` in the cells left over; a table's blank (``None``) cells stay blank. An invalid input gives
``#VALUE!``
and the message of the :class:`~xhsxl.core.errors.XhsInputError` is kept in :class:`CellError`; an
Excel error passed into an ``XHS_`` function comes out unchanged, as Excel propagates it.

Limits of the engine, which a workbook must respect to be recalculated here: defined names must be
workbook-scoped (a sheet-scoped name is not read, and a formula using it gives ``#REF!``) and should use
absolute references (the engine reads ``Inputs!C5`` as ``Inputs!$C$5``, Excel does not); an empty
argument in a call (``=XHS_ROI(A1,B1,)``) reaches the function as 0, not as a blank, so leave trailing
optional arguments out; no spill references (``A1#``, which give ``#REF!``) and no structured table
references (``Table1[Col]``, reported as a formula the engine cannot read). A formula the engine cannot
read, or cannot compute (a circular reference), is listed among the errors; it never stops the rest.

``formulas`` is an optional dependency (``pip install "xhsxl[recalc]"``); importing this module does not
need it, calling it does, and says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import inspect
import math
import os
import re
import sys
import threading
import types
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter, range_boundaries

from xhsxl.workbook.udf_module import udf_module as _udfs
from xhsxl.workbook.clients import check_xlsx_archive

__all__ = [
    "NOT_COMPUTED",
    "CellError",
    "Recalculation",
    "Recalculator",
    "RecalcUnavailableError",
    "calls_xhs_function",
    "computed_values_for_static",
    "recalculate",
    "recalculate_many",
    "register_xhs_functions",
    "xhs_function_names",
]

#: What a formula cell the engine could not evaluate (a circular reference) is reported as.
NOT_COMPUTED = "#CALC!"
_UNCOMPUTED = object()

_XHS_CALL = re.compile(r"(?<![\w.])XHS_\w*\s*\(", re.IGNORECASE)
_STRING_LITERAL = re.compile(r'"(?:[^"]|"")*"')


class RecalcUnavailableError(ImportError):
    """The optional ``formulas`` package that recalculation needs is not installed."""


class ExternalReferenceRefused(Exception):
    """A formula refers to another workbook, which recalculation never opens (the cell becomes ``#REF!``)."""


#: The note of a cell whose formula refers to another workbook.
EXTERNAL_REFERENCE_NOTE = ("refers to another workbook ({}); recalculation reads only the workbook it was given, "
                           "so the reference is #REF!")
_EXTERNAL_REFERENCE = re.compile(r"\[[^\]]*\]|https?://|file:|\|")


@dataclasses.dataclass(frozen=True)
class CellError:
    """A cell whose recalculated value is an Excel error.

    ``formula`` is the cell's formula as written (``None`` for a constant error value); ``message`` is the
    reason an ``XHS_`` function gave (``cost must be greater than 0 (got 0)``) when one is known. A cell
    that depends on a failed ``XHS_`` cell carries that cell's message too.
    """

    sheet: str
    cell: str
    formula: str | None
    error: str
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class Recalculation:
    """The values of a recalculated workbook.

    ``values`` maps sheet name → cell address (``"C5"``) → value for every non-empty cell and each cell
    of an array formula's range: ``float`` (dates as serial numbers), ``str``, ``bool`` or ``None``
    (blank), an error as its text (``"#VALUE!"``). ``formulas`` maps sheet → cell → formula as written,
    for each cell a formula fills (every cell of an array formula's range gets the array's formula);
    ``arrays`` maps sheet → anchor cell → range of each array formula (``"D1"`` → ``"D1:J8"``).
    ``errors`` lists every cell that ends in an Excel error, in sheet order, then row by row. ``padding``
    lists apart the ``#N/A`` cells of an array formula's range beyond its result (a table of 4 channels in
    a range sized for 6): Excel shows them too, but they are the range's size, not a failed calculation.
    """

    values: dict[str, dict[str, Any]]
    errors: list[CellError]
    formulas: dict[str, dict[str, str]]
    arrays: dict[str, dict[str, str]]
    padding: list[CellError] = dataclasses.field(default_factory=list)

    def value(self, sheet: str, cell: str) -> Any:
        """The value of one cell (``None`` when it is blank); an unknown sheet raises ``KeyError``."""
        try:
            cells = self.values[sheet]
        except KeyError:
            raise KeyError(f"no sheet named {sheet!r} (sheets: {', '.join(self.values)})") from None
        return cells.get(cell.replace("$", "").upper())


# ----------------------------------------------------------------------------------------------- engine


@functools.lru_cache(maxsize=None)
def _engine() -> types.SimpleNamespace:
    """The parts of ``formulas`` this module uses, imported on first use (the import takes about a second)."""
    try:
        import formulas
        import schedula
        import tqdm
        from formulas.cell import Cell
        from formulas.errors import FormulaError
        from formulas.excel import BOOK, ExcelModel
        from formulas.functions import Array, wrap_func
        from formulas.tokens.operand import XlError
    except ImportError as error:
        raise RecalcUnavailableError(
            "headless recalculation needs the 'formulas' package: pip install \"xhsxl[recalc]\" "
            f"(import failed: {error})") from error

    _defer_statistics_functions()
    errors = {str(e): e for e in (formulas.NULL, formulas.DIV, formulas.VALUE, formulas.REF, formulas.NAME,
                                  formulas.NUM, formulas.NA)}
    value_error = formulas.VALUE

    class MessageError(XlError):
        """``#VALUE!`` that also carries the XHS_ function's message.

        It equals (and hashes like) the engine's own ``#VALUE!``, so IFERROR, ISERROR and ERROR.TYPE treat
        it as that error; formulas propagate the error object itself, so dependants keep the message.
        """

        message: str

        def __new__(cls, message: str) -> "MessageError":
            return super().__new__(cls, str(value_error))

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

        def __eq__(self, other: object) -> bool:
            return other is self or other is value_error

        def __ne__(self, other: object) -> bool:
            return not self.__eq__(other)

        def __hash__(self) -> int:
            return hash(value_error)

        def __reduce__(self) -> Any:
            return MessageError, (self.message,)

    from formulas.excel import _decode_path, _encode_path

    class Model(ExcelModel):
        """``ExcelModel`` that turns a formula the engine cannot parse into ``#NAME?`` instead of failing,
        compiles only the cells a sheet stores, and opens no workbook but the one it was given (see
        :meth:`add_book`)."""

        def __init__(self) -> None:
            super().__init__()
            self.unparsed: dict[tuple[str, str], str] = {}
            #: Once the given workbook is loaded, no other is: a reference to one evaluates to #REF!.
            self.sealed = False
            self.refused_books: set[str] = set()

        def add_book(self, book: Any = None, context: Any = None, data_only: bool = False) -> Any:
            # The engine opens the file a reference names ('../secret/[secret.xlsx]Sheet'!A1, or an external
            # link's target) to read its cells; a workbook from a client would read any file the user can.
            # The engine's own bookkeeping names a book by its path relative to the first one, upper-cased;
            # anything not loaded already is refused here, and the engine turns the refusal into #REF!.
            if self.sealed and isinstance(book, str):
                parts = _encode_path(book).split("/")
                directory = _encode_path(os.path.relpath(os.path.join(self.basedir, _decode_path(
                    "/".join(parts[:-1]))), self.basedir)) if len(parts) > 1 else ""
                key = _encode_path(os.path.join(_decode_path("" if directory == "." else directory),
                                                parts[-1])).upper()
                if key not in self.books:
                    self.refused_books.add(book)
                    raise ExternalReferenceRefused(book)
            return super().add_book(book, context, data_only)

        # The formulas package ships no types: its cells and references are what it passes in.
        def push(self, worksheet: Any, context: Any) -> Any:
            # The engine's own push walks iter_rows, which creates and compiles every empty cell of the used
            # range (more than half of the template's) only to add nothing for it; this walks the stored cells
            # in the same row-major order and is otherwise the same.
            worksheet, context = self.add_sheet(worksheet, context)
            references = self.references
            formula_references = self.formula_references(context)
            formula_ranges = self.formula_ranges(context)
            ctx = {"external_links": self.external_links(context)}
            ctx.update(context)
            stored = worksheet._cells
            cells = [self.compile_cell(stored[key], ctx, references, formula_references)
                     for key in sorted(stored) if stored[key].value is not None]
            for cell in cells:
                self.add_cell(schedula.await_result(cell), ctx, formula_ranges)
            return self

        def compile_cell(self, cell: Any, context: Any, references: Any, formula_references: Any) -> Any:
            try:
                return super().compile_cell(cell, context, references, formula_references)
            except FormulaError as error:
                text = cell.value if isinstance(cell.value, str) else getattr(cell.value, "text", cell.value)
                self.unparsed[(context["sheet"], cell.coordinate)] = (
                    f"the recalculation engine cannot read the formula {text} ({_describe_engine_error(error)})")
                reference = formula_references.get(cell.coordinate, cell.coordinate)
                return self._compile_cell(reference, "=#NAME?", context, True, references)

    return types.SimpleNamespace(
        formulas=formulas, EMPTY=schedula.EMPTY, NONE=schedula.NONE, tqdm=tqdm, BOOK=BOOK, Model=Model,
        Array=Array, Cell=Cell, wrap_func=wrap_func, XlError=XlError, MessageError=MessageError, errors=errors,
        NA=formulas.NA, NUM=formulas.NUM, VALUE=value_error,
    )


@contextlib.contextmanager
def _engine_warnings_silenced() -> Iterator[None]:
    """The engine logs a warning for each reference it cannot load; a refused external reference is reported
    with its cell instead, so those warnings are kept off the terminal."""
    import logging

    logger = logging.getLogger("formulas.excel")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


#: The scipy modules the engine's statistics functions bind at import (``from scipy import stats, linalg``) but
#: use only inside the functions: scipy.stats alone takes about half a second to import.
_STATISTICS_SCIPY_MODULES = ("scipy.stats", "scipy.linalg")


def _defer_statistics_functions() -> None:
    """Let the engine's statistics functions load without importing scipy.stats until one of them runs.

    ``formulas`` builds its function table by importing every function module on the first formula parsed;
    its ``stat`` module (COUNTA, MAX, AVERAGE, RANK, …, which the template calls) binds ``scipy.stats`` at
    import but calls it only inside the distribution and test functions. Each module above is bound here as
    a lazily loaded module (the standard library's ``importlib.util.LazyLoader``): the same module, executed
    on its first attribute access, so a formula that needs scipy.stats gets it and one that does not never
    waits for it.
    """
    import importlib.util

    for name in _STATISTICS_SCIPY_MODULES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue  # the engine's own import then reports what is missing
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        # Bound on the package as the import system binds a submodule it loaded: ``from scipy import stats``
        # then takes the attribute instead of re-importing, which on Python 3.11 would touch the module (it
        # reads ``__spec__``) and so load it.
        parent, _, child = name.rpartition(".")
        setattr(sys.modules[parent], child, module)
    _load_statistics_without_interpolation()


def _load_statistics_without_interpolation() -> None:
    """Import the engine's ``stat`` module without scipy.interpolate, which it binds one function of
    (``from scipy.interpolate import interp1d``, used only by FORECAST.ETS and its kin) and which takes about a
    quarter of a second, with scipy.optimize, to import.

    A name bound by ``from ... import`` cannot be loaded lazily, so while ``stat`` loads, ``scipy.interpolate``
    is a stand-in whose ``interp1d`` imports the real function on its first call and calls it. The stand-in
    leaves ``sys.modules`` as soon as ``stat`` is loaded: anything importing scipy.interpolate afterwards gets
    the real package."""
    import importlib

    if "formulas.functions.stat" in sys.modules or "scipy.interpolate" in sys.modules:
        return
    stand_in = types.ModuleType("scipy.interpolate", "interp1d, imported from scipy on its first call")

    def interp1d(*args: Any, **kwargs: Any) -> Any:
        from scipy.interpolate import interp1d as real

        return real(*args, **kwargs)

    stand_in.interp1d = interp1d  # type: ignore[attr-defined]
    sys.modules["scipy.interpolate"] = stand_in
    try:
        importlib.import_module("formulas.functions.stat")
    finally:
        if sys.modules.get("scipy.interpolate") is stand_in:
            del sys.modules["scipy.interpolate"]


def _describe_engine_error(error: Exception) -> str:
    parts = [str(a) for a in error.args if a]
    if len(parts) >= 2 and "%s" in parts[0]:
        return parts[0].split("\n")[0].replace("%s", "").strip(" :")
    return (parts[0] if parts else type(error).__name__).split("\n")[0].strip(" :")


_COMPILING = threading.Lock()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Compile or evaluate without passes of the cyclic garbage collector, whose state comes back afterwards.

    Compiling the template allocates some 200,000 container objects (cells, ranges, graph nodes) that live as
    long as the model, and evaluating it tens of thousands more; every few hundred allocations the collector
    walks the young ones, finds them all alive and moves them on, again and again as they age. Paused, they
    are walked once, by the first pass after the compile, which also collects the cycles it left behind.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:  # only the caller that switched it off switches it back on (threads compiling at once too)
            gc.enable()


@contextlib.contextmanager
def _progress_bar_silenced() -> Iterator[None]:
    """Compile without the progress bar ``formulas`` prints to stderr.

    ``ExcelModel.complete`` calls ``tqdm.tqdm`` through its module's global ``tqdm``; for the duration of
    the compile that one name points at a disabled bar, and nothing else in the process is touched. The
    lock keeps two threads compiling at once from restoring each other's replacement.
    """
    engine = _engine()
    module = inspect.getmodule(engine.Model.complete)
    if module is None:  # a method defined in no module: nothing prints through a module's tqdm, so nothing to silence
        yield
        return
    with _COMPILING:
        # setattr: a module object's type declares no attributes, so a checker refuses a plain assignment.
        real = module.tqdm
        setattr(module, "tqdm", types.SimpleNamespace(tqdm=functools.partial(engine.tqdm.tqdm, disable=True)))
        try:
            yield
        finally:
            setattr(module, "tqdm", real)


# ----------------------------------------------------------------------------------------------- registration


def xhs_function_names() -> list[str]:
    """The names of the Excel functions :mod:`xhsxl.udfs` defines (``XHS_ROI``, …), sorted."""
    return sorted(name for name, value in vars(_udfs()).items() if name.startswith("XHS_") and callable(value))


class _ErrorArgument(Exception):
    """An argument holds an Excel error: the function's result is that error."""

    def __init__(self, error: Any) -> None:
        super().__init__(str(error))
        self.error = error


def _engine_scalar(value: Any) -> Any:
    """An engine value that is not an error as Python has it: blank as None, numbers as float, booleans as
    such, anything else unchanged."""
    if value is _engine().EMPTY or value is None:
        return None
    return _python_scalar(value)


def _python_scalar(value: Any) -> Any:
    """A cell's value as Python has it: numpy scalars unwrapped, numbers as float, booleans and text as such."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def _excel_cell(value: Any) -> Any:
    """One cell as xlwings passes it: float, str, bool or None; an error argument makes the call that error."""
    if isinstance(value, _engine().XlError):
        raise _ErrorArgument(value)
    return _engine_scalar(value)


def _excel_argument(value: Any) -> Any:
    """A ``formulas`` argument (a literal, a cell, a range as a 2-D array) in the shape Excel passes it.

    A one-cell range becomes its value (what xlwings passes for a cell), a larger range a list of rows.
    """
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _excel_cell(value.item())
        grid = value.reshape(1, -1) if value.ndim == 1 else value
        rows = np.asarray(grid, dtype=object).tolist()
        if len(rows) == 1 and len(rows[0]) == 1:
            return _excel_cell(rows[0][0])
        return [[_excel_cell(item) for item in row] for row in rows]
    return _excel_cell(value)


def _engine_cell(value: Any) -> Any:
    """One cell of an XHS_ result as the engine stores it; NaN, which a UDF never returns, is ``#NUM!``.

    ``None`` stays ``None``: the engine shows it blank and SUM skips it. (The engine's own blank would
    read as 0 once it is a formula's result, which is not what the table means.)
    """
    engine = _engine()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return engine.NUM
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@functools.lru_cache(maxsize=None)
def _table_class() -> type:
    """An engine array that fills a target range as Excel fills an array formula's range.

    The engine reshapes a result to its target with a plain reshape when the cell counts agree, which
    would pour a 7×7 table into a 49×1 range row by row; Excel instead cuts the table to the range,
    repeats a single row or column, and shows ``#N/A`` in the cells the table does not reach.
    """
    engine = _engine()

    # The base class is the formulas package's Array, loaded at run time (the package is optional), which a
    # static checker cannot resolve through the local variable.
    class Table(engine.Array):  # type: ignore[name-defined]
        def reshape(self, shape: Any, *shapes: Any, order: str = "C") -> Any:
            target = tuple(shape) if not shapes else (shape, *shapes)
            if len(target) != 2 or self.ndim != 2:
                return super().reshape(shape, *shapes, order=order)
            rows, columns = target
            source = np.asarray(self, dtype=object)
            if source.shape[0] == 1:
                source = np.repeat(source, rows, axis=0)
            if source.shape[1] == 1:
                source = np.repeat(source, columns, axis=1)
            filled = np.empty(target, dtype=object)
            filled[:, :] = engine.NA
            height, width = min(rows, source.shape[0]), min(columns, source.shape[1])
            filled[:height, :width] = source[:height, :width]
            return filled.view(engine.Array)

    return Table


def _engine_result(result: Any) -> Any:
    """A UDF result for the engine: a scalar stays a scalar, a list of rows becomes a table."""
    if not isinstance(result, (list, tuple)):
        return _engine_cell(result)
    rows = [list(row) if isinstance(row, (list, tuple)) else [row] for row in result]
    if result and not any(isinstance(row, (list, tuple)) for row in result):
        rows = [list(result)]  # a flat list is one row, as xlwings writes it
    if not rows:
        return _engine().NA
    width = max(len(row) for row in rows)
    table = np.full((len(rows), width), None, dtype=object)
    for index, row in enumerate(rows):
        table[index, :len(row)] = [_engine_cell(item) for item in row]
    if table.shape == (1, 1):
        return table[0, 0]
    return table.view(_table_class())


def _adapter(udf: Callable[..., Any]) -> Callable[..., Any]:
    """``udf`` as an engine function: Excel-shaped arguments in, engine values out, errors as error values."""
    engine = _engine()

    @functools.wraps(udf)
    def call(*arguments: Any) -> Any:
        try:
            excel_arguments = [_excel_argument(argument) for argument in arguments]
        except _ErrorArgument as error:
            return error.error
        try:
            with np.errstate(all="ignore"):
                result = udf(*excel_arguments)
        except Exception as error:  # an XhsInputError, or any other failure: the cell shows #VALUE!
            return engine.MessageError(str(error) or type(error).__name__)
        return _engine_result(result)

    return call


_REGISTERED: dict[str, Callable[..., Any]] = {}


def register_xhs_functions() -> None:
    """Register every ``XHS_*`` function of :mod:`xhsxl.udfs` with ``formulas``; calling it again is harmless.

    ``formulas`` resolves function names when it parses a formula, so registration must come before a
    workbook is loaded; :func:`recalculate` and :class:`Recalculator` call it themselves.
    """
    engine = _engine()
    functions = engine.formulas.get_functions()
    for name in xhs_function_names():
        if name not in _REGISTERED:
            _REGISTERED[name] = engine.wrap_func(_adapter(getattr(_udfs(), name)))
        functions[name] = _REGISTERED[name]


# ----------------------------------------------------------------------------------------------- workbook


@dataclasses.dataclass(frozen=True)
class _Target:
    """A block of cells one engine node computes: a formula cell, an array formula's range or a constant."""

    sheet: str
    row: int
    column: int
    height: int
    width: int
    node: str
    formula: str | None


def _plain(value: Any) -> Any:
    """An engine value as a plain Python value: float, str, bool, None, a date, or an error's text."""
    if isinstance(value, _engine().XlError):
        return str(value)
    value = _engine_scalar(value)
    if value is None or isinstance(value, (bool, float, dt.datetime, dt.date, dt.time)):
        return value
    return str(value)


def _address(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}"


def _formula_text(value: Any) -> str:
    return value if isinstance(value, str) else str(getattr(value, "text", value))


class Recalculator:
    """A workbook compiled once, recalculated as often as needed with different input cells.

    Compiling is the slow part; each :meth:`calculate` then evaluates the compiled graph with the given
    constant cells changed, so many campaigns of one layout cost one compile::

        recalculator = Recalculator("template.xlsx", inputs=[("Inputs", "C5"), ("Inputs", "C6")])
        result = recalculator.calculate({("Inputs", "C5"): 450_000.0, ("Inputs", "C6"): 1_680_000.0})
        result.value("Results", "C5")

    Naming the ``inputs`` cells up front also compiles the evaluation order for them (a ``formulas``
    pipe), which makes each :meth:`calculate` that changes only those cells about a fifth faster; a call
    that changes any other cell takes the general path, with the same result.
    """

    def __init__(self, path: str | os.PathLike[str], inputs: Iterable[tuple[str, str]] = ()) -> None:
        with _collector_paused():
            self._compile(path, inputs)

    def _compile(self, path: str | os.PathLike[str], inputs: Iterable[tuple[str, str]]) -> None:
        engine = _engine()
        register_xhs_functions()
        self.path = os.fspath(path)
        # The same zip and XML caps as every other reader of untrusted workbooks, before the engine opens it.
        check_xlsx_archive(self.path)
        model = engine.Model()
        with _progress_bar_silenced(), _engine_warnings_silenced():
            model.loads(os.path.abspath(self.path))
            model.sealed = True
            model.finish()
        self._model = model
        self._refused_books = sorted(model.refused_books)
        book = next(iter(model.books.values()))[engine.BOOK]
        self.sheets: list[str] = list(book.sheetnames)
        self._sheet_names = {name.upper(): name for name in self.sheets}
        self._cells = _cells_of_book(book)
        self._constants = self._cells.constants
        self._formulas = self._cells.formulas
        self._arrays = self._cells.arrays
        self._sheet_ids: dict[str, str] = {}  # sheet name -> the engine's prefix for its cells
        self._targets = self._collect_targets()
        self._nodes = {(t.sheet, _address(t.row, t.column)): t.node
                       for t in self._targets if t.height == t.width == 1}
        self._unparsed = {(self._sheet_names.get(sheet, sheet), cell): message
                          for (sheet, cell), message in model.unparsed.items()}
        self._pipe: Callable[..., Any] | None = None
        self._pipe_defaults: dict[str, Any] = {}
        self._pipe_inputs: list[str] = []
        self._pipe_outputs: list[str] = []
        self._compile_pipe(inputs)

    def _node(self, sheet: str, address: str) -> str | None:
        """The engine's name for a cell (a blank one too); None when no formula reads the cell's sheet."""
        node = self._nodes.get((sheet, address))
        if node is None and sheet in self._sheet_ids:
            node = f"{self._sheet_ids[sheet]}!{address}"
        return node

    def _compile_pipe(self, cells: Iterable[tuple[str, str]]) -> None:
        nodes = []
        for sheet, cell in cells:
            node = self._node(*self._input_cell(sheet, cell))
            if node is not None and node in self._model.dsp.data_nodes and node not in nodes:
                nodes.append(node)
        if not nodes:
            return
        defaults = self._model.dsp.default_values
        self._pipe_defaults = {node: defaults[node]["value"] if node in defaults else [[_engine().EMPTY]]
                               for node in nodes}
        self._pipe_outputs = [t.node for t in self._targets if t.formula is not None]
        self._pipe = self._model.compile(nodes, self._pipe_outputs)
        self._pipe_inputs = nodes

    def _sheet_of(self, sheet_id: str, fallback: str | None) -> str | None:
        name = fallback
        if name is None:
            match = re.fullmatch(r"'?(?:\[[^\]]*\])?(.*?)'?", sheet_id)
            name = match.group(1).replace("''", "'") if match else None
        return None if name is None else self._sheet_names.get(name.upper())

    def _collect_targets(self) -> list[_Target]:
        targets = []
        for node, cell in self._model.cells.items():
            if type(cell) is not _engine().Cell or not cell.range or not cell.range.ranges:
                continue  # defined names (Ref) have no cells of their own
            block = cell.range.ranges[0]
            sheet = self._sheet_of(block.get("sheet_id", ""), block.get("sheet"))
            if sheet is None:
                continue
            self._sheet_ids[sheet] = block["sheet_id"]
            row, column = int(block["r1"]), int(block["n1"])
            formula = self._formulas[sheet].get(_address(row, column))
            targets.append(_Target(sheet, row, column, int(block["r2"]) - row + 1, int(block["n2"]) - column + 1,
                                   node, formula))
        return targets

    def _input_cell(self, sheet: str, cell: str) -> tuple[str, str]:
        """Check an input cell: a known sheet (``KeyError``), an address, a constant cell (``ValueError``)."""
        if sheet not in self._formulas:
            raise KeyError(f"no sheet named {sheet!r} (sheets: {', '.join(self.sheets)})")
        address = cell.replace("$", "").upper()
        coordinate_from_string(address)  # a malformed address raises here, with its text
        if address in self._formulas[sheet]:
            raise ValueError(f"{sheet}!{address} holds a formula ({self._formulas[sheet][address]}); "
                             "only constant cells can be inputs")
        return sheet, address

    def calculate(self, input_values: Mapping[tuple[str, str], Any] | None = None) -> Recalculation:
        """Evaluate every formula, with the constant cells in ``input_values`` changed first.

        ``input_values`` maps ``(sheet, cell)`` to a float, str, bool or ``None`` (blank); cells not given
        keep the workbook's values. A formula cell raises ``ValueError``, an unknown sheet ``KeyError``.
        """
        with _collector_paused():
            return self._calculate(input_values)

    def _calculate(self, input_values: Mapping[tuple[str, str], Any] | None) -> Recalculation:
        engine = _engine()
        values = {sheet: dict(cells) for sheet, cells in self._constants.items()}
        inputs: dict[str, Any] = {}
        for (sheet, cell), value in (input_values or {}).items():
            sheet, address = self._input_cell(sheet, cell)
            if not isinstance(value, (str, bool, int, float, np.generic, dt.date, dt.time, type(None))):
                raise TypeError(f"{sheet}!{address}: an input is a number, text, a boolean or None "
                                f"(got {type(value).__name__})")
            plain = None if value is None else _constant(value, "n")
            if plain is None:
                values[sheet].pop(address, None)
            else:
                values[sheet][address] = plain
            node = self._node(sheet, address)
            if node is not None:
                inputs[node] = [[engine.EMPTY]] if plain is None else plain
        solution = self._evaluate(inputs)
        padded: set[tuple[str, str]] = set()
        for target in self._targets:
            if target.formula is None:
                continue
            result = solution.get(target.node, engine.NONE)
            if result is engine.NONE:
                block = None
            else:
                block = np.asarray(getattr(result, "value", result), dtype=object).reshape(target.height,
                                                                                             target.width)
                beyond = _beyond_result(block)
            cells = values[target.sheet]
            for i in range(target.height):
                for j in range(target.width):
                    address = _address(target.row + i, target.column + j)
                    cells[address] = _UNCOMPUTED if block is None else block[i, j]
                    if block is not None and beyond[i, j]:
                        padded.add((target.sheet, address))
        for sheet, formulas in self._formulas.items():
            for address in formulas.keys() - values[sheet].keys():
                values[sheet][address] = _UNCOMPUTED  # a formula cell the engine did not take up
        return self._finish(values, padded)

    def same_layout(self, path: str | os.PathLike[str]) -> bool:
        """Whether the workbook at ``path`` has this one's layout, so :meth:`calculate_workbook` can take it."""
        return self._cells.layout == _cells_of_file(path).layout

    def calculate_workbook(self, path: str | os.PathLike[str]) -> Recalculation:
        """Recalculate another workbook of this one's layout with this compiled model.

        The layout is the sheets, every formula and array range, the workbook's defined names and its
        constant error cells; only constant values may differ. The workbook's constants are read
        (without loading the workbook through openpyxl) and the model evaluates with them in place of
        this workbook's, which gives what :func:`recalculate` of that file gives. A workbook of another
        layout raises ``ValueError``; :func:`recalculate_many` compiles it instead.
        """
        return self._calculate_cells(_cells_of_file(path), os.fspath(path))

    def _calculate_cells(self, cells: _WorkbookCells, name: str) -> Recalculation:
        if cells.layout != self._cells.layout:
            raise ValueError(f"{name} does not have the layout of {self.path} (its formulas, array ranges, "
                             "names or sheets differ): compile it on its own")
        changed: dict[tuple[str, str], Any] = {}
        for sheet, theirs in cells.constants.items():
            mine = self._constants[sheet]
            for address, value in theirs.items():
                known = mine.get(address, _UNCOMPUTED)
                # type() too: True == 1.0 in Python, but not in a cell.
                if known is _UNCOMPUTED or type(known) is not type(value) or known != value:
                    changed[sheet, address] = value
            for address in mine.keys() - theirs.keys():
                changed[sheet, address] = None
        if self._pipe is None and changed:
            # A second workbook of the layout: compile the evaluation order for every constant cell a formula
            # reads, so that this and every later workbook takes the faster pipe whichever inputs differ.
            with _collector_paused():
                self._compile_pipe((sheet, address) for sheet, constants in self._constants.items()
                                   for address in constants)
        return self.calculate(changed)

    def _evaluate(self, inputs: dict[str, Any]) -> Mapping[str, Any]:
        """Node → value of every formula node: through the compiled pipe when it covers the inputs."""
        if self._pipe is not None and inputs.keys() <= self._pipe_defaults.keys():
            try:
                outputs = self._pipe(*(inputs.get(node, self._pipe_defaults[node]) for node in self._pipe_inputs))
            except Exception:  # e.g. a node the pipe cannot reach: the general path reports it cell by cell
                pass
            else:
                return dict(zip(self._pipe_outputs, outputs))
        return self._model.calculate(inputs=inputs)

    def _finish(self, raw: dict[str, dict[str, Any]], padded: set[tuple[str, str]]) -> Recalculation:
        engine = _engine()
        values: dict[str, dict[str, Any]] = {}
        errors: list[CellError] = []
        padding: list[CellError] = []
        for sheet in self.sheets:
            formulas = self._formulas[sheet]
            cells = values[sheet] = {}
            for address, value in sorted(raw[sheet].items(), key=_cell_order):
                formula = formulas.get(address)
                if value is _UNCOMPUTED:
                    cells[address] = NOT_COMPUTED
                    errors.append(CellError(sheet, address, formula, NOT_COMPUTED, "not computed: a circular "
                                            "reference, or a formula the engine cannot evaluate"))
                    continue
                cells[address] = plain = _plain(value)
                if (sheet, address) in padded:
                    padding.append(CellError(sheet, address, formula, plain, "beyond the array's result"))
                elif isinstance(value, engine.XlError) or (formula is None and plain in engine.errors):
                    message = self._unparsed.get((sheet, address), getattr(value, "message", None))
                    if message is None and plain == "#REF!" and self._refused_books and formula is not None \
                            and _EXTERNAL_REFERENCE.search(formula):
                        message = EXTERNAL_REFERENCE_NOTE.format(", ".join(self._refused_books)[:100])
                    errors.append(CellError(sheet, address, formula, plain, message))
        return Recalculation(values=values, errors=errors,
                             formulas={sheet: dict(cells) for sheet, cells in self._formulas.items()},
                             arrays={sheet: dict(cells) for sheet, cells in self._arrays.items()},
                             padding=padding)


@dataclasses.dataclass(frozen=True)
class _WorkbookCells:
    """What recalculation reads of a workbook: sheet → cell → constant, formula text and array range, the
    constant error cells, and the workbook-scoped defined names (name → reference)."""

    sheets: tuple[str, ...]
    constants: dict[str, dict[str, Any]]
    formulas: dict[str, dict[str, str]]
    arrays: dict[str, dict[str, str]]
    error_cells: dict[str, dict[str, str]]
    names: dict[str, str]

    @property
    def layout(self) -> tuple[Any, ...]:
        """Everything but the constants' values: equal layouts compile to the same model."""
        # An error constant is part of the layout: an input value can only be a number, text or boolean.
        return self.sheets, self.formulas, self.arrays, self.error_cells, self.names


def _constant(value: Any, data_type: str) -> Any:
    return str(value) if data_type == "e" else _python_scalar(value)


def _sheet_cells(cells: list[tuple[str, Any, str]]) -> tuple[dict[str, Any], dict[str, str], dict[str, str],
                                                               dict[str, str]]:
    """Constants, formulas (every cell of an array range included), array ranges and error constants of one
    sheet from its stored cells as ``(coordinate, value, data_type)``, values as openpyxl reads them."""
    from openpyxl.worksheet.formula import ArrayFormula

    constants: dict[str, Any] = {}
    formulas: dict[str, str] = {}
    arrays: dict[str, str] = {}
    errors: dict[str, str] = {}
    for coordinate, value, data_type in cells:
        if data_type == "f" and isinstance(value, ArrayFormula):
            arrays[coordinate] = value.ref
            text = _formula_text(value)
            low_column, low_row, high_column, high_row = range_boundaries(value.ref)
            for row in range(low_row, high_row + 1):
                for column in range(low_column, high_column + 1):
                    formulas[_address(row, column)] = text
    for coordinate, value, data_type in cells:
        if value is None or coordinate in formulas:
            continue
        if data_type == "f":
            formulas[coordinate] = _formula_text(value)
        else:
            constants[coordinate] = _constant(value, data_type)
            if data_type == "e":
                errors[coordinate] = constants[coordinate]
    return constants, formulas, arrays, errors


def _workbook_cells(sheets: list[str], cells_of_sheet: Mapping[str, list[tuple[str, Any, str]]],
                    names: dict[str, str]) -> _WorkbookCells:
    parts = {sheet: _sheet_cells(cells_of_sheet.get(sheet, [])) for sheet in sheets}
    return _WorkbookCells(
        sheets=tuple(sheets),
        constants={sheet: part[0] for sheet, part in parts.items()},
        formulas={sheet: part[1] for sheet, part in parts.items()},
        arrays={sheet: part[2] for sheet, part in parts.items()},
        error_cells={sheet: part[3] for sheet, part in parts.items()},
        names=names,
    )


def _cells_of_book(book: Any) -> _WorkbookCells:
    """The cells of a workbook the engine loaded (openpyxl, dates as serial numbers)."""
    # The stored cells only: iter_rows would create (and walk) every empty cell of the used range.
    cells = {sheet.title: [(cell.coordinate, cell.value, cell.data_type) for cell in sheet._cells.values()]
             for sheet in book.worksheets}
    names = {name: definition.value for name, definition in book.defined_names.items()}
    return _workbook_cells(list(book.sheetnames), cells, names)


def _cells_of_file(path: str | os.PathLike[str]) -> _WorkbookCells:
    """The cells of the workbook at ``path``, read as the engine reads them, without building a workbook.

    The engine's reader (openpyxl's, with dates left as serial numbers and the engine's shared-string
    decoding) parses the workbook part, the shared strings and each sheet's cells; styles, charts,
    drawings and validations are never read. That is most of the time of loading a client workbook.
    """
    from formulas.excel.xlreader import XlReader
    from openpyxl.worksheet._reader import WorkSheetParser

    check_xlsx_archive(os.fspath(path))  # the caps every reader of an untrusted workbook applies
    reader = XlReader(os.fspath(path))
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        parser = reader.parser
        names = {name: definition.value for name, definition in parser.defined_names.by_sheet().get("global", {}).items()}
        sheets: list[str] = []
        cells: dict[str, list[tuple[str, Any, str]]] = {}
        for sheet, relation in parser.find_sheets():
            if relation.target not in reader.valid_files:
                continue  # as openpyxl does: a sheet whose part is missing is not there
            sheets.append(sheet.name)
            if "chartsheet" in relation.Type:
                continue
            with reader.archive.open(relation.target) as source:
                stored = _stored_cells(source, reader.shared_strings)
            if stored is None:  # shared formulas or unaddressed cells: openpyxl's full cell reader
                with reader.archive.open(relation.target) as source:
                    sheet_parser = WorkSheetParser(source, reader.shared_strings, data_only=False,
                                                   epoch=reader.wb.epoch, date_formats=set(), timedelta_formats=set())
                    stored = [(f"{get_column_letter(cell['column'])}{cell['row']}", cell["value"], cell["data_type"])
                              for _, row in sheet_parser.parse() for cell in row]
            cells[sheet.name] = stored
    finally:
        reader.archive.close()
    return _workbook_cells(sheets, cells, names)


def _stored_cells(source: Any, shared_strings: list[str]) -> list[tuple[str, Any, str]] | None:
    """A sheet part's cells as ``(coordinate, value, data_type)``, decoded as openpyxl's cell reader decodes
    them (formulas not evaluated, dates as serial numbers), reading the cells only; ``None`` for a sheet that
    needs openpyxl's reader (a shared or data-table formula, a cell without an address)."""
    import xml.etree.ElementTree as ElementTree

    from openpyxl.cell.text import Text
    from openpyxl.utils.datetime import from_ISO8601
    from openpyxl.worksheet.formula import ArrayFormula
    from openpyxl.xml.constants import SHEET_MAIN_NS

    cell_tag, value_tag = f"{{{SHEET_MAIN_NS}}}c", f"{{{SHEET_MAIN_NS}}}v"
    formula_tag, inline_tag = f"{{{SHEET_MAIN_NS}}}f", f"{{{SHEET_MAIN_NS}}}is"
    cells: list[tuple[str, Any, str]] = []
    for _, element in ElementTree.iterparse(source):
        if element.tag != cell_tag:
            continue
        coordinate = element.get("r")
        if not coordinate:
            return None
        data_type = element.get("t", "n")
        value: Any = None if data_type == "inlineStr" else (element.findtext(value_tag) or None)
        formula = element.find(formula_tag)
        if formula is not None:
            kind = formula.get("t")
            if kind not in (None, "normal", "array"):
                return None
            data_type = "f"
            value = "=" + (formula.text or "")
            if kind == "array":
                value = ArrayFormula(ref=formula.get("ref"), text=value)
        elif value is not None:
            if data_type == "n":
                value = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
            elif data_type == "s":
                value = shared_strings[int(value)]
            elif data_type == "b":
                value = bool(int(value))
            elif data_type == "str":
                data_type = "s"
            elif data_type == "d":
                value = from_ISO8601(value)
        elif data_type == "inlineStr":
            child = element.find(inline_tag)
            if child is not None:
                data_type = "s"
                value = Text.from_tree(child).content
        cells.append((coordinate, value, data_type))
        element.clear()
    return cells


def recalculate_many(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[str, Recalculation]]:
    """Recalculate many workbooks, compiling once per layout: ``(path, result)`` for each, in order.

    Workbooks of one layout (the clients a batch writes from the template) share one compiled model, so
    each after the first costs an evaluation, not a compile; a workbook of a new layout is compiled on
    its own (the last few layouts are kept). Each result equals :func:`recalculate` of that file.
    """
    compiled: dict[Any, Recalculator] = {}
    for path in paths:
        name = os.fspath(path)
        cells = _cells_of_file(name)
        key = repr(cells.layout)
        recalculator = compiled.get(key)
        if recalculator is None:
            recalculator = Recalculator(name)
            compiled[key] = recalculator
            if len(compiled) > _KEPT_LAYOUTS:
                del compiled[next(iter(compiled))]
            yield name, recalculator.calculate()
        else:
            yield name, recalculator._calculate_cells(cells, name)


#: Compiled layouts :func:`recalculate_many` keeps (a compiled template holds some tens of MB).
_KEPT_LAYOUTS = 4


def _beyond_result(block: np.ndarray) -> np.ndarray:
    """Which cells of an array formula's range lie beyond its result: the trailing rows, then columns, that are
    all ``#N/A`` under a first cell that is not an error (an error result fills the whole range instead)."""
    engine = _engine()
    beyond = np.zeros(block.shape, dtype=bool)
    if block.size <= 1 or isinstance(block[0, 0], engine.XlError):
        return beyond
    missing = np.array([[isinstance(v, engine.XlError) and str(v) == "#N/A" for v in row] for row in block],
                       dtype=bool).reshape(block.shape)
    rows = block.shape[0]
    while rows > 1 and missing[rows - 1].all():
        rows -= 1
    columns = block.shape[1]
    while columns > 1 and missing[:rows, columns - 1].all():
        columns -= 1
    beyond[rows:, :] = True
    beyond[:, columns:] = True
    return beyond


def _cell_order(item: tuple[str, Any]) -> tuple[int, int]:
    column, row = coordinate_from_string(item[0])
    return row, column_index_from_string(column)


def recalculate(path: str | os.PathLike[str]) -> Recalculation:
    """Evaluate every formula of the workbook at ``path``, XHS_ functions included, and list the errors.

    A workbook with errors in it is recalculated all the same: each cell that ends in an Excel error is
    listed in :attr:`Recalculation.errors`, with the XHS_ function's message when there is one. To
    recalculate many workbooks of one layout, compile once with :class:`Recalculator`.
    """
    return Recalculator(path).calculate()


def calls_xhs_function(formula: str | None) -> bool:
    """Whether a formula calls an ``XHS_`` function (text inside string literals does not count).

    >>> calls_xhs_function("=XHS_ROI(Revenue, TotalCost)"), calls_xhs_function('=IF(A1>0,"XHS_ROI(",0)')
    (True, False)
    """
    if not formula:
        return False
    return _XHS_CALL.search(_STRING_LITERAL.sub('""', formula)) is not None


def computed_values_for_static(recalculation: Recalculation) -> dict[str, dict[str, Any]]:
    """The computed values of the cells whose formula calls an ``XHS_`` function, sheet → cell → value.

    Every cell of an array formula over an ``XHS_`` function is included. These are the values a static
    workbook (one a client without the add-in can open) carries in place of the live formulas; the
    workbook is built from code with them, because openpyxl cannot write a formula and its cached value
    together. An error comes back as its text (``"#VALUE!"``), which openpyxl stores as an error cell.
    """
    static: dict[str, dict[str, Any]] = {}
    for sheet, cells in recalculation.formulas.items():
        chosen = {address: recalculation.values[sheet].get(address)
                  for address, formula in cells.items() if calls_xhs_function(formula)}
        if chosen:
            static[sheet] = chosen
    return static

"""Build the xhsxl workbook from code: every sheet of the registry drawn in order, then formulas or values
written, names defined, and the file saved.

:func:`build_workbook` writes one workbook — the blank template, a client's live workbook (``XHS_``
formulas, for analysts with the add-in) or a client's static workbook for clients without Python: the same
layout with every closed-form result as a native formula over the same names (it follows the client's edits in
plain Excel or LibreOffice) and the rest as values, marked as such, the inputs feeding only them grey and
locked. :func:`workbook_bytes` serialises it
deterministically: the same inputs give byte-identical files.

What each sheet shows is declared in its module of :mod:`xhsxl.workbook.sheets` and placed by it; the rest
of the package finds cells by their defined names, and the yellow blocks outside the schema through the
registry (:func:`sheet_inputs`).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import re
import zipfile
from typing import Any, Callable, Mapping

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring
from openpyxl.writer.excel import ExcelWriter

import xhsxl
from xhsxl.core import figures
from xhsxl.schema import FIELDS, ClientCampaign
from xhsxl.workbook import sheets
from xhsxl.workbook.formula import CellError, Expr, Grid, Lit, calls_xhs, is_flag, native, native_table
from xhsxl.workbook.sheet_xml import SheetXml
from xhsxl.workbook.sheets.inputs import TYPED_KEYS, write_input
from xhsxl.workbook.sheets.kit import ACCENT, Kit, Placement, Sheet, write_text

__all__ = [
    "build_workbook", "workbook_bytes", "WorkbookFactory", "example_campaign", "Placement", "write_text", "FIXED_TIME",
    "sheet_inputs", "static_shown_values",
]

#: Document timestamps of every workbook we write, so the same inputs give the same bytes.
FIXED_TIME = dt.datetime(2025, 1, 1)


class _Evaluation:
    """The value of every named cell for one campaign, computed on demand through the UDFs."""

    def __init__(self, inputs: dict[str, Any], exprs: dict[str, Expr], spans: dict[str, list[Any]],
                 known: dict[str, Any] | None = None) -> None:
        self._inputs = inputs
        self._exprs = exprs
        self._spans = spans
        self._values: dict[str, Any] = dict(known or {})
        self._busy: set[str] = set()

    def ref(self, name: str) -> str:  # pragma: no cover - evaluation never renders
        return name

    def cell_ref(self, name: str, row: int, column: int) -> str:  # pragma: no cover
        return name

    def value(self, name: str) -> Any:
        if name in self._inputs:
            return self._inputs[name]
        if name not in self._values:
            if name in self._busy:
                raise ValueError(f"the layout's formula for {name!r} refers to itself")
            if name not in self._exprs:
                raise KeyError(f"the layout refers to {name!r}, which no cell or table defines")
            self._busy.add(name)
            self._values[name] = self._exprs[name].evaluate(self)
            self._busy.discard(name)
        return self._values[name]

    def span(self, name: str) -> list[list[Any]]:
        return [[self.value(key)] if isinstance(key, str) else [self.value(k) for k in key] for key in self._spans[name]]

    def table(self, name: str) -> Any:
        return self.value(name)


def example_campaign() -> ClientCampaign:
    """Case study 1 of article 000, the example the blank template opens with."""
    case = figures.CASE_STUDY_1
    return ClientCampaign(
        client_name="Example: international beauty brand (case study 1)",
        campaign_name="Replace the yellow cells with your client's campaign",
        brand_stage="cold_start",
        creator_fees=case.creator_fees, content_production=case.content_production, paid_ads=case.paid_ads,
        tech_analytics=case.tech_analytics, impressions=case.impressions, clicks=case.profile_visitors,
        conversions=case.direct_conversions, direct_revenue=case.revenue, new_followers=case.new_followers,
    )


class _Builder(Kit):
    """Draws every sheet of the registry, then writes each placed formula (or, static, its value), and binds
    further campaigns into the built workbook."""

    def __init__(self, campaign: ClientCampaign, static: bool, sheet_values: Mapping[str, Any] | None = None,
                 registry: tuple[Sheet, ...] | None = None, examples: bool = True) -> None:
        super().__init__(campaign, static, sheet_values, examples)
        self.registry = sheets.SHEETS if registry is None else registry
        self.evaluation = _Evaluation(self.inputs, self.exprs, self.spans)
        self._campaign_dependence: dict[str, bool] | None = None
        self._static_plan: dict[bool, Any] = {}
        self._native_cells: dict[str, Expr | None] | None = None
        self._native_tables: dict[str, Grid | None] | None = None

    @property
    def native_cells(self) -> dict[str, Expr | None]:
        """Each XHS_ cell's native rendering (None: no closed form), by name; a static copy writes it."""
        if self._native_cells is None:
            self._native_cells = {name: native(expr) for _, _, name, expr in self.deferred if calls_xhs(expr)}
        return self._native_cells

    @property
    def native_tables(self) -> dict[str, Grid | None]:
        """Each table's native grid (None: no closed form), by name; a static copy writes it."""
        if self._native_tables is None:
            self._native_tables = {spec.name: native_table(spec.expr, spec.rows, spec.columns)
                                   for _, spec, _, _ in self.deferred_tables}
        return self._native_tables

    def shown_values(self) -> dict[tuple[str, str], Any]:
        """What each computed cell of the static copy shows, by (sheet, cell): its formula's value (as Excel or
        LibreOffice computes it on opening; a closed form's native one) or the value written in its place."""
        shown = {}
        for ws, cell, name, expr in self.deferred:
            rendering = self.native_cells.get(name) if calls_xhs(expr) else expr
            value = rendering.evaluate(self.evaluation) if rendering is not None else self.evaluation.value(name)
            shown[(ws.title, cell.coordinate)] = _shown(value)
        for ws, spec, row, column in self.deferred_tables:
            grid = self.native_tables.get(spec.name)
            for r in range(spec.rows):
                for c in range(spec.columns):
                    item = grid[r][c] if grid is not None else None
                    if grid is not None:
                        value = None if item is None else item.evaluate(self.evaluation)
                        shown[(ws.title, ws.cell(row + r, column + c).coordinate)] = _shown(value)
        return shown

    def name(self, name: str) -> None:
        self.wb.defined_names[name] = DefinedName(name, attr_text=self.place.address(name))

    # ----------------------------------------------------------------------------------------- writing
    def write_formulas(self) -> None:
        for name in self.place.places:
            self.name(name)
        for cell, render in self.linked:
            cell.value = "=" + render(self.place)
        for ws, cell, name, expr in self.deferred:
            if not (self.static and calls_xhs(expr)):
                cell.value = "=" + expr.excel(self.place)
            elif (rendering := self.native_cells.get(name)) is not None:
                # A closed form: native Excel over the same names, so the client's edits still update it.
                cell.value = "=" + rendering.excel(self.place)
        for ws, spec, row, column in self.deferred_tables:
            if not self.static:
                ref = self.place.address(spec.name).split("!")[1].replace("$", "")
                ws.cell(row, column).value = ArrayFormula(ref, "=" + spec.expr.excel(self.place))
            elif (grid := self.native_tables.get(spec.name)) is not None:
                # A closed-form table: each cell its own native formula (a label stays a label).
                for r, cells in enumerate(grid):
                    for c, item in enumerate(cells):
                        target = ws.cell(row + r, column + c)
                        if isinstance(item, Lit):
                            _write_value(target, item.value)
                        elif item is not None:
                            target.value = "=" + item.excel(self.place)
                            if is_flag(item):
                                target.number_format = FLAG_FORMAT
        self.write_static_values()

    def write_static_values(self, varying_only: bool = False) -> None:
        """In a static workbook, the values that stand in for XHS_ formulas; ``varying_only``: only those that
        depend on the campaign (the others hold the worked examples' values from the build)."""
        if not self.static:
            return
        cells, tables = self._static_places(varying_only)
        for cell, name in cells:
            _write_value(cell, self.evaluation.value(name))
        for name, grid in tables:
            values = self.evaluation.value(name)
            for r, row in enumerate(grid):
                for c, cell in enumerate(row):
                    if isinstance(values, CellError):
                        value = values if r == c == 0 else None
                    elif not isinstance(values, list):
                        value = values  # one value (n/a): Excel repeats it over the whole array range
                    else:
                        value = values[r][c] if r < len(values) and c < len(values[r]) else None
                    _write_value(cell, value)

    def _static_places(self, varying_only: bool) -> tuple[list[tuple[Cell, str]], list[tuple[str, list[list[Cell]]]]]:
        """The cells a static workbook fills with values: single cells with their names, and each table's grid."""
        if varying_only not in self._static_plan:
            wanted = self.depends_on_campaign if varying_only else (lambda name: True)
            cells = [(cell, name) for _, cell, name, expr in self.deferred
                     if calls_xhs(expr) and self.native_cells.get(name) is None and wanted(name)]
            tables = [(spec.name, [[ws.cell(row + r, column + c) for c in range(spec.columns)]
                                   for r in range(spec.rows)])
                      for ws, spec, row, column in self.deferred_tables
                      if self.native_tables.get(spec.name) is None and wanted(spec.name)]
            self._static_plan[varying_only] = (cells, tables)
        return self._static_plan[varying_only]

    def bind(self, campaign: ClientCampaign) -> Workbook:
        """Put another campaign into the built workbook: its inputs, and in a static workbook its values.

        Everything else — layout, styles, names, validation, comments, charts — is the same for every
        campaign, so a batch builds it once per process and binds each client in turn.
        """
        self.campaign = campaign
        for f in FIELDS:
            self.inputs[f.key] = getattr(campaign, f.key)
            write_input(self.input_cells[f.key], f, self.inputs[f.key])
        # The worked examples' tables (attribution, calibration) read no campaign input: computed once.
        known = None
        if self.static:
            known = {name: self.evaluation.value(name) for name in self.exprs if not self.depends_on_campaign(name)}
        self.evaluation = _Evaluation(self.inputs, self.exprs, self.spans, known)
        self.write_static_values(varying_only=True)
        self.wb.properties.title = _title(campaign)
        return self.wb

    def depends_on_campaign(self, name: str) -> bool:
        """Whether a campaign input (a schema field) reaches the named cell, span or table."""
        if self._campaign_dependence is None:
            self._campaign_dependence = {}
        known = self._campaign_dependence
        if name not in known:
            known[name] = True  # while looking (a layout has no cycles; if it had, assume the worst)
            if name in self.input_cells:
                depends = True
            elif name in self.exprs:
                depends = any(self.depends_on_campaign(other) for other in self.exprs[name].names())
            elif name in self.spans:
                keys = [k for key in self.spans[name] for k in ([key] if isinstance(key, str) else key)]
                depends = any(self.depends_on_campaign(key) for key in keys)
            else:
                depends = False  # a constant of the layout or an example input
            known[name] = depends
        return known[name]

    def varying_sheets(self) -> set[str]:
        """Sheets whose content depends on the campaign, by the registry's declarations: those holding the
        schema's inputs and, when static, the XHS_ results computed from them (a table over a worked example
        alone is the same for every campaign)."""
        varying = {cell.parent.title for cell in self.input_cells.values()}
        if self.static:
            varying |= {sheet.name for sheet in self.registry
                        if any(calls_xhs(item.expr) and self.native_cells.get(item.name) is None
                               and self.depends_on_campaign(item.name) for item in sheet.cells)
                        or any(self.native_tables.get(spec.name) is None and self.depends_on_campaign(spec.name)
                               for spec in sheet.tables)}
        return varying

    def finish(self) -> Workbook:
        for ws in self.sheets.values():
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.orientation = "landscape"
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            ws.page_setup.fitToWidth = 1
            if ws.page_setup.fitToHeight is None:  # as many pages down as it takes, unless the sheet says
                ws.page_setup.fitToHeight = 0
            if ws.title != "xlwings.conf":
                ws.protection.sheet = True
        if self.static:
            # Formulas arrive without cached values (openpyxl writes none): have every engine compute them.
            self.wb.calculation.fullCalcOnLoad = True
        self.wb.properties.creator = f"xhsxl {xhsxl.__version__}"
        self.wb.properties.title = _title(self.campaign)
        self.wb.properties.created = FIXED_TIME
        self.wb.properties.modified = FIXED_TIME
        return self.wb

    def build(self) -> Workbook:
        for sheet in self.registry:
            sheet.draw(self)
        self.write_formulas()
        if self.static:
            self.mark_frozen()
        return self.finish()

    # ----------------------------------------------------------------------------------------- static copy
    def live_inputs(self) -> set[str]:
        """The inputs whose edits a static copy follows: those a closed-form result reaches through names
        (plain formulas in between included), and those read by formulas outside the declared results (the
        Start sheet's client name). An input reaching only values computed once feeds nothing that updates."""
        known = set(self.input_cells) | set(self.sheet_input_cells) | set(self.spans)
        declared = {cell.coordinate + "@" + ws.title for ws, cell, _, _ in self.deferred}
        declared |= {ws.cell(row + r, column + c).coordinate + "@" + ws.title
                     for ws, spec, row, column in self.deferred_tables
                     for r in range(spec.rows) for c in range(spec.columns)}
        pending: list[str] = []
        for ws in self.wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f" and isinstance(cell.value, str) \
                            and cell.coordinate + "@" + ws.title not in declared:
                        pending += known.intersection(_NAME.findall(_TEXT.sub('""', cell.value)))
        for rendering in self.native_cells.values():
            if rendering is not None:
                pending += rendering.names()
        for grid in self.native_tables.values():
            for cells in grid or ():
                pending += [name for item in cells if item is not None for name in item.names()]
        live: set[str] = set()
        while pending:
            name = pending.pop()
            if name in live:
                continue
            live.add(name)
            if name in self.spans:
                pending += [k for key in self.spans[name] for k in ([key] if isinstance(key, str) else key)]
            elif name in self.exprs and not calls_xhs(self.exprs[name]):
                pending += self.exprs[name].names()  # a plain formula between inputs and a closed form
        return live

    def frozen_results(self) -> dict[str, list[str]]:
        """Sheet -> titles of the results a static copy holds as values (no closed form), in sheet order."""
        frozen: dict[str, list[str]] = {}
        for sheet in self.registry:
            titles = [item.label_en for item in sheet.cells
                      if calls_xhs(item.expr) and self.native_cells.get(item.name) is None]
            titles += [spec.title_en for spec in sheet.tables if self.native_tables.get(spec.name) is None]
            if titles:
                frozen[sheet.name] = list(dict.fromkeys(titles))
        return frozen

    def _label_frozen(self) -> None:
        """Mark each frozen result where the client reads it: a table's title, a cell's label in column A."""
        for sheet in self.registry:
            ws = self.sheets.get(sheet.name)
            if ws is None:
                continue
            marked = [(spec.name, spec.title_en, -1) for spec in sheet.tables
                      if self.native_tables.get(spec.name) is None]
            marked += [(item.name, item.label_en, 0) for item in sheet.cells
                       if calls_xhs(item.expr) and self.native_cells.get(item.name) is None]
            for name, title, offset in marked:
                _, row, _, _, _ = self.place.places[name]
                label = ws.cell(row + offset, 1)
                if isinstance(label.value, str) and label.value.startswith(title) and FROZEN_MARK not in label.value:
                    label.value = f"{label.value}{FROZEN_MARK}"

    def mark_frozen(self) -> None:
        """Lock and grey the inputs that feed only frozen values, and say on each sheet holding such values
        when and from what they were computed and how to compute them again."""
        live = self.live_inputs()
        for key, cell in (*self.input_cells.items(), *self.sheet_input_cells.items()):
            if key not in live:
                self.freeze_input(cell)
        frozen_sheets = {cell.parent.title for key, cell in self.sheet_input_cells.items() if key not in live}
        live_sheets = {cell.parent.title for key, cell in self.sheet_input_cells.items() if key in live}
        for title in self.frozen_results():
            ws = self.sheets[title]
            ws["A2"].value = static_note()
            ws["A2"].font = STATIC_NOTE
            if title in frozen_sheets and title not in live_sheets:
                # The sheet's notes explain its yellow cells, which are grey and fixed here.
                for row in ws.iter_rows(min_row=3):
                    for cell in row:
                        if isinstance(cell.value, str) and cell.data_type == "s" and "yellow" in cell.value.lower():
                            cell.value = f"In the live workbook: {cell.value}"
        self._label_frozen()
        for ws in self.sheets.values():
            subtitle = ws["A2"].value
            if isinstance(subtitle, str) and "XHS_" in subtitle:
                ws["A2"].value = "Every value here is a formula over the yellow input cells: change one and it follows."


#: A defined name in a formula (string literals removed first).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_TEXT = re.compile(r'"(?:[^"]|"")*"')
STATIC_NOTE = Font(name="Calibri", size=11, italic=True, color=ACCENT)


#: A TRUE/FALSE result shown as such in LibreOffice too (Excel ignores number formats on booleans).
FLAG_FORMAT = '"TRUE";"TRUE";"FALSE"'
#: What a static copy appends to the title of a result it holds as values.
FROZEN_MARK = " — fixed values · 固定值"


def static_note() -> str:
    """What a static copy's sheet says about the values it holds instead of formulas."""
    return (f"Results marked 'fixed values' were computed by xhsxl {xhsxl.__version__} on "
            f"{dt.date.today().isoformat()} from this copy's inputs as they were then; grey cells feed only them "
            "and are locked. To recompute: xhsxl recalc --static on the live workbook, or use the live workbook.")


def _shown(value: Any) -> Any:
    """A computed value as a static copy's cell shows it: an error as its message."""
    return f"Error: {value.message}" if isinstance(value, CellError) else value


def _write_value(cell: Cell, value: Any) -> None:
    """A computed value in a static workbook; an error shows its message instead of a number.

    Computed text ("n/a", table labels, an error message) is ours, never a client's, and is stored as text
    without touching the cell's style, so the same cell has the same style for every client.
    """
    value = _shown(value)
    old = cell._value
    same = old.__class__ is value.__class__ and old == value and (old.__class__ is not str or cell.data_type == "s")
    if same and value != 0:
        return  # as it was (a zero is written again: 0.0 and -0.0 are equal but not written alike)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value


def _title(campaign: ClientCampaign) -> str:
    return f"{campaign.client_name} — Xiaohongshu campaign economics"


def build_workbook(campaign: ClientCampaign | None = None, static: bool = False,
                   sheet_values: Mapping[str, Any] | None = None, example: bool | None = None) -> Workbook:
    """The xhsxl workbook for ``campaign`` (the example case study when None), live or static.

    ``sheet_values``: what an analyst typed in the yellow cells outside the schema (attribution paths,
    calibration history, benchmarks, checkpoints, caps, overrides), by the keys of :func:`sheet_inputs`, and
    what was typed under values taken from pasted platform data (``TYPED_KEYS``), as
    :func:`xhsxl.workbook.read.read_inputs` reads them. ``example``: whether the cells left out hold the
    worked examples — by default the template's do and a client's workbook starts with those blocks empty,
    since a client's workbook must not present an example's paths or past campaigns as the client's own.
    """
    unknown = set(sheet_values or {}) - set(sheet_inputs()) - set(TYPED_KEYS)
    if unknown:
        raise KeyError(f"no such input cell outside the schema: {', '.join(sorted(unknown))}")
    examples = campaign is None if example is None else example
    return _Builder(campaign or example_campaign(), static, sheet_values, examples=examples).build()


def static_shown_values(campaign: ClientCampaign, sheet_values: Mapping[str, Any] | None = None
                        ) -> dict[tuple[str, str], Any]:
    """What every computed cell of ``campaign``'s static copy shows once opened, by (sheet, cell): the value of
    its formula (a closed form's native one), or the value written in its place."""
    builder = _Builder(campaign, True, sheet_values)
    builder.build()
    return builder.shown_values()


def sheet_inputs() -> dict[str, tuple[str, int, int]]:
    """The yellow input cells outside the schema, from the sheets' declarations: key -> (defined name of the
    block or cell holding it, row and column offset inside it). A reader finds them by the defined name,
    wherever the analyst moved it."""
    return {key: (block.name, row, column) for block in sheets.input_blocks() for key, row, column in block.cells()}


class _FixedTimeZip(zipfile.ZipFile):
    """A zip archive whose members all carry the same timestamp, so equal workbooks are equal bytes."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: str | os.PathLike[str] | None = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        # openpyxl streams each worksheet through a temporary file; its mtime must not reach the archive.
        with open(filename, "rb") as source:
            self.writestr(os.fspath(arcname) if arcname else os.path.basename(filename), source.read())

    def write_deflated(self, part: DeflatedPart) -> None:
        """Add a member deflated earlier, copying its compressed bytes: the same local header, data and
        central-directory entry that :meth:`writestr` of its content would write, without deflating again.

        The steps are those of the standard library's own writer for a seekable file (header at the end of
        the members, then the data, then the member recorded for the central directory), given the CRC and
        sizes the earlier deflate measured.
        """
        # ZipFile's lock, write check and output file are the standard library's own, undeclared in its stubs.
        archive: Any = self
        if archive._writing or archive.fp is None:
            raise ValueError("Can't write to a closed ZIP file or while another write handle is open on it.")
        info = copy.copy(part.info)
        with archive._lock:
            archive.fp.seek(self.start_dir)
            info.header_offset = archive.fp.tell()
            archive._writecheck(info)
            archive._didModify = True
            archive.fp.write(info.FileHeader(False))
            archive.fp.write(part.data)
            self.start_dir = archive.fp.tell()
            self.filelist.append(info)
            self.NameToInfo[info.filename] = info


class DeflatedPart:
    """One archive member deflated once: its zip entry (name, timestamp, CRC, sizes) and compressed bytes.

    Made by the same :class:`_FixedTimeZip` writer as every workbook, so copying it into an archive with
    :meth:`_FixedTimeZip.write_deflated` gives the bytes that writing its content afresh would give.
    """

    __slots__ = ("info", "data")

    def __init__(self, name: str, content: bytes) -> None:
        buffer = io.BytesIO()
        with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            archive.writestr(name, content)
            info = archive.filelist[0]
        if info.file_size * 1.05 > zipfile.ZIP64_LIMIT:
            raise ValueError(f"{name} is too large to copy as a plain (non-zip64) member")
        written = buffer.getvalue()
        start = len(info.FileHeader(False))
        self.info = info
        self.data = written[start:start + info.compress_size]


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx file of ``workbook``: deterministic (fixed document and member timestamps)."""
    return _serialise(workbook, ExcelWriter)


def _serialise(workbook: Workbook, writer: Callable[[Workbook, zipfile.ZipFile], ExcelWriter]) -> bytes:
    buffer = io.BytesIO()
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        writer(workbook, archive).save()
    return buffer.getvalue()


class WorkbookFactory:
    """Workbooks of many clients, one layout: built once per process, bound to each client in turn.

    ``factory.workbook_bytes(campaign)`` equals ``workbook_bytes(build_workbook(campaign, static, example=example))`` byte
    for byte, in a fraction of the time. The layout is built once; each client's inputs (and, when static,
    values) are written into it. The first workbook is saved by openpyxl in full and every part of the file
    is kept; for each later client only the parts that depend on the client — the worksheets holding its
    inputs or values and the document properties — are made again, and the rest (styles, names, comments,
    charts, the other sheets) is reused as it was written, already deflated: its compressed bytes, CRC and
    sizes are copied into each archive (:class:`DeflatedPart`), so only the client's parts are deflated. Within those worksheets only the cells whose
    content changed are serialised again, by openpyxl's cell writer (:class:`~xhsxl.workbook.sheet_xml.SheetXml`).
    Tests hold the result to a fresh build's bytes for many clients in both modes.
    """

    def __init__(self, static: bool = False, example: bool = False) -> None:
        self.static = static
        self._builder = _Builder(example_campaign(), static, examples=example)
        self._builder.build()
        self._varying = self._builder.varying_sheets()
        self._parts: list[tuple[str, DeflatedPart | None]] | None = None
        self._sheets: dict[str, SheetXml] = {}

    def workbook_bytes(self, campaign: ClientCampaign) -> bytes:
        workbook = self._builder.bind(campaign)
        for ws in workbook.worksheets:
            # openpyxl learns each sheet's column outline level while writing and writes it from the second
            # save on; forget it, so every save of this object is a first save, as a fresh build's is.
            ws.column_dimensions.max_outline = None
        if self._parts is None:
            data = workbook_bytes(workbook)
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                contents = [(name, archive.read(name)) for name in archive.namelist()]
            self._sheets = {ws.path[1:]: SheetXml(ws, dict(contents)[ws.path[1:]])
                            for ws in workbook.worksheets if ws.title in self._varying}
            # Everything but the client's sheets and the document properties is the same for every client:
            # deflate it once here (most of a workbook's deflating) and copy the compressed bytes afterwards.
            self._parts = [(name, None if name in self._sheets or name == ARC_CORE else DeflatedPart(name, content))
                           for name, content in contents]
            return data
        workbook.properties.created = FIXED_TIME
        workbook.properties.modified = FIXED_TIME
        buffer = io.BytesIO()
        with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name, deflated in self._parts:
                if deflated is not None:
                    archive.write_deflated(deflated)
                elif name in self._sheets:
                    archive.writestr(name, self._sheets[name].xml())
                else:
                    archive.writestr(name, tostring(workbook.properties.to_tree()))
        return buffer.getvalue()


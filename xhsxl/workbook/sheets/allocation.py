"""The Allocation sheet: the next budget planned from the articles' ranges (lines and creator tiers), the
spillover / closed-loop split for the brand stage, and the creator budget optimised over the tiers' response
curves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from xhsxl.core import allocation, figures
from xhsxl.workbook.formula import Call, If, IsBlank, Lit, Name, Span, TableCell
from xhsxl.workbook.sheets.kit import (
    BOLD, LINE_HEIGHT, SUBTITLE, ComputedCell, Kit, Sheet, TableSpec, labels, number_format, shown_as, wrapped_lines,
)

__all__ = [
    "SHEET", "ALLOCATION_CELLS", "ALLOCATION_TABLE", "STAGE_TABLE", "AMOUNT_COLUMN", "CURVE_COLUMNS", "CURVE_HEADER",
    "CurveRow",
    "CURVE_ROWS", "CREATOR_BUDGET", "OPTIMAL_TABLE",
]

#: Allocation sheet cells before its tables.
ALLOCATION_CELLS: tuple[ComputedCell, ...] = (
    ComputedCell("budget", "Budget planned", "计划预算", "CNY",
                 If(IsBlank("planned_budget"), Name("total_cost"), Name("planned_budget")),
                 "The next budget from the Inputs sheet, or this campaign's total cost when it is blank."),
)

_PLAN_ROWS = 1 + 5 + len(figures.CREATOR_TIERS)  # header, five budget lines, every tier (nano named)
ALLOCATION_TABLE = TableSpec(
    "allocation_table", "Rule-based plan from the articles' ranges", "基于行业区间的预算方案", _PLAN_ROWS,
    len(allocation.ALLOCATION_TABLE_HEADER),
    Call("XHS_TIER_ALLOCATION", Name("budget"), "", Span("line_shares"), Span("tier_shares")),
    (None, None, "fraction", "fraction", "CNY", "fraction", "fraction", "flag", "fractional count",
     "fractional count", "fractional count", None),
    header_labels=labels(allocation.ALLOCATION_TABLE_HEADER),
    row_labels=labels(row[0] for row in allocation.allocate_budget(1.0, tier_shares={
        tier: 1 / len(figures.CREATOR_TIERS) for tier in figures.CREATOR_TIERS}).table()[1:]),
    wrapped_columns=(len(allocation.ALLOCATION_TABLE_HEADER),),
)
STAGE_TABLE = TableSpec(
    "stage_table", "Spillover vs closed loop for the brand stage", "站外/站内预算", 3,
    len(allocation.STAGE_TABLE_HEADER), Call("XHS_STAGE_SPLIT", Name("budget"), Name("brand_stage")),
    (None, None, "fraction", "CNY", None),
    header_labels=labels(allocation.STAGE_TABLE_HEADER),
    row_labels=("Spillover (Tmall, JD, offline) · 站外", "Closed loop (on Xiaohongshu) · 站内"), label_column=2,
)

_CREATORS_ROW = 1 + 5  # header + reserve, content, paid ads, tech, creators
AMOUNT_COLUMN = allocation.ALLOCATION_TABLE_HEADER.index("amount") + 1

#: The tier curves the optimiser uses: one row per reference tier. Columns of the curves range, in the
#: order XHS_OPTIMAL_ALLOCATION reads them; reference spend and ROAS are shown beside it.
CURVE_COLUMNS: tuple[str, ...] = ("tier", "curve", "scale", "elasticity", "shape", "min share", "max share")
#: What the curves range's header shows, column by column, then the two columns beside it.
CURVE_HEADER: tuple[str, ...] = (
    "Tier · 层级", "Curve · 曲线", "Scale · 系数", "Elasticity · 弹性", "Shape · 形状", "Min share · 最低占比",
    "Max share · 最高占比", "Reference spend ¥ · 参考投放", "ROI 1:x at it · 该点投产比",
)


@dataclass(frozen=True)
class CurveRow:
    """One reference tier's response curve: its share range from the articles and the computed cells of its
    row (the curve's scale and elasticity, with the reference spend and ROI 1:x it passes through)."""

    tier: str
    reference_share: float
    min_share: float
    max_share: float

    @property
    def reference_spend(self) -> ComputedCell:
        return ComputedCell(f"reference_spend_{self.tier}", "Reference spend", "参考投放", "CNY",
                            Name("creator_budget") * Lit(self.reference_share))

    @property
    def roas(self) -> ComputedCell:
        return ComputedCell(f"roas_at_reference_{self.tier}", "ROI 1:x", "投产比", "ratio", Name(f"roas_{self.tier}"))

    @property
    def scale(self) -> ComputedCell:
        spend = Name(self.reference_spend.name)
        return ComputedCell(f"scale_{self.tier}", "Scale", "系数", "elasticity",
                            Call("XHS_CURVE_SCALE", spend, Name(f"roas_{self.tier}") * spend, Name("elasticity")))

    @property
    def elasticity(self) -> ComputedCell:
        return ComputedCell(f"elasticity_{self.tier}", "Elasticity", "弹性", "elasticity", Name("elasticity"))

    @property
    def cells(self) -> tuple[ComputedCell, ...]:
        return (self.reference_spend, self.roas, self.scale, self.elasticity)


CURVE_ROWS: tuple[CurveRow, ...] = tuple(
    CurveRow(tier, figures.TIER_BUDGET_SHARE[tier].mid, figures.TIER_BUDGET_SHARE[tier].low,
             figures.TIER_BUDGET_SHARE[tier].high)
    for tier in allocation.REFERENCE_TIERS
)

CREATOR_BUDGET = ComputedCell("creator_budget", "Creator budget", "达人预算", "CNY",
                              TableCell("allocation_table", _CREATORS_ROW, AMOUNT_COLUMN),
                              "The creators line of the plan above; the optimised split divides it.")

OPTIMAL_TABLE = TableSpec(
    "optimal_table", "Optimised split of the creator budget", "达人预算优化分配", len(CURVE_ROWS) + 2,
    len(allocation.OPTIMAL_TABLE_HEADER),
    Call("XHS_OPTIMAL_ALLOCATION", Name("creator_budget"), Span("curves")),
    (None, None, "CNY", "fraction", "fraction", "fraction", "CNY", "fraction", "elasticity", None),
    header_labels=labels(allocation.OPTIMAL_TABLE_HEADER),
    row_labels=labels((*allocation.REFERENCE_TIERS, "total")),
)


def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Budget allocation", "预算分配",
              "Rule-based plan from the articles' ranges, the stage split, and the optimised creator split.")
    row = 3
    for item in ALLOCATION_CELLS:
        kit.labelled(ws, row, 5, item)
        row += 1
    row = kit.table(ws, row + 1, ALLOCATION_TABLE)
    row = kit.table(ws, row, STAGE_TABLE)
    kit.labelled(ws, row, 5, CREATOR_BUDGET)
    row += 2
    ws.cell(row, 1, "Tier response curves · 达人层级响应曲线").font = BOLD
    row += 1
    kit.header(ws, row, CURVE_HEADER)
    ws.row_dimensions[row].height = 30
    first = row + 1
    for offset, curve in enumerate(CURVE_ROWS):
        r = first + offset
        # The codes stay in the cells (XHS_OPTIMAL_ALLOCATION reads them); a person reads the labels.
        ws.cell(r, 1, curve.tier).number_format = shown_as(labels((curve.tier,))[0])
        ws.cell(r, 2, "power").number_format = shown_as("Power · 幂函数")
        kit.computed(ws, r, 8, curve.reference_spend)
        kit.computed(ws, r, 9, curve.roas)
        kit.computed(ws, r, 3, curve.scale)
        kit.computed(ws, r, 4, curve.elasticity)
        ws.cell(r, 5, 1.0)
        ws.cell(r, 6, curve.min_share).number_format = number_format("fraction")
        ws.cell(r, 7, curve.max_share).number_format = number_format("fraction")
    rows = []
    for curve in CURVE_ROWS:
        computed = {2: curve.scale.name, 3: curve.elasticity.name}
        constants = {0: curve.tier, 1: "power", 4: 1.0, 5: curve.min_share, 6: curve.max_share}
        keys = []
        for index in range(len(CURVE_COLUMNS)):
            if index in computed:
                keys.append(computed[index])
            else:
                keys.append(f"curve_{curve.tier}_{index}")
                kit.constant(keys[-1], constants[index])
        rows.append(keys)
    kit.range("curves", ws, first, 1, rows)
    ws.cell(first + len(CURVE_ROWS), 1,
            "Reference spend = creator budget × the midpoint of the tier's range (000); scale makes the curve "
            "pass through (reference spend, ROI 1:x × reference spend); min/max = the article ranges.").font = SUBTITLE
    kit.table(ws, first + len(CURVE_ROWS) + 2, OPTIMAL_TABLE)
    kit.widths(ws, (30, 30, 14, 14, 14, 14, 14, 16, 14, 14, 14, 70))
    _fit_sources(ws, kit)
    kit.fit_rows(ws)
    ws.freeze_panes = "A3"


def _fit_sources(ws: Any, kit: Kit) -> None:
    """Rows of the plan tall enough for their sources, which wrap in the last column: the sources are the
    articles' sentences, the same for every campaign, so their length is known now."""
    plan = allocation.allocate_budget(1.0, tier_shares={tier: 1 / len(figures.CREATOR_TIERS)
                                                        for tier in figures.CREATOR_TIERS}).table()[1:]
    _sheet, first, first_column, _rows, columns = kit.place.places[ALLOCATION_TABLE.name]
    width = ws.column_dimensions[get_column_letter(first_column + columns - 1)].width
    for r, row in enumerate(plan, start=first + 1):
        ws.row_dimensions[r].height = wrapped_lines(str(row[-1]), width) * LINE_HEIGHT + 2


SHEET = Sheet("Allocation", "预算分配", draw,
              cells=(*ALLOCATION_CELLS, CREATOR_BUDGET, *(cell for curve in CURVE_ROWS for cell in curve.cells)),
              tables=(ALLOCATION_TABLE, STAGE_TABLE, OPTIMAL_TABLE))

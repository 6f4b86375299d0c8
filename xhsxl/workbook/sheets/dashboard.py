"""The Dashboard sheet: the headline results (:data:`xhsxl.schema.HEADLINE_METRICS`) as tiles and the charts
a client looks at first — cost breakdown, return by component, creator budget by tier."""

from __future__ import annotations

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from xhsxl.core import returns
from xhsxl.schema import HEADLINE_METRICS, NUMBER_FORMATS, SPANS
from xhsxl.workbook.sheets.allocation import ALLOCATION_TABLE, AMOUNT_COLUMN, CURVE_ROWS, OPTIMAL_TABLE
from xhsxl.workbook.sheets.kit import INK, SUBTITLE, ChartSpec, Kit, Sheet
from xhsxl.workbook.sheets.results import BREAKDOWN_TABLE, RESULT_CELLS

__all__ = ["SHEET", "CHARTS"]

_COSTS = len(SPANS["cost_lines"])
#: The value axis of a horizontal chart in thousands of ¥: in full, "¥200,000¥400,000" ran together.
_THOUSANDS = '"¥"#,##0,"k"'
_COMPONENTS = len(returns.RETURN_COMPONENTS)
_TIER_ROWS = (2 + 5, 2 + 5 + len(CURVE_ROWS) - 1)  # creators_top .. creators_micro in the plan table
CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("cost_chart", "Cost breakdown · 成本构成", "pie", "Dashboard",
              ("cost_lines", 1, 1, _COSTS), (("Cost", "cost_lines", 3, 1, _COSTS),)),
    ChartSpec("return_chart", "Return by component · 回报构成", "bar", "Dashboard",
              (BREAKDOWN_TABLE.name, 2, 2, 1 + _COMPONENTS),
              (("Weighted value", BREAKDOWN_TABLE.name, 6, 2, 1 + _COMPONENTS),), _THOUSANDS),
    ChartSpec("tier_chart", "Creator budget by tier · 达人预算", "bar", "Dashboard",
              (OPTIMAL_TABLE.name, 1, 2, 1 + len(CURVE_ROWS)),
              (("Rule-based", ALLOCATION_TABLE.name, AMOUNT_COLUMN, *_TIER_ROWS),
               ("Optimised", OPTIMAL_TABLE.name, 3, 2, 1 + len(CURVE_ROWS))), _THOUSANDS),
)

_TILE_COLUMNS = (1, 3, 5, 7)
_CHART_ANCHORS = ("A11", "E11", "A29", "E29")


def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "Dashboard", "仪表盘")
    ws["A2"] = '=IF(client_name="","",client_name)'
    ws["A2"].font = SUBTITLE
    outputs = {item.name: item for item in RESULT_CELLS}
    for index, name in enumerate(HEADLINE_METRICS):
        column = _TILE_COLUMNS[index % len(_TILE_COLUMNS)]
        row = 4 + 3 * (index // len(_TILE_COLUMNS))
        item = outputs[name]
        label = ws.cell(row, column, f"{item.label_en} · {item.label_zh}")
        label.font = Font(name="Calibri", size=9, color="6B7280")
        label.alignment = Alignment(vertical="bottom")
        value = ws.cell(row + 1, column, f"={name}")
        value.font = Font(name="Calibri", size=16, bold=True, color=INK)
        value.number_format = NUMBER_FORMATS[item.unit]
        value.alignment = Alignment(horizontal="left", vertical="top")
        ws.row_dimensions[row + 1].height = 26
    for column in range(1, 9):
        ws.column_dimensions[get_column_letter(column)].width = 24 if column in _TILE_COLUMNS else 3
    for spec, anchor in zip(CHARTS, _CHART_ANCHORS):
        ws.add_chart(kit.chart(spec), anchor)
    # What a client prints: the tiles and the charts on one A4 landscape page.
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1


SHEET = Sheet("Dashboard", "仪表盘", draw, charts=CHARTS)

"""The Start sheet: what the workbook is for, whose campaign it holds, whether the XHS_ functions are loaded,
and how to use it."""

from __future__ import annotations

from openpyxl.styles import Alignment, Font

import xhsxl
from xhsxl.workbook.sheets.kit import ACCENT, BOLD, LINE_HEIGHT, Kit, Sheet, wrapped_lines

__all__ = ["SHEET", "STEPS", "STATIC_STEPS"]

#: The how-to under the status cell: (bold left column, text).
STEPS: tuple[tuple[str, str], ...] = (
    ("How to use · 使用方法", ""),
    ("1", "Fill the yellow cells on the Inputs sheet (输入). Hover a cell for its meaning and allowed values."),
    ("2", "Read ROI, KPIs, the blended return and CLV on Results (结果)."),
    ("3", "Allocation (预算分配) plans the next budget from the articles' ranges and optimises the creator split."),
    ("4", "Planner (投放预测) forecasts that plan: funnel, revenue and ROI in a low / base / high band, findings."),
    ("5", "Checkpoints (检查点调配) moves the reserve to the lines that perform best at 24 h, 72 h and 7 days."),
    ("6", "Attribution (多触点归因) credits sales to channels from journey paths: last touch against exact Markov."),
    ("7", "Dashboard (仪表盘) shows the headline numbers and charts for the client."),
    ("Add-in · 加载项", "Classic Excel: xlwings addin install; this workbook's xlwings.conf sheet names the "
                       "module xhsxl.udfs; click Import Functions; save as .xlsm."),
    ("", "xlwings Lite: add xhsxl to requirements.txt and 'from xhsxl.udfs import *' to main.py."),
    ("Percentages · 百分比", "Enter 30 % or 0.3; both mean thirty per cent."),
    ("Sources · 来源", "Every benchmark cites its source article; see the README of xhsxl."),
)


#: The how-to of a static copy: it opens anywhere, its yellow cells still drive every closed-form result, and
#: what was computed once says so.
STATIC_STEPS: tuple[tuple[str, str], ...] = (
    ("How to use · 使用方法", ""),
    ("1", "Change a yellow cell on Inputs (输入): ROI, KPIs, blended return, CLV and the budget plan follow."),
    ("2", "Read the results on Results (结果) and the Dashboard (仪表盘)."),
    ("3", "Results marked 'fixed values' (forecasts, optimised split, reallocation, attribution) stay as computed."),
    ("Grey cells · 灰色单元格", "They feed only fixed values, so they are locked."),
    ("Recompute · 重新计算", "xhsxl recalc --static on the live workbook makes a new copy, or use that workbook."),
    ("Percentages · 百分比", "Enter 30 % or 0.3; both mean thirty per cent."),
    ("Sources · 来源", "Every benchmark cites its source article; see the README of xhsxl."),
)
#: Width of the how-to column, in characters.
_TEXT_WIDTH = 110


def draw(kit: Kit) -> None:
    ws = kit.sheet(SHEET.name)
    kit.title(ws, "xhsxl — Xiaohongshu campaign economics", "小红书营销投资回报模型",
              "ROI, KPIs, blended return, CLV and a budget plan from one set of inputs.")
    ws["A4"] = "Client · 客户"
    ws["A4"].font = BOLD
    ws["B4"] = '=IF(client_name="","",client_name)'
    ws["A5"] = "Campaign · 活动"
    ws["A5"].font = BOLD
    ws["B5"] = '=IF(campaign_name="","",campaign_name)'
    ws["A7"] = "Copy · 副本" if kit.static else "Functions · 函数"
    ws["A7"].font = BOLD
    status = ws["B7"]
    if kit.static:
        status.value = (f"Static copy made by xhsxl {xhsxl.__version__}: opens in any spreadsheet, nothing to "
                        "install; yellow cells recalculate, grey ones are fixed.")
    else:
        # IFERROR around XHS_VERSION only: this cell exists to say the add-in is missing, not to hide it.
        status.value = ('=IFERROR(XHS_VERSION(),"NOT LOADED: install the xlwings add-in and import the '
                        'functions (steps below); until then XHS_ cells show #NAME?")')
    status.font = Font(name="Calibri", bold=True, color=ACCENT)
    for offset, (left, right) in enumerate(STATIC_STEPS if kit.static else STEPS):
        ws.cell(9 + offset, 1, left).font = Font(name="Calibri", bold=True)
        ws.cell(9 + offset, 1).alignment = Alignment(vertical="top")
        ws.cell(9 + offset, 2, right).alignment = Alignment(wrap_text=True, vertical="top")
        # A wrapped line needs its row tall enough: a row of the default height overprints the next one.
        lines = wrapped_lines(right, _TEXT_WIDTH) if right else 1
        ws.row_dimensions[9 + offset].height = lines * LINE_HEIGHT + 2 if lines > 1 else None
    kit.widths(ws, (22, _TEXT_WIDTH))


SHEET = Sheet("Start", "开始", draw)

"""Headless recalculation: real .xlsx files written by openpyxl, evaluated with the XHS_ functions registered.

Every expected number comes from calling :mod:`xhsxl.udfs` directly with the same inputs, so the workbook
path and the function path are held to one answer (relative 1e-12).
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

pytest.importorskip("formulas")

from xhsxl import udfs  # noqa: E402
from xhsxl.workbook import recalc  # noqa: E402
from xhsxl.workbook.recalc import (  # noqa: E402
    CellError,
    Recalculation,
    Recalculator,
    computed_values_for_static,
    recalculate,
    register_xhs_functions,
)

REL = 1e-12

# ----------------------------------------------------------------------------------------------- workbook

#: Case study 1 of article 000 plus plausible KPI counts: name -> value of each named input cell.
CASE_1: dict[str, Any] = {
    "CreatorFees": 250_000.0, "ContentProduction": 100_000.0, "PaidAds": 70_000.0, "TechAnalytics": 30_000.0,
    "Revenue": 1_680_000.0, "Impressions": 6_200_000.0, "Clicks": 85_000.0, "Conversions": 4_200.0,
    "CrossPlatform": 300_000.0, "Baseline": 120_000.0, "NewCustomers": 3_100.0, "StartingFollowers": 40_000.0,
    "Likes": 90_000.0, "Saves": 30_000.0, "Comments": 8_000.0, "Shares": 4_000.0, "Follows": 12_500.0,
    "BrandValue": 150_000.0, "GrossMargin": 0.6, "RefundRate": 0.08, "CommissionRate": 0.05,
    "OrdersPerMonth": 0.4, "Retention": 0.7, "DiscountRate": 0.01, "ClvMonths": 12.0, "Stage": "growth",
    "CurveScale": 40.0, "Elasticity": 0.686,
}
UNIT_VALUES = [0.5, 2.0, 1.5, 3.0, 5.0]
WEIGHTS = [1.0, 0.8, 0.6, 0.3, 0.2]
INPUT_ROW = {name: row for row, name in enumerate(CASE_1, start=2)}
SCENARIOS = 60
#: Campaigns recalculated through one compiled workbook (each takes about a quarter of a second).
RANDOM_CAMPAIGNS = 10


def _name(wb: openpyxl.Workbook, name: str, target: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=target)


def build_campaign_workbook(path: Path, inputs: dict[str, Any] | None = None) -> Path:
    """A realistic 6-sheet campaign model (~400 formulas) of the kind the template builder writes.

    Named input cells, scalar XHS_ formulas over the names and over plain references, two array-formula
    tables (XHS_TIER_ALLOCATION, XHS_BLENDED_BREAKDOWN), SUM over table columns, cross-sheet references,
    the template's plain Excel functions, and a 60-row budget sensitivity table.
    """
    values = dict(CASE_1, **(inputs or {}))
    wb = openpyxl.Workbook()
    start = wb.active
    start.title = "Start 开始"
    start["A1"] = "Campaign model"
    start["A3"] = "Functions"
    start["B3"] = "=XHS_VERSION()"
    start["B4"] = '=IF(LEFT(B3,5)="xhsxl","loaded","not loaded")'

    inp = wb.create_sheet("Inputs")
    inp["A1"], inp["C1"] = "Input", "Value"
    for name, row in INPUT_ROW.items():
        inp.cell(row, 1, name)
        inp.cell(row, 3, values[name])
        _name(wb, name, f"Inputs!$C${row}")
    total_row = len(INPUT_ROW) + 2
    inp.cell(total_row, 1, "TotalCost")
    inp.cell(total_row, 3, "=SUM(CreatorFees,ContentProduction,PaidAds,TechAnalytics)")
    _name(wb, "TotalCost", f"Inputs!$C${total_row}")
    inp.cell(total_row + 1, 1, "Budget")
    inp.cell(total_row + 1, 3, "=TotalCost")
    _name(wb, "Budget", f"Inputs!$C${total_row + 1}")
    first = total_row + 3  # three 5-cell columns: engagement counts, ¥ per action, blended-return weights
    for offset in range(5):
        inp.cell(first + offset, 3, "=" + ("Likes", "Saves", "Comments", "Shares", "Follows")[offset])
        inp.cell(first + offset, 4, UNIT_VALUES[offset])
        inp.cell(first + offset, 5, WEIGHTS[offset])
    _name(wb, "Counts", f"Inputs!$C${first}:$C${first + 4}")
    _name(wb, "UnitValues", f"Inputs!$D${first}:$D${first + 4}")
    _name(wb, "Weights", f"Inputs!$E${first}:$E${first + 4}")

    res = wb.create_sheet("Results")
    revenue, cost = f"Inputs!C{INPUT_ROW['Revenue']}", f"Inputs!C{total_row}"
    results = [
        ("Net ROI", "=XHS_ROI(Revenue,TotalCost)"),
        ("Ratio ROI", '=XHS_ROI(Revenue,TotalCost,"ratio")'),
        ("Net ROI (plain refs)", f"=XHS_ROI({revenue},{cost})"),
        ("ROAS", "=XHS_ROAS(Revenue,PaidAds)"),
        ("Profit ROI", "=XHS_PROFIT_ROI(Revenue,TotalCost,GrossMargin,RefundRate,CommissionRate)"),
        ("Break-even ROAS", "=XHS_BREAKEVEN_ROAS(GrossMargin,RefundRate,CommissionRate)"),
        ("Break-even revenue", "=XHS_BREAKEVEN_REVENUE(TotalCost,GrossMargin,RefundRate,CommissionRate)"),
        ("Incremental", "=XHS_INCREMENTAL(CrossPlatform,Baseline)"),
        ("CPM", "=XHS_CPM(TotalCost,Impressions)"),
        ("CPC", "=XHS_CPC(TotalCost,Clicks)"),
        ("CPA", "=XHS_CPA(TotalCost,Conversions)"),
        ("Engagements", "=XHS_ENGAGEMENTS(Likes,Saves,Comments,Shares,Follows)"),
        ("CPE", "=XHS_CPE(TotalCost,Likes,Saves,Comments,Shares,Follows)"),
        ("CTR", "=XHS_CTR(Clicks,Impressions)"),
        ("CVR", "=XHS_CVR(Conversions,Clicks)"),
        ("AOV", "=XHS_AOV(Revenue,Conversions)"),
        ("Engagement rate", "=XHS_ENGAGEMENT_RATE(B13,Impressions)"),
        ("Save rate", "=XHS_SAVE_RATE(Saves,Impressions)"),
        ("Follower growth", "=XHS_FOLLOWER_GROWTH(Follows,StartingFollowers)"),
        ("Engagement value", "=XHS_ENGAGEMENT_VALUE(Counts,UnitValues)"),
        ("Monthly margin", "=B17*OrdersPerMonth*GrossMargin"),
        ("CLV", "=XHS_CLV_RETENTION(B22,Retention,DiscountRate,ClvMonths)"),
        ("Blended return", "=XHS_BLENDED_RETURN(Revenue,B9,NewCustomers,B23,B21,BrandValue,Weights)"),
        ("Blended ROI", "=XHS_BLENDED_ROI(TotalCost,Revenue,B9,NewCustomers,B23,B21,BrandValue,Weights)"),
        ("Profit", "=Revenue-TotalCost"),
    ]
    for row, (label, formula) in enumerate(results, start=2):
        res.cell(row, 1, label)
        res.cell(row, 2, formula)

    alloc = wb.create_sheet("Allocation")
    alloc["A1"] = "Rule-based plan"
    alloc["B3"] = ArrayFormula("B3:M13", "=XHS_TIER_ALLOCATION(Budget,Stage)")
    alloc["O3"], alloc["P3"] = "Budget lines", "=SUM(F4:F8)"
    alloc["O4"], alloc["P4"] = "Creators by tier", '=SUMIFS(F4:F13,C4:C13,"creators")'
    alloc["O5"], alloc["P5"] = "Mid-tier (INDEX/MATCH)", '=INDEX(F4:F13,MATCH("creators_mid",B4:B13,0))'
    alloc["O6"], alloc["P6"] = "Paid ads (VLOOKUP)", '=VLOOKUP("paid_ads",B4:M13,5,FALSE)'
    alloc["O7"], alloc["P7"] = "Check", '=IF(ROUND(P3,2)=ROUND(Budget,2),"OK","CHECK")'
    alloc["O8"], alloc["P8"] = "Largest line", "=INDEX(B4:B8,MATCH(MAX(F4:F8),F4:F8,0))"
    for row in range(4, 9):
        alloc.cell(row, 17, f"=RANK(F{row},$F$4:$F$8)")

    ret = wb.create_sheet("Returns")
    ret["B3"] = ArrayFormula("B3:H9", "=XHS_BLENDED_BREAKDOWN(Revenue,Results!B9,NewCustomers,Results!B23,"
                                      "Results!B21,BrandValue,Weights)")
    ret["J3"], ret["K3"] = "Weighted total", "=SUM(G4:G8)"
    ret["J4"], ret["K4"] = "SUMPRODUCT", "=SUMPRODUCT(E4:E8,F4:F8)"
    ret["J5"], ret["K5"] = "Shares", "=ROUND(SUM(H4:H8),12)"

    dash = wb.create_sheet("Dashboard")
    dash["A1"], dash["B1"] = "ROI", "=Results!B2"
    dash["A2"], dash["B2"] = "ROI text", '=TEXT(Results!B2,"0.0%")'
    dash["A3"], dash["B3"] = "Verdict", '=_xlfn.IFS(Results!B2>2,"strong",Results!B2>0,"positive",TRUE,"loss")'
    dash["A4"] = "Stage (中文)"
    dash["B4"] = '=CHOOSE(MATCH(Stage,{"cold_start","growth","maturity"},0),"冷启动","成长期","成熟期")'
    dash["A5"], dash["B5"] = "Blended", "=Returns!K3"
    dash["A6"], dash["B6"] = "CLV check", "=IFERROR(Results!B23/Results!B22,0)"
    dash["A7"], dash["B7"] = "Creators", "=Allocation!P4"
    dash["A8"], dash["B8"] = "Cost text", '=TEXT(TotalCost,"""¥""#,##0")'

    scen = wb.create_sheet("Scenarios")
    scen.append(["Multiplier", "Spend", "Return", "ROI", "Marginal", "Rank"])
    last = SCENARIOS + 1
    for row in range(2, last + 1):
        scen.cell(row, 1, 0.5 + (row - 2) / SCENARIOS)
        scen.cell(row, 2, f"=Budget*A{row}")
        scen.cell(row, 3, f"=XHS_RESPONSE(B{row},CurveScale,Elasticity)")
        scen.cell(row, 4, f"=XHS_ROI(C{row},B{row})")
        scen.cell(row, 5, f"=XHS_MARGINAL_RETURN(B{row},CurveScale,Elasticity)")
        scen.cell(row, 6, f"=RANK(D{row},$D$2:$D${last})")
    wb.save(path)
    return path


def _close(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and not isinstance(expected, bool):
        return isinstance(actual, float) and math.isclose(actual, expected, rel_tol=REL, abs_tol=1e-300)
    return actual == expected and type(actual) is type(expected)


def _expected_case(values: dict[str, Any]) -> dict[str, Any]:
    """The Results sheet's numbers, from the UDFs called directly."""
    v = values
    cost = v["CreatorFees"] + v["ContentProduction"] + v["PaidAds"] + v["TechAnalytics"]
    incremental = udfs.XHS_INCREMENTAL(v["CrossPlatform"], v["Baseline"])
    engaged = udfs.XHS_ENGAGEMENTS(v["Likes"], v["Saves"], v["Comments"], v["Shares"], v["Follows"])
    aov = udfs.XHS_AOV(v["Revenue"], v["Conversions"])
    counts = [[v[k]] for k in ("Likes", "Saves", "Comments", "Shares", "Follows")]
    engagement_value = udfs.XHS_ENGAGEMENT_VALUE(counts, [[u] for u in UNIT_VALUES])
    margin = aov * v["OrdersPerMonth"] * v["GrossMargin"]
    clv = udfs.XHS_CLV_RETENTION(margin, v["Retention"], v["DiscountRate"], v["ClvMonths"])
    weights = [[w] for w in WEIGHTS]
    return {
        "B2": udfs.XHS_ROI(v["Revenue"], cost),
        "B3": udfs.XHS_ROI(v["Revenue"], cost, "ratio"),
        "B4": udfs.XHS_ROI(v["Revenue"], cost),
        "B5": udfs.XHS_ROAS(v["Revenue"], v["PaidAds"]),
        "B6": udfs.XHS_PROFIT_ROI(v["Revenue"], cost, v["GrossMargin"], v["RefundRate"], v["CommissionRate"]),
        "B7": udfs.XHS_BREAKEVEN_ROAS(v["GrossMargin"], v["RefundRate"], v["CommissionRate"]),
        "B8": udfs.XHS_BREAKEVEN_REVENUE(cost, v["GrossMargin"], v["RefundRate"], v["CommissionRate"]),
        "B9": incremental,
        "B10": udfs.XHS_CPM(cost, v["Impressions"]),
        "B11": udfs.XHS_CPC(cost, v["Clicks"]),
        "B12": udfs.XHS_CPA(cost, v["Conversions"]),
        "B13": engaged,
        "B14": udfs.XHS_CPE(cost, v["Likes"], v["Saves"], v["Comments"], v["Shares"], v["Follows"]),
        "B15": udfs.XHS_CTR(v["Clicks"], v["Impressions"]),
        "B16": udfs.XHS_CVR(v["Conversions"], v["Clicks"]),
        "B17": aov,
        "B18": udfs.XHS_ENGAGEMENT_RATE(engaged, v["Impressions"]),
        "B19": udfs.XHS_SAVE_RATE(v["Saves"], v["Impressions"]),
        "B20": udfs.XHS_FOLLOWER_GROWTH(v["Follows"], v["StartingFollowers"]),
        "B21": engagement_value,
        "B22": margin,
        "B23": clv,
        "B24": udfs.XHS_BLENDED_RETURN(v["Revenue"], incremental, v["NewCustomers"], clv, engagement_value,
                                       v["BrandValue"], weights),
        "B25": udfs.XHS_BLENDED_ROI(cost, v["Revenue"], incremental, v["NewCustomers"], clv, engagement_value,
                                    v["BrandValue"], weights),
        "B26": v["Revenue"] - cost,
    }


def _grid(recalculation: Recalculation, sheet: str, top_left: str, rows: int, columns: int) -> list[list[Any]]:
    column0, row0 = openpyxl.utils.cell.coordinate_from_string(top_left)
    c0 = openpyxl.utils.cell.column_index_from_string(column0)
    return [[recalculation.value(sheet, f"{openpyxl.utils.get_column_letter(c0 + j)}{row0 + i}")
             for j in range(columns)] for i in range(rows)]


def _assert_table(actual: list[list[Any]], expected: list[list[Any]]) -> None:
    assert len(actual) == len(expected) and all(len(a) == len(e) for a, e in zip(actual, expected))
    for i, (row_a, row_e) in enumerate(zip(actual, expected)):
        for j, (a, e) in enumerate(zip(row_a, row_e)):
            if isinstance(e, int) and not isinstance(e, bool):
                e = float(e)
            assert _close(a, e), f"row {i + 1}, column {j + 1}: {a!r} != {e!r}"


def _input_cells(values: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {("Inputs", f"C{INPUT_ROW[name]}"): value for name, value in values.items()}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recalculator, Recalculation]:
    path = build_campaign_workbook(tmp_path_factory.mktemp("campaign") / "campaign.xlsx")
    recalculator = Recalculator(path, inputs=_input_cells(CASE_1))
    return path, recalculator, recalculator.calculate()


def _single_sheet(tmp_path: Path, cells: dict[str, Any], names: dict[str, str] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet"
    for address, value in cells.items():
        ws[address] = value
    for name, target in (names or {}).items():
        _name(wb, name, target)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


# ----------------------------------------------------------------------------------------------- scalars


def test_scalar_xhs_formulas_on_named_ranges_and_plain_refs_equal_the_udfs(campaign):
    _, _, result = campaign
    for address, expected in _expected_case(CASE_1).items():
        assert _close(result.value("Results", address), expected), address
    assert result.value("Results", "B2") == pytest.approx(2.7333333333333334, rel=REL)  # article 000: 273 %


def test_constant_and_named_formula_cells_are_reported_too(campaign):
    _, _, result = campaign
    assert result.value("Inputs", f"C{INPUT_ROW['Revenue']}") == 1_680_000.0
    assert result.value("Inputs", f"C{INPUT_ROW['Stage']}") == "growth"
    assert result.value("Inputs", f"C{len(INPUT_ROW) + 2}") == 450_000.0  # TotalCost, a named formula cell
    assert result.value("Start 开始", "B3") == udfs.XHS_VERSION()
    assert result.value("Start 开始", "B4") == "loaded"


def test_a_campaign_workbook_recalculates_without_errors(campaign):
    _, _, result = campaign
    assert result.errors == []


# ----------------------------------------------------------------------------------------------- tables


def test_tier_allocation_array_formula_equals_the_udf_cell_by_cell(campaign):
    _, _, result = campaign
    expected = udfs.XHS_TIER_ALLOCATION(450_000.0, "growth")
    assert (len(expected), len(expected[0])) == (11, 12)
    _assert_table(_grid(result, "Allocation", "B3", 11, 12), expected)
    assert result.arrays["Allocation"] == {"B3": "B3:M13"}


def test_blended_breakdown_array_formula_equals_the_udf_cell_by_cell(campaign):
    _, _, result = campaign
    case = _expected_case(CASE_1)
    expected = udfs.XHS_BLENDED_BREAKDOWN(CASE_1["Revenue"], case["B9"], CASE_1["NewCustomers"], case["B23"],
                                          case["B21"], CASE_1["BrandValue"], [[w] for w in WEIGHTS])
    _assert_table(_grid(result, "Returns", "B3", len(expected), len(expected[0])), expected)


def test_sum_over_an_array_formula_column(campaign):
    _, _, result = campaign
    table = udfs.XHS_TIER_ALLOCATION(450_000.0, "growth")
    assert _close(result.value("Allocation", "P3"), math.fsum(row[4] for row in table[1:6]))
    assert result.value("Allocation", "P3") == pytest.approx(450_000.0, rel=REL)
    breakdown = _grid(result, "Returns", "G4", 5, 1)
    assert _close(result.value("Returns", "K3"), math.fsum(row[0] for row in breakdown))
    assert result.value("Returns", "K5") == pytest.approx(1.0, rel=REL)


def test_cross_sheet_references_follow_the_source_cells(campaign):
    _, _, result = campaign
    assert result.value("Dashboard", "B1") == result.value("Results", "B2")
    assert result.value("Dashboard", "B5") == result.value("Returns", "K3")
    assert result.value("Dashboard", "B7") == result.value("Allocation", "P4")
    assert result.value("Returns", "F4") == 1.0  # Weights, a named range on Inputs, read across sheets


def test_a_table_fills_its_range_as_excel_does(tmp_path):
    path = _single_sheet(tmp_path, {
        "A1": 450_000,
        "B1": ArrayFormula("B1:C3", "=XHS_STAGE_SPLIT(A1,\"growth\")"),   # cut to a smaller range
        "E1": ArrayFormula("E1:E10", "=XHS_STAGE_SPLIT(A1,\"growth\")"),  # longer: #N/A below the table
        "G1": ArrayFormula("G1:H2", "=XHS_ROI(A1*3,A1)"),                 # a scalar fills the range
    })
    result = recalculate(path)
    table = udfs.XHS_STAGE_SPLIT(450_000.0, "growth")
    _assert_table(_grid(result, "Sheet", "B1", 3, 2), [row[:2] for row in table[:3]])
    assert _grid(result, "Sheet", "E1", len(table), 1) == [[row[0]] for row in table]
    assert _grid(result, "Sheet", "E1", 10, 1)[len(table):] == [["#N/A"]] * (10 - len(table))
    assert _grid(result, "Sheet", "G1", 2, 2) == [[2.0, 2.0], [2.0, 2.0]]
    # Excel's #N/A below a shorter result is the range's size, not a failed calculation: listed apart
    assert result.errors == []
    assert {(e.cell, e.error) for e in result.padding} == {(f"E{r}", "#N/A") for r in range(len(table) + 1, 11)}


def test_an_error_result_filling_its_array_range_is_an_error_not_padding(tmp_path):
    path = _single_sheet(tmp_path, {
        "A1": -5,
        "B1": ArrayFormula("B1:C3", "=XHS_STAGE_SPLIT(A1,\"growth\")"),  # a negative budget: the whole range errs
    })
    result = recalculate(path)
    assert result.padding == []
    assert {e.cell for e in result.errors} == {"B1", "C1", "B2", "C2", "B3", "C3"}


def test_blank_cells_of_a_table_stay_blank(campaign):
    _, _, result = campaign
    table = udfs.XHS_TIER_ALLOCATION(450_000.0, "growth")
    creators = next(i for i, row in enumerate(table) if row[0] == "creators")
    assert table[creators][5] is None
    assert result.value("Allocation", f"G{3 + creators}") is None


# ----------------------------------------------------------------------------------------------- errors


def test_a_bad_input_gives_value_error_with_the_message(tmp_path):
    path = _single_sheet(tmp_path, {"A1": 1_680_000, "A2": 0, "B1": "=XHS_ROI(Revenue,Cost)", "B2": "=B1*2",
                                    "B3": "=IFERROR(B1,-1)"},
                         {"Revenue": "Sheet!$A$1", "Cost": "Sheet!$A$2"})
    result = recalculate(path)
    assert result.value("Sheet", "B1") == "#VALUE!"
    assert result.value("Sheet", "B3") == -1.0
    first = result.errors[0]
    assert first == CellError("Sheet", "B1", "=XHS_ROI(Revenue,Cost)", "#VALUE!",
                              "cost must be greater than 0 (got 0)")
    assert [(e.cell, e.error, e.message) for e in result.errors[1:]] == [
        ("B2", "#VALUE!", "cost must be greater than 0 (got 0)")]  # the dependant carries the reason too


def test_an_unknown_function_gives_name_error(tmp_path):
    result = recalculate(_single_sheet(tmp_path, {"A1": 1, "B1": "=XHS_NOT_A_FUNCTION(A1)", "B2": "=NOSUCH(A1)"}))
    assert [(e.cell, e.error) for e in result.errors] == [("B1", "#NAME?"), ("B2", "#NAME?")]
    assert result.value("Sheet", "B1") == "#NAME?"


def test_an_error_passed_into_an_xhs_function_comes_out_unchanged(tmp_path):
    result = recalculate(_single_sheet(tmp_path, {
        "A1": 0, "A2": "=1/A1", "A3": "=NA()",
        "B1": "=XHS_ROI(A2,5)", "B2": "=XHS_ROI(5,A3)", "B3": "=XHS_ENGAGEMENT_VALUE(A1:A3,A1:A3)"}))
    assert [result.value("Sheet", c) for c in ("B1", "B2", "B3")] == ["#DIV/0!", "#N/A", "#DIV/0!"]
    assert all(e.message is None for e in result.errors)


def test_a_formula_the_engine_cannot_read_is_listed_not_fatal(tmp_path):
    result = recalculate(_single_sheet(tmp_path, {"A1": 2, "B1": "=A1*2", "B2": "=Table1[Amount]",
                                                  "B3": "=B3+1"}))
    assert result.value("Sheet", "B1") == 4.0
    errors = {e.cell: e for e in result.errors}
    assert errors["B2"].error == "#NAME?" and "cannot read the formula =Table1[Amount]" in errors["B2"].message
    assert errors["B3"].error == recalc.NOT_COMPUTED  # a circular reference


def test_names_must_be_workbook_scoped(tmp_path):
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet"
    ws["A1"], ws["A2"], ws["B1"], ws["B2"] = 6, 2, "=XHS_ROI(Revenue,Cost)", "=XHS_ROI(Revenue,LocalCost)"
    _name(wb, "Revenue", "Sheet!$A$1")
    _name(wb, "Cost", "'Sheet'!$A$2")
    ws.defined_names["LocalCost"] = DefinedName("LocalCost", attr_text="Sheet!$A$2")
    wb.save(path)
    result = recalculate(path)
    assert result.value("Sheet", "B1") == 2.0
    assert [(e.cell, e.error) for e in result.errors] == [("B2", "#REF!")]


def test_a_constant_error_value_is_listed(tmp_path):
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "#N/A"  # openpyxl stores an error code string as an error cell
    wb.save(path)
    assert recalculate(path).errors == [CellError("Sheet", "A1", None, "#N/A", None)]


# ----------------------------------------------------------------------------------------------- template functions


def test_each_template_function_evaluates(tmp_path):
    cells = {
        "A1": 3, "A2": 1, "A3": 2, "B1": "x", "B2": "y", "B3": "x", "C1": 0.27333, "C2": 1_234_567.891,
        "D1": "=SUM(A1:A3)",
        "D2": "=SUMPRODUCT(A1:A3,A1:A3)",
        "D3": '=IF(A1>2,"big","small")',
        "D4": '=IFERROR(1/0,"none")',
        "D5": '=INDEX(A1:A3,MATCH("y",B1:B3,0))',
        "D6": "=VLOOKUP(\"y\",B1:C3,2,FALSE)",
        "D7": '=SUMIFS(A1:A3,B1:B3,"x")',
        "D8": "=ROUND(C2,-3)",
        "D9": '=TEXT(C1,"0.0%")',
        "D10": '=CHOOSE(2,"a","b","c")',
        "D11": '=_xlfn.IFS(A1>5,"big",A1>2,"mid",TRUE,"small")',
        "D12": "=RANK(A2,A1:A3)",
        "D13": "=RANK(A2,A1:A3,1)",
        "D14": '=TEXT(C2,"""¥""#,##0")',
        "D15": "=ROUND(C1,2)",
    }
    cells["B2"], cells["C2"] = "y", 1_234_567.891
    result = recalculate(_single_sheet(tmp_path, cells))
    expected = {"D1": 6.0, "D2": 14.0, "D3": "big", "D4": "none", "D5": 1.0, "D6": 1_234_567.891, "D7": 5.0,
                "D8": 1_235_000.0, "D9": "27.3%", "D10": "b", "D11": "mid", "D12": 3.0, "D13": 1.0,
                "D14": "¥1,234,568", "D15": 0.27}
    assert {k: result.value("Sheet", k) for k in expected} == expected
    assert result.errors == []


def test_template_functions_in_the_campaign_workbook(campaign):
    _, _, result = campaign
    table = udfs.XHS_TIER_ALLOCATION(450_000.0, "growth")
    amount = {row[0]: row[4] for row in table[1:]}
    assert _close(result.value("Allocation", "P4"), math.fsum(r[4] for r in table[1:] if r[1] == "creators"))
    assert _close(result.value("Allocation", "P5"), amount["creators_mid"])
    assert _close(result.value("Allocation", "P6"), amount["paid_ads"])
    assert result.value("Allocation", "P7") == "OK"
    assert result.value("Allocation", "P8") == "creators"
    ranks = [result.value("Allocation", f"Q{r}") for r in range(4, 9)]
    lines = [row[4] for row in table[1:6]]
    assert ranks == [float(1 + sum(other > mine for other in lines)) for mine in lines]
    assert result.value("Dashboard", "B2") == "273.3%"
    assert result.value("Dashboard", "B3") == "strong"
    assert result.value("Dashboard", "B4") == "成长期"
    assert result.value("Dashboard", "B8") == "¥450,000"
    scenario_roi = [result.value("Scenarios", f"D{r}") for r in range(2, SCENARIOS + 2)]
    assert [result.value("Scenarios", f"F{r}") for r in range(2, SCENARIOS + 2)] == [
        float(1 + sum(other > mine for other in scenario_roi)) for mine in scenario_roi]
    spend = 450_000.0 * 0.5
    assert _close(result.value("Scenarios", "C2"), udfs.XHS_RESPONSE(spend, 40.0, 0.686))
    assert _close(result.value("Scenarios", "E2"), udfs.XHS_MARGINAL_RETURN(spend, 40.0, 0.686))


# ----------------------------------------------------------------------------------------------- engine hygiene


def test_the_progress_bar_does_not_print(tmp_path, capsys):
    capsys.readouterr()
    recalculate(_single_sheet(tmp_path, {"A1": 2, "A2": 3, "B1": "=XHS_ROI(A2,A1)"}))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_registering_twice_is_harmless(tmp_path):
    import formulas

    register_xhs_functions()
    first = {name: formulas.get_functions()[name] for name in recalc.xhs_function_names()}
    register_xhs_functions()
    assert {name: formulas.get_functions()[name] for name in first} == first
    assert set(first) == {n for n in dir(udfs) if n.startswith("XHS_")}
    assert recalculate(_single_sheet(tmp_path, {"A1": 2, "B1": "=XHS_ROI(6,A1)"})).value("Sheet", "B1") == 2.0


def test_missing_engine_fails_clearly(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "formulas", None)
    recalc._engine.cache_clear()
    try:
        with pytest.raises(recalc.RecalcUnavailableError, match=r'pip install "xhsxl\[recalc\]"'):
            register_xhs_functions()
    finally:
        monkeypatch.undo()
        recalc._engine.cache_clear()


# ----------------------------------------------------------------------------------------------- static values


def test_computed_values_for_static_returns_exactly_the_xhs_cells(campaign):
    _, _, result = campaign
    static = computed_values_for_static(result)
    expected = {
        "Start 开始": {"B3"},
        "Results": {f"B{r}" for r in range(2, 27)} - {"B22", "B26"},
        "Allocation": {f"{openpyxl.utils.get_column_letter(c)}{r}" for c in range(2, 14) for r in range(3, 14)},
        "Returns": {f"{c}{r}" for c in "BCDEFGH" for r in range(3, 10)},
        "Scenarios": {f"{c}{r}" for c in "CDE" for r in range(2, SCENARIOS + 2)},
    }
    assert {sheet: set(cells) for sheet, cells in static.items()} == expected
    for sheet, cells in static.items():
        assert all(cells[a] == result.value(sheet, a) for a in cells)


def test_an_xhs_name_inside_a_string_is_not_a_call():
    assert recalc.calls_xhs_function("=xhs_roi(A1,B1)")
    assert not recalc.calls_xhs_function('=IF(A1,"XHS_ROI(",0)')
    assert not recalc.calls_xhs_function("=MY_XHS_ROI(A1)")
    assert not recalc.calls_xhs_function(None)


# ----------------------------------------------------------------------------------------------- reuse


def _random_inputs(rng: random.Random) -> dict[str, Any]:
    draw = dict(CASE_1)
    for name in ("CreatorFees", "ContentProduction", "PaidAds", "TechAnalytics", "Revenue", "CrossPlatform",
                 "Baseline", "BrandValue"):
        draw[name] = round(CASE_1[name] * rng.uniform(0.2, 3.0), 2)
    for name in ("Impressions", "Clicks", "Conversions", "NewCustomers", "Likes", "Saves", "Comments", "Shares",
                 "Follows", "StartingFollowers"):
        draw[name] = float(rng.randint(1, int(CASE_1[name] * 3)))
    draw["GrossMargin"] = rng.uniform(0.3, 0.9)
    draw["RefundRate"] = rng.uniform(0.0, 0.2)
    draw["CommissionRate"] = rng.uniform(0.0, 0.15)
    draw["Retention"] = rng.uniform(0.1, 0.9)
    draw["Stage"] = rng.choice(["cold_start", "growth", "maturity"])
    return draw


def test_a_compiled_workbook_recalculates_random_campaigns(campaign):
    _, recalculator, _ = campaign
    rng = random.Random(20240601)
    for _ in range(RANDOM_CAMPAIGNS):
        draw = _random_inputs(rng)
        result = recalculator.calculate(_input_cells(draw))
        expected = _expected_case(draw)
        for address, value in expected.items():
            assert _close(result.value("Results", address), value), address
        cost = draw["CreatorFees"] + draw["ContentProduction"] + draw["PaidAds"] + draw["TechAnalytics"]
        _assert_table(_grid(result, "Allocation", "B3", 11, 12), udfs.XHS_TIER_ALLOCATION(cost, draw["Stage"]))
        assert result.errors == []


def test_reuse_equals_a_fresh_recalculation(campaign, tmp_path):
    _, recalculator, _ = campaign
    changes = {"Revenue": 4_920_000.0, "PaidAds": 180_000.0, "Stage": "maturity", "Retention": 0.55}
    reused = recalculator.calculate(_input_cells(changes))
    fresh = recalculate(build_campaign_workbook(tmp_path / "fresh.xlsx", changes))
    assert reused.values == fresh.values
    assert reused.errors == fresh.errors == []


def test_the_compiled_pipe_and_the_general_path_agree(campaign):
    _, recalculator, _ = campaign
    changes = _input_cells({"Revenue": 900_000.0, "Stage": "cold_start", "Likes": 1.0})
    through_pipe = recalculator.calculate(changes)
    unit_value = ("Inputs", f"D{len(INPUT_ROW) + 5}")  # not a compiled input: takes the general path
    general = recalculator.calculate({**changes, unit_value: UNIT_VALUES[0]})
    assert through_pipe.values == general.values


def test_an_input_error_in_a_reused_model_is_reported_and_the_next_run_is_clean(campaign):
    _, recalculator, _ = campaign
    bad = recalculator.calculate({("Inputs", f"C{INPUT_ROW[k]}"): 0.0
                                  for k in ("CreatorFees", "ContentProduction", "PaidAds", "TechAnalytics")})
    first = bad.errors[0]
    assert (first.sheet, first.cell, first.error) == ("Results", "B2", "#VALUE!")
    assert first.message == "cost must be greater than 0 (got 0)"
    assert recalculator.calculate().errors == []


def test_blank_cells_can_be_inputs(tmp_path):
    path = _single_sheet(tmp_path, {"A1": 1, "B1": "=SUM(A1:A4)", "B2": "=XHS_ROI(A6,A5)", "B3": "=SUM(C1:C2)",
                                    "C1": 1})
    recalculator = Recalculator(path, inputs=[("Sheet", "A5"), ("Sheet", "A6")])
    before = recalculator.calculate()
    assert (before.value("Sheet", "B1"), before.value("Sheet", "B3")) == (1.0, 1.0)
    assert before.errors[0].message == "revenue is required (the cell is blank)"
    after = recalculator.calculate({("Sheet", "A3"): 5, ("Sheet", "A5"): 2, ("Sheet", "A6"): 6.0, ("Sheet", "C2"): 3})
    assert [after.value("Sheet", c) for c in ("B1", "B2", "B3", "A3")] == [6.0, 2.0, 4.0, 5.0]
    assert after.errors == []
    through_pipe = recalculator.calculate({("Sheet", "A5"): 2, ("Sheet", "A6"): 6.0})
    assert through_pipe.value("Sheet", "B2") == 2.0


def test_inputs_must_be_constant_cells_of_known_sheets(campaign):
    _, recalculator, _ = campaign
    with pytest.raises(ValueError, match="holds a formula"):
        recalculator.calculate({("Results", "B2"): 1.0})
    with pytest.raises(KeyError, match="no sheet named 'Nope'"):
        recalculator.calculate({("Nope", "A1"): 1.0})
    with pytest.raises(TypeError, match="got list"):
        recalculator.calculate({("Inputs", "C2"): [[1.0]]})
    blank = recalculator.calculate({("Inputs", f"C{INPUT_ROW['Revenue']}"): None})
    assert blank.value("Inputs", f"C{INPUT_ROW['Revenue']}") is None
    assert any(e.message == "revenue is required (the cell is blank)" for e in blank.errors)


def test_recalc_names_the_bad_inputs_first_and_counts_the_cells_they_break(tmp_path):
    """Four bad inputs in a client workbook: the command line shows those four cells first, then how many cells
    they break by sheet, not hundreds of cascading #VALUE! cells before their causes."""
    from typer.testing import CliRunner

    from xhsxl.cli import app
    from xhsxl.schema import ClientCampaign
    from xhsxl.workbook.fill import write_workbook
    from xhsxl.workbook.read import input_places

    path = tmp_path / "client.xlsx"
    write_workbook(ClientCampaign(client_name="Acme", creator_fees=250_000, direct_revenue=900_000,
                                  impressions=2_000_000, clicks=40_000, conversions=3_000), path)
    workbook = openpyxl.load_workbook(path)
    places = input_places(workbook)
    bad = {"creator_fees": "lots", "gross_margin": 7.5, "clicks": -40, "retention_rate": "high"}
    for key, value in bad.items():
        sheet, row, column, _rows, _columns = places[key]
        workbook[sheet].cell(row, column).value = value
    workbook.save(path)

    result = CliRunner().invoke(app, ["recalc", str(path)], terminal_width=120)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    causes = [number for number, line in enumerate(lines) if line.startswith("error:") and "Inputs!" in line]
    assert len(causes) == len(bad), result.output
    broken = next(number for number, line in enumerate(lines) if "broken by the inputs above" in line)
    assert max(causes) < broken, result.output  # every cause before any cascading cell
    assert "4 inputs failing validation" in lines[-1]
    assert len(lines) < 40, result.output  # counted by sheet, not listed cell by cell
    every = CliRunner().invoke(app, ["recalc", str(path), "--format", "csv"])
    assert every.output.count("#VALUE!") > 10  # the full list stays available for a pipe


def test_a_fresh_client_workbook_recalculates_without_one_error_cell(tmp_path):
    """A client workbook starts with the analyst's blocks empty (paths, touch log, history, checkpoints, the
    pasted platform export): every table over them reads n/a, none ends in an error."""
    from xhsxl.schema import ClientCampaign
    from xhsxl.workbook.fill import write_workbook

    path = tmp_path / "client.xlsx"
    write_workbook(ClientCampaign(client_name="Acme", creator_fees=250_000, direct_revenue=900_000,
                                  impressions=2_000_000, clicks=40_000, conversions=3_000), path)
    result = recalc.recalculate(path)
    assert result.errors == [], result.errors[:3]

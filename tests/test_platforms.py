"""Juguang and Pugongying exports: read as they are, mapped to the schema's fields, no note counted twice."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from xhsxl.cli import app
from xhsxl.core.errors import XhsInputError
from xhsxl.excel.errors import InputFileError
from xhsxl.planner_tables import read_checkpoints, read_history
from xhsxl.platforms import COLUMNS, creator_tier, map_exports, read_export_rows
from xhsxl.platforms.files import exports_client_table, read_export
from xhsxl.platforms.tables import checkpoint_table, history_table
from xhsxl.schema import FIELDS_BY_KEY
from xhsxl.workbook.batch import run_batch
from xhsxl.workbook.clients import read_clients

import make_platform_fixtures

FIXTURES = Path(__file__).parent / "fixtures" / "platforms"
GBK = FIXTURES / "juguang_campaign_daily_gbk.csv"
JG_NOTES = FIXTURES / "juguang_notes.csv"
PGY_NOTES = FIXTURES / "pugongying_notes.xlsx"
TYPED = FIXTURES / "same_campaign_typed.csv"


# ------------------------------------------------------------------------------------------------ declarations
def test_every_mapped_column_targets_a_schema_field_with_a_source():
    for column in COLUMNS:
        assert not column.target or column.target in FIELDS_BY_KEY, column
        assert column.source
    targets = {c.target for c in COLUMNS if c.platform == "pugongying"}
    assert {"creator_fees", "impressions", "clicks", "likes", "saves", "comments", "shares"} <= targets
    assert {c.target for c in COLUMNS if c.api_field == "fee"} == {"paid_ads"}


def test_fixtures_on_disk_equal_what_the_generator_writes():
    for name, data in make_platform_fixtures.files().items():
        on_disk = (FIXTURES / name).read_bytes()
        if name.endswith(".xlsx"):  # the zip stores times; compare the cells
            def cells(raw: bytes) -> list[tuple]:
                return list(openpyxl.load_workbook(io.BytesIO(raw)).active.iter_rows(values_only=True))
            assert cells(on_disk) == cells(data), name
        else:
            assert on_disk == data, name


# ------------------------------------------------------------------------------------------------ reading
def test_gbk_campaign_export_maps_to_hand_computed_values():
    # Hand-computed from the three rows of the file (the 合计 row is not added):
    # 消费 1,200.50 + 800 + 500; 关注 10 + 5 + blank; 评论 40 + "-" + 10; 行业商品GMV（7日）5,000 + 3,000 + 1,000.
    (campaign,) = map_exports([read_export(GBK)])
    assert campaign.client_name == "示例品牌"
    assert campaign.values == {
        "paid_ads": 2500.5, "impressions": 150_000, "clicks": 3100, "likes": 550, "comments": 50, "saves": 230,
        "new_followers": 15, "conversions": 25, "direct_revenue": 7500, "cross_platform_revenue": 9000,
    }
    assert campaign.sources["paid_ads"] == ["juguang_campaign_daily_gbk.csv: 消费"]
    assert "shares" not in campaign.values  # the export has no 分享 column: nothing is invented


def test_gbk_export_is_recognised_below_its_title_row_with_level_and_grain():
    export = read_export(GBK)
    assert (export.platform, export.level, export.grain, export.encoding) == ("juguang", "campaign", "day", "gb18030")
    assert export.total is not None and export.total.number == 6
    assert export.unknown_columns == ["备注"]
    (problem,) = export.problems
    assert (problem.file, problem.row, problem.column) == (GBK.name, 2, "备注")


def test_percent_text_is_a_share_and_bids_in_fen_are_read_in_yuan():
    export = read_export(GBK)
    first = export.rows[0]
    assert first.values["ctr"] == pytest.approx(0.02)
    assert first.values["bid"] == pytest.approx(1.5)  # 出价 150 分
    assert export.rows[1].values["comment"] == 0  # "-" is Excel's zero
    assert "follow" not in export.rows[2].values  # a blank stays blank


def test_a_header_stating_fen_is_divided_by_100():
    export = read_export_rows([["日期", "消费(分)", "展现量"], ["2026-11-01", "123456", "10"]], "pasted")
    assert export.rows[0].values["fee"] == pytest.approx(1234.56)


def test_total_row_that_disagrees_is_reported_and_never_added():
    table, (campaign,), _ = exports_client_table([FIXTURES / "juguang_total_mismatch.csv"])
    assert campaign.values["paid_ads"] == 300
    (problem,) = table.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("juguang_total_mismatch.csv", 4, "消费", 400)
    assert "sum to 300.00" in problem.reason
    assert table.rows[0].ok  # a note, not a refusal


def test_bad_cells_refuse_the_campaign_naming_file_row_column_value_reason():
    table, _, _ = exports_client_table([FIXTURES / "juguang_bad_cells.csv"])
    (row,) = table.rows
    assert not row.ok
    located = [(p.file, p.row, p.column, p.value) for p in row.problems]
    assert located == [("juguang_bad_cells.csv", 2, "消费", "abc"), ("juguang_bad_cells.csv", 3, "展现量", "-5")]
    assert "must be a number" in row.problems[0].reason and "negative" in row.problems[1].reason


def test_a_file_of_neither_platform_names_expected_and_found_columns():
    with pytest.raises(InputFileError, match=r"not_an_export.csv: not a Juguang or Pugongying report.*消费.*博主报价"
                                             r".*found 'name', 'spend', 'views'"):
        read_export(FIXTURES / "not_an_export.csv")


def test_pugongying_xlsx_and_utf16_text_read_to_the_same_rows():
    xlsx, text = read_export(PGY_NOTES), read_export(FIXTURES / "pugongying_notes_utf16.txt")
    assert text.encoding == "utf-16" and (xlsx.platform, xlsx.level) == ("pugongying", "note")
    assert [r.values for r in xlsx.rows] == [r.values for r in text.rows]


def test_count_with_a_fraction_is_refused():
    export = read_export_rows([["消费", "展现量"], ["10", "12.5"]], "pasted")
    assert not export.rows[0].ok
    assert "whole number" in export.problems[0].reason


# ------------------------------------------------------------------------------------------------ mapping
def test_creator_tier_follows_the_articles_follower_bounds():
    assert [creator_tier(n) for n in (0, 9_999, 10_000, 49_999, 50_000, 199_999, 200_000)] == \
        ["nano", "nano", "micro", "micro", "mid", "mid", "top"]


def test_both_platforms_on_the_same_notes_equal_the_hand_typed_campaign():
    table, (campaign,), _ = exports_client_table([JG_NOTES, PGY_NOTES])
    typed = read_clients(TYPED).rows[0].campaign
    mapped = table.rows[0].campaign
    assert mapped is not None and typed is not None
    for key in ("paid_ads", "creator_fees", "impressions", "clicks", "likes", "comments", "saves", "shares",
                "new_followers", "conversions", "direct_revenue", "cross_platform_revenue"):
        assert getattr(mapped, key) == pytest.approx(getattr(typed, key), abs=0.006), key
    assert campaign.shared_notes == {"n02", "n03"}
    assert set(campaign.fees_by_tier) == {"micro", "mid", "top"}


def test_shared_notes_are_not_counted_twice():
    jg, pgy = read_export(JG_NOTES), read_export(PGY_NOTES)
    (alone_jg,), (alone_pgy,) = map_exports([jg]), map_exports([pgy])
    (both,) = map_exports([jg, pgy])
    shared_jg = sum(r.values["impression"] for r in jg.rows if r.labels["笔记ID"] in ("N02", "N03"))
    assert both.values["impressions"] == alone_jg.values["impressions"] + alone_pgy.values["impressions"] - shared_jg
    assert both.values["paid_ads"] == alone_jg.values["paid_ads"]  # spend is never dropped
    assert both.values["new_followers"] == alone_jg.values["new_followers"]  # Pugongying reports no follows


def test_juguang_without_note_ids_beside_pugongying_is_refused():
    with pytest.raises(InputFileError, match="must be at note level"):
        map_exports([read_export(GBK), read_export(PGY_NOTES)])


def test_window_chooses_the_off_platform_gmv_and_a_missing_window_is_reported():
    export = read_export(JG_NOTES)
    by_window = {w: map_exports([export], w)[0].values["cross_platform_revenue"] for w in (7, 15, 30)}
    assert by_window[7] < by_window[15] < by_window[30]
    gbk = read_export(GBK)
    (campaign,) = map_exports([gbk], 15)
    assert "cross_platform_revenue" not in campaign.values
    assert any(p.column == "行业商品GMV(15日)" and "7 days, 30 days" in p.reason for p in gbk.problems)


# ------------------------------------------------------------------------------------------------ property
_SAMPLE = [c for c in COLUMNS if c.platform == "juguang" and c.unit in ("yuan", "count")][:8]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 10**7), *[st.integers(0, 10**6)] * (len(_SAMPLE) - 1)),
                     min_size=1, max_size=6),
       written=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16", "xlsx"]),
       as_text=st.booleans())
def test_a_random_export_reads_to_the_same_values_in_any_format(tmp_path, rows, written, as_text):
    header = [c.header for c in _SAMPLE]

    def cell(column, value):  # money in fen-exact yuan; text numbers with thousands separators when as_text
        number = value / 100 if column.unit == "yuan" else value
        return (f"{number:,.2f}" if column.unit == "yuan" else f"{number:,}") if as_text else number

    table = [header, *([cell(c, v) for c, v in zip(_SAMPLE, row)] for row in rows)]
    if written == "xlsx":
        path = tmp_path / "export.xlsx"
        workbook = openpyxl.Workbook()
        for line in table:
            workbook.active.append(line)
        workbook.save(path)
    else:
        path = tmp_path / "export.csv"
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows(table)
        path.write_bytes(buffer.getvalue().encode(written))
    export = read_export(path)
    expected = [{c.api_field: (v / 100 if c.unit == "yuan" else v) for c, v in zip(_SAMPLE, row)} for row in rows]
    assert [r.values for r in export.rows] == [pytest.approx(e) for e in expected]


# ------------------------------------------------------------------------------------------------ tables
def test_history_and_checkpoints_are_tables_the_planner_reads():
    history = read_history(history_table([read_export(GBK)], by="campaign"))
    assert history.spend == [2000.5, 500.0]
    checkpoints = checkpoint_table([read_export(FIXTURES / "juguang_hourly.csv")])
    read = read_checkpoints(checkpoints)
    assert read.hours == [24.0, 72.0, 168.0]
    spend = [row[2] for row in checkpoints[1:]]
    assert spend == sorted(spend)  # cumulative
    export = read_export(FIXTURES / "juguang_hourly.csv")
    assert spend[0] == pytest.approx(sum(r.values["fee"] for r in export.rows if r.labels["日期"] == "2026-11-01"))


def test_checkpoints_not_reached_are_left_blank():
    table = checkpoint_table([read_export(GBK)])
    assert table[2] == ["秋季新品", 72, None, None, None, None]


# ------------------------------------------------------------------------------------------------ commands
def test_import_writes_a_client_table_the_batch_reads_with_the_same_values(tmp_path):
    out = tmp_path / "clients.csv"
    result = CliRunner().invoke(app, ["import", "juguang", str(GBK), "--level", "campaign", "--out", str(out),
                                      "--history", str(tmp_path / "h.csv"), "--checkpoints", str(tmp_path / "k.csv"),
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "juguang_campaign_daily_gbk.csv: 消费" in result.stdout
    rows = read_clients(out).rows
    assert [(r.campaign.client_name, r.campaign.paid_ads) for r in rows] == [("示例品牌 · 秋季新品", 2000.5),
                                                                            ("示例品牌 · 搜索词包", 500.0)]
    assert (tmp_path / "h.csv").exists() and (tmp_path / "k.csv").exists()


@pytest.mark.parametrize("args, code", [
    (["juguang", "juguang_bad_cells.csv"], 2),
    (["juguang", "not_an_export.csv"], 1),
    (["juguang", "pugongying_notes.xlsx"], 2),
    (["pugongying", "pugongying_notes.xlsx", "--level", "campaign"], 1),
    (["juguang", "juguang_campaign_daily_gbk.csv", "--window", "14"], 2),
])
def test_import_exit_codes_for_malformed_or_mismatched_exports(args, code):
    result = CliRunner().invoke(app, ["import", args[0], str(FIXTURES / args[1]), *args[2:]])
    assert result.exit_code == code, result.output


def test_batch_on_a_folder_of_both_exports_equals_the_hand_typed_batch(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for path in (JG_NOTES, PGY_NOTES):
        shutil.copy(path, folder / path.name)
    from_exports = run_batch(folder, tmp_path / "a", jobs=1)
    typed = run_batch(TYPED, tmp_path / "b", jobs=1)
    assert from_exports.exit_code == typed.exit_code == 0
    (a,), (b,) = from_exports.outcomes, typed.outcomes
    assert a.client == b.client == "示例品牌"
    for key, value in b.headline.items():
        assert a.headline[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_docs_column_table_is_generated_from_the_declarations():
    from xhsxl.platforms.columns import columns_markdown

    docs = (Path(__file__).parent.parent / "docs" / "platforms.md").read_text(encoding="utf-8")
    start = docs.index("do not edit by hand -->\n") + len("do not edit by hand -->\n")
    assert docs[start:docs.index("<!-- end platform columns -->")] == columns_markdown()


def test_pasted_exports_map_through_the_excel_function_like_the_files():
    from xhsxl import udfs

    juguang = [list(cells) for _, cells in read_export_rows_source(JG_NOTES)]
    pugongying = [list(r) for r in openpyxl.load_workbook(PGY_NOTES).active.iter_rows(values_only=True)]
    table = udfs.XHS_PLATFORM_MAP(juguang, pugongying, None)
    mapped = {row[0]: row[2] for row in table[1:]}
    typed = read_clients(TYPED).rows[0].campaign
    assert mapped["impressions"] == typed.impressions and mapped["creator_fees"] == typed.creator_fees
    assert mapped["cross_platform_conversions"] is None
    assert dict((row[0], row[3]) for row in table[1:])["cross_platform_conversions"] == "not in the export"


def test_excel_function_refuses_a_bad_paste_with_one_error_type():
    from xhsxl import udfs
    from xhsxl.core.errors import XhsInputError

    with pytest.raises(XhsInputError, match="not a Juguang or Pugongying report"):
        udfs.XHS_PLATFORM_MAP([["a", "b"], [1, 2]])
    with pytest.raises(XhsInputError, match="row 2, 消费 = 'abc'"):
        udfs.XHS_PLATFORM_MAP([["消费", "展现量"], ["abc", 2]])


def test_rows_of_different_clients_stay_apart_beside_pugongying_data():
    rows = [list(cells) for _, cells in read_export_rows_source(JG_NOTES)]
    header = rows[0]
    other = [cell if header[i] != "账户名称" else "别的品牌" for i, cell in enumerate(rows[1])]
    export = read_export_rows([*rows, other], "juguang")
    campaigns = map_exports([export, read_export(PGY_NOTES)])
    assert [c.client_name for c in campaigns] == ["示例品牌", "别的品牌"]
    assert campaigns[1].shared_notes == set()  # the other brand's note N01 is not Pugongying's


def read_export_rows_source(path: Path) -> list[tuple[int, list]]:
    from xhsxl.platforms.read import csv_rows

    return csv_rows(path.read_bytes().decode("utf-8-sig"))


def test_exports_pasted_into_the_platform_data_sheet_recalculate_to_the_hand_typed_values(tmp_path):
    from openpyxl.utils.cell import range_boundaries

    from xhsxl.workbook.recalc import recalculate
    from xhsxl.workbook.sheets.platform_data import EXPORT2_BLOCK, EXPORT_BLOCK, MAPPING_TABLE
    from xhsxl.workbook.template import build_workbook, workbook_bytes

    def pasted(block, rows):
        return {block.key(r, c): value for r, row in enumerate(rows) for c, value in enumerate(row)
                if value not in (None, "")}

    juguang = [cells for _, cells in read_export_rows_source(JG_NOTES)]
    pugongying = [list(r) for r in openpyxl.load_workbook(PGY_NOTES).active.iter_rows(values_only=True)]
    blank = {EXPORT_BLOCK.key(r, c): None for r in range(EXPORT_BLOCK.rows) for c in range(EXPORT_BLOCK.columns)}
    values = {**blank, **pasted(EXPORT_BLOCK, juguang), **pasted(EXPORT2_BLOCK, pugongying)}
    path = tmp_path / "pasted.xlsx"
    path.write_bytes(workbook_bytes(build_workbook(sheet_values=values)))
    workbook = openpyxl.load_workbook(path)
    sheet, reference = next(iter(workbook.defined_names[MAPPING_TABLE.name].destinations))
    left, top, _, bottom = range_boundaries(reference.replace("$", ""))
    result = recalculate(path)
    letter = openpyxl.utils.get_column_letter
    mapped = {result.value(sheet, f"{letter(left)}{row}"): result.value(sheet, f"{letter(left + 2)}{row}")
              for row in range(top + 1, bottom + 1)}
    typed = read_clients(TYPED).rows[0].campaign
    for key in ("paid_ads", "creator_fees", "impressions", "clicks", "likes", "saves", "comments", "shares",
                "new_followers", "conversions", "direct_revenue", "cross_platform_revenue"):
        assert mapped[key] == pytest.approx(getattr(typed, key), abs=0.006), key


def test_batch_command_takes_a_folder_of_exports_as_clients(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for path in (JG_NOTES, PGY_NOTES):
        shutil.copy(path, folder / path.name)
    result = CliRunner().invoke(app, ["batch", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1",
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    workbooks = sorted(p.name for p in (tmp_path / "out").glob("*.xlsx") if p.stem != "summary")
    assert len(workbooks) == 1 and "示例品牌" in result.stdout


def test_pasted_history_and_checkpoints_equal_the_command_line_tables():
    from xhsxl import udfs

    gbk = [cells for _, cells in csv_rows_of(GBK, "gbk")]
    hourly = [cells for _, cells in csv_rows_of(FIXTURES / "juguang_hourly.csv", "utf-8")]
    assert udfs.XHS_PLATFORM_HISTORY(gbk) == history_table([read_export(GBK)], by="campaign")
    assert udfs.XHS_PLATFORM_HISTORY(gbk, None, "month")[1][0] == "示例品牌 · 2026-11"
    assert udfs.XHS_PLATFORM_CHECKPOINTS(hourly) == checkpoint_table([read_export(FIXTURES / "juguang_hourly.csv")])


def csv_rows_of(path: Path, encoding: str) -> list[tuple[int, list]]:
    from xhsxl.platforms.read import csv_rows

    return csv_rows(path.read_bytes().decode(encoding))


def test_checkpoints_leave_out_pugongying_data_which_has_no_dates():
    hourly = read_export(FIXTURES / "juguang_hourly.csv")
    assert checkpoint_table([hourly, read_export(PGY_NOTES)]) == checkpoint_table([hourly])


# ------------------------------------------------------------------------------------------ the Inputs switch
def _pasted_workbook(tmp_path: Path, switch: str | None, juguang_rows: list | None = None) -> Path:
    """A client workbook with the notes exports of both platforms pasted into Platform data, the Inputs
    switch set to ``switch``, and the typed cells holding the worked example's (other) numbers."""
    from xhsxl.workbook.sheets.inputs import SOURCE_BLOCK
    from xhsxl.workbook.sheets.platform_data import EXPORT2_BLOCK, EXPORT_BLOCK
    from xhsxl.workbook.template import build_workbook, workbook_bytes

    def pasted(block, rows):
        return {block.key(r, c): value for r, row in enumerate(rows) for c, value in enumerate(row)
                if value not in (None, "")}

    juguang = juguang_rows or [cells for _, cells in read_export_rows_source(JG_NOTES)]
    pugongying = [list(r) for r in openpyxl.load_workbook(PGY_NOTES).active.iter_rows(values_only=True)]
    values = {**pasted(EXPORT_BLOCK, juguang), **pasted(EXPORT2_BLOCK, pugongying), SOURCE_BLOCK.name: switch}
    path = tmp_path / f"switch_{switch}.xlsx"
    path.write_bytes(workbook_bytes(build_workbook(sheet_values=values, example=False)))
    return path


def _named(path: Path, result, name: str):
    sheet, reference = next(iter(openpyxl.load_workbook(path).defined_names[name].destinations))
    return result.value(sheet, reference.replace("$", ""))


PLATFORM_FED = ("paid_ads", "creator_fees", "impressions", "clicks", "likes", "saves", "comments", "shares",
                "new_followers", "conversions", "direct_revenue", "cross_platform_revenue")


@pytest.mark.parametrize("switch", ["platform data", "平台数据", "Platform Data"])
def test_the_switch_fills_inputs_from_the_pasted_exports_after_recalculation(tmp_path, switch):
    from xhsxl.workbook.read import read_inputs
    from xhsxl.workbook.recalc import recalculate
    from xhsxl.workbook.template import example_campaign

    path = _pasted_workbook(tmp_path, switch)
    result = recalculate(path)
    # One campaign pasted: the Planner's history has too few plans to calibrate, which reads n/a, not an error.
    assert result.errors == []
    typed = read_clients(TYPED).rows[0].campaign
    example = example_campaign()
    for key in PLATFORM_FED:
        assert getattr(example, key) != pytest.approx(getattr(typed, key), abs=0.006), key  # the typed cells differ
        assert _named(path, result, key) == pytest.approx(getattr(typed, key), abs=0.006), key
    # Each value's source beside it: the export's columns, or "typed" where the exports have none.
    sources = {row[1]: row[2] for row in _inputs_rows(path, result)}
    assert sources["paid_ads"] == "export: 消费"
    assert sources["cross_platform_conversions"] == "typed (not in the export)"
    # The results follow: total cost is the typed non-platform costs plus the exports' fees and spend.
    others = sum(getattr(example, key) for key in ("content_production", "product_sampling", "agency_fees",
                                                  "tech_analytics", "platform_fees"))
    assert _named(path, result, "total_cost") == pytest.approx(others + typed.paid_ads + typed.creator_fees, abs=0.02)
    read = read_inputs(path)
    assert read.problems == [] and read.campaign is not None
    for key in PLATFORM_FED:
        assert getattr(read.campaign, key) == pytest.approx(_named(path, result, key), rel=1e-12), key
    for key in ("total_cost", "roi", "blended_roi"):
        assert read.campaign.results().values[key] == pytest.approx(_named(path, result, key), rel=1e-9), key


def _inputs_rows(path: Path, result) -> list[tuple[int, str, object]]:
    """(row, field, source) of every platform-fed row of the Inputs sheet."""
    from xhsxl.platforms.mapping import MAPPED_FIELDS

    workbook = openpyxl.load_workbook(path)
    rows = []
    for key in MAPPED_FIELDS:
        _, reference = next(iter(workbook.defined_names[key].destinations))
        row = int(reference.split("$")[-1])
        rows.append((row, key, result.value("Inputs", f"E{row}")))
    return rows


def test_switch_typed_or_blank_keeps_the_typed_values_with_exports_pasted(tmp_path):
    from xhsxl.workbook.recalc import recalculate
    from xhsxl.workbook.template import example_campaign

    for switch in (None, "typed", "手填"):
        path = _pasted_workbook(tmp_path, switch)
        result = recalculate(path)
        for key in PLATFORM_FED:
            assert _named(path, result, key) == pytest.approx(getattr(example_campaign(), key)), key
        assert {source for _, _, source in _inputs_rows(path, result)} == {"typed"}


def test_a_paste_that_does_not_read_turns_the_inputs_into_errors_never_the_typed_numbers(tmp_path):
    from xhsxl.workbook.read import read_inputs
    from xhsxl.workbook.recalc import recalculate

    juguang = [cells for _, cells in read_export_rows_source(JG_NOTES)]
    spend = juguang[0].index("消费")
    juguang[1][spend] = "lots"
    path = _pasted_workbook(tmp_path, "platform data", juguang)
    result = recalculate(path)
    assert str(_named(path, result, "paid_ads")).startswith("#")
    assert str(_named(path, result, "total_cost")).startswith("#")
    assert {source for _, _, source in _inputs_rows(path, result)} == {"refused: see Platform data · 见平台数据"}
    read = read_inputs(path)
    assert read.campaign is None
    (problem,) = read.problems
    assert problem.sheet == "Platform data" and "'lots'" in str(problem) and "row 2" in str(problem)


def _table_values(path: Path, result, name: str) -> list[list]:
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import range_boundaries

    sheet, reference = next(iter(openpyxl.load_workbook(path).defined_names[name].destinations))
    left, top, right, bottom = range_boundaries(reference.replace("$", ""))
    return [[result.value(sheet, f"{get_column_letter(c)}{r}") for c in range(left, right + 1)]
            for r in range(top, bottom + 1)]


def _workbook_with(tmp_path: Path, name: str, values: dict) -> Path:
    from xhsxl.workbook.template import build_workbook, workbook_bytes

    path = tmp_path / name
    path.write_bytes(workbook_bytes(build_workbook(sheet_values=values, example=False)))
    return path


def test_the_switch_calibrates_and_backtests_the_planner_on_the_pasted_plans_as_on_typed_history(tmp_path):
    """Past campaigns as a Juguang report by plan, pasted with the switch on, give the Planner's calibration
    and backtest of the same campaigns typed into its history block."""
    from xhsxl.workbook.recalc import recalculate
    from xhsxl.workbook.sheets.inputs import SOURCE_BLOCK
    from xhsxl.workbook.sheets.planner import BACKTEST_TABLE, CALIBRATION_TABLE, HISTORY_BLOCKS, HISTORY_EXAMPLE
    from xhsxl.workbook.sheets.platform_data import EXPORT_BLOCK

    header = ["计划名称", "消费", "展现量", "点赞", "7日下单订单量", "7日下单金额", "点击量"]
    export = [header] + [[name, *numbers] for name, *numbers in HISTORY_EXAMPLE]
    pasted = {EXPORT_BLOCK.key(r, c): v for r, row in enumerate(export) for c, v in enumerate(row)}
    names, numbers = HISTORY_BLOCKS
    typed = {**{names.key(r, 0): row[0] for r, row in enumerate(HISTORY_EXAMPLE)},
             **{numbers.key(r, c): v for r, row in enumerate(HISTORY_EXAMPLE) for c, v in enumerate(row[1:])}}
    on = _workbook_with(tmp_path, "pasted.xlsx", {**pasted, SOURCE_BLOCK.name: "platform data"})
    off = _workbook_with(tmp_path, "typed.xlsx", {**pasted, **typed})  # switch blank: the typed block is read
    pasted_result, typed_result = recalculate(on), recalculate(off)
    calibration = _table_values(on, pasted_result, CALIBRATION_TABLE.name)
    assert calibration[1][0] == "cpm" and isinstance(calibration[1][2], float)
    assert calibration == _table_values(off, typed_result, CALIBRATION_TABLE.name)
    backtest, typed_backtest = (_table_values(p, r, BACKTEST_TABLE.name) for p, r in ((on, pasted_result),
                                                                                          (off, typed_result)))
    assert [row[1:] for row in backtest] == [row[1:] for row in typed_backtest]
    assert backtest[1][0] == f"export · {HISTORY_EXAMPLE[0][0]}" and isinstance(backtest[1][3], float)
    # The same workbook with the switch off and no typed history: n/a, not the pasted plans.
    empty = _workbook_with(tmp_path, "off.xlsx", pasted)
    assert _table_values(empty, recalculate(empty), CALIBRATION_TABLE.name)[0][0] == "n/a"


def test_the_switch_reallocates_the_reserve_on_the_pasted_checkpoints(tmp_path):
    from xhsxl import udfs
    from xhsxl.workbook.recalc import recalculate
    from xhsxl.workbook.sheets.checkpoints import REALLOCATION_STATUS, REALLOCATION_TABLE
    from xhsxl.workbook.sheets.inputs import SOURCE_BLOCK
    from xhsxl.workbook.sheets.platform_data import EXPORT_BLOCK

    hourly = [cells for _, cells in csv_rows_of(FIXTURES / "juguang_hourly.csv", "utf-8")]
    pasted = {EXPORT_BLOCK.key(r, c): v for r, row in enumerate(hourly) for c, v in enumerate(row)}
    path = _workbook_with(tmp_path, "checkpoints.xlsx", {**pasted, SOURCE_BLOCK.name: "平台数据"})
    result = recalculate(path)
    table = _table_values(path, result, REALLOCATION_TABLE.name)
    reserve = _named(path, result, "reserve_to_reallocate")
    expected = udfs.XHS_REALLOCATE(checkpoint_table([read_export(FIXTURES / "juguang_hourly.csv")]), reserve)
    approx = [[pytest.approx(v) if isinstance(v, float) else v for v in row] for row in expected]
    # One plan: its row, blank rows, and the total last (the chart above reads the lines' rows only).
    assert table[:-1][:len(expected) - 1] == approx[:-1] and table[-1] == approx[-1]
    assert all(cell in (None, "") for row in table[len(expected) - 1:-1] for cell in row)
    assert _named(path, result, REALLOCATION_STATUS.name) in (None, "")


def test_platform_tables_leave_unused_rows_blank_and_refuse_what_does_not_fit():
    from xhsxl import udfs

    gbk = [cells for _, cells in csv_rows_of(GBK, "gbk")]
    table = udfs.XHS_PLATFORM_HISTORY(gbk, None, None, None, 12)
    assert len(table) == 13 and table[3:] == [[None] * 7] * 10
    with pytest.raises(XhsInputError, match="room for 1"):
        udfs.XHS_PLATFORM_HISTORY(gbk, None, None, None, 1)


def test_the_switch_with_nothing_pasted_keeps_the_typed_values_and_says_so(tmp_path):
    from xhsxl.workbook.recalc import recalculate
    from xhsxl.workbook.sheets.inputs import SOURCE_BLOCK
    from xhsxl.workbook.template import example_campaign

    path = _workbook_with(tmp_path, "nothing.xlsx", {SOURCE_BLOCK.name: "platform data"})
    result = recalculate(path)
    assert result.errors == []
    assert _named(path, result, "paid_ads") == example_campaign().paid_ads
    assert {source for _, _, source in _inputs_rows(path, result)} == {"typed (nothing pasted)"}


def test_a_static_copy_of_a_workbook_on_platform_data_keeps_what_was_typed(tmp_path):
    from xhsxl.workbook.read import input_places, read_inputs
    from xhsxl.workbook.template import build_workbook, example_campaign

    path = _pasted_workbook(tmp_path, "platform data")
    read = read_inputs(path)
    copy = build_workbook(read.campaign, static=True, sheet_values=read.sheet_values)
    places = input_places(copy)
    for key in PLATFORM_FED:
        sheet, row, column, *_ = places[key]
        assert copy[sheet].cell(row, column).value == getattr(example_campaign(), key), key
    assert read.campaign.paid_ads != example_campaign().paid_ads  # the copy computes with the export's


def test_a_value_cell_saved_as_0_over_a_blank_typed_cell_is_not_typed_over(tmp_path):
    """Excel and LibreOffice save the value cell's result: 0 over a blank typed cell, which is no edit; another
    number there is one."""
    from xhsxl.schema import ClientCampaign
    from xhsxl.workbook.read import input_cell, read_inputs
    from xhsxl.workbook.template import build_workbook

    path = tmp_path / "saved.xlsx"
    workbook = build_workbook(ClientCampaign(client_name="Acme", creator_fees=1_000, direct_revenue=5_000))
    typed_sheet, typed_cell = input_cell(workbook, "paid_ads")
    workbook[typed_sheet][typed_cell].value = None
    sheet, reference = next(iter(workbook.defined_names["paid_ads"].destinations))
    value_cell = workbook[sheet][reference.replace("$", "")]
    value_cell.value = 0  # what a saved workbook holds as the formula's result
    workbook.save(path)
    read = read_inputs(path)
    assert read.problems == [] and read.campaign is not None and read.campaign.paid_ads == 0
    value_cell.value = 25_000  # typed over the formula
    workbook.save(path)
    (problem,) = read_inputs(path).problems
    assert "typed over" in str(problem) and problem.cell == value_cell.coordinate

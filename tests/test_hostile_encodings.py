"""``--encoding`` on every command that reads CSV or JSON text: a Big5 file, which the detector cannot
always tell from GB18030, is read exactly when its encoding is named."""

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from xhsxl.cli import app

HISTORY = [["campaign", "spend", "impressions", "engagements", "conversions", "revenue"],
           ["測試品牌", 100000, 2000000, 60000, 900, 270000], ["春季活動", 200000, 3500000, 100000, 1500, 460000],
           ["夏日品牌", 150000, 2800000, 80000, 1200, 350000], ["秋季新品", 300000, 5000000, 140000, 2100, 640000],
           ["冬季特賣", 250000, 4200000, 120000, 1800, 530000]]
# "腰部" (mid-tier creators) is written alike in traditional and simplified Chinese, so Big5 can hold it.
CHECKPOINTS = [["line", "hours", "spend", "revenue"], ["腰部", 24, 10000, 30000], ["腰部", 72, 20000, 50000],
               ["top", 24, 10000, 20000], ["top", 72, 20000, 30000]]
LINES = [["line", "amount"], ["腰部", 100000], ["top", 50000]]
PATHS = [["path", "conversions", "nulls"], ["小紅書筆記 > 天貓", 30, 70], ["小紅書筆記", 10, 90], ["搜尋廣告 > 天貓", 20, 80]]


def cli(*args):
    return CliRunner().invoke(app, [*map(str, args)], terminal_width=400)


def big5_csv(path, rows):
    path.write_bytes("\n".join(",".join(map(str, row)) for row in rows).encode("big5") + b"\n")
    return path


def assert_read(result, *expected):
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, result.output


def test_attribute_reads_a_big5_path_table_with_encoding_big5(tmp_path):
    source = big5_csv(tmp_path / "paths.csv", PATHS)
    assert_read(cli("attribute", source, "--encoding", "big5", "--format", "csv"), "小紅書筆記", "搜尋廣告")


def test_attribute_reads_a_big5_touch_log_with_encoding_big5(tmp_path):
    rows = [["user", "time", "channel", "converted"], ["u1", 1, "小紅書筆記", 0], ["u1", 2, "天貓", 1],
            ["u2", 1, "搜尋廣告", 0], ["u3", 1, "小紅書筆記", 0]]
    source = big5_csv(tmp_path / "touches.csv", rows)
    assert_read(cli("attribute", source, "--touchpoints", "--model", "last_touch", "--encoding", "big5",
                    "--format", "csv"), "天貓")


@pytest.mark.parametrize("command", ["calibrate", "backtest"])
def test_history_commands_read_a_big5_history_with_encoding_big5(tmp_path, command):
    source = big5_csv(tmp_path / "history.csv", HISTORY)
    result = cli(command, source, "--encoding", "big5", "--format", "csv")
    assert_read(result, *(["測試品牌", "冬季特賣"] if command == "backtest" else ["cpm"]))


def test_reallocate_reads_big5_checkpoints_with_encoding_big5(tmp_path):
    source = big5_csv(tmp_path / "checkpoints.csv", CHECKPOINTS)
    assert_read(cli("reallocate", source, "--reserve", "10000", "--encoding", "big5", "--format", "csv"), "腰部")


def test_forecast_reads_big5_lines_and_history_with_encoding_big5(tmp_path):
    lines = big5_csv(tmp_path / "lines.csv", LINES)
    history = big5_csv(tmp_path / "history.csv", HISTORY)
    assert_read(cli("forecast", "--lines", lines, "--encoding", "big5", "--format", "csv"), "impressions")
    assert_read(cli("forecast", "--lines", lines, "--history", history, "--encoding", "big5", "--format", "csv"),
                "5 past campaigns")


def test_fill_and_campaign_read_a_big5_campaign_json_with_encoding_big5(tmp_path):
    source = tmp_path / "client.json"
    source.write_bytes(json.dumps({"client_name": "測試品牌", "creator_fees": 200000, "content_production": 50000,
                                   "paid_ads": 100000, "direct_revenue": 1000000}, ensure_ascii=False).encode("big5"))
    assert_read(cli("campaign", source, "--encoding", "big5"), "測試品牌")
    out = tmp_path / "client.xlsx"
    assert_read(cli("fill", source, "--out", out, "--encoding", "big5"))
    values = [cell.value for row in load_workbook(out)["Inputs"].iter_rows() for cell in row]
    assert "測試品牌" in values


def test_an_unknown_encoding_name_is_one_line_with_exit_1(tmp_path):
    source = big5_csv(tmp_path / "checkpoints.csv", CHECKPOINTS)
    result = cli("reallocate", source, "--reserve", "10000", "--encoding", "klingon")
    assert result.exit_code == 1, result.output
    assert "unknown encoding 'klingon'" in result.output and "Traceback" not in result.output


def test_import_reads_an_export_in_the_encoding_given_and_refuses_a_wrong_one_in_one_line(tmp_path):
    """`xhsxl import --encoding` reaches the export reader: the GBK fixture read as GB18030 maps as detected; read
    as UTF-8 it is refused naming the file, never mapped from mis-decoded text."""
    export = Path(__file__).parent / "fixtures" / "platforms" / "juguang_campaign_daily_gbk.csv"
    detected = cli("import", "juguang", export, "--format", "csv")
    given = cli("import", "juguang", export, "--encoding", "gb18030", "--format", "csv")
    assert detected.exit_code == given.exit_code == 0, given.output
    assert given.stdout == detected.stdout and "paid_ads" in given.stdout
    wrong = cli("import", "juguang", export, "--encoding", "utf-8")
    assert wrong.exit_code == 1 and export.name in wrong.output and "Traceback" not in wrong.output

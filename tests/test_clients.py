"""Reading a table of clients: every format and encoding reads the same, every problem is found and located."""

import csv
import io
import json
import struct
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xhsxl.excel.cells import coerce_number
from xhsxl.excel.errors import InputFileError
from xhsxl.schema import ClientCampaign, field_for_header
from xhsxl.workbook import clients
from xhsxl.excel.errors import Problem
from xhsxl.workbook.clients import read_clients

EXAMPLES = Path(__file__).parent.parent / "workbooks" / "examples" / "clients.csv"
CASE_STUDIES = json.loads((Path(__file__).parent.parent / "examples" / "case_studies.json").read_text(encoding="utf-8"))

# Keys, English labels and Chinese labels mixed, as people write them; "备注" (notes) is not a field.
HEADERS = ["client_name", "品牌阶段", "KOL/KOC fees", "content_production", "paid_ads", "毛利率", "direct_revenue",
           "impressions", "备注"]
# Data rows from row 2; None is a blank row (row 9). "￥" (full width) because GBK has no "¥".
ROWS = [
    ["光感实验室 Glow Lab", "growth", "￥1,200,000", "300000", "200,000", "30%", "￥4,500,000", "8,000,000", "top"],
    ["小芽母婴 Little Sprout", "成长期", "150000", "50000", "40000", "0.3", "600000", "2000000", ""],
    ["", "growth", "100000", "", "", "", "", "", "name forgotten"],
    ["Text Co", "maturity", "lots", "10000", "", "", "", "", ""],
    ["Negative Co", "cold_start", "100000", "-5000", "", "", "", "", ""],
    ["Stage Co", "decline", "100000", "", "", "", "", "", ""],
    [" 光感实验室 GLOW LAB ", "growth", "1", "", "", "", "", "", "same client again"],
    None,
    ['=HYPERLINK("http://x","y")', "maturity", "80000", "", "", "", "", "", ""],
    ["../../etc/passwd", "cold_start", "80000", "", "", "", "", "", ""],
    ["+cmd|' /C calc'!A0", "growth", "80000", "", "", "", "", "", ""],
    ["Many Problems", "decline", "abc", "10", "", "30", "", "", ""],
    ["@SUM(1+1)", "growth", "80000", "", "", "", "", "", ""],
    ["-2+3", "growth", "80000", "", "", "", "", "", ""],
]
GOOD_ROWS = [2, 3, 10, 11, 12, 14, 15]
# row → (column as written, the start of the reason), left to right
BAD_ROWS = {
    4: [("client_name", "client_name is required")],
    5: [("KOL/KOC fees", "creator_fees must be a number (got 'lots')")],
    6: [("content_production", "content_production must be at least 0")],
    7: [("品牌阶段", "stage must be one of")],
    8: [("client_name", "duplicate of row 2")],
    13: [("品牌阶段", "stage must be one of"), ("KOL/KOC fees", "creator_fees must be a number"),
         ("毛利率", "gross_margin must be 0 to 1 (got 30); write 30% or 0.3")],
}


def csv_text(headers=HEADERS, rows=ROWS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # as Excel writes it
    writer.writerow(headers)
    for row in rows:
        writer.writerow(row if row is not None else [""] * len(headers))
    return out.getvalue()


def write_xlsx(path: Path, headers: list[str], rows=ROWS, sheet_title="Clients") -> None:
    """The same table as a person keeps it in Excel: numbers as numbers, a percent cell formatted as one."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append(headers)
    for row in rows:
        if row is None:
            sheet.append([])
            continue
        cells = []
        for header, text in zip(HEADERS, row):
            field = field_for_header(header)
            value: object = text or None
            if field is not None and field.is_numeric and text:
                try:
                    value = coerce_number(text)
                except ValueError:
                    pass  # "lots", "abc": text in a number column, as a person typed it
            cells.append(value)
        sheet.append(cells)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, stored as the text it is
        if row[5].endswith("%"):
            sheet.cell(sheet.max_row, 6).number_format = "0%"
    workbook.save(path)


def located(table) -> dict[int, list[tuple[str, str]]]:
    return {row.row_number: [(p.column, p.reason) for p in row.problems] for row in table.bad_rows}


def assert_expected_rows(table, column_names=None) -> None:
    """The good and bad rows of the shared table; ``column_names`` maps the CSV's headers to this file's."""
    rename = column_names or {}
    assert [row.row_number for row in table.good_rows] == GOOD_ROWS
    problems = located(table)
    assert sorted(problems) == sorted(BAD_ROWS)
    for number, expected in BAD_ROWS.items():
        got = problems[number]
        assert [column for column, _ in got] == [rename.get(c, c) for c, _ in expected], number
        for (_, reason), (_, start) in zip(got, expected):
            assert reason.startswith(start), (number, reason)
    assert all(p.row == row.row_number for row in table.rows for p in row.problems)
    assert all(row.campaign is None for row in table.bad_rows)


def comparable(table) -> tuple:
    """What must not depend on the file format: the campaigns, and each problem by field and reason."""
    campaigns = [row.campaign for row in table.good_rows]
    problems = [(row.row_number, [(field_for_header(p.column).key, p.reason) for p in row.problems])
                for row in table.bad_rows]
    return campaigns, problems


@pytest.fixture
def clients_csv(tmp_path) -> Path:
    path = tmp_path / "clients.csv"
    path.write_text(csv_text(), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------------- CSV
def test_good_rows_validate_and_every_bad_row_reports_every_problem_where_the_user_will_find_it(clients_csv):
    table = read_clients(clients_csv)
    assert table.encoding == "utf-8" and table.file_format == "csv"
    assert_expected_rows(table)
    assert [row.row_number for row in table.rows] == GOOD_ROWS[:2] + [4, 5, 6, 7, 8] + GOOD_ROWS[2:5] + [13] + GOOD_ROWS[5:]
    bad = {row.row_number: row for row in table.bad_rows}
    assert bad[5].problems[0].value == "lots"
    assert bad[6].problems[0].value == "-5000"
    assert bad[8].client_name_raw == " 光感实验室 GLOW LAB "


def test_percent_currency_and_thousands_separators_are_read(clients_csv):
    glow, sprout = (row.campaign for row in read_clients(clients_csv).good_rows[:2])
    assert glow.creator_fees == 1_200_000 and glow.paid_ads == 200_000 and glow.impressions == 8_000_000
    assert glow.direct_revenue == 4_500_000
    assert glow.gross_margin == sprout.gross_margin == pytest.approx(0.3)
    assert glow.brand_stage == sprout.brand_stage == "growth"  # "成长期" too


def test_yen_sign_is_read(tmp_path):
    path = tmp_path / "yen.csv"
    path.write_text("client_name,creator_fees,direct_revenue\nA,\"¥1,200,000\",¥3000000\n", encoding="utf-8")
    campaign = read_clients(path).good_rows[0].campaign
    assert (campaign.creator_fees, campaign.direct_revenue) == (1_200_000, 3_000_000)


def test_unknown_columns_are_reported_once_and_the_rows_still_validate(clients_csv):
    table = read_clients(clients_csv)
    assert table.unknown_columns == ["备注"]
    assert table.problems == [Problem(1, "备注", None, "unknown column, its values are ignored")]
    assert table.all_problems()[0] == table.problems[0]
    assert [p.row for p in table.all_problems()] == sorted(p.row for p in table.all_problems())
    assert len(table.all_problems()) == 1 + sum(len(v) for v in BAD_ROWS.values())


def test_an_unknown_column_close_to_a_field_suggests_it(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("client_name,gross_margn,paid_ads\nA,0.5,100\n", encoding="utf-8")
    table = read_clients(path)
    assert "did you mean 'gross_margin'" in table.problems[0].reason
    assert table.good_rows[0].campaign.gross_margin == 0.5  # the default, not the misspelt column


def test_formula_like_and_path_like_client_text_is_kept_verbatim(clients_csv):
    names = [row.campaign.client_name for row in read_clients(clients_csv).good_rows[2:]]
    assert names == ['=HYPERLINK("http://x","y")', "../../etc/passwd", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"),
                                                ("gb18030", "gb18030"), ("utf-16", "utf-16")])
def test_utf8_bom_and_gbk_files_read_identically(tmp_path, clients_csv, encoding, expected):
    path = tmp_path / f"clients-{encoding}.csv"
    path.write_bytes(csv_text().encode(encoding))
    table = read_clients(path)
    assert table.encoding == expected
    reference = read_clients(clients_csv)
    assert table.rows == reference.rows and table.problems == reference.problems


def test_semicolon_and_tab_separated_files_are_recognised_by_their_header(tmp_path):
    for delimiter, suffix in ((";", ".csv"), ("\t", ".tsv")):
        path = tmp_path / f"clients{suffix}"
        path.write_text(delimiter.join(["client_name", "creator_fees", "gross_margin"]) + "\nA" + delimiter
                        + "1000" + delimiter + "0,6".replace(",", ".") + "\n", encoding="utf-8")
        campaign = read_clients(path).good_rows[0].campaign
        assert (campaign.creator_fees, campaign.gross_margin) == (1000, 0.6)


def test_a_quoted_cell_spanning_lines_keeps_row_numbers_as_excel_shows_them(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text('client_name,creator_fees\n"Brand\nwith two lines",100\nBad,-1\n', encoding="utf-8")
    table = read_clients(path)
    assert table.good_rows[0].campaign.client_name == "Brand\nwith two lines"
    assert table.bad_rows[0].row_number == 3


def test_repeated_columns_for_one_field_are_reported_and_disagreeing_rows_rejected(tmp_path):
    path = tmp_path / "repeat.csv"
    path.write_text("client_name,creator_fees,达人合作费用\nA,100,100\nB,100,\nC,100,200\n", encoding="utf-8")
    table = read_clients(path)
    assert [(p.row, p.column) for p in table.problems if "no revenue column" not in p.reason] == [(1, "达人合作费用")]
    assert [row.row_number for row in table.good_rows] == [2, 3]
    assert located(table) == {4: [("达人合作费用", "differs from column 'creator_fees' ('100'), which names the "
                                                    "same field")]}


def test_cells_beyond_the_last_header_are_reported_not_dropped(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("client_name,creator_fees\nA,100,surprise\nB,100\n", encoding="utf-8")
    table = read_clients(path)
    assert table.unknown_columns == ["(column C)"]
    assert len(table.good_rows) == 2


def test_whole_row_problems_are_reported_against_the_campaign(tmp_path):
    path = tmp_path / "nocost.csv"
    path.write_text("client_name,creator_fees\nA,0\n", encoding="utf-8")
    assert located(read_clients(path)) == {
        2: [("(campaign)", "the campaign's costs must add up to more than 0 (every cost line is 0 or blank)")]
    }


def test_a_bad_first_row_still_makes_its_namesake_a_duplicate(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("client_name,creator_fees\nA,-1\na,100\n", encoding="utf-8")
    assert located(read_clients(path)) == {2: [("creator_fees", "creator_fees must be at least 0 (got -1)")],
                                           3: [("client_name", "duplicate of row 2")]}


# --------------------------------------------------------------------------------------------------- XLSX / JSON
def test_xlsx_with_chinese_labels_reads_the_same_as_the_csv(tmp_path, clients_csv):
    zh_headers = [field_for_header(h).label_zh if field_for_header(h) else h for h in HEADERS]
    path = tmp_path / "clients.xlsx"
    write_xlsx(path, zh_headers)
    table = read_clients(path)
    assert table.file_format == "xlsx" and table.encoding is None and table.sheet == "Clients"
    assert_expected_rows(table, dict(zip(HEADERS, zh_headers)))
    assert comparable(table) == comparable(read_clients(clients_csv))
    assert table.unknown_columns == ["备注"]


def test_xlsx_rows_are_numbered_as_in_the_sheet_and_a_named_sheet_can_be_chosen(tmp_path):
    path = tmp_path / "sheets.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active["A1"] = "Clients are on the next sheet"
    sheet = workbook.create_sheet("Clients")
    sheet["B3"], sheet["C3"] = "client_name", "creator_fees"  # header on row 3, column B
    sheet["B5"], sheet["C5"] = "A", 100
    sheet["B6"], sheet["C6"] = "B", -1
    workbook.save(path)
    table = read_clients(path, sheet="clients")
    assert table.sheet == "Clients"
    assert [row.row_number for row in table.rows] == [5, 6] and table.bad_rows[0].problems[0].row == 6
    with pytest.raises(InputFileError, match="no column for client_name"):
        read_clients(path)  # the first sheet is the notes
    with pytest.raises(InputFileError, match="no sheet named 'Budget'; the sheets are 'Notes', 'Clients'"):
        read_clients(path, sheet="Budget")


def test_json_list_reads_the_same_as_the_csv(tmp_path, clients_csv):
    items = [{} if row is None else {h: v for h, v in zip(HEADERS, row) if v != ""} for row in ROWS]
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    table = read_clients(path)
    assert table.file_format == "json"
    expected = comparable(read_clients(clients_csv))
    # A JSON row is its 1-based position in the list: one less than the CSV row, whose row 1 is the header.
    assert comparable(table)[0] == expected[0]
    assert [(number + 1, problems) for number, problems in comparable(table)[1]] == [
        (number, [(key, reason.replace("duplicate of row 2", "duplicate of row 1")) for key, reason in problems])
        for number, problems in expected[1]
    ]
    assert table.problems[0] == Problem(1, "备注", None, "unknown column, its values are ignored")


def test_json_items_that_are_not_flat_objects_are_bad_rows(tmp_path):
    path = tmp_path / "odd.json"
    path.write_text('[{"client_name": "A", "creator_fees": 1}, 5, {"client_name": ["B"], "creator_fees": 1},'
                    ' {"client_name": "C", "creator_fees": 1, "creator_fees": 2}]', encoding="utf-8")
    table = read_clients(path)
    assert [row.row_number for row in table.good_rows] == [1]
    assert located(table) == {
        2: [("(campaign)", "must be an object of column: value pairs")],
        3: [("client_name", "must be a single value, not a list or object")],
        4: [("creator_fees", "'creator_fees' appears twice in this object")],
    }


# --------------------------------------------------------------------------------------------------- refusals
def bomb_xlsx(path: Path, megabytes: int) -> None:
    """A real workbook whose sheet XML is padded with blanks to ``megabytes`` MiB: ~200 kB on disk."""
    good = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["client_name", "creator_fees"])
    workbook.save(good)
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        for member in source.infolist():
            if member.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(member, source.read(member))
                continue
            with bomb.open(member.filename, "w", force_zip64=True) as sheet:
                sheet.write(source.read(member).replace(b"</worksheet>", b""))
                blanks = b" " * 2**20
                for _ in range(megabytes):
                    sheet.write(blanks)
                sheet.write(b"</worksheet>")


@pytest.fixture
def openpyxl_must_not_load(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to load a file that should have been refused")

    monkeypatch.setattr(clients.openpyxl, "load_workbook", refuse)


def test_a_zip_bomb_is_refused_before_openpyxl_loads_it(tmp_path, openpyxl_must_not_load):
    path = tmp_path / "bomb.xlsx"
    bomb_xlsx(path, clients.MAX_UNPACKED_BYTES // 2**20 + 1)
    assert path.stat().st_size < 2**20
    started = time.perf_counter()
    with pytest.raises(InputFileError, match="zip bomb"):
        read_clients(path)
    assert time.perf_counter() - started < 1


def test_the_archive_check_works_on_a_path_for_any_untrusted_workbook(tmp_path):
    good, bomb = tmp_path / "good.xlsx", tmp_path / "bomb.xlsx"
    write_xlsx(good, HEADERS)
    bomb_xlsx(bomb, 2)  # 2 MiB of blanks: ordinary size, bomb-like ratio
    clients.check_xlsx_archive(good)
    with pytest.raises(InputFileError, match=r"expands [\d,]+-fold \(at most 100-fold\)"):
        clients.check_xlsx_archive(bomb)


def test_the_unpacked_size_cap_holds_even_for_ordinary_ratios(tmp_path, monkeypatch, openpyxl_must_not_load):
    path = tmp_path / "big.xlsx"
    bomb_xlsx(path, 3)
    monkeypatch.setattr(clients, "MAX_COMPRESSION_RATIO", 10**6)
    monkeypatch.setattr(clients, "MAX_UNPACKED_BYTES", 2**20)
    with pytest.raises(InputFileError, match=r"unpacks to 3 MiB \(at most 1 MiB\)"):
        read_clients(path)


def test_a_workbook_with_too_many_members_is_refused(tmp_path, monkeypatch, openpyxl_must_not_load):
    path = tmp_path / "many.xlsx"
    bomb_xlsx(path, 0)
    monkeypatch.setattr(clients, "MAX_ZIP_MEMBERS", 3)
    with pytest.raises(InputFileError, match="entries in the archive"):
        read_clients(path)


def test_a_member_that_lies_about_its_size_fails_instead_of_expanding(tmp_path):
    # zipfile stops a member at its declared size and then fails the CRC check, so the caps can trust the
    # directory. Declared 2 kB; the sheet XML really holds 20 MiB.
    good = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["client_name", "creator_fees"])
    workbook.save(good)
    liar = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</worksheet>", b" " * 20 * 2**20 + b"</worksheet>")
            target.writestr(member.filename, content)
    data = bytearray(liar.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    central = data.find(b"xl/worksheets/sheet1.xml", data.find(b"PK\x01\x02")) - 46
    struct.pack_into("<I", data, member.header_offset + 22, 2_000)  # local header: uncompressed size
    struct.pack_into("<I", data, central + 24, 2_000)  # central directory: uncompressed size
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 2_000
    with pytest.raises(InputFileError, match="Bad CRC-32"):
        read_clients(path)


def test_xml_entities_in_an_xlsx_are_refused_by_defusedxml(tmp_path):
    source = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["client_name", "creator_fees"])
    workbook.active.append(["A", 1])
    workbook.save(source)
    entities = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
                b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as target:
        for member in original.infolist():
            content = original.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                content = entities + content.replace(b"<v>1</v>", b"<v>&lol2;</v>")
            target.writestr(member.filename, content)
    with pytest.raises(InputFileError, match="EntitiesForbidden"):
        read_clients(path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("fake.xlsx", b"client_name,creator_fees\nA,1\n", "not a valid zip archive"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, r"Excel 97-2003"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, r"Excel 97-2003"),
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\r\n \r\n", "empty"),
        ("only-header.csv", b"client_name,creator_fees\r\n,\r\n", "no client rows"),
        ("no-name.csv", b"creator_fees\n100\n", "no column for client_name / Client / brand / 客户/品牌"),
        ("binary.csv", b"client_name\x00\x01\x02", "binary"),
        ("zipped.csv", b"PK\x03\x04rest", "name it .xlsx"),
        ("latin1.csv", "client_name\nCafé au lait\n".encode("latin-1") + b"\xff", "--encoding cp1252"),
        ("empty.json", b"[]", "empty"),
        ("object.json", b'{"clients": []}', "list of client objects"),
        ("broken.json", b'[{"client_name": ', "not valid JSON"),
        ("clients.docx", b"whatever", "unsupported file type '.docx'"),
    ],
)
def test_files_that_cannot_be_a_client_table_raise_with_a_reason(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_clients(path)


def test_a_missing_file_and_a_folder_raise(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        read_clients(tmp_path / "nope.csv")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(InputFileError, match="folder"):
        read_clients(folder)


def test_a_sheet_name_for_a_csv_is_refused(clients_csv):
    with pytest.raises(InputFileError, match="only be chosen in an XLSX"):
        read_clients(clients_csv, sheet="Clients")


# --------------------------------------------------------------------------------------------------- the example
def test_the_example_clients_are_all_valid_and_plausible():
    table = read_clients(EXAMPLES)
    assert table.encoding == "utf-8" and table.problems == [] and table.bad_rows == []
    campaigns = [row.campaign for row in table.good_rows]
    assert len(campaigns) >= 10
    assert len({c.client_name for c in campaigns}) == len(campaigns)
    assert {c.brand_stage for c in campaigns} == {"cold_start", "growth", "maturity"}
    assert "成长期" in EXAMPLES.read_text(encoding="utf-8")
    for campaign in campaigns:
        results = campaign.results()
        assert -0.5 <= results["roi"] <= 9.0, campaign.client_name
        assert 80_000 <= campaign.total_cost <= 2_000_000, campaign.client_name


def test_the_example_holds_the_two_case_studies_exactly():
    by_name = {row.campaign.client_name: row.campaign for row in read_clients(EXAMPLES).good_rows}
    for case in CASE_STUDIES:
        assert by_name[case["client_name"]] == ClientCampaign.model_validate(case)
    assert round(by_name[CASE_STUDIES[0]["client_name"]].results()["roi"] * 100) == 273
    assert round(by_name[CASE_STUDIES[1]["client_name"]].results()["roi"] * 100) == 624

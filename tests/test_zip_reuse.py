"""The batch's zip writer: parts the same for every client are deflated once and their compressed bytes copied.

Each copied member must keep the zip format right (local header, CRC, sizes, central directory), so every
output is opened by the standard library's CRC check, by openpyxl and by LibreOffice, and its content is
compared with a fresh build's.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xhsxl.schema import ClientCampaign
from xhsxl.workbook.template import DeflatedPart, WorkbookFactory, _FixedTimeZip, build_workbook, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ClientCampaign.model_validate(item)
            for item in json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_copied_member_gives_the_bytes_of_writing_its_content_afresh():
    content = ("<sheet>" + "".join(f"<c r='A{i}'>{i * 7}</c>" for i in range(2000)) + "</sheet>").encode()
    part = DeflatedPart("xl/worksheets/sheet1.xml", content)
    copied, fresh = io.BytesIO(), io.BytesIO()
    with _FixedTimeZip(copied, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("first.xml", b"<a/>")
        archive.write_deflated(part)
        archive.writestr("last.xml", b"<b/>")
    with _FixedTimeZip(fresh, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("first.xml", b"<a/>")
        archive.writestr("xl/worksheets/sheet1.xml", content)
        archive.writestr("last.xml", b"<b/>")
    assert copied.getvalue() == fresh.getvalue()
    with zipfile.ZipFile(copied) as archive:
        assert archive.testzip() is None
        assert archive.read("xl/worksheets/sheet1.xml") == content


def test_the_same_part_copied_into_many_archives_keeps_each_archive_valid():
    part = DeflatedPart("xl/styles.xml", b"<styleSheet>" + b"<x/>" * 500 + b"</styleSheet>")
    for prefix in (b"", b"<p/>" * 3, b"<q/>" * 300):
        buffer = io.BytesIO()
        with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            if prefix:
                archive.writestr("before.xml", prefix)
            archive.write_deflated(part)
        with zipfile.ZipFile(buffer) as archive:
            assert archive.testzip() is None
            assert archive.namelist()[-1] == "xl/styles.xml"


@pytest.mark.parametrize("static", [False, True])
def test_every_factory_workbook_passes_the_crc_check_opens_in_openpyxl_and_matches_a_fresh_build(static):
    factory = WorkbookFactory(static)
    odd = EXAMPLES[0].model_copy(update={"client_name": "品牌 & <Co>", "planned_budget": 2e6, "clicks": 0})
    for campaign in (EXAMPLES[0], EXAMPLES[1], odd, EXAMPLES[1]):
        data = factory.workbook_bytes(campaign)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
        assert _members(data) == _members(workbook_bytes(build_workbook(campaign, static)))
        workbook = load_workbook(io.BytesIO(data))
        assert workbook.sheetnames == build_workbook(campaign, static).sheetnames


def test_after_the_first_client_only_the_clients_own_parts_are_deflated(monkeypatch):
    factory = WorkbookFactory()
    factory.workbook_bytes(EXAMPLES[0])
    deflated: list[int] = []
    original = zipfile._get_compressor

    def counting(compress_type, compresslevel=None):
        deflated.append(compress_type)
        return original(compress_type, compresslevel)

    monkeypatch.setattr(zipfile, "_get_compressor", counting)
    data = factory.workbook_bytes(EXAMPLES[1])
    copied = sum(part is not None for _, part in factory._parts)
    assert copied > 0
    # the client's worksheets and the document properties; nothing else
    assert len(deflated) == len(factory._sheets) + 1 == len(_members(data)) - copied


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; CI installs it to run this")
def test_libreoffice_opens_factory_workbooks_with_copied_parts(tmp_path):
    files = []
    for static in (False, True):
        factory = WorkbookFactory(static)
        factory.workbook_bytes(EXAMPLES[0])
        target = tmp_path / f"client-{'static' if static else 'live'}.xlsx"
        target.write_bytes(factory.workbook_bytes(EXAMPLES[1]))
        files.append(target)
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "csv", "--outdir", str(tmp_path / "out"), *map(str, files)],
                   check=True, capture_output=True, timeout=240)
    for target in files:
        converted = tmp_path / "out" / (target.stem + ".csv")
        assert converted.exists() and converted.stat().st_size > 0

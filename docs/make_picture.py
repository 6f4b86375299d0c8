"""Render the README's picture: a filled case-study workbook's Results and Dashboard, headlessly.

    python docs/make_picture.py            # needs LibreOffice (soffice) and poppler (pdftoppm)

It builds case study 2's *static* workbook (LibreOffice, like a client without the add-in, cannot run the
XHS_ functions), hides every sheet but Results and Dashboard, converts it to PDF with LibreOffice and each
page to a PNG with pdftoppm: ``docs/results.png`` and ``docs/dashboard.png``. Re-run it after changing the
layout; the test suite does not need LibreOffice.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from xhsxl.schema import ClientCampaign
from xhsxl.workbook.template import build_workbook, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("Results", "Dashboard")


def main() -> int:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        print("needs LibreOffice (soffice) and pdftoppm: apt-get install libreoffice-calc poppler-utils",
              file=sys.stderr)
        return 1
    examples = json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))
    workbook = build_workbook(ClientCampaign.model_validate(examples[1]), static=True)
    for ws in workbook.worksheets:
        if ws.title in PAGES:
            ws.page_setup.fitToHeight = 1
        else:
            ws.sheet_state = "hidden"
    workbook.active = workbook.sheetnames.index(PAGES[0])
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "case_study_2.xlsx"
        source.write_bytes(workbook_bytes(workbook))
        profile = (work / "profile").as_uri()
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(work), str(source)], check=True, capture_output=True, timeout=180)
        subprocess.run([pdftoppm, "-png", "-r", "90", str(work / "case_study_2.pdf"), str(work / "page")],
                       check=True, timeout=120)
        pages = sorted(work.glob("page*.png"))
        if len(pages) != len(PAGES):
            print(f"expected {len(PAGES)} pages, LibreOffice made {len(pages)}", file=sys.stderr)
        for page, name in zip(pages, PAGES):
            target = ROOT / "docs" / f"{name.lower()}.png"
            shutil.copyfile(page, target)
            print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

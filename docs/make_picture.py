"""Render the README's pictures headlessly: case study 2's Results and Dashboard, a batch client's Dashboard and
the batch's summary.

    python docs/make_picture.py            # needs LibreOffice (soffice) and poppler (pdftoppm)

Every picture is of a *static* workbook (LibreOffice, like a client without the add-in, cannot run the XHS_
functions). For each, every sheet but the one pictured is hidden, the sheet is printed on one page, converted to
PDF by LibreOffice and to a PNG by pdftoppm:

- ``docs/results.png`` and ``docs/dashboard.png``: case study 2 of article 000, as ``xhsxl fill --static`` writes it;
- ``docs/batch_dashboard.png``: the Dashboard of one client of ``xhsxl batch workbooks/examples/clients.csv --static``;
- ``docs/summary.png``: that batch's summary.xlsx.

Re-run it after changing the layout; the test suite does not need LibreOffice.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook

from xhsxl.schema import ClientCampaign
from xhsxl.workbook.batch import run_batch, summary_workbook
from xhsxl.workbook.clients import read_clients
from xhsxl.workbook.template import build_workbook, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
#: The batch client pictured: a brand of the example table that is neither case study.
BATCH_CLIENT = "花漾肌 Bloom Skin"
RESOLUTION = "90"


def only_sheet(workbook: Workbook, title: str) -> Workbook:
    """``workbook`` printing ``title`` alone, on one page."""
    for ws in workbook.worksheets:
        if ws.title == title:
            ws.sheet_state = "visible"
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 1
        else:
            ws.sheet_state = "hidden"
    workbook.active = workbook.sheetnames.index(title)
    return workbook


def render(workbook: Workbook, target: Path, soffice: str, pdftoppm: str, work: Path) -> None:
    """One page of ``workbook`` (all its other sheets hidden) as the PNG ``target``."""
    source = work / f"{target.stem}.xlsx"
    source.write_bytes(workbook_bytes(workbook))
    profile = (work / "profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(source)], check=True, capture_output=True, timeout=180)
    subprocess.run([pdftoppm, "-png", "-r", RESOLUTION, "-singlefile", "-f", "1", "-l", "1",
                    str(work / f"{target.stem}.pdf"), str(work / target.stem)], check=True, timeout=120)
    shutil.copyfile(work / f"{target.stem}.png", target)
    print(f"wrote {target.relative_to(ROOT)}")


def main() -> int:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        print("needs LibreOffice (soffice) and pdftoppm: apt-get install libreoffice-calc poppler-utils",
              file=sys.stderr)
        return 1
    examples = json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))
    case = ClientCampaign.model_validate(examples[1])
    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for title in ("Results", "Dashboard"):
            render(only_sheet(build_workbook(case, static=True), title), docs / f"{title.lower()}.png", soffice,
                   pdftoppm, work)
        clients = ROOT / "workbooks" / "examples" / "clients.csv"
        result = run_batch(clients, work / "batch", static=True, jobs=1)
        # Built again rather than loaded (openpyxl drops charts it reads); the batch writes these very bytes.
        [campaign] = [row.campaign for row in read_clients(clients).good_rows
                      if row.campaign.client_name == BATCH_CLIENT]
        render(only_sheet(build_workbook(campaign, static=True), "Dashboard"), docs / "batch_dashboard.png", soffice,
               pdftoppm, work)
        render(only_sheet(summary_workbook(result), "Summary"), docs / "summary.png", soffice, pdftoppm, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())

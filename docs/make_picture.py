"""Render the README's pictures headlessly: case study 2's Results and Dashboard, a batch client's Dashboard and
the batch's summary.

    python docs/make_picture.py            # needs LibreOffice (soffice) and poppler (pdftoppm)

Every picture is of a *static* workbook (LibreOffice, like a client without the add-in, cannot run the XHS_
functions). For each, every sheet but the one pictured is hidden, the sheet is printed on one page, converted to
PDF by LibreOffice and to a PNG by pdftoppm, cut to the sheet's content (not the blank A4 page around it):

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
RESOLUTION = "110"


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


def content_box(ppm: bytes, margin: int = 20) -> tuple[int, int, int, int]:
    """(left, top, width, height) of what is not white on a binary PPM page, with ``margin`` pixels around it:
    the sheet without the rest of the A4 page."""
    magic, width, height, _depth = ppm.split(maxsplit=4)[:4]
    if magic != b"P6":
        raise ValueError("expected a binary PPM from pdftoppm")
    columns, rows = int(width), int(height)
    pixels = ppm[len(ppm) - 3 * columns * rows:]
    left, right, top, bottom = columns, 0, rows, 0
    for y in range(rows):
        line = pixels[3 * columns * y:3 * columns * (y + 1)]
        ink = len(line) - len(line.lstrip(b"\xff"))
        if ink == len(line):
            continue
        top, bottom = min(top, y), y
        left = min(left, ink // 3)
        right = max(right, (len(line.rstrip(b"\xff")) - 1) // 3)
    if bottom < top:
        return 0, 0, columns, rows
    left, top = max(0, left - margin), max(0, top - margin)
    return left, top, min(columns, right + margin) - left, min(rows, bottom + margin) - top


def render(workbook: Workbook, target: Path, soffice: str, pdftoppm: str, work: Path,
           resolution: str = RESOLUTION) -> None:
    """One page of ``workbook`` (all its other sheets hidden) as the PNG ``target``, at ``resolution`` dpi."""
    source = work / f"{target.stem}.xlsx"
    source.write_bytes(workbook_bytes(workbook))
    profile = (work / "profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(source)], check=True, capture_output=True, timeout=180)
    pdf = str(work / f"{target.stem}.pdf")
    pixmap = work / f"{target.stem}.ppm"
    subprocess.run([pdftoppm, "-r", resolution, "-singlefile", "-f", "1", "-l", "1", pdf, str(pixmap.with_suffix(""))],
                   check=True, timeout=120)
    left, top, width, height = content_box(pixmap.read_bytes())
    subprocess.run([pdftoppm, "-png", "-r", resolution, "-singlefile", "-f", "1", "-l", "1", "-x", str(left),
                    "-y", str(top), "-W", str(width), "-H", str(height), pdf, str(target.with_suffix(""))],
                   check=True, timeout=120)
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
        # A wide table printed on one page: finer, to stay readable.
        render(only_sheet(summary_workbook(result), "Summary"), docs / "summary.png", soffice, pdftoppm, work, "180")
    return 0


if __name__ == "__main__":
    sys.exit(main())

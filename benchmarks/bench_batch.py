"""1,000 generated clients through `xhsxl batch`, against peers writing the same content and the deflate floor.

    python benchmarks/bench_batch.py [--clients 1000] [--repeats 3] [--jobs-only]

Each figure is the wall time of a whole process (start-up included, as a user waits for it), median over
``--repeats`` runs in this one invocation, alternating the commands so machine drift hits all alike.

The peers write, for every client, a faithful approximation of a client's live workbook from scratch. Its
content is read once from the workbook xhsxl builds (``build_workbook``) into a JSON description:

- every sheet in order, with its column widths;
- every non-empty cell: text, number, boolean, formula or array formula (with its range), with its number
  format, bold font, fill colour and whether it is locked (10 sheets, about 4,300 cells with content or a
  style, 750 of them with content);
- every data validation (type, operator, bounds, list, ranges), every comment, every defined name;
- every chart (bar or pie, its series' value and category ranges, its title and anchor cell).

Each client's row then replaces the value of each schema input cell (found through its defined name), as
the batch does. Merged cells, conditional formats, protection settings, chart styling and the
``xlwings.conf`` details are not reproduced; the peers therefore do somewhat less than the batch. They are:

- XlsxWriter (``constant_memory`` off, one ``Workbook`` per client);
- openpyxl building each workbook from scratch and saving it with ``Workbook.save``;
- the deflate floor: one process that only deflates (zlib level 6, as every writer here) every part of an
  xhsxl client workbook and writes the bytes, once per client — what any from-scratch writer pays at least;
  and the same deflating only the parts that differ between clients (the floor of the batch's design).

Then ``xhsxl batch --jobs 1`` and ``--jobs 2`` (live workbooks) and ``--static --jobs 2``. XlsxWriter is a
benchmark-only dependency (``pip install xlsxwriter``); without it that row is left out.

``--jobs-only`` runs just ``xhsxl batch --jobs 1`` and ``--jobs 2``, alternating, for the ratio of the two:
the peers take minutes a round. The load average is printed before and after, since other work on the
machine takes cores from the second job first.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

STAGES = ("cold_start", "growth", "maturity")

#: Reads the clients (the numeric columns as numbers) and, per client, the cell -> value edits of its inputs.
_CLIENTS = """
import csv, json, sys
from pathlib import Path
spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
source, out = Path(sys.argv[2]), Path(sys.argv[3])
out.mkdir()
def clients():
    with open(source, encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            edits = {}
            for key, text in row.items():
                if key in spec["inputs"]:
                    sheet, cell = spec["inputs"][key]
                    edits[sheet, cell] = text if key in ("client_name", "brand_stage") else float(text)
            yield i, edits
"""

XLSXWRITER = _CLIENTS + """
import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol
for i, edits in clients():
    wb = xlsxwriter.Workbook(str(out / f"client-{i}.xlsx"))
    formats = {}
    def fmt(style):
        key = tuple(style)
        if key not in formats:
            number, bold, fill, locked = style
            props = {"locked": locked}
            if number != "General": props["num_format"] = number
            if bold: props["bold"] = True
            if fill: props["bg_color"] = "#" + fill[-6:]
            formats[key] = wb.add_format(props)
        return formats[key]
    for sheet in spec["sheets"]:
        ws = wb.add_worksheet(sheet["title"])
        for column, width in sheet["widths"]:
            ws.set_column(column, column, width)
        for coordinate, kind, value, style, extra in sheet["cells"]:
            value = edits.get((sheet["title"], coordinate), value)
            row, col = xl_cell_to_rowcol(coordinate)
            f = fmt(style)
            if kind == "array":
                ws.write_array_formula(extra, value, f)
            elif kind == "f":
                ws.write_formula(row, col, value, f)
            elif kind == "s":
                ws.write_string(row, col, value, f)
            elif kind == "b":
                ws.write_boolean(row, col, value, f)
            elif kind == "n":
                ws.write_number(row, col, value, f)
            else:
                ws.write_blank(row, col, None, f)
        for v in sheet["validations"]:
            options = {"validate": {"whole": "integer", "textLength": "length"}.get(v["type"], v["type"]),
                       "ignore_blank": v["allow_blank"]}
            if v["type"] == "list":
                options["source"] = v["formula1"]
            else:
                options["criteria"] = {"lessThanOrEqual": "<=", "greaterThanOrEqual": ">=", "between": "between",
                                       "lessThan": "<", "greaterThan": ">", "equal": "=="}[v["operator"] or "between"]
                if options["criteria"] == "between":
                    options["minimum"], options["maximum"] = v["formula1"], v["formula2"]
                else:
                    options["value"] = v["formula1"]
            for ref in v["ranges"]:
                ws.data_validation(ref, options)
        for coordinate, text in sheet["comments"]:
            ws.write_comment(coordinate, text)
        for chart in sheet["charts"]:
            c = wb.add_chart({"type": chart["type"]})
            for values, categories in chart["series"]:
                series = {"values": "=" + values}
                if categories:
                    series["categories"] = "=" + categories
                c.add_series(series)
            if chart["title"]:
                c.set_title({"name": chart["title"]})
            ws.insert_chart(chart["anchor"], c)
    for name, target in spec["names"]:
        wb.define_name(name, "=" + target)
    wb.close()
"""

OPENPYXL = _CLIENTS + """
from openpyxl import Workbook
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
def reference(wb, text):
    sheet, cells = text.rsplit("!", 1)
    return Reference(wb[sheet.strip("'")], range_string=f"{sheet}!{cells}")
for i, edits in clients():
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in spec["sheets"]:
        wb.create_sheet(sheet["title"])
    for sheet in spec["sheets"]:
        ws = wb[sheet["title"]]
        for column, width in sheet["widths"]:
            ws.column_dimensions[ws.cell(1, column + 1).column_letter].width = width
        for coordinate, kind, value, (number, bold, fill, locked), extra in sheet["cells"]:
            value = edits.get((sheet["title"], coordinate), value)
            cell = ws[coordinate]
            if kind == "array":
                cell.value = ArrayFormula(extra, value)
            elif kind == "s":
                cell.value = value
                cell.data_type = "s"
            elif kind != "blank":
                cell.value = value
            cell.number_format = number
            if bold:
                cell.font = Font(bold=True)
            if fill:
                cell.fill = PatternFill("solid", fgColor=fill)
            if not locked:
                cell.protection = Protection(locked=False)
        for v in sheet["validations"]:
            dv = DataValidation(type=v["type"], operator=v["operator"], formula1=v["formula1"],
                                formula2=v["formula2"], allow_blank=v["allow_blank"])
            for ref in v["ranges"]:
                dv.add(ref)
            ws.add_data_validation(dv)
        for coordinate, text in sheet["comments"]:
            ws[coordinate].comment = Comment(text, "xhsxl")
        for chart in sheet["charts"]:
            c = PieChart() if chart["type"] == "pie" else BarChart()
            for values, categories in chart["series"]:
                c.add_data(reference(wb, values))
                if categories:
                    c.set_categories(reference(wb, categories))
            if chart["title"]:
                c.title = chart["title"]
            ws.add_chart(c, chart["anchor"])
    for name, target in spec["names"]:
        wb.defined_names[name] = DefinedName(name, attr_text=target)
    wb.save(out / f"client-{i}.xlsx")
"""

#: argv: parts.json (name -> [content as latin-1 text, varies?]), clients count, out folder, "all" | "varying".
DEFLATE_FLOOR = """
import json, sys, zlib
from pathlib import Path
parts = json.loads(Path(sys.argv[1]).read_text(encoding="latin-1"))
clients, out, which = int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
out.mkdir()
contents = [content.encode("latin-1") for content, varies in parts.values() if which == "all" or varies]
for i in range(clients):
    chunks = []
    for content in contents:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        chunks.append(compressor.compress(content) + compressor.flush())
    (out / f"client-{i}.bin").write_bytes(b"".join(chunks))
"""


def describe_workbook() -> tuple[dict[str, object], dict[str, list[object]]]:
    """The content the peers write (see the module docstring) and each part of an xhsxl client workbook."""
    from openpyxl.worksheet.formula import ArrayFormula

    from xhsxl.schema import FIELDS
    from xhsxl.workbook.template import WorkbookFactory, build_workbook, example_campaign

    campaign = example_campaign()
    workbook = build_workbook(campaign)
    sheets = []
    for ws in workbook.worksheets:
        cells = []
        for cell in ws._cells.values():
            if cell.value is None and not cell.has_style:
                continue
            style = [cell.number_format, bool(cell.font.b),
                     cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" and isinstance(cell.fill.fgColor.rgb, str)
                     else None, bool(cell.protection.locked)]
            value = cell.value
            if isinstance(value, ArrayFormula):
                cells.append([cell.coordinate, "array", value.text, style, value.ref])
            elif value is None:
                cells.append([cell.coordinate, "blank", None, style, None])
            elif cell.data_type == "f":
                cells.append([cell.coordinate, "f", value, style, None])
            elif isinstance(value, bool):
                cells.append([cell.coordinate, "b", value, style, None])
            elif isinstance(value, (int, float)):
                cells.append([cell.coordinate, "n", value, style, None])
            else:
                cells.append([cell.coordinate, "s", str(value), style, None])
        charts = []
        for chart in ws._charts:
            series = [[s.val.numRef.f, s.cat.numRef.f if s.cat and s.cat.numRef else
                       (s.cat.strRef.f if s.cat and s.cat.strRef else None)] for s in chart.series if s.val]
            anchor = chart.anchor if isinstance(chart.anchor, str) else \
                f"{ws.cell(1, chart.anchor._from.col + 1).column_letter}{chart.anchor._from.row + 1}"
            charts.append({"type": "pie" if type(chart).__name__ == "PieChart" else "bar", "series": series,
                           "title": "chart" if chart.title is not None else None, "anchor": anchor})
        sheets.append({
            "title": ws.title,
            "widths": [[index, dimension.width] for index, dimension in
                       ((ws[f"{letter}1"].column - 1, dimension) for letter, dimension in ws.column_dimensions.items())
                       if dimension.width],
            "cells": cells,
            "validations": [{"type": v.type, "operator": v.operator, "formula1": v.formula1, "formula2": v.formula2,
                             "allow_blank": bool(v.allow_blank), "ranges": [str(r) for r in v.sqref.ranges]}
                            for v in ws.data_validations.dataValidation],
            "comments": [[cell.coordinate, cell.comment.text] for cell in ws._cells.values() if cell.comment],
            "charts": charts,
        })
    inputs = {}
    for field in FIELDS:
        target = workbook.defined_names[field.key].attr_text
        sheet, cell = target.rsplit("!", 1)
        inputs[field.key] = [sheet.strip("'"), cell.replace("$", "")]
    names = [[name, defined.attr_text] for name, defined in workbook.defined_names.items()]
    factory = WorkbookFactory()
    data = factory.workbook_bytes(campaign)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: [archive.read(name).decode("latin-1"), name in factory._sheets or name == "docProps/core.xml"]
                 for name in archive.namelist()}
    return {"sheets": sheets, "inputs": inputs, "names": names}, parts


def generate(path: Path, clients: int, seed: int = 7) -> None:
    """Realistic campaigns: costs ¥50k-¥2M split across lines, funnel rates in the articles' ranges."""
    rng = np.random.default_rng(seed)
    header = ["client_name", "brand_stage", "creator_fees", "content_production", "paid_ads", "tech_analytics",
              "impressions", "clicks", "conversions", "direct_revenue", "cross_platform_revenue",
              "cross_platform_baseline", "likes", "saves", "comments", "gross_margin", "new_customers"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(clients):
            budget = rng.uniform(5e4, 2e6)
            shares = rng.dirichlet([5, 2.5, 2, 0.5])
            # around case study 1 (CPM ¥72.6, CTR 1.37 %, CVR 4.9 %, AOV ¥400): ROAS from about 0.2 to 14
            impressions = budget / rng.uniform(50, 150) * 1000
            clicks = impressions * rng.uniform(0.008, 0.02)
            conversions = clicks * rng.uniform(0.02, 0.06)
            revenue = conversions * rng.uniform(150, 600)
            cross = revenue * rng.uniform(0, 1.5)
            writer.writerow([f"Brand {i:04d}", STAGES[i % 3], *np.round(budget * shares), round(impressions),
                             round(clicks), round(conversions), round(revenue), round(cross), round(cross * 0.2),
                             round(impressions * 0.01), round(impressions * 0.002), round(impressions * 0.0005),
                             round(rng.uniform(0.4, 0.75), 2), round(conversions * 0.6)])


#: Runs ``xhsxl`` with the rest of the command line and reports, last on stderr, the CPU time (user + system)
#: of that process alone — the batch's parent, without its workers: its share is what two jobs cannot split.
PARENT_CPU = """
import resource, runpy, sys
sys.argv = ["xhsxl", *sys.argv[1:]]
try:
    runpy.run_module("xhsxl.cli", run_name="__main__", alter_sys=True)
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write(f"\\nparent cpu {usage.ru_utime + usage.ru_stime:.4f}\\n")
"""


def timed(command: list[str]) -> tuple[float, float | None]:
    """Wall time of ``command`` and, when it reports one, its parent process's CPU time."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    reported = done.stderr.rstrip().rsplit("\n", 1)[-1]
    return elapsed, float(reported.split()[-1]) if reported.startswith("parent cpu ") else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs-only", action="store_true", help="only xhsxl batch --jobs 1 and --jobs 2")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "clients.csv"
        generate(source, args.clients)
        spec, parts = describe_workbook()
        spec_path, parts_path = work / "spec.json", work / "parts.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        parts_path.write_text(json.dumps(parts), encoding="latin-1")
        cells = sum(len(sheet["cells"]) for sheet in spec["sheets"])
        print(f"content: {len(spec['sheets'])} sheets, {cells:,} cells, "
              f"{sum(len(s['validations']) for s in spec['sheets'])} validations, "
              f"{sum(len(s['comments']) for s in spec['sheets'])} comments, {len(spec['names'])} names, "
              f"{sum(len(s['charts']) for s in spec['sheets'])} charts; "
              f"{sum(len(c) for c, _ in parts.values()):,} bytes of XML in {len(parts)} parts")
        batch = [python, "-c", PARENT_CPU, "batch", str(source), "--out"]
        commands = {
            "deflate floor, every part": lambda out: [python, "-c", DEFLATE_FLOOR, str(parts_path),
                                                      str(args.clients), str(out), "all"],
            "deflate floor, client parts only": lambda out: [python, "-c", DEFLATE_FLOOR, str(parts_path),
                                                             str(args.clients), str(out), "varying"],
            "openpyxl from scratch": lambda out: [python, "-c", OPENPYXL, str(spec_path), str(source), str(out)],
            "xhsxl batch --jobs 1": lambda out: [*batch, str(out), "--jobs", "1"],
            "xhsxl batch --jobs 2": lambda out: [*batch, str(out), "--jobs", "2"],
            "xhsxl batch --static --jobs 2": lambda out: [*batch, str(out), "--jobs", "2", "--static"],
        }
        if args.jobs_only:
            commands = {name: command for name, command in commands.items() if name.startswith("xhsxl batch --jobs")}
        elif importlib.util.find_spec("xlsxwriter") is not None:
            commands["XlsxWriter from scratch"] = lambda out: [python, "-c", XLSXWRITER, str(spec_path), str(source),
                                                               str(out)]
        times: dict[str, list[float]] = {name: [] for name in commands}
        parent: dict[str, list[float]] = {name: [] for name in commands}
        for repeat in range(args.repeats):
            for index, (name, command) in enumerate(commands.items()):
                out = work / f"out-{repeat}-{index}"
                wall, cpu = timed(command(out))
                times[name].append(wall)
                if cpu is not None:
                    parent[name].append(cpu)
                shutil.rmtree(out)
    medians = {name: statistics.median(values) for name, values in times.items()}
    live = medians["xhsxl batch --jobs 2"]
    print(f"{args.clients:,} clients, median of {args.repeats} runs each (whole-process wall time)")
    print(f"{'':<34}{'median':>9}{'min':>9}{'max':>9}{'workbooks/s':>13}{'× batch -j2':>13}{'parent CPU':>12}")
    for name, values in sorted(times.items(), key=lambda item: medians[item[0]]):
        median = medians[name]
        cpu = f"{statistics.median(parent[name]):>11.2f}s" if parent[name] else ""
        print(f"{name:<34}{median:>8.1f}s{min(values):>8.1f}s{max(values):>8.1f}s"
              f"{args.clients / median:>13.0f}{median / live:>12.2f}×{cpu}")
    ratios = [one / two for one, two in zip(times["xhsxl batch --jobs 1"], times["xhsxl batch --jobs 2"])]
    print(f"two jobs / one job: {medians['xhsxl batch --jobs 1'] / live:.2f}× faster (ratio of medians); "
          f"round by round {' '.join(f'{r:.2f}×' for r in ratios)}")
    if "xhsxl batch --static --jobs 2" in medians:
        print(f"static / live (2 jobs): {medians['xhsxl batch --static --jobs 2'] / live:.2f}×")
    print(f"load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()

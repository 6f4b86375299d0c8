"""Recalculating client workbooks headlessly, whole-process, against LibreOffice doing the same.

    python benchmarks/bench_recalc.py [--workbooks 20] [--repeats 5] [--baseline REF]

An analyst who runs ``xhsxl recalc`` waits for the whole process: interpreter, imports, compiling the
workbook into a calculation graph, evaluating it. Figures, medians of ``--repeats`` interleaved runs:

- ``xhsxl recalc template.xlsx``: one workbook, cold (target <= 1.5 s);
- ``xhsxl recalc`` of ``--workbooks`` client workbooks of one layout in one process, as the total and as
  the time each workbook after the first adds (target <= 0.1 s a workbook);
- LibreOffice (``soffice --headless --convert-to xlsx``) recalculating the static copies of the same
  clients — the values a client without the add-in receives, which LibreOffice can evaluate since they
  call no XHS_ function — one file, and all of them in one process (what "at least as fast as
  LibreOffice in one process" compares with). Skipped when ``soffice`` is not installed, or with
  ``--no-office``;
- the floors under one recalc: the interpreter alone, and importing only what a recalc of the template
  imports before it compiles (the CLI, numpy, openpyxl, ``formulas`` and its function modules, the UDF
  module, scipy.optimize for the optimiser cells). What a recalc takes above the second is compiling and
  evaluating the workbook.

``--baseline REF`` runs the same xhsxl tasks on the source of a git revision too (exported to a temporary
folder, first on ``PYTHONPATH``), in the same rounds, for before/after figures; the revision must have the
multi-workbook form of ``xhsxl recalc``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xhsxl.schema import ClientCampaign  # noqa: E402
from xhsxl.workbook.template import build_workbook  # noqa: E402

CLI = "import sys; from xhsxl.cli import app; sys.argv[0] = 'xhsxl'; sys.exit(app())"
#: Everything a recalc of the template imports, and nothing else: the floor under ``xhsxl recalc``.
IMPORTS = ("import xhsxl.cli; from xhsxl.workbook import recalc; recalc.register_xhs_functions(); "
           "import scipy.optimize")


def campaigns(count: int) -> list[ClientCampaign]:
    """``count`` clients of different sizes, stages and returns (deterministic)."""
    stages = ("cold_start", "growth", "maturity")
    return [
        ClientCampaign(
            client_name=f"Client {index + 1}",
            brand_stage=stages[index % 3],
            creator_fees=150_000 + 25_000 * index,
            content_production=60_000 + 7_500 * (index % 5),
            paid_ads=40_000 + 10_000 * (index % 7),
            tech_analytics=20_000 + 2_000 * (index % 3),
            direct_revenue=500_000 + 90_000 * index,
        )
        for index in range(count)
    ]


def _export(revision: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="xhsxl-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision, "xhsxl"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the process and the children it waited for) of one run."""
    cpu, start = _child_cpu(), time.perf_counter()
    # From a neutral folder: ``python -c`` puts the working directory first on sys.path, and a checkout's
    # own xhsxl/ there would shadow the source PYTHONPATH names.
    done = subprocess.run(argv, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 2):  # 2: cells ending in an error, still a finished recalculation
        raise RuntimeError(f"{argv[:4]} failed: {done.stderr.decode(errors='replace')[-400:]}")
    return elapsed, _child_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workbooks", type=int, default=20, help="client workbooks of one layout (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds; the median is reported (default 5)")
    parser.add_argument("--baseline", help="also time the single recalc on this git revision (e.g. main)")
    parser.add_argument("--no-office", action="store_true", help="skip LibreOffice")
    arguments = parser.parse_args()
    count = arguments.workbooks

    folder = Path(tempfile.mkdtemp(prefix="xhsxl-bench-recalc-"))
    template = folder / "template.xlsx"
    build_workbook().save(template)
    live, static = folder / "live", folder / "static"
    live.mkdir()
    static.mkdir()
    for index, campaign in enumerate(campaigns(count)):
        build_workbook(campaign).save(live / f"client_{index:03d}.xlsx")
        build_workbook(campaign, static=True).save(static / f"client_{index:03d}.xlsx")
    live_files = sorted(map(str, live.glob("*.xlsx")))
    static_files = sorted(map(str, static.glob("*.xlsx")))

    python = sys.executable
    here = {**os.environ, "PYTHONPATH": str(ROOT)}
    tasks: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "xhsxl recalc template (1 workbook)": ([python, "-c", CLI, "recalc", str(template)], here),
        f"xhsxl recalc {count} workbooks": ([python, "-c", CLI, "recalc", *live_files], here),
        "xhsxl recalc 1 client workbook": ([python, "-c", CLI, "recalc", live_files[0]], here),
        "floor: python -c pass": ([python, "-c", "pass"], here),
        "floor: the imports of a recalc": ([python, "-c", IMPORTS], here),
    }
    if arguments.baseline:
        before = {**os.environ, "PYTHONPATH": str(_export(arguments.baseline))}
        tasks[f"baseline {arguments.baseline}: xhsxl recalc template"] = (
            [python, "-c", CLI, "recalc", str(template)], before)
        tasks[f"baseline {arguments.baseline}: {count} workbooks"] = (
            [python, "-c", CLI, "recalc", *live_files], before)
        tasks[f"baseline {arguments.baseline}: 1 client workbook"] = (
            [python, "-c", CLI, "recalc", live_files[0]], before)
    soffice = None if arguments.no_office else shutil.which("soffice")
    if soffice:
        profile = folder / "lo-profile"  # a private profile: no clash with another LibreOffice running
        out = folder / "lo-out"

        def office(files: list[str]) -> list[str]:
            return [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--calc",
                    "--convert-to", "xlsx", "--outdir", str(out), *files]

        subprocess.run(office(static_files[:1]), capture_output=True, timeout=300)  # first start makes the profile
        tasks["LibreOffice 1 static workbook"] = (office(static_files[:1]), None)
        tasks[f"LibreOffice {count} static workbooks"] = (office(static_files), None)

    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in tasks}
    for _ in range(arguments.repeats):
        for name, (argv, env) in tasks.items():
            samples[name].append(_timed(argv, env))
    median = {name: statistics.median(wall for wall, _ in values) for name, values in samples.items()}
    cpu = {name: statistics.median(used for _, used in values) for name, values in samples.items()}

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load "
          f"{os.getloadavg()[0]:.1f}; median of {arguments.repeats} interleaved whole-process runs (wall, and CPU "
          f"time, which background load disturbs less); template {template.stat().st_size:,} bytes")
    for name, value in median.items():
        print(f"  {name:<48} {value:7.3f} s wall  {cpu[name]:7.3f} s CPU")
    ours_each = (median[f"xhsxl recalc {count} workbooks"] - median["xhsxl recalc 1 client workbook"]) / (count - 1)
    single = median["xhsxl recalc template (1 workbook)"]
    cpu_each = (cpu[f"xhsxl recalc {count} workbooks"] - cpu["xhsxl recalc 1 client workbook"]) / (count - 1)
    print(f"\nxhsxl recalc, one workbook: {single:.3f} s (target <= 1.5 s: {'met' if single <= 1.5 else 'MISSED'}); "
          f"CPU {cpu['xhsxl recalc template (1 workbook)']:.3f} s")
    imports = median["floor: the imports of a recalc"]
    print(f"  of which the imports it needs: {imports:.3f} s (CPU {cpu['floor: the imports of a recalc']:.3f} s); "
          f"compiling, evaluating and reporting: {single - imports:.3f} s")
    print(f"xhsxl recalc, each further workbook of one layout: {ours_each:.3f} s "
          f"(target <= 0.1 s: {'met' if ours_each <= 0.1 else 'MISSED'}); CPU {cpu_each:.3f} s")
    if arguments.baseline:
        many, one = f"baseline {arguments.baseline}: {count} workbooks", f"baseline {arguments.baseline}: 1 client workbook"
        print(f"baseline {arguments.baseline}: one workbook "
              f"{median[f'baseline {arguments.baseline}: xhsxl recalc template']:.3f} s; each further workbook "
              f"{(median[many] - median[one]) / (count - 1):.3f} s (CPU {(cpu[many] - cpu[one]) / (count - 1):.3f} s)")
    if soffice:
        lo_total = median[f"LibreOffice {count} static workbooks"]
        lo_each = (lo_total - median["LibreOffice 1 static workbook"]) / (count - 1)
        lo_cpu_each = (cpu[f"LibreOffice {count} static workbooks"] - cpu["LibreOffice 1 static workbook"]) / (count - 1)
        print(f"LibreOffice in one process, each further workbook: {lo_each:.3f} s (CPU {lo_cpu_each:.3f} s); "
              f"{count} workbooks "
              f"{lo_total:.2f} s ({lo_total / count:.3f} s each) against xhsxl "
              f"{median[f'xhsxl recalc {count} workbooks']:.2f} s "
              f"({median[f'xhsxl recalc {count} workbooks'] / count:.3f} s each)")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

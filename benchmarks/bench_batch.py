"""1,000 generated clients through `xhsxl batch`, against plain openpyxl building the same workbooks.

    python benchmarks/bench_batch.py [--clients 1000] [--repeats 3]

Each figure is the wall time of a whole process (start-up included, as a user waits for it), median over
``--repeats`` runs in this one invocation, alternating the commands so machine drift hits all alike:

- baseline: one process building every client's workbook with the same builder and saving it with
  openpyxl's ``Workbook.save`` — no validation (``model_construct``), no atomic write, no summary;
- ``xhsxl batch --jobs 1`` and ``--jobs 2`` (live workbooks), and ``--static --jobs 2``.

Targets on a 2-core machine: 1,000 live workbooks in ≤ 20 s with two jobs; batch overhead ≤ 1.3× the
baseline; static ≤ 2× live.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STAGES = ("cold_start", "growth", "maturity")

BASELINE = """
import csv, sys
from pathlib import Path
from xhsxl.schema import FIELDS_BY_KEY, ClientCampaign
from xhsxl.workbook.template import build_workbook
source, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir()
defaults = {k: f.default for k, f in FIELDS_BY_KEY.items()}
with open(source, encoding="utf-8") as handle:
    for i, row in enumerate(csv.DictReader(handle)):
        data = dict(defaults)
        data.update({k: (v if k in ("client_name", "brand_stage") else float(v)) for k, v in row.items()})
        build_workbook(ClientCampaign.model_construct(**data)).save(out / f"client-{i}.xlsx")
"""


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


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "clients.csv"
        generate(source, args.clients)
        commands = {
            "baseline (openpyxl, 1 process)": lambda out: [python, "-c", BASELINE, str(source), str(out)],
            "xhsxl batch --jobs 1": lambda out: [python, "-m", "xhsxl.cli", "batch", str(source), "--out", str(out),
                                                 "--jobs", "1"],
            "xhsxl batch --jobs 2": lambda out: [python, "-m", "xhsxl.cli", "batch", str(source), "--out", str(out),
                                                 "--jobs", "2"],
            "xhsxl batch --static --jobs 2": lambda out: [python, "-m", "xhsxl.cli", "batch", str(source), "--out",
                                                          str(out), "--jobs", "2", "--static"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for repeat in range(args.repeats):
            for name, command in commands.items():
                out = work / f"out-{repeat}-{len(times[name])}-{abs(hash(name))}"
                times[name].append(timed(command(out)))
                shutil.rmtree(out)
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["baseline (openpyxl, 1 process)"]
    print(f"{args.clients:,} clients, median of {args.repeats} runs each (whole-process wall time)")
    print(f"{'':<34}{'median':>9}{'min':>9}{'max':>9}{'workbooks/s':>13}{'× baseline':>12}")
    for name, values in times.items():
        median = medians[name]
        print(f"{name:<34}{median:>8.1f}s{min(values):>8.1f}s{max(values):>8.1f}s"
              f"{args.clients / median:>13.0f}{median / base:>11.2f}×")
    print(f"static / live (2 jobs): {medians['xhsxl batch --static --jobs 2'] / medians['xhsxl batch --jobs 2']:.2f}×")


if __name__ == "__main__":
    main()

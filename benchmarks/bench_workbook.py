"""Building, saving and recalculating one client workbook, against openpyxl re-saving the same workbook.

    python benchmarks/bench_workbook.py [--repeats 50]

Three figures, each a median over ``--repeats`` runs in this one process:

- baseline: openpyxl saving an already-built workbook object again, unchanged (pure serialisation);
- build + save: the schema-driven builder making a client's live workbook from its inputs, then writing
  it deterministically (``workbook_bytes``) — what ``xhsxl fill`` and every batch row do;
- static build + save: the same with values in place of XHS_ formulas (every XHS_ cell evaluated);
- batch path: what ``xhsxl batch`` does per client — the layout built once per process, the client bound
  into it and only the client-dependent sheets serialised again (same bytes as a fresh build);
- recalculation: the ``formulas`` engine evaluating a saved workbook, cold (compile + calculate, as
  ``xhsxl recalc`` does for one file) and warm (a compiled model recalculated with new inputs, as the tests
  and the batch do for many workbooks of one layout).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from xhsxl.schema import ClientCampaign
from xhsxl.workbook.recalc import Recalculator, recalculate
from xhsxl.workbook.template import WorkbookFactory, build_workbook, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent


def median_time(action: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--cold-repeats", type=int, default=10, help="cold recalculations (each compiles)")
    args = parser.parse_args()

    campaign = ClientCampaign.model_validate(
        json.loads((ROOT / "examples" / "case_studies.json").read_text(encoding="utf-8"))[1])
    built = build_workbook(campaign)

    def baseline() -> None:
        built.save(io.BytesIO())

    rows = [("baseline: openpyxl re-saving the built workbook", median_time(baseline, args.repeats))]
    rows.append(("build + save, live", median_time(lambda: workbook_bytes(build_workbook(campaign)), args.repeats)))
    rows.append(("build + save, static", median_time(
        lambda: workbook_bytes(build_workbook(campaign, static=True)), args.repeats)))
    for static in (False, True):
        factory = WorkbookFactory(static)
        rows.append((f"batch path (factory), {'static' if static else 'live'}",
                     median_time(lambda: factory.workbook_bytes(campaign), args.repeats)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "client.xlsx"
        path.write_bytes(workbook_bytes(built))
        rows.append(("recalculation, cold (compile + calculate)",
                     median_time(lambda: recalculate(path), args.cold_repeats)))
        model = Recalculator(path)
        rows.append(("recalculation, warm (compiled model)", median_time(model.calculate, args.repeats)))

    base = rows[0][1][0]
    print(f"{'':<46}{'median':>10}{'min':>10}{'max':>10}{'× baseline':>12}")
    for name, (median, low, high) in rows:
        print(f"{name:<46}{median * 1e3:>8.1f} ms{low * 1e3:>8.1f} ms{high * 1e3:>8.1f} ms{median / base:>11.1f}×")


if __name__ == "__main__":
    main()

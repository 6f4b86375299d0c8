"""Excel functions over a million rows: one vectorised call against a per-cell loop, in one process.

Excel can call ``=XHS_ROI(B2:B1000001, C2:C1000001)`` once, or ``=XHS_ROI(B2, C2)`` in a million cells.
This measures both on the same rows, with the arguments in exactly the shapes Excel passes (a column as a
list of one-item lists of floats), and prints the medians and their ratio. Target: the vectorised call at
least 50× faster than the loop.

Beating the per-cell UDF only shows that a call has overhead; two yardsticks outside the project say how
good the vectorised call is. For XHS_ROI:

- a plain Python loop over the same lists computing the same formula, ``[[(r - c) / c] for ...]``, without
  validation — what a hand-written macro does;
- the conversion floor: the lists to arrays with ``np.fromiter`` and back with ``tolist`` (the garbage
  collector paused), with the arithmetic in between — the least any numpy-based function can spend on
  Excel-shaped lists (target: the UDF within 1.2× of it).

The three are timed interleaved, each from a collected heap, twice: the call alone, and the call followed
by the young-generation collection its million result lists cause in the caller (xlwings allocates as it
hands the result to Excel, so that collection is paid there; the floor and the UDF both leave it to the
caller, the plain loop pays its collections as it goes).

    python benchmarks/bench_udfs.py [--rows 1000000] [--repeats 5] [--no-per-cell]

The per-cell loop is timed once over every row (it takes tens of seconds), in chunks, so the per-row median
is printed too; ``--no-per-cell`` leaves it out. The vectorised call is repeated and its median taken.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import statistics
import time
from typing import Any, Callable

import numpy as np

from xhsxl import udfs


def _column(values: np.ndarray) -> list[list[float]]:
    return [[float(v)] for v in values]


def _vectorised(call: Callable[[], Any], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def _loop(cell: Callable[..., Any], columns: list[list[list[float]]], chunks: int = 10) -> tuple[float, float]:
    """Total seconds for the whole loop, and the median seconds per row over the chunks."""
    rows = len(columns[0])
    size = max(rows // chunks, 1)
    per_row = []
    total = 0.0
    for first in range(0, rows, size):
        chunk = [column[first:first + size] for column in columns]
        start = time.perf_counter()
        for cells in zip(*chunk):
            cell(*(c[0] for c in cells))
        elapsed = time.perf_counter() - start
        total += elapsed
        per_row.append(elapsed / len(chunk[0]))
    return total, statistics.median(per_row)


def plain_loop_roi(revenue: list[list[float]], cost: list[list[float]]) -> list[list[float]]:
    """Net ROI over Excel-shaped columns in plain Python, no validation."""
    return [[(r - c) / c] for (r,), (c,) in zip(revenue, cost)]


def conversion_floor_roi(revenue: list[list[float]], cost: list[list[float]]) -> list[list[float]]:
    """Net ROI through numpy with nothing but the conversions: fromiter in, arithmetic, tolist out.

    The garbage collector is paused while the million result lists are made (a floor: the least any
    function can spend), and not asked to collect afterwards.
    """
    rows = len(revenue)
    r = np.fromiter(itertools.chain.from_iterable(revenue), dtype=float, count=rows)
    c = np.fromiter(itertools.chain.from_iterable(cost), dtype=float, count=rows)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return ((r - c) / c).reshape(-1, 1).tolist()
    finally:
        if was_enabled:
            gc.enable()


def _timed(task: Callable[[], Any], collect_after: bool) -> tuple[float, float]:
    """Wall and CPU seconds for one call from a collected heap; with ``collect_after``, also the young
    collection that the result causes while the caller still holds it. CPU time is less disturbed than wall
    time when other processes share the machine."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = task()
    if collect_after:
        gc.collect(0)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    del result
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-per-cell", action="store_true", help="leave out the per-cell loop (tens of seconds)")
    args = parser.parse_args()

    rng = np.random.default_rng(2024)
    revenue = _column(rng.uniform(0, 5e6, args.rows))
    cost = _column(rng.uniform(1e3, 1e6, args.rows))
    margin = _column(rng.uniform(10, 500, args.rows))
    retention = _column(rng.uniform(0.1, 0.95, args.rows))

    print(f"{args.rows:,} rows, Python {platform.python_version()}, numpy {np.__version__}, "
          f"{args.repeats} vectorised repeats")
    if not args.no_per_cell:
        cases = [
            ("XHS_ROI(revenue, cost)",
             lambda: udfs.XHS_ROI(revenue, cost), udfs.XHS_ROI, [revenue, cost]),
            ("XHS_CLV_RETENTION(margin, retention, 1%, 12)",
             lambda: udfs.XHS_CLV_RETENTION(margin, retention, 0.01, 12.0),
             lambda m, r: udfs.XHS_CLV_RETENTION(m, r, 0.01, 12.0), [margin, retention]),
        ]
        print(f"{'function':<48}{'vectorised median':>20}{'per-cell loop':>16}{'loop / vectorised':>20}")
        for name, vectorised, cell, columns in cases:
            check = vectorised()
            assert len(check) == args.rows and isinstance(check[0][0], float)
            times = _vectorised(vectorised, args.repeats)
            loop_total, loop_per_row = _loop(cell, columns)
            median = statistics.median(times)
            print(f"{name:<48}{median:>18.3f} s{loop_total:>14.1f} s{loop_total / median:>19.0f}×"
                  f"   (vectorised min {min(times):.3f} s, max {max(times):.3f} s; "
                  f"loop median {loop_per_row * 1e6:.1f} µs per row)")

    # Yardsticks outside the project, interleaved with the UDF so that background load hits all three alike.
    tasks = {
        "XHS_ROI (vectorised UDF)": lambda: udfs.XHS_ROI(revenue, cost),
        "plain Python loop": lambda: plain_loop_roi(revenue, cost),
        "conversion floor (fromiter + tolist)": lambda: conversion_floor_roi(revenue, cost),
    }
    expected = plain_loop_roi(revenue, cost)
    for name, task in tasks.items():
        assert np.allclose(np.asarray(task(), dtype=float), np.asarray(expected)), name
    del expected
    samples: dict[tuple[str, bool], list[tuple[float, float]]] = {
        (name, after): [] for name in tasks for after in (False, True)}
    for _ in range(args.repeats):
        for name, task in tasks.items():
            for after in (False, True):
                samples[name, after].append(_timed(task, after))
    udf, floor = "XHS_ROI (vectorised UDF)", "conversion floor (fromiter + tolist)"
    for clock, which in (("wall", 0), ("CPU", 1)):
        medians = {key: statistics.median(t[which] for t in values) for key, values in samples.items()}
        print(f"\nXHS_ROI on {args.rows:,} rows against yardsticks outside the project, {clock} time "
              f"(median of {args.repeats}, interleaved; load average {os.getloadavg()[0]:.1f})")
        print(f"  {'':<40}{'call':>9}{'UDF / this':>12}{'+ collection':>15}{'UDF / this':>12}")
        for name in tasks:
            alone, collected = medians[name, False], medians[name, True]
            print(f"  {name:<40}{alone:>7.3f} s{medians[udf, False] / alone:>11.2f}×{collected:>13.3f} s"
                  f"{medians[udf, True] / collected:>11.2f}×")
        for after, label in ((False, "call"), (True, "call + collection")):
            ratio = medians[udf, after] / medians[floor, after]
            print(f"  UDF within 1.2× of the conversion floor ({label}): {'met' if ratio <= 1.2 else 'MISSED'} "
                  f"({ratio:.2f}×)")


if __name__ == "__main__":
    main()

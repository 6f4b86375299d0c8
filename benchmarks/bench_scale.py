"""Benchmark attribution of touch logs from Parquet, from 1M to 100M+ rows, against DuckDB + ChannelAttribution.

    python benchmarks/bench_scale.py [--rows 1M,10M] [--data /tmp/xhsxl-bench] [--memory 4GB]
                                     [--contenders memory,partitioned,peer] [--memory-engine-max 30M]

The logs are generated with a fixed seed by ``bench_attribution.generate`` (the same six channels, journey
lengths, conversion rate and 12-digit user ids), a million journeys at a time, each chunk written as one
Parquet file in time order, as a tracking export is. Every contender runs in a child process, one after
the other, on the same files, ending with order-1 Markov attribution:

- ``memory``: the columns read into numpy by pyarrow, then ``journeys_from_touchpoints`` and ``markov``
  (the in-memory engine; skipped above ``--memory-engine-max`` rows, where it would not fit);
- ``partitioned``: ``xhsxl.scale.spill`` with the ``--memory`` budget (it picks K; K = 1 spills nothing),
  then ``attribute_summary``;
- ``spark``: ``xhsxl.scale.spark`` on a ``local[2]`` session (the JVM start is part of its time);
- ``peer``: DuckDB SQL building the same journeys (same lookback, split at conversions, ties in file order)
  and path table, then ChannelAttribution's ``markov_model`` (order 1, default settings) — a peer that
  also aggregates, so the ratio compares touch rows → result with touch rows → result.

Wall time is the child's whole run (imports, reading, result), CPU time its user + system time (steadier
than wall time on a shared machine; DuckDB's threads add up); peak RSS is the child's ``ru_maxrss``
(``os.wait4``), which includes pyarrow's, DuckDB's and the C++ allocations. DuckDB runs with 2 threads
and ``memory_limit`` equal to the budget, spilling to the data folder. The exponent of time in rows is the
least-squares slope of log(time) on log(rows) over the sizes run. Peers are not dependencies of xhsxl:
``pip install duckdb ChannelAttribution matplotlib pandas`` to run them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_attribution import CHANNELS, SEED, generate, touchpoint_rows  # noqa: E402

LOOKBACK_DAYS = 30
JOURNEYS_PER_FILE = 1_000_000
MEAN_TOUCHES = 2.66  # touches per journey of bench_attribution's generator (geometric(0.33) capped at 8)


def parse_count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9}.get(text[-1:], 1)
    return int(float(text.rstrip("KMGB")) * scale)


# -- data ----------------------------------------------------------------------------------------------
def prepare(rows: int, data: Path) -> Path:
    """The folder of Parquet files holding about ``rows`` touch rows (made once, reused)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = data / f"rows-{rows}"
    done = folder / "_READY"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    n_journeys = math.ceil(rows / MEAN_TOUCHES)
    written, index = 0, 0
    while written < n_journeys:
        chunk = min(JOURNEYS_PER_FILE, n_journeys - written)
        touches = touchpoint_rows(generate(chunk, seed=SEED + index))
        table = pa.table({
            "user_id": touches["users"],
            "time": touches["timestamps"],
            "channel": pa.array(touches["channels"], pa.string()),
            "converted": touches["converted"],
            "value": np.where(touches["converted"], touches["values"], np.nan),
        })
        pq.write_table(table, folder / f"part-{index:05d}.parquet", row_group_size=1 << 20)
        written += chunk
        index += 1
        print(f"  generated {written:,} of {n_journeys:,} journeys", file=sys.stderr, flush=True)
    done.write_text(json.dumps({"seed": SEED, "journeys": n_journeys}))
    return folder


# -- contenders (run in a child) -----------------------------------------------------------------------
def run_memory(folder: Path, memory: str) -> dict[str, Any]:
    import pyarrow.dataset as ds

    from xhsxl.core.attribution import journeys_from_touchpoints, markov

    start = time.perf_counter()
    table = ds.dataset(folder, format="parquet").to_table()
    columns = {name: table.column(name).to_numpy() for name in ("user_id", "time", "converted", "value")}
    channels = table.column("channel").to_numpy()  # text, as a reader hands it over
    del table
    read = time.perf_counter() - start
    journeys = journeys_from_touchpoints(columns["user_id"], columns["time"], channels, columns["converted"],
                                         np.nan_to_num(columns["value"]), lookback_days=LOOKBACK_DAYS)
    built = time.perf_counter() - start - read
    result = markov(journeys, 1)
    return {"channels": list(result.channels), "conversions": result.conversions.tolist(),
            "paths": int(journeys.grouped().n_paths), "journeys": journeys.n_paths,
            "phases": {"read": read, "journeys": built, "markov": time.perf_counter() - start - read - built}}


def run_partitioned(folder: Path, memory: str) -> dict[str, Any]:
    from xhsxl.core.attribution.partition import attribute_summary
    from xhsxl.scale import parse_memory
    from xhsxl.scale.spill import open_touch_log, partitions_for, summarise_touch_log

    start = time.perf_counter()
    budget = parse_memory(memory)
    log = open_touch_log(folder)
    k = partitions_for(log.rows, budget)
    summary = summarise_touch_log(log, memory_bytes=budget, n_partitions=k, lookback_days=LOOKBACK_DAYS,
                                  spill_dir=folder.parent / "spill")
    built = time.perf_counter() - start
    result = attribute_summary(summary, "markov")
    return {"channels": list(result.channels), "conversions": result.conversions.tolist(),
            "paths": summary.paths.n_paths, "journeys": summary.journeys, "partitions": k,
            "phases": {"journeys": built, "markov": time.perf_counter() - start - built}}


def run_spark(folder: Path, memory: str) -> dict[str, Any]:
    from pyspark.sql import SparkSession

    from xhsxl.core.attribution.partition import attribute_summary
    from xhsxl.scale.spark import summarise_spark

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    start = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.driver.memory", memory.replace("GB", "g")).config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter() - start
    summary = summarise_spark(spark.read.parquet(str(folder)), lookback_days=LOOKBACK_DAYS)
    result = attribute_summary(summary, "markov")
    spark.stop()
    return {"channels": list(result.channels), "conversions": result.conversions.tolist(),
            "paths": summary.paths.n_paths, "journeys": summary.journeys,
            "phases": {"session": started, "rest": time.perf_counter() - start - started}}


PEER_SQL = """
WITH r AS (
    SELECT user_id, time, channel, converted, value, filename, file_row_number
    FROM read_parquet('{files}', filename = true, file_row_number = true)
), j AS (
    SELECT *, COALESCE(SUM(converted::INT) OVER (
        PARTITION BY user_id ORDER BY time, filename, file_row_number
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS journey
    FROM r
), e AS (
    SELECT *, MAX(time) OVER (PARTITION BY user_id, journey) AS end_time FROM j
), journeys AS (
    SELECT string_agg(channel, ' > ' ORDER BY time, filename, file_row_number) AS path,
           bool_or(converted) AS conv, SUM(CASE WHEN converted THEN value ELSE 0 END) AS value
    FROM e WHERE end_time - time <= INTERVAL {lookback} DAY
    GROUP BY user_id, journey
)
SELECT path, SUM(conv::INT) AS conversions, SUM(value) AS value, SUM(1 - conv::INT) AS nulls,
       COUNT(*) AS journeys
FROM journeys GROUP BY path
"""


def run_peer(folder: Path, memory: str) -> dict[str, Any]:
    import duckdb
    from ChannelAttribution import markov_model

    start = time.perf_counter()
    connection = duckdb.connect()
    spill = folder.parent / "duckdb-spill"
    spill.mkdir(exist_ok=True)
    connection.execute(f"SET threads = 2; SET memory_limit = '{memory}'; SET temp_directory = '{spill}'; "
                       "SET preserve_insertion_order = false")
    frame = connection.execute(PEER_SQL.format(files=folder / "*.parquet", lookback=LOOKBACK_DAYS)).df()
    built = time.perf_counter() - start
    result = markov_model(frame, "path", "conversions", var_value="value", var_null="nulls", order=1,
                          verbose=False, flg_pro=False)
    result = result["result"] if isinstance(result, dict) else result
    by_name = result.set_index("channel_name")
    return {"channels": list(CHANNELS), "conversions": by_name.loc[list(CHANNELS), "total_conversions"].tolist(),
            "paths": len(frame), "journeys": int(frame["journeys"].sum()),
            "phases": {"duckdb": built, "channel_attribution": time.perf_counter() - start - built}}


CONTENDERS = {"memory": run_memory, "partitioned": run_partitioned, "spark": run_spark, "peer": run_peer}


# -- measurement ---------------------------------------------------------------------------------------
def measure(contender: str, folder: Path, memory: str) -> dict[str, Any]:
    """Run one contender in a child; its wall time, peak RSS and answer."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", contender, "--folder", str(folder),
                              "--memory", memory], stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        return {"contender": contender, "error": f"exit {child.returncode}", "wall": wall}
    answer = json.loads(output.strip().splitlines()[-1])
    answer.update(contender=contender, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                  peak_rss_gib=usage.ru_maxrss / 2**20)
    return answer


def shares(answer: dict[str, Any]) -> dict[str, float]:
    total = sum(answer["conversions"])
    return {name: value / total for name, value in zip(answer["channels"], answer["conversions"])}


def exponent(points: list[tuple[int, float]]) -> float | None:
    if len(points) < 2:
        return None
    x = np.log([p[0] for p in points])
    y = np.log([p[1] for p in points])
    return float(np.polyfit(x, y, 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1M,10M", help="comma-separated sizes, e.g. 1M,10M,100M")
    parser.add_argument("--data", default="/tmp/xhsxl-bench", help="folder for the generated Parquet logs")
    parser.add_argument("--memory", default="4GB", help="budget of the partitioned engine and of DuckDB")
    parser.add_argument("--contenders", default="memory,partitioned,peer")
    parser.add_argument("--memory-engine-max", default="30M", help="largest log given to the in-memory engine")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CONTENDERS[args.child](Path(args.folder), args.memory)))
        return

    sizes = [parse_count(text) for text in args.rows.split(",")]
    contenders = args.contenders.split(",")
    limit = parse_count(args.memory_engine_max)
    results: list[dict[str, Any]] = []
    for rows in sizes:
        folder = prepare(rows, Path(args.data))
        import pyarrow.dataset as ds

        actual = ds.dataset(folder, format="parquet").count_rows()
        for contender in contenders:
            if contender == "memory" and actual > limit:
                continue
            print(f"{actual:,} rows: {contender} …", file=sys.stderr, flush=True)
            answer = measure(contender, folder, args.memory)
            answer["rows"] = actual
            results.append(answer)
            print(json.dumps(answer), file=sys.stderr, flush=True)

    print(f"\nPython {sys.version.split()[0]}, {os.cpu_count()} cores, budget {args.memory}, lookback "
          f"{LOOKBACK_DAYS} days, order-1 Markov\n")
    print("| rows | contender | wall s | CPU s | rows/s | peak RSS GiB | × peer time | max share gap vs peer | notes |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for answer in results:
        if "error" in answer:
            print(f"| {answer['rows']:,} | {answer['contender']} | failed: {answer['error']} | | | | | | |")
            continue
        peer = next((a for a in results if a["rows"] == answer["rows"] and a["contender"] == "peer"
                     and "error" not in a), None)
        ratio = f"{answer['wall'] / peer['wall']:.2f}" if peer else "—"
        gap = "—"
        if peer and answer is not peer:
            ours, theirs = shares(answer), shares(peer)
            gap = f"{max(abs(ours[c] - theirs[c]) for c in ours) * 100:.2f} pp"
        phases = ", ".join(f"{key} {value:.1f}s" for key, value in answer["phases"].items())
        notes = f"{phases}; {answer['journeys']:,} journeys, {answer['paths']:,} paths"
        if "partitions" in answer:
            notes += f"; K = {answer['partitions']}"
        print(f"| {answer['rows']:,} | {answer['contender']} | {answer['wall']:.1f} | {answer['cpu']:.1f} | "
              f"{answer['rows'] / answer['wall']:,.0f} | {answer['peak_rss_gib']:.2f} | {ratio} | {gap} | {notes} |")
    print()
    for contender in contenders:
        points = [(a["rows"], a["wall"]) for a in results if a["contender"] == contender and "error" not in a]
        slope = exponent(points)
        if slope is not None:
            print(f"{contender}: time ∝ rows^{slope:.2f} over {', '.join(f'{p[0]:,}' for p in points)} rows")


if __name__ == "__main__":
    main()

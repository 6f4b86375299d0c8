"""Benchmark the attribution engine against ChannelAttribution on a synthetic Xiaohongshu data set.

    python benchmarks/bench_attribution.py [--journeys 1000000] [--repeats 5] [--accuracy-sims 1e7]

The data set is generated with a fixed seed: journeys over six channels (top / mid / micro KOL notes,
search ads, feed ads, organic), 1–8 touches, about 3 % converting, with touch timestamps. It is measured
three ways:

1. *path table → result*: parse the aggregated path table (the format peers use) and run exact Markov
   attribution of order 1 and 3;
2. *touchpoint rows → result*: the same journeys as one row per touch (user, time, channel, converted,
   value), sorted by time as a tracking export is, aggregated with a 30-day lookback, then order-1 Markov;
3. ChannelAttribution's ``markov_model`` (default settings: 1e5 simulations, one thread) on the same path
   table in the same process, when it is installed. It is GPL-3 and never a dependency of xhsxl: install
   it only to run this benchmark (``pip install channelattribution matplotlib pandas``).

Times are medians of ``--repeats`` runs, the contenders interleaved so background load hits both. Peak
memory is the growth of the resident set (``VmHWM`` after resetting it through ``/proc/self/clear_refs``)
while one run executes in a forked child — it sees C++ allocations, which ``tracemalloc`` does not.
Accuracy compares shares with ChannelAttribution run with ``--accuracy-sims`` simulations, with its
default walk cap (``max_step`` = longest observed path) and with walks left (almost) uncapped. "Time at
equal accuracy" is then the time of the fastest of those runs whose conversion shares come within
``--equal-accuracy-pp`` percentage points of the exact answer, against xhsxl's time for that exact answer
(its error is rounding only): what a user of the simulation pays to be as close as xhsxl.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xhsxl.core.attribution import PathTable, journeys_from_touchpoints, markov, path_table  # noqa: E402
from xhsxl.core.attribution import paths as path_parsing  # noqa: E402

CHANNELS = ("kol_top", "kol_mid", "kol_micro", "search_ads", "feed_ads", "organic")
SEED = 20_240_601
TARGET_CONVERSION_RATE = 0.03

# Where journeys start and where each touch leads next (rows: from, columns: to, in CHANNELS order): KOL
# notes seed interest, search ads and organic search follow, feed ads retarget.
FIRST_TOUCH = np.array([0.12, 0.22, 0.24, 0.10, 0.17, 0.15])
NEXT_TOUCH = np.array(
    [
        [0.20, 0.15, 0.15, 0.25, 0.10, 0.15],
        [0.08, 0.22, 0.15, 0.28, 0.12, 0.15],
        [0.05, 0.12, 0.30, 0.25, 0.13, 0.15],
        [0.07, 0.10, 0.10, 0.35, 0.18, 0.20],
        [0.08, 0.12, 0.14, 0.26, 0.25, 0.15],
        [0.06, 0.12, 0.14, 0.30, 0.13, 0.25],
    ]
)
# Lift of the log-odds of converting when a channel is on the journey, and when search ads close it.
PRESENCE_LIFT = np.array([0.9, 0.7, 0.5, 0.8, 0.3, 0.4])
SEARCH_CLOSE_LIFT = 0.6
MEAN_DAYS_BETWEEN_TOUCHES = 2.5
CAMPAIGN_DAYS = 180
# max_step for ChannelAttribution reference runs whose walks should (almost) never be cut short.
UNTRUNCATED_STEPS = 1_000
# Seeds of the ChannelAttribution default-settings runs whose spread is reported.
DEFAULT_RUN_SEEDS = (0, 100, 200)


# -- data ----------------------------------------------------------------------------------------------
def generate(n_journeys: int, seed: int = SEED) -> dict[str, Any]:
    """Journeys as arrays: channel per touch, offsets, conversion, value, touch time (days)."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(0.33, n_journeys), 8)
    offsets = np.zeros(n_journeys + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    n_touches = int(offsets[-1])
    touches = np.empty(n_touches, dtype=np.int32)
    uniform = rng.random(n_touches)
    first = offsets[:-1]
    touches[first] = np.searchsorted(np.cumsum(FIRST_TOUCH), uniform[first])
    cumulative_next = np.cumsum(NEXT_TOUCH, axis=1)
    for position in range(1, 8):
        index = first[lengths > position] + position
        previous = touches[index - 1]
        touches[index] = (uniform[index][:, None] > cumulative_next[previous]).sum(axis=1)

    present = np.zeros((n_journeys, len(CHANNELS)), dtype=bool)
    present[np.repeat(np.arange(n_journeys), lengths), touches] = True
    last = touches[offsets[1:] - 1]
    score = present @ PRESENCE_LIFT + 0.3 * np.sqrt(lengths - 1) + np.where(last == 3, SEARCH_CLOSE_LIFT, 0.0)
    low, high = -15.0, 5.0
    for _ in range(60):  # calibrate the intercept to the target conversion rate
        middle = (low + high) / 2
        probability = 1 / (1 + np.exp(-(middle + score)))
        low, high = (low, middle) if probability.mean() > TARGET_CONVERSION_RATE else (middle, high)
    converted = rng.random(n_journeys) < probability
    value = np.where(converted, np.round(rng.lognormal(5.3, 0.6, n_journeys), 2), 0.0)

    gaps = rng.exponential(MEAN_DAYS_BETWEEN_TOUCHES, n_touches)
    gaps[first] = 0.0
    journey_of_touch = np.repeat(np.arange(n_journeys), lengths)
    start = rng.uniform(0, CAMPAIGN_DAYS, n_journeys)
    elapsed = np.cumsum(gaps)
    elapsed -= np.repeat(elapsed[first], lengths)
    times = start[journey_of_touch] + elapsed
    return {
        "touches": touches,
        "offsets": offsets,
        "converted": converted,
        "value": value,
        "times": times,
        "journey_of_touch": journey_of_touch,
        "user_ids": rng.choice(10**12, n_journeys, replace=False),  # one journey per user, 12-digit ids
    }


def aggregated_path_table(data: dict[str, Any]) -> dict[str, Any]:
    """The path table both engines read: distinct paths with conversions, value and nulls."""
    conversions = data["converted"].astype(float)
    journeys = PathTable(
        channels=CHANNELS,
        touches=data["touches"],
        offsets=data["offsets"],
        conversions=conversions,
        nulls=1.0 - conversions,
        values=data["value"],
    ).grouped()
    return {
        "path": journeys.path_strings(" > "),
        "conversions": journeys.conversions,
        "value": journeys.values,
        "nulls": journeys.nulls,
    }


def touchpoint_rows(data: dict[str, Any]) -> dict[str, Any]:
    """One row per touch, in time order as an export gives them; text channels as a CSV reader gives them."""
    order = np.argsort(data["times"], kind="stable")
    journey = data["journey_of_touch"][order]
    is_last = np.zeros(len(order), dtype=bool)
    is_last[data["offsets"][1:] - 1] = True
    converting_touch = is_last & data["converted"][data["journey_of_touch"]]
    epoch = np.datetime64("2024-01-01T00:00:00", "s")
    return {
        "users": data["user_ids"][journey],
        "timestamps": epoch + (data["times"][order] * 86_400).astype("timedelta64[s]"),
        "channels": np.array(CHANNELS, dtype=object)[data["touches"][order]],
        "converted": converting_touch[order],
        "values": np.where(converting_touch, data["value"][data["journey_of_touch"]], 0.0)[order],
    }


# -- contenders ----------------------------------------------------------------------------------------
def ours_from_paths(table: dict[str, Any], order: int):
    parsed = path_table(table["path"], table["conversions"], table["value"], table["nulls"])
    return markov(parsed, order)


def ours_from_paths_split_parser(table: dict[str, Any], order: int):
    """The same, with the path strings parsed by splitting them (the parser before the byte-level one)."""
    byte_parser = path_parsing._parse_paths
    path_parsing._parse_paths = path_parsing._parse_paths_by_split
    try:
        return ours_from_paths(table, order)
    finally:
        path_parsing._parse_paths = byte_parser


def ours_from_touchpoints(rows: dict[str, Any]):
    journeys = journeys_from_touchpoints(
        rows["users"], rows["timestamps"], rows["channels"], rows["converted"], rows["values"]
    )
    return markov(journeys, 1)


def load_channel_attribution():
    try:
        import pandas as pd
        from ChannelAttribution import markov_model
    except Exception as error:  # missing, or its matplotlib import failed
        return None, None, f"{type(error).__name__}: {error}"
    return markov_model, pd, None


def channel_attribution_frame(pd: Any, table: dict[str, Any]):
    return pd.DataFrame(
        {
            "path": table["path"],
            "conversions": table["conversions"].astype(np.int64),
            "value": table["value"],
            "nulls": table["nulls"].astype(np.int64),
        }
    )


def channel_attribution(markov_model: Any, frame: Any, order: int, **options: Any):
    options = {key: value for key, value in options.items() if value is not None}
    return markov_model(
        frame, "path", "conversions", var_value="value", var_null="nulls", order=order,
        verbose=False, flg_pro=False, **options,
    )


# -- measurement ---------------------------------------------------------------------------------------
def median_times(tasks: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median wall time of each task, the tasks interleaved in every round."""
    samples: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(repeats):
        for name, task in tasks.items():
            gc.collect()
            start = time.perf_counter()
            task()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def peak_memory_mib(task: Callable[[], Any]) -> float | None:
    """Growth of the resident set while ``task`` runs once in a forked child, in MiB (None if unknown)."""
    if not os.path.exists("/proc/self/clear_refs") or "fork" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def run() -> None:
        try:
            gc.collect()
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # reset VmHWM to the current resident set
            baseline = _status_kib("VmRSS")
            task()
            queue.put((_status_kib("VmHWM") - baseline) / 1024)
        except Exception:  # report "unknown" rather than hang the parent
            queue.put(None)

    child = context.Process(target=run)
    child.start()
    result = queue.get()
    child.join()
    return result


def shares(credit: np.ndarray) -> np.ndarray:
    return credit / credit.sum()


def channel_attribution_shares(result: Any, channels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    frame = result["result"] if isinstance(result, dict) else result
    by_name = frame.set_index("channel_name")
    conversions = by_name.loc[list(channels), "total_conversions"].to_numpy(float)
    value = by_name.loc[list(channels), "total_conversion_value"].to_numpy(float)
    return shares(conversions), shares(value)


# -- report --------------------------------------------------------------------------------------------
def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = "  ".join("{:<%d}" % width for width in widths)
    print(line.format(*header))
    print(line.format(*("-" * width for width in widths)))
    for row in rows:
        print(line.format(*row))


def verdict(ratio: float | None, target: float) -> str:
    if ratio is None:
        return "n/a"
    return "met" if ratio <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", type=int, default=1_000_000, help="journeys to generate (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per task; the median is reported")
    parser.add_argument("--accuracy-sims", type=float, nargs="*", default=[1e7, 4e7],
                        help="nsim_start of the ChannelAttribution reference runs (default 1e7 4e7; none skips)")
    parser.add_argument("--ca-threads", type=int, default=1, help="ncore of the reference runs (default 1)")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the synthetic data set")
    parser.add_argument("--equal-accuracy-pp", type=float, default=0.05,
                        help="largest share gap (percentage points) that counts as equal accuracy (default 0.05)")
    arguments = parser.parse_args()
    warnings.simplefilter("ignore", category=FutureWarning)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    started = time.perf_counter()
    data = generate(arguments.journeys, arguments.seed)
    table = aggregated_path_table(data)
    rows = touchpoint_rows(data)
    n_conversions = int(data["converted"].sum())
    print(
        f"data: {arguments.journeys:,} journeys, {len(data['touches']):,} touches "
        f"(mean {len(data['touches']) / arguments.journeys:.2f}), {n_conversions:,} conversions "
        f"({n_conversions / arguments.journeys:.2%}), {len(table['path']):,} distinct paths; "
        f"generated in {time.perf_counter() - started:.1f} s"
    )

    markov_model, pd, missing = load_channel_attribution()
    tasks: dict[str, Callable[[], Any]] = {
        "parse bytes": lambda: path_parsing._parse_paths(table["path"], ">"),
        "parse split": lambda: path_parsing._parse_paths_by_split(table["path"], ">"),
        "ours order 1 split parser": lambda: ours_from_paths_split_parser(table, 1),
        "ours order 1": lambda: ours_from_paths(table, 1),
        "ours order 3": lambda: ours_from_paths(table, 3),
        "ours touchpoints": lambda: ours_from_touchpoints(rows),
    }
    if markov_model is not None:
        frame = channel_attribution_frame(pd, table)
        tasks["CA order 1"] = lambda: channel_attribution(markov_model, frame, 1)
        tasks["CA order 3"] = lambda: channel_attribution(markov_model, frame, 3)
        import ChannelAttribution

        print(f"ChannelAttribution {getattr(ChannelAttribution, '__version__', '')} found: default settings "
              "(nsim_start=1e5, conv_par=0.05, ncore=1, seed=0)".replace("  ", " "))
    else:
        print(f"ChannelAttribution not available ({missing}); timing xhsxl only")

    # Warm both engines (imports, first-call allocations) before timing.
    for task in tasks.values():
        task()
    print(f"\ntiming: median of {arguments.repeats} runs, interleaved")
    times = median_times(tasks, arguments.repeats)
    memory = {name: peak_memory_mib(task) for name, task in tasks.items() if not name.startswith("parse")}

    def ratio(ours: str, theirs: str) -> float | None:
        return times[ours] / times[theirs] if theirs in times else None

    comparisons = [
        ("exact Markov order 1, path table", "ours order 1", "CA order 1", 0.15),
        ("exact Markov order 3, path table", "ours order 3", "CA order 3", 0.3),
        ("touchpoint rows -> Markov order 1", "ours touchpoints", "CA order 1", 2.5),
    ]
    result_rows = []
    for label, ours, theirs, target in comparisons:
        r = ratio(ours, theirs)
        result_rows.append(
            [label, f"{times[ours]:.3f}", f"{times[theirs]:.3f}" if theirs in times else "-",
             f"{r:.2f}x" if r is not None else "-", f"<= {target}x", verdict(r, target)]
        )
    print_table(["task", "xhsxl s", "ChannelAttribution s", "ratio", "target", ""], result_rows)
    speedup = times["parse split"] / times["parse bytes"]
    print(f"path-string step ({len(table['path']):,} paths): {times['parse bytes']:.3f} s on bytes, "
          f"{times['parse split']:.3f} s splitting strings (the parser before): {speedup:.1f}x faster "
          f"(target >= 2x: {'met' if speedup >= 2 else 'MISSED'}); order 1 with the parser before "
          f"{times['ours order 1 split parser']:.3f} s"
          + (f" ({ratio('ours order 1 split parser', 'CA order 1'):.2f}x ChannelAttribution)" if "CA order 1" in times
             else ""))

    print("\npeak memory: resident-set growth during one run (MiB)")
    memory_rows = []
    for label, ours, theirs, _ in comparisons:
        mine, peer = memory.get(ours), memory.get(theirs)
        r = mine / peer if mine is not None and peer else None
        same_input = ours != "ours touchpoints"
        memory_rows.append(
            [label, f"{mine:.1f}" if mine is not None else "n/a", f"{peer:.1f}" if peer is not None else "-",
             f"{r:.2f}x" if r is not None else "-", "<= 1.5x" if same_input else "-",
             verdict(r, 1.5) if same_input else "(CA cannot read rows)"]
        )
    print_table(["task", "xhsxl MiB", "ChannelAttribution MiB", "ratio", "target", ""], memory_rows)
    input_mib = sum(column.nbytes for column in rows.values()) / 2**20
    print(f"(the touchpoint rows themselves take {input_mib:.0f} MiB as numpy arrays, channel strings shared)")

    if markov_model is None:
        return
    print("\naccuracy: max |share difference| against xhsxl's exact answer, percentage points")
    print("(ChannelAttribution keeps the best of nfold=10 folds, i.e. nsim_start / 10 simulated walks, and stops a "
          "walk after max_step steps, by default the longest observed path; a stopped walk counts as not converting)")
    accuracy_rows = []
    reference_shares: dict[tuple[int, str], np.ndarray] = {}
    # (order) -> [(seconds, gap pp, settings)] of every ChannelAttribution run, for time at equal accuracy.
    runs: dict[int, list[tuple[float, float, str]]] = {1: [], 3: []}
    for order in (1, 3):
        exact = ours_from_paths(table, order)
        exact_conversions, exact_value = shares(exact.conversions), shares(exact.value)
        # Fold r of seed s draws from seed s + r, so seeds closer than nfold share streams: space them out.
        defaults = [channel_attribution_shares(channel_attribution(markov_model, frame, order, seed=s), exact.channels)
                    for s in DEFAULT_RUN_SEEDS]
        spread = max(np.max(np.abs(a[0] - b[0])) for a in defaults for b in defaults) * 100
        default_gap = max(np.max(np.abs(d[0] - exact_conversions)) for d in defaults) * 100
        default_value_gap = max(np.max(np.abs(d[1] - exact_value)) for d in defaults) * 100
        seeds = ", ".join(map(str, DEFAULT_RUN_SEEDS))
        accuracy_rows.append([f"order {order}", f"default settings, seeds {seeds}", "-", f"{default_gap:.3f}",
                              f"{default_value_gap:.3f}", f"seeds differ by up to {spread:.3f}"])
        runs[order].append((times[f"CA order {order}"], default_gap, "default settings (median time)"))
        for simulations in arguments.accuracy_sims:
            for max_step, label in ((None, "default"), (UNTRUNCATED_STEPS, str(UNTRUNCATED_STEPS))):
                start = time.perf_counter()
                reference = channel_attribution(markov_model, frame, order, nsim_start=simulations,
                                                max_step=max_step, ncore=arguments.ca_threads)
                elapsed = time.perf_counter() - start
                conversion_share, value_share = channel_attribution_shares(reference, exact.channels)
                reference_shares[order, label] = conversion_share  # the last (largest) run is shown below
                gap = np.max(np.abs(conversion_share - exact_conversions)) * 100
                runs[order].append((elapsed, gap, f"nsim_start={simulations:.0e}, max_step={label}"))
                value_gap = np.max(np.abs(value_share - exact_value)) * 100
                accuracy_rows.append(
                    [f"order {order}", f"nsim_start={simulations:.0e}, {elapsed:.0f} s", label, f"{gap:.3f}",
                     f"{value_gap:.3f}", "within 0.2" if gap <= 0.2 else "MISSED (> 0.2)"]
                )
    print_table(["chain", "ChannelAttribution run", "max_step", "conversions pp", "value pp", ""], accuracy_rows)

    target_pp = arguments.equal_accuracy_pp
    print(f"\ntime at equal accuracy: fastest ChannelAttribution run within {target_pp} pp of the exact shares, "
          "against xhsxl's exact answer (path table -> result)")
    equal_rows = []
    for order in (1, 3):
        ours = times[f"ours order {order}"]
        close = sorted(run for run in runs[order] if run[1] <= target_pp)
        if close:
            seconds, gap, settings = close[0]
            equal_rows.append([f"order {order}", settings, f"{gap:.3f}", f"{seconds:.2f}", f"{ours:.3f}",
                               f"{seconds / ours:.0f}x"])
        else:
            best = min(runs[order], key=lambda run: run[1])
            equal_rows.append([f"order {order}", f"none of the runs (closest: {best[2]}, {best[0]:.1f} s)",
                               f"{best[1]:.3f}", f"> {best[0]:.2f}", f"{ours:.3f}", f"> {best[0] / ours:.0f}x"])
    print_table(["chain", "ChannelAttribution settings", "gap pp", "CA s", "xhsxl s", "CA / xhsxl"], equal_rows)

    print("\nconversion shares, %: xhsxl exact and ChannelAttribution's largest run (default cap / uncapped)")
    exact_1, exact_3 = ours_from_paths(table, 1), ours_from_paths(table, 3)

    def reference(order: int, label: str, i: int) -> str:
        found = reference_shares.get((order, label))
        return f"{100 * found[i]:.3f}" if found is not None else "-"

    share_rows = [
        [name, f"{100 * exact_1.share[i]:.3f}", reference(1, "default", i), reference(1, str(UNTRUNCATED_STEPS), i),
         f"{100 * exact_3.share[i]:.3f}", reference(3, "default", i), reference(3, str(UNTRUNCATED_STEPS), i)]
        for i, name in enumerate(exact_1.channels)
    ]
    print_table(["channel", "o1 xhsxl", "o1 CA", "o1 CA uncapped", "o3 xhsxl", "o3 CA", "o3 CA uncapped"],
                share_rows)
    print(f"\nP(conversion): {exact_1.conversion_probability:.6f} (order 1), "
          f"{exact_3.conversion_probability:.6f} (order 3); total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""The out-of-core driver reads Parquet and CSV logs in any layout and gives the in-memory engine's journeys."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from xhsxl.core.attribution import attribute, journeys_from_touchpoints  # noqa: E402
from xhsxl.core.attribution.partition import attribute_summary, canonical_paths  # noqa: E402
from xhsxl.core.errors import XhsInputError  # noqa: E402
from xhsxl.scale import parse_memory  # noqa: E402
from xhsxl.scale.spill import (  # noqa: E402
    SPILL_PREFIX,
    open_touch_log,
    partitions_for,
    remove_stale_spills,
    summarise_touch_log,
)

CHANNELS = np.array(["kol_top", "kol_mid", "kol_micro", "search_ads", "feed_ads", "organic"], dtype=object)


def make_log(n: int = 30_000, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    converted = rng.random(n) < 0.06
    return {
        "user_id": rng.integers(0, n // 6, n) * 7_919 + 10**11,  # 12-digit ids
        "time": np.datetime64("2024-03-01", "s") + rng.integers(0, 120 * 86_400, n).astype("timedelta64[s]"),
        "channel": CHANNELS[rng.integers(0, len(CHANNELS), n)],
        "converted": converted,
        "value": np.where(converted, np.round(rng.lognormal(5, 0.5, n), 2), np.nan),
    }


def in_memory(log: dict[str, np.ndarray], lookback: float | None = 30.0):
    return journeys_from_touchpoints(log["user_id"], log["time"], log["channel"], log["converted"],
                                     np.where(log["converted"], log["value"], 0.0), lookback_days=lookback)


def assert_same_paths(summary, journeys) -> None:
    want = canonical_paths(journeys.grouped())
    got = summary.paths
    assert got.channels == want.channels
    np.testing.assert_array_equal(got.touches, want.touches)
    np.testing.assert_array_equal(got.conversions, want.conversions)
    np.testing.assert_array_equal(got.nulls, want.nulls)
    np.testing.assert_allclose(got.values, want.values, rtol=1e-12)


@pytest.fixture(scope="module")
def log() -> dict[str, np.ndarray]:
    return make_log()


@pytest.mark.parametrize("k", [1, 2, 7])
def test_parquet_log_spilled_into_k_partitions_gives_the_in_memory_path_table(tmp_path, log, k):
    pq.write_table(pa.table(log), tmp_path / "log.parquet", row_group_size=4_000)
    summary = summarise_touch_log(open_touch_log(tmp_path / "log.parquet"), n_partitions=k, spill_dir=tmp_path / "spill")
    assert_same_paths(summary, in_memory(log))
    assert summary.rows == len(log["user_id"])
    if k > 1:  # one partition is never spilled
        assert list((tmp_path / "spill").iterdir()) == []


def test_time_decay_and_markov_from_spilled_partitions_equal_in_memory(tmp_path, log):
    pq.write_table(pa.table(log), tmp_path / "log.parquet")
    summary = summarise_touch_log(open_touch_log(tmp_path / "log.parquet"), n_partitions=5, spill_dir=tmp_path)
    journeys = in_memory(log)
    for model in ("time_decay", "markov", "position_based"):
        np.testing.assert_allclose(attribute_summary(summary, model).conversions,
                                   attribute(journeys, model).conversions, rtol=1e-9)


def test_hive_partitioned_folder_of_parquet_files_is_one_log(tmp_path, log):
    table = pa.table(log).append_column("month", pa.array(log["time"].astype("datetime64[M]").astype(str)))
    pq.write_to_dataset(table, tmp_path / "log", partition_cols=["month"])
    assert len(list((tmp_path / "log").iterdir())) > 1
    summary = summarise_touch_log(open_touch_log(tmp_path / "log"), n_partitions=3, spill_dir=tmp_path / "spill")
    assert_same_paths(summary, in_memory(log))


def test_glob_of_csv_files_with_text_users_and_iso_times_is_one_log(tmp_path, log):
    n = len(log["user_id"])
    text = {"user": np.array([f"u{u}" for u in log["user_id"]], dtype=object),
            "timestamp": np.datetime_as_string(log["time"]), "channel": log["channel"],
            "converted": log["converted"].astype(int), "value": log["value"]}
    import pyarrow.csv as pcsv

    for i, rows in enumerate(np.array_split(np.arange(n), 3)):
        pcsv.write_csv(pa.table({key: column[rows] for key, column in text.items()}), tmp_path / f"day{i}.csv")
    summary = summarise_touch_log(open_touch_log(str(tmp_path / "day*.csv")), n_partitions=4, spill_dir=tmp_path / "s")
    journeys = journeys_from_touchpoints(text["user"], log["time"], log["channel"], log["converted"],
                                         np.where(log["converted"], log["value"], 0.0))
    assert_same_paths(summary, journeys)


def test_progress_reports_rows_read_and_partitions_done(tmp_path, log):
    pq.write_table(pa.table(log), tmp_path / "log.parquet")
    messages: list[str] = []
    summarise_touch_log(open_touch_log(tmp_path / "log.parquet"), n_partitions=3, spill_dir=tmp_path,
                        progress=messages.append)
    assert f"read {len(log['user_id']):,} rows of {len(log['user_id']):,}" in messages
    assert messages[-1] == "partition 3 of 3 done"


def test_spill_folder_of_a_killed_run_is_removed_by_the_next_run(tmp_path, log):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / f"{SPILL_PREFIX}{int(dead.stdout)}-deadbeef"
    leftover.mkdir()
    (leftover / "part-00000.arrow").write_bytes(b"\0" * 100)
    ours = tmp_path / f"{SPILL_PREFIX}{os.getpid()}-alive000"
    ours.mkdir()
    pq.write_table(pa.table(log), tmp_path / "log.parquet")
    summarise_touch_log(open_touch_log(tmp_path / "log.parquet"), n_partitions=2, spill_dir=tmp_path)
    assert not leftover.exists()
    assert ours.exists()  # a live process's folder is left alone
    assert remove_stale_spills(tmp_path) == []


def test_memory_budget_sets_the_number_of_partitions():
    assert partitions_for(10_000, parse_memory("4GB")) == 1
    assert partitions_for(100_000_000, parse_memory("4GB")) == 8
    assert partitions_for(100_000_000, parse_memory("1GB")) == 32


def test_blank_user_is_refused_with_its_row(tmp_path, log):
    table = pa.table(log)
    users = pa.array([None if i == 12 else u for i, u in enumerate(log["user_id"].tolist())], pa.int64())
    pq.write_table(table.set_column(0, "user_id", users), tmp_path / "log.parquet")
    with pytest.raises(XhsInputError, match="user at row 13 is blank"):
        summarise_touch_log(open_touch_log(tmp_path / "log.parquet"), n_partitions=2, spill_dir=tmp_path)
    assert not list(tmp_path.glob(SPILL_PREFIX + "*"))  # cleaned up after the error too


def test_log_without_a_channel_column_is_refused_naming_the_columns(tmp_path, log):
    pq.write_table(pa.table({k: v for k, v in log.items() if k != "channel"}), tmp_path / "log.parquet")
    with pytest.raises(XhsInputError, match="no channel column .* its columns are user_id, time"):
        open_touch_log(tmp_path / "log.parquet")

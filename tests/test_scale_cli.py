"""`xhsxl attribute --engine …`: the engines print the same credit; --out writes Parquet; peers' column names."""

from __future__ import annotations

import re

import numpy as np
import pytest
from typer.testing import CliRunner

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("pyarrow.csv")

from xhsxl.cli import app  # noqa: E402
from xhsxl.scale.engines import choose_engine  # noqa: E402

runner = CliRunner()


@pytest.fixture()
def log_file(tmp_path):
    rng = np.random.default_rng(11)
    n = 20_000
    converted = rng.random(n) < 0.05
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({
        "user_id": rng.integers(0, 3_000, n) + 10**11,
        "time": np.datetime64("2024-01-01", "s") + rng.integers(0, 90 * 86_400, n).astype("timedelta64[s]"),
        "channel": np.array(["kol_top", "kol_mid", "search_ads", "feed_ads"], dtype=object)[rng.integers(0, 4, n)],
        "converted": converted,
        "value": np.where(converted, np.round(rng.random(n) * 100, 2), np.nan),
    }), path)
    return path


def _credit_rows(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"│ (feed_ads|kol_mid|kol_top|search_ads) ", line)]


@pytest.mark.parametrize("model", ["markov", "time_decay"])
def test_partitioned_engine_prints_the_in_memory_credit(log_file, model):
    memory = runner.invoke(app, ["attribute", str(log_file), "--touchpoints", "--model", model, "--engine", "memory"])
    partitioned = runner.invoke(app, ["attribute", str(log_file), "--touchpoints", "--model", model,
                                      "--engine", "partitioned", "--memory", "1MB"])
    assert memory.exit_code == 0 and partitioned.exit_code == 0, partitioned.output
    assert len(_credit_rows(memory.output)) == 4
    assert _credit_rows(partitioned.output) == _credit_rows(memory.output)
    assert "partitioned engine (8 user partitions)" in partitioned.output


def test_auto_engine_reads_parquet_partitioned_and_a_csv_in_memory_only_if_it_fits(log_file, tmp_path):
    assert choose_engine(log_file, "auto", 4 * 2**30) == "partitioned"  # K = 1 there: in memory, no spill
    assert choose_engine(log_file.parent, "auto", 4 * 2**30) == "partitioned"  # a folder
    csv = tmp_path / "log.csv"
    pa.csv.write_csv(pq.read_table(log_file), csv)
    assert choose_engine(csv, "auto", 4 * 2**30) == "memory"
    assert choose_engine(csv, "auto", 2**20) == "partitioned"
    assert choose_engine(log_file, "memory", 2**20) == "memory"
    assert choose_engine(log_file, "spark", 2**20) == "spark"


def test_auto_engine_keeps_a_log_that_fits_in_memory_without_spilling(log_file):
    result = runner.invoke(app, ["attribute", str(log_file), "--touchpoints"])
    assert result.exit_code == 0, result.output
    assert "partitioned engine (in memory, nothing spilled)" in result.output


def test_out_with_parquet_suffix_writes_parquet(log_file, tmp_path):
    out = tmp_path / "credit.parquet"
    result = runner.invoke(app, ["attribute", str(log_file), "--touchpoints", "--engine", "partitioned",
                                 "--out", str(out), "--removal-effects"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out).to_pydict()
    assert table["channel"] == ["feed_ads", "kol_mid", "kol_top", "search_ads"]
    assert abs(sum(table["share"]) - 1) < 1e-12
    assert "removal_effect" in table


def test_channel_attribution_column_names_and_spaced_separator_are_read_without_flags(tmp_path):
    source = tmp_path / "paths.csv"
    source.write_text("path,total_conversions,total_conversion_value,total_null\n"
                      "kol_mid > search_ads,30,9000,970\nkol_micro > kol_mid > search_ads,20,6400,480\n"
                      "kol_micro,0,0,1500\n", encoding="utf-8")
    result = runner.invoke(app, ["attribute", str(source), "--sep", " > ", "--model", "last_touch"])
    assert result.exit_code == 0, result.output
    assert "¥15,400" in result.output and "no value" not in result.output


def test_unknown_engine_and_bad_memory_are_refused(log_file):
    assert runner.invoke(app, ["attribute", str(log_file), "--touchpoints", "--engine", "gpu"]).exit_code == 2
    bad = runner.invoke(app, ["attribute", str(log_file), "--touchpoints", "--memory", "lots"])
    assert bad.exit_code == 2 and "memory must be a size like 4GB" in bad.output


def test_auto_engine_finds_a_parquet_log_by_the_columns_named_on_the_command_line(tmp_path, log_file):
    renamed = tmp_path / "renamed.parquet"
    table = pq.read_table(log_file)
    pq.write_table(table.rename_columns(["member", "ts", "touch", "bought", "amount"]), renamed)
    columns = {"user": "member", "time": "ts", "channel": "touch", "converted": "bought", "value": "amount"}
    assert choose_engine(renamed, "auto", 4 * 2**30, columns) == "partitioned"
    result = runner.invoke(app, ["attribute", str(renamed), "--touchpoints", "--user-col", "member", "--time-col", "ts",
                                 "--channel-col", "touch", "--converted-col", "bought", "--value-col", "amount"])
    assert result.exit_code == 0, result.output
    assert "partitioned engine (in memory, nothing spilled)" in result.output

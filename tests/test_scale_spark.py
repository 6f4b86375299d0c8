"""The Spark engine, on a local session, gives the in-memory engine's path table and credit.

Skipped where pyspark or a Java runtime is missing; CI installs both (``.ci/run``).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
if shutil.which("java") is None:
    pytest.skip("Spark needs a Java runtime (apt-get install default-jre-headless)", allow_module_level=True)

from xhsxl.core.attribution import attribute, journeys_from_touchpoints  # noqa: E402
from xhsxl.core.attribution.partition import attribute_summary  # noqa: E402
from xhsxl.core.errors import XhsInputError  # noqa: E402
from xhsxl.scale.spark import read_spark, summarise_spark  # noqa: E402

# The logs of the out-of-core tests, so every engine is held to the same fixtures.
_spec = importlib.util.spec_from_file_location("scale_spill_tests", Path(__file__).with_name("test_scale_spill.py"))
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)
make_log, in_memory, assert_same_paths = _shared.make_log, _shared.in_memory, _shared.assert_same_paths


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # The Python workers must be this interpreter, which has xhsxl, pandas and pyarrow.
    monkeypatch_env = pytest.MonkeyPatch()
    monkeypatch_env.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch_env.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("xhsxl-tests")
               .config("spark.sql.shuffle.partitions", "4").config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    monkeypatch_env.undo()


@pytest.fixture(scope="module")
def log_file(tmp_path_factory) -> tuple[Path, dict]:
    log = make_log(20_000, seed=5)
    path = tmp_path_factory.mktemp("spark") / "log.parquet"
    pq.write_table(pa.table(log), path)
    return path, log


@pytest.mark.parametrize("k", [1, 3])
def test_spark_path_table_equals_in_memory(spark, log_file, k):
    path, log = log_file
    summary = summarise_spark(read_spark(spark, str(path)), n_partitions=k)
    assert_same_paths(summary, in_memory(log))
    assert summary.rows == len(log["user_id"])
    assert summary.journeys == in_memory(log).n_paths


def test_spark_credit_equals_in_memory_for_time_decay_and_markov(spark, log_file):
    path, log = log_file
    summary = summarise_spark(read_spark(spark, str(path)), n_partitions=5, half_life_days=3.0)
    journeys = in_memory(log)
    for model in ("time_decay", "markov", "linear"):
        want = attribute(journeys, model, half_life_days=3.0)
        got = attribute_summary(summary, model, half_life_days=3.0)
        assert got.channels == want.channels
        np.testing.assert_allclose(got.conversions, want.conversions, rtol=1e-9)
        np.testing.assert_allclose(got.value, want.value, rtol=1e-9)


def test_spark_reads_text_users_numeric_days_and_yes_no_flags(spark):
    frame = spark.createDataFrame(
        [("ann", 1.0, "kol_mid", "no", None), ("ann", 5.0, " search_ads ", "yes", 300.0),
         ("bo", 10.0, "kol_top", "no", None), ("ann", 8.0, "feed_ads", "no", None), ("bo", 50.0, "search_ads", "yes", 120.0)],
        "user string, time double, channel string, converted string, value double")
    summary = summarise_spark(frame, n_partitions=2)
    want = journeys_from_touchpoints(["ann", "ann", "bo", "ann", "bo"], [1, 5, 10, 8, 50],
                                     ["kol_mid", "search_ads", "kol_top", "feed_ads", "search_ads"], [0, 1, 0, 0, 1],
                                     [None, 300, None, None, 120])
    assert_same_paths(summary, want)
    assert summary.paths.channels == ("feed_ads", "kol_mid", "kol_top", "search_ads")  # kol_top: outside lookback


def test_spark_refusal_from_a_partition_reaches_the_caller_as_an_input_error(spark):
    frame = spark.createDataFrame([("ann", 1.0, "kol_mid", 2.0, 1.0)],
                                  "user string, time double, channel string, converted double, value double")
    with pytest.raises(XhsInputError, match="converted must be 0/1"):
        summarise_spark(frame, n_partitions=1)

"""Which engine attributes a touch log, and the one call that runs the partitioned or Spark engine on a file.

``auto``: a Parquet log (file, folder or glob) always goes to the partitioned engine, which keeps it in
memory — one partition, nothing spilled — when it fits the budget and spills it otherwise; it reads
columns straight into numpy, where the cell-by-cell reader of ``xhsxl.workbook.journey_files`` would
take ~400 bytes and several microseconds per row. A single CSV file stays with that reader (which also
knows GBK, title rows above the header and 是/否 flags) when its estimated rows fit the budget, and goes
to the partitioned engine otherwise; an XLSX log is always read in memory. Spark runs only when asked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from xhsxl.core.attribution.conventions import LOOKBACK_DAYS, TIME_DECAY_HALF_LIFE_DAYS
from xhsxl.core.attribution.partition import JourneySummary
from xhsxl.core.errors import XhsInputError
from xhsxl.scale import ENGINES

__all__ = ["ScaleRun", "choose_engine", "summarise_source", "parquet_writer"]

# Peak bytes per row of the cell-by-cell reader plus the kernel (measured: 406 MB for a 1.09M-row log).
_READER_BYTES_PER_ROW = 400


@dataclass(frozen=True)
class ScaleRun:
    """A touch log summarised by the partitioned or Spark engine, and what was read."""

    summary: JourneySummary
    engine: str
    file_format: str
    columns: dict[str, str | None]
    partitions: int

    @property
    def rows(self) -> int:
        return self.summary.rows


def choose_engine(source: str | os.PathLike[str], engine: str, memory_bytes: int,
                  columns: Mapping[str, str | None] | None = None) -> str:
    """``"memory"``, ``"partitioned"`` or ``"spark"`` for ``engine`` (one of :data:`~xhsxl.scale.ENGINES`);
    ``columns`` names the log's columns when they are not the default headers."""
    if engine not in ENGINES:
        raise XhsInputError(f"engine must be one of {', '.join(ENGINES)} (got {engine!r})")
    if engine != "auto":
        return engine
    text = os.fspath(source)
    suffix = Path(text).suffix.lower()
    single = Path(text).is_file()
    if single and suffix not in (".parquet", ".pq", ".csv", ".txt"):
        return "memory"
    try:
        from xhsxl.scale.spill import open_touch_log

        log = open_touch_log(text, {role: name for role, name in (columns or {}).items() if name is not None})
    except XhsInputError:
        if single:
            return "memory"  # the in-memory reader says what is wrong, as it always has
        raise
    if single and log.file_format == "csv" and log.rows * _READER_BYTES_PER_ROW <= memory_bytes:
        return "memory"
    return "partitioned"


def summarise_source(
    source: str | os.PathLike[str],
    engine: str,
    columns: Mapping[str, str | None] | None = None,
    *,
    memory_bytes: int = 4 * 2**30,
    lookback_days: float | None = LOOKBACK_DAYS.value,
    half_life_days: float = TIME_DECAY_HALF_LIFE_DAYS.value,
    progress: Callable[[str], None] | None = None,
    spark: Any = None,
) -> ScaleRun:
    """Summarise a touch log with the ``"partitioned"`` or ``"spark"`` engine.

    For Spark, ``spark`` is a SparkSession (default: ``SparkSession.builder.getOrCreate()``, which under
    ``spark-submit`` is the cluster's); the source is read by Spark, so it may be any path Spark reads
    (``s3://``, ``hdfs://``, ``dbfs:/`` …).
    """
    chosen = {role: name for role, name in (columns or {}).items() if name is not None}
    if engine == "partitioned":
        from xhsxl.scale.spill import open_touch_log, partitions_for, summarise_touch_log

        log = open_touch_log(source, chosen)
        k = partitions_for(log.rows, memory_bytes)
        summary = summarise_touch_log(log, memory_bytes=memory_bytes, n_partitions=k, lookback_days=lookback_days,
                                      half_life_days=half_life_days, progress=progress)
        return ScaleRun(summary, "partitioned", log.file_format, log.columns, k)
    if engine == "spark":
        from xhsxl.scale.spark import read_spark, summarise_spark
        from xhsxl.scale.spill import find_touch_columns

        if spark is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise XhsInputError("the Spark engine needs pyspark: pip install 'xhsxl[spark]'") from None
            spark = SparkSession.builder.appName("xhsxl attribute").getOrCreate()
        frame = read_spark(spark, os.fspath(source))
        if progress is not None:
            progress("Spark: shuffling by user and building journeys")
        found = find_touch_columns(list(frame.columns), chosen, os.fspath(source))
        summary = summarise_spark(frame, chosen, lookback_days=lookback_days, half_life_days=half_life_days)
        return ScaleRun(summary, "spark", "spark", found, 4 * spark.sparkContext.defaultParallelism)
    raise XhsInputError(f"engine must be partitioned or spark here (got {engine!r})")


def parquet_writer(rows: list[list[Any]]) -> Callable[[Path], None]:
    """A writer of a result table (header row first; text in the first column, numbers or blanks after) as
    Parquet, for :func:`~xhsxl.workbook.safe_files.atomic_write`."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise XhsInputError("writing Parquet needs pyarrow: pip install 'xhsxl[scale]', or write .csv") from None
    header, body = [str(name) for name in rows[0]], rows[1:]
    arrays = [pa.array([row[0] for row in body], pa.string())]
    arrays += [pa.array([row[i] for row in body], pa.float64()) for i in range(1, len(header))]
    table = pa.Table.from_arrays(arrays, names=header)
    return lambda temp: pq.write_table(table, temp)

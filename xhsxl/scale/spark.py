"""Attribution of a touch log on Spark: Spark shuffles by user, the same kernel runs per partition.

Spark reads the data where it lives and groups the rows by a hash of the user id (``xxhash64`` modulo K);
each group goes through :func:`~xhsxl.core.attribution.touchpoints.journeys_from_codes` and
:func:`~xhsxl.core.attribution.partition.summarise_journeys` in a pandas UDF (``applyInPandas``), which
emits the group's distinct paths (as arrays of channel names), its time-decay credit per channel and its
row and journey counts. Spark sums equal paths across groups; the driver collects that small table and
solves exactly. Which hash Spark uses does not matter: any split of the users gives the same sums.

Times cross into the UDF as whole microseconds (Spark's own resolution) and become days there by the
kernel's formula, so a Spark run and an in-memory run see the very same floats.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from xhsxl.core.attribution.conventions import LOOKBACK_DAYS, TIME_DECAY_HALF_LIFE_DAYS
from xhsxl.core.attribution.partition import JourneySummary, canonical_paths
from xhsxl.core.attribution.paths import PathTable
from xhsxl.core.attribution.touchpoints import TIME_UNITS, user_keys, journeys_from_codes
from xhsxl.core.errors import XhsInputError

__all__ = ["summarise_spark", "read_spark", "OUTPUT_SCHEMA"]

#: What each partition emits: kind is "path", "time_decay" (one channel in ``path``) or "count"
#: (``conversions`` = rows, ``nulls`` = journeys).
OUTPUT_SCHEMA = "kind string, path array<string>, conversions double, nulls double, value double"
_NANOSECONDS_PER_DAY = 86_400_000_000_000
_TRUE = ("1", "true", "yes", "y", "t", "是")
_FALSE = ("0", "false", "no", "n", "f", "否", "")


def _spark() -> tuple[Any, Any]:
    try:
        from pyspark.sql import functions, types
    except ImportError:
        raise XhsInputError("the Spark engine needs pyspark: pip install 'xhsxl[spark]'") from None
    return functions, types


def read_spark(spark: Any, source: str) -> Any:
    """A Spark DataFrame of a Parquet or CSV touch log (file, folder or glob), read where it lives."""
    lowered = source.lower().rstrip("/")
    if lowered.endswith((".csv", ".csv*", ".txt")) or "*.csv" in lowered:
        return spark.read.option("header", True).option("inferSchema", True).csv(source)
    return spark.read.parquet(source)


def summarise_spark(
    frame: Any,
    columns: Mapping[str, str | None] | None = None,
    *,
    n_partitions: int | None = None,
    lookback_days: float | None = LOOKBACK_DAYS.value,
    half_life_days: float = TIME_DECAY_HALF_LIFE_DAYS.value,
    time_unit: str = "days",
) -> JourneySummary:
    """Journeys of a Spark DataFrame of touches, summarised for every model (see the module docstring).

    ``columns`` maps roles (user, time, channel, converted, value) to column names when they are not the
    defaults of :data:`~xhsxl.workbook.journey_files.TOUCHPOINT_COLUMNS`. ``n_partitions`` defaults to the
    session's default parallelism times four.
    """
    from xhsxl.scale.spill import find_touch_columns

    F, T = _spark()
    if time_unit not in TIME_UNITS:
        raise XhsInputError(f"time_unit must be one of {', '.join(TIME_UNITS)} (got {time_unit!r})")
    found = find_touch_columns(list(frame.columns), columns or {}, "the DataFrame")
    fields = {field.name: field.dataType for field in frame.schema.fields}
    k = int(n_partitions or 4 * frame.sparkSession.sparkContext.defaultParallelism)

    user = F.col(found["user"])
    time_type = fields[found["time"]]
    time = F.col(found["time"])
    if isinstance(time_type, (T.TimestampType, T.TimestampNTZType, T.DateType, T.StringType)):
        time_kind = "micros"
        time = F.unix_micros(time.cast("timestamp"))
    else:
        time_kind = "days"
        time = time.cast("double") * F.lit(TIME_UNITS[time_unit])
    flag_type = fields[found["converted"]]
    flag = F.col(found["converted"])
    if isinstance(flag_type, T.StringType):
        word = F.lower(F.trim(flag))
        flag = F.when(flag.isNull() | word.isin(*_FALSE), 0.0).when(word.isin(*_TRUE), 1.0).otherwise(-1.0)
    else:
        flag = F.coalesce(flag.cast("double"), F.lit(0.0))
    has_values = found["value"] is not None
    value = F.col(found["value"]).cast("double") if has_values else F.lit(0.0)
    rows = frame.select(
        F.pmod(F.xxhash64(user), F.lit(k)).alias("part"),
        user.alias("user"),
        time.alias("time"),
        F.trim(F.col(found["channel"]).cast("string")).alias("channel"),
        flag.alias("converted"),
        value.alias("value"),
    )
    kernel = _partition_kernel(time_kind, lookback_days, float(half_life_days), has_values)
    summed = (
        rows.groupBy("part").applyInPandas(kernel, OUTPUT_SCHEMA)
        .groupBy("kind", "path")
        .agg(F.sum("conversions").alias("conversions"), F.sum("nulls").alias("nulls"), F.sum("value").alias("value"))
    )
    try:
        collected = summed.collect()
    except Exception as error:  # noqa: BLE001 — a UDF's refusal arrives wrapped in Spark's exception
        text = str(error)
        marker = "XhsInputError: "
        if marker in text:
            raise XhsInputError(text.split(marker, 1)[1].splitlines()[0]) from None
        raise
    return _summary(collected, float(half_life_days), has_values)


def _partition_kernel(time_kind: str, lookback_days: float | None, half_life_days: float, has_values: bool):
    """The function Spark runs on each user partition (a pandas DataFrame) — picklable, self-contained."""

    def kernel(frame: Any) -> Any:
        import pandas as pd

        from xhsxl.core.attribution.partition import summarise_journeys

        if frame.empty:
            return pd.DataFrame({"kind": [], "path": [], "conversions": [], "nulls": [], "value": []})
        for role in ("user", "time", "channel"):
            if frame[role].isna().any():
                raise XhsInputError(f"{role} is blank in some rows")
        if (frame["channel"] == "").any():
            raise XhsInputError("channel is blank in some rows")
        users = frame["user"].to_numpy()
        keys = user_keys(users) if users.dtype.kind in "iuf" else pd.factorize(frame["user"])[0].astype(np.int64)
        if time_kind == "micros":
            days = (frame["time"].to_numpy(np.int64) * 1000).astype(float)
            days /= _NANOSECONDS_PER_DAY
        else:
            days = frame["time"].to_numpy(float)
        flags = frame["converted"].to_numpy(float)
        if ((flags != 0) & (flags != 1)).any():
            raise XhsInputError("converted must be 0/1, TRUE/FALSE or yes/no")
        converting = flags == 1
        values = None
        if has_values:
            values = frame["value"].to_numpy(float)
            if (converting & ~(np.isfinite(values) & (values >= 0))).any():
                raise XhsInputError("value of a converting row must be a number at least 0")
            values = np.where(converting, values, 0.0)
        names, codes = np.unique(frame["channel"].to_numpy(dtype=object).astype(str), return_inverse=True)
        channel_names = tuple(str(name) for name in names)
        journeys = journeys_from_codes(keys, days, codes.astype(np.int32), channel_names, converting, values,
                                       lookback_days=lookback_days)
        summary = summarise_journeys(journeys, rows=len(frame), half_life_days=half_life_days)
        paths = summary.paths
        named = np.asarray(channel_names, dtype=object)
        bounds = paths.offsets.tolist()
        path_lists = [named[paths.touches[a:b]].tolist() for a, b in zip(bounds[:-1], bounds[1:])]
        kinds = ["path"] * paths.n_paths
        conversions = paths.conversions.tolist()
        nulls = paths.nulls.tolist()
        path_values = paths.values.tolist() if paths.values is not None else [0.0] * paths.n_paths
        # Every channel of the partition, with its time-decay credit (0 without conversions): a channel
        # whose touches all fell outside the lookback is still a channel of the result, as in memory.
        decay_conversions = summary.time_decay_conversions
        decay_value = summary.time_decay_value
        for code, name in enumerate(channel_names):
            kinds.append("time_decay")
            path_lists.append([name])
            conversions.append(0.0 if decay_conversions is None else float(decay_conversions[code]))
            nulls.append(0.0)
            path_values.append(0.0 if decay_value is None else float(decay_value[code]))
        kinds.append("count")
        path_lists.append([])
        conversions.append(float(summary.rows))
        nulls.append(float(summary.journeys))
        path_values.append(0.0)
        return pd.DataFrame({"kind": kinds, "path": path_lists, "conversions": conversions, "nulls": nulls,
                             "value": path_values})

    return kernel


def _summary(collected: list[Any], half_life_days: float, has_values: bool) -> JourneySummary:
    paths = [(list(row["path"]), row["conversions"], row["nulls"], row["value"]) for row in collected
             if row["kind"] == "path"]
    if not paths:
        raise XhsInputError("the touch log has no rows")
    decay = [row for row in collected if row["kind"] == "time_decay"]
    channels = tuple(sorted({row["path"][0] for row in decay}))
    code_of = {name: code for code, name in enumerate(channels)}
    lengths = np.asarray([len(path) for path, *_ in paths], dtype=np.int64)
    offsets = np.zeros(len(paths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    table = PathTable(
        channels=channels,
        touches=np.asarray([code_of[name] for path, *_ in paths for name in path], dtype=np.int32),
        offsets=offsets,
        conversions=np.asarray([row[1] for row in paths], dtype=float),
        nulls=np.asarray([row[2] for row in paths], dtype=float),
        values=np.asarray([row[3] for row in paths], dtype=float) if has_values else None,
        has_nulls=True,
    )
    decay_conversions = np.zeros(len(channels))
    decay_value = np.zeros(len(channels)) if has_values else None
    for row in decay:
        code = code_of[row["path"][0]]
        decay_conversions[code] += row["conversions"]
        if decay_value is not None:
            decay_value[code] += row["value"]
    if not table.conversions.any():
        decay_conversions = decay_value = None
    counts = [row for row in collected if row["kind"] == "count"]
    return JourneySummary(
        paths=canonical_paths(table),  # Spark already summed equal paths
        time_decay_conversions=decay_conversions,
        time_decay_value=decay_value,
        half_life_days=half_life_days,
        rows=int(sum(row["conversions"] for row in counts)),
        journeys=int(sum(row["nulls"] for row in counts)),
    )

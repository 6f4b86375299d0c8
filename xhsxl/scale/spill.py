"""Out-of-core attribution on one machine: read a touch log in batches, spill it by user partition, reduce.

The log — a Parquet or CSV file, a folder of them (Hive-partitioned folders too) or a glob — is read with
pyarrow datasets in batches of :data:`BATCH_ROWS` rows. Each batch is checked and coded (channels to
integers, times to days, flags to booleans), split by :func:`~xhsxl.core.attribution.partition.user_partition`
and appended to one Arrow IPC file per partition in a temporary folder. Then the partitions are read back
one at a time, turned into journeys by the in-memory kernel and summarised; the summaries merge exactly.

Why pyarrow and not DuckDB: the kernel wants numpy columns, and pyarrow hands them over without a copy;
its datasets read Parquet, CSV and Hive folders in bounded batches, and its IPC files are the cheapest
spill format there is (no encoding, memory-mapped on the way back). DuckDB would be a SQL engine used
only as a file reader, and a second copy of every batch. It stays a benchmark peer.

Memory: a partition costs about :data:`KERNEL_BYTES_PER_ROW` bytes per touch row in the kernel (measured
on the benchmark log, ``benchmarks/bench_scale.py``), so K is chosen to keep one partition under the
budget. A spill folder is named after the process that owns it; a run that was killed leaves its folder
behind, and the next run removes every folder whose process is gone.
"""

from __future__ import annotations

import glob as _glob
import math
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from xhsxl.core.attribution.conventions import LOOKBACK_DAYS, TIME_DECAY_HALF_LIFE_DAYS
from xhsxl.core.attribution.partition import (
    MAX_PARTITIONS,
    JourneySummary,
    merge_summaries,
    summarise_journeys,
    user_partition,
)
from xhsxl.core.attribution.touchpoints import TIME_UNITS, user_keys, journeys_from_codes
from xhsxl.core.errors import XhsInputError
from xhsxl.workbook.journey_files import TOUCHPOINT_COLUMNS

__all__ = [
    "TouchLog",
    "open_touch_log",
    "find_touch_columns",
    "summarise_touch_log",
    "partitions_for",
    "remove_stale_spills",
    "BATCH_ROWS",
    "KERNEL_BYTES_PER_ROW",
    "SPILL_PREFIX",
]

#: Rows read, coded and spilled at once.
BATCH_ROWS = 1 << 20
#: Peak bytes per touch row of one in-memory partition (benchmarks/bench_scale.py: 1.7–1.8 GiB for 10.9M rows,
#: ≈ 150 bytes per row beyond the interpreter's ~0.25 GiB; rounded up).
KERNEL_BYTES_PER_ROW = 160
#: Rows per byte of CSV assumed when a CSV log's row count is not known (short lines: an overestimate).
_CSV_ROWS_PER_BYTE = 1 / 24
#: Name prefix of the spill folders; the owner's process id follows.
SPILL_PREFIX = "xhsxl-spill-"
_NANOSECONDS_PER_DAY = 86_400_000_000_000
_TRUE = {"1", "true", "yes", "y", "t", "是"}
_FALSE = {"0", "false", "no", "n", "f", "否", ""}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TouchLog:
    """A touch log opened as a pyarrow dataset, its columns found, its size known or estimated."""

    dataset: Any
    columns: dict[str, str | None]
    file_format: str
    rows: int
    rows_exact: bool

    @property
    def kernel_bytes(self) -> int:
        """Memory the in-memory kernel would need for the whole log, bytes."""
        return self.rows * KERNEL_BYTES_PER_ROW


def _pyarrow() -> tuple[Any, Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.dataset as ds
    except ImportError:
        raise XhsInputError("the partitioned engine needs pyarrow: pip install 'xhsxl[scale]'") from None
    return pa, pc, ds


def open_touch_log(source: str | os.PathLike[str], columns: Mapping[str, str | None] | None = None) -> TouchLog:
    """Open a Parquet or CSV touch log (file, folder or glob) and find its user, time, channel, converted and
    value columns by :data:`~xhsxl.workbook.journey_files.TOUCHPOINT_COLUMNS` or by ``columns``."""
    pa, pc, ds = _pyarrow()
    text = os.fspath(source)
    if any(char in text for char in "*?["):
        files = sorted(_glob.glob(text, recursive=True))
        if not files:
            raise XhsInputError(f"no file matches {text}")
        paths: Any = files
        suffixes = {Path(name).suffix.lower() for name in files}
    else:
        path = Path(text)
        if not path.exists():
            raise XhsInputError(f"{path}: no such file or folder")
        paths = text
        suffixes = ({p.suffix.lower() for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))}
                    if path.is_dir() else {path.suffix.lower()})
    if suffixes <= {".parquet", ".pq"}:
        file_format = "parquet"
    elif suffixes <= {".csv", ".txt"}:
        file_format = "csv"
    else:
        raise XhsInputError(f"{text}: the partitioned engine reads Parquet or CSV files (found {', '.join(sorted(suffixes))})")
    try:
        dataset = ds.dataset(paths, format=file_format, partitioning="hive")
    except Exception as error:  # noqa: BLE001 — pyarrow's errors for damaged files are many
        raise XhsInputError(f"{text}: not a readable {file_format} data set ({type(error).__name__}: {error})") from None
    names = dataset.schema.names
    found = find_touch_columns(names, columns or {}, text)
    if file_format == "parquet":
        rows, exact = int(dataset.count_rows()), True
    else:
        size = sum(os.path.getsize(name) for name in dataset.files)
        rows, exact = int(size * _CSV_ROWS_PER_BYTE) + 1, False
    return TouchLog(dataset, found, file_format, rows, exact)


def find_touch_columns(names: list[str], chosen: Mapping[str, str | None], where: str) -> dict[str, str | None]:
    """The column of each role among ``names``: the one ``chosen`` names, else the first default header
    (case-insensitive); a missing required role is refused with the columns there are."""
    by_lower = {name.strip().lower(): name for name in names}
    found: dict[str, str | None] = {}
    for role, defaults in TOUCHPOINT_COLUMNS.items():
        wanted = chosen.get(role)
        if wanted is not None:
            if wanted.strip().lower() not in by_lower:
                raise XhsInputError(f"no column named {wanted!r} (for {role}) in {where}; its columns are "
                                    f"{', '.join(names)}")
            found[role] = by_lower[wanted.strip().lower()]
            continue
        found[role] = next((by_lower[name] for name in defaults if name in by_lower), None)
        if found[role] is None and role != "value":
            raise XhsInputError(f"no {role} column in {where} (looked for {', '.join(defaults)}); its columns are "
                                f"{', '.join(names)}")
    return found


def partitions_for(rows: int, memory_bytes: int) -> int:
    """The number of user partitions that keeps one partition's kernel under ``memory_bytes``.

    Twice the bare quotient: user hashing spreads rows evenly, not exactly, and the merged summaries and
    the reader's batch live beside the kernel.

    >>> partitions_for(100_000_000, 4 * 2**30)
    8
    >>> partitions_for(1_000, 4 * 2**30)
    1
    """
    need = rows * KERNEL_BYTES_PER_ROW / memory_bytes
    return 1 if need <= 0.5 else min(MAX_PARTITIONS, max(2, 2 ** math.ceil(math.log2(2 * need))))


def remove_stale_spills(parent: str | os.PathLike[str]) -> list[Path]:
    """Delete the spill folders under ``parent`` whose owning process has ended; return them."""
    removed = []
    for folder in Path(parent).glob(SPILL_PREFIX + "*"):
        owner = folder.name[len(SPILL_PREFIX):].split("-", 1)[0]
        if folder.is_dir() and owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def summarise_touch_log(
    log: TouchLog,
    *,
    memory_bytes: int = 4 * 2**30,
    n_partitions: int | None = None,
    lookback_days: float | None = LOOKBACK_DAYS.value,
    half_life_days: float = TIME_DECAY_HALF_LIFE_DAYS.value,
    time_unit: str = "days",
    spill_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> JourneySummary:
    """Journeys of a touch log of any size, summarised for every model, within a memory budget.

    ``n_partitions`` defaults to :func:`partitions_for` the log's rows and ``memory_bytes``; with one
    partition nothing is spilled. The spill folder (under ``spill_dir``, default the system's temporary
    folder) is removed when the run ends, however it ends; folders left by killed runs are removed first.
    """
    pa, pc, ds = _pyarrow()
    if time_unit not in TIME_UNITS:
        raise XhsInputError(f"time_unit must be one of {', '.join(TIME_UNITS)} (got {time_unit!r})")
    k = n_partitions or partitions_for(log.rows, memory_bytes)
    say = progress or (lambda message: None)
    coder = _BatchCoder(log.columns, TIME_UNITS[time_unit], pa, pc)
    if k == 1:
        coded = [coder.code(batch, rows_before) for batch, rows_before in _batches(log, say)]
        if not coded:
            raise XhsInputError("the touch log has no rows")
        table = pa.Table.from_batches(coded)
        return merge_summaries([_summarise_table(table, coder, lookback_days, half_life_days, pa, pc)])

    parent = Path(spill_dir) if spill_dir is not None else Path(tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_spills(parent)
    folder = parent / f"{SPILL_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    try:
        writers: dict[int, Any] = {}
        try:
            for batch, rows_before in _batches(log, say):
                coded = coder.code(batch, rows_before)
                part = coder.partition(coded, k)
                order = np.argsort(part.astype(np.uint16), kind="stable")  # 16-bit keys: numpy sorts them by radix
                bounds = np.zeros(k + 1, dtype=np.int64)
                np.cumsum(np.bincount(part, minlength=k), out=bounds[1:])
                grouped = coded.take(pa.array(order))
                for index in np.flatnonzero(np.diff(bounds)):
                    if index not in writers:
                        sink = pa.OSFile(str(folder / f"part-{index:05d}.arrow"), "wb")
                        writers[index] = (sink, pa.ipc.new_stream(sink, grouped.schema))
                    writers[index][1].write_batch(grouped.slice(bounds[index], bounds[index + 1] - bounds[index]))
        finally:
            for sink, writer in writers.values():
                writer.close()
                sink.close()
        if not writers:
            raise XhsInputError("the touch log has no rows")
        summaries = []
        for done, index in enumerate(sorted(writers), start=1):
            spill = folder / f"part-{index:05d}.arrow"
            with pa.memory_map(str(spill)) as source:
                table = pa.ipc.open_stream(source).read_all()
            summaries.append(_summarise_table(table, coder, lookback_days, half_life_days, pa, pc))
            del table
            spill.unlink()
            say(f"partition {done:,} of {len(writers):,} done")
        return merge_summaries(summaries)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _batches(log: TouchLog, say: Progress):
    roles = [name for name in log.columns.values() if name is not None]
    rows = 0
    try:
        scanner = log.dataset.to_batches(columns=roles, batch_size=BATCH_ROWS, batch_readahead=2,
                                         fragment_readahead=1)
        for batch in scanner:
            if batch.num_rows == 0:
                continue
            yield batch, rows
            rows += batch.num_rows
            say(f"read {rows:,} rows" + (f" of {log.rows:,}" if log.rows_exact else ""))
    except XhsInputError:
        raise
    except Exception as error:  # noqa: BLE001 — a damaged file or a CSV cell of the wrong type
        raise XhsInputError(f"the touch log could not be read after {rows:,} rows ({type(error).__name__}: "
                            f"{error})") from None


class _BatchCoder:
    """Checks and codes batches: user as read (int64 or text), days, global channel id, converted, value."""

    def __init__(self, columns: Mapping[str, str | None], unit_days: float, pa: Any, pc: Any) -> None:
        self.columns = dict(columns)
        self.unit_days = unit_days
        self.pa, self.pc = pa, pc
        self.channel_ids: dict[str, int] = {}  # channel name → id in order of first appearance
        self.has_values = columns.get("value") is not None

    def code(self, batch: Any, rows_before: int) -> Any:
        pa = self.pa
        column = {role: batch.column(name) for role, name in self.columns.items() if name is not None}
        for role in ("user", "time", "channel"):
            if column[role].null_count:
                row = rows_before + int(np.argmax(column[role].is_null().to_numpy(zero_copy_only=False))) + 1
                raise XhsInputError(f"{role} at row {row:,} is blank")
        users = column["user"]
        if pa.types.is_floating(users.type):
            numbers = users.to_numpy()
            if not (np.isfinite(numbers).all() and (numbers == np.round(numbers)).all()):
                raise XhsInputError("user ids that are numbers must be whole numbers")
            users = pa.array(numbers.astype(np.int64))
        elif pa.types.is_integer(users.type):
            users = users.cast(pa.int64())
        else:
            users = users.cast(pa.string())
        days = self._days(column["time"], rows_before)
        channels = self._channels(column["channel"])
        converting = self._flags(column["converted"], rows_before)
        arrays = [users, pa.array(days), pa.array(channels), pa.array(converting)]
        names = ["user", "days", "channel", "converted"]
        if self.has_values:
            arrays.append(pa.array(self._values(column["value"], converting, rows_before)))
            names.append("value")
        return pa.RecordBatch.from_arrays(arrays, names=names)

    def _days(self, times: Any, rows_before: int) -> np.ndarray:
        pa = self.pa
        kind = times.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            days = times.cast(pa.float64()).to_numpy() * self.unit_days
            if not np.isfinite(days).all():
                raise XhsInputError(f"time at row {rows_before + int(np.argmax(~np.isfinite(days))) + 1:,} is not a number")
            return days
        try:
            if pa.types.is_string(kind) or pa.types.is_large_string(kind):
                stamps = self.pc.cast(times, pa.timestamp("ns"))
            else:
                stamps = times.cast(pa.timestamp("ns", tz=getattr(kind, "tz", None)))
            nanoseconds = stamps.cast(pa.int64()).to_numpy()
        except Exception as error:  # noqa: BLE001 — pyarrow's cast errors are many
            raise XhsInputError(f"time column is neither numbers nor dates and times ({error})") from None
        # The same floats as the in-memory kernel's (days from the Unix epoch).
        days = nanoseconds.astype(float)
        days /= _NANOSECONDS_PER_DAY
        return days

    def _channels(self, channels: Any) -> np.ndarray:
        pa, pc = self.pa, self.pc
        encoded = pc.dictionary_encode(channels.cast(pa.string()))
        names = pc.utf8_trim_whitespace(encoded.dictionary).to_pylist()
        if any(name == "" for name in names):
            raise XhsInputError("channel is blank in some rows")
        ids = np.fromiter((self.channel_ids.setdefault(name, len(self.channel_ids)) for name in names),
                          dtype=np.int32, count=len(names))
        return ids[encoded.indices.to_numpy(zero_copy_only=False)]

    def _flags(self, flags: Any, rows_before: int) -> np.ndarray:
        pa, pc = self.pa, self.pc
        if flags.null_count:
            flags = flags.fill_null(False if pa.types.is_boolean(flags.type) else 0)
        if pa.types.is_boolean(flags.type):
            return flags.to_numpy(zero_copy_only=False)
        if pa.types.is_integer(flags.type) or pa.types.is_floating(flags.type):
            numbers = flags.cast(pa.float64()).to_numpy()
            bad = (numbers != 0) & (numbers != 1)
            if bad.any():
                row = rows_before + int(np.argmax(bad)) + 1
                raise XhsInputError(f"converted must be 0/1 or TRUE/FALSE (got {numbers[bad][0]!r} at row {row:,})")
            return numbers == 1
        encoded = pc.dictionary_encode(flags.cast(pa.string()))
        words = [word.strip().lower() for word in encoded.dictionary.to_pylist()]
        unknown = [word for word in words if word not in _TRUE and word not in _FALSE]
        if unknown:
            raise XhsInputError(f"converted must be 0/1, TRUE/FALSE or yes/no (got {unknown[0]!r})")
        truth = np.asarray([word in _TRUE for word in words], dtype=bool)
        return truth[encoded.indices.to_numpy(zero_copy_only=False)]

    def _values(self, values: Any, converting: np.ndarray, rows_before: int) -> np.ndarray:
        numbers = values.cast(self.pa.float64()).to_numpy(zero_copy_only=False)  # nulls become NaN
        bad = converting & ~(np.isfinite(numbers) & (numbers >= 0))
        if bad.any():
            row = rows_before + int(np.argmax(bad)) + 1
            raise XhsInputError(f"value of a converting row must be a number at least 0 (row {row:,})")
        return np.where(converting, numbers, 0.0)

    def partition(self, coded: Any, k: int) -> np.ndarray:
        users = coded.column(0)
        if self.pa.types.is_integer(users.type):
            return user_partition(users.to_numpy(), k)
        encoded = self.pc.dictionary_encode(users)
        buckets = user_partition(encoded.dictionary.to_pylist(), k)
        return buckets[encoded.indices.to_numpy(zero_copy_only=False)]

    def sorted_channels(self) -> tuple[tuple[str, ...], np.ndarray]:
        """Channel names sorted, and the sorted code of each id."""
        names = sorted(self.channel_ids, key=self.channel_ids.__getitem__)
        ordered = tuple(sorted(names))
        rank = {name: code for code, name in enumerate(ordered)}
        return ordered, np.asarray([rank[name] for name in names], dtype=np.int32)


def _summarise_table(table: Any, coder: _BatchCoder, lookback_days: float | None, half_life_days: float,
                     pa: Any, pc: Any) -> JourneySummary:
    users = table.column("user").combine_chunks()
    if pa.types.is_integer(users.type):
        keys = user_keys(users.to_numpy())
    else:
        keys = pc.dictionary_encode(users).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    del users
    names, code_of_id = coder.sorted_channels()
    channels = code_of_id[table.column("channel").combine_chunks().to_numpy()]
    values = table.column("value").combine_chunks().to_numpy() if coder.has_values else None
    journeys = journeys_from_codes(
        keys,
        table.column("days").combine_chunks().to_numpy(),
        channels,
        names,
        table.column("converted").combine_chunks().to_numpy(zero_copy_only=False),
        values,
        lookback_days=lookback_days,
    )
    return summarise_journeys(journeys, rows=table.num_rows, half_life_days=half_life_days)

"""Attribution of touch logs larger than memory (one machine) or than one machine (Spark).

Both drivers feed the same pure kernel, :mod:`xhsxl.core.attribution.partition`: the log is split by a
stable hash of the user id, each partition becomes journeys and a :class:`JourneySummary`, and the
summaries merge exactly into one path table (and time-decay credit) for the exact solvers.

- :func:`xhsxl.scale.spill.summarise_touch_log` reads Parquet or CSV (a file, a folder — Hive-partitioned
  too — or a glob) in bounded batches with pyarrow datasets, spills the partitions to a temporary folder
  and processes them one at a time within a memory budget;
- :func:`xhsxl.scale.spark.summarise_spark` runs the kernel per partition on a Spark DataFrame.

pyarrow (``pip install xhsxl[scale]``) and pyspark (``xhsxl[spark]``) are imported only when used.
"""

from __future__ import annotations

import re

from xhsxl.core.errors import XhsInputError

__all__ = ["ENGINES", "parse_memory"]

#: The engines ``xhsxl attribute --engine`` accepts.
ENGINES = ("auto", "memory", "partitioned", "spark")

_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 2**10, "kib": 2**10, "m": 2**20, "mb": 2**20, "mib": 2**20,
          "g": 2**30, "gb": 2**30, "gib": 2**30, "t": 2**40, "tb": 2**40, "tib": 2**40}


def parse_memory(text: str | int) -> int:
    """Bytes in a memory size such as ``"4GB"``, ``"512 MiB"`` or ``"2g"`` (binary units, as ``free`` shows).

    >>> parse_memory("4GB"), parse_memory("512 mib"), parse_memory(2**30)
    (4294967296, 536870912, 1073741824)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        size = text
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
        unit = match.group(2).lower() if match else None
        if match is None or unit not in _UNITS:
            raise XhsInputError(f"memory must be a size like 4GB or 512MB (got {text!r})")
        size = int(float(match.group(1)) * _UNITS[unit])
    if size < 2**20:
        raise XhsInputError(f"memory must be at least 1MB (got {text!r})")
    return size

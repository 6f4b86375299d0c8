"""Journeys as data: parse a path table, hold journeys as integer arrays, merge identical paths.

Every model works on a :class:`PathTable`: the channel of every touch as a small integer, paths laid end
to end (``touches``) with ``offsets`` marking where each path starts — the compressed-row layout of a
sparse matrix — plus per-path counts of conversions and non-converting journeys ("nulls"), the value of
the conversions, and optionally, per touch, the days before the conversion (for time decay).

Two constructors fill it:

- :func:`path_table` parses the format peers use — ``"kol_mid > search_ads > tmall"`` with conversions,
  value and non-converting counts per row — with a configurable (possibly multi-character) separator;
- :func:`~xhsxl.core.attribution.touchpoints.journeys_from_touchpoints` builds journeys from raw
  touchpoint rows.

Parsing works on the paths' UTF-8 bytes with numpy — separators found by comparison, every token keyed by
its bytes and coded through a small hash table whose every match is verified — and names in Python only the
few distinct spellings; it never loops per touch in Python. Grouping identical paths
(:meth:`PathTable.grouped`) is pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Sequence

import numpy as np

from xhsxl.core.errors import XhsInputError
from xhsxl.core.validate import describe, is_number, numeric

__all__ = [
    "PathTable",
    "path_table",
    "MissingNonConversionsWarning",
    "MISSING_NON_CONVERSIONS_MESSAGE",
    "DEFAULT_SEPARATOR",
    "PATH_TABLE_HEADER",
]

#: The separator peers (ChannelAttribution, GA exports) use between channels of a path.
DEFAULT_SEPARATOR = ">"

#: Header of :meth:`PathTable.table`.
PATH_TABLE_HEADER = ("path", "conversions", "value", "nulls")

MISSING_NON_CONVERSIONS_MESSAGE = (
    "no non-converting counts (nulls) were given: without non-converting paths every path converts and "
    "removal effects are biased — P(conversion) is 1, and a channel that mostly appears in journeys that "
    "never convert is credited as if it always led to a sale. Pass the number of non-converting journeys "
    "of each path."
)


class MissingNonConversionsWarning(UserWarning):
    """A data-driven model ran on a path table without non-converting counts."""


@dataclass(frozen=True, eq=False)
class PathTable:
    """Journeys with their outcomes, channels coded as integers.

    Attributes
    ----------
    channels : tuple of str
        Channel names, sorted; a touch's code indexes this tuple.
    touches : ndarray of int32
        Channel code of every touch, paths laid end to end in journey order (first touch first).
    offsets : ndarray of int64
        ``touches[offsets[i]:offsets[i + 1]]`` is path *i*; ``len(offsets) == n_paths + 1``.
    conversions : ndarray of float
        Conversions per path (≥ 0).
    nulls : ndarray of float
        Journeys along the path that did not convert (≥ 0); zeros when ``has_nulls`` is false.
    values : ndarray of float or None
        Total conversion value per path (¥, ≥ 0), or ``None``.
    days_before_conversion : ndarray of float or None
        Per touch, days between the touch and the path's conversion (or its last touch, for a path that
        did not convert); needed by time decay only.
    has_nulls : bool
        Whether non-converting counts were supplied.
    """

    channels: tuple[str, ...]
    touches: np.ndarray
    offsets: np.ndarray
    conversions: np.ndarray
    nulls: np.ndarray
    values: np.ndarray | None = None
    days_before_conversion: np.ndarray | None = None
    has_nulls: bool = True

    def __post_init__(self) -> None:
        # The constructors below build consistent tables; this guards hand-built ones, cheaply.
        n_paths = len(self.offsets) - 1
        if n_paths < 1 or self.offsets[0] != 0 or self.offsets[-1] != len(self.touches):
            raise XhsInputError("offsets must start at 0 and end at the number of touches, one path at least")
        if (np.diff(self.offsets) < 1).any():
            raise XhsInputError("every path must have at least one touch")
        for name in ("conversions", "nulls", "values"):
            column = getattr(self, name)
            if column is not None and len(column) != n_paths:
                raise XhsInputError(f"{name} has {len(column)} rows but there are {n_paths} paths")
        if self.touches.min() < 0 or self.touches.max() >= len(self.channels):
            raise XhsInputError("touches must be channel codes from 0 to len(channels) - 1")
        days = self.days_before_conversion
        if days is not None and len(days) != len(self.touches):
            raise XhsInputError("days_before_conversion must have one number per touch")

    # -- shape -----------------------------------------------------------------------------------------
    @property
    def n_paths(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_touches(self) -> int:
        return len(self.touches)

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @cached_property
    def lengths(self) -> np.ndarray:
        """Touches per path."""
        return np.diff(self.offsets)

    @cached_property
    def path_of_touch(self) -> np.ndarray:
        """Index of the path each touch belongs to (int32 unless there are 2**31 paths)."""
        dtype = np.int32 if self.n_paths < 2**31 else np.int64
        return np.repeat(np.arange(self.n_paths, dtype=dtype), self.lengths)

    @cached_property
    def position_of_touch(self) -> np.ndarray:
        """0-based position of each touch within its path."""
        dtype = np.int32 if self.n_touches < 2**31 else np.int64
        # Steps of 1 that jump back to 0 at every path start, summed: one array, no int64 temporaries.
        step = np.ones(self.n_touches, dtype=dtype)
        step[0] = 0
        step[self.offsets[1:-1]] = 1 - self.lengths[:-1]
        return np.cumsum(step, dtype=dtype)

    # -- totals ----------------------------------------------------------------------------------------
    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float | None:
        return None if self.values is None else float(self.values.sum())

    @property
    def journeys(self) -> np.ndarray:
        """Journeys per path: conversions + nulls."""
        return self.conversions + self.nulls

    # -- transformations -------------------------------------------------------------------------------
    def grouped(self) -> PathTable:
        """Identical paths merged into one row, counts and values summed, in order of first appearance.

        Touch times cannot be merged, so the result has no ``days_before_conversion``.

        >>> table = path_table(["a > b", "a>b", "b"], [1, 2, 0], nulls=[3, 0, 5])
        >>> merged = table.grouped()
        >>> merged.path_strings(), merged.conversions.tolist(), merged.nulls.tolist()
        (['a > b', 'b'], [3.0, 0.0], [3.0, 5.0])
        """
        group, n_groups = group_sequences(self.touches, self.offsets, self.n_channels)
        first = np.full(n_groups, self.n_paths, dtype=np.int64)
        np.minimum.at(first, group, np.arange(self.n_paths, dtype=np.int64))
        order_of_first = np.argsort(first, kind="stable")
        rank = np.empty(n_groups, dtype=np.int64)
        rank[order_of_first] = np.arange(n_groups)
        group = rank[group]
        representative = first[order_of_first]
        source, offsets = gather_paths(self.offsets, representative)
        touches = self.touches[source]

        def summed(per_path: np.ndarray) -> np.ndarray:
            return np.bincount(group, weights=per_path, minlength=n_groups)

        return PathTable(
            channels=self.channels,
            touches=touches,
            offsets=offsets,
            conversions=summed(self.conversions),
            nulls=summed(self.nulls),
            values=None if self.values is None else summed(self.values),
            days_before_conversion=None,
            has_nulls=self.has_nulls,
        )

    def without_repeats(self) -> PathTable:
        """Consecutive touches of the same channel collapsed into the first of them (``a>a>b`` → ``a>b``).

        >>> path_table(["a>a>b>a", "b>b"], [1, 1], nulls=[0, 0]).without_repeats().path_strings()
        ['a > b > a', 'b']
        """
        repeat = np.zeros(self.n_touches, dtype=bool)
        repeat[1:] = self.touches[1:] == self.touches[:-1]
        repeat[self.offsets[:-1]] = False  # the first touch of a path never repeats the previous path's last
        if not repeat.any():
            return self
        keep = ~repeat
        kept_per_path = np.add.reduceat(keep.astype(np.int64), self.offsets[:-1])
        offsets = np.zeros(self.n_paths + 1, dtype=np.int64)
        np.cumsum(kept_per_path, out=offsets[1:])
        days = self.days_before_conversion
        return replace(
            self,
            touches=self.touches[keep],
            offsets=offsets,
            days_before_conversion=None if days is None else days[keep],
        )

    def take(self, rows: np.ndarray) -> PathTable:
        """The paths ``rows`` (integer indices or a boolean mask), in that order."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        source, offsets = gather_paths(self.offsets, rows.astype(np.int64))
        days = self.days_before_conversion
        return PathTable(
            channels=self.channels,
            touches=self.touches[source],
            offsets=offsets,
            conversions=self.conversions[rows],
            nulls=self.nulls[rows],
            values=None if self.values is None else self.values[rows],
            days_before_conversion=None if days is None else days[source],
            has_nulls=self.has_nulls,
        )

    # -- output ----------------------------------------------------------------------------------------
    def path_strings(self, sep: str = " > ") -> list[str]:
        """Each path as text, channels joined by ``sep``."""
        names = np.asarray(self.channels, dtype=object)
        joined = names[self.touches]
        return [sep.join(joined[self.offsets[i] : self.offsets[i + 1]]) for i in range(self.n_paths)]

    def table(self, sep: str = " > ") -> list[list[Any]]:
        """Header ``["path", "conversions", "value", "nulls"]`` and one row per path, as plain values.

        ``value`` is ``None`` without values; ``nulls`` is ``None`` when no non-converting counts were given.
        """
        rows: list[list[Any]] = [list(PATH_TABLE_HEADER)]
        for i, text in enumerate(self.path_strings(sep)):
            rows.append(
                [
                    text,
                    float(self.conversions[i]),
                    None if self.values is None else float(self.values[i]),
                    float(self.nulls[i]) if self.has_nulls else None,
                ]
            )
        return rows

    def __repr__(self) -> str:
        value = "" if self.values is None else f", value={self.total_value:,.2f}"
        nulls = f", nulls={self.nulls.sum():,.0f}" if self.has_nulls else ", no nulls"
        return (
            f"PathTable({self.n_paths:,} paths, {self.n_touches:,} touches, {self.n_channels} channels, "
            f"conversions={self.total_conversions:,.0f}{value}{nulls})"
        )


# -- constructors --------------------------------------------------------------------------------------
def path_table(
    paths: Sequence[str] | np.ndarray,
    conversions: Any,
    values: Any = None,
    nulls: Any = None,
    *,
    sep: str = DEFAULT_SEPARATOR,
    days_before_conversion: Sequence[Any] | None = None,
) -> PathTable:
    """Parse a table of paths with their conversions, value and non-converting counts.

    Parameters
    ----------
    paths : sequence of str
        One journey pattern per row, channels separated by ``sep``: ``"kol_mid > search_ads > tmall"``.
        Spaces around channel names are ignored; a blank path or an empty channel (``"a >> b"``) is an
        error. An Excel column (a list of one-element lists) is accepted.
    conversions : array_like
        Conversions of each path (≥ 0).
    values : array_like, optional
        Total conversion value of each path (¥, ≥ 0). A path with value must have conversions.
    nulls : array_like, optional
        Journeys along each path that did *not* convert (≥ 0). Markov and Shapley need them; without them
        the data-driven models warn (:class:`MissingNonConversionsWarning`) and treat every journey as
        converting.
    sep : str, default ``">"``
        Separator between channels; may be several characters (``"->"``, ``" | "``).
    days_before_conversion : sequence, optional
        For time decay: per path, the days between each touch and the conversion — as text with the same
        separator (``"14 > 3 > 0"``) or as a sequence of numbers — one number per touch.

    Returns
    -------
    PathTable
        Rows as given (not merged; see :meth:`PathTable.grouped`); channels sorted by name.

    Examples
    --------
    >>> table = path_table(["kol_mid > search_ads", "kol_micro", "kol_mid"], [3, 1, 0],
    ...                    values=[900, 250, 0], nulls=[40, 60, 100])
    >>> table
    PathTable(3 paths, 4 touches, 3 channels, conversions=4, value=1,150.00, nulls=200)
    >>> table.channels
    ('kol_micro', 'kol_mid', 'search_ads')
    >>> table.touches.tolist(), table.offsets.tolist()
    ([1, 2, 0, 1], [0, 2, 3, 4])
    >>> path_table(["a -> b"], [1], nulls=[0], sep="->").channels
    ('a', 'b')
    """
    if not isinstance(sep, str) or sep == "" or _PATH_MARK in sep:
        raise XhsInputError(f"sep must be a non-empty text separator (got {describe(sep)})")
    texts = _text_column(paths, "paths")
    n_paths = len(texts)
    conversions = _count_column(conversions, "conversions", n_paths)
    has_nulls = nulls is not None
    nulls = _count_column(nulls, "nulls", n_paths) if has_nulls else np.zeros(n_paths)
    if values is not None:
        values = _count_column(values, "values", n_paths)
        orphan = (values > 0) & (conversions == 0)
        if orphan.any():
            row = int(np.argmax(orphan))
            raise XhsInputError(argument="values", reason=f"is {describe(values[row])} but that path has no conversions",
                                position=(row + 1,))
    channels, touches, offsets = _parse_paths(texts, sep)
    days = None
    if days_before_conversion is not None:
        days = _parse_days(days_before_conversion, sep, offsets)
    return PathTable(
        channels=channels,
        touches=touches,
        offsets=offsets,
        conversions=conversions,
        nulls=nulls,
        values=values,
        days_before_conversion=days,
        has_nulls=has_nulls,
    )


# -- validation helpers --------------------------------------------------------------------------------
def _column(values: Any, name: str) -> np.ndarray:
    """A 1-D object array from a list, an array or an Excel column/row (list of one-element lists)."""
    if isinstance(values, (str, bytes)):
        values = [values]
    array = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if array.ndim == 0:
        array = array.reshape(1)
    elif array.ndim == 2 and 1 in array.shape:
        array = array.ravel()
    elif array.ndim != 1:
        raise XhsInputError(f"{name} must be a single column or row (got a {array.shape[0]}×{array.shape[1]} block)"
                            if array.ndim == 2 else f"{name} must be a single column or row")
    if array.size == 0:
        raise XhsInputError(f"{name} must not be empty")
    return array


def _text_column(values: Any, name: str) -> list[str]:
    if isinstance(values, list) and values and set(map(type, values)) == {str}:
        return values  # the common case, a plain list of paths: no copy
    array = _column(values, name)
    texts = array.tolist()
    if not set(map(type, texts)) <= {str}:
        for row, item in enumerate(texts):
            if item is None:
                raise XhsInputError(argument=name, reason="is blank", position=(row + 1,))
            if not isinstance(item, str):
                raise XhsInputError(argument=name, reason="must be text", value=item, position=(row + 1,))
    return texts


def _count_column(values: Any, name: str, expected_rows: int) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf" and values.ndim == 1:
        array = values
    else:
        array = _column(values, name)
        if any(item is None for item in array.tolist()):
            row = next(i for i, item in enumerate(array.tolist()) if item is None)
            raise XhsInputError(argument=name, reason="is blank", position=(row + 1,))
    array = numeric(array, name, ge=0).ravel()
    if len(array) != expected_rows:
        raise XhsInputError(f"{name} has {len(array)} rows but paths has {expected_rows}")
    return array


# Paths parsed per batch: bounds the Python string objects alive at once (a token costs ~55 bytes as a
# str), so parsing a million paths needs a few MiB beyond the arrays it fills.
_PARSE_BATCH = 8_192
# Joined after the separator between two paths, so the first token of every path is told apart from
# the others by the same dict lookup that codes it — no separate pass to count touches per path.
_PATH_MARK = "\x00"


# Paths parsed per batch by the byte-level parser: bounds its per-byte and per-token arrays (~80 bytes a
# token, a few MiB a batch) while keeping numpy's per-call overhead negligible.
_BYTE_BATCH = 16_384
# Hash-table size (bits) of the byte-level parser: far more slots than distinct spellings of channels.
_TABLE_BITS = 14
# Longest raw token (bytes) the byte-level parser keys: 8 words of 8 bytes. Longer names take the other path.
_KEY_WORDS = 8
# _BYTE_MASKS[r] keeps the first r bytes of a little-endian word.
_BYTE_MASKS = np.array([(1 << (8 * r)) - 1 for r in range(9)], dtype=np.uint64)
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # 2⁶⁴ / golden ratio: spreads nearby keys across the table
_HASH_MIX = np.uint64(0xBF58476D1CE4E5B9)


def _parse_paths(texts: list[str], sep: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Channel names (sorted), channel code per touch, path offsets: numpy over the bytes of the text.

    Each batch of paths is joined with NUL between paths and encoded to UTF-8 once. Separators are found by
    comparing the bytes with the separator's (UTF-8 never matches across a character boundary); a token is
    then the bytes between two delimiters, keyed by up to 64 bytes packed in eight integers and its length,
    and hashed into a table of distinct raw spellings. Every token is compared with the spelling its slot
    holds, so a hash collision is detected, never silently merged; only the distinct spellings are decoded,
    stripped and named in Python. Tables this cannot key (a collision, a name over 64 bytes, overlapping
    matches of a separator like ``"--"`` in ``"a---b"``) are parsed by :func:`_parse_paths_by_split`, which
    gives the same result; so does every error.
    """
    parsed = _parse_paths_bytes(texts, sep)
    return parsed if parsed is not None else _parse_paths_by_split(texts, sep)


def _parse_paths_bytes(texts: list[str], sep: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray] | None:
    """:func:`_parse_paths` on bytes; ``None`` when the table needs the splitting parser."""
    sep_bytes = np.frombuffer(sep.encode("utf-8"), dtype=np.uint8)
    width = len(sep_bytes)
    slots = 1 << _TABLE_BITS
    table_words = np.zeros((1, slots), dtype=np.uint64)  # word k of every slot's spelling; grows with names
    table_length = np.full(slots, -1, dtype=np.int64)
    table_code = np.full(slots, -1, dtype=np.int64)
    code_of_name: dict[str, int] = {}
    coded_batches: list[np.ndarray] = []
    start_batches: list[np.ndarray] = []
    n_tokens = 0
    for first in range(0, len(texts), _BYTE_BATCH):
        batch = texts[first : first + _BYTE_BATCH]
        # Padded with NULs past the end (joined on as one more item: no copy of the text) so that an 8-byte
        # read from any token's start stays in the buffer.
        encoded = _PATH_MARK.join([*batch, _PATH_MARK * (8 * _KEY_WORDS + 7)]).encode("utf-8")
        size = len(encoded) - (8 * _KEY_WORDS + 8)
        text = np.frombuffer(encoded, dtype=np.uint8, count=size)
        # Delimiters: where a separator starts, and the NUL between two paths (a separator holds no NUL).
        if width == 1:
            delimiter = text == sep_bytes[0]
        else:
            delimiter = np.zeros(size, dtype=bool)
            if size >= width:
                delimiter[: size - width + 1] = text[: size - width + 1] == sep_bytes[0]
                for k in range(1, width):
                    delimiter[: size - width + 1] &= text[k : size - width + 1 + k] == sep_bytes[k]
            matches = np.flatnonzero(delimiter)
            if len(matches) > 1 and (np.diff(matches) < width).any():
                return None  # overlapping matches: str.split's left-to-right rule decides
        delimiter |= text == 0
        at = np.flatnonzero(delimiter)
        ends_path = text[at] == 0
        if np.count_nonzero(ends_path) != len(batch) - 1:
            return None  # a NUL inside a path: the splitting parser says where
        starts = np.empty(len(at) + 1, dtype=np.int64)
        starts[0] = 0
        np.add(at, width, out=starts[1:])
        if width != 1:
            starts[1:][ends_path] -= width - 1
        ends = np.empty(len(at) + 1, dtype=np.int64)
        ends[:-1] = at
        ends[-1] = size
        lengths = ends - starts
        longest = int(lengths.max())
        if longest > 8 * _KEY_WORDS:
            return None
        words = _packed_words(encoded, starts, lengths, max(1, -(-longest // 8)))
        if len(words) > len(table_words):
            table_words = np.vstack([table_words, np.zeros((len(words) - len(table_words), slots), np.uint64)])
        slot = _slot(words, lengths)
        new = table_length[slot] < 0
        if new.any():
            # One token per new slot (the last written wins) becomes the spelling the slot holds.
            first_token = np.full(slots, -1, dtype=np.int64)
            first_token[slot[new]] = np.flatnonzero(new)
            for filled in np.flatnonzero(first_token >= 0).tolist():
                token = int(first_token[filled])
                raw = bytes(text[starts[token] : ends[token]]).decode("utf-8")
                name = raw.strip()
                if name == "":
                    return None  # an empty channel or a blank path: the splitting parser words the error
                table_words[: words.shape[0], filled] = words[:, token]
                table_length[filled] = lengths[token]
                table_code[filled] = code_of_name.setdefault(name, len(code_of_name))
        if not (table_length[slot] == lengths).all():
            return None  # two spellings share a slot
        for k in range(words.shape[0]):
            if not (table_words[k][slot] == words[k]).all():
                return None
        coded_batches.append(table_code[slot].astype(np.int32))
        path_starts = np.flatnonzero(ends_path) + 1
        start_batches.append(np.concatenate([[0], path_starts]) + n_tokens)
        n_tokens += len(starts)
    coded = np.concatenate(coded_batches)
    offsets = np.append(np.concatenate(start_batches), n_tokens).astype(np.int64)
    channels = tuple(sorted(code_of_name))
    renumber = np.empty(len(channels), dtype=np.int32)
    for code, name in enumerate(channels):
        renumber[code_of_name[name]] = code
    return channels, renumber[coded], offsets


def _packed_words(encoded: bytes, starts: np.ndarray, lengths: np.ndarray, n_words: int) -> np.ndarray:
    """Each token's bytes as ``n_words`` rows of little-endian uint64 words, bytes past its end zeroed.

    ``encoded`` extends at least ``8 * n_words`` bytes past the last token's start.
    """
    # Every byte offset seen as the start of an 8-byte word (unaligned reads; numpy copies them safely).
    as_words = np.ndarray((len(encoded) - 7,), dtype="<u8", buffer=encoded, strides=(1,))
    words = np.empty((n_words, len(starts)), dtype=np.uint64)
    for k in range(n_words):
        # take's "clip" mode clamps the bytes left (length - 8k) to 0..8: the mask keeping them, in one pass.
        mask = np.take(_BYTE_MASKS, lengths - 8 * k if k else lengths, mode="clip")
        np.bitwise_and(as_words[starts + 8 * k if k else starts], mask, out=words[k])
    return words


def _slot(words: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Hash-table slot of each token from its packed bytes and length (multiply-xorshift; wraps mod 2⁶⁴)."""
    key = lengths.astype(np.uint64) * _HASH_MULTIPLIER
    for k in range(words.shape[0]):
        key ^= words[k]
        key *= _HASH_MIX
        key ^= key >> np.uint64(31)
    key *= _HASH_MULTIPLIER
    return (key >> np.uint64(64 - _TABLE_BITS)).astype(np.int64)


def _parse_paths_by_split(texts: list[str], sep: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Channel names (sorted), channel code per touch, path offsets — C-level passes over the text.

    Each batch of paths is joined into one string and split once; every token is then coded by one dict
    lookup in C (``map``). Few distinct raw spellings (``" kol_mid"``, ``"kol_mid "``, and the same with
    the path mark in front) exist however many touches there are, so only those are stripped and named.
    A raw spelling's code is ``2 × channel + (1 if it starts a path)``; channels are numbered in order of
    first appearance, then renumbered in name order.
    """
    code_of_raw: dict[str, int] = {}
    code_of_name: dict[str, int] = {}
    coded_batches: list[np.ndarray] = []
    batch_starts: list[int] = []
    n_tokens = 0
    joiner = sep + _PATH_MARK
    for first in range(0, len(texts), _PARSE_BATCH):
        batch = texts[first : first + _PARSE_BATCH]
        joined = joiner.join(batch)
        if joined.count(_PATH_MARK) != len(batch) - 1:
            row = first + next(i for i, text in enumerate(batch) if _PATH_MARK in text)
            raise XhsInputError(argument="paths", reason="contains a NUL character", position=(row + 1,))
        tokens = joined.split(sep)
        try:
            coded = np.fromiter(map(code_of_raw.__getitem__, tokens), dtype=np.int32, count=len(tokens))
        except KeyError:  # spellings not seen in earlier batches: name them, then code the batch
            for raw in set(tokens).difference(code_of_raw):
                starts_path = raw.startswith(_PATH_MARK)
                name = (raw[1:] if starts_path else raw).strip()
                if name == "":
                    # Either a real empty channel ("a >> b") or a multi-character separator matched across
                    # the join ("-" then "--"): the path-by-path split tells which, and says where.
                    return _parse_paths_one_by_one(texts, sep)
                code_of_raw[raw] = 2 * code_of_name.setdefault(name, len(code_of_name)) + starts_path
            coded = np.fromiter(map(code_of_raw.__getitem__, tokens), dtype=np.int32, count=len(tokens))
        coded_batches.append(coded)
        batch_starts.append(n_tokens)
        n_tokens += len(tokens)
    coded = np.concatenate(coded_batches)
    del coded_batches
    path_starts = (coded & 1).astype(bool)
    path_starts[batch_starts] = True  # a batch's first path has no mark in front
    offsets = np.append(np.flatnonzero(path_starts), n_tokens).astype(np.int64)
    if len(offsets) != len(texts) + 1:
        # A path ending in part of a multi-character separator ("a-" with sep "--") lets the separator
        # match across the join; split such tables path by path instead.
        return _parse_paths_one_by_one(texts, sep)
    coded >>= 1
    channels = tuple(sorted(code_of_name))
    renumber = np.empty(len(channels), dtype=np.int32)
    for code, name in enumerate(channels):
        renumber[code_of_name[name]] = code
    return channels, renumber[coded], offsets


def _parse_paths_one_by_one(texts: list[str], sep: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The same result as :func:`_parse_paths`, splitting each path on its own (slower, never fooled)."""
    per_path = [[token.strip() for token in text.split(sep)] for text in texts]
    for row, names in enumerate(per_path):
        if not all(names):
            if texts[row].strip() == "":
                raise XhsInputError(argument="paths", reason="is blank", position=(row + 1,))
            raise XhsInputError(
                argument="paths", position=(row + 1,),
                reason=f"has an empty channel between separators ({describe(texts[row])}, separator {sep!r})")
    channels = tuple(sorted({name for names in per_path for name in names}))
    code_of_name = {name: code for code, name in enumerate(channels)}
    touches = np.array([code_of_name[name] for names in per_path for name in names], dtype=np.int32)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(names) for names in per_path], out=offsets[1:])
    return channels, touches, offsets


def _parse_days(days: Any, sep: str, offsets: np.ndarray) -> np.ndarray:
    if isinstance(days, (str, bytes)) or not hasattr(days, "__len__"):
        raise XhsInputError(f"days_before_conversion must hold one entry per path (got {describe(days)})")
    items = list(days)
    # An Excel column arrives as one-element rows: unwrap ["9 > 2"] to "9 > 2".
    items = [item[0] if isinstance(item, (list, tuple)) and len(item) == 1 and isinstance(item[0], str) else item
             for item in items]
    n_paths = len(offsets) - 1
    if len(items) != n_paths:
        raise XhsInputError(f"days_before_conversion has {len(items)} rows but paths has {n_paths}")
    flat: list[Any] = []
    for row, item in enumerate(items):
        parts = item.split(sep) if isinstance(item, str) else ([item] if np.ndim(item) == 0 else list(item))
        expected = int(offsets[row + 1] - offsets[row])
        if len(parts) != expected:
            raise XhsInputError(
                argument="days_before_conversion", position=(row + 1,),
                reason=f"has {len(parts)} numbers but its path has {expected} touches")
        flat.extend(parts)
    try:
        numbers = [float(part) for part in flat]
    except (TypeError, ValueError):
        bad = next(p for p in flat if not is_number(p))
        raise XhsInputError(f"days_before_conversion must hold numbers (got {describe(bad)})") from None
    return numeric(np.asarray(numbers, dtype=float), "days_before_conversion", ge=0)



# -- grouping ------------------------------------------------------------------------------------------
def gather_paths(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Touch indices and new offsets of the paths ``rows`` (in that order)."""
    lengths = offsets[rows + 1] - offsets[rows]
    new_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    source = np.repeat(offsets[rows] - new_offsets[:-1], lengths) + np.arange(new_offsets[-1], dtype=np.int64)
    return source, new_offsets


def _dense_ids(keys: np.ndarray) -> tuple[np.ndarray, int]:
    unique, inverse = np.unique(keys, return_inverse=True)
    return inverse.astype(np.int64, copy=False), len(unique)


def group_sequences(touches: np.ndarray, offsets: np.ndarray, n_symbols: int) -> tuple[np.ndarray, int]:
    """Group id of every sequence (equal ids ⇔ identical sequences) and the number of groups. Exact.

    Sequences are refined a few positions at a time: a sequence's id so far and its next ``m`` symbols
    are packed into one int64 (``m`` as large as fits) and re-numbered with :func:`numpy.unique`. Only
    sequences still long enough take part in a pass (they are a prefix once sorted by length), so the
    work is proportional to the number of touches, with no cap on path length and no hashing.
    """
    lengths = np.diff(offsets)
    n = len(lengths)
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    group, n_groups = _dense_ids(lengths)
    by_length = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[by_length]
    base = n_symbols + 1  # digit 0 marks "past the end" of a shorter sequence
    bits_per_digit = math.log2(base)
    position, longest = 0, int(sorted_lengths[0]) if n else 0
    while position < longest:
        n_active = int(np.searchsorted(-sorted_lengths, -position, side="left"))
        active = by_length[:n_active]
        digits = max(1, int((62 - math.log2(max(n_groups, 2))) // bits_per_digit))
        key = group[active].astype(np.int64)
        start = offsets[active]
        active_lengths = lengths[active]
        for step in range(position, min(position + digits, longest)):
            inside = active_lengths > step
            symbol = touches[np.where(inside, start + step, 0)].astype(np.int64) + 1
            key = key * base + np.where(inside, symbol, 0)
        group[active], n_groups = _dense_ids(key)
        position += digits
    # A sequence's last pass is fixed by its length, so ids from different passes are told apart by length.
    return _dense_ids(lengths.astype(np.int64) * (int(group.max()) + 1) + group)

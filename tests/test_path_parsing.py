"""The byte-level path parser gives exactly what splitting each path string gives, or steps aside.

:func:`xhsxl.core.attribution.paths.path_table` parses path strings with numpy over their UTF-8 bytes and
falls back to splitting the strings (``str.split``) when it cannot key a table. These tests pin that both
routes agree on any table, that the fast route is the one taken for ordinary tables, and that a hash
collision between two spellings is detected rather than merging two channels.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhsxl.core.attribution import paths
from xhsxl.core.attribution.paths import path_table
from xhsxl.core.errors import XhsInputError

NAMES = st.sampled_from(["kol_mid", "kol_micro", "search_ads", "小红书", "天猫 旗舰店", "a", "x" * 70, "ad-", "b>c"])
SPACES = st.sampled_from(["", " ", "  ", "\t", "\u3000"])
SEPARATORS = st.sampled_from([">", " > ", "->", "--", "|", "》", "||"])


@st.composite
def path_texts(draw: st.DrawFn) -> tuple[list[str], str]:
    sep = draw(SEPARATORS)
    texts = []
    for _ in range(draw(st.integers(1, 30))):
        names = draw(st.lists(NAMES, min_size=1, max_size=6))
        texts.append(sep.join(draw(SPACES) + name + draw(SPACES) for name in names))
    return texts, sep


def _by_split(texts: list[str], sep: str):
    try:
        return paths._parse_paths_by_split(texts, sep)
    except XhsInputError as error:
        return str(error)


def _parsed(texts: list[str], sep: str):
    try:
        return paths._parse_paths(texts, sep)
    except XhsInputError as error:
        return str(error)


@settings(max_examples=300, deadline=None)
@given(path_texts())
def test_byte_parser_equals_splitting_each_path(case: tuple[list[str], str]) -> None:
    texts, sep = case
    expected, got = _by_split(texts, sep), _parsed(texts, sep)
    if isinstance(expected, str):
        assert got == expected
        return
    assert got[0] == expected[0]
    assert got[1].tolist() == expected[1].tolist()
    assert got[2].tolist() == expected[2].tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=20), st.sampled_from([">", "->", "::"]))
def test_byte_parser_equals_splitting_on_arbitrary_text(texts: list[str], sep: str) -> None:
    # Any text at all (empty channels, NULs, separators cut by the join): the same channels and codes, or the
    # same error.
    expected, got = _by_split(texts, sep), _parsed(texts, sep)
    if isinstance(expected, str) or isinstance(got, str):
        assert got == expected
        return
    assert (got[0], got[1].tolist(), got[2].tolist()) == (expected[0], expected[1].tolist(), expected[2].tolist())


def test_ordinary_tables_take_the_byte_route() -> None:
    texts = ["kol_mid > search_ads > tmall", "kol_micro", " 小红书 >天猫 "] * 1_000
    assert paths._parse_paths_bytes(texts, ">") is not None


def test_two_spellings_in_one_slot_are_never_merged(monkeypatch: pytest.MonkeyPatch) -> None:
    # Three spellings in a two-slot table must share a slot: the collision is seen and the split route answers.
    monkeypatch.setattr(paths, "_TABLE_BITS", 1)
    assert paths._parse_paths_bytes(["a > b > c"], ">") is None
    table = path_table(["a > b > c", "b"], [1, 0], nulls=[0, 1])
    assert table.channels == ("a", "b", "c") and table.touches.tolist() == [0, 1, 2, 1]


def test_batches_keep_codes_and_offsets_across_batch_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "_BYTE_BATCH", 3)
    texts = ["a > b", "c", "b > c > a", "a", "d > a", "b > b", "c"]
    got = paths._parse_paths_bytes(texts, ">")
    expected = paths._parse_paths_by_split(texts, ">")
    assert got is not None and got[0] == expected[0]
    assert np.array_equal(got[1], expected[1]) and np.array_equal(got[2], expected[2])

"""Output files: names that stay in the folder and are valid everywhere, writes that are all or nothing."""

import errno
import os
import signal
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhsxl.workbook.safe_files import (
    MAX_STEM_BYTES,
    TEMP_PREFIX,
    UnsafePathError,
    atomic_write,
    clean_stray_temps,
    safe_path,
    slugify,
    unique_names,
)

ROOT = Path(__file__).resolve().parent.parent
WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
BIDI_AND_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\ufeff"


def assert_portable_stem(stem: str) -> None:
    """A stem every file system the tool targets accepts, with ``.xlsx`` and a collision suffix added."""
    assert stem and stem == stem.strip()
    assert not stem.startswith((".", "-")) and not stem.endswith((".", "-", " "))
    assert not WINDOWS_FORBIDDEN & set(stem)
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp") for c in stem), stem
    assert stem.upper() not in WINDOWS_DEVICES
    assert len(f"{stem}-99999.xlsx".encode()) <= 255


# --------------------------------------------------------------------------------------------------- slugify
@pytest.mark.parametrize(
    "name, slug",
    [
        ("../../x", "x"),
        ("/etc/passwd", "etc-passwd"),
        ("C:\\Windows\\system32", "C-Windows-system32"),
        ('=HYPERLINK("http://x","y")', "HYPERLINK-http-x-y"),
        ("+cmd|' /C calc'!A0", "cmd-C-calc-A0"),
        ("@SUM(A1:A9)", "SUM-A1-A9"),
        ("-2+3", "2-3"),
        ("小红书 美妆旗舰店", "小红书-美妆旗舰店"),
        ("ＡＢＣ　１２３", "ABC-123"),  # full-width letters, digits and space (NFKC)
        ("Café Crème", "Café-Crème"),
        ("Cafe\u0301", "Café"),  # decomposed accent composes
        ("\u202eevil.xlsx", "evil-xlsx"),
        ("exe.\u202exslx", "exe-xslx"),
        ("ab\u200bcd\u200d", "abcd"),
        ("nul\x00byte", "nulbyte"),
        ("tab\tand\nnewline", "tab-and-newline"),
        ("...", "client"),
        ("'\"<>|?*:", "client"),
        ("", "client"),
        ("\u202e\u200f", "client"),
        ("CON", "CON-client"),
        ("con", "con-client"),
        ("Com1", "Com1-client"),
        ("LPT9", "LPT9-client"),
        ("nul.xlsx", "nul-xlsx"),  # no longer a device name once the dot is gone
        ("aux.", "aux-client"),
        ("COM10", "COM10"),
        ("Brand A --- Q3__2024", "Brand-A-Q3-2024"),
    ],
)
def test_slugify_reduces_client_text_to_a_safe_stem(name, slug):
    assert slugify(name) == slug
    assert_portable_stem(slug)


def test_slugify_truncates_long_chinese_names_on_a_character_boundary():
    name = "小红书美妆" * 60  # 300 characters
    slug = slugify(name)
    assert slug == name[:80]
    assert len(slug.encode()) == 240 <= MAX_STEM_BYTES


def test_slugify_never_leaves_a_trailing_hyphen_or_a_bare_letter_after_truncation():
    assert slugify("a" * 79 + " b", max_length=80) == "a" * 79
    assert slugify("x" * 79 + "e\u0301", max_length=80) == "x" * 79 + "é"  # composed: fits
    # A letter whose accent has no precomposed form is cut with its accent, not separated from it.
    assert slugify("x" * 79 + "q\u0301", max_length=80) == "x" * 79


def test_slugify_caps_utf8_bytes_for_characters_outside_the_basic_plane():
    slug = slugify("\U00020000" * 80)  # CJK extension B: 4 bytes each
    assert len(slug.encode()) <= MAX_STEM_BYTES and len(slug) == MAX_STEM_BYTES // 4


def test_slugify_refuses_a_length_too_short_for_its_own_fallbacks():
    with pytest.raises(ValueError, match="max_length"):
        slugify("x", max_length=5)


def test_names_differing_only_in_case_get_different_files():
    stems = unique_names([slugify(n) for n in ["Brand", "BRAND", "brand", "Other"]])
    assert stems == ["Brand", "BRAND-2", "brand-3", "Other"]


def test_every_slug_names_a_real_file(tmp_path):
    names = [
        "../../x", "/etc/passwd", "CON", "con", "\u202eevil.xlsx", "nul\x00byte", "...", "小红书" * 100,
        '=HYPERLINK("http://x","y")', "Brand", "BRAND", "\U00020000" * 90, "emoji 💄 brand", "a/b\\c:d*e?f",
    ]
    stems = unique_names([slugify(name) for name in names])
    for stem in stems:
        path = safe_path(tmp_path, stem)
        path.write_bytes(b"x")
        assert path.parent == tmp_path.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{s}.xlsx" for s in stems)


@settings(max_examples=400, deadline=None)
@given(
    st.text(st.characters(codec=None, blacklist_categories=()), max_size=300)
    | st.text(st.sampled_from(list("./\\\x00-_ :*?\"<>|CONcon1") + list(BIDI_AND_INVISIBLE) + ["\u0301", "é"])),
    st.integers(min_value=16, max_value=200),
)
def test_slugify_output_is_always_a_safe_idempotent_stem(name, max_length):
    slug = slugify(name, max_length=max_length)
    assert "/" not in slug and "\\" not in slug and "\x00" not in slug
    assert not any(unicodedata.category(c)[0] == "C" for c in slug)
    assert not slug.startswith((".", "-"))
    assert len(slug) <= max_length
    assert_portable_stem(slug)
    assert slugify(slug, max_length=max_length) == slug


# --------------------------------------------------------------------------------------------------- unique names
def test_unique_names_suffixes_later_duplicates_in_input_order():
    assert unique_names(["a", "b", "a", "a"]) == ["a", "b", "a-2", "a-3"]


def test_a_generated_suffix_never_takes_another_clients_own_name():
    assert unique_names(["a", "a", "a-2"]) == ["a", "a-3", "a-2"]
    assert unique_names(["a-2", "a", "a"]) == ["a-2", "a", "a-3"]


def test_unique_names_keeps_reserved_names_free():
    assert unique_names(["summary", "Summary", "x"], reserved=["summary"]) == ["summary-2", "Summary-3", "x"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "A", "a-2", "A-2", "a-3", "b", "ß", "ss", "SS"]), max_size=12))
def test_unique_names_are_distinct_to_a_case_insensitive_file_system(names):
    result = unique_names(names)
    assert len(result) == len(names)
    assert len({unicodedata.normalize("NFKC", n).casefold() for n in result}) == len(result)
    assert unique_names(names) == result  # deterministic
    seen = set()
    for name, out in zip(names, result):
        key = name.casefold()
        if key not in seen:
            assert out == name  # a first occurrence keeps its stem
        seen.add(key)
        seen.add(out.casefold())


# --------------------------------------------------------------------------------------------------- safe_path
def test_safe_path_is_the_resolved_file_inside_the_folder(tmp_path):
    assert safe_path(tmp_path, "brand") == tmp_path.resolve() / "brand.xlsx"
    assert safe_path(tmp_path, "brand", ".csv").name == "brand.csv"


@pytest.mark.parametrize("stem", ["../x", "../../etc/passwd", "/etc/passwd", "sub/x", "..\\x", "", ".", "..", "a\x00b"])
def test_safe_path_refuses_a_stem_that_escapes_if_forced(tmp_path, stem):
    with pytest.raises(UnsafePathError):
        safe_path(tmp_path, stem, suffix="" if stem in (".", "..") else ".xlsx")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_safe_path_refuses_a_planted_symlink_that_points_outside(tmp_path):
    outside = tmp_path / "outside"
    out = tmp_path / "out"
    outside.mkdir()
    out.mkdir()
    (out / "brand.xlsx").symlink_to(outside / "victim.xlsx")
    with pytest.raises(UnsafePathError, match="outside"):
        safe_path(out, "brand")


# --------------------------------------------------------------------------------------------------- atomic_write
def writer(content: bytes):
    def write(path: Path) -> None:
        path.write_bytes(content)

    return write


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


def test_atomic_write_creates_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "brand.xlsx"
    seen = []

    def write(path: Path) -> None:
        seen.append(path)
        path.write_bytes(b"new")

    atomic_write(target, write)
    assert target.read_bytes() == b"new"
    assert seen[0].parent == tmp_path and seen[0].name.startswith(TEMP_PREFIX)
    assert seen[0].name.endswith(".xlsx.part")  # never ".xlsx": a killed run leaves nothing Excel would open
    assert leftovers(tmp_path) == []


def test_atomic_write_without_overwrite_leaves_the_old_file_byte_identical(tmp_path):
    target = tmp_path / "brand.xlsx"
    target.write_bytes(b"old contents")
    called = []
    with pytest.raises(FileExistsError, match="already exists"):
        atomic_write(target, lambda path: called.append(path))
    assert target.read_bytes() == b"old contents"
    assert called == [] and leftovers(tmp_path) == []


def test_atomic_write_refuses_a_file_that_appears_while_writing(tmp_path):
    target = tmp_path / "brand.xlsx"

    def slow_write(path: Path) -> None:
        path.write_bytes(b"mine")
        target.write_bytes(b"someone else's")  # another process wins the race

    with pytest.raises(FileExistsError):
        atomic_write(target, slow_write)
    assert target.read_bytes() == b"someone else's"
    assert leftovers(tmp_path) == []


def test_atomic_write_with_overwrite_replaces(tmp_path):
    target = tmp_path / "brand.xlsx"
    target.write_bytes(b"old")
    atomic_write(target, writer(b"new"), overwrite=True)
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_writer_that_raises_leaves_no_temporary_and_the_old_file_intact(tmp_path, overwrite):
    target = tmp_path / "brand.xlsx"
    if overwrite:
        target.write_bytes(b"old")

    def failing(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        atomic_write(target, failing, overwrite=overwrite)
    assert (target.read_bytes() == b"old") if overwrite else not target.exists()
    assert leftovers(tmp_path) == []


def test_atomic_write_gives_the_new_file_ordinary_permissions(tmp_path):
    atomic_write(tmp_path / "brand.xlsx", writer(b"x"))
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    assert (tmp_path / "brand.xlsx").stat().st_mode == plain.stat().st_mode


def test_without_hard_links_the_write_still_never_replaces_an_existing_file(tmp_path, monkeypatch):
    def no_links(source, destination):
        raise PermissionError(errno.EPERM, "Operation not permitted")  # what FAT and exFAT answer

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "brand.xlsx"
    atomic_write(target, writer(b"first"))
    assert target.read_bytes() == b"first"
    other = tmp_path / "other.xlsx"

    def racing(path: Path) -> None:
        path.write_bytes(b"mine")
        other.write_bytes(b"someone else's")  # appears after the first check, before the move

    with pytest.raises(FileExistsError):
        atomic_write(other, racing)
    assert other.read_bytes() == b"someone else's" and leftovers(tmp_path) == []


KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from xhsxl.workbook.safe_files import atomic_write

    how = sys.argv[2]

    def write(path):
        with open(path, "wb") as file:
            file.write(b"PK half a workbook")
            file.flush()
            os.fsync(file.fileno())
        if how == "exit":
            os._exit(3)
        os.kill(os.getpid(), signal.SIGKILL)

    atomic_write(Path(sys.argv[1]), write, overwrite=True)
    """
)


@pytest.mark.parametrize("how", ["exit", pytest.param("kill", marks=pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="no SIGKILL"))])
@pytest.mark.parametrize("existing", [None, b"the old workbook"])
def test_a_process_killed_mid_write_leaves_the_target_intact_and_a_temporary_that_is_cleaned(tmp_path, how, existing):
    target = tmp_path / "brand.xlsx"
    if existing is not None:
        target.write_bytes(existing)
    unrelated = [tmp_path / "other.xlsx", tmp_path / f"{TEMP_PREFIX}notes.txt", tmp_path / ".xhsxl-tmp-0123"]
    for path in unrelated:
        path.write_bytes(b"keep me")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target), how], capture_output=True, env=env)
    assert result.returncode == (3 if how == "exit" else -signal.SIGKILL), result.stderr
    assert (target.read_bytes() == existing) if existing is not None else not target.exists()
    strays = [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX) and p not in unrelated]
    assert len(strays) == 1 and strays[0].read_bytes() == b"PK half a workbook"
    assert clean_stray_temps(tmp_path) == strays
    assert clean_stray_temps(tmp_path) == []
    for path in unrelated:
        assert path.read_bytes() == b"keep me"
    assert (target.read_bytes() == existing) if existing is not None else not target.exists()


def test_clean_stray_temps_touches_nothing_but_its_own_temporaries(tmp_path):
    ours = [tmp_path / f"{TEMP_PREFIX}{'ab' * 8}.xlsx",  # as earlier versions named them
            tmp_path / f"{TEMP_PREFIX}{'ab' * 8}.xlsx.part"]
    for path in ours:
        path.write_bytes(b"")
    kept = [
        tmp_path / f"{TEMP_PREFIX}{'AB' * 8}.xlsx",  # upper-case hex is not a name we make
        tmp_path / f"{TEMP_PREFIX}{'ab' * 8}.xlsx.bak",
        tmp_path / f"x{TEMP_PREFIX}{'ab' * 8}.xlsx",
        tmp_path / "brand.xlsx",
    ]
    for path in kept:
        path.write_bytes(b"keep")
    folder = tmp_path / f"{TEMP_PREFIX}{'cd' * 8}"
    folder.mkdir()
    if hasattr(os, "symlink"):
        link = tmp_path / f"{TEMP_PREFIX}{'ef' * 8}.xlsx"
        link.symlink_to(tmp_path / "brand.xlsx")
    assert clean_stray_temps(tmp_path) == sorted(ours)
    assert all(path.read_bytes() == b"keep" for path in kept)
    assert folder.is_dir()
    assert clean_stray_temps(tmp_path / "missing") == []

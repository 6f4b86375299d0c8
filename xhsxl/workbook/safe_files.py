"""Output files that are never half-written, never overwritten by surprise and never outside the output folder.

A batch turns text typed by clients into file names and writes one workbook per client. Three things can go
wrong, and each has one guard here:

* **The name.** ``os.path.join(out, "../../x")`` leaves the folder, ``CON.xlsx`` cannot be opened on Windows,
  a right-to-left override makes ``"\\u202Exslx.exe"`` display as ``exe.xlsx``. :func:`slugify` reduces any
  text to letters, digits and single hyphens; :func:`unique_names` resolves collisions the way
  case-insensitive file systems (Windows, macOS) see them; :func:`safe_path` checks the resolved path once
  more, in case a slug or a planted symlink still points elsewhere.
* **The write.** Killing a process during ``wb.save(target)`` leaves a broken file and the old one gone.
  :func:`atomic_write` writes a temporary file in the same folder, fsyncs it and moves it into place in one
  step; :func:`clean_stray_temps` removes what a killed run left behind.
* **The old file.** Without ``overwrite=True`` an existing file is never replaced, not even by a second run
  that races the first between its check and its move (see :func:`atomic_write`).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

__all__ = [
    "DEFAULT_SLUG_LENGTH",
    "MAX_STEM_BYTES",
    "TEMP_PREFIX",
    "UnsafePathError",
    "slugify",
    "unique_names",
    "safe_path",
    "unsafe_entry",
    "atomic_write",
    "create_temp",
    "clean_stray_temps",
]

#: Default longest slug, in code points: long enough to tell brands apart, short enough for a file list.
DEFAULT_SLUG_LENGTH = 80

#: Longest slug in UTF-8 bytes. ext4 and APFS allow 255 bytes per name (Windows 255 UTF-16 units, never more
#: than the UTF-8 bytes); 240 keeps 80 Chinese characters (3 bytes each) whole and leaves 15 bytes for a
#: collision suffix ("-99999") and ".xlsx". Characters outside the BMP take 4 bytes, so this cap, not the
#: code-point one, is what keeps such names valid.
MAX_STEM_BYTES = 240

#: The fallback for a name with no letter or digit, and the suffix that makes a Windows device name usable.
FALLBACK_STEM = "client"

#: Smallest ``max_length`` :func:`slugify` accepts: "LPT9-client" must fit.
MIN_SLUG_LENGTH = 16

#: Every temporary file starts with this, so :func:`clean_stray_temps` can find them and nothing else. The
#: leading dot hides them on macOS and Linux while they are being written.
TEMP_PREFIX = ".xhsxl-tmp-"

_TEMP_TOKEN_BYTES = 8
_TEMP_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,16}")
#: A temporary file never ends in the target's extension, so that a killed run leaves no ``.xlsx`` that Excel
#: would offer to open (a dot-name is not hidden on Windows).
_TEMP_END = ".part"
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + rf"[0-9a-f]{{{2 * _TEMP_TOKEN_BYTES}}}(?:{_TEMP_SUFFIX.pattern})?"
                        + rf"(?:{re.escape(_TEMP_END)})?")

# Control characters, format characters (which include every bidi mark and override, U+200E/F, U+202A-E,
# U+2066-9, the zero-width space and joiners, the BOM) and lone surrogates, which no file system can store.
# They are dropped rather than turned into a hyphen: they are invisible, so the name as the user reads it has
# nothing there. White space among them (tab, line breaks) separates like a space instead.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

# Windows refuses these as file names with any extension and in any case ("con.xlsx", "Com1.txt").
_WINDOWS_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)


class UnsafePathError(ValueError):
    """A file name would place the file somewhere other than directly inside the output folder."""


# --------------------------------------------------------------------------------------------------- names
def slugify(name: str, max_length: int = DEFAULT_SLUG_LENGTH) -> str:
    """A file-name stem from client text: letters and digits of any script joined by single hyphens.

    The text is NFKC-normalised (full-width letters become ASCII, ligatures split); control, bidi and
    zero-width characters are dropped; letters, digits and the combining marks that belong to them are kept
    (Chinese stays Chinese); every run of anything else — path separators, dots, spaces, quotes,
    ``:*?"<>|`` — becomes one ``-``, and hyphens are stripped from both ends. A name with nothing left is
    ``"client"``; a Windows device name (``CON``, ``NUL``, ``COM1`` …) gets ``-client`` appended. The result
    has at most ``max_length`` code points and :data:`MAX_STEM_BYTES` UTF-8 bytes, is cut between characters
    (never between a letter and its accent) and does not end in a hyphen. ``slugify`` of a slug is the slug.

    >>> slugify("../../x")
    'x'
    >>> slugify("/etc/passwd")
    'etc-passwd'
    >>> slugify('=HYPERLINK("http://x","y")')
    'HYPERLINK-http-x-y'
    >>> slugify("小红书 Beauty: 2024/Q3")
    '小红书-Beauty-2024-Q3'
    >>> slugify("con")
    'con-client'
    >>> slugify("...")
    'client'
    """
    if max_length < MIN_SLUG_LENGTH:
        raise ValueError(f"max_length must be at least {MIN_SLUG_LENGTH} (got {max_length})")
    pieces: list[str] = []
    separator_pending = False
    for char in unicodedata.normalize("NFKC", str(name)):
        category = unicodedata.category(char)
        # Tabs and line breaks are control characters but separate words like a space does.
        if category in _DROPPED_CATEGORIES and not char.isspace():
            continue
        # A combining mark is part of the letter before it; after a separator or at the start it has nothing
        # to attach to and counts as a separator itself.
        keep = category[0] in "LN" or (category[0] == "M" and pieces and not separator_pending)
        if not keep:
            separator_pending = True
            continue
        if separator_pending and pieces:
            pieces.append("-")
        separator_pending = False
        pieces.append(char)
    # Dropping an invisible character can bring a letter and a following accent together; normalising again
    # composes them, so that slugify(slugify(x)) == slugify(x).
    stem = _truncate(unicodedata.normalize("NFKC", "".join(pieces)), max_length).strip("-")
    if not stem:
        return FALLBACK_STEM
    if stem.upper() in _WINDOWS_DEVICE_NAMES:
        return f"{stem}-{FALLBACK_STEM}"
    return stem


def _truncate(stem: str, max_length: int) -> str:
    """At most ``max_length`` code points and :data:`MAX_STEM_BYTES` bytes, cut before a base character."""
    cut = min(len(stem), max_length)
    while cut > 0 and len(stem[:cut].encode("utf-8", "surrogatepass")) > MAX_STEM_BYTES:
        cut -= 1
    # Never leave a letter without the accents that follow it: cut before the letter instead.
    while 0 < cut < len(stem) and unicodedata.category(stem[cut]).startswith("M"):
        cut -= 1
    return stem[:cut].rstrip("-")


def _file_system_key(name: str) -> str:
    """How a case-insensitive file system compares names: "Brand.xlsx" and "BRAND.xlsx" are one file."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def unique_names(names: Sequence[str], reserved: Iterable[str] = ()) -> list[str]:
    """The same stems, made distinct for a case-insensitive file system, deterministically.

    The first occurrence of a stem keeps it; each later one gets the smallest suffix ``-2``, ``-3`` … that
    collides neither with a stem already handed out nor with any *original* stem further down the list, so
    a client actually called "a-2" keeps "a-2". Stems in ``reserved`` (say, ``"summary"`` for the batch's
    own summary workbook) are never handed out. Comparison ignores case (casefold) and NFKC differences.

    >>> unique_names(["a", "A", "a-2", "b"])
    ['a', 'A-3', 'a-2', 'b']
    >>> unique_names(["summary"], reserved=["summary"])
    ['summary-2']
    """
    blocked = {_file_system_key(name) for name in reserved}
    originals = {_file_system_key(name) for name in names}
    result: list[str] = []
    for name in names:
        key = _file_system_key(name)
        if key in blocked:
            number = 2
            while (candidate := _file_system_key(f"{name}-{number}")) in blocked or candidate in originals:
                number += 1
            name, key = f"{name}-{number}", _file_system_key(f"{name}-{number}")
        blocked.add(key)
        result.append(name)
    return result


def safe_path(out_dir: Path, stem: str, suffix: str = ".xlsx") -> Path:
    """``out_dir / (stem + suffix)`` with ``out_dir`` resolved; :class:`UnsafePathError` unless that name is a
    plain file directly in ``out_dir`` — or nothing yet.

    A slug never contains a separator, so this is a second line of defence: it refuses ``..``, sub-folders,
    and any existing entry of that name that is not a regular file. A symlink is refused wherever it points —
    inside the folder too: ``Zed.xlsx -> Acme.xlsx`` would otherwise have Zed's workbook written into Acme's
    file. The path returned is the chosen name itself, never the target of a link.
    """
    name = f"{stem}{suffix}"
    if not stem or "\x00" in name or "/" in name or "\\" in name or name in (".", ".."):
        raise UnsafePathError(f"{name!r} is not a plain file name")
    root = Path(out_dir).resolve()
    candidate = root / name
    refusal = unsafe_entry(candidate)
    if refusal:
        raise UnsafePathError(refusal)
    if candidate.resolve().parent != root or candidate.resolve().name != name:
        raise UnsafePathError(f"{name!r} would be written to {candidate.resolve()}, not to {candidate}")
    return candidate


def unsafe_entry(path: Path) -> str | None:
    """Why writing to ``path`` could reach a file other than ``path`` itself (a symlink, a folder, a device,
    a pipe), or None when it is a regular file or does not exist. Never follows a link."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode):
        try:
            pointed = os.readlink(path)
        except OSError:
            pointed = "?"
        return (f"{path.name} is a symbolic link (to {pointed}), not a workbook; it was not followed — remove "
                "the link to write this client")
    if stat.S_ISDIR(mode):
        return f"{path.name} is a folder; remove or rename it to write this client"
    if not stat.S_ISREG(mode):
        return f"{path.name} is not a regular file; remove it to write this client"
    return None


# --------------------------------------------------------------------------------------------------- writing
def atomic_write(target: Path, write: Callable[[Path], object], overwrite: bool = False) -> None:
    """Write ``target`` through ``write(temp_path)`` so that it is either the old file or the whole new one.

    ``write`` receives the path of an empty temporary file (``.xhsxl-tmp-<random><suffix>.part``) in the same
    folder as ``target`` and must write the complete content there (``lambda p: workbook.save(p)``). Then the
    temporary file is flushed to disk (``os.fsync``), moved onto ``target`` and the folder entry is flushed
    too where the operating system allows it (POSIX). If ``write`` or any step raises, the temporary file is
    removed, ``target`` is untouched and the exception propagates. If the process is killed, ``target`` is
    still untouched and only the temporary file remains, for :func:`clean_stray_temps`.

    With ``overwrite=False`` an existing ``target`` raises :class:`FileExistsError` before anything is
    written. Because another process could create ``target`` between that check and the move, the move is
    made with ``os.link`` (fails if ``target`` exists — an atomic "create, never replace") and the temporary
    name is then unlinked. Where the file system has no hard links (FAT, exFAT, some network shares) Windows
    falls back to ``os.rename``, which also refuses to replace, and POSIX to the check followed by
    ``os.replace``: the only case where a race can still replace a file that appeared a moment earlier.
    """
    target = Path(target)
    if not overwrite and os.path.lexists(target):  # a link, even a dangling one, is never written through
        raise _exists_error(target)
    temp = create_temp(target.parent, target.suffix)
    try:
        write(temp)
        _fsync_file(temp)
        if overwrite:
            os.replace(temp, target)
        else:
            _move_without_replacing(temp, target)
        _fsync_directory(target.parent)
    except BaseException:
        # KeyboardInterrupt too: a temporary file is only ever left behind by a process that is killed.
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def _exists_error(target: Path) -> FileExistsError:
    return FileExistsError(f"{target} already exists and was left unchanged (not asked to overwrite it)")


def create_temp(directory: Path, suffix: str) -> Path:
    """An empty new file with an unguessable name in ``directory``; permissions follow the umask as for any
    file the user creates (``tempfile.mkstemp`` would make it private, and the workbook with it)."""
    suffix = suffix if _TEMP_SUFFIX.fullmatch(suffix) else ""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _attempt in range(100):
        temp = directory / f"{TEMP_PREFIX}{secrets.token_hex(_TEMP_TOKEN_BYTES)}{suffix}{_TEMP_END}"
        try:
            descriptor = os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
        os.close(descriptor)
        return temp
    raise FileExistsError(f"could not create a temporary file in {directory}")


def _fsync_file(path: Path) -> None:
    # Re-opened after the writer closed it: writers such as openpyxl open and close the file themselves.
    # Read-write, because Windows refuses to flush a handle opened for reading only.
    descriptor = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _move_without_replacing(temp: Path, target: Path) -> None:
    try:
        os.link(temp, target)
    except FileExistsError:
        raise _exists_error(target) from None
    except (OSError, NotImplementedError, AttributeError):
        # No hard links on this file system (EPERM on FAT, EOPNOTSUPP on some shares) or platform.
        if os.name == "nt":
            try:
                os.rename(temp, target)
            except FileExistsError:
                raise _exists_error(target) from None
            return
        if os.path.lexists(target):
            raise _exists_error(target) from None
        os.replace(temp, target)
        return
    os.unlink(temp)


def _fsync_directory(directory: Path) -> None:
    """Make the new directory entry durable. POSIX only: Windows cannot open a directory this way, and some
    file systems refuse to fsync one — the file itself is already on disk either way."""
    if os.name == "nt":
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EACCES):
            raise
    finally:
        os.close(descriptor)


def clean_stray_temps(out_dir: Path) -> list[Path]:
    """Remove the temporary files an interrupted :func:`atomic_write` left in ``out_dir``; return them, sorted.

    Only regular files whose whole name has the form ``.xhsxl-tmp-<16 hex digits>[.ext][.part]`` are removed, so a
    user's ``.xhsxl-tmp-notes.txt``, a symlink or a folder is never touched. Call it when a run starts,
    before writing: it would also remove the temporary file of another run writing to the same folder at
    that moment.
    """
    directory = Path(out_dir)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return removed
    for entry in entries:
        if _TEMP_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            removed.append(directory / entry.name)
    return sorted(removed)

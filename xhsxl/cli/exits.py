"""The one path from an error to an exit: every command's failure ends in one escaped line and a documented code.

Commands raise; they do not print-and-exit. :class:`App` wraps every command it registers in
:func:`exits_cleanly`, which turns each expected error type into a single line on stderr — where (the file,
row or cell the message or :func:`about` names), what, and what to do — and the :class:`ExitCode` that
``xhsxl --help`` and ``docs/cli.md`` document. Text from files and arguments reaches the terminal escaped, so a
cell, header or path holding ``[/]`` is printed as written instead of being read as rich markup.

The package's own error types are recognised by class name, so that this module imports none of the readers,
workbook writers or engines that raise them (``xhsxl --help`` stays light), and keeps working when a type moves
between modules.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import functools
import os
import re
from pathlib import Path
from typing import Any, Callable, Iterator, ParamSpec, TypeVar

import typer
from rich.markup import escape

__all__ = ["ExitCode", "CommandError", "App", "exits_cleanly", "about", "one_line", "describe_error",
           "exit_codes_text", "TRACEBACK_VARIABLE", "print_error", "check_output_file", "visible"]

#: Set to 1 to let an unexpected error (exit 3) show its Python traceback.
TRACEBACK_VARIABLE = "XHSXL_TRACEBACK"

#: A message quotes at most this many characters of one value, so a megabyte of input is not echoed back.
MAX_MESSAGE_CHARS = 400


class ExitCode(enum.IntEnum):
    """What a command's exit status means. The docstrings are the documentation (``--help``, docs/cli.md)."""

    OK = 0
    FILE = 1
    INPUT = 2
    INTERNAL = 3
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "done; every row written, every cell computed",
    ExitCode.FILE: "a file or folder could not be read or written: missing, a folder, no permission, disk full, "
                   "not the format its name says, undecodable, too large, or already there without --overwrite",
    ExitCode.INPUT: "invalid input: a value, option, cell or row was refused (the message names it); also a batch "
                    "with rows not written, or a recalculated workbook with cells ending in an error",
    ExitCode.INTERNAL: f"an unexpected error inside xhsxl (a bug): the line names it; {TRACEBACK_VARIABLE}=1 shows "
                       "the traceback",
    ExitCode.INTERRUPTED: "interrupted (Ctrl+C); files are either complete or untouched",
}


def exit_codes_text(width: int = 78) -> str:
    """The exit codes as ``xhsxl --help`` lists them: a code per paragraph, wrapped to ``width``."""
    import textwrap

    return "\n".join(textwrap.fill(code.meaning, width, initial_indent=f"{int(code):>5}  ",
                                    subsequent_indent=" " * 7) for code in ExitCode)


class CommandError(Exception):
    """A command refuses to go on; ``str(error)`` is the whole message and ``code`` the exit status."""

    def __init__(self, message: str, code: ExitCode = ExitCode.INPUT) -> None:
        super().__init__(message)
        self.code = code


# Our own and third-party error types, by the name of any class in their MRO (see the module docstring).
_FILE_ERROR_NAMES = frozenset({
    "InputFileError",         # a client table, touch log or workbook that cannot be read
    "UnsafePathError",         # a file name that would leave its folder
    "RecalcUnavailableError",  # the optional recalculation engine is not installed
    "BadZipFile", "LargeZipFile",  # an .xlsx that is not a zip archive
    "ParseError", "ExpatError", "DefusedXmlException",  # malformed or hostile XML inside a workbook
    "InvalidFileException",    # openpyxl: not a workbook it can open
    "JSONDecodeError",
})
_INPUT_ERROR_NAMES = frozenset({"XhsInputError", "ValidationError"})

# typer's exits and click's usage errors (status 2, with the command's usage), whichever click typer uses.
_PASSED_THROUGH = frozenset({"Exit", "Abort", "ClickException"})

_WHERE = "xhsxl_where"


@contextlib.contextmanager
def about(path: Path | str) -> Iterator[None]:
    """Name ``path`` as the place of any error raised inside, unless its message already names it."""
    try:
        yield
    except Exception as error:
        if getattr(error, _WHERE, None) is None:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(error, _WHERE, str(path))
        raise


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def visible(text: str) -> str:
    """``text`` with every control character but the line break shown as ``\\xNN``: input cannot ring the bell,
    move the cursor or colour the terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group(0)):02x}", str(text))


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line: line breaks and tabs as spaces, other control characters as ``\\xNN``, at most
    ``limit`` characters (the rest replaced by ``…``)."""
    text = visible(re.sub(r"[\r\n\t\u2028\u2029]+", " ", str(text)).strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def _os_error_text(error: OSError) -> str:
    path = error.filename if error.filename is not None else getattr(error, _WHERE, None)
    reason = {
        errno.ENOENT: "no such file or folder",
        errno.EISDIR: "is a folder, not a file",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EACCES: "permission denied (check its permissions, or close it in Excel)",
        errno.EPERM: "not permitted (the file may be read-only, locked or open in another program)",
        errno.ENOSPC: "the disk is full; free some space and run again",
        errno.EROFS: "the file system is read-only",
        errno.EEXIST: "already exists; add --overwrite to replace it",
        errno.ENAMETOOLONG: "the name is too long",
    }.get(error.errno or 0, error.strerror or str(error) or type(error).__name__)
    if isinstance(error, FileExistsError) and error.errno is None:
        text = str(error)  # safe_files' own message names the file and says it was left unchanged
        return text if "--overwrite" in text else f"{text}; add --overwrite to replace it"
    return f"{path}: {reason}" if path else reason


def _validation_text(error: Any) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ())) or "input"
        problems.append(f"{where} = {item.get('input')!r}: {item.get('msg')}")
    return "; ".join(problems)


def describe_error(error: BaseException) -> tuple[ExitCode, str]:
    """The exit code and the one-line message (not yet escaped) for an error a command raised."""
    names = _names(error)
    where = getattr(error, _WHERE, None)
    if isinstance(error, CommandError):
        code, text = error.code, str(error)
    elif names & _INPUT_ERROR_NAMES:
        code = ExitCode.INPUT
        text = _validation_text(error) if "ValidationError" in names and hasattr(error, "errors") else str(error)
    elif isinstance(error, UnicodeError):
        code = ExitCode.FILE
        reason = getattr(error, "reason", str(error))
        encoding = getattr(error, "encoding", "the expected encoding")
        text = f"not {encoding} text ({reason}); save it as UTF-8"
    elif names & _FILE_ERROR_NAMES:
        code = ExitCode.FILE
        text = str(error) or type(error).__name__
        if "JSONDecodeError" in names:
            text = f"not valid JSON: {text}"
        elif names & {"BadZipFile", "LargeZipFile", "InvalidFileException"}:
            text = f"not an XLSX workbook ({text})"
        elif names & {"ParseError", "ExpatError", "DefusedXmlException"}:
            text = f"malformed or refused XML inside the workbook ({type(error).__name__}: {text})"
    elif isinstance(error, OSError):
        code, text = ExitCode.FILE, _os_error_text(error)
        where = None if error.filename is not None else where
    elif isinstance(error, MemoryError):
        code, text = ExitCode.FILE, "out of memory; the input is too large for this machine"
    else:
        code = ExitCode.INTERNAL
        text = (f"unexpected {type(error).__name__}: {error} (a bug in xhsxl; {TRACEBACK_VARIABLE}=1 shows "
                "where)")
    text = one_line(text or type(error).__name__)
    if where and where not in text and Path(where).name not in text:
        text = f"{where}: {text}"
    return code, text


def check_output_file(path: Path) -> None:
    """Refuse, before any work is done, an output file name that is a folder or whose folder does not exist."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{path}: is a folder; give the name of a file to write", ExitCode.FILE)
    folder = path.parent
    if not folder.exists():
        raise CommandError(f"{path}: the folder {folder} does not exist; create it first", ExitCode.FILE)
    if not folder.is_dir():
        raise CommandError(f"{path}: {folder} is a file, not a folder", ExitCode.FILE)


def print_error(text: str) -> None:
    """One error line on stderr: ``text`` is put on one line, escaped here and never wrapped."""
    from xhsxl.cli.output import errors

    errors.print(f"[bold red]error:[/] {escape(one_line(text))}", soft_wrap=True, highlight=False)


_F = TypeVar("_F", bound=Callable[..., Any])
_P = ParamSpec("_P")
_R = TypeVar("_R")


def exits_cleanly(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """``command`` with every error it raises turned into one line on stderr and an :class:`ExitCode`."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            print_error("interrupted")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as error:
            if _names(error) & _PASSED_THROUGH:
                raise
            code, text = describe_error(error)
            if code == ExitCode.INTERNAL and os.environ.get(TRACEBACK_VARIABLE):
                raise
            print_error(text)
            raise typer.Exit(code) from None

    return run


class App(typer.Typer):
    """A :class:`typer.Typer` whose every command runs inside :func:`exits_cleanly`: no command can forget it."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[_F], _F]:
        register = super().command(*args, **kwargs)

        def decorator(function: _F) -> _F:
            register(exits_cleanly(function))
            return function

        return decorator


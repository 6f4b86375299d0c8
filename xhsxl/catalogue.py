"""The XHS_ function library described from its own source: names, signatures, help, argument docs.

Outside Windows Excel the xlwings decorators do nothing and keep nothing, so the argument docs written in
``@xw.arg(..., doc=...)`` exist only in the source of :mod:`xhsxl.udfs`. This module reads them from there
(with :mod:`ast`, nothing is executed), so ``xhsxl functions``, the README's function reference and the
decorator lint all describe exactly what Excel's function wizard shows.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Argument", "FunctionDoc", "Decorator", "udf_source_path", "read_catalogue", "markdown_reference"]


@dataclass(frozen=True)
class Argument:
    name: str
    doc: str | None
    optional: bool
    options: dict[str, object]


@dataclass(frozen=True)
class Decorator:
    """One decorator as written: ``xw.func`` / ``xw.arg`` / ``xw.ret`` and its keyword options."""

    name: str
    target: str | None
    options: dict[str, object]


@dataclass(frozen=True)
class FunctionDoc:
    name: str
    summary: str
    arguments: tuple[Argument, ...]
    decorators: tuple[Decorator, ...]
    keyword_only: tuple[str, ...]
    line: int

    @property
    def signature(self) -> str:
        """As a user types it in Excel: optional arguments in brackets."""
        parts = [f"[{a.name}]" if a.optional else a.name for a in self.arguments]
        return f"{self.name}({', '.join(parts)})"


def udf_source_path() -> Path:
    spec = importlib.util.find_spec("xhsxl.udfs")
    if spec is None or spec.origin is None:
        raise RuntimeError("xhsxl.udfs cannot be found")
    return Path(spec.origin)


def _decorator(node: ast.expr) -> Decorator | None:
    call = node if isinstance(node, ast.Call) else None
    func = call.func if call else node
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "xw"):
        return None
    target = None
    options: dict[str, object] = {}
    if call:
        # An argument's name is text; anything else names no argument, which the UDF lint then reports.
        if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            target = call.args[0].value
        for keyword in call.keywords:
            try:
                options[str(keyword.arg)] = ast.literal_eval(keyword.value)
            except ValueError:
                options[str(keyword.arg)] = ast.unparse(keyword.value)
    return Decorator(func.attr, target, options)


def _resolve(value: object, constants: dict[str, str]) -> object:
    """A doc given as a module-level string constant (``doc=_WEIGHTS_DOC``) read as its text."""
    return constants.get(value, value) if isinstance(value, str) else value


def read_catalogue(source: str | None = None) -> list[FunctionDoc]:
    """Every decorated function of the UDF module, in source order."""
    text = source if source is not None else udf_source_path().read_text(encoding="utf-8")
    tree = ast.parse(text)
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }
    functions = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        decorators = tuple(d for d in map(_decorator, node.decorator_list) if d is not None)
        if not decorators:
            continue
        docs = {d.target: d for d in decorators if d.name == "arg"}
        positional = node.args.args
        first_optional = len(positional) - len(node.args.defaults)
        arguments = []
        for index, arg in enumerate(positional):
            decorator = docs.get(arg.arg)
            options = {k: _resolve(v, constants) for k, v in (decorator.options if decorator else {}).items()}
            doc = options.pop("doc", None)
            # A doc is text (a literal or a string constant); anything else counts as missing.
            arguments.append(Argument(arg.arg, doc if isinstance(doc, str) else None, index >= first_optional, options))
        functions.append(FunctionDoc(
            name=node.name,
            summary=" ".join((ast.get_docstring(node) or "").split()),
            arguments=tuple(arguments),
            decorators=decorators,
            keyword_only=tuple(a.arg for a in node.args.kwonlyargs),
            line=node.lineno,
        ))
    return functions


def markdown_reference(functions: list[FunctionDoc] | None = None) -> str:
    """The README's function reference table, one row per function."""
    rows = ["| Function | What it returns | Arguments |", "|---|---|---|"]
    for f in functions if functions is not None else read_catalogue():
        args = "<br>".join(f"`{a.name}`{' (optional)' if a.optional else ''}: {a.doc}" for a in f.arguments) or "none"
        rows.append(f"| `{f.signature}` | {f.summary.replace('|', '/')} | {args.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


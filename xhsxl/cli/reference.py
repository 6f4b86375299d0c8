"""Reference commands: the version, the XHS_ function library and the campaign inputs of the one schema."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from xhsxl.cli.exits import App, CommandError
from xhsxl.cli.output import Column, FormatOption, OutputFormat, Section, emit, say

app = App()


@app.command()
def version() -> None:
    """Print the xhsxl version."""
    import xhsxl

    say(f"xhsxl {xhsxl.__version__}")


def _function_sections(name: str) -> list[Section]:
    from xhsxl import catalogue

    library = catalogue.read_catalogue()
    wanted = name.upper()
    match = [f for f in library if f.name.upper() in (wanted, f"XHS_{wanted}")]
    if not match:
        raise CommandError(f"no function {name!r}; run 'xhsxl functions' for the list")
    function = match[0]
    head = Section("function", "", [
        Column("name", table=False), Column("signature", "", "text"), Column("summary", "", "text")],
        [{"name": function.name, "signature": function.signature, "summary": function.summary}], blocks=True)
    arguments = Section("arguments", "Arguments", [
        Column("argument", "", "text", show=lambda row: row["argument"] + (" (optional)" if row["optional"] else "")),
        Column("optional", unit="flag", table=False), Column("meaning", "", "text")],
        [{"argument": a.name, "optional": a.optional, "meaning": a.doc or ""} for a in function.arguments],
        blocks=True)
    return [head, arguments] if function.arguments else [head]


@app.command()
def functions(
    name: Annotated[Optional[str], typer.Argument(help="Show one function in full (XHS_ROI or ROI).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List the XHS_ Excel functions with their signatures and help (read from the function library itself)."""
    from xhsxl import catalogue

    if name:
        emit(_function_sections(name), fmt)
        return
    library = catalogue.read_catalogue()
    emit(Section("functions", f"{len(library)} XHS_ functions", [
        Column("name", table=False), Column("signature", "function", "text"), Column("summary", "", "text")],
        [{"name": f.name, "signature": f.signature, "summary": f.summary} for f in library], blocks=True), fmt)


@app.command()
def fields(fmt: FormatOption = OutputFormat.table) -> None:
    """List every campaign input (the one schema): key, labels, unit, default, bounds, help. The keys, or the
    English or Chinese labels, are the column headers of a client table."""
    from xhsxl.schema import FIELDS, GROUPS

    def default(row: dict[str, Any]) -> str:
        return "required" if row["required"] else ("no default" if row["default"] is None else str(row["default"]))

    def facts(row: dict[str, Any]) -> str:
        return " · ".join(part for part in (row["group"], row["unit"], default(row), row["bounds"]) if part)

    emit(Section("fields", f"{len(FIELDS)} campaign inputs", [
        Column("key", "", "text", show=lambda row: f"{row['key']}  ({row['label']} · {row['标签']})"),
        Column("label", table=False), Column("标签", table=False), Column("group", table=False),
        Column("unit", table=False), Column("required", table=False), Column("default", table=False),
        Column("bounds", table=False), Column("facts", "", "text", show=facts, data=False),
        Column("help", "", "text")],
        [{"key": f.key, "label": f.label_en, "标签": f.label_zh, "group": GROUPS[f.group][0], "unit": f.unit,
          "required": f.required, "default": f.default, "bounds": f.bounds_text(), "help": f.help}
         for f in FIELDS], blocks=True), fmt)

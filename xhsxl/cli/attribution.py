"""``xhsxl attribute``: multi-touch attribution of a path table or a touch log, from CSV, XLSX or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Optional

import typer

from xhsxl.cli.exits import App, CommandError, about, check_output_file
from xhsxl.cli.output import (Column, EncodingOption, FigureDefault, FormatOption, OutputFormat, Section, csv_text, emit, errors,
                              money, say, warn)

app = App()

_CONVENTIONS = "xhsxl.core.attribution.conventions"
CREDIT_COLUMNS = [Column("channel", unit="text"), Column("conversions"), Column("value", unit="CNY"),
                  Column("share", unit="fraction")]
REMOVAL_COLUMNS = [Column("channel", unit="text"), Column("removal_effect", "removal effect", "fraction"),
                   Column("value_removal_effect", "value removal effect", "fraction")]


def _markov_order_option(text: str) -> int | Literal["auto"]:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise typer.BadParameter(f"a whole number from 1 to 4 or 'auto' (got {text!r})") from None


def _write_csv(out: Path, rows: list[list[Any]], removal: list[list[Any]] | None, overwrite: bool,
               fmt: OutputFormat) -> None:
    """The credit table (and the removal effects beside it) as Parquet (``.parquet``) or else as CSV, UTF-8 with
    a BOM so Excel reads Chinese channel names; channel names a spreadsheet would run as formulas are made inert."""
    from xhsxl.workbook.safe_files import atomic_write

    table = [list(row) for row in rows]
    if removal is not None:
        for row, extra in zip(table, removal):
            row.extend(extra[1:])
    write: Callable[[Path], Any]
    if out.suffix.lower() in (".parquet", ".pq"):
        from xhsxl.scale.engines import parquet_writer

        write = parquet_writer(table)
    else:
        data = csv_text([Section.from_core("credit", "", table, [])]).encode("utf-8-sig")
        write = lambda temp: temp.write_bytes(data)  # noqa: E731

    with about(out):
        atomic_write(out, write, overwrite=overwrite)
    say(f"wrote {out}", fmt)


@app.command()
def attribute(
    source: Annotated[Path, typer.Argument(metavar="INPUT", show_default=False,
                                           help="A path table or, with --touchpoints, a touch log: .csv (UTF-8 or "
                                                "GBK), .xlsx or .parquet (needs pyarrow).")],
    *,
    model: Annotated[str, typer.Option(help="markov, first_touch, last_touch, last_non_direct, linear, "
                                            "position_based, time_decay (needs --touchpoints), shapley, "
                                            "shapley_monotone (no credit below 0), simplified_shapley.")] = "markov",
    order: Annotated[str, typer.Option(help="Markov order, 1-4, or 'auto' (chosen by BIC).")] = "1",
    sep: Annotated[str, typer.Option(help="Separator between channels in a path.")] = ">",
    path_col: Annotated[Optional[str], typer.Option(help="Path column (default: path or paths).")] = None,
    conversions_col: Annotated[Optional[str], typer.Option(help="Conversions column (default: conversions).")] = None,
    value_col: Annotated[Optional[str], typer.Option(help="Value column, ¥ (default: value, if present).")] = None,
    nulls_col: Annotated[Optional[str], typer.Option(
        help="Non-converting journeys column (default: nulls, if present).")] = None,
    touchpoints: Annotated[bool, typer.Option(
        "--touchpoints", help="INPUT is one row per touch (user, time, channel, converted, value), aggregated "
                              "into journeys.")] = False,
    lookback: Annotated[float, typer.Option(
        default_factory=FigureDefault(_CONVENTIONS, "LOOKBACK_DAYS"),
        help="With --touchpoints: days before a journey's end a touch still counts.")],
    user_col: Annotated[Optional[str], typer.Option(help="User column (default: user or user_id).")] = None,
    time_col: Annotated[Optional[str], typer.Option(
        help="Time column (default: time or timestamp): dates and times, or numbers of days.")] = None,
    channel_col: Annotated[Optional[str], typer.Option(help="Channel column (default: channel).")] = None,
    converted_col: Annotated[Optional[str], typer.Option(
        help="Converted column (default: converted): 1/0, TRUE/FALSE, yes/no; blank = not converted.")] = None,
    half_life: Annotated[float, typer.Option(
        default_factory=FigureDefault(_CONVENTIONS, "TIME_DECAY_HALF_LIFE_DAYS"),
        help="time_decay: days for a touch's weight to halve.")],
    removal_effects: Annotated[bool, typer.Option(
        "--removal-effects", help="Also print the Markov removal effects.")] = False,
    sheet: Annotated[Optional[str], typer.Option(help="The worksheet of an XLSX (default: the first).")] = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Also write the result: .parquet as Parquet (needs pyarrow), anything else as CSV (UTF-8).")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the --out file if it exists.")] = False,
    engine: Annotated[str, typer.Option(
        help="With --touchpoints: memory, partitioned (by user, spilled to a temporary folder when the log "
             "exceeds --memory; reads Parquet or CSV files, folders and globs), spark, or auto (partitioned for "
             "Parquet, memory for XLSX and for a CSV that fits --memory).")] = "auto",
    memory: Annotated[str, typer.Option(help="Memory budget of the partitioned engine, e.g. 4GB.")] = "4GB",
    encoding: EncodingOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Multi-touch attribution of a path table or a touch log: credit per channel, exact Markov by default.

    A path table has one journey pattern per row — path ("kol_mid > search_ads > tmall"), conversions, and
    optionally value and nulls (journeys along the path that did not convert). Markov and Shapley need the
    nulls: without them every path converts and the credit is biased (a warning says so).
    """
    import warnings

    from xhsxl.core import attribution
    from xhsxl.core.attribution.partition import attribute_summary
    from xhsxl.core.attribution.paths import MISSING_NON_CONVERSIONS_MESSAGE
    from xhsxl.scale import parse_memory
    from xhsxl.scale.engines import choose_engine, summarise_source
    from xhsxl.workbook.journey_files import JourneyFile, read_path_table, read_touchpoints

    if out is not None:
        check_output_file(out)
    name = attribution.model_name(model)
    chosen_order = _markov_order_option(order)
    if name == "time_decay" and not touchpoints:
        raise CommandError("time_decay needs the time of each touch: run it with --touchpoints on the touch log")
    columns = ({"user": user_col, "time": time_col, "channel": channel_col, "converted": converted_col,
                "value": value_col} if touchpoints else
               {"path": path_col, "conversions": conversions_col, "value": value_col, "nulls": nulls_col})
    budget = parse_memory(memory)
    with about(source):
        chosen_engine = choose_engine(source, engine, budget, columns) if touchpoints else "memory"
    if encoding is not None and chosen_engine != "memory":
        # The out-of-core engines read the file themselves and take UTF-8 only; never decode it otherwise silently.
        raise CommandError(f"--encoding needs --engine memory (the {chosen_engine} engine reads UTF-8 only); "
                           "re-save the touch log as UTF-8 for a file this large")
    scaled = None
    # The status line is rich markup: every piece of file text in it is escaped.
    from rich.markup import escape

    with errors.status(f"reading {escape(source.name)}") as status:
        def progress(message: str) -> None:
            status.update(escape(message))

        with about(source):
            if chosen_engine != "memory":
                scaled = summarise_source(source, chosen_engine, columns, memory_bytes=budget, lookback_days=lookback,
                                          half_life_days=half_life, progress=progress)
                read = JourneyFile(scaled.summary.paths, scaled.file_format, scaled.columns, scaled.rows)
            elif touchpoints:
                read = read_touchpoints(source, columns, lookback_days=lookback, sheet=sheet, progress=progress,
                                        encoding=encoding)
            else:
                read = read_path_table(source, columns, sep=sep, sheet=sheet, progress=progress, encoding=encoding)
        table = read.table
        found = ", ".join(f"{role} ← {header!r}" for role, header in read.columns.items() if header is not None)
        absent = [role for role, header in read.columns.items() if header is None]
        where = (f", sheet {read.sheet!r}" if read.sheet else "") + (
            f", {read.encoding}" if read.encoding not in (None, "utf-8", "utf-8-sig") else "")
        say(f"{source.name} ({read.file_format}{where}): {read.rows:,} rows; columns {found}"
            + (f"; no {' or '.join(absent)} column" if absent else ""), fmt, markup="[dim]{}[/]")
        if not table.has_nulls and (name in ("markov", "shapley") or removal_effects):
            warn(MISSING_NON_CONVERSIONS_MESSAGE)
        status.update(escape(f"{name} attribution of {table.n_paths:,} paths over {table.n_channels} channels"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", attribution.MissingNonConversionsWarning)  # said once, above
            if scaled is not None:
                result = attribute_summary(scaled.summary, name, order=chosen_order, half_life_days=half_life)
            else:
                result = attribution.attribute(table, name, order=chosen_order, half_life_days=half_life)
            chain = None
            if removal_effects:
                chain = result if result.model == "markov" else attribution.markov(table, chosen_order)

    journeys = scaled.summary.journeys if scaled is not None else table.n_paths
    summary = (f"{journeys:,} {'journeys' if touchpoints else 'paths'}, {table.n_channels} channels, "
               f"{table.total_conversions:,.0f} conversions")
    if table.total_value is not None:
        summary += f", {money(table.total_value)}"
    if table.has_nulls:
        summary += f", {table.nulls.sum():,.0f} journeys not converting"
    say(summary, fmt)
    if result.model == "markov":
        title = (f"Markov attribution, order {result.order}" + (" (chosen by BIC)" if chosen_order == "auto" else "")
                 + f" · P(conversion) {result.conversion_probability:.2%}")
    else:
        title = f"{result.model.replace('_', ' ').capitalize()} attribution"
    rows = result.table()
    sections = [Section.from_core("credit", title, rows, CREDIT_COLUMNS if result.value is not None else
                                  [c for c in CREDIT_COLUMNS if c.key != "value"])]
    if "standard_errors" in result.details:
        say(f"Shapley values sampled ({result.details['permutations']:,} channel orders, seed "
            f"{result.details['seed']}); standard errors are in the result's details", fmt, markup="[dim]{}[/]")
    removal = None if chain is None else chain.removal_effects_table()
    if chain is not None and removal is not None:
        sections.append(Section.from_core("removal_effects", f"Removal effects (Markov, order {chain.order})", removal,
                                          REMOVAL_COLUMNS if chain.value is not None else REMOVAL_COLUMNS[:2]))
    emit(sections, fmt)
    if scaled is not None:
        how = ("in memory, nothing spilled" if scaled.partitions == 1 and scaled.engine == "partitioned" else
               f"{scaled.partitions:,} user partitions")
        say(f"{scaled.engine} engine ({how}): {table.n_paths:,} distinct paths", fmt, markup="[dim]{}[/]")
    if out is not None:
        _write_csv(out, rows, removal, overwrite, fmt)

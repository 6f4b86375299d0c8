"""Many distinct channels: Markov attribution refuses above its stated channel limit in a moment, with
what to do, instead of running for minutes; the rule-based models still attribute every channel."""

import csv

from typer.testing import CliRunner

from xhsxl.cli import app
from xhsxl.core.attribution.markov import MAX_MARKOV_CHANNELS


def cli(*args):
    return CliRunner().invoke(app, [*map(str, args)], terminal_width=400)


def write_paths(path, n_channels):
    # Every channel starts a path and hands over to the next, so every channel can reach a conversion.
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "conversions", "nulls"])
        for i in range(n_channels):
            writer.writerow([f"ch{i} > ch{(i + 1) % n_channels}", 1 + i % 3, 5])
    return path


def test_markov_over_the_channel_limit_is_refused_with_the_limit_and_a_way_out(tmp_path):
    result = cli("attribute", write_paths(tmp_path / "p.csv", MAX_MARKOV_CHANNELS + 1))
    assert result.exit_code == 2, result.output
    assert f"at most {MAX_MARKOV_CHANNELS:,} distinct channels" in result.output
    assert f"{MAX_MARKOV_CHANNELS + 1:,} channels" in result.output and "last_touch" in result.output
    assert "Traceback" not in result.output


def test_last_touch_attributes_thirty_thousand_channels(tmp_path):
    result = cli("attribute", write_paths(tmp_path / "p.csv", 30_000), "--model", "last_touch", "--format", "csv")
    assert result.exit_code == 0, result.output
    credited = [line for line in result.output.splitlines() if line.startswith("ch") and line[2:3].isdigit()]
    assert len(credited) == 30_000

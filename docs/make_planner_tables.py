"""Write the backtest tables of ``docs/planner.md`` from the code, so the page says what the planner does.

    python docs/make_planner_tables.py     # rewrites the blocks between the <!-- backtest: … --> markers

``tests/test_planner_interval.py`` fails when a block is stale.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from xhsxl.core.planner import Backtest, backtest, case_study_backtest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "planner.md"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} %"


def backtest_markdown(result: Backtest) -> str:
    """One backtest as a Markdown table, then its overall line."""
    lines = [
        f"| Campaign | Spend | Revenue | Forecast | {result.level:.0%} interval | Error | Conversions | Forecast | "
        "Error | ROI | Forecast ROI | Error | In interval |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for row in result.rows:
        lines.append(
            f"| {row.campaign} | ¥{row.spend:,.0f} | ¥{row.actual_revenue:,.0f} | ¥{row.forecast_revenue:,.0f} | "
            f"¥{row.revenue_low:,.0f}–¥{row.revenue_high:,.0f} | {_pct(row.revenue_error)} | "
            f"{row.actual_conversions:,.0f} | {row.forecast_conversions:,.0f} | {_pct(row.conversions_error)} | "
            f"{row.actual_roi * 100:,.0f} % | {row.forecast_roi * 100:,.0f} % | {_pct(row.roi_error)} | "
            f"{'yes' if row.revenue_covered else 'no'} |"
        )
    summary = "; ".join(
        f"{metric}: MAPE {result.mape(metric) * 100:.1f} %, bias {_pct(result.bias(metric))}"
        for metric in ("revenue", "conversions", "roi")
    )
    lines.append("")
    lines.append(f"Overall — {summary}. Coverage of the {result.level:.0%} interval: revenue "
                 f"{result.coverage('revenue'):.0%}, conversions {result.coverage('conversions'):.0%} of "
                 f"{len(result.rows)} campaigns.")
    return "\n".join(lines)


def example_history_backtest() -> Backtest:
    with open(ROOT / "examples" / "history.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def column(name: str) -> list[float]:
        return [float(row[name]) for row in rows]

    return backtest(column("spend"), column("impressions"), column("engagements"), column("conversions"),
                    column("revenue"), column("visits"), [row["campaign"] for row in rows])


def blocks() -> dict[str, str]:
    """The generated blocks by marker name."""
    return {"example-history": backtest_markdown(example_history_backtest()),
            "case-studies": backtest_markdown(case_study_backtest())}


def with_blocks(text: str) -> str:
    for name, body in blocks().items():
        pattern = re.compile(rf"(<!-- backtest: {name} -->\n)(?:.*?\n)?(<!-- end of backtest: {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"docs/planner.md has no <!-- backtest: {name} --> block")
        text = pattern.sub(lambda match: match.group(1) + body + "\n" + match.group(2), text)
    return text


def main() -> int:
    text = PAGE.read_text(encoding="utf-8")
    PAGE.write_text(with_blocks(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

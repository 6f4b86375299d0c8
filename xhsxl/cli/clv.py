"""``xhsxl clv``: customer lifetime value, simple or retention-based and discounted."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from xhsxl.cli.exits import App
from xhsxl.cli.output import Money, Share, money, say

app = App(help="Customer lifetime value: simple, retention-based, or scored from fitted BG/NBD.", no_args_is_help=True)


@app.command("simple")
def clv_simple(aov: Money, orders_per_period: Money, gross_margin: Share, periods: Money) -> None:
    """AOV × orders per period × gross margin × periods."""
    from xhsxl.core import clv

    say(f"CLV = {money(float(clv.clv_simple(aov, orders_per_period, gross_margin, periods)))}")


@app.command("retention")
def clv_retention(
    margin: Money,
    retention: Share,
    discount_rate: Share,
    horizon: Annotated[Optional[int], typer.Option(help="Periods counted; default no limit.")] = None,
    timing: Annotated[str, typer.Option(help="future (default) | start | end.")] = "future",
) -> None:
    """Retention-based discounted CLV (future orders only by default)."""
    from xhsxl.core import clv

    say(f"CLV = {money(float(clv.clv_retention(margin, retention, discount_rate, horizon, timing)))}")

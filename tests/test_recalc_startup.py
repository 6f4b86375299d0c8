"""What a headless recalculation loads, and what it leaves behind in the process.

``xhsxl recalc`` of the template is a command a person waits for, so it must not import what it does not
use: scipy.stats (half a second; the engine's statistics module binds it, the template's COUNTA does not
need it), xlwings and pandas (the UDFs' decorators are pass-through outside Windows Excel). These tests run
each check in a fresh interpreter, where nothing else has imported those modules yet, and pin that the
statistics functions which do need scipy.stats still get it, that a later ``import xlwings`` gets the real
package, and that the garbage collector is left as it was found.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("formulas")

from xhsxl.workbook import recalc  # noqa: E402
from xhsxl.workbook.template import build_workbook  # noqa: E402


def _fresh(code: str) -> dict:
    """Run ``code`` in a new interpreter; it prints one JSON object as its last line."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    build_workbook().save(path)
    return path


def test_recalculating_the_template_imports_neither_scipy_stats_nor_xlwings(template):
    loaded = _fresh(f"""
import json, sys
from xhsxl.workbook.recalc import recalculate
result = recalculate({str(template)!r})
print(json.dumps({{"errors": len(result.errors), "cells": sum(map(len, result.values.values())),
                   "loaded": [m for m in ("scipy.stats._stats_py", "scipy.interpolate", "xlwings", "pandas")
                              if m in sys.modules]}}))
""")
    assert loaded["errors"] == 0 and loaded["cells"] > 2000
    assert loaded["loaded"] == []


def test_statistics_functions_that_need_scipy_stats_still_evaluate(tmp_path):
    path = tmp_path / "stats.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet"
    for address, value in {"A1": 1, "A2": "text", "A3": None, "B1": "=COUNTA(A1:A3)", "B2": "=NORM.S.INV(0.975)",
                           "B3": "=T.INV(0.975,5)", "B4": "=XHS_ROI(6,2)"}.items():
        sheet[address] = value
    workbook.save(path)
    values = _fresh(f"""
import json, sys
from xhsxl.workbook.recalc import recalculate
result = recalculate({str(path)!r})
from scipy import stats
print(json.dumps({{"values": [result.value("Sheet", c) for c in ("B1", "B2", "B3", "B4")],
                   "expected": [float(stats.norm.ppf(0.975)), float(stats.t.ppf(0.975, 5))]}}))
""")
    counted, normal, student, roi = values["values"]
    assert counted == 2.0 and roi == 2.0
    assert normal == pytest.approx(values["expected"][0], rel=1e-9)
    assert student == pytest.approx(values["expected"][1], rel=1e-9)


def test_after_a_recalculation_import_xlwings_gets_the_real_package():
    after = _fresh("""
import json, sys
from xhsxl.workbook.recalc import xhs_function_names
names = xhs_function_names()
absent = "xlwings" not in sys.modules
import xlwings
from xhsxl import udfs
print(json.dumps({"absent": absent, "real": hasattr(xlwings, "Book") and hasattr(xlwings, "__version__"),
                  "roi": udfs.XHS_ROI(1680000, 450000), "names": len(names)}))
""")
    assert after["absent"] and after["real"]
    assert after["roi"] == pytest.approx(1_230_000 / 450_000)
    assert after["names"] > 30


def test_the_udf_module_already_imported_with_xlwings_is_the_one_used():
    used = _fresh("""
import json, sys
import xlwings
from xhsxl import udfs
from xhsxl.workbook import recalc
print(json.dumps({"same": recalc._udfs() is udfs and udfs.xw is xlwings}))
""")
    assert used["same"]


def test_the_planner_t_quantile_is_scipy_stats_t_ppf_without_importing_scipy_stats():
    quantiles = _fresh("""
import json, sys
from xhsxl.core.planner.interval import _two_sided
mine = [_two_sided(level, dof) for level in (0.5, 0.8, 0.95, 0.99) for dof in (1.0, 2.5, 7.0, 120.0)]
loaded = "scipy.stats" in sys.modules
from scipy import stats
theirs = [float(stats.t.ppf(0.5 + level / 2, dof)) for level in (0.5, 0.8, 0.95, 0.99) for dof in (1.0, 2.5, 7.0, 120.0)]
print(json.dumps({"mine": mine, "theirs": theirs, "loaded": loaded}))
""")
    assert not quantiles["loaded"]
    assert quantiles["mine"] == quantiles["theirs"]


def _single(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = 2
    workbook.active["B1"] = "=XHS_ROI(6,A1)"
    workbook.save(path)
    return path


@pytest.mark.parametrize("enabled", [True, False])
def test_compiling_and_evaluating_leave_the_collector_as_they_found_it(tmp_path, enabled):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        model = recalc.Recalculator(_single(tmp_path, "one.xlsx"))
        assert gc.isenabled() is enabled
        assert model.calculate().value("Sheet", "B1") == 2.0
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_the_recalc_command_leaves_the_collector_on_and_nothing_frozen(tmp_path):
    from typer.testing import CliRunner

    from xhsxl.cli import app

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    runner = CliRunner()
    one = runner.invoke(app, ["recalc", str(_single(tmp_path, "a.xlsx"))])
    assert one.exit_code == 0, one.output
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    many = runner.invoke(app, ["recalc", str(tmp_path / "a.xlsx"), str(_single(tmp_path, "b.xlsx"))])
    assert many.exit_code == 0, many.output
    assert "2 workbooks recalculated, 0 with a cell ending in an error" in many.output
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    missing = runner.invoke(app, ["recalc", str(tmp_path / "a.xlsx"), str(tmp_path / "missing.xlsx")])
    assert missing.exit_code != 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_after_the_recalc_command_the_objects_left_are_frozen_at_exit_not_collected(tmp_path):
    path = _single(tmp_path, "exit.xlsx")
    # A handler registered first runs last: it sees what the command's handler left for finalisation.
    code = f"""
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit", gc.get_freeze_count()))
from xhsxl.cli import app
sys.argv = ["xhsxl", "recalc", {str(path)!r}]
try:
    app()
except SystemExit:
    pass
print("frozen before exit", gc.get_freeze_count())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    lines = dict(line.rsplit(" ", 1) for line in done.stdout.splitlines() if line.startswith("frozen"))
    assert int(lines["frozen before exit"]) == 0
    assert int(lines["frozen at exit"]) > 10_000


def test_the_engines_interpolation_loads_scipy_interpolate_only_when_called():
    """FORECAST.ETS's interp1d is a stand-in until called; then it is scipy's, and scipy.interpolate is real."""
    found = _fresh("""
import json, sys
from xhsxl.workbook import recalc
recalc._engine()
from formulas.functions import stat
before = "scipy.interpolate" in sys.modules
values = stat.interp1d([0.0, 1.0, 2.0], [0.0, 10.0, 40.0])([0.5, 1.5]).tolist()
import scipy.interpolate
print(json.dumps({"before": before, "values": values, "real": hasattr(scipy.interpolate, "CubicSpline")}))
""")
    assert found == {"before": False, "values": [5.0, 25.0], "real": True}

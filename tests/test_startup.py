"""What importing the UDF module costs: the heavy libraries stay out until a function needs them.

Every xlwings UDF server start, and every xlwings Lite start in the browser (where each library is a
download), imports ``xhsxl.udfs`` before the first ``=XHS_ROI()``. scipy (the optimiser, the
hypergeometric function, sparse solves), ``formulas`` (headless recalculation) and openpyxl (workbooks)
are imported by the functions that use them. Each check runs in a fresh interpreter, because this test
process has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Libraries that ``import xhsxl.udfs`` must not load: none of them is needed to evaluate a cell.
HEAVY = ("scipy", "formulas", "openpyxl", "xhsxl.workbook", "xhsxl.cli")

#: Our own modules that only some functions need: the function that uses one imports it.
LAZY = ("xhsxl.planner_tables", "xhsxl.core.planner", "xhsxl.core.allocation", "xhsxl.core.attribution")


def _loaded_after(code: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    """The ``watched`` modules (and their submodules) in ``sys.modules`` after running ``code`` in a fresh
    interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return sorted({name for name in loaded for module in watched if name == module or name.startswith(module + ".")})


def test_importing_udfs_loads_no_scipy_formulas_or_openpyxl() -> None:
    assert _loaded_after("import xhsxl.udfs") == []


def test_importing_udfs_leaves_the_planner_allocation_and_attribution_to_the_functions_using_them() -> None:
    assert _loaded_after("import xhsxl.udfs", LAZY) == []


def test_a_planner_function_imports_the_planner_when_called() -> None:
    code = (
        "from xhsxl import udfs\n"
        "table = udfs.XHS_SPILLOVER(0.56)\n"
        "assert table[0][0] == 'low' and table[1][1] == 0.56, table\n"
    )
    assert "xhsxl.core.planner" in _loaded_after(code, LAZY)


def test_importing_the_core_loads_no_scipy() -> None:
    code = "import xhsxl.core.allocation, xhsxl.core.clv, xhsxl.core.attribution, xhsxl.core.planner, xhsxl.schema"
    assert _loaded_after(code) == []


def test_roi_and_small_markov_calls_run_without_scipy() -> None:
    # A chain of a few channels is solved densely with numpy: the first attribution in a session does not
    # wait for scipy.sparse.
    code = (
        "from xhsxl import udfs\n"
        "assert abs(udfs.XHS_ROI(1_680_000.0, 450_000.0) - 2.7333333333333334) < 1e-12\n"
        "table = udfs.XHS_ATTRIBUTION([['kol_mid > search_ads'], ['koc_micro > kol_mid'], ['koc_micro']],"
        " [[30.0], [20.0], [0.0]], None, [[970.0], [480.0], [1500.0]], 'markov', 1.0, '>')\n"
        "assert table[0][0] == 'channel' and len(table) == 4, table\n"
    )
    assert _loaded_after(code) == []


def test_functions_that_need_scipy_import_it_when_called() -> None:
    # The optimiser's root finder and the BG/NBD hypergeometric function come in on first use.
    code = (
        "import sys\n"
        "from xhsxl.core import allocation, clv\n"
        "assert 'scipy.optimize' not in sys.modules\n"
        "allocation.optimal_allocation(1_000_000, [allocation.TierCurve('a', 'power', 1.0, 0.5), allocation.TierCurve('b', 'power', 2.0, 0.5)])\n"
        "assert 'scipy.optimize' in sys.modules\n"
        "clv.bgnbd_expected_purchases(30, [2, 3], [30.43, 20.0], 38.86, 0.24, 4.4, 0.79, 2.4)\n"
        "assert 'scipy.special' in sys.modules\n"
    )
    assert _loaded_after(code)[0].startswith("scipy")



def test_building_and_batching_workbooks_imports_no_xlwings_where_its_decorators_do_nothing(tmp_path) -> None:
    """A batch (live and static, whose values call the UDFs) needs the functions, not xlwings and the pandas it
    pulls in; a later ``import xlwings`` still gets the real package."""
    clients = Path(__file__).resolve().parents[1] / "workbooks" / "examples" / "clients.csv"
    code = f"""
import json, sys
from pathlib import Path
from xhsxl.workbook.batch import run_batch
result = run_batch(Path({str(clients)!r}), Path({str(tmp_path)!r}), static=True, jobs=1)
before = [name for name in ("xlwings", "pandas") if name in sys.modules]
import xlwings
print(json.dumps({{"before": before, "written": len(result.outcomes), "real": hasattr(xlwings, "Book")}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["before"] == [] and found["written"] > 10 and found["real"]

"""The package type-checks: mypy over ``xhsxl/`` with the settings of ``[tool.mypy]`` in pyproject.toml.

Run as a test so that ``make test`` (what CI runs) keeps the package clean. Without mypy installed the test
is skipped on a developer's machine, but never in CI (``CI`` set to true), where a skipped check would pass
silently.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def test_package_has_no_type_errors() -> None:
    if importlib.util.find_spec("mypy") is None:
        if _in_ci():
            pytest.fail("mypy is not installed, so the type check cannot run; install the 'test' extra")
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    # Explicit config file and target, so the check is the same whatever directory pytest starts in; no
    # incremental cache, so an old cache directory can never hide an error.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental",
         "--cache-dir", os.devnull, str(ROOT / "xhsxl")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 0, (
        f"mypy found {len(errors)} type error(s) in xhsxl/:\n" + "\n".join(errors or [result.stdout, result.stderr])
    )

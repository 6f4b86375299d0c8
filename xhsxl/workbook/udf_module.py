"""The XHS_ functions as plain Python functions, for the code that computes a workbook's cells outside Excel
(headless recalculation, a static copy's values), without importing xlwings where it is not needed."""

from __future__ import annotations

import functools
import os
import sys
import types
from typing import Any

__all__ = ["udf_module"]


def _xlwings_decorators_do_nothing() -> bool:
    """Whether xlwings' ``func``/``arg``/``ret`` here are pass-through: everywhere but Windows Excel (with
    pywin32, where they register the function) and xlwings Server (``XLWINGS_ON_SERVER``)."""
    return not sys.platform.startswith("win") and os.environ.get("XLWINGS_ON_SERVER") != "true"


def _pass_through(function: Any = None, *args: Any, **kwargs: Any) -> Any:
    """``@func`` and ``@func(...)`` alike return the function unchanged, as xlwings' own fallback does."""
    if callable(function):
        return function
    return lambda wrapped: wrapped


@functools.lru_cache(maxsize=None)
def udf_module() -> types.ModuleType:
    """:mod:`xhsxl.udfs`, imported without xlwings where xlwings' decorators do nothing.

    Recalculation and the workbook builder's static values call the UDFs as plain functions. Importing xlwings takes about 0.3 s (it imports pandas
    when installed) only to decorate them with pass-through decorators, so where the decorators are
    pass-through, and nothing in the process has imported xlwings or the UDF module yet, the module is
    imported against a stand-in with the same pass-through ``func``, ``arg`` and ``ret``. The stand-in is
    removed as soon as the module is loaded: a later ``import xlwings`` gets the real package. In Windows
    Excel, xlwings Server and xlwings Lite, xlwings imports the UDF module itself, with its real decorators.
    """
    if "xhsxl.udfs" in sys.modules or "xlwings" in sys.modules or not _xlwings_decorators_do_nothing():
        from xhsxl import udfs

        return udfs
    stand_in = types.ModuleType("xlwings", "pass-through UDF decorators, as xlwings has them outside Windows")
    for name in ("func", "arg", "ret", "sub", "script"):
        setattr(stand_in, name, _pass_through)
    sys.modules["xlwings"] = stand_in
    try:
        from xhsxl import udfs
    finally:
        if sys.modules.get("xlwings") is stand_in:
            del sys.modules["xlwings"]
    return udfs

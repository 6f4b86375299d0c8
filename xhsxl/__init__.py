"""xhsxl: Xiaohongshu campaign economics for Excel.

The calculation core lives in :mod:`xhsxl.core`; :mod:`xhsxl.schema` declares every campaign input once;
:mod:`xhsxl.udfs` exposes the core to Excel through xlwings; :mod:`xhsxl.cli` to the shell.
"""

from xhsxl.core.errors import XhsInputError

__version__ = "0.1.0"

__all__ = ["XhsInputError", "__version__"]

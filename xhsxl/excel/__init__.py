"""Excel-shaped input, in one home: what a cell, a range or a table of a spreadsheet holds, read into values.

- :mod:`xhsxl.excel.cells` — blank cells, numbers and text numbers (``¥1,200,000``, ``30%``, ``168万``,
  full-width digits), TRUE/FALSE in one vocabulary.
- :mod:`xhsxl.excel.ranges` — single-cell arguments, numeric ranges called elementwise, one-column ranges
  read side by side, tables handed back to Excel; core errors placed at their row and column.
- :mod:`xhsxl.excel.campaign` — a campaign's cells read with each field's unit, before the schema validates.
- :mod:`xhsxl.excel.errors` — the one error of a file that cannot be read, and a located problem's wording.

Imports flow one way: the core and the schema know nothing of this package; the XHS_ functions, the file
readers, the planner tables and the workbook reader read their input through it.
"""

from xhsxl.excel.cells import FLAG_WORDS, all_blank, coerce_number, is_blank, read_flag
from xhsxl.excel.errors import InputFileError, Problem

__all__ = ["FLAG_WORDS", "all_blank", "coerce_number", "is_blank", "read_flag", "InputFileError", "Problem"]

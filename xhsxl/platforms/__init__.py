"""Juguang (聚光) and Pugongying (蒲公英) report exports read as they are, and mapped to the schema's fields.

- :mod:`xhsxl.platforms.columns` — every export column declared once: header, API field, unit, target field.
- :mod:`xhsxl.platforms.read` — platform and level from the header row, cells in their units, the total row
  checked, unknown columns reported; a file's rows or a pasted range alike.
- :mod:`xhsxl.platforms.mapping` — exports to campaigns: columns summed into fields with their sources, the
  tier of each creator, no note counted twice when both platforms report it.
- :mod:`xhsxl.platforms.files` — export files (and folders of them) to a client table the batch runs on.

Imports flow one way: columns, read and mapping use the core, the schema and :mod:`xhsxl.excel`; files
uses the workbook package's file guards and is imported only by the commands and the batch.
"""

from xhsxl.platforms.columns import COLUMNS, DEFAULT_WINDOW, WINDOWS, PlatformColumn
from xhsxl.platforms.mapping import MappedCampaign, creator_tier, map_exports
from xhsxl.platforms.read import FileProblem, PlatformExport, read_export_rows

__all__ = ["COLUMNS", "DEFAULT_WINDOW", "WINDOWS", "PlatformColumn", "MappedCampaign", "creator_tier", "map_exports",
           "FileProblem", "PlatformExport", "read_export_rows"]

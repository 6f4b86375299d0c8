"""A client campaign's cells, as a table row or a workbook's yellow cells hold them, read into values.

The schema validates values; people and spreadsheets write text. Each cell of a numeric field is read here
with the field's unit in mind — ``30%`` only where the field is a share or rate, ``¥1,200,000`` and
``168万`` in amounts, a decimal comma only where the file says it writes one — and a flag field with the
one TRUE/FALSE vocabulary. A cell that cannot be read stays as it was, so the schema still refuses it, and
the reason found here (with its hint) is returned beside it for the caller to report.
"""

from __future__ import annotations

from typing import Any, Mapping

from xhsxl.core.errors import XhsInputError
from xhsxl.excel.cells import UnsavedFormula, coerce_number, read_flag
from xhsxl.schema import FIELDS_BY_KEY, InputField

__all__ = ["campaign_cells", "read_field"]

#: Units in which a value may be written as a percentage: shares and rates are fractions of a whole.
_PERCENT_UNITS = frozenset({"fraction", "rate"})


def read_field(field: InputField, value: Any, *, decimal_comma: bool = False) -> Any:
    """One cell of ``field`` as the schema takes it: a number (or None for a blank) for a numeric field,
    True/False for a flag, the cell itself for text; :class:`XhsInputError` naming the field otherwise."""
    if isinstance(value, UnsavedFormula):
        raise value.refusal(field.key)
    if not field.is_numeric or not isinstance(value, str):
        return value
    if field.unit == "flag":
        return read_flag(value, field.key, None) if value.strip() else None
    return coerce_number(value, field.key, percent=field.unit in _PERCENT_UNITS, decimal_comma=decimal_comma)


def campaign_cells(data: Mapping[str, Any], *, decimal_comma: bool = False
                   ) -> tuple[dict[str, Any], dict[str, XhsInputError]]:
    """The cells with every readable numeric text read, and the error of each cell that could not be.

    A campaign with any refused cell is not valid, whatever the schema says of the cell left in its place.

    >>> values, refused = campaign_cells({"creator_fees": "¥250,000", "gross_margin": "60%", "clicks": "3%"})
    >>> values["creator_fees"], values["gross_margin"], str(refused["clicks"])
    (250000.0, 0.6, "clicks is an amount or a count, not a share (got '3%'); write the number itself, without %")
    """
    values = dict(data)
    refused: dict[str, XhsInputError] = {}
    for key, value in data.items():
        field = FIELDS_BY_KEY.get(key)
        if field is None:
            continue
        try:
            values[key] = read_field(field, value, decimal_comma=decimal_comma)
        except XhsInputError as error:
            refused[key] = error
    return values, refused

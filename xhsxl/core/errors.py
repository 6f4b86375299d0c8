"""The one exception every invalid input raises, in the core, the UDFs, the schema and the CLI."""


class XhsInputError(ValueError):
    """An input is invalid. The message names the argument and the offending value.

    It subclasses :class:`ValueError` so generic callers can catch it; Excel shows its message in the cell
    (classic xlwings) or on hover (xlwings Lite).
    """

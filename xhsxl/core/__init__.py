"""The calculation core: plain, typed, vectorised functions with no Excel, file or CLI code.

Every function accepts scalars or arrays and broadcasts like a numpy ufunc; invalid input raises
:class:`~xhsxl.core.errors.XhsInputError` naming the argument and the value.
"""

from xhsxl.core.errors import XhsInputError

__all__ = ["XhsInputError"]

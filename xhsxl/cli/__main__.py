"""``python -m xhsxl.cli``: the ``xhsxl`` command where the console script is not on the PATH."""

from xhsxl.cli import app

# Guarded: worker processes started by the batch re-import this module and must not run the command again.
if __name__ == "__main__":
    app(prog_name="xhsxl")

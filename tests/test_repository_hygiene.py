"""The package speaks of itself alone: its docstrings cite the articles by number and files in the repository."""

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "xhsxl"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_cites_a_file_outside_the_repository_or_a_design_section(path):
    text = path.read_text(encoding="utf-8")
    for outside in ("shared/", "DESIGN §", "DESIGN.md"):
        assert outside not in text, f"{path.name} cites {outside!r}: cite the article number (000-004) instead"

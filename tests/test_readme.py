"""The README keeps its promises: two commands on its first screen, generated parts up to date."""

import re
from pathlib import Path

from xhsxl.docs import with_generated_blocks

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_first_screen_holds_exactly_the_two_setup_commands():
    first_screen = "\n".join(README.splitlines()[:25])
    blocks = re.findall(r"```(?:bash)?\n(.*?)```", first_screen, flags=re.S)
    assert len(blocks) == 1
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.split("#")[0].strip()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)


def test_ci_runs_the_readmes_test_command_from_a_fresh_virtualenv():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "rm -rf .venv" in ci and "make test" in ci


def test_generated_reference_and_input_table_are_up_to_date():
    assert with_generated_blocks(README) == README, "run `make docs` and commit README.md"

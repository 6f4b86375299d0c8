"""Test-wide set-up: the tests' own helper modules (``field_strategies``) import by name, as the test modules
are imported by path (``--import-mode=importlib``) and their folder is not on the path otherwise."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

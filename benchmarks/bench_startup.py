"""Start-up where a person waits: whole-process times of importing the UDFs and of short CLI commands.

    python benchmarks/bench_startup.py [--repeats 15] [--python PATH ...] [--baseline REF]

Every xlwings UDF server start, and every xlwings Lite start in the browser, imports ``xhsxl.udfs`` before
the first ``=XHS_ROI()``; an analyst typing ``xhsxl roi 100 50`` waits for the whole process. Each command
runs in a fresh interpreter, the commands interleaved in every round so that background load hits them
alike, and the median wall time is reported:

- ``python -c pass`` and ``import numpy, openpyxl, pydantic``: the floor any such package pays;
- ``import xlwings``: what the UDF module cannot avoid (xlwings itself imports numpy, and pandas and
  matplotlib when they are installed);
- ``import xhsxl.udfs``, ``xhsxl --help`` and ``xhsxl roi 100 50``.

Every module is read from its bytecode cache, as in an installed package: the children run without
``PYTHONDONTWRITEBYTECODE``, with ``PYTHONPYCACHEPREFIX`` pointing at a temporary folder (the checkout gets
no ``__pycache__``), after one unmeasured round that fills it. ``--no-bytecode-cache`` compiles every module
from source in every run instead (about 0.1-0.2 s more for ``import xhsxl.udfs``).

``--python`` names interpreters to compare (default: this one). xlwings imports pandas and matplotlib when
they are installed, so measure an environment with them and one without (``python -m venv lean &&
lean/bin/pip install -e .`` gives one without: neither is a dependency of xhsxl). ``--baseline REF`` also
runs the same commands on the source of a git revision (exported to a temporary folder and put first on
``PYTHONPATH``), in the same rounds, for before/after figures.

Last, it prints the import set that matters for xlwings Lite (Pyodide): the distributions
``import xhsxl.udfs`` loads, each marked compiled or pure Python — what the browser must download before
the first function call.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Commands run from here: ``python -c`` puts the working directory first on sys.path, and a checkout's own
# xhsxl/ there would shadow the source PYTHONPATH names.
NEUTRAL = tempfile.gettempdir()

#: (label, what to run: "-c" code or a CLI argument list, target seconds or None).
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("python -c pass", ["-c", "pass"], None),
    ("import numpy, openpyxl, pydantic", ["-c", "import numpy, openpyxl, pydantic"], None),
    ("import xlwings", ["-c", "import xlwings"], None),
    ("import xhsxl.udfs", ["-c", "import xhsxl.udfs"], 0.5),
    ("xhsxl --help", ["cli", "--help"], 0.4),
    ("xhsxl roi 100 50", ["cli", "roi", "100", "50"], 0.4),
]

# Runs in the measured interpreter: the distributions behind every module `import xhsxl.udfs` leaves
# loaded, and whether each ships compiled code (Pyodide needs its own build of those).
_IMPORT_SET = r"""
import importlib.metadata as metadata, json, sys
before = set(sys.modules)
import xhsxl.udfs
loaded = {name.split(".")[0] for name in set(sys.modules) - before}
owners = metadata.packages_distributions()
found = {}
for module in sorted(loaded):
    for dist in owners.get(module, []):
        files = metadata.files(dist) or []
        compiled = any(str(f).endswith((".so", ".pyd")) for f in files)
        found[dist] = {"version": metadata.version(dist), "compiled": compiled}
print(json.dumps(found))
"""


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _has(python: str, module: str) -> bool:
    probe = f"import importlib.util, sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 1)"
    return subprocess.run([python, "-c", probe], capture_output=True).returncode == 0


def _environment_label(python: str) -> str:
    extras = [name for name in ("pandas", "matplotlib") if _has(python, name)]
    return f"with {' + '.join(extras)}" if extras else "without pandas/matplotlib"


def _command(python: str, spec: list[str]) -> list[str]:
    if spec[0] == "cli":
        # The console script's own code, so that PYTHONPATH (a baseline's source) decides which xhsxl runs.
        return [python, "-c", "import sys; from xhsxl.cli import app; sys.argv[0] = 'xhsxl'; sys.exit(app())",
                *spec[1:]]
    return [python, *spec]


def _export(revision: str) -> Path:
    """The source tree of ``revision`` in a temporary folder (git archive; the work tree is not touched)."""
    folder = Path(tempfile.mkdtemp(prefix="xhsxl-baseline-"))
    atexit.register(shutil.rmtree, folder, True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision, "xhsxl"],
                             capture_output=True, check=True).stdout
    archive_path = folder / "source.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(folder, filter="data")
    archive_path.unlink()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="rounds; the median is reported (default 15)")
    parser.add_argument("--python", nargs="*", default=[sys.executable],
                        help="interpreters to measure (default: this one)")
    parser.add_argument("--baseline", help="also measure the source of this git revision (e.g. main)")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="compile every module from source in every run (PYTHONDONTWRITEBYTECODE=1)")
    arguments = parser.parse_args()
    arguments.python = [os.path.abspath(python) for python in arguments.python]  # commands run elsewhere
    if arguments.no_bytecode_cache:
        bytecode = {"PYTHONDONTWRITEBYTECODE": "1"}
    else:
        bytecode = {"PYTHONPYCACHEPREFIX": tempfile.mkdtemp(prefix="xhsxl-pycache-")}
        atexit.register(shutil.rmtree, bytecode["PYTHONPYCACHEPREFIX"], True)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"median of {arguments.repeats} interleaved whole-process runs, "
          f"{'compiling from source' if arguments.no_bytecode_cache else 'from the bytecode cache'}")
    sources: list[tuple[str, dict[str, str]]] = [("this tree", {"PYTHONPATH": str(ROOT)})]
    if arguments.baseline:
        sources.append((f"baseline {arguments.baseline}", {"PYTHONPATH": str(_export(arguments.baseline))}))
    runs = []  # (environment, source, label, argv, env, target)
    for python in arguments.python:
        environment = _environment_label(python)
        for source, extra in sources:
            env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, **bytecode, **extra}
            for label, spec, target in COMMANDS:
                if source != "this tree" and not label.startswith(("import xhsxl", "xhsxl")):
                    continue  # the floors do not depend on the source
                runs.append((environment, source, label, _command(python, spec), env, target))

    for _, _, _, argv, env, _ in runs:  # fills the bytecode cache; not measured
        subprocess.run(argv, env=env, cwd=NEUTRAL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    samples: dict[int, list[float]] = {index: [] for index in range(len(runs))}
    cpu: dict[int, list[float]] = {index: [] for index in range(len(runs))}
    for _ in range(arguments.repeats):
        for index, (_, _, _, argv, env, _) in enumerate(runs):
            used = _child_cpu()
            start = time.perf_counter()
            subprocess.run(argv, env=env, cwd=NEUTRAL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=True)
            samples[index].append(time.perf_counter() - start)
            cpu[index].append(_child_cpu() - used)

    print(f"load average at the end: {os.getloadavg()[0]:.1f} (CPU time is less disturbed by load than wall time)")
    header = ["environment", "source", "command", "median s", "CPU s", "target", ""]
    rows = []
    for index, (environment, source, label, _, _, target) in enumerate(runs):
        median = statistics.median(samples[index])
        verdict = "" if target is None or source != "this tree" else ("met" if median <= target else "MISSED")
        rows.append([environment, source, label, f"{median:.3f}", f"{statistics.median(cpu[index]):.3f}",
                     f"<= {target}" if target else "", verdict])
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = "  ".join("{:<%d}" % width for width in widths)
    print(line.format(*header))
    print(line.format(*("-" * width for width in widths)))
    for row in rows:
        print(line.format(*row))

    for python in arguments.python:
        found = json.loads(subprocess.run([python, "-c", _IMPORT_SET], env={**os.environ, "PYTHONPATH": str(ROOT)},
                                          cwd=NEUTRAL, capture_output=True, text=True, check=True).stdout)
        print(f"\nxlwings Lite (Pyodide) download before the first call, {_environment_label(python)}: "
              f"distributions `import xhsxl.udfs` loads")
        for dist, info in sorted(found.items(), key=lambda item: item[0].lower()):
            kind = "compiled (needs a Pyodide build)" if info["compiled"] else "pure Python"
            print(f"  {dist} {info['version']}: {kind}")
        absent = [name for name in ("scipy", "formulas", "openpyxl") if name not in {d.lower() for d in found}]
        print(f"  not loaded: {', '.join(absent) or '-'}")


if __name__ == "__main__":
    main()

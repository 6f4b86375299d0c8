#!/usr/bin/env bash
# Check a built wheel as a user would get it: pure (py3-none-any), valid metadata, installable into a clean
# virtualenv with nothing of this checkout on its path, and able to run the batch on the bundled clients.
# Usage: scripts/check_wheel.sh DIST_DIR PYTHON   (PYTHON runs twine; the clean venv uses python3)
set -euo pipefail
dist=${1:-dist}
python=${2:-python3}
shopt -s nullglob
wheels=("$dist"/xhsxl-*-py3-none-any.whl)
others=("$dist"/*.whl)
if [ ${#wheels[@]} -ne 1 ] || [ ${#others[@]} -ne 1 ]; then
  echo "check_wheel: expected exactly one pure xhsxl-*-py3-none-any.whl in $dist, found: ${others[*]:-none}" >&2
  exit 1
fi
wheel=$(cd "$(dirname "${wheels[0]}")" && pwd)/$(basename "${wheels[0]}")
"$python" -m twine check --strict "$dist"/*
# Nothing but the package goes into the wheel (no tests, benchmarks or workbooks).
"$python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
stray = [n for n in names if not (n.startswith("xhsxl/") or n.startswith("xhsxl-"))]
if stray:
    sys.exit(f"check_wheel: the wheel holds files outside the package: {stray[:5]}")
print(f"check_wheel: {len(names)} files, all in the package")
PY
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$wheel"
cd "$work"  # away from the checkout, so only the installed wheel can be imported
"$work/venv/bin/xhsxl" --version
"$work/venv/bin/python" -c "import xhsxl.udfs, xhsxl; print('import xhsxl.udfs: ok', xhsxl.__file__)"
"$work/venv/bin/xhsxl" batch "$root/workbooks/examples/clients.csv" --out "$work/out" --static
ls "$work/out"/*.xlsx | wc -l | xargs echo "check_wheel: workbooks written by the installed wheel:"

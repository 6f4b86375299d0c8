#!/usr/bin/env bash
# Follow the README's quick start from a fresh clone, step by step, as an analyst would: `make demo`, then the
# batch command of "I have a table of clients and want a workbook to send each". Fails when a step fails or
# writes less than it says.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/xhsxl"
cd "$work/xhsxl"
clients=$(($(grep -c . workbooks/examples/clients.csv) - 1))

make demo > "$work/demo.log"
grep -q "out/static/" "$work/demo.log" || { echo "make demo does not say where the static copies are" >&2; exit 1; }
for folder in out/static out/live; do
  made=$(find "$folder" -maxdepth 1 -name '*.xlsx' ! -name summary.xlsx | wc -l)
  [ "$made" -eq "$clients" ] || { echo "$folder: $made workbooks for $clients clients" >&2; exit 1; }
  [ -s "$folder/summary.xlsx" ] && [ -e "$folder/errors.csv" ] || { echo "$folder: no summary.xlsx or errors.csv" >&2; exit 1; }
done
# The README's own command, with the example table in place of the analyst's.
.venv/bin/xhsxl batch workbooks/examples/clients.csv --out out --static > /dev/null
made=$(find out -maxdepth 1 -name '*.xlsx' ! -name summary.xlsx | wc -l)
[ "$made" -eq "$clients" ] || { echo "README batch: $made workbooks for $clients clients" >&2; exit 1; }
echo "quick start: make demo wrote $clients static and $clients live workbooks; the README's batch command $made"

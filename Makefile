# Two entry points on a fresh machine (python3, pip and make are all it needs):
#   make demo   set up a virtualenv and generate a workbook per bundled example client (out/static, out/live)
#   make test   set up the same virtualenv and run the whole test suite
#   make wheel  build the pure-Python wheel into dist/ and check it in a clean virtualenv
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test wheel bench docs clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/xhsxl batch workbooks/examples/clients.csv --out out/static --static --overwrite
	$(BIN)/xhsxl batch workbooks/examples/clients.csv --out out/live --overwrite
	@echo
	@echo "To send to clients (opens in any Excel or LibreOffice, no add-in): out/static/"
	@echo "For analysts with the xlwings add-in (XHS_ formulas):             out/live/"
	@echo "Every client's headline numbers: out/static/summary.xlsx; rows that could not be built: out/static/errors.csv"

test: $(BIN)/.installed
	$(BIN)/python -m pytest

wheel: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet "build>=1.2" "twine>=5"
	rm -rf dist build
	$(BIN)/python -m build --wheel --sdist --outdir dist .
	bash scripts/check_wheel.sh dist $(BIN)/python

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_udfs.py

docs: $(BIN)/.installed
	$(BIN)/python -m xhsxl.docs .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis

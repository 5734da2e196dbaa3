# The two commands of the README: `make run` and `make test`. Both create the
# virtual environment on first use and reinstall when pyproject.toml or constraints.txt
# (the exact versions installed) changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint fuzz sdk migrate bench backtest install clean actualizar-dependencias

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# constraints.txt again from the latest releases pyproject.toml admits, in a throwaway
# environment of the Python the image uses (3.11: `PYTHON=python3.11`); then `make test`
# and commit both (a numerical library's release can move a fitted figure's last digit).
actualizar-dependencias:
	rm -rf .venv-nuevo
	$(PYTHON) -m venv .venv-nuevo
	.venv-nuevo/bin/python -m pip install --quiet --upgrade pip
	.venv-nuevo/bin/python -m pip install --quiet -e '.[dev]'
	.venv-nuevo/bin/python -m pip freeze --exclude-editable > .venv-nuevo/congelado
	head -3 constraints.txt > .venv-nuevo/constraints
	grep -v '^smartbilling' .venv-nuevo/congelado >> .venv-nuevo/constraints
	mv .venv-nuevo/constraints constraints.txt
	rm -rf .venv-nuevo

run: $(STAMP)
	@echo "¿Primera vez? Carga la cartera de demostración (en otra terminal): $(BIN)/smartbilling-crm demo"
	$(BIN)/smartbilling-crm serve

migrate: $(STAMP)
	$(BIN)/smartbilling-crm migrate

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The benchmark of issues #6 and #14: `make bench` (10k clients vs 1k), `make bench SCALE=100000`;
# one part again: `make bench SCALE=100000 ARGS="--solo R1,R3 --cache /tmp/crm-bench"`.
SCALE ?= 10000
bench: $(STAMP)
	$(BIN)/python bench/run.py --scale $(SCALE) $(ARGS)

# The purchase and payment models judged on two public ledgers (bench/datos/), the
# engine's functions and this checkout's service over HTTP (two started on new SQLite
# files); writes bench/BACKTEST.md. `ARGS="--servicio http://127.0.0.1:8000"` reads a
# running service instead; `ARGS=--sin-servicio` starts none.
backtest: $(STAMP)
	$(BIN)/python bench/backtest.py $(ARGS)

fuzz: $(STAMP)
	bash scripts/fuzz.sh

# TypeScript clients generated from /openapi.json type-check the README's examples
# (needs Node 20+ and npm; works in a temporary folder).
sdk: $(STAMP)
	bash scripts/sdk/check.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# imagraph task runner. `make help` lists the targets.
# The first target that needs it creates .venv and installs the project into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help run check test test-disk test-virtuoso ckan-env lint format bench bench-load bench-load-short clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("imagraph needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# make run PORT=8081 HOST=0.0.0.0
HOST ?= 127.0.0.1
PORT ?= 8080

run: $(STAMP)  ## the main job: serve the bundled graph on http://$(HOST):$(PORT)/ (PORT=, HOST=)
	$(BIN)/imagraph serve --host $(HOST) --port $(PORT)

check: $(STAMP)  ## load the bundled graph, validate it and print the figures
	$(BIN)/imagraph check

lint: $(STAMP)  ## ruff lint and format check, mypy (strict, on src/imagraph)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: $(STAMP) lint  ## lint, then the whole test suite
	$(BIN)/python -m pytest

# The suite on the other stores: a new on-disk store, then a private Virtuoso on loopback
# (Debian's virtuoso-opensource; scripts/virtuoso.sh starts it in $(VIRTUOSO_DIR)).
VIRTUOSO_DIR  ?= .virtuoso
VIRTUOSO_PORT ?= 18890
VIRTUOSO      := http://127.0.0.1:$(VIRTUOSO_PORT)

test-disk: $(STAMP)  ## the whole suite on a new on-disk store
	IMAGRAPH_TEST_STORE=disk $(BIN)/python -m pytest -q

test-virtuoso: $(STAMP)  ## the whole suite on Virtuoso (needs virtuoso-opensource installed)
	scripts/virtuoso.sh start $(VIRTUOSO_DIR) $(VIRTUOSO_PORT)
	IMAGRAPH_TEST_STORE=$(VIRTUOSO)/sparql \
	IMAGRAPH_STORE_UPDATE_URL=$(VIRTUOSO)/sparql-auth \
	IMAGRAPH_STORE_GRAPH_STORE_URL=$(VIRTUOSO)/sparql-graph-crud-auth \
	IMAGRAPH_STORE_USER=dba IMAGRAPH_STORE_PASSWORD=dba IMAGRAPH_STORE_AUTH=digest \
	$(BIN)/python -m pytest -q; status=$$?; scripts/virtuoso.sh stop $(VIRTUOSO_DIR); exit $$status

ckan-env: .ckan/.installed  ## the ckanext-dcat environment tests/test_ckan.py harvests with

.ckan/.installed: tests/peers/ckan-requirements.txt
	$(PYTHON) -m venv .ckan
	.ckan/bin/python -m pip install --quiet --upgrade pip
	.ckan/bin/python -m pip install --quiet --no-deps -r tests/peers/ckan-requirements.txt
	touch .ckan/.installed

format: $(STAMP)  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP)  ## the load and validation benchmark (see bench/README.md)
	$(BIN)/python bench/bench_foundation.py

bench-load: $(STAMP)  ## 32 clients for 60 s, with and without heavy queries (bench/README.md)
	cd bench && ../$(BIN)/python bench_load.py --seconds 60

# CI's short form gates on errors only: a shared CI machine's timings are not figures (the 60 s
# run on a quiet machine is, see bench/README.md); it prints the p99 it saw.
bench-load-short: $(STAMP)  ## the load benchmark's short form CI runs: 10 s per phase, 0 errors
	cd bench && ../$(BIN)/python bench_load.py --seconds 10 --max-p99 0

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache build src/*.egg-info $(VIRTUOSO_DIR) .ckan

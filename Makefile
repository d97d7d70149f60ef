# The two commands of the README: `make demo` and `make test`. Both do their own set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RESI := $(BIN)/resi
DEMO_DIR := .resi/demo-network

.PHONY: setup demo test lint docs bench-load bench-dbt bench-api bench-watch clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# The main job on the embedded default (or on PG* when set): a simulated network of
# 20 miners and 5,000 listings, loaded, built, documented and summarised.
demo: setup
	@test -f $(DEMO_DIR)/.complete || ( rm -rf $(DEMO_DIR) && \
		$(RESI) simulate $(DEMO_DIR) --miners 20 --listings 5000 --bad && touch $(DEMO_DIR)/.complete )
	$(RESI) load $(DEMO_DIR)/bucket
	$(RESI) dbt seed --quiet
	$(RESI) dbt build --quiet --exclude resource_type:seed
	$(RESI) dbt docs generate --static --quiet
	$(RESI) db roles
	$(RESI) summary

lint: setup
	$(BIN)/ruff check loader resi tests scripts
	$(BIN)/ruff format --check loader resi tests scripts
	$(RESI) dbt parse --quiet
	eval "$$($(RESI) db env)" && $(BIN)/sqlfluff lint models analyses

test: lint
	$(BIN)/pytest

# The docs site as one self-contained file (every model, column, rule, and the lineage).
docs: setup
	$(RESI) dbt docs generate --static
	@echo "docs site: $(CURDIR)/target/static_index.html"

bench-load: setup
	$(BIN)/python scripts/bench_load.py

# The dbt project at each size; e.g. BENCH_DBT_ARGS="--rows 100000 1000000 10000000 --work /var/tmp/resi-bench"
BENCH_DBT_ARGS ?= --rows 100000 1000000
bench-dbt: setup
	$(BIN)/python scripts/bench_dbt.py $(BENCH_DBT_ARGS)

# The API against a built database: BENCH_API_ARGS="--database NAME" (e.g. one that
# `scripts/bench_dbt.py --keep` left at 1M raw rows) or "--simulate 2000" (a new network).
BENCH_API_ARGS ?= --simulate 2000
bench-api: setup
	$(BIN)/python scripts/bench_api.py $(BENCH_API_ARGS)

bench-watch: setup
	$(BIN)/python scripts/bench_watch.py

clean:
	-$(RESI) db stop
	rm -rf .resi target logs

# Conveyor: `make run` starts everything locally (embedded SQLite default), `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck lock bench clean

$(STAMP): requirements/dev.txt pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e clients/python
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/conveyor run

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Re-resolve the dependency set and export one locked requirements file per image.
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv lock --python 3.11
	$(BIN)/uv export --frozen --no-hashes --no-emit-project --extra api -o requirements/api.txt
	$(BIN)/uv export --frozen --no-hashes --no-emit-project --extra pdf -o requirements/worker-pdf.txt
	$(BIN)/uv export --frozen --no-hashes --no-emit-project --extra ocr -o requirements/worker-ocr.txt
	$(BIN)/uv export --frozen --no-hashes --no-emit-project --extra color -o requirements/worker-color.txt
	$(BIN)/uv export --frozen --no-hashes --no-emit-project --extra crawl -o requirements/worker-crawl.txt
	$(BIN)/uv export --frozen --no-hashes --no-emit-project --extra monitor -o requirements/monitor.txt
	$(BIN)/uv export --frozen --no-hashes --no-emit-project --all-extras -o requirements/dev.txt

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var

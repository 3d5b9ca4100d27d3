# Council Publishing: `make run` for a local council with a demo, `make test` for
# the whole suite. Both create .venv on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install lint soak bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python manage.py devkey
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/honcho --procfile Procfile.dev --no-prefix start || true

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf var .pytest_cache .ruff_cache

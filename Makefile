# Set-up is part of every target: a fresh machine needs only `make demo` or `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-python install clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gymnos-edge demo-data demo_data
	$(BIN)/gymnos-edge manifest check demo_data/manifest.csv

test: test-python

test-python: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf demo_data runs export/*/ .pytest_cache

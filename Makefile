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

# Offline there are no ImageNet weights, so the demo trains on a random backbone (--weights none)
# at 128×128 to stay quick on a laptop CPU; real use: drop both flags.
demo: $(STAMP)
	$(BIN)/gymnos-edge demo-data demo_data
	$(BIN)/gymnos-edge manifest check demo_data/manifest.csv
	$(BIN)/gymnos-edge train demo_data/manifest.csv --weights none --image-size 128 --out runs/demo

test: test-python

test-python: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf demo_data runs export/*/ .pytest_cache

# Every target creates its own virtual environment in .venv on first use.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/lawm data random walker-walk --episodes 20 --out data/demo.h5
	$(BIN)/lawm data stats data/demo.h5 --plot data/demo_returns.png

test: setup
	$(BIN)/python -m pytest

bench: setup
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

# The two commands a new user needs: `make train` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install train test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

train: install
	$(BIN)/python examples/train_hackmatrix.py $(ARGS)

test: install
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/bench_env.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_chunked.py

clean:
	rm -rf $(VENV) checkpoints wandb .pytest_cache .hypothesis

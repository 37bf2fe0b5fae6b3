# Every target creates .venv and fetches what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HELM3 := .tools/helm3/helm
HELM4 := .tools/helm4/helm
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all demo test lint typecheck unit tools bench bench-full clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(HELM3) $(HELM4) &: tools/fetch_helm.py
	$(PYTHON) tools/fetch_helm.py

tools: $(HELM3) $(HELM4)

demo: $(STAMP) tools
	@mkdir -p out
	@for chart in static-server static-client multiport-web; do \
	  echo "== Helm 4 + consul-inject plugin: examples/$$chart -> out/$$chart.yaml =="; \
	  CONSUL_INJECT_LOG=out/$$chart.report HELM_PLUGINS=$(CURDIR)/plugin \
	    $(HELM4) template $$chart examples/$$chart --namespace apps \
	    --post-renderer consul-inject --post-renderer-args=--namespace=apps \
	    > out/$$chart.yaml || exit 1; \
	  cat out/$$chart.report; \
	done
	@echo "== Helm 3 + consul-inject: examples/static-client -> out/static-client.helm3.yaml =="
	@$(HELM3) template static-client examples/static-client --namespace apps \
	  --post-renderer $(BIN)/consul-inject --post-renderer-args=--namespace=apps \
	  > out/static-client.helm3.yaml

lint: $(STAMP)
	$(BIN)/ruff check src tests tools bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) tools
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP) tools
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/run.py --plot bench/time-vs-documents.png

bench-full: $(STAMP) tools
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/run.py --full --plot bench/time-vs-documents.png

clean:
	rm -rf $(VENV) .tools out .mypy_cache .ruff_cache .pytest_cache

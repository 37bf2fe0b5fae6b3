# Every target creates .venv and fetches what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HELM3 := .tools/helm3/helm
HELM4 := .tools/helm4/helm
# Kubernetes 1.24 schemas: kubernetes-validate 1.37 no longer ships them; 1.33.1 does.
K8S_124_DIR := .tools/kubernetes-validate-1.24
K8S_124 := $(K8S_124_DIR)/kubernetes_validate/kubernetes-json-schema/v1.24.0-local-strict
K8S_124_WHEEL_SHA256 := fd910cff492ea32c85b8733fedd31dd0cf582925d3b3a3e73ceda1876f87bdcb
FUZZ_COUNT ?= 20000
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all demo test lint typecheck unit tools bench bench-full fuzz clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	# Byte-compile as a regular pip install does (an editable install does not, and with
	# PYTHONDONTWRITEBYTECODE set every run would compile the package again: ~40 ms).
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

$(HELM3) $(HELM4) &: tools/fetch_helm.py
	$(PYTHON) tools/fetch_helm.py

$(K8S_124): | $(STAMP)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
	  --dest $(K8S_124_DIR) kubernetes-validate==1.33.1
	$(BIN)/python -c "import glob, hashlib, sys, zipfile; \
	  w = glob.glob('$(K8S_124_DIR)/kubernetes_validate-1.33.1-*.whl')[0]; \
	  d = hashlib.sha256(open(w, 'rb').read()).hexdigest(); \
	  sys.exit(f'{w}: sha256 {d} != $(K8S_124_WHEEL_SHA256)') if d != '$(K8S_124_WHEEL_SHA256)' else None; \
	  z = zipfile.ZipFile(w); [z.extract(n, '$(K8S_124_DIR)') for n in z.namelist() if '/v1.24.0-local-strict/' in n]"

tools: $(HELM3) $(HELM4) $(K8S_124)

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
	@for chart in static-server static-client multiport-web; do \
	  echo "== Helm 4, consul-k8s 2.0 (consul-dataplane): examples/$$chart -> out/$$chart.v2.0.yaml =="; \
	  CONSUL_INJECT_LOG=out/$$chart.v2.0.report HELM_PLUGINS=$(CURDIR)/plugin \
	    $(HELM4) template $$chart examples/$$chart --namespace apps \
	    --post-renderer consul-inject --post-renderer-args=--namespace=apps \
	    --post-renderer-args=--consul-k8s-version=2.0 \
	    --post-renderer-args=--cluster-dns-ip=10.96.0.10 \
	    > out/$$chart.v2.0.yaml || exit 1; \
	  cat out/$$chart.v2.0.report; \
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

fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run --count $(FUZZ_COUNT)

clean:
	rm -rf $(VENV) .tools out .mypy_cache .ruff_cache .pytest_cache

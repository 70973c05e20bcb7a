# saturn — build, run and test. `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
BIN         := $(ROOT)/bin
GO          ?= go
export SATURN_CACHE ?= $(HOME)/.cache/saturn
K8S_VERSION := v1.34.4
ENVTEST_BIN := $(SATURN_CACHE)/k8s/$(K8S_VERSION)/bin

PROMETHEUS_VERSION    := v0.316.0
HELM_VERSION          := v3.22.0
KIND_VERSION          := v0.33.0
GOLANGCI_LINT_VERSION := v2.15.0
GOTESTSUM_VERSION     := v1.13.0

SCENARIO ?=
FOCUS    ?=
PKG      ?= ./...

.PHONY: help
help: ## List the targets with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build saturn, saturn-controller and saturn-sim into bin/
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./harness/cmd/saturn ./controller/cmd/saturn-controller ./simulator/cmd/saturn-sim

.PHONY: run
run: ## Run the quick-start scenario in the digital twin (no cluster) and print its report
	$(GO) run ./harness/cmd/saturn run $(if $(SCENARIO),$(SCENARIO),scenarios/quickstart.yaml) --out out/quickstart

.PHONY: test
test: test-deps ## Unit and integration tests with -race (real Prometheus, kube-apiserver, etcd; no cluster)
	KUBEBUILDER_ASSETS=$(ENVTEST_BIN) SATURN_PROMETHEUS=$(BIN)/prometheus SATURN_HELM=$(BIN)/helm \
	  SATURN_PROMETHEUS_ADAPTER=$(BIN)/prometheus-adapter \
	  $(BIN)/gotestsum --format pkgname-and-test-fails -- -race -count=1 -timeout 20m $(PKG)
	@# Too slow under -race: the 24-hour scenario's golden summary, and the library and
	@# held-out tables (every scenario under capacity and wva-v1, with floor and plan).
	$(BIN)/gotestsum --format pkgname-and-test-fails -- -count=1 -timeout 20m -run 'TestGolden/diurnal-24h$$' ./harness/twin
	$(BIN)/gotestsum --format pkgname-and-test-fails -- -count=1 -timeout 20m -run 'TestLibraryTable|TestHeldOutTable' ./harness/suite

.PHONY: test-deps
test-deps: $(BIN)/prometheus $(BIN)/helm $(BIN)/prometheus-adapter $(BIN)/gotestsum envtest ## Build what the tests need (cached)

.PHONY: envtest
envtest: ## Build kube-apiserver and etcd from the Go module proxy for envtest (cached)
	bash hack/envtest.sh

.PHONY: bench
bench: ## Run the benchmarks (twin speed, engine, server throughput, controller cycle)
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKG)

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 20s)
	bash hack/fuzz.sh $${FUZZTIME:-20s}

.PHONY: lint
lint: ## gofmt, go vet and golangci-lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if [ ! -x $(BIN)/golangci-lint ]; then GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) || echo "golangci-lint did not install from the module proxy; gofmt and go vet ran"; fi
	@if [ -x $(BIN)/golangci-lint ]; then $(BIN)/golangci-lint run ./...; fi

.PHONY: images
images: build ## Build the FROM-scratch images (controller, simulator, harness, prometheus)
	bash kind/images.sh

.PHONY: kind-node-image
kind-node-image: ## Build the Kind node image from sources when it is not present (cached)
	bash kind/node-image.sh

.PHONY: e2e
e2e: ## Boot Kind with a TLS Prometheus and run the e2e suite (FOCUS=regexp for one feature)
	bash kind/e2e.sh $(FOCUS)

.PHONY: calibrate
calibrate: ## Regenerate simulator/profiles/CALIBRATION.md
	$(GO) run ./simulator/cmd/saturn-calibrate --out simulator/profiles/CALIBRATION.md

.PHONY: clean
clean: ## Remove build outputs (bin/, out/, artifacts/); caches stay
	rm -rf $(BIN) out artifacts

$(BIN)/prometheus:
	GOBIN=$(BIN) $(GO) install github.com/prometheus/prometheus/cmd/prometheus@$(PROMETHEUS_VERSION)

$(BIN)/helm:
	GOBIN=$(BIN) $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

# Prometheus Adapter, pinned by the wrapper module hack/prometheus-adapter (v0.12.0).
$(BIN)/prometheus-adapter: hack/prometheus-adapter/go.mod hack/prometheus-adapter/go.sum
	cd hack/prometheus-adapter && CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/prometheus-adapter sigs.k8s.io/prometheus-adapter/cmd/adapter

$(BIN)/kind:
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kind@$(KIND_VERSION)

$(BIN)/gotestsum:
	GOBIN=$(BIN) $(GO) install gotest.tools/gotestsum@$(GOTESTSUM_VERSION)

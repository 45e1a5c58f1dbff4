# event-pipeline: every target runs on Node 24, installed into the cache when the system Node is older.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_VERSION := 24.21.0
CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/event-pipeline
NODE_DIR := $(CACHE_DIR)/node/$(NODE_VERSION)
SYSTEM_NODE_OK := $(shell node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' >/dev/null 2>&1 && echo yes)
ifneq ($(SYSTEM_NODE_OK),yes)
export PATH := $(NODE_DIR)/bin:$(PATH)
NODE_PREREQ := $(NODE_DIR)/bin/node
endif
export EVENT_PIPELINE_CACHE := $(CACHE_DIR)

STACK := node packages/stack/src/cli.ts
DEV_STATE := .stack/dev
TEST_STATE := .stack/test
UNIT_TESTS := 'packages/*/src/**/*.test.ts' 'services/*/src/**/*.test.ts' 'operator/src/**/*.test.ts'
INTEGRATION_TESTS := 'test/**/*.test.ts' 'services/*/test/**/*.test.ts' 'operator/test/**/*.test.ts'
# Fault tests that stop and restart their own dependencies mid-run (on private stacks they start
# themselves) and are sensitive to CPU starvation run afterwards, one file at a time, after the
# shared stack is stopped, with nothing else competing.
SERIAL_TESTS := 'services/*/test/**/*.serial.ts'
# Node's warnings in test processes, routed as the services route them (test/support/process-warnings.ts).
TEST_WARNINGS := test/support/process-warnings.ts
TEST_CONCURRENCY ?= 2
# A hung test fails after 10 minutes instead of holding the run, and a hung pass after 30.
TEST_TIMEOUT_MS ?= 600000
TEST_PASS_TIMEOUT_S ?= 1800

.PHONY: help node install typecheck lint format format-check test test-unit up down status env clean
.PHONY: chart-crds chart-docs kind-up images kind-load deploy demo kind-down

help: ## list the targets
	@grep -E '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(NODE_DIR)/bin/node:
	@scripts/ensure-node.sh $(NODE_VERSION) $(NODE_DIR)

node: $(NODE_PREREQ) ## install Node $(NODE_VERSION) into the cache when the system Node is older than 24
	@node --version

node_modules/.package-lock.json: package.json package-lock.json $(wildcard packages/*/package.json services/*/package.json operator/package.json) | $(NODE_PREREQ)
	npm ci --no-audit --no-fund --strict-allow-scripts
	@touch $@

install: node_modules/.package-lock.json ## install npm dependencies (npm ci)

typecheck: install ## strict TypeScript over the whole repository
	npx tsc -p tsconfig.json

lint: install ## ESLint (typescript-eslint strict type-checked) and Prettier check
	npx eslint --max-warnings 0 .
	npx prettier --check .

format: install ## format every file with Prettier
	npx prettier --write .

test-unit: install ## pure-logic tests only, no stack (fast inner loop)
	node --import ./$(TEST_WARNINGS) --test --test-concurrency=$(TEST_CONCURRENCY) $(UNIT_TESTS)

# The whole suite: the stack starts once per pass (test/global-setup.ts) and is stopped afterwards,
# also when a test fails or the run is interrupted. Both passes always run, so one failure does not
# hide the others; each is bounded by `timeout`, so a hang fails the run instead of holding it, and
# --test-force-exit ends a test file once its tests are done even if a client still holds a socket.
test: typecheck lint ## everything CI runs: typecheck, lint, unit, integration and fault tests on the real stack
	@trap '$(STACK) down --state-dir $(TEST_STATE) >/dev/null 2>&1 || true' EXIT; \
	status=0; \
	STACK_STATE_DIR=$(TEST_STATE) timeout --kill-after=60 $(TEST_PASS_TIMEOUT_S) \
	  node --import ./$(TEST_WARNINGS) --test --test-force-exit --test-concurrency=$(TEST_CONCURRENCY) \
	  --test-timeout=$(TEST_TIMEOUT_MS) --test-global-setup=test/global-setup.ts \
	  $(UNIT_TESTS) $(INTEGRATION_TESTS) || status=$$?; \
	$(STACK) down --state-dir $(TEST_STATE) >/dev/null 2>&1 || true; \
	STACK_STATE_DIR=$(TEST_STATE) timeout --kill-after=60 $(TEST_PASS_TIMEOUT_S) \
	  node --import ./$(TEST_WARNINGS) --test --test-force-exit --test-concurrency=1 \
	  --test-timeout=$(TEST_TIMEOUT_MS) $(SERIAL_TESTS) || status=$$?; \
	if [ $$status -ne 0 ]; then echo "make test: a pass failed (exit $$status); see the failing tests above" >&2; fi; \
	exit $$status

# `make bench-ingest` runs bench/ingest.ts, and so on: each prints a table and writes bench/results/*.json.
bench-%: install ## run bench/<name>.ts (e.g. make bench-ingest)
	node bench/$*.ts

up: install ## run the platform locally (PostgreSQL, Redis, Kafka, Kubernetes) and print its endpoints
	$(STACK) up --state-dir $(DEV_STATE)

down: install ## stop everything `make up` started
	$(STACK) down --state-dir $(DEV_STATE)

status: install ## show what `make up` is running
	$(STACK) status --state-dir $(DEV_STATE)

env: install ## connection settings of `make up` as env lines (eval "$$(make -s env)")
	@$(STACK) env --state-dir $(DEV_STATE)

clean: ## stop both stacks and delete their state (not the download cache)
	-$(STACK) down --state-dir $(DEV_STATE)
	-$(STACK) down --state-dir $(TEST_STATE)
	rm -rf .stack

# ---- Helm chart -------------------------------------------------------------------------------
CHART := charts/event-pipeline
TOOLS_STATE := .stack/tools

chart-crds: ## copy crds/ into the chart (test/chart fails when the copy is stale)
	rm -f $(CHART)/crd-bases/*.yaml
	cp crds/*.yaml $(CHART)/crd-bases/

chart-docs: install ## regenerate the chart README from values.yaml (helm-docs, built by the stack)
	$(STACK) up --state-dir $(TOOLS_STATE) tools >/dev/null
	eval "$$($(STACK) env --state-dir $(TOOLS_STATE))"; "$$HELM_DOCS" --chart-search-root $(CHART) --template-files README.md.gotmpl

# ---- kind (needs Docker and kind; cannot run on the development machines) ----------------------
KIND_CLUSTER := event-pipeline
IMAGE_REGISTRY ?= ghcr.io/event-pipeline
IMAGE_TAG ?= 0.1.0
IMAGES := operator ingest dedup-consumer archiver
RELEASE_NAMESPACE := event-pipeline-system

kind-up: ## create the kind cluster from kind-config.yaml
	kind create cluster --config kind-config.yaml

images: ## build the operator and service images from the one Dockerfile
	for target in $(IMAGES); do \
	  docker build --target $$target -t $(IMAGE_REGISTRY)/$$target:$(IMAGE_TAG) . ; \
	done

kind-load: ## load the images into the kind cluster
	for target in $(IMAGES); do \
	  kind load docker-image --name $(KIND_CLUSTER) $(IMAGE_REGISTRY)/$$target:$(IMAGE_TAG) ; \
	done

deploy: ## install the chart with the development Kafka, PostgreSQL and Redis into kind
	helm upgrade --install event-pipeline $(CHART) --namespace $(RELEASE_NAMESPACE) --create-namespace \
	  --set image.tag=$(IMAGE_TAG) --set image.pullPolicy=Never --set devDependencies.enabled=true --wait
	kubectl -n $(RELEASE_NAMESPACE) wait --for=condition=Available deployment --all --timeout=180s

demo: ## apply the minimal pipeline, send an event, show it stored in PostgreSQL
	kubectl -n $(RELEASE_NAMESPACE) apply -f $(CHART)/examples/minimal.yaml
	kubectl -n $(RELEASE_NAMESPACE) wait --for=condition=Ready eventpipeline/demo --timeout=300s
	kubectl -n $(RELEASE_NAMESPACE) patch service demo-ingest --type=merge \
	  -p '{"spec":{"type":"NodePort","ports":[{"name":"http","port":80,"targetPort":"http","nodePort":30080}]}}'
	curl -fsS -i http://127.0.0.1:8080/v1/events -H 'Authorization: Bearer demo-key-change-me' \
	  -H 'Content-Type: application/json' \
	  -d '{"id":"demo-0001","type":"page_view","userId":"user-42","properties":{"path":"/pricing"}}'
	sleep 5
	kubectl -n $(RELEASE_NAMESPACE) exec deployment/event-pipeline-postgres -- \
	  psql -U events -d events -c 'SELECT event_id, type, user_id, received_at FROM events ORDER BY received_at DESC LIMIT 5'

kind-down: ## delete the kind cluster
	kind delete cluster --name $(KIND_CLUSTER)

# The two commands: `make up` (deploy the dev stack) and `make test` (every test).
# Each installs whatever is missing first; tools come from the cache under $HOME.
SHELL := /bin/bash
.DEFAULT_GOAL := help
MOCHA := node_modules/.bin/mocha -r ts-node/register/transpile-only
NODE_STAMP := node_modules/.mlplat-installed

help:
	@echo "make up          install what is missing, start the local control plane if the dev stack uses it, pulumi up the dev stack"
	@echo "make test        install what is missing and run every test (unit, data path, end to end)"
	@echo "make test-unit   type-check and run the unit tests"
	@echo "make test-datapath  run the inference pipeline's data path against real PostgreSQL, RabbitMQ, Redis and Benthos"
	@echo "make test-go     the Go tests of our tools (local cloud controller, language host)"
	@echo "make test-e2e    pulumi up / preview / update / destroy of the dev stack on the local control plane"
	@echo "make preview | destroy | outputs   the same for the dev stack (STACK=... for another)"
	@echo "make cluster-up | down | cluster-status   the local control plane"
	@echo "make tools       build the Pulumi CLI, providers and control plane from Go modules (cached)"
	@echo "make gen         regenerate Pulumi.yaml and docs/configuration.md from stacks/settings.ts"
	@echo "make mirror STACK=...   copy the stack's images and charts into its mirror, pinned in images.<stack>.lock (mirror-list / mirror-export / mirror-import: docs/air-gap.md)"

# npm ci when node_modules is missing or older than the lock file. Install scripts stay
# unapproved on purpose: the only ones are @pulumi/kubernetes' plugin download (we build
# the plugin) and protobufjs' version notice.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

deps: $(NODE_STAMP)

# What the main job needs (make up); the test targets add their own (Benthos for the data path).
MAIN_TOOLS := pulumi kubernetes-provider random-provider kube etcd kwok localcloud

tools:
	scripts/build-tools.sh

tools-main:
	scripts/build-tools.sh $(MAIN_TOOLS)

install: deps tools-main

up: install
	scripts/stack.sh up

preview: install
	scripts/stack.sh preview

destroy: install
	scripts/stack.sh destroy

outputs: install
	scripts/stack.sh outputs

cluster-up: tools-main
	scripts/cluster.sh up

down:
	scripts/cluster.sh down

cluster-status:
	scripts/cluster.sh status

gen: deps
	node_modules/.bin/ts-node --transpile-only scripts/gen-config.ts

typecheck: deps
	node_modules/.bin/tsc --noEmit -p .

# Layering: nothing under components/ imports stacks/, no import cycles (.dependency-cruiser.cjs).
lint-deps: deps
	node_modules/.bin/depcruise --config .dependency-cruiser.cjs index.ts lib.ts components stacks scripts

test-unit: typecheck lint-deps
	$(MOCHA) --recursive 'test/unit/**/*.test.ts'

test-datapath: deps
	scripts/datapath-deps.sh
	node_modules/.bin/mocha --config test/datapath/.mocharc.yml

test-e2e: install
	scripts/test-e2e.sh

# The Go tests of our own tools (the local cloud controller, the language host).
test-go:
	cd tools/localcloud && go test ./...
	cd tools/pulumi && GONOSUMDB=github.com/pulumi go test ./cmd/...

test: install
	$(MAKE) test-unit
	$(MAKE) test-go
	$(MAKE) test-datapath
	$(MAKE) test-e2e

build: deps
	node_modules/.bin/tsc -p tsconfig.build.json

.PHONY: help deps tools tools-main install up preview destroy outputs cluster-up down cluster-status gen typecheck test-unit test-datapath test-e2e test-go test build

# The policy pack (policy/, docs/reviewing-changes.md): its own packages, type-checked with the
# unit tests (previews run it type-checked too), installed with the main job's tools.
policy-deps: deps
	scripts/policy.sh deps

typecheck-policy: policy-deps
	node_modules/.bin/tsc -p policy/tsconfig.json --noEmit

install: policy-deps
test-unit: typecheck-policy

.PHONY: policy-deps typecheck-policy

# The GitHub workflows (.github/workflows), linted by actionlint built from Go modules (tools/actionlint).
lint-workflows:
	scripts/build-tools.sh actionlint
	"$$(tools/actionlint/build.sh --print-dir)/actionlint" .github/workflows/*.yml

test: lint-workflows

.PHONY: lint-workflows

# A model's server image without a Docker daemon (crane; scripts/model-image.sh --help):
#   make model-image MODEL=dir BASE=server-image REPO=repository [NAME=model STACK=dev] [ARGS="--tag v1 ..."]
# prints <repository>@sha256:...; with NAME, sets modelServing.models.NAME.image in the stack.
model-image:
	scripts/model-image.sh --model "$(MODEL)" --base "$(BASE)" --repo "$(REPO)" $(if $(NAME),--set-config "$(NAME)" --stack "$(or $(STACK),dev)") $(ARGS)

# model-image against a registry on loopback (crane registry serve): layers, config, stable digests.
test-model-image: deps
	scripts/build-tools.sh crane
	$(MOCHA) 'test/model-image/**/*.test.ts'

test: test-model-image

.PHONY: model-image test-model-image

# Air gap (docs/air-gap.md): every image and chart of a stack carried into its mirror with crane,
# pinned by digest in images.<stack>.lock (scripts/mirror.sh):
#   make mirror STACK=prod                            copy into the mirror, write the lock
#   make mirror-list STACK=prod                       every image and chart, source → target (JSON); copies nothing
#   make mirror-export STACK=prod [BUNDLE=file.tar]   one bundle of OCI layouts (connected side)
#   make mirror-import STACK=prod BUNDLE=file.tar     push it into the mirror, digests verified
mirror: deps
	scripts/build-tools.sh crane pulumi
	scripts/mirror.sh mirror "$(STACK)"

mirror-list: deps
	scripts/build-tools.sh pulumi
	@scripts/mirror.sh list "$(STACK)"

mirror-export: deps
	scripts/build-tools.sh crane pulumi
	scripts/mirror.sh export "$(STACK)" "$(or $(BUNDLE),mirror-$(STACK).tar)"

mirror-import: deps
	scripts/build-tools.sh crane pulumi
	scripts/mirror.sh import "$(STACK)" "$(BUNDLE)"

# make mirror / export / import against loopback registries (crane registry serve, an auth front).
test-mirror: deps
	scripts/build-tools.sh crane pulumi
	node_modules/.bin/mocha --config test/mirror/.mocharc.yml

test: test-mirror

.PHONY: mirror mirror-list mirror-export mirror-import test-mirror

# Benchmarks (bench/, results in docs/benchmarks.md): no-op preview/up and where the time goes,
# pulumi up against the kubectl floor, cost per model to 1,000, tool builds (recorded). Each
# script starts and purges its own control plane (.local/bench-cluster, shifted ports).
# BENCH_RUNS=n rounds (default 3), alternated, medians printed.
bench: install
	bench/noop.sh
	bench/floor.sh
	bench/scale.sh
	bench/tools.sh

.PHONY: bench

# Quick start: `make demo` runs the main job on local clusters, `make test` runs every test.
# Both install what they need: a supported Node (from the npm registry), npm packages, and the Kubernetes and etcd
# binaries (built once from their Go modules into ~/.cache/operator-ts).
SHELL := /bin/bash
RUN := scripts/with-node

.PHONY: all deps envtest test typecheck build demo bench clean

all: test

node_modules/.deps-stamp: package.json package-lock.json packages/*/package.json examples/*/package.json
	$(RUN) npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.deps-stamp

## envtest: build or find kube-apiserver, kube-controller-manager and etcd (once per version)
envtest: deps
	$(RUN) npm run --silent envtest:setup -- --controller-manager

## test: typecheck, then every unit and integration test against real API servers
test: deps envtest typecheck
	$(RUN) npm test

typecheck: deps
	$(RUN) npm run typecheck

build: deps
	$(RUN) npm run build

## demo: the main job on three local clusters (DEMO_ARGS=--exit-when-ready stops once the K8ssandraCluster is Ready)
DEMO_ARGS ?=
demo: deps envtest
	$(RUN) npm run --silent demo -- $(DEMO_ARGS)

bench: deps envtest
	$(RUN) npm run bench

clean:
	rm -rf node_modules packages/*/dist examples/*/dist

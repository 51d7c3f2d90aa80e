# blur: `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install models sample browser bench-recall bench-speed bench-batch clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

models: $(STAMP)
	$(BIN)/blur models --fetch

samples/astronaut.mp4: | $(STAMP)
	$(BIN)/python samples/make_sample.py samples/astronaut.mp4

sample: samples/astronaut.mp4

demo: models sample
	$(BIN)/blur redact samples/astronaut.mp4 -o samples/astronaut.redacted.mp4 --force
	@echo "Redacted sample written to $(CURDIR)/samples/astronaut.redacted.mp4"

# The review page is tested in a real headless Chromium: Debian's package, as
# Playwright's own browser download needs a host these machines cannot reach.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

test: models browser
	$(BIN)/python -m pytest

bench-recall: models
	$(BIN)/python benchmarks/recall.py

bench-speed: models
	$(BIN)/python benchmarks/speed.py

bench-batch: models
	$(BIN)/python benchmarks/batch.py

clean:
	rm -rf $(VENV) samples/astronaut.redacted.mp4

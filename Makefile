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

# deface, the best-known open-source anonymiser, as the speed benchmark's
# reference: in a venv of its own, as it needs opencv-python, which must not sit
# beside mediapipe's OpenCV.
DEFACE := .venv-deface/bin/deface
$(DEFACE):
	$(PYTHON) -m venv .venv-deface
	.venv-deface/bin/python -m pip install --quiet deface==1.5.0

bench-speed: models $(DEFACE)
	$(BIN)/python benchmarks/speed.py --deface $(DEFACE)

bench-batch: models
	$(BIN)/python benchmarks/batch.py

clean:
	rm -rf $(VENV) .venv-deface samples/astronaut.redacted.mp4

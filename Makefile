# Every target creates its own virtual environment in .venv on first use.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench
setup: $(VENV)/.installed

# Headless rendering (lawm eval --video) needs Debian's EGL and OSMesa libraries: installed here as root,
# named for anyone else.
RENDER_PACKAGES := libegl1 libgl1-mesa-dri libosmesa6

$(VENV)/.installed: pyproject.toml
	if command -v dpkg >/dev/null && ! dpkg -s $(RENDER_PACKAGES) >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q $(RENDER_PACKAGES); \
		else echo "videos need: sudo apt-get install $(RENDER_PACKAGES)"; fi; fi
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# A smoke-scale demo, about seven minutes on 2 busy cores of an AVX2-only CPU: a 100-episode walker-walk
# medium-replay dataset (5 % labeled) from the shipped snapshots (two rollout processes) and its return histogram,
# then LAWM at the `demo` preset (one torch thread: its small networks are overhead-bound), its learning curve,
# and the final policy evaluated again on film. Rerunning resumes.
demo: data/demo.h5
	$(BIN)/lawm data stats data/demo.h5 --plot data/demo_returns.png
	$(BIN)/lawm train lawm --dataset data/demo.h5 --preset demo --run runs/demo --threads 1
	$(BIN)/lawm plot runs/demo --out runs/demo/curve.png
	$(BIN)/lawm eval runs/demo --video runs/demo/video.mp4

data/demo.h5: | setup
	$(BIN)/lawm data make walker-walk medium-replay --episodes 100 --workers 2 --out $@

test: setup
	$(BIN)/python -m pytest

bench: setup
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

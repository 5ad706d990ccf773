# The README's two commands: `make demo` and `make test`. Both install what is missing first.
VENV  := .venv
PY    := $(VENV)/bin/python
TB    := $(VENV)/bin/tilikbench
export YOLO_OFFLINE := 1

.PHONY: setup demo test bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m benchmarks.demo

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m pytest -q -m bench -s -p no:randomly

clean:
	rm -rf results/*/ cache/ .state/

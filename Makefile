.PHONY: setup test lint bench run

setup:            ## install the package with its test extras and Debian's chromium
	bash scripts/setup-tests.sh

test:             ## the README's test command
	bash scripts/setup-tests.sh && python -m pytest

lint:
	ruff check . && ruff format --check .

bench:            ## speed figures (engine, sweeps)
	python -m sim bench && python -m pytest -m benchmark -q -s

run:
	python -m sim run --out results/base

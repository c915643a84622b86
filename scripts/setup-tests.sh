#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine: the exact, tested versions
# of every package (requirements.lock: runtime, test extras and everything they pull in), the
# package itself (editable), and Debian's Chromium for the browser tests (Playwright drives it;
# a browser download by Playwright itself is not possible on a closed network).
# About 2 minutes for the packages and 3-5 for Chromium on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

python -m pip install --quiet --disable-pip-version-check -r requirements.lock -e ".[test]"

# Notebook tests (tests/test_notebooks.py) execute on the "python3" Jupyter kernel.
if ! python -m jupyter kernelspec list 2>/dev/null | grep -q '^ *python3 '; then
    python -m ipykernel install --user --name python3 >/dev/null
fi

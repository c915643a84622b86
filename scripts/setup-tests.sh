#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine: the package with its
# test extras, and Debian's Chromium for the browser tests (Playwright drives it; a browser
# download by Playwright itself is not possible on a closed network).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

python -m pip install --quiet --disable-pip-version-check -e ".[test]"

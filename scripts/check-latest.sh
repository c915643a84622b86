#!/usr/bin/env bash
# Before an upgrade: build a fresh virtualenv with the NEWEST versions pyproject.toml's ranges
# allow (no lock), run the test suite there, and print which packages differ from
# requirements.lock. Upgrading is then a deliberate act: run this, fix what fails (or narrow
# a range and say why in pyproject.toml), regenerate the lock with the command at its top.
#
#   bash scripts/check-latest.sh            # whole suite (about 10 minutes on 2 cores)
#   bash scripts/check-latest.sh -k golden  # extra arguments go to pytest
set -uo pipefail
cd "$(dirname "$0")/.."

WORK="$(mktemp -d "${TMPDIR:-/tmp}/compute-sim-latest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
chmod 0755 "$WORK"
python3 -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
# --upgrade-strategy eager: every dependency at the newest version the ranges allow
"$PY" -m pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager -e ".[test]" || {
    echo "check-latest: the newest allowed versions do not install" >&2; exit 1; }

echo "== packages whose newest allowed version differs from requirements.lock =="
"$PY" - <<'PY'
import re
from importlib import metadata

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

from packaging.markers import Marker

locked = {}
for line in open("requirements.lock"):
    m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)(?:\s*;\s*(.*))?", line)
    if m and (m[3] is None or Marker(m[3]).evaluate()):  # skip other platforms' packages
        locked.setdefault(norm(m[1]), []).append(m[2])
installed = {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
rows = [
    (name, "/".join(versions), installed.get(name, "(not installed)"))
    for name, versions in sorted(locked.items())
    if installed.get(name) not in versions
]
new = sorted(set(installed) - set(locked) - {"compute-sim", "pip", "setuptools", "wheel"})
for name, old, now in rows:
    print(f"  {name:30s} lock {old:15s} newest {now}")
for name in new:
    print(f"  {name:30s} (not in the lock)  newest {installed[name]}")
print(f"  {len(rows)} differ, {len(new)} new" if rows or new else "  none: the lock is the newest")
PY

echo "== test suite on the newest allowed versions =="
"$PY" -m pytest -q "$@"
status=$?
echo "check-latest: pytest exit code $status"
exit $status

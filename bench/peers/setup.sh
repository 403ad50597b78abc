#!/usr/bin/env bash
# Creates bench/peers/.venv, the third-party clients' own virtualenv, from PyPI alone:
# CumulusCI and tap-salesforce at the versions pinned in requirements.txt.
#
#   bash bench/peers/setup.sh            # PYTHON=python3.12 to pick another (3.11-3.13)
#
# Idempotent: does nothing when the venv is newer than requirements.txt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
stamp="$venv/.installed"
python="${PYTHON:-python3}"

if [[ -f "$stamp" && "$stamp" -nt "$here/requirements.txt" ]]; then
    echo "bench/peers/.venv is up to date"
    exit 0
fi

"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install --quiet --upgrade pip
"${pip[@]}" install --quiet -r "$here/requirements.txt"
"${pip[@]}" check
touch "$stamp"
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
print(f"bench/peers/.venv: cumulusci {version('cumulusci')}, tap-salesforce {version('tap-salesforce')}")
PY

#!/usr/bin/env bash
# Creates (once) the virtualenv with the independent Python implementations the interop
# tests check our output with (credential/tests/interop/requirements.txt) and prints its
# python. Re-installs when the requirements change. Usage:
#   export ISSUANCE_TEST_PYTHON="$(scripts/interop-venv.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=credential/tests/interop/requirements.txt
venv="${CARGO_TARGET_DIR:-target}/interop-venv"
stamp="$venv/requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  echo "$want" > "$stamp"
fi
echo "$(cd "$venv" && pwd)/bin/python"

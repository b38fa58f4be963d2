#!/usr/bin/env bash
# Creates (once) a virtualenv with the independent Python implementations the interop
# tests check our output with (and the OpenAPI validator and fuzzer the contract tests run,
# openapi-spec-validator and schemathesis) and prints its python. Re-installs when the
# requirements change. Two sets, in separate virtualenvs because their cbor2 versions
# conflict:
#   export ISSUANCE_TEST_PYTHON="$(scripts/interop-venv.sh)"           # requirements.txt
#   export ISSUANCE_TEST_MDOC_PYTHON="$(scripts/interop-venv.sh mdoc)" # requirements-mdoc.txt
set -euo pipefail
cd "$(dirname "$0")/.."
suffix="${1:+-$1}"
requirements="credential/tests/interop/requirements${suffix}.txt"
venv="${CARGO_TARGET_DIR:-target}/interop-venv${suffix}"
stamp="$venv/requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  echo "$want" > "$stamp"
fi
echo "$(cd "$venv" && pwd)/bin/python"

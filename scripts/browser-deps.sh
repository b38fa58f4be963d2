#!/usr/bin/env bash
# Installs (once) what the console's browser test needs and prints the Chromium to drive:
# Debian's `chromium` (and Node.js with npm, if missing) from apt, and the pinned
# `playwright-core` of tests/browser/package-lock.json with `npm ci` (it downloads no
# browser). Re-installs the Node packages when the lock file changes. Idempotent and
# non-interactive:
#   export ISSUANCE_TEST_CHROMIUM="$(scripts/browser-deps.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi

need_packages=()
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
command -v node >/dev/null 2>&1 || need_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || need_packages+=(npm)
if [ ${#need_packages[@]} -gt 0 ]; then
  echo "installing ${need_packages[*]}" >&2
  $SUDO apt-get update -q >&2
  $SUDO apt-get install -y -q "${need_packages[@]}" >&2
fi

dir="tests/browser"
stamp="$dir/node_modules/.package-lock.sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ ! -d "$dir/node_modules/playwright-core" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  echo "$want" > "$stamp"
fi
command -v chromium

#!/usr/bin/env bash
# Regenerates the console's screenshots in docs/console/ (referenced from README): runs the
# browser test (tests/api/console_browser.rs), which saves the main pages as PNG when
# ISSUANCE_CONSOLE_SCREENSHOTS names a directory. Needs what scripts/test.sh needs for it
# (PostgreSQL is not used; Chromium and the Node packages are installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ISSUANCE_TEST_CHROMIUM="$(scripts/browser-deps.sh)"
export ISSUANCE_TEST_CHROMIUM
mkdir -p docs/console
ISSUANCE_CONSOLE_SCREENSHOTS="$(pwd)/docs/console" \
  cargo test --locked --test api console_browser -- --exact \
  console_browser::an_admin_works_through_the_console_in_a_real_browser
ls -1 docs/console/*.png

#!/usr/bin/env bash
# Runs the whole test suite. On a fresh Debian machine it first installs and starts what the
# suite needs (PostgreSQL, RabbitMQ, OpenSSL headers, Chromium and Node.js for the console's browser
# test); where they already run, it uses them.
# Idempotent and non-interactive (CI runs it with CI=true and no stdin).
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi

log() { printf '\n==> %s\n' "$*"; }

need_packages=()
command -v pkg-config >/dev/null 2>&1 || need_packages+=(pkg-config)
[ -f /usr/include/openssl/ssl.h ] || need_packages+=(libssl-dev)
command -v pg_ctlcluster >/dev/null 2>&1 || need_packages+=(postgresql)
command -v rabbitmq-server >/dev/null 2>&1 || need_packages+=(rabbitmq-server)
command -v cc >/dev/null 2>&1 || need_packages+=(build-essential)
# The interop tests run independent Python implementations from a virtualenv.
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_packages+=(python3 python3-venv)
if [ ${#need_packages[@]} -gt 0 ]; then
  log "installing ${need_packages[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${need_packages[@]}"
fi

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! pg_ready; then
  log "starting PostgreSQL"
  cluster_version="$(ls /etc/postgresql | sort -V | tail -n1)"
  if ! $SUDO pg_lsclusters 2>/dev/null | grep -q "^${cluster_version} *main"; then
    $SUDO pg_createcluster "${cluster_version}" main || true
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "${cluster_version}" main start || true
  for _ in $(seq 1 60); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "PostgreSQL did not start" >&2; exit 1; }

# Trust authentication on loopback and a `test` database, as the suite expects.
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  log "configuring PostgreSQL for trust authentication on loopback"
  hba="$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -n1)"
  $SUDO sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main reload
  sleep 1
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname = 'test'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -c 'create database test' >/dev/null
fi

rabbit_ready() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! rabbit_ready; then
  log "starting RabbitMQ"
  $SUDO rabbitmq-server -detached || true
  for _ in $(seq 1 90); do rabbit_ready && break; sleep 1; done
  $SUDO rabbitmqctl await_startup >/dev/null 2>&1 || true
fi
rabbit_ready || { echo "RabbitMQ did not start" >&2; exit 1; }

export ISSUANCE_TEST_POSTGRES_URL="${ISSUANCE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export ISSUANCE_TEST_AMQP_URL="${ISSUANCE_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# In CI only the head and tail of the output are kept: a failing test's panic message
# (file, line, left/right) must not be pushed out of the tail by a backtrace.
if [[ "${CI:-}" == "true" ]]; then
  export RUST_BACKTRACE=0
fi

log "interop virtualenv (independent implementations the tests check our output with, the OpenAPI validator and fuzzer)"
ISSUANCE_TEST_PYTHON="$(scripts/interop-venv.sh)"
ISSUANCE_TEST_MDOC_PYTHON="$(scripts/interop-venv.sh mdoc)"
export ISSUANCE_TEST_PYTHON ISSUANCE_TEST_MDOC_PYTHON

log "browser test dependencies (Debian's Chromium, the pinned playwright-core)"
ISSUANCE_TEST_CHROMIUM="$(scripts/browser-deps.sh)"
export ISSUANCE_TEST_CHROMIUM

log "module cycles and layers"
python3 scripts/check-module-cycles.py --layers scripts/layers.txt src domain/src eventlog/src projections/src credential/src
log "file sizes (at most 400 lines outside tests)"
too_long="$(find src domain/src eventlog/src projections/src credential/src -name '*.rs' ! -name 'tests.rs' ! -name 'tests_*.rs' -exec wc -l {} + | awk '$2 != "total" && $1 > 400')"
if [ -n "$too_long" ]; then echo "$too_long" >&2; exit 1; fi
log "formatting"
cargo fmt --all -- --check
log "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "tests"
cargo test --workspace --locked

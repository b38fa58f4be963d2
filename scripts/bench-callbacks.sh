#!/usr/bin/env bash
# Callback benchmark (issue 17): one load against a fresh release server whose status
# callbacks go to the load generator's built-in receivers, on a fresh store. See
# BENCHMARKS.md ("Status callbacks") for the method and the runs.
#
#   scripts/bench-callbacks.sh <sqlite|postgres> <in-process|rabbitmq> <name> [loadgen args...]
#
#   # maximum issuance rate, a healthy receiver only
#   scripts/bench-callbacks.sh sqlite in-process max --duration 15 --concurrency 32
#   # 50 % of it, with a receiver answering after 5 s beside the healthy one
#   scripts/bench-callbacks.sh sqlite in-process slow50 --rate 400 --duration 15 \
#     --other-callbacks 127.0.0.1:18091 --other-mode slow
#
# The healthy receiver (`--callbacks 127.0.0.1:18090`, the server's ISSUANCE_CALLBACK_URL)
# is always there; SERVER_ENV="K=V ..." adds server settings; NO_BUILD=1 skips the build.
# Results (loadgen text and JSON, the load average) go to bench-results/callbacks-*/.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="$1"; transport="$2"; name="$3"; shift 3
target_dir="${CARGO_TARGET_DIR:-target}"
out="bench-results/callbacks-$(date -u +%Y%m%dT%H%M%S)-${backend}-${transport}-${name}"
mkdir -p "$out"

[ -n "${NO_BUILD:-}" ] || cargo build --release --bin issuance --bin loadgen >/dev/null

data="$(mktemp -d)"
stamp="bench$(date +%s%N)"
export ISSUANCE_DATA_DIR="$data"
export ISSUANCE_ADMIN_KEY="bench-admin-key-0123456789abcdef0123456789"
export ISSUANCE_WALLET_ADDR="127.0.0.1:18080"
export ISSUANCE_PUBLIC_URL="http://127.0.0.1:18080"
export ISSUANCE_MANAGEMENT_ADDR="127.0.0.1:18081"
export RUST_LOG="${RUST_LOG:-warn}"
export ISSUANCE_LIMITS__RATES__ENABLED=false
export ISSUANCE_CALLBACK_URL="http://127.0.0.1:18090/callbacks"
export ISSUANCE_CALLBACK_SECRET="bench-callback-secret-0123456789"
# The second receiver is an offer's own URL on loopback.
export ISSUANCE_CALLBACKS__ALLOWED_NETWORKS='["127.0.0.0/8"]'
for setting in ${SERVER_ENV:-}; do export "${setting?}"; done

cleanup=()
if [ "$backend" = "postgres" ]; then
  base="${ISSUANCE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  psql "$base" -qc "create schema $stamp"
  export ISSUANCE_EVENT_STORE="${base}?schema=${stamp}"
  cleanup+=("psql '$base' -qc 'drop schema $stamp cascade'")
fi
if [ "$transport" = "rabbitmq" ]; then
  # A virtual host of its own, deleted afterwards.
  rabbitmqctl -q add_vhost "$stamp" >/dev/null
  rabbitmqctl -q set_permissions -p "$stamp" guest ".*" ".*" ".*" >/dev/null
  export ISSUANCE_AMQP_URL="amqp://guest:guest@127.0.0.1:5672/${stamp}"
  export ISSUANCE_REQUIRE_BROKER=true
  cleanup+=("rabbitmqctl -q delete_vhost '$stamp' >/dev/null")
fi

"$target_dir/release/issuance" serve > "$out/server.log" 2>&1 &
server=$!
finish() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
  for command in "${cleanup[@]}"; do eval "$command" || true; done
}
trap finish EXIT
for _ in $(seq 1 120); do
  curl -sf http://127.0.0.1:18081/health/ready >/dev/null && break
  sleep 0.5
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/load.txt"
"$target_dir/release/loadgen" --target http://127.0.0.1:18080 \
  --management http://127.0.0.1:18081 --progress-interval 0 \
  --callbacks 127.0.0.1:18090 --flows 100000000 "$@" --json "$out/result.json" \
  | tee "$out/loadgen.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
echo "results in $out"

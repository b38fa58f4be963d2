#!/usr/bin/env bash
# Issuance throughput with many issuers managed at runtime against the single (default)
# issuer, on one server, interleaved (A B A B ...), fresh data directory:
#
#   scripts/bench-issuers.sh [backend] [rounds] [flows] [issuers] [configurations per issuer]
#   scripts/bench-issuers.sh sqlite 3 8000 100 10
#
# A = every flow at the default issuer (`POST /offers`, the root identifier); B = flows
# spread over the runtime issuers (`POST /issuers/{id}/offers`, `{public_url}/{id}/...`),
# each issuer with its own key and configurations. Prints flows/s and server CPU per flow
# of every run. NO_BUILD=1 skips the release build; BIN_DIR=dir uses another build.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"; rounds="${2:-3}"; flows="${3:-8000}"
issuers="${4:-100}"; per_issuer="${5:-10}"
bin="${BIN_DIR:-target/release}"
[ -n "${NO_BUILD:-}" ] || [ -n "${BIN_DIR:-}" ] || cargo build --release --bin issuance --bin loadgen >/dev/null
out="bench-results/$(date -u +%Y%m%dT%H%M%S)-issuers-${backend}"
mkdir -p "$out"
data="$(mktemp -d)"
export ISSUANCE_DATA_DIR="$data" ISSUANCE_ADMIN_KEY="bench-admin-key-not-for-production-use"
export ISSUANCE_WALLET_ADDR="127.0.0.1:18080" ISSUANCE_PUBLIC_URL="http://127.0.0.1:18080"
export ISSUANCE_MANAGEMENT_ADDR="127.0.0.1:18081" RUST_LOG="${RUST_LOG:-warn}"
export ISSUANCE_LIMITS__RATES__ENABLED=false
if [ "$backend" = "postgres" ]; then
  schema="bench_$(date +%s)"
  base="${ISSUANCE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  psql "$base" -qc "create schema $schema"
  export ISSUANCE_EVENT_STORE="${base}?schema=${schema}"
fi
"$bin"/issuance serve > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"; [ "$backend" = "postgres" ] && psql "$base" -qc "drop schema $schema cascade" || true' EXIT
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:18081/health/ready >/dev/null && break; sleep 0.5; done
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server/stat"; }
run() { # name, extra loadgen args...
  local name="$1"; shift
  local before; before=$(server_cpu)
  "$bin"/loadgen --flows "$flows" --concurrency 64 --target http://127.0.0.1:18080 \
    --management http://127.0.0.1:18081 --progress-interval 0 --json "$out/$name.json" "$@" > "$out/$name.txt"
  local done_flows; done_flows=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["completed_flows"], d.get("failed_flows", 0), round(d["flows_per_second"]))' "$out/$name.json")
  awk -v a="$before" -v b="$(server_cpu)" -v n="${done_flows%% *}" -v name="$name" -v rest="$done_flows" \
    'BEGIN {split(rest, r, " "); printf "%-12s %6d flows %3d failed %6d flows/s %5.0f us CPU per flow\n", name, r[1], r[2], r[3], (b - a) * 1e6 / r[1]}' | tee -a "$out/summary.txt"
}
# Creates the issuers (a short run that the table leaves out).
"$bin"/loadgen --flows 200 --concurrency 16 --target http://127.0.0.1:18080 --management http://127.0.0.1:18081 \
  --progress-interval 0 --issuers "$issuers" --configurations-per-issuer "$per_issuer" > "$out/setup.txt"
for round in $(seq 1 "$rounds"); do
  run "single-$round"
  run "issuers-$round" --issuers "$issuers" --configurations-per-issuer "$per_issuer"
done
echo "results in $out"

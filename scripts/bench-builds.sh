#!/usr/bin/env bash
# A/B of builds: for each round, each build in turn on a fresh server and data directory,
# a warm-up of 3,000 flows, then FLOWS flows at 64 wallets (every flow at the default
# issuer) under `perf record -F 999` of the server. Prints flows/s and server CPU per flow
# of every run; leaves the profiles (`<build>-<round>.data`) for `perf report`.
#
#   scripts/bench-builds.sh 8000 3 /tmp/before target/release
#
# Each build is a directory holding `issuance` and `loadgen` (copy target/release's
# before a change; build the other).
set -uo pipefail
cd "$(dirname "$0")/.."
flows="$1"; rounds="$2"; shift 2
out="bench-results/$(date -u +%Y%m%dT%H%M%S)-builds"; mkdir -p "$out"
export ISSUANCE_ADMIN_KEY="bench-admin-key-not-for-production-use"
export ISSUANCE_WALLET_ADDR="127.0.0.1:18080" ISSUANCE_PUBLIC_URL="http://127.0.0.1:18080"
export ISSUANCE_MANAGEMENT_ADDR="127.0.0.1:18081" RUST_LOG="${RUST_LOG:-warn}"
export ISSUANCE_LIMITS__RATES__ENABLED=false
load() {
  "$1"/loadgen --flows "$2" --concurrency 64 --target http://127.0.0.1:18080 \
    --management http://127.0.0.1:18081 --progress-interval 0 2>&1
}
for round in $(seq 1 "$rounds"); do
  for bin in "$@"; do
    name="$(basename "$(dirname "$bin")")-$(basename "$bin")"
    data="$(mktemp -d)"
    ISSUANCE_DATA_DIR="$data" "$bin"/issuance serve > "$out/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 120); do curl -sf http://127.0.0.1:18081/health/ready >/dev/null && break; sleep 0.5; done
    load "$bin" 3000 > /dev/null
    sleep 2
    before=$(awk '{print $14 + $15}' "/proc/$server/stat")
    perf record -F 999 -e cpu-clock -p "$server" -o "$out/$name-$round.data" 2>/dev/null &
    recorder=$!
    sleep 0.3
    rate=$(load "$bin" "$flows" | grep -o "[0-9]* flows/s")
    kill -INT "$recorder"; wait "$recorder" 2>/dev/null
    after=$(awk '{print $14 + $15}' "/proc/$server/stat")
    ticks=$(getconf CLK_TCK)
    echo "$name round $round: $rate, server CPU $(( (after - before) * 1000000 / ticks / flows )) µs per flow" | tee -a "$out/summary.txt"
    kill "$server"; wait "$server" 2>/dev/null; rm -rf "$data"
  done
done
echo "results in $out"

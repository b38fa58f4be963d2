#!/usr/bin/env bash
# Runs the load generator against a fresh release build of the service and writes the
# results as JSON under bench-results/. See BENCHMARKS.md for the method.
#
#   scripts/bench.sh sqlite "1 16 64 256" 20000      # backend, concurrency sweep, flows per run
#   scripts/bench.sh postgres "64" 20000
#   PREFILL=1000000 scripts/bench.sh sqlite "64" 20000
#   LOADGEN_ARGS="--rate 700 --duration 300" RSS_EVERY=30 scripts/bench.sh sqlite "64" 10000000
#   STATUS_LIST_REQUESTS=200000 scripts/bench.sh sqlite "64" 20000
#   ISSUANCE_STATUS_LISTS__ENABLED=false scripts/bench.sh sqlite "64" 20000   # without status
#
# BIN_DIR=dir runs the binaries in dir instead of target/release (another build, for
# interleaved before/after runs; implies NO_BUILD). LOADGEN_ARGS are passed on to every loadgen run; RSS_EVERY=n samples the server's
# resident memory every n seconds into rss.txt while the runs go on.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-sqlite}"
sweep="${2:-1 16 64 256}"
flows="${3:-20000}"
prefill="${PREFILL:-0}"
read -r -a extra <<< "${LOADGEN_ARGS:-}"
rss_every="${RSS_EVERY:-0}"
out="bench-results/$(date -u +%Y%m%dT%H%M%S)-${backend}"
mkdir -p "$out"

bin="${BIN_DIR:-target/release}"
[ -n "${NO_BUILD:-}" ] || [ -n "${BIN_DIR:-}" ] || cargo build --release --bin issuance --bin loadgen --bin prefill >/dev/null

data="$(mktemp -d)"
export ISSUANCE_DATA_DIR="$data"
export ISSUANCE_ADMIN_KEY="bench-admin-key-not-for-production-use"
export ISSUANCE_WALLET_ADDR="127.0.0.1:18080"
export ISSUANCE_PUBLIC_URL="http://127.0.0.1:18080"
export ISSUANCE_MANAGEMENT_ADDR="127.0.0.1:18081"
export RUST_LOG="${RUST_LOG:-warn}"
# The load generator shares the machine; no per-client rate limit.
export ISSUANCE_LIMITS__RATES__ENABLED=false
if [ "$backend" = "postgres" ]; then
  schema="bench_$(date +%s)"
  base="${ISSUANCE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  psql "$base" -qc "create schema $schema"
  export ISSUANCE_EVENT_STORE="${base}?schema=${schema}"
fi

if [ "$prefill" -gt 0 ]; then
  echo "prefilling $prefill offers"
  "$bin"/prefill --offers "$prefill" | tee "$out/prefill.txt"
fi

"$bin"/issuance serve > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"; [ "$backend" = "postgres" ] && psql "$base" -qc "drop schema $schema cascade" || true' EXIT
# Wait until every projection and the callback relay have caught up (a prefilled store is
# projected and relayed first), so the runs measure a node in its steady state.
started=$(date +%s)
for _ in $(seq 1 7200); do
  lag=$(curl -s http://127.0.0.1:18081/health/ready | python3 -c 'import json,sys
try:
    c = json.load(sys.stdin)["checks"]
    print(max(c.get(k, {}).get("lag", 1) for k in ("offer_view", "audit_view", "relay")))
except Exception:
    print(1)' 2>/dev/null || echo 1)
  if [ "$lag" = "0" ]; then break; fi
  sleep 1
done
echo "projections and relay caught up in $(( $(date +%s) - started )) s" | tee "$out/catch-up.txt"

if [ "$rss_every" -gt 0 ]; then
  ( started=$(date +%s)
    while kill -0 "$server" 2>/dev/null; do
      echo "$(( $(date +%s) - started )) s $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$server/status")"
      sleep "$rss_every"
    done ) > "$out/rss.txt" 2>/dev/null &
fi

# CPU seconds (user + system) the server has used so far: per-flow CPU cost is steadier
# than flows/s on a shared host.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server/stat"; }

for concurrency in $sweep; do
  echo "== $backend, concurrency $concurrency, $flows flows"
  cpu_before=$(server_cpu)
  "$bin"/loadgen --flows "$flows" --concurrency "$concurrency" \
    --target http://127.0.0.1:18080 --management http://127.0.0.1:18081 \
    --admin-key bench-admin-key-not-for-production-use --progress-interval 0 "${extra[@]}" --json "$out/c${concurrency}.json" \
    | tee "$out/c${concurrency}.txt"
  ps -o rss=,vsz= -p "$server" | awk '{printf "server RSS %.1f MB\n", $1/1024}' | tee -a "$out/c${concurrency}.txt"
  done_flows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["completed_flows"])' "$out/c${concurrency}.json")
  awk -v a="$cpu_before" -v b="$(server_cpu)" -v n="$done_flows" \
    'BEGIN {printf "server CPU %.1f s, %.0f us per flow\n", b - a, (b - a) * 1e6 / n}' | tee -a "$out/c${concurrency}.txt"
  # Work a flow leaves behind (the retention policy's erasure, projections, the relay)
  # belongs to its cost too: wait until the server is idle (< 5 % of a core for a second).
  for _ in $(seq 1 120); do
    idle_from=$(server_cpu); sleep 1
    awk -v a="$idle_from" -v b="$(server_cpu)" 'BEGIN {exit !(b - a < 0.05)}' && break
  done
  awk -v a="$cpu_before" -v b="$idle_from" -v n="$done_flows" \
    'BEGIN {printf "server CPU until idle %.1f s, %.0f us per flow\n", b - a, (b - a) * 1e6 / n}' | tee -a "$out/c${concurrency}.txt"
done

# STATUS_LIST_REQUESTS=n: after the sweep, relying parties fetch the first status list
# (from the node's signed cache) n times at the sweep's last concurrency.
status_requests="${STATUS_LIST_REQUESTS:-0}"
if [ "$status_requests" -gt 0 ]; then
  uri=$(curl -s http://127.0.0.1:18080/status-lists | python3 -c 'import json,sys; print(json.load(sys.stdin)["status_lists"][0])')
  echo "== status list $uri, $status_requests requests"
  "$bin"/loadgen --status-list "$uri" --flows "$status_requests" \
    --concurrency "${concurrency:-64}" --admin-key bench-admin-key | tee "$out/status-list.txt"
fi
echo "results in $out"

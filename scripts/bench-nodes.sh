#!/usr/bin/env bash
# Scale-out: N engine nodes against one PostgreSQL and one RabbitMQ on this machine, the
# load generator spreading the flows over the nodes as a load balancer would, every offer
# with a status callback (through RabbitMQ, to the load generator's receiver).
#
#   scripts/bench-nodes.sh [nodes] [flows] [concurrency]
#   scripts/bench-nodes.sh 2 8000 64
#
# Prints flows/s, server CPU per flow of every node and of PostgreSQL, the callbacks
# received (duplicates, missing), and checks the store: no offer issued twice.
# NO_BUILD=1 skips the release build; BIN_DIR=dir uses another build.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes="${1:-2}"; flows="${2:-8000}"; concurrency="${3:-64}"
bin="${BIN_DIR:-target/release}"
[ -n "${NO_BUILD:-}" ] || [ -n "${BIN_DIR:-}" ] || cargo build --release --bin issuance --bin loadgen >/dev/null
out="bench-results/$(date -u +%Y%m%dT%H%M%S)-nodes-${nodes}"
mkdir -p "$out"
stamp="bench$(date +%s%N)"
base="${ISSUANCE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
psql "$base" -qc "create schema $stamp"
rabbitmqctl -q add_vhost "$stamp" >/dev/null
rabbitmqctl -q set_permissions -p "$stamp" guest ".*" ".*" ".*" >/dev/null
export ISSUANCE_EVENT_STORE="${base}?schema=${stamp}"
export ISSUANCE_AMQP_URL="amqp://guest:guest@127.0.0.1:5672/${stamp}" ISSUANCE_REQUIRE_BROKER=true
export ISSUANCE_ADMIN_KEY="bench-admin-key-0123456789abcdef0123456789"
ISSUANCE_SERVER_SECRET="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
export ISSUANCE_SERVER_SECRET
export ISSUANCE_CALLBACK_URL="http://127.0.0.1:18090/callbacks"
export ISSUANCE_CALLBACK_SECRET="bench-callback-secret-0123456789"
export ISSUANCE_PUBLIC_URL="http://127.0.0.1:18080" RUST_LOG="${RUST_LOG:-warn}"
export ISSUANCE_LIMITS__RATES__ENABLED=false
pids=(); dirs=()
finish() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "${dirs[@]}"
  psql "$base" -qc "drop schema $stamp cascade" >/dev/null 2>&1 || true
  rabbitmqctl -q delete_vhost "$stamp" >/dev/null || true
}
trap finish EXIT
node_args=()
for i in $(seq 0 $((nodes - 1))); do
  dir="$(mktemp -d)"; dirs+=("$dir")
  # Every node signs with the first node's key (one issuer behind a load balancer).
  [ "$i" -gt 0 ] && cp -a "${dirs[0]}/keys" "$dir/"
  wallet="127.0.0.1:$((18080 + 100 * i))"; management="127.0.0.1:$((18081 + 100 * i))"
  ISSUANCE_DATA_DIR="$dir" ISSUANCE_WALLET_ADDR="$wallet" ISSUANCE_MANAGEMENT_ADDR="$management" \
    "$bin"/issuance serve > "$out/node$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    curl -sf "http://$management/health/ready" >/dev/null && break
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "node $i did not start:"; tail -3 "$out/node$i.log"; exit 1; }
    sleep 0.5
  done
  node_args+=(--node "http://$wallet,http://$management")
done
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }
postgres_cpu() { local sum=0; for p in $(pgrep -x postgres); do sum=$(awk -v a="$sum" -v b="$(cpu_of "$p")" 'BEGIN {print a + b}'); done; echo "$sum"; }
before=(); for pid in "${pids[@]}"; do before+=("$(cpu_of "$pid")"); done
pg_before=$(postgres_cpu)
"$bin"/loadgen --flows "$flows" --concurrency "$concurrency" --target http://127.0.0.1:18080 \
  --management http://127.0.0.1:18081 --progress-interval 0 --callbacks 127.0.0.1:18090 \
  "${node_args[@]}" --json "$out/result.json" > "$out/loadgen.txt"
pg_after=$(postgres_cpu)
read -r done_flows failed per_second elapsed < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["completed_flows"], d.get("failed_flows", 0), round(d["flows_per_second"]), d.get("elapsed_seconds", 0))' "$out/result.json")
{
  echo "nodes $nodes: $done_flows flows, $failed failed, $per_second flows/s at $concurrency wallets"
  for i in "${!pids[@]}"; do
    awk -v a="${before[$i]}" -v b="$(cpu_of "${pids[$i]}")" -v n="$done_flows" -v i="$i" \
      'BEGIN {printf "node %d: %.1f s CPU, %.0f us per flow\n", i, b - a, (b - a) * 1e6 / n}'
  done
  awk -v a="$pg_before" -v b="$pg_after" -v n="$done_flows" \
    'BEGIN {printf "postgresql: %.1f s CPU, %.0f us per flow\n", b - a, (b - a) * 1e6 / n}'
  grep -i "callbacks" "$out/loadgen.txt" || true
  psql "$base" -tAc "select count(*) from (select stream_id from $stamp.events where event_type = 'CredentialIssued' group by stream_id having count(*) > 1) twice" \
    | awk '{print "offers issued more than once: " $1}'
  psql "$base" -tAc "select count(*) from $stamp.events where event_type = 'CredentialIssued'" \
    | awk '{print "credentials issued: " $1}'
} | tee "$out/summary.txt"
echo "results in $out"

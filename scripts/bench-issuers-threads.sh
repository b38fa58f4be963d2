#!/usr/bin/env bash
# The issuer A/B of scripts/bench-issuers.sh with a warm-up, and per run the server's user and
# system CPU, context switches and CPU per thread (per flow), to see where B's extra cost goes:
#   scripts/bench-issuers-threads.sh   (release build in target/release; 2 rounds of 8,000 flows)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release; data="$(mktemp -d)"
export ISSUANCE_DATA_DIR="$data" ISSUANCE_ADMIN_KEY="bench-admin-key-not-for-production-use"
export ISSUANCE_WALLET_ADDR="127.0.0.1:18080" ISSUANCE_PUBLIC_URL="http://127.0.0.1:18080"
export ISSUANCE_MANAGEMENT_ADDR="127.0.0.1:18081" RUST_LOG=warn ISSUANCE_LIMITS__RATES__ENABLED=false
"$bin"/issuance serve > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:18081/health/ready >/dev/null && break; sleep 0.5; done
lg() { "$bin"/loadgen --concurrency 64 --target http://127.0.0.1:18080 --management http://127.0.0.1:18081 --progress-interval 0 "$@"; }
lg --flows 200 --issuers 100 --configurations-per-issuer 10 > /dev/null
lg --flows 2000 > /dev/null
threads() { for t in /proc/$server/task/*; do echo "$(cat $t/comm | tr ' ' '_') $(awk '{print $14 + $15}' $t/stat)"; done | awk '{c[$1]+=$2} END {for (k in c) print k, c[k]}' | sort; }
snap() { awk '{print $14, $15}' /proc/$server/stat; cat /proc/$server/task/*/status | awk '/^voluntary_ctxt/ {v+=$2} /^nonvoluntary_ctxt/ {n+=$2} END {print v, n}'; }
for round in 1 2; do for kind in A B; do
  extra=(); [ $kind = B ] && extra=(--issuers 100 --configurations-per-issuer 10)
  threads > $data/ab-t0
  read -r u0 s0 < <(snap | head -1); read -r v0 n0 < <(snap | tail -1)
  lg --flows 8000 "${extra[@]}" --json $data/ab-$kind.json > /dev/null
  read -r u1 s1 < <(snap | head -1); read -r v1 n1 < <(snap | tail -1)
  threads > $data/ab-t1
  join $data/ab-t0 $data/ab-t1 | awk -v k=$kind '{d=$3-$2; if (d > 5) printf "  %s %-18s %5.0f us/flow\n", k, $1, d * 1e4 / 8000}' 
  python3 -c "
import json,sys; d=json.load(open('$data/ab-$kind.json')); n=d['completed_flows']; hz=100
print('$kind', round(d['flows_per_second']), 'flows/s', 'user', round(($u1-$u0)/hz*1e6/n), 'sys', round(($s1-$s0)/hz*1e6/n), 'us/flow', 'vcsw', round(($v1-$v0)/n,1), 'nvcsw', round(($n1-$n0)/n,1), 'per flow')"
done; done

#!/usr/bin/env bash
# Takes a throughput difference apart: one server (100 runtime issuers with 10
# configurations each prepared first), then interleaved rounds of load variants, each a
# `name:loadgen arguments` pair. Prints per variant the median flows/s, server user and
# system CPU per flow, bytes written per flow, load generator CPU per flow, and server CPU
# per flow of each thread group (`/proc/<pid>/task`).
#
#   scripts/bench-factors.sh 3 6000 "A:" "I1:--issuers 1 --configurations-per-issuer 1" \
#     "I100:--issuers 100 --configurations-per-issuer 10"
#
# PRE='command' runs after the set-up with $DATA the data directory. BIN_DIR=dir uses
# another build (default target/release, built beforehand).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="$1"; flows="$2"; shift 2
bin="${BIN_DIR:-target/release}"
out="bench-results/$(date -u +%Y%m%dT%H%M%S)-factors"; mkdir -p "$out"
data="$(mktemp -d)"
export ISSUANCE_DATA_DIR="$data" ISSUANCE_ADMIN_KEY="bench-admin-key-not-for-production-use"
export ISSUANCE_WALLET_ADDR="127.0.0.1:18080" ISSUANCE_PUBLIC_URL="http://127.0.0.1:18080"
export ISSUANCE_MANAGEMENT_ADDR="127.0.0.1:18081" RUST_LOG="${RUST_LOG:-warn}"
export ISSUANCE_LIMITS__RATES__ENABLED=false
"$bin"/issuance serve > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:18081/health/ready >/dev/null && break; sleep 0.5; done
echo "server pid $server" > "$out/pid"
threads() { for t in /proc/$server/task/*; do awk -v hz="$(getconf CLK_TCK)" '{n=$0; sub(/^[^(]*\(/,"",n); sub(/\).*/,"",n); gsub(/ /,"_",n); split($0,a,") "); split(a[2],f," "); print n, (f[12]+f[13])/hz}' $t/stat 2>/dev/null || true; done | awk '{c[$1]+=$2} END {for (k in c) print k, c[k]}' | sort; }
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f %.2f", $14/hz, $15/hz}' "/proc/$server/stat"; }
"$bin"/loadgen --flows 200 --concurrency 16 --target http://127.0.0.1:18080 --management http://127.0.0.1:18081 \
  --progress-interval 0 --issuers 100 --configurations-per-issuer 10 > "$out/setup.txt"
if [ -n "${PRE:-}" ]; then DATA="$data" bash -c "$PRE"; fi
for round in $(seq 1 "$rounds"); do
  for spec in "$@"; do
    name="${spec%%:*}"; args="${spec#*:}"
    read -r u0 s0 <<<"$(server_cpu)"; w0=$(awk '/^wchar/{print $2}' /proc/$server/io); threads > "$out/t0"
    # shellcheck disable=SC2086
    /usr/bin/time -f "%U %S" -o "$out/lg.time" "$bin"/loadgen --flows "$flows" --concurrency 64 --target http://127.0.0.1:18080 \
      --management http://127.0.0.1:18081 --progress-interval 0 --json "$out/$name-$round.json" $args > /dev/null
    read -r u1 s1 <<<"$(server_cpu)"; w1=$(awk '/^wchar/{print $2}' /proc/$server/io); echo "$name wchar/flow $(( (w1-w0)/flows ))" >> "$out/io.txt"; threads > "$out/t1"; echo "$name loadgen $(awk -v f=$flows '{printf "%.0f", ($1+$2)*1e6/f}' "$out/lg.time")" >> "$out/io.txt"; join "$out/t0" "$out/t1" | awk -v n="$name" -v f="$flows" '{printf "%s %s %.0f\n", n, $1, ($3-$2)*1e6/f}' >> "$out/threads.txt"
    python3 - "$out/$name-$round.json" "$name" "$u0" "$s0" "$u1" "$s1" <<'PY' | tee -a "$out/summary.txt"
import json,sys
d=json.load(open(sys.argv[1])); n=d["completed_flows"]
u0,s0,u1,s1=map(float,sys.argv[3:7])
print(f'{sys.argv[2]:<10} {n:6d} ok {d.get("failed_flows",0):3d} fail {d["flows_per_second"]:7.0f} f/s  user {(u1-u0)*1e6/n:5.0f} sys {(s1-s0)*1e6/n:5.0f} total {(u1-u0+s1-s0)*1e6/n:5.0f} us/flow')
PY
  done
done
python3 - "$out/summary.txt" <<'PY'
import sys,collections,statistics
rows=collections.defaultdict(list)
for line in open(sys.argv[1]):
    p=line.split(); rows[p[0]].append((float(p[5]),float(p[8]),float(p[10]),float(p[12])))
for k,v in rows.items():
    print(f'{k:<10} median f/s {statistics.median(x[0] for x in v):6.0f}  user {statistics.median(x[1] for x in v):5.0f} sys {statistics.median(x[2] for x in v):5.0f} total {statistics.median(x[3] for x in v):5.0f}  (n={len(v)})')
PY
sort "$out/io.txt" | awk '{a[$1]=a[$1]" "$3} END {for (k in a) print k, a[k]}'
python3 - "$out/threads.txt" <<'PY'
import sys,collections,statistics
d=collections.defaultdict(list); names=[]
for line in open(sys.argv[1]):
    v,t,us=line.split(); d[(v,t)].append(float(us))
    if v not in names: names.append(v)
threads=sorted({t for _,t in d})
print("thread".ljust(22)+"".join(n.rjust(9) for n in names))
for t in threads:
    print(t.ljust(22)+"".join(f"{statistics.median(d[(n,t)]) if d[(n,t)] else 0:9.0f}" for n in names))
PY
echo "out $out"

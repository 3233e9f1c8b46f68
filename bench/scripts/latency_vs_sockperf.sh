#!/usr/bin/env bash
# dgram perf --latency against sockperf ping-pong over loopback, interleaved rounds in one run:
# 1,200-byte requests, one in flight, full round trips. Prints each round and the medians.
# Needs sockperf (Debian: apt-get install sockperf) and python3. A measurement, not a test.
# Usage: bench/scripts/latency_vs_sockperf.sh [ROUNDS] [SECONDS]   (default 10 rounds of 1 s each)
set -euo pipefail
rounds=${1:-10} secs=${2:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --release -q -p datagrams-cli --manifest-path "$root/Cargo.toml"
dgram=$root/target/release/dgram
port=$((20000 + $$ % 20000))
sockperf server -i 127.0.0.1 -p $port >/dev/null 2>&1 & srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
sleep 0.5
out=$(mktemp)
for _ in $(seq "$rounds"); do
  "$dgram" perf --latency --time "$secs" --json | tail -1 | python3 -c '
import json, sys
v = json.load(sys.stdin)
print("dgram", v["rtt_p50_us"], v["rtt_p99_us"], v["rtt_p999_us"], v["requests_per_second"])' | tee -a "$out"
  sockperf ping-pong -i 127.0.0.1 -p $port -m 1200 -t "$secs" --mps=max --full-rtt 2>&1 | python3 -c '
import re, sys
t = sys.stdin.read()
q = lambda p: float(re.search(r"percentile %s = *([0-9.]+)" % p, t).group(1))
m = re.search(r"Valid Duration\] RunTime=([0-9.]+) sec; SentMessages=(\d+)", t)
print("sockperf", q("50.000"), q("99.000"), q("99.900"), int(m.group(2)) / float(m.group(1)))' | tee -a "$out"
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for tool in ("dgram", "sockperf"):
    r = [list(map(float, x[1:])) for x in rows if x[0] == tool]
    med[tool] = [statistics.median(c[i] for c in r) for i in range(4)]
    print("%-8s median of %d: p50 %.2f us, p99 %.2f us, p99.9 %.1f us, %.0f round trips/s"
          % ((tool, len(r)) + tuple(med[tool])))
d, s = med["dgram"], med["sockperf"]
print("dgram/sockperf: p50 %.2f, p99 %.2f, p99.9 %.2f (RTT, lower is better)" % (d[0] / s[0], d[1] / s[1], d[2] / s[2]))
PY
rm -f "$out"

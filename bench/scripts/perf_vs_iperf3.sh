#!/usr/bin/env bash
# dgram perf against iperf3 -u -b 0 between two network namespaces over a veth pair, in one run.
# Needs root, iproute2 and iperf3 (Debian: apt-get install iperf3). A measurement, not a test.
# Usage: [DGRAM_PERF_ARGS="--rate 50G"] bench/scripts/perf_vs_iperf3.sh [SECONDS]   (default 3)
set -euo pipefail
export PATH=$PATH:/usr/sbin
secs=${1:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
cargo build --release -q -p datagrams-cli --manifest-path "$root/Cargo.toml"
dgram=$root/target/release/dgram
a=dgperfA$$ b=dgperfB$$
cleanup() { ip netns del $a 2>/dev/null || true; ip netns del $b 2>/dev/null || true; }
trap cleanup EXIT
ip netns add $a; ip netns add $b
ip link add veth0 netns $a type veth peer name veth0 netns $b
ip -n $a addr add 192.0.2.1/24 dev veth0; ip -n $b addr add 192.0.2.2/24 dev veth0
ip -n $a link set veth0 up; ip -n $b link set veth0 up; ip -n $a link set lo up; ip -n $b link set lo up
tick=$(getconf CLK_TCK)
# CPU seconds (user+system) of a finished process, from the time(1)-like wrapper below.
cpu_of() { awk -v t="$tick" '{print ($14+$15+$16+$17)/t}' "/proc/$1/stat"; }

# run_pair NAME SERVER_CMD CLIENT_CMD: prints "server_cpu client_cpu" and leaves the client's stdout in /tmp/pvi.$NAME
run_pair() {
  ip netns exec $b bash -c "exec $2" >/tmp/pvi.$1.srv 2>&1 & local s=$!
  sleep 0.5
  /usr/bin/time -f "%U %S" -o /tmp/pvi.$1.ccpu ip netns exec $a bash -c "$3" >/tmp/pvi.$1 2>&1 || true
  local sc; sc=$(awk -v t="$tick" '{print ($14+$15)/t}' /proc/$s/stat 2>/dev/null || echo 0)
  # The server's own threads: read its children too (ip netns exec execs, so $s is the server).
  kill $s 2>/dev/null || true; wait $s 2>/dev/null || true
  echo "$sc $(awk '{print $1+$2}' /tmp/pvi.$1.ccpu)"
}

printf '%-8s %6s  %9s %12s %8s %12s %12s\n' tool len Gbit/s datagrams/s loss% "cpu s/Gb tx" "cpu s/Gb rx"
for len in 1200 64; do
  for tool in iperf3 dgram; do
    if [ $tool = iperf3 ]; then
      cpus=$(run_pair i$len "iperf3 -s -B 192.0.2.2" "iperf3 -u -b 0 -l $len -t $secs -c 192.0.2.2 -J")
      read -r gbps pps loss < <(python3 -c '
import json,sys; j=json.load(open(sys.argv[1])); s=j["end"]["sum"]
print(s["bits_per_second"]/1e9*(1-s["lost_percent"]/100), s["packets"]*(1-s["lost_percent"]/100)/s["seconds"], s["lost_percent"])' /tmp/pvi.i$len)
    else
      cpus=$(run_pair d$len "$dgram perf --server 192.0.2.2:5201" "$dgram perf --client 192.0.2.2 --len $len -t $secs --json ${DGRAM_PERF_ARGS:-}")
      read -r gbps pps loss < <(python3 -c '
import json,sys; s=json.loads(open(sys.argv[1]).read().splitlines()[-1])
print(s["bits_per_second"]/1e9, s["datagrams_per_second"], s["lost_percent"])' /tmp/pvi.d$len)
    fi
    read -r srv cli <<<"$cpus"
    gb=$(python3 -c "print($gbps*$secs)")
    printf '%-8s %6s  %9.2f %12.0f %8.2f %12.2f %12.2f\n' $tool $len "$gbps" "$pps" "$loss" \
      "$(python3 -c "print($cli/max($gb,1e-9))")" "$(python3 -c "print($srv/max($gb,1e-9))")"
  done
done

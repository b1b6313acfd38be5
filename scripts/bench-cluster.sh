#!/usr/bin/env bash
# What twemproxy (nutcracker) costs in front of lsm serve, against the same in front of redis-server: redis-benchmark
# SET and GET (50 clients, random keys) through the proxy over 1, 2 ... NODES nodes started by scripts/cluster.sh,
# and directly against one node, for each kind of node in turn in one session. Prints requests per second, then
# the CPU time the proxy and the node spent per request with one node, from which to estimate what more machines
# would give.
#
#   scripts/bench-cluster.sh [REQUESTS] [NODES]      (defaults 200000 and 3)
#
# Each figure is one run of REQUESTS requests, with -P 1 and -P 16, on fresh nodes under LSM_APPENDFSYNC (default
# everysec). Needs a release build (swift build -c release --product lsm), nutcracker, redis-server and
# redis-benchmark. Every node, the proxy and the benchmark share this machine's cores: with fewer cores than
# processes the figures show the proxy's overhead, not what more machines would give. Do not run it during a build.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-200000}
max_nodes=${2:-3}
[ -x .build/release/lsm ] || { echo "build first: swift build -c release --product lsm" >&2; exit 2; }
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null \
    || { echo "needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)" >&2; exit 2; }
work=$(mktemp -d /tmp/lsm-bench-cluster.XXXXXX)
# Ports of their own, apart from a cluster someone started with the defaults.
export LSM=.build/release/lsm LSM_CLUSTER_DIR=$work/cluster LSM_CLUSTER_PORT=22131 LSM_CLUSTER_STATS_PORT=22232 \
    LSM_CLUSTER_NODE_PORT=7101
trap 'scripts/cluster.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# Prints the requests per second of test $3 (SET or GET) against the server or proxy on port $1 with pipeline $2.
run_benchmark() {
    # Through the proxy redis-benchmark warns that it cannot read CONFIG, which the proxy refuses.
    redis-benchmark -p "$1" -t "$3" -n "$requests" -r "$requests" -c 50 -P "$2" -q 2>/dev/null \
        | tr '\r' '\n' | awk -F'[: ]+' '/requests per second/ { print $2 }'
}

# The CPU seconds (user and system) that process $1 has used.
cpu_seconds() {
    awk -v tick="$(getconf CLK_TCK)" '{ print ($14 + $15) / tick }' "/proc/$1/stat"
}

declare -A rps cpu
for server in lsm redis-server; do
    for nodes in $(seq 1 "$max_nodes"); do
        rm -rf "$LSM_CLUSTER_DIR"
        LSM_CLUSTER_SERVER=$server scripts/cluster.sh start "$nodes" >/dev/null
        proxy_pid=$(cat "$LSM_CLUSTER_DIR/nutcracker.pid")
        node_pid=$(cat "$LSM_CLUSTER_DIR/node1.pid")
        for pipeline in 1 16; do
            targets="proxy"
            [ "$nodes" = 1 ] && targets="direct proxy"
            for target in $targets; do
                port=$LSM_CLUSTER_PORT
                [ "$target" = direct ] && port=$LSM_CLUSTER_NODE_PORT
                column=$target
                [ "$target" = proxy ] && column="proxy$nodes"
                for test in SET GET; do
                    proxy_before=$(cpu_seconds "$proxy_pid")
                    node_before=$(cpu_seconds "$node_pid")
                    rps[$server,$pipeline,$test,$column]=$(run_benchmark "$port" "$pipeline" "$test")
                    cpu[$server,$pipeline,$test,$column]=$(awk -v n="$requests" \
                        -v p="$proxy_before" -v p2="$(cpu_seconds "$proxy_pid")" \
                        -v d="$node_before" -v d2="$(cpu_seconds "$node_pid")" \
                        'BEGIN { printf "%.1f %.1f", (p2 - p) * 1e6 / n, (d2 - d) * 1e6 / n }')
                done
            done
        done
        scripts/cluster.sh stop >/dev/null
    done
done

columns="direct"
header=$(printf '%-13s %-3s %-4s %11s' server -P test direct)
for nodes in $(seq 1 "$max_nodes"); do
    columns+=" proxy$nodes"
    header+=$(printf ' %11s' "proxy/$nodes")
done
echo "requests per second, $requests requests, 50 clients, appendfsync ${LSM_APPENDFSYNC:-everysec}," \
    "$(nproc) cores"
echo "$header"
for server in lsm redis-server; do
    for pipeline in 1 16; do
        for test in SET GET; do
            printf '%-13s %-3s %-4s' "$server" "$pipeline" "$test"
            for column in $columns; do
                printf ' %11s' "${rps[$server,$pipeline,$test,$column]:--}"
            done
            echo
        done
    done
done

echo
echo "CPU microseconds per request with one node (to within" \
    "$(awk -v t="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.2f", 1e6 / t / n }') us, a clock tick)"
printf '%-13s %-3s %-4s %13s %13s %13s\n' server -P test "node direct" "node proxied" "the proxy"
for server in lsm redis-server; do
    for pipeline in 1 16; do
        for test in SET GET; do
            read -r _ direct <<<"${cpu[$server,$pipeline,$test,direct]:-- -}"
            read -r proxy proxied <<<"${cpu[$server,$pipeline,$test,proxy1]:-- -}"
            printf '%-13s %-3s %-4s %13s %13s %13s\n' "$server" "$pipeline" "$test" "$direct" "$proxied" "$proxy"
        done
    done
done

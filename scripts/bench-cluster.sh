#!/usr/bin/env bash
# What twemproxy (nutcracker) costs in front of lsm serve, against the same in front of redis-server: redis-benchmark
# SET and GET (50 clients, random keys) through the proxy over 1, 2 ... NODES nodes started by scripts/cluster.sh,
# and directly against one node, for each kind of node in turn in one session. Prints requests per second.
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

# Prints "TEST rps" lines for the server or proxy on port $1 with pipeline $2.
run_benchmark() {
    # Through the proxy redis-benchmark warns that it cannot read CONFIG, which the proxy refuses.
    redis-benchmark -p "$1" -t set,get -n "$requests" -r "$requests" -c 50 -P "$2" -q 2>/dev/null \
        | tr '\r' '\n' | awk -F'[: ]+' '/requests per second/ { print $1, $2 }'
}

declare -A rps
for server in lsm redis-server; do
    for nodes in $(seq 1 "$max_nodes"); do
        rm -rf "$LSM_CLUSTER_DIR"
        LSM_CLUSTER_SERVER=$server scripts/cluster.sh start "$nodes" >/dev/null
        for pipeline in 1 16; do
            targets="proxy"
            [ "$nodes" = 1 ] && targets="direct proxy"
            for target in $targets; do
                port=$LSM_CLUSTER_PORT
                [ "$target" = direct ] && port=$LSM_CLUSTER_NODE_PORT
                column=$target
                [ "$target" = proxy ] && column="proxy$nodes"
                while read -r test value; do
                    rps[$server,$pipeline,$test,$column]=$value
                done < <(run_benchmark "$port" "$pipeline")
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

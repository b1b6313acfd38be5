#!/usr/bin/env bash
# Starts N `lsm serve` nodes and a twemproxy (nutcracker) in front of them on loopback, to try the set-up of
# docs/SCALING.md by hand; `stop` ends what `start` started.
#
#   scripts/cluster.sh start N     nodes node1..nodeN on ports 7001..., the proxy on 127.0.0.1:22121; with some
#                                  running, starts the others (a node that died, or new ones: then the proxy is
#                                  restarted over all N, as it reads its list of nodes only when it starts)
#   scripts/cluster.sh stop        stops the proxy, then every node (SIGTERM: a clean shutdown)
#   scripts/cluster.sh status      what runs, and where
#
# Environment:
#   LSM_CLUSTER_DIR        where the nodes' data, the logs, the pid files and nutcracker.yml go (./cluster-data)
#   LSM_CLUSTER_PORT       the proxy's port (22121); its statistics are on LSM_CLUSTER_STATS_PORT (22222)
#   LSM_CLUSTER_NODE_PORT  the first node's port (7001); node i listens on LSM_CLUSTER_NODE_PORT + i - 1
#   LSM_APPENDFSYNC        each node's --appendfsync: always, everysec (the default) or no
#   LSM_CLUSTER_EJECT      1: auto_eject_hosts (a dead node's keys go to the others for a while), 0: not (default)
#   LSM_CLUSTER_SERVER     lsm (default), or redis-server: nodes of the server lsm serve imitates (append-only file,
#                          no snapshots), to compare
#   LSM                    the lsm binary (default .build/release/lsm, else .build/debug/lsm, else built now)
#   NUTCRACKER             the proxy (default nutcracker on PATH, else /usr/sbin/nutcracker)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${LSM_CLUSTER_DIR:-./cluster-data}
proxy_port=${LSM_CLUSTER_PORT:-22121}
stats_port=${LSM_CLUSTER_STATS_PORT:-22222}
node_port=${LSM_CLUSTER_NODE_PORT:-7001}
appendfsync=${LSM_APPENDFSYNC:-everysec}
eject=${LSM_CLUSTER_EJECT:-0}
server=${LSM_CLUSTER_SERVER:-lsm}
case "$server" in
    lsm) node_program="lsm serve" ;;
    redis-server) node_program="redis-server" ;;
    *) echo "LSM_CLUSTER_SERVER is lsm or redis-server, not $server" >&2; exit 2 ;;
esac
# stop and status find nodes of either kind.
any_node="lsm serve|redis-server"

usage() {
    echo "usage: $0 start N | stop | status" >&2
    exit 2
}

# Whether the process in pid file $1 runs and its command line matches the extended regular expression $2 (a pid
# left from an earlier boot may be another program's by now).
running() {
    local pid
    [ -f "$1" ] || return 1
    pid=$(cat "$1")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qE -- "$2"
}

lsm_binary() {
    if [ -n "${LSM:-}" ]; then echo "$LSM"; return; fi
    for candidate in "$repo/.build/release/lsm" "$repo/.build/debug/lsm"; do
        if [ -x "$candidate" ]; then echo "$candidate"; return; fi
    done
    echo "no lsm binary: building one (swift build --product lsm)" >&2
    (cd "$repo" && swift build --product lsm >&2)
    echo "$repo/.build/debug/lsm"
}

nutcracker_binary() {
    if [ -n "${NUTCRACKER:-}" ]; then echo "$NUTCRACKER"; return; fi
    # /usr/sbin, where Debian puts it, is not on every user's PATH.
    command -v nutcracker 2>/dev/null || { [ -x /usr/sbin/nutcracker ] && echo /usr/sbin/nutcracker; } || {
        echo "nutcracker not found: apt-get install nutcracker" >&2
        exit 1
    }
}

# Waits up to 30 s for node $1 to log its ready line past line $2 of its log (earlier runs wrote the lines before);
# shows the log and fails otherwise.
wait_for_node() {
    local name=$1 from=$2
    for _ in $(seq 1 300); do
        tail -n "+$from" "$dir/$name.log" | grep -q "Ready to accept connections" && return 0
        running "$dir/$name.pid" "$node_program" || break
        sleep 0.1
    done
    echo "$name did not start; its log ($dir/$name.log):" >&2
    tail -n 20 "$dir/$name.log" >&2
    exit 1
}

# Whether the proxy answers PING (it answers that itself) on its port: needs nothing but bash.
proxy_answers() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$proxy_port" || exit 1
        printf '*1\r\n$4\r\nPING\r\n' >&3
        read -r -t 2 reply <&3 || exit 1
        [ "${reply%$'\r'}" = "+PONG" ]
    ) 2>/dev/null
}

# Prints the proxy's configuration for $1 nodes.
config() {
    local count=$1 i
    {
        echo "# Written by scripts/cluster.sh: $count $node_program nodes; see docs/SCALING.md."
        echo "lsm:"
        echo "  listen: 127.0.0.1:$proxy_port"
        echo "  redis: true"
        echo "  hash: md5"
        echo "  distribution: ketama"
        echo "  preconnect: true"
        echo "  timeout: 5000"
        echo "  server_connections: 1"
        if [ "$eject" = 1 ]; then
            echo "  auto_eject_hosts: true"
            echo "  server_failure_limit: 2"
            echo "  server_retry_timeout: 10000"
        else
            echo "  auto_eject_hosts: false"
        fi
        echo "  servers:"
        for i in $(seq 1 "$count"); do
            # The name, not the address, places the node on the ketama ring.
            echo "   - 127.0.0.1:$((node_port + i - 1)):1 node$i"
        done
    }
}

stop_pid_file() {
    local file=$1 program=$2 pid
    if running "$file" "$program"; then
        pid=$(cat "$file")
        kill -TERM "$pid"
        for _ in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "$(basename "$file" .pid) did not stop within 30 s of SIGTERM: SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

start() {
    local count=$1 lsm i name from started=0
    [[ "$count" =~ ^[1-9][0-9]*$ ]] || usage
    nutcracker_binary >/dev/null
    mkdir -p "$dir"
    if [ "$server" = lsm ]; then lsm=$(lsm_binary); fi
    for i in $(seq 1 "$count"); do
        name=node$i
        running "$dir/$name.pid" "$node_program" && continue
        touch "$dir/$name.log"
        from=$(($(wc -l <"$dir/$name.log") + 1))
        # nohup: the node outlives the terminal that started it, as the daemonized proxy does.
        if [ "$server" = lsm ]; then
            nohup "$lsm" serve "$dir/$name" --port "$((node_port + i - 1))" --appendfsync "$appendfsync" \
                >>"$dir/$name.log" 2>&1 </dev/null &
        else
            mkdir -p "$dir/$name"
            nohup redis-server --port "$((node_port + i - 1))" --bind 127.0.0.1 --dir "$dir/$name" --save "" \
                --appendonly yes --appendfsync "$appendfsync" --daemonize no >>"$dir/$name.log" 2>&1 </dev/null &
        fi
        echo $! >"$dir/$name.pid"
        wait_for_node "$name" "$from"
        started=$((started + 1))
    done
    echo "$count nodes ($started started now, appendfsync $appendfsync) on 127.0.0.1:$node_port..." \
        "$((node_port + count - 1)), data in $dir"
    # A running proxy over the same nodes finds a restarted one by itself.
    if ! running "$dir/nutcracker.pid" nutcracker || [ "$(config "$count")" != "$(cat "$dir/nutcracker.yml")" ]; then
        start_proxy "$count"
    fi
    echo "proxy: 127.0.0.1:$proxy_port (redis-cli -p $proxy_port)"
}

# (Re)starts the proxy over $1 nodes.
start_proxy() {
    local nutcracker output
    nutcracker=$(nutcracker_binary)
    config "$1" >"$dir/nutcracker.yml"
    if ! output=$("$nutcracker" --test-conf --conf-file "$dir/nutcracker.yml" 2>&1); then
        echo "$output" >&2
        exit 1
    fi
    stop_pid_file "$dir/nutcracker.pid" nutcracker
    "$nutcracker" --daemonize --conf-file "$dir/nutcracker.yml" --output "$dir/nutcracker.log" \
        --stats-addr 127.0.0.1 --stats-port "$stats_port" --pid-file "$(cd "$dir" && pwd)/nutcracker.pid"
    for _ in $(seq 1 100); do
        proxy_answers && break
        sleep 0.1
    done
    proxy_answers || {
        echo "nutcracker does not answer on 127.0.0.1:$proxy_port; its log ($dir/nutcracker.log):" >&2
        tail -n 20 "$dir/nutcracker.log" >&2
        exit 1
    }
}

stop() {
    local file
    [ -d "$dir" ] || { echo "nothing to stop: no $dir"; return; }
    # The proxy first, so that no client write reaches a node while it shuts down.
    stop_pid_file "$dir/nutcracker.pid" nutcracker
    for file in "$dir"/node*.pid; do
        [ -e "$file" ] || continue
        stop_pid_file "$file" "$any_node"
    done
    echo "stopped; the data stays in $dir"
}

# Prints whether the program $2 of pid file $1 runs.
show_status() {
    [ -e "$1" ] || return 0
    if running "$1" "$2"; then
        echo "$(basename "$1" .pid): running, pid $(cat "$1")"
    else
        echo "$(basename "$1" .pid): not running"
    fi
}

status() {
    local file
    compgen -G "$dir/*.pid" >/dev/null || echo "nothing was started in $dir"
    show_status "$dir/nutcracker.pid" nutcracker
    for file in "$dir"/node*.pid; do
        show_status "$file" "$any_node"
    done
    [ -f "$dir/nutcracker.yml" ] && grep -E '^\s+(listen|- )' "$dir/nutcracker.yml"
    return 0
}

case "${1:-}" in
    start) [ $# -eq 2 ] || usage; start "$2" ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac

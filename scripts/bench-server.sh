#!/usr/bin/env bash
# Runs redis-benchmark against `lsm serve` and against `redis-server --appendonly yes` at the same appendfsync,
# alternately, and prints requests per second side by side with their ratio (lsm / redis).
#
#   scripts/bench-server.sh [REQUESTS] [ROUNDS]      (defaults 1000000 and 1)
#
# Each round runs, for appendfsync always and everysec, SET and GET with -P 1 and -P 16 (50 clients, random keys
# over REQUESTS), first against lsm serve and then against redis-server, each on a fresh directory. Needs a
# release build (swift build -c release) and redis-server and redis-benchmark on PATH. Do not run it during a
# build: the figures would measure the compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-1000000}
rounds=${2:-1}
lsm=.build/release/lsm
[ -x "$lsm" ] || { echo "build first: swift build -c release" >&2; exit 2; }
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null \
    || { echo "needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)" >&2; exit 2; }
work=$(mktemp -d /tmp/lsm-bench-server.XXXXXX)
port=6479
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_for_port() {
    for _ in $(seq 1 200); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "server on port $port did not start" >&2
    exit 1
}

# Prints "TEST rps" lines for one server already listening.
run_benchmark() {
    local pipeline=$1
    redis-benchmark -p "$port" -t set,get -n "$requests" -r "$requests" -c 50 -P "$pipeline" -q 2>/dev/null \
        | tr '\r' '\n' | awk -F'[: ]+' '/requests per second/ { print $1, $2 }'
}

start_lsm() {
    rm -rf "$work/lsm"
    "$lsm" serve "$work/lsm" --port "$port" --appendfsync "$1" 2>"$work/lsm.log" &
    wait_for_port
}

start_redis() {
    rm -rf "$work/redis"; mkdir -p "$work/redis"
    redis-server --port "$port" --dir "$work/redis" --appendonly yes --appendfsync "$1" --save '' \
        --daemonize no >"$work/redis.log" 2>&1 &
    wait_for_port
}

stop_server() {
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait 2>/dev/null || true
}

printf '%-10s %-5s %-4s %14s %14s %7s\n' appendfsync test -P lsm redis ratio
for round in $(seq 1 "$rounds"); do
    for fsync in always everysec; do
        for pipeline in 1 16; do
            start_lsm "$fsync"; lsm_out=$(run_benchmark "$pipeline"); stop_server
            start_redis "$fsync"; redis_out=$(run_benchmark "$pipeline"); stop_server
            for test in SET GET; do
                l=$(awk -v t="$test" '$1 == t { print $2 }' <<<"$lsm_out")
                r=$(awk -v t="$test" '$1 == t { print $2 }' <<<"$redis_out")
                printf '%-10s %-5s %-4s %14s %14s %7s\n' "$fsync" "$test" "$pipeline" "$l" "$r" \
                    "$(awk -v a="$l" -v b="$r" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
            done
        done
    done
done

#!/usr/bin/env bash
# Fuzzes one parser (or a whole database directory) with libFuzzer under the address sanitizer.
#
# usage (from anywhere): scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#   TARGET   wal | table | manifest | quoting | directory | pointread | lz4 | resp   (see Sources/LSMFuzzTargets/FuzzTarget.swift)
#   SECONDS  how long to fuzz
# env: MERGE=1 afterwards merges the inputs that found new coverage into the committed seed corpus
#      (Fuzz/corpus/TARGET), which `swift test` replays.
#
# Inputs found go to .fuzz/TARGET/corpus (not committed); a crash is written to .fuzz/TARGET/artifacts/ and the
# script exits non-zero. Reproduce one without libFuzzer: swift build && .build/debug/lsm-fuzz TARGET FILE
# (a directory input unpacks into a database directory with .build/debug/lsm-fuzz unpack FILE DIRECTORY).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: scripts/fuzz.sh wal|table|manifest|quoting|directory|pointread|lz4|resp SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
target=$1; seconds=$2; shift 2
case "$target" in wal|table|manifest|quoting|directory|pointread|lz4|resp) ;; *) echo "unknown target: $target" >&2; exit 2 ;; esac

# -DLSM_FUZZER makes lsm-fuzz hand its target to libFuzzer's driver. Only the Swift code is built with the fuzzer's
# coverage; the C target (CRC32C) gets the address sanitizer. lld links libFuzzer next to the entry point SwiftPM
# names for the executable.
swift build -c release --product lsm-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address -Xswiftc -DLSM_FUZZER -Xswiftc -use-ld=lld >&2

work=.fuzz/$target
mkdir -p "$work/corpus" "$work/artifacts"
# The entry points write each input to a file in $TMPDIR; libFuzzer exits without cleaning up, so this script does.
TMPDIR=$(mktemp -d /dev/shm/lsm-fuzz-run.XXXXXX 2>/dev/null || mktemp -d)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
export SWIFT_BACKTRACE=enable=no   # let libFuzzer report a trap itself, at once
status=0
.build-fuzz/release/lsm-fuzz "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" "$work/corpus" "Fuzz/corpus/$target" || status=$?

if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: $target failed (exit $status); artifacts in $work/artifacts/:" >&2
  ls -l "$work/artifacts/" >&2
  exit "$status"
fi
if [ "${MERGE:-0}" = 1 ]; then
  # Only inputs that reach new code, not new hit counts of the same code: keeps the committed corpus to tens of files.
  .build-fuzz/release/lsm-fuzz "$target" -merge=1 -use_counters=0 "Fuzz/corpus/$target" "$work/corpus" >&2
fi

#!/usr/bin/env bash
# Regenerates the LZ4 interoperability fixtures in Tests/LSMTests/Fixtures/lz4/ with the reference liblz4:
# scripts/lz4-fixtures.c makes the inputs (NAME.raw) and has liblz4 compress them (NAME.lz4, NAME.hc.lz4).
# LZ4InteropTests decompresses every fixture with the engine's decoder. Needs a C compiler and liblz4.so.1 (the
# runtime library only; no header).
#
# usage (from anywhere): scripts/lz4-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/LSMTests/Fixtures/lz4
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cc -O2 -Wall -Wextra -o "$build/lz4-fixtures" scripts/lz4-fixtures.c -l:liblz4.so.1
rm -rf "$out"
mkdir -p "$out"
"$build/lz4-fixtures" "$out"
du -sh "$out"

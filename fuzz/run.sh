#!/usr/bin/env bash
# fuzz/run.sh BUILD_DIR SECONDS [--grow]
#
# Runs every libFuzzer target built in BUILD_DIR (make fuzz-build) for SECONDS
# each, starting from its committed seeds in fuzz/corpus/<target>/. Without
# --grow (make test) new inputs go to a scratch directory that is removed;
# with --grow (make fuzz) they are kept in BUILD_DIR/corpus/<target>/ for the
# next run. A crash, leak, sanitizer report, timeout or broken invariant fails
# the run; the input is saved as BUILD_DIR/crashes/<target>-crash-… and the
# command to replay it is printed. The committed seeds are never modified.
set -euo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [--grow]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [--grow]}
mode=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
mkdir -p "$build/crashes"

shopt -s nullglob
targets=("$build"/*_fuzz)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no targets in $build (run make fuzz-build)" >&2
  exit 1
fi

status=0
for bin in "${targets[@]}"; do
  name=$(basename "$bin" _fuzz)
  seeds="$here/corpus/$name"
  if [ "$mode" = --grow ]; then
    work="$build/corpus/$name"
    mkdir -p "$work"
  else
    work=$(mktemp -d)
  fi
  max_len=4096
  [ "$name" = ws_frame ] && max_len=17000  # frames up to the 16 KiB limit and past it
  [ "$name" = ws_reader ] && max_len=8192  # messages over its 1 KiB limit, in fragments
  log="$build/$name.log"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
      -print_final_stats=1 -artifact_prefix="$build/crashes/$name-" "$work" "$seeds" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz.$name: ok, ${runs:-?} inputs in ${seconds} s (corpus $(ls "$work" | wc -l) new + $(ls "$seeds" | wc -l) seeds)"
  else
    echo "fuzz.$name: FAILED (log: $log)"
    tail -n 60 "$log"
    for a in "$build/crashes/$name-"*; do echo "  replay: $bin $a"; done
    status=1
  fi
  [ "$mode" = --grow ] || rm -rf "$work"
done
exit $status

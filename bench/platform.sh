#!/usr/bin/env bash
# The platform case of issue 19 (`sorak bench platform`: 300 Zipf-sized streams, 15 k viewers,
# chat growing with each audience, 5 % gifts, 200 viewers/s leaving and joining, 100 REST bots),
# in one place for both ways of running it:
#
#   source bench/platform.sh; platform_section   from bench/run.sh: the case through its run_case
#                                                (a fresh sorakd, the JSON line into latest.jsonl),
#                                                then the same on the floor relay (no bots)
#   bash bench/platform.sh [--quick] [OUT.jsonl] on its own: a fresh sorakd on loopback, the run,
#                                                the table on stdout, the JSON line appended to OUT
#                                                (default bench/results/platform.jsonl)
#
# --quick: 30 streams, 1,500 viewers (top 500), 20 viewers/s of churn, 10 bots, 5 s. Environment:
# BUILD_DIR (build), BENCH_PLATFORM_DURATION (seconds of load: 30, --quick 5), BENCH_THREADS
# (the generator's load threads, 2). Bounded: the generator is killed after duration + 120 s, and
# the sorakd it started is stopped by its PID (TERM, then KILL after 10 s) on any exit.

# The generator's flags for the case; QUICK=1 for the small sizes. `platform_flags floor`: the same
# day for the floor relay (--protocol ws, a room per stream), without bots: it has no REST API.
platform_flags() {
  local duration=${BENCH_PLATFORM_DURATION:-$([ "${QUICK:-0}" = 1 ] && echo 5 || echo 30)}
  local bots=(--bots 100 --bot-rate 100)
  [ "${QUICK:-0}" = 1 ] && bots=(--bots 10 --bot-rate 10)
  [ "${1:-sorak}" = floor ] && bots=(--bots 0)
  if [ "${QUICK:-0}" = 1 ]; then
    echo --streams 30 --viewers 1500 --top 500 --rate 100 --churn 20 "${bots[@]}" \
      --duration "$duration" --threads "${BENCH_THREADS:-2}"
  else
    echo --streams 300 --viewers 15000 --top 5000 --rate 1000 --alpha 0.5 --gift-share 0.05 --churn 200 \
      "${bots[@]}" --duration "$duration" --threads "${BENCH_THREADS:-2}"
  fi
}

# Sourced by bench/run.sh: the case through its run_case, when BENCH_ONLY matches "platform": Sorak,
# then the floor (bench/peers/floor.sh --paced, as for fanout) on the same day, when BENCH_SYSTEMS
# has them. The floor's worst band p99 is shown beside Sorak's (bench/report.mjs).
platform_section() {
  [[ platform =~ $ONLY ]] || return 0
  # shellcheck disable=SC2046  # the flags are words
  run_case platform sorak platform $(platform_flags sorak)
  # shellcheck disable=SC2046
  run_case platform floor platform $(platform_flags floor)
}

# ---- run on its own ---------------------------------------------------------------------------
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  BUILD_DIR=${BUILD_DIR:-build}
  QUICK=0
  [ "${1:-}" = --quick ] && { QUICK=1; shift; }
  out=${1:-bench/results/platform.jsonl}
  for bin in "$BUILD_DIR/sorakd" "$BUILD_DIR/sorak"; do
    [ -x "$bin" ] || { echo "platform: $bin is missing: build sorak and sorakd first" >&2; exit 1; }
  done
  dir=$(mktemp -d "${TMPDIR:-/tmp}/sorak-platform.XXXXXX")
  pid=""
  stop() {
    if [ -n "$pid" ]; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
  }
  trap stop EXIT
  trap 'exit 130' INT TERM
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/jwt-secret"
  admin_key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  server_args=(--listen 127.0.0.1:0 --store "sqlite:$dir/sorak.db" --data-dir "$dir" --jwt-secret-file "$dir/jwt-secret"
               --rate-limit 0 --rate-limit-mod 0 --api-key-rate-limit 0)
  SORAK_ADMIN_KEY=$admin_key "$BUILD_DIR/sorakd" "${server_args[@]}" </dev/null >"$dir/stdout.log" 2>"$dir/stderr.log" &
  pid=$!
  url=""
  for _ in $(seq 1 100); do
    url=$(sed -n 's/^sorakd listening on \(http:\/\/[^ ]*\).*/\1/p' "$dir/stdout.log")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "platform: sorakd did not start" >&2; tail -20 "$dir/stderr.log" >&2; exit 1; }
  read -r -a flags <<<"$(platform_flags)"
  duration=${BENCH_PLATFORM_DURATION:-$([ $QUICK = 1 ] && echo 5 || echo 30)}
  cmd=("$BUILD_DIR/sorak" bench platform --url "$url" --server-pid "$pid" --secret-file "$dir/jwt-secret"
       --label platform "${flags[@]}")
  rc=0
  SORAK_ADMIN_KEY=$admin_key timeout -k 10 "$((duration + 120))" "${cmd[@]}" >"$dir/case.out" || rc=$?
  grep -v '^{' "$dir/case.out" || true
  line=$(grep '^{' "$dir/case.out" | tail -1 || true)
  mkdir -p "$(dirname "$out")"
  shown="${cmd[*]//$dir/\$TMP}"
  shown=${shown/--server-pid $pid/--server-pid \$PID}
  if [ -n "$line" ]; then
    echo "$line" | jq -c --arg cmd "$shown" --arg sc "SORAK_ADMIN_KEY=<random> sorakd ${server_args[*]//$dir/\$TMP}" \
      --argjson rc "$rc" --arg at "$(date -u +%FT%TZ)" \
      '. + {case: "platform", system: "sorak", command: $cmd, server_command: $sc, exit_code: $rc, at: $at}' >>"$out"
    echo "platform: the JSON line is in $out"
  else
    echo "platform: the generator printed no result (exit $rc)" >&2
    exit 1
  fi
fi

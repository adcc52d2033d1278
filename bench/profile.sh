#!/usr/bin/env bash
# `make profile`: runs one case (PROFILE_CASE: fanout 5 k × 400 msg/s, the default; connect, a 15 k
# storm offered at 12 k/s; rest, history pages over 100 rooms) against a fresh sorakd under a profiler and
# writes the top 25 symbols (by self time) to bench/results/profile-LABEL.txt, headed by the
# generator's result line, so a before/after pair shows both what got cheaper and what got faster.
# bench/report.mjs puts the newest two profile files into bench/RESULTS.md.
#
#   bench/profile.sh [LABEL] [NOTE]     LABEL defaults to the commit and time; NOTE says what changed
#
# The profiler: `perf record -g` where the CPU exposes hardware counters (`perf stat -e instructions`
# works); else `perf record -e cpu-clock -g` (a software timer: most VMs); else valgrind's callgrind
# (sorakd then runs ~50× slower, so its figures show the shape of the cost, not the speed).
# PROFILER=perf|perf-cpu-clock|callgrind forces one. Environment: BUILD_DIR (build),
# BENCH_DURATION (10), BENCH_GENERATOR (as bench/run.sh), PROFILE_CASE (fanout), KEEP_PERF (a path: keep
# perf.data there, for `perf report --children` and call graphs).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
SORAKD=$BUILD_DIR/sorakd
read -r -a GENERATOR <<<"${BENCH_GENERATOR:-$BUILD_DIR/sorak bench}"
DURATION=${BENCH_DURATION:-10}
CASE=${PROFILE_CASE:-fanout}
[[ $CASE =~ ^(fanout|connect|rest)$ ]] || { echo "profile: PROFILE_CASE is fanout, connect or rest" >&2; exit 2; }
label=${1:-$(git rev-parse --short HEAD 2>/dev/null || echo run)-$(date +%Y%m%d-%H%M%S)}
note=${2:-}
[[ $label =~ ^[A-Za-z0-9._-]+$ ]] || { echo "profile: LABEL may hold letters, digits, . _ - only" >&2; exit 2; }
out=bench/results/profile-$label.txt

for bin in "$SORAKD" "${GENERATOR[0]}"; do
  [ -x "$bin" ] || { echo "profile: $bin is missing: run \`make profile\` (it builds first)" >&2; exit 1; }
done

pick_profiler() {
  if [ -n "${PROFILER:-}" ]; then echo "$PROFILER"; return; fi
  local probe; probe=$(perf stat -e instructions true 2>&1) || { echo callgrind; return; }
  if [[ $probe != *"not supported"* ]]; then echo perf
  elif perf stat -e cpu-clock true >/dev/null 2>&1; then echo perf-cpu-clock
  else echo callgrind; fi
}
profiler=$(pick_profiler)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sorak-profile.XXXXXX")
sorakd_pid="" perf_pid=""
cleanup() {
  for pid in $perf_pid $sorakd_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [ -n "${KEEP_PERF:-}" ] && cp "$tmp/perf.data" "$KEEP_PERF"; rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# sorakd in the same configuration as bench/run.sh.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/jwt-secret"
export SORAK_ADMIN_KEY; SORAK_ADMIN_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
sorakd_args=(--listen 127.0.0.1:0 --store "sqlite:$tmp/sorak.db" --data-dir "$tmp"
             --jwt-secret-file "$tmp/jwt-secret" --rate-limit 0 --rate-limit-mod 0)
launcher=()
[ "$profiler" = callgrind ] && launcher=(valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out")
"${launcher[@]}" "$SORAKD" "${sorakd_args[@]}" </dev/null >"$tmp/sorakd.out" 2>"$tmp/sorakd.err" &
sorakd_pid=$!
url=""
for _ in $(seq 1 600); do  # callgrind starts slowly
  url=$(sed -n 's/^sorakd listening on \(http:\/\/[^ ]*\).*/\1/p' "$tmp/sorakd.out")
  [ -n "$url" ] && break
  kill -0 "$sorakd_pid" 2>/dev/null || { cat "$tmp/sorakd.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "profile: sorakd did not start" >&2; exit 1; }

case "$profiler" in
  perf) perf record -g -o "$tmp/perf.data" -p "$sorakd_pid" >/dev/null 2>"$tmp/perf.err" & perf_pid=$! ;;
  perf-cpu-clock) perf record -e cpu-clock -g -o "$tmp/perf.data" -p "$sorakd_pid" >/dev/null 2>"$tmp/perf.err" & perf_pid=$! ;;
esac
sleep 0.5

case "$CASE" in
  fanout) case_args=(fanout --protocol sorak --viewers 5000 --senders 10 --rate 400 --size 100 --duration "$DURATION") ;;
  connect) case_args=(connect --protocol sorak --connections 15000 --connect-rate 12000 --concurrency 1024) ;;
  rest) case_args=(rest --kind history --rooms 100 --requests 100000 --concurrency 64) ;;
esac
gen=("${GENERATOR[@]}" "${case_args[@]}" --url "$url" --server-pid "$sorakd_pid" --label "profile-$label" --json
     --secret-file "$tmp/jwt-secret")
echo "profile: $profiler on sorakd (PID $sorakd_pid) during ${case_args[*]}"
result=$(timeout -k 10 $((DURATION * 10 + 120)) "${gen[@]}" 2>"$tmp/gen.err" | grep '^{' | tail -1 || true)
[ -n "$result" ] || echo "profile: the generator gave no result: $(tail -c 400 "$tmp/gen.err")" >&2

# Stop the profiler first (perf writes its file on SIGINT), then sorakd (callgrind writes on exit).
if [ -n "$perf_pid" ]; then
  kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true; perf_pid=""
fi
kill -TERM "$sorakd_pid" 2>/dev/null || true
for _ in $(seq 1 300); do kill -0 "$sorakd_pid" 2>/dev/null || break; sleep 0.1; done
wait "$sorakd_pid" 2>/dev/null || true; sorakd_pid=""

# The 25 costliest symbols by self time, one per line (callgrind: after its total of instructions);
# nothing when the profiler saw nothing.
top_symbols() {
  if [ "$profiler" = callgrind ]; then
    callgrind_annotate --inclusive=no "$tmp/callgrind.out" 2>/dev/null \
      | awk '/PROGRAM TOTALS/ {print} f && NF && !/^-+$/ {print} /file:function/ {f = 1}' | head -26 || true
  else
    perf report -i "$tmp/perf.data" --stdio --no-children --sort dso,symbol -g none 2>"$tmp/report.err" \
      | awk '!/^#/ && NF' | head -25 || true
  fi
}

mkdir -p bench/results
{
  echo "label:    $label"
  echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo +dirty)"
  echo "profiler: $profiler"
  echo "case:     ${case_args[*]}"
  [ -n "$note" ] && echo "changed:  $note"
  echo "result:   ${result:-none}"
  echo
  echo "top 25 symbols of sorakd by self time:"
  symbols=$(top_symbols | cut -c1-160 | sed 's/[[:space:]]*$//')
  echo "${symbols:-(no samples: $(tail -c 300 "$tmp/perf.err" "$tmp/report.err" 2>/dev/null | tr '\n' ' '))}"
} >"$out"
cat "$out"
echo "profile: wrote $out"

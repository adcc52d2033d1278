#!/usr/bin/env bash
# How many PUB/SUB deliveries one Redis instance makes per second: the input of docs/scaling.md's
# "Redis" column (bench/scaling_inputs.json). On 127.0.0.1 only, bounded in time.
#
#   bench/redis_pubsub.sh                 subscribers 1 2 4 8 16 32, a 1246-byte payload (~90 s on 2 cores)
#   bench/redis_pubsub.sh --json          one JSON line per case instead of the table
#
# For each number of subscribers K: a fresh throwaway Redis (scripts/redis-test.sh, nothing
# saved), K subscriber connections on one channel (each a plain socket read by `cat` into
# /dev/null: the cheapest reader there is, so Redis and not the reader sets the pace), then
# redis-benchmark PUBLISHes PUBLISHES payloads to the channel over CLIENTS connections, PIPELINE
# commands in flight on each. A subscriber stands for a node: one PUBLISH of a stream's event is
# copied to every node subscribed to it, so "deliveries/s" is publishes/s × K.
#
# Figures per case: publishes/s and deliveries/s by the wall clock; Redis's CPU (utime + stime of
# the redis-server process, from /proc) and so deliveries per Redis CPU-second, the figure that
# carries over to a machine where Redis has a core of its own; the bytes Redis wrote
# (INFO stats total_net_output_bytes), checked against K × publishes × the payload's RESP size,
# and the subscribers left at the end: a case where Redis cut subscribers off (its
# client-output-buffer-limit for pubsub, e.g. with 8 connections × 64 pipelined here) says so.
#
# Limits: Redis, redis-benchmark and the readers share this machine's cores (2 on the bench VM),
# so the wall-clock rates are what the three reach together; Redis's main thread is one core at
# most (io-threads off, Debian's default).
#
# Environment: SUBSCRIBERS ("1 2 4 8 16 32"), PAYLOAD_BYTES (1246: a chat message's broker
# envelope, docs/scaling.md), PUBLISHES (300000), CLIENTS (4), PIPELINE (32), CASE_TIMEOUT (60 s).
set -euo pipefail
cd "$(dirname "$0")/.."

SUBSCRIBERS=${SUBSCRIBERS:-1 2 4 8 16 32}
PAYLOAD_BYTES=${PAYLOAD_BYTES:-1246}
PUBLISHES=${PUBLISHES:-300000}
CLIENTS=${CLIENTS:-4}
PIPELINE=${PIPELINE:-32}
CASE_TIMEOUT=${CASE_TIMEOUT:-60}
JSON=0
[ "${1:-}" = --json ] && JSON=1

die() { echo "redis_pubsub: $*" >&2; exit 1; }
command -v redis-benchmark >/dev/null || die "no redis-benchmark (apt-get install redis-tools)"
command -v redis-cli >/dev/null || die "no redis-cli (apt-get install redis-tools)"

DIR=$(mktemp -d /tmp/sorak-redis-pubsub.XXXXXX)
READERS=()
stop_readers() {
  local pid
  for pid in "${READERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${READERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  READERS=()
}
cleanup() {
  stop_readers
  bash scripts/redis-test.sh stop "$DIR" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

CHANNEL=sorak:stream:bench
PAYLOAD=$(head -c "$PAYLOAD_BYTES" /dev/zero | tr '\0' x)
TICKS=$(getconf CLK_TCK)
# What one delivered message costs on a subscriber's socket in RESP:
# *3\r\n $7\r\nmessage\r\n $<len>\r\n<channel>\r\n $<len>\r\n<payload>\r\n
resp_len() { local c=${#CHANNEL} p=$PAYLOAD_BYTES; echo $((4 + 4 + 9 + 1 + ${#c} + 2 + c + 2 + 1 + ${#p} + 2 + p + 2)); }
RESP_BYTES=$(resp_len)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
out_bytes() { redis-cli -p "$PORT" info stats | tr -d '\r' | awk -F: '$1 == "total_net_output_bytes" {print $2}'; }
numsub() { redis-cli -p "$PORT" pubsub numsub "$CHANNEL" | sed -n 2p; }
now_ns() { date +%s%N; }

[ $JSON = 1 ] || {
  echo "Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), payload $PAYLOAD_BYTES B, $PUBLISHES publishes over $CLIENTS connections × $PIPELINE pipelined, $(nproc) cores shared with the publisher and the readers"
  echo
  echo "| Subscribers | Publishes/s | Deliveries/s | Redis CPU (cores) | Deliveries per Redis CPU-second | Out MB/s | Subscribers at the end |"
  echo "|---|---|---|---|---|---|---|"
}

for k in $SUBSCRIBERS; do
  bash scripts/redis-test.sh start "$DIR" >/dev/null
  PORT=$(cat "$DIR/port")
  RPID=$(head -n 1 "$DIR/redis.pid")
  for _ in $(seq 1 "$k"); do
    ( exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf 'SUBSCRIBE %s\r\n' "$CHANNEL" >&3; exec cat <&3 >/dev/null ) &
    READERS+=($!)
  done
  for _ in $(seq 1 100); do [ "$(numsub)" = "$k" ] && break; sleep 0.05; done
  [ "$(numsub)" = "$k" ] || die "only $(numsub) of $k subscribers subscribed"

  bytes0=$(out_bytes) cpu0=$(cpu_ticks "$RPID") t0=$(now_ns)
  timeout "$CASE_TIMEOUT" redis-benchmark -p "$PORT" -c "$CLIENTS" -P "$PIPELINE" -n "$PUBLISHES" -q \
    PUBLISH "$CHANNEL" "$PAYLOAD" >/dev/null || die "redis-benchmark failed or took over ${CASE_TIMEOUT}s"
  t1=$(now_ns) cpu1=$(cpu_ticks "$RPID")
  # The readers may still be draining what Redis queued for them: wait until the bytes stop growing.
  bytes1=$(out_bytes)
  for _ in $(seq 1 50); do sleep 0.1; b=$(out_bytes); [ "$b" = "$bytes1" ] && break; bytes1=$b; done
  left=$(numsub)
  stop_readers
  bash scripts/redis-test.sh stop "$DIR" >/dev/null 2>&1

  # shellcheck disable=SC2016 # the quoted text is JavaScript
  node -e '
    const [k, n, t0, t1, c0, c1, ticks, b0, b1, resp, left, json] = process.argv.slice(1).map(Number);
    const s = (t1 - t0) / 1e9, cpu = (c1 - c0) / ticks;
    const pub = n / s, del = pub * k, out = b1 - b0, expected = k * n * resp;
    const r = { subscribers: k, publishes: n, seconds: +s.toFixed(3), publishes_per_s: Math.round(pub),
      deliveries_per_s: Math.round(del), redis_cpu_s: cpu, redis_cpu_cores: +(cpu / s).toFixed(3),
      deliveries_per_redis_cpu_s: cpu > 0 ? Math.round(k * n / cpu) : null,
      out_bytes: out, out_bytes_expected: expected, out_mb_per_s: +(out / s / 1e6).toFixed(1),
      subscribers_at_end: left };
    if (json) { console.log(JSON.stringify(r)); process.exit(0); }
    const m = (x) => x >= 1e6 ? (x / 1e6).toFixed(2) + " M" : (x / 1e3).toFixed(1) + " k";
    console.log(`| ${k} | ${m(pub)} | ${m(del)} | ${r.redis_cpu_cores} | ${r.deliveries_per_redis_cpu_s ? m(r.deliveries_per_redis_cpu_s) : "—"} | ${r.out_mb_per_s} | ${left}${out < expected * 0.99 ? " (short: " + (100 * out / expected).toFixed(1) + " % of the bytes)" : ""} |`);
  ' "$k" "$PUBLISHES" "$t0" "$t1" "$cpu0" "$cpu1" "$TICKS" "$bytes0" "$bytes1" "$RESP_BYTES" "${left:-0}" "$JSON"
done

#!/usr/bin/env bash
# redis-test.sh: a throwaway Redis server for the tests (ctest fixture `redis`,
# tests/integration/lib, fault tests).
#
#   redis-test.sh start DIR    a fresh redis-server on a free 127.0.0.1 port, nothing saved to
#                              disk; writes redis://127.0.0.1:PORT to DIR/url and prints it
#   redis-test.sh stop DIR     stops it by the PID in DIR/redis.pid (SIGTERM, SIGKILL after
#                              STOP_SECONDS); nothing running is fine
#   redis-test.sh kill9 DIR    SIGKILLs it (a crash)
#   redis-test.sh restart DIR  stops it if running and starts it again on the same port
#
# Only 127.0.0.1 listens, protected mode on, no persistence (the broker keeps nothing in
# Redis: what a node missed it reads from the store). REDIS_SERVER overrides the binary.
set -euo pipefail

STOP_SECONDS=${STOP_SECONDS:-10}
START_SECONDS=${START_SECONDS:-20}

die() { echo "redis-test: $*" >&2; exit 1; }
# running, port_in_use, pick_port
. "$(dirname "${BASH_SOURCE[0]}")/test-server-lib.sh"

server_bin() {
  local b=${REDIS_SERVER:-$(command -v redis-server || true)}
  [ -n "$b" ] && [ -x "$b" ] || die "no redis-server (apt-get install redis-server, or set REDIS_SERVER)"
  echo "$b"
}

live_pid() {
  local pid
  [ -s "$1/redis.pid" ] || return 0
  pid=$(head -n 1 "$1/redis.pid")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if running "$pid"; then echo "$pid"; fi
}

# Starts redis-server in DIR on PORT; 0 when it listens, 2 when the port was taken.
launch() {  # launch DIR PORT
  local dir=$1 port=$2 bin
  bin=$(server_bin)
  rm -f "$dir/redis.pid"
  : >"$dir/redis.log"
  "$bin" --bind 127.0.0.1 --port "$port" --protected-mode yes --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" >/dev/null
  for _ in $(seq 1 $((START_SECONDS * 10))); do
    if [ -n "$(live_pid "$dir")" ] && port_in_use "$port"; then
      echo "redis://127.0.0.1:$port" >"$dir/url"
      echo "$port" >"$dir/port"
      cat "$dir/url"
      return 0
    fi
    if grep -q "Address already in use\|Failed listening on port" "$dir/redis.log"; then return 2; fi
    sleep 0.1
  done
  die "redis-server did not start on port $port (see $dir/redis.log)"
}

stop() {  # stop DIR SIGNAL
  local dir=$1 sig=$2 pid
  pid=$(live_pid "$dir")
  [ -n "$pid" ] || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((STOP_SECONDS * 10))); do
    [ -n "$(live_pid "$dir")" ] || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: redis-test.sh start|stop|kill9|restart DIR"
case "$cmd" in
  start)
    mkdir -p "$dir"
    stop "$dir" TERM
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      rc=0; launch "$dir" "$(pick_port)" || rc=$?
      [ "$rc" -eq 2 ] || exit "$rc"
      echo "redis-test: the port was taken, trying another" >&2
    done
    die "could not find a free port in 10 tries"
    ;;
  stop) stop "$dir" TERM ;;
  kill9) stop "$dir" KILL ;;
  restart)
    [ -s "$dir/port" ] || die "no port recorded in $dir (start it first)"
    stop "$dir" TERM
    launch "$dir" "$(cat "$dir/port")" || die "port $(cat "$dir/port") is taken; cannot restart on it"
    ;;
  *) die "unknown command $cmd" ;;
esac

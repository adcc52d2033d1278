#!/usr/bin/env bash
# The floor peer of `make bench` (floor.cpp, built as $BUILD_DIR/sorak-floor), on 127.0.0.1:PORT only.
#
#   bench/peers/floor.sh start PORT [--paced]   start it, wait until the port accepts;
#                                               prints "sorak-floor PID 127.0.0.1:PORT"
#   bench/peers/floor.sh pid PORT     print the PID of the instance on PORT
#   bench/peers/floor.sh stop PORT    stop it by PID (TERM, then KILL after 5 s)
#
# It is the least a broadcast server can do (no store, no checks): its figures are what this
# machine and the load generator cost, the bound under any server's. The state dir is
# $BENCH_TMP (default /tmp)/sorak-bench-floor-PORT.
set -euo pipefail

usage() { echo "usage: $0 start|pid|stop PORT [--paced]" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 port=$2
shift 2
[ $# -eq 0 ] || { [ "$cmd" = start ] && [ "$*" = --paced ]; } || usage
[[ $port =~ ^[0-9]+$ ]] || usage
bin=${BUILD_DIR:-build}/sorak-floor
dir="${BENCH_TMP:-/tmp}/sorak-bench-floor-$port"
pidfile="$dir/pid"
comm=sorak-floor
# shellcheck source=pidfile.sh
. "$(dirname "$0")/pidfile.sh"

start() {
  [ -x "$bin" ] || { echo "$bin is missing: run \`make bench\` (it builds first)" >&2; exit 1; }
  launch_peer sorak-floor "$bin" "$port" "$@"
}

case "$cmd" in
  start) start "$@" ;;
  pid) live_pid || { echo "no sorak-floor on port $port" >&2; exit 1; } ;;
  stop) stop ;;
  *) usage ;;
esac

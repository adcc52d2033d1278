#!/usr/bin/env bash
# The Node `ws` broadcast peer of `make bench` (ws-broadcast.mjs), on 127.0.0.1:PORT only.
#
#   bench/peers/ws-broadcast.sh start PORT   start it, wait until the port accepts;
#                                            prints "ws-broadcast PID 127.0.0.1:PORT"
#   bench/peers/ws-broadcast.sh pid PORT     print the PID of the instance on PORT
#   bench/peers/ws-broadcast.sh stop PORT    stop it by PID (TERM, then KILL after 5 s)
#
# It runs on bench/node_modules/ws, which scripts/install-bench-deps.sh installs. The state dir is $BENCH_TMP (default /tmp)/sorak-bench-ws-PORT.
set -euo pipefail

usage() { echo "usage: $0 start|pid|stop PORT" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 port=$2
[[ $port =~ ^[0-9]+$ ]] || usage
here=$(cd "$(dirname "$0")" && pwd)
dir="${BENCH_TMP:-/tmp}/sorak-bench-ws-$port"
pidfile="$dir/pid"
comm=node
# shellcheck source=pidfile.sh
. "$(dirname "$0")/pidfile.sh"

start() {
  [ -d "$here/../node_modules/ws" ] || { echo "the ws package is missing: run scripts/install-bench-deps.sh" >&2; exit 1; }
  launch_peer ws-broadcast node "$here/ws-broadcast.mjs" "$port"
}

case "$cmd" in
  start) start ;;
  pid) live_pid || { echo "no ws-broadcast on port $port" >&2; exit 1; } ;;
  stop) stop ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# pg-test.sh: a throwaway PostgreSQL server for the tests (ctest fixture `postgres`,
# tests/integration/lib/server.mjs, fault tests).
#
#   pg-test.sh start DIR    a fresh cluster in DIR/data on a free 127.0.0.1 port; writes
#                           postgres://postgres@127.0.0.1:PORT/postgres to DIR/url and prints it
#   pg-test.sh stop DIR     stops it by the PID in DIR/data/postmaster.pid (fast shutdown,
#                           SIGKILL after STOP_SECONDS); nothing running is fine. The data
#                           stays in DIR (start wipes it), except a cluster living in /tmp
#   pg-test.sh halt DIR     stops it like stop but keeps its data, for `restart` (fault tests)
#   pg-test.sh kill9 DIR    SIGKILLs the postmaster and its children (a crash); data stays
#   pg-test.sh restart DIR  stops it if running and starts it again on the same data and port
#
# Only 127.0.0.1 listens, with trust auth for loopback and the unix socket (in DIR) alone.
# fsync and synchronous_commit stay on: the durability tests count on a commit being on disk.
# PostgreSQL refuses to run as root, so as root initdb/pg_ctl run as the `postgres` user
# (runuser) and DIR is chowned to it; when a parent of DIR is closed to that user (a checkout
# under /root), the cluster lives in a /tmp/sorak-pg.* directory named in DIR/home instead, and
# DIR keeps the url and port. PG_BIN overrides where the server binaries are.
set -euo pipefail

STOP_SECONDS=${STOP_SECONDS:-20}
START_SECONDS=${START_SECONDS:-60}

die() { echo "pg-test: $*" >&2; exit 1; }
# running, port_in_use, pick_port
. "$(dirname "${BASH_SOURCE[0]}")/test-server-lib.sh"

# The newest /usr/lib/postgresql/N/bin (Debian), else initdb on the PATH.
find_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  dir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  [ -x "$dir/initdb" ] || die "no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)"
  echo "$dir"
}

# Runs a server binary as the user PostgreSQL accepts.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The postmaster's PID if it is alive, else nothing.
live_pid() {
  local pidfile=$1/data/postmaster.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if running "$pid"; then echo "$pid"; fi
}

# Waits up to $2 seconds for every PID in $1 to be gone; 0 if they are.
wait_gone() {
  local pids=$1 deadline=$((SECONDS + $2)) p alive
  while :; do
    alive=""
    for p in $pids; do running "$p" && alive="$alive $p"; done
    [ -z "$alive" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# Where the cluster of DIR lives: DIR itself, or the directory named in DIR/home.
home_of() {
  if [ -s "$1/home" ]; then head -n 1 "$1/home"; else echo "$1"; fi
}

# Makes DIR and picks a fresh home for its cluster (see the file comment); prints it.
choose_home() {
  local dir=$1 old
  old=$(home_of "$dir")
  if [[ "$old" == /tmp/sorak-pg.* ]]; then rm -rf "$old"; fi
  rm -f "$dir/home"
  mkdir -p "$dir"
  if [ "$(id -u)" -ne 0 ]; then echo "$dir"; return; fi
  id postgres >/dev/null 2>&1 || die "running as root needs the postgres user (apt-get install postgresql)"
  chown postgres: "$dir"
  if as_pg test -w "$dir"; then echo "$dir"; return; fi
  old=$(mktemp -d /tmp/sorak-pg.XXXXXX)
  chown postgres: "$old"
  echo "$old" >"$dir/home"
  echo "pg-test: user postgres cannot reach $dir; the cluster lives in $old" >&2
  echo "$old"
}

init_cluster() {
  local dir=$1 bin=$2
  rm -rf "$dir/data"
  # --no-sync: the empty cluster need not survive a power cut; the server itself runs with fsync on.
  as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  cat >"$dir/data/pg_hba.conf" <<'EOF'
# pg-test.sh: trust on the unix socket (inside the test dir) and 127.0.0.1 only.
local all all              trust
host  all all 127.0.0.1/32 trust
EOF
  cat >>"$dir/data/postgresql.conf" <<EOF

# ---- pg-test.sh ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 32MB
max_connections = 200
logging_collector = off
log_min_messages = warning
EOF
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/data/pg_hba.conf" "$dir/data/postgresql.conf"
  return 0
}

# Starts the cluster in home $2 on port $3, writing DIR $1's port and url; 0 when it answers,
# 2 when the port was taken.
launch() {
  local out=$1 dir=$2 port=$3 bin=$4
  # The PID and socket lock files of a killed postmaster: its process may linger as a zombie
  # until init reaps it, and the server would take that for a live postmaster and refuse to start.
  if [ -z "$(live_pid "$dir")" ]; then rm -f "$dir/data/postmaster.pid" "$dir"/.s.PGSQL.*; fi
  : >"$dir/postgres.log"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/postgres.log"
  if ! as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -o "-p $port" -w -t "$START_SECONDS" start \
      >"$dir/pg_ctl.log" 2>&1; then
    if grep -q "could not bind\|Address already in use\|could not create any TCP/IP sockets" "$dir/postgres.log"; then
      return 2
    fi
    cat "$dir/pg_ctl.log" "$dir/postgres.log" >&2
    die "the server in $dir did not start"
  fi
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t "$START_SECONDS" || die "the server on port $port is not ready"
  echo "$port" >"$out/port"
  echo "postgres://postgres@127.0.0.1:$port/postgres" >"$out/url"
}

cmd_start() {
  local dir=$1 bin port rc home
  bin=$(find_bin)
  cmd_stop "$dir"
  home=$(choose_home "$dir")
  init_cluster "$home" "$bin"
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$(pick_port)
    rc=0; launch "$dir" "$home" "$port" "$bin" || rc=$?
    if [ "$rc" -eq 0 ]; then cat "$dir/url"; return 0; fi
    echo "pg-test: port $port was taken, trying another" >&2
  done
  die "could not find a free port in 10 tries"
}

# Stops the server of DIR; its data stays.
stop_server() {
  local dir=$1 pid bin home
  home=$(home_of "$dir")
  pid=$(live_pid "$home")
  [ -n "$pid" ] || return 0
  bin=$(find_bin)
  as_pg "$bin/pg_ctl" -D "$home/data" -m fast -t "$STOP_SECONDS" stop >/dev/null 2>&1 || true
  if ! wait_gone "$pid" 5; then
    echo "pg-test: postmaster $pid did not stop within $STOP_SECONDS s; SIGKILL" >&2
    cmd_kill9 "$dir"
  fi
}

# Stops the server for good: a cluster living in /tmp (choose_home) goes too.
cmd_stop() {
  local home
  stop_server "$1"
  home=$(home_of "$1")
  if [[ "$home" == /tmp/sorak-pg.* ]]; then rm -rf "$home" "$1/home"; fi
}

cmd_kill9() {
  local dir=$1 pid children
  pid=$(live_pid "$(home_of "$dir")")
  [ -n "$pid" ] || return 0
  # The backends and auxiliary processes too, as a crash of the machine would: a backend left
  # behind holds the shared memory and a restart would refuse to start.
  children=$(pgrep -P "$pid" || true)
  kill -9 "$pid" $children 2>/dev/null || true
  wait_gone "$pid $children" 10 || die "processes $pid $children survived SIGKILL"
}

cmd_restart() {
  local dir=$1 bin port home
  home=$(home_of "$dir")
  [ -f "$dir/port" ] && [ -d "$home/data" ] || die "$dir holds no cluster (run start first)"
  bin=$(find_bin)
  port=$(cat "$dir/port")
  stop_server "$dir"
  launch "$dir" "$home" "$port" "$bin" || die "port $port is taken; cannot restart on it"
  cat "$dir/url"
}

[ $# -eq 2 ] || die "usage: pg-test.sh start|stop|kill9|restart DIR"
dir=$(realpath -m "$2")
case "$1" in
  start) cmd_start "$dir" ;;
  stop) cmd_stop "$dir" ;;
  kill9) cmd_kill9 "$dir" ;;
  restart) cmd_restart "$dir" ;;
  halt) stop_server "$dir" ;;
  *) die "unknown command $1 (start|stop|halt|kill9|restart)" ;;
esac

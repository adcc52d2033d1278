#!/usr/bin/env bash
# InspIRCd 3 (Debian's `inspircd`) as the IRC peer of `make bench`, on 127.0.0.1:PORT only.
#
#   bench/peers/inspircd.sh start PORT   generate a config in a fresh state dir, start, wait until
#                                        the port accepts; prints "inspircd PID 127.0.0.1:PORT"
#   bench/peers/inspircd.sh pid PORT     print the PID of the instance on PORT
#   bench/peers/inspircd.sh stop PORT    stop it by PID (TERM, then KILL after 5 s)
#
# The config is tuned for a fan-out benchmark, not for a public network:
# - every new channel gets +ntu and nobody is op, so the auditorium module (+u) keeps JOINs and
#   NAMES from flooding 5 k members with join lines (a member sees only itself);
# - flood control lifted: a huge commandrate and threshold, no fakelag, 8 MiB send and receive
#   queues (a viewer past 8 MiB is dropped, as a slow consumer should be);
# - 20 000 connections from one IP (localmax, globalmax, limit, softlimit), no DNS or ident
#   lookups, a deep accept queue; no TLS, no services, no links; a one-line MOTD, so registration
#   ends with 376 as most clients expect.
# InspIRCd refuses to run as root, so as root it runs as the `irc` user (setpriv execs, so the PID
# we record is InspIRCd's own). The state dir is $BENCH_TMP (default /tmp)/sorak-bench-inspircd-PORT.
set -euo pipefail

usage() { echo "usage: $0 start|pid|stop PORT" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 port=$2
[[ $port =~ ^[0-9]+$ ]] || usage
dir="${BENCH_TMP:-/tmp}/sorak-bench-inspircd-$port"
pidfile="$dir/pid"
comm=inspircd
# shellcheck source=pidfile.sh
. "$(dirname "$0")/pidfile.sh"

# Prints the PID recorded for this port if that process is still InspIRCd; fails otherwise.
write_config() {
  cat >"$dir/inspircd.conf" <<CONF
<path configdir="$dir" datadir="$dir" logdir="$dir" runtimedir="$dir" moduledir="/usr/lib/inspircd/modules">
<server name="bench.sorak.invalid" description="sorak bench peer" network="SorakBench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="$port" type="clients">
<connect name="bench" allow="*" timeout="60" pingfreq="15m"
         hardsendq="8M" softsendq="8M" recvq="8M"
         threshold="1000000" commandrate="100000000" fakelag="no"
         localmax="20000" globalmax="20000" maxconnwarn="no" limit="20000"
         maxchans="100" resolvehostnames="no" useident="no">
<performance netbuffersize="65536" somaxconn="4096" softlimit="19990"
             clonesonconnect="no" timeskipwarn="0" quietbursts="yes">
<options defaultmodes="ntu" maxtargets="20" syntaxhints="no" fixedquit="" fixedpart="">
<security runasuser="" runasgroup="" hideserver="" allowcoreunload="no">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="10" maxhost="64"
        maxquit="255" maxtopic="307" maxkick="255" maxreal="128" maxaway="200">
<channels users="100" opers="100">
<files motd="$dir/motd.txt">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="sparse" target="$dir/ircd.log">
<module name="auditorium">
<auditorium opvisible="no" opcansee="no" opercansee="no">
CONF
}

start() {
  if pid=$(live_pid); then echo "inspircd already running: $pid 127.0.0.1:$port"; return 0; fi
  command -v inspircd >/dev/null || { echo "inspircd is not installed: run scripts/install-bench-deps.sh" >&2; exit 1; }
  if nc -z 127.0.0.1 "$port" 2>/dev/null; then echo "127.0.0.1:$port is already in use" >&2; exit 1; fi
  rm -rf "$dir"; mkdir -p "$dir"
  write_config
  echo "Sorak bench peer: loopback only." >"$dir/motd.txt"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown -R irc:irc "$dir"
    as=(setpriv --reuid=irc --regid=irc --clear-groups --)
  fi
  "${as[@]}" inspircd --nofork --nopid --config="$dir/inspircd.conf" \
    </dev/null >"$dir/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  local pid; pid=$(cat "$pidfile")
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "inspircd exited during start-up:" >&2; tail -20 "$dir/stdout.log" "$dir/ircd.log" >&2 2>/dev/null || true
      exit 1
    fi
    if nc -z 127.0.0.1 "$port" 2>/dev/null; then echo "inspircd $pid 127.0.0.1:$port"; return 0; fi
    sleep 0.1
  done
  echo "inspircd did not listen on 127.0.0.1:$port within 10 s" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}

case "$cmd" in
  start) start ;;
  pid) live_pid || { echo "no inspircd on port $port" >&2; exit 1; } ;;
  stop) stop ;;
  *) usage ;;
esac

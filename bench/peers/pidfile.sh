# pidfile.sh: sourced by the peer scripts. Needs $pidfile and $comm (the
# process name the pid must still have, so a recycled pid is never signalled),
# and for launch_peer $dir (its state dir) and $port.

# Prints the recorded pid if that process is still ours; fails otherwise.
live_pid() {
  [ -s "$pidfile" ] || return 1
  local pid; pid=$(cat "$pidfile")
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 1
  echo "$pid"
}

# TERM, up to 5 s, then KILL; forgets the pid file.
stop() {
  local pid
  pid=$(live_pid) || { rm -f "$pidfile"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# Starts a peer on $port unless ours already runs there: refuses a port in use, runs CMD… in a
# fresh $dir with its output in $dir/stdout.log, records its pid, and waits up to 10 s for it to
# print "listening"; prints "NAME PID 127.0.0.1:PORT", or says why not and exits 1 (stopping it).
launch_peer() {  # launch_peer NAME CMD...
  local name=$1 pid; shift
  if pid=$(live_pid); then echo "$name already running: $pid 127.0.0.1:$port"; return 0; fi
  if nc -z 127.0.0.1 "$port" 2>/dev/null; then echo "127.0.0.1:$port is already in use" >&2; exit 1; fi
  rm -rf "$dir"; mkdir -p "$dir"
  "$@" </dev/null >"$dir/stdout.log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited during start-up:" >&2; cat "$dir/stdout.log" >&2; exit 1
    fi
    if grep -q listening "$dir/stdout.log" 2>/dev/null; then echo "$name $pid 127.0.0.1:$port"; return 0; fi
    sleep 0.1
  done
  echo "$name did not listen on 127.0.0.1:$port within 10 s" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}

# pidfile.sh: sourced by the peer scripts. Needs $pidfile and $comm (the
# process name the pid must still have, so a recycled pid is never signalled).

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

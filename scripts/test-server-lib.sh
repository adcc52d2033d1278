# test-server-lib.sh: what the throwaway test servers' scripts share (pg-test.sh,
# redis-test.sh source it). The caller defines die().

# True while PID $1 runs (a zombie waiting for init to reap it has stopped).
running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# True when something listens on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A loopback port nothing listens on now (a start still retries if one races us), taken below
# the kernel's ephemeral range: a port there may be the local end of some outgoing connection,
# which no listener sees but which makes the server's bind fail.
pick_port() {
  local p lo=20000 hi=32768 eph
  eph=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true)
  if [[ "$eph" =~ ^[0-9]+$ ]] && [ "$eph" -gt 11000 ]; then hi=$eph; lo=$((eph > 21000 ? 10000 : 1024)); fi
  for _ in $(seq 1 50); do
    p=$((lo + RANDOM % (hi - lo)))
    port_in_use "$p" || { echo "$p"; return; }
  done
  die "no free loopback port found"
}

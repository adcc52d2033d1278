#!/usr/bin/env bash
# Installs what `make bench` and `make profile` need beyond the build: the IRC peer (InspIRCd),
# the profilers (perf, valgrind), nc for the peers' smoke checks, ss (iproute2) and curl for the
# run's own checks, and the Node `ws` package the WebSocket peer runs on.
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
# It never leaves a system-wide service running: Debian's inspircd package starts one on install,
# so that service is stopped and disabled here; the benchmark runs its own InspIRCd by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(inspircd linux-perf valgrind netcat-openbsd jq nodejs procps iproute2 curl)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from another source than Debian; a working `node` is what counts.
if command -v node >/dev/null 2>&1; then
  filtered=(); for p in "${missing[@]}"; do [ "$p" = nodejs ] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-bench-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # policy-rc.d exit 101 tells invoke-rc.d not to start services while these packages install.
  # It is removed on any exit, so no later install on this machine is left unable to start services.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    trap '$SUDO rm -f "$policy"' EXIT
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm
fi

# Belt and braces: whatever started a system inspircd (systemd, sysvinit), stop it and keep it off.
# `systemctl disable` edits the unit links even where systemd is not running (a container).
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet inspircd 2>/dev/null; then
  $SUDO systemctl disable inspircd >/dev/null 2>&1 || true
fi
if [ -d /run/systemd/system ] && systemctl is-active --quiet inspircd 2>/dev/null; then
  $SUDO systemctl stop inspircd >/dev/null 2>&1 || true
fi
# A system instance writes its PID here; stop it by that PID if it is still alive.
for pidfile in /run/inspircd/inspircd.pid /var/run/inspircd/inspircd.pid /run/inspircd.pid; do
  if [ -s "$pidfile" ]; then
    pid=$(cat "$pidfile"); kill -0 "$pid" 2>/dev/null && $SUDO kill "$pid" 2>/dev/null || true
  fi
done

# The WebSocket peer's own node_modules (only `ws`), pinned by bench/package-lock.json.
if [ ! -d bench/node_modules/ws ] || [ bench/package-lock.json -nt bench/node_modules ]; then
  (cd bench && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error;
               else npm install --no-audit --no-fund --loglevel=error; fi)
fi

#!/usr/bin/env bash
# Installs every Debian package the build, `make run` and `make test` need.
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
set -euo pipefail

build_pkgs=(g++ cmake ninja-build pkg-config make
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libjwt-dev libcli11-dev libspdlog-dev libsqlite3-dev libssl-dev liburing-dev
  libpq-dev       # the PostgreSQL store (--store postgres://…)
  libhiredis-dev  # the Redis broker (--broker redis://…)
  zlib1g-dev      # permessage-deflate (WebSocket compression, src/protocol/ws_deflate.cpp)
  libicu-dev)     # blocked terms: case- and width-insensitive matching (ICU's NFKC_Casefold)
test_pkgs=(libgtest-dev libgmock-dev nodejs
  python3-requests golang-go  # seed 000's Python and Go examples (tests/integration/seed000.test.mjs)
  chromium fonts-noto-color-emoji)  # tests/browser: real Chromium, driven by playwright-core
test_pkgs+=(openssl curl)
test_pkgs+=(ffmpeg)  # tests/browser: a short HLS stream made on the spot, played beside the chat  # tests/integration/tls.test.mjs: a self-signed cert, curl -k https://
test_pkgs+=(prometheus           # promtool checks /metrics (tests/integration/metrics.test.mjs)
  clang libclang-rt-14-dev)      # libFuzzer targets in fuzz/ (make fuzz; make test runs them briefly)
# PostgreSQL server and psql: scripts/pg-test.sh starts a throwaway one for the postgres store
# tests (ctest fixture `postgres`, the integration-pg.* duplicates).
test_pkgs+=(postgresql)
# Redis server: scripts/redis-test.sh starts a throwaway one for the Redis broker's tests.
test_pkgs+=(redis-server)
# nginx in front of two nodes (tests/integration/behind_nginx.test.mjs, the config of
# docs/deployment.md); the tests start it themselves on a free loopback port.
test_pkgs+=(nginx)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from another source than Debian; a working `node` is what counts.
if command -v node >/dev/null 2>&1; then
  filtered=(); for p in "${missing[@]}"; do [ "$p" = nodejs ] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  # Debian's postgresql package creates and starts a cluster on port 5432 unless told not to;
  # the tests start their own (scripts/pg-test.sh), so only postgresql-common's setting is changed.
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-common
    $SUDO sed -ri 's/^#? *create_main_cluster *=.*$/create_main_cluster = false/' \
      /etc/postgresql-common/createcluster.conf
  fi
  # Packages with a daemon (redis-server, nginx) start it on install unless policy-rc.d says
  # no; the tests start their own on free loopback ports, so none may be left on 6379 or :80.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" || {
    rc=$?; [ -z "$own_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d; exit $rc; }
  [ -z "$own_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
fi
# npm: web/package.json (hls.js, served to the chat page) for both; tests/package.json for --test.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm
fi

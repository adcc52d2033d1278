#!/usr/bin/env bash
# with-pg-url.sh CMD ARGS…: runs CMD with SORAK_TEST_POSTGRES_URL set to the URL in the file
# SORAK_TEST_POSTGRES_URL_FILE (written by `scripts/pg-test.sh start`, the ctest fixture
# `postgres`), unless the URL is set already or there is no such file (gtest discovery at
# build time). The store unit tests run through it (CMakeLists.txt, sorak_unit_tests POSTGRES).
set -euo pipefail
if [ -z "${SORAK_TEST_POSTGRES_URL:-}" ] && [ -n "${SORAK_TEST_POSTGRES_URL_FILE:-}" ] \
    && [ -s "$SORAK_TEST_POSTGRES_URL_FILE" ]; then
  SORAK_TEST_POSTGRES_URL=$(head -n 1 "$SORAK_TEST_POSTGRES_URL_FILE")
  export SORAK_TEST_POSTGRES_URL
fi
exec "$@"

#!/usr/bin/env bash
# npm run bench: starts a throwaway PostgreSQL (unless EXDEF_BENCH_DATABASE_URL names one), runs
# the benchmarks and prints their tables. Pass suite names to run only those: npm run bench -- seed
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${EXDEF_BENCH_DATABASE_URL:-}" ]; then
  source .ci/postgres.sh
  trap pg_throwaway_stop EXIT INT TERM
  pg_throwaway_start
  export EXDEF_BENCH_DATABASE_URL="$EXDEF_TEST_DATABASE_URL"
fi
node bench/run.js "$@"

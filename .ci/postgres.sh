#!/usr/bin/env bash
# A throwaway PostgreSQL cluster under a temporary directory, for tests and benchmarks.
#   source .ci/postgres.sh; pg_throwaway_start; ...; pg_throwaway_stop
# Sets EXDEF_TEST_DATABASE_URL. PostgreSQL refuses to run as root, so as root the server runs as
# the `postgres` user (through runuser) on a directory that user owns.

pg_bin_dir() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] && command -v pg_ctl >/dev/null 2>&1; then dir=$(dirname "$(command -v pg_ctl)"); fi
  echo "$dir"
}

as_pg_user() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_throwaway_start() {
  PG_BIN_DIR=$(pg_bin_dir)
  if [ -z "$PG_BIN_DIR" ] || [ ! -x "$PG_BIN_DIR/initdb" ]; then
    echo "PostgreSQL server binaries (initdb, pg_ctl) not found; set PG_BIN" >&2
    return 1
  fi
  PG_WORK=$(mktemp -d /tmp/exdef-pg.XXXXXX)
  chmod 700 "$PG_WORK"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$PG_WORK"; fi
  PG_PASSWORD="exdef-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '%s\n' "$PG_PASSWORD" > "$PG_WORK/pwfile"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$PG_WORK/pwfile"; fi
  chmod 600 "$PG_WORK/pwfile"
  as_pg_user "$PG_BIN_DIR/initdb" -D "$PG_WORK/data" -U postgres --pwfile="$PG_WORK/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_WORK/initdb.log" 2>&1 \
    || { cat "$PG_WORK/initdb.log" >&2; return 1; }
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  # The suite's clock (test/support/world-offset.mjs): when it is moved back, the server's is
  # moved by the same whole days (libfaketime), so that both engines judge the same date.
  local clock=()
  local offset_days=$(( ${EXDEF_TEST_WORLD_OFFSET_MS:-0} / 86400000 ))
  if [ "$offset_days" != "0" ]; then
    local faketime_lib
    faketime_lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
    if [ -z "$faketime_lib" ]; then
      echo "EXDEF_TEST_WORLD_OFFSET_MS moves the suite's clock ${offset_days} days: PostgreSQL must follow it (apt-get install libfaketime)" >&2
      return 1
    fi
    clock=(env "LD_PRELOAD=$faketime_lib" "FAKETIME=${offset_days}d" FAKETIME_DONT_FAKE_MONOTONIC=1)
  fi
  as_pg_user "${clock[@]}" "$PG_BIN_DIR/pg_ctl" -D "$PG_WORK/data" -l "$PG_WORK/server.log" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_WORK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c max_prepared_transactions=20 -c shared_buffers=256MB -c max_wal_size=4GB -c maintenance_work_mem=256MB" \
    >/dev/null || { cat "$PG_WORK/server.log" >&2; return 1; }
  export EXDEF_TEST_DATABASE_URL="postgres://postgres:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/postgres"
  export PG_WORK PG_BIN_DIR PG_PORT
  echo "PostgreSQL $("$PG_BIN_DIR/postgres" --version | awk '{print $3}') running on 127.0.0.1:$PG_PORT (data in $PG_WORK)"
}

pg_throwaway_stop() {
  if [ -n "${PG_WORK:-}" ] && [ -d "$PG_WORK/data" ]; then
    as_pg_user "$PG_BIN_DIR/pg_ctl" -D "$PG_WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_WORK"
  fi
}

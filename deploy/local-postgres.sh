#!/usr/bin/env bash
# A local PostgreSQL cluster for running the API, kept in .data/postgres (git-ignored), on 127.0.0.1.
#   deploy/local-postgres.sh start              start it (or reuse it), creating it on first use
#   deploy/local-postgres.sh stop               stop it
#   deploy/local-postgres.sh status             is it running?
#   deploy/local-postgres.sh connection-string  print the connection string for ConnectionStrings__Marten
#   deploy/local-postgres.sh ensure-binaries    install Debian's postgresql package if the server binaries are missing
# Environment: SAFEGUARDING_PG_DIR (data directory), SAFEGUARDING_PG_PORT (default 55432).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${SAFEGUARDING_PG_DIR:-$ROOT/.data/postgres}"
PORT="${SAFEGUARDING_PG_PORT:-55432}"
DB_NAME="safeguarding"
LOG_FILE="$DATA_DIR.log"

find_pg_bin() {
  local candidates=()
  if command -v pg_ctl >/dev/null 2>&1; then candidates+=("$(dirname "$(readlink -f "$(command -v pg_ctl)")")"); fi
  for d in /usr/lib/postgresql/*/bin; do candidates+=("$d"); done
  for d in "${candidates[@]}"; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  return 1
}

ensure_binaries() {
  if PG_BIN="$(find_pg_bin)"; then return 0; fi
  echo "PostgreSQL server binaries not found: installing Debian's 'postgresql' package (one time)..." >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
  PG_BIN="$(find_pg_bin)" || { echo "Installing postgresql did not provide initdb/pg_ctl/postgres." >&2; exit 1; }
  echo "Installed PostgreSQL server binaries in $PG_BIN" >&2
}

# initdb and postgres refuse to run as root: run them as the 'postgres' user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

is_running() { [ -f "$DATA_DIR/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; }

start() {
  ensure_binaries
  if [ ! -f "$DATA_DIR/PG_VERSION" ]; then
    echo "Creating a local PostgreSQL cluster in $DATA_DIR ..." >&2
    mkdir -p "$DATA_DIR"
    if [ "$(id -u)" -eq 0 ]; then id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres; chown postgres "$DATA_DIR"; fi
    chmod 700 "$DATA_DIR"
    as_pg "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  fi
  if is_running; then
    echo "Reusing the local PostgreSQL already running from $DATA_DIR on 127.0.0.1:$PORT" >&2
  else
    touch "$LOG_FILE"; if [ "$(id -u)" -eq 0 ]; then chown postgres "$LOG_FILE"; fi
    as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 30 \
      -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DATA_DIR" start >/dev/null
    echo "Started a local PostgreSQL from $DATA_DIR on 127.0.0.1:$PORT (log: $LOG_FILE)" >&2
  fi
  if ! as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$DB_NAME'" | grep -q 1; then
    as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "create database $DB_NAME" >/dev/null
  fi
  echo "Database: $(connection_string)" >&2
  echo "Stop it with: deploy/local-postgres.sh stop" >&2
}

stop() {
  PG_BIN="$(find_pg_bin)" || { echo "No PostgreSQL binaries; nothing to stop." >&2; return 0; }
  if is_running; then as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m fast -w stop >/dev/null; echo "Stopped the local PostgreSQL in $DATA_DIR" >&2
  else echo "The local PostgreSQL in $DATA_DIR is not running." >&2; fi
}

connection_string() { echo "Host=127.0.0.1;Port=$PORT;Database=$DB_NAME;Username=postgres"; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) PG_BIN="$(find_pg_bin)" && is_running && echo "running on 127.0.0.1:$PORT" || { echo "not running"; exit 1; } ;;
  connection-string) connection_string ;;
  ensure-binaries) ensure_binaries; echo "PostgreSQL server binaries: $PG_BIN" >&2 ;;
  *) echo "usage: $0 start|stop|status|connection-string|ensure-binaries" >&2; exit 2 ;;
esac

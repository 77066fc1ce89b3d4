#!/usr/bin/env bash
# Start the PostgreSQL and Redis servers the tests use, on loopback only.
# Safe to run twice: a server already answering is left alone.
set -euo pipefail

PG_PORT="${CRM_PG_PORT:-54329}"
PG_DIR="${CRM_PG_DIR:-/tmp/crm-ci-pg}"
REDIS_PORT="${CRM_REDIS_PORT:-63799}"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

if ! "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; then
    if [ ! -f "$PG_DIR/PG_VERSION" ]; then
        rm -rf "$PG_DIR"
        mkdir -p "$PG_DIR"
        chown postgres:postgres "$PG_DIR"
        # initdb refuses to run as root, hence the postgres user.
        su postgres -s /bin/sh -c "$PG_BIN/initdb -D $PG_DIR -A trust -U postgres -E UTF8 >/dev/null"
    fi
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $PG_DIR -l $PG_DIR/server.log -w start \
        -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=200'" >/dev/null
fi
"$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT"

if command -v redis-server >/dev/null 2>&1; then
    if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes >/dev/null
    fi
    redis-cli -p "$REDIS_PORT" ping
fi

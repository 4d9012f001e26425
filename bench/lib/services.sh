# Shared by the bench scripts (source it; it is not run on its own): a throwaway PostgreSQL cluster and `strata
# server` processes on 127.0.0.1 with free ports. The caller sets ROOT (the repository) and WORK (its temp directory)
# and calls stop_servers and stop_postgres from its exit trap.
# shellcheck shell=bash

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DIR=""
PG_PORT=""
SERVER_PIDS=()

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Runs a PostgreSQL binary as the postgres OS user when we are root (initdb refuses root).
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_postgres [MAX_CONNECTIONS]: initdb + start in a temp directory; sets PG_DIR and PG_PORT.
# Durability is off as in the tests: the data lives for this run only.
start_postgres() {
    local max_connections="${1:-200}" attempt
    PG_DIR="$(mktemp -d /tmp/strata-bench-pg-XXXXXX)"
    if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$PG_DIR"; fi
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
    for attempt in 1 2 3 4; do
        PG_PORT="$(free_port)"
        if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
            -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=$max_connections" \
            start >/dev/null; then
            log "PostgreSQL on 127.0.0.1:$PG_PORT"
            return
        fi
    done
    cat "$PG_DIR/server.log" >&2
    echo "PostgreSQL did not start" >&2
    exit 1
}

stop_postgres() {
    if [[ -n "$PG_DIR" && -f "$PG_DIR/data/postmaster.pid" ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ -n "$PG_DIR" ]]; then rm -rf "$PG_DIR"; fi
    PG_DIR=""
}

# psql_admin SQL: one statement against the cluster's postgres database.
psql_admin() {
    psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1" >&2
}

# start_server NAME STORE_URI [SECONDS]: starts one `strata server`, waits for /health, sets SERVER_URL
# (not printed: a $(...) subshell would lose the pid it records for stop_servers).
start_server() {
    local name="$1" store="$2" wait_s="${3:-60}" port attempt waited pid
    mkdir -p "$WORK/$name"
    for attempt in 1 2 3 4; do
        port="$(free_port)"
        Logging__LogLevel__Default=Warning dotnet "$ROOT/src/Strata.Cli/bin/Release/net10.0/strata.dll" server \
            --host 127.0.0.1 --port "$port" --backend-store-uri "$store" \
            --artifacts-destination "$WORK/$name/artifacts" >"$WORK/$name/server.log" 2>&1 &
        pid=$!
        SERVER_PIDS+=("$pid")
        for ((waited = 0; waited < wait_s * 2; waited++)); do
            if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
                SERVER_URL="http://127.0.0.1:$port"
                return
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    cat "$WORK/$name/server.log" >&2
    echo "server $name did not become healthy" >&2
    exit 1
}

stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVER_PIDS=()
}

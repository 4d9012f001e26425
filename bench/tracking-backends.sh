#!/usr/bin/env bash
# The tracking bench (bench/Strata.Bench) against SQLite, PostgreSQL, and 2 and 3 server replicas over one
# PostgreSQL database, on this machine; prints one summary table. Everything it starts (a throwaway PostgreSQL
# cluster, the servers) runs on 127.0.0.1 on free ports and is stopped and deleted on exit.
#
# usage: bench/tracking-backends.sh [extra Strata.Bench options, e.g. --quick or --connections 16]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
# Between --quick and the full size: the four configurations take 1-2 min each on 2 busy cores.
SIZES=(--connections 8 --create-runs 2000 --batch-metrics 800000 --single-calls 20000
       --search-runs 5000 --search-queries 200 --history-steps 100000 --history-reads 10)
EXTRA=("$@")

WORK="$(mktemp -d /tmp/strata-backends-XXXXXX)"
PG_DIR=""
PG_PORT=""
SERVER_PIDS=()

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Runs a PostgreSQL binary as the postgres OS user when we are root (initdb refuses root).
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${SERVER_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PIDS=()
}

cleanup() {
    stop_servers
    if [[ -n "$PG_DIR" && -f "$PG_DIR/data/postmaster.pid" ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ -n "$PG_DIR" ]]; then rm -rf "$PG_DIR"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_postgres() {
    PG_DIR="$(mktemp -d /tmp/strata-backends-pg-XXXXXX)"
    if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$PG_DIR"; fi
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
    local attempt
    for attempt in 1 2 3 4; do
        PG_PORT="$(free_port)"
        # Durability off as in the tests (the data lives for this run only); enough connections for 3 servers' pools.
        if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
            -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null; then
            log "PostgreSQL on 127.0.0.1:$PG_PORT"
            return
        fi
    done
    cat "$PG_DIR/server.log" >&2
    echo "PostgreSQL did not start" >&2
    exit 1
}

create_database() {
    local name="strata_bench_$1"
    # The name is made here from a fixed word, never from input. ICU en-US collation as the storage tests use.
    psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'" >&2
    echo "postgresql://postgres@127.0.0.1:$PG_PORT/$name"
}

# start_server NAME STORE_URI: starts one `strata server`, waits for /health, sets SERVER_URL
# (not printed: a $(...) subshell would lose the pid it records for the cleanup).
start_server() {
    local name="$1" store="$2" port attempt
    mkdir -p "$WORK/$name"
    for attempt in 1 2 3 4; do
        port="$(free_port)"
        Logging__LogLevel__Default=Warning dotnet "$ROOT/src/Strata.Cli/bin/Release/net10.0/strata.dll" server \
            --host 127.0.0.1 --port "$port" --backend-store-uri "$store" \
            --artifacts-destination "$WORK/$name/artifacts" >"$WORK/$name/server.log" 2>&1 &
        local pid=$!
        SERVER_PIDS+=("$pid")
        local waited
        for waited in $(seq 1 120); do
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

# run_config LABEL REPLICAS STORE_URI: starts the replicas (the first alone, so it applies the schema
# migrations before the others start), runs the bench over all of them, stops them.
run_config() {
    local label="$1" replicas="$2" store="$3" urls=() i
    log "== $label: starting $replicas server(s)"
    for ((i = 1; i <= replicas; i++)); do
        start_server "${label//[ ,]/-}-$i" "$store"
        urls+=("$SERVER_URL")
    done
    local joined
    joined="$(IFS=,; echo "${urls[*]}")"
    log "== $label: bench against $joined"
    local started=$SECONDS
    dotnet "$ROOT/bench/Strata.Bench/bin/Release/net10.0/Strata.Bench.dll" --url "$joined" --no-ceiling \
        "${SIZES[@]}" "${EXTRA[@]}" --tsv "$WORK/$label.tsv" >"$WORK/$label.out"
    cat "$WORK/$label.out" >&2
    log "== $label: done in $((SECONDS - started)) s"
    stop_servers
    LABELS+=("$label")
}

# Prints the summary table from the bench's TSV files (phase, rate, unit, p50 ms, p99 ms).
summary() {
    printf '\n'
    printf '| configuration | log-batch metrics/s | log-metric calls/s | log-metric p99 | create-run p50 | create-run p99 | search p50 | search p99 | history p50 |\n'
    printf '|---|---|---|---|---|---|---|---|---|\n'
    local label
    for label in "${LABELS[@]}"; do
        awk -F'\t' -v label="$label" '
            function ms(v) { return v >= 100 ? sprintf("%.0f ms", v) : sprintf("%.2f ms", v) }
            function n(v,   s, r) { s = sprintf("%.0f", v); r = ""
                while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
                return s r }
            $1 ~ /^log-batch/  { batch = n($2) }
            $1 == "log-metric" { calls = n($2); callp99 = ms($5) }
            $1 == "create-run" { cp50 = ms($4); cp99 = ms($5) }
            $1 ~ /^search-runs/ { sp50 = ms($4); sp99 = ms($5) }
            $1 ~ /^get-history/ { hp50 = ms($4) }
            END { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, batch, calls, callp99, cp50, cp99, sp50, sp99, hp50 }
        ' "$WORK/$label.tsv"
    done
}

cd "$ROOT"
log "building the CLI and the bench (Release)"
dotnet build -c Release -v q -nologo src/Strata.Cli >&2
dotnet build -c Release -v q -nologo bench/Strata.Bench >&2

LABELS=()
TOTAL_START=$SECONDS
run_config "sqlite, 1 server" 1 "sqlite:///$WORK/mlflow.db"
start_postgres
run_config "postgresql, 1 server" 1 "$(create_database one)"
run_config "postgresql, 2 servers" 2 "$(create_database two)"
run_config "postgresql, 3 servers" 3 "$(create_database three)"

log "all configurations done in $((SECONDS - TOTAL_START)) s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
summary

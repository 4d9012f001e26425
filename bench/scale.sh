#!/usr/bin/env bash
# The scale bench: seeds a store through Strata's own storage code (search runs with 5 params and 5 metrics, long
# metric histories), starts `strata server` on it, and measures over HTTP (search, get-history of 100 / 100,000 /
# 1,000,000 points, log-batch of 100 metrics a request). Each backend is measured twice: on a store holding only the
# search runs and the three read targets ("base"), and on one that also holds the bulk of history points ("full"),
# so the figures into the full store compare with the same calls into the base store within one run. The runs are
# seeded once: the full store is a copy of the base one (file copy; PostgreSQL: CREATE DATABASE ... TEMPLATE) plus
# the history points.
#
# usage: bench/scale.sh [--runs N] [--points N] [--backends "sqlite postgresql"] [--dir DIR --phase seed|measure|all]
#                       [extra `scale measure` options]
# Defaults are the reduced scale (100,000 runs, 10,000,000 points); the issue's full scale is --runs 1000000 --points 100000000.
# Seeding the full scale takes tens of minutes, so it can be split from the measurements: `--dir DIR --phase seed` seeds
# the SQLite stores into DIR and keeps them; `--dir DIR --phase measure` later measures those stores (for instance once
# the machine is idle). Without --dir everything happens in a temp directory that is removed at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
RUNS=100000
POINTS=10000000
BACKENDS="sqlite postgresql"
KEEP_DIR=""
PHASE="all"
EXTRA=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --points) POINTS="$2"; shift 2 ;;
        --backends) BACKENDS="$2"; shift 2 ;;
        --dir) KEEP_DIR="$2"; shift 2 ;;
        --phase) PHASE="$2"; shift 2 ;;
        *) EXTRA+=("$1"); shift ;;
    esac
done

case "$PHASE" in
    all) ;;
    seed|measure)
        [[ -n "$KEEP_DIR" ]] || { echo "--phase $PHASE needs --dir DIR" >&2; exit 2; }
        [[ "$BACKENDS" == "sqlite" ]] || { echo "--phase $PHASE keeps SQLite stores only: add --backends sqlite" >&2; exit 2; }
        ;;
    *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
if [[ -n "$KEEP_DIR" ]]; then
    mkdir -p "$KEEP_DIR"
    WORK="$(cd "$KEEP_DIR" && pwd)"
else
    WORK="$(mktemp -d /tmp/strata-scale-XXXXXX)"
fi
PG_DIR=""
PG_PORT=""
SERVER_PIDS=()
BENCH="$ROOT/bench/Strata.Bench/bin/Release/net10.0/Strata.Bench.dll"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

as_pg() {
    if [[ "$(id -u)" == 0 ]]; then su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; else "$@"; fi
}

stop_servers() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVER_PIDS=()
}

cleanup() {
    stop_servers
    if [[ -n "$PG_DIR" && -f "$PG_DIR/data/postmaster.pid" ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ -n "$PG_DIR" ]]; then rm -rf "$PG_DIR"; fi
    if [[ -z "$KEEP_DIR" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_postgres() {
    PG_DIR="$(mktemp -d /tmp/strata-scale-pg-XXXXXX)"
    if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$PG_DIR"; fi
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
    local attempt
    for attempt in 1 2 3 4; do
        PG_PORT="$(free_port)"
        if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
            -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null; then
            log "PostgreSQL on 127.0.0.1:$PG_PORT"
            return
        fi
    done
    cat "$PG_DIR/server.log" >&2
    exit 1
}

# create_database NAME [TEMPLATE]: an empty database, or a copy of strata_scale_TEMPLATE (nobody may be connected to it).
create_database() {
    local name="strata_scale_$1" sql
    if [[ -n "${2:-}" ]]; then
        sql="CREATE DATABASE $name TEMPLATE strata_scale_$2"
    else
        sql="CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
    fi
    psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$sql" >&2
    echo "postgresql://postgres@127.0.0.1:$PG_PORT/$name"
}

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
        for waited in $(seq 1 240); do
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

# seed LABEL STORE_URI [BASE_LABEL]: seeds the runs and the read targets, or (with BASE_LABEL, on a copy of that
# store) only the $POINTS long histories, so the million runs are written once.
seed() {
    local label="$1" store="$2" base="${3:-}" started=$SECONDS
    if [[ -z "$base" ]]; then
        log "== $label: seeding $RUNS runs and the read targets"
        dotnet "$BENCH" scale seed --store "$store" --manifest "$WORK/$label.json" --runs "$RUNS" --points 0
    else
        log "== $label: a copy of $base plus $POINTS history points"
        dotnet "$BENCH" scale seed --store "$store" --manifest "$WORK/$label.json" --extend "$WORK/$base.json" --points "$POINTS"
    fi
    log "== $label: seeded in $((SECONDS - started)) s"
}

# measure LABEL STORE_URI: serve, measure, stop.
measure() {
    local label="$1" store="$2"
    log "== $label: starting the server"
    start_server "$label" "$store"
    dotnet "$BENCH" scale measure --url "$SERVER_URL" --manifest "$WORK/$label.json" --tsv "$WORK/$label.tsv" \
        --server-pid "${SERVER_PIDS[-1]}" "${EXTRA[@]}" | tee "$WORK/$label.out" >&2
    stop_servers
    LABELS+=("$label")
}

summary() {
    printf '\n| store | search p50 | search p99 | search default order p50 | p99 | history 100 p50 | history 100k p50 | history 100k p99 | history 1M p50 | log-batch 100/req metrics/s |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|\n'
    local label
    for label in "${LABELS[@]}"; do
        awk -F'\t' -v label="$label" '
            function ms(v) { return v >= 100 ? sprintf("%.0f ms", v) : sprintf("%.2f ms", v) }
            $1 ~ /^search-runs \(/ { sp50 = ms($4); sp99 = ms($5) }
            $1 ~ /^search-runs default order/ { dp50 = ms($4); dp99 = ms($5) }
            $1 == "get-history (100 points)" { h1 = ms($4) }
            $1 == "get-history (100,000 points)" { h2 = ms($4); h2p = ms($5) }
            $1 ~ /^get-history \([0-9,]+ points\)$/ && $1 != "get-history (100 points)" && $1 != "get-history (100,000 points)" { h3 = ms($4) }
            $1 ~ /^log-batch/ { lb = sprintf("%.0f", $2) }
            END { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, sp50, sp99, dp50, dp99, h1, h2, h2p, h3, lb }
        ' "$WORK/$label.tsv"
    done
}

cd "$ROOT"
log "building the CLI and the bench (Release)"
dotnet build -c Release -v q -nologo src/Strata.Cli >&2
dotnet build -c Release -v q -nologo bench/Strata.Bench >&2

LABELS=()
for backend in $BACKENDS; do
    case "$backend" in
        sqlite)
            if [[ "$PHASE" == seed ]]; then
                # Both stores are kept: the base one is seeded to the end before the full one is copied from it.
                seed "sqlite-base" "sqlite:///$WORK/base.db"
                for f in "$WORK"/base.db*; do cp "$f" "${f/base.db/full.db}"; done
                seed "sqlite-full" "sqlite:///$WORK/full.db" "sqlite-base"
                log "seeded into $WORK; measure later with --dir $WORK --phase measure --backends sqlite"
                continue
            fi
            if [[ "$PHASE" == measure ]]; then
                measure "sqlite-base" "sqlite:///$WORK/base.db"
                measure "sqlite-full" "sqlite:///$WORK/full.db"
                continue
            fi
            seed "sqlite-base" "sqlite:///$WORK/base.db"
            for f in "$WORK"/base.db*; do cp "$f" "${f/base.db/full.db}"; done
            measure "sqlite-base" "sqlite:///$WORK/base.db"
            rm -f "$WORK"/base.db*
            seed "sqlite-full" "sqlite:///$WORK/full.db" "sqlite-base"
            measure "sqlite-full" "sqlite:///$WORK/full.db"
            rm -f "$WORK"/full.db*
            ;;
        postgresql)
            [[ -n "$PG_PORT" ]] || start_postgres
            base_uri="$(create_database base)"
            seed "postgresql-base" "$base_uri"
            full_uri="$(create_database full base)"
            measure "postgresql-base" "$base_uri"
            seed "postgresql-full" "$full_uri" "postgresql-base"
            measure "postgresql-full" "$full_uri"
            ;;
        *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
done
log "done; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ ${#LABELS[@]} -gt 0 ]]; then summary; fi

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
# shellcheck source=lib/services.sh
source "$ROOT/bench/lib/services.sh"
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
BENCH="$ROOT/bench/Strata.Bench/bin/Release/net10.0/Strata.Bench.dll"

cleanup() {
    stop_servers
    stop_postgres
    if [[ -z "$KEEP_DIR" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# create_database NAME [TEMPLATE]: an empty database, or a copy of strata_scale_TEMPLATE (nobody may be connected to it).
create_database() {
    local name="strata_scale_$1" sql
    if [[ -n "${2:-}" ]]; then
        sql="CREATE DATABASE $name TEMPLATE strata_scale_$2"
    else
        sql="CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
    fi
    psql_admin "$sql"
    echo "postgresql://postgres@127.0.0.1:$PG_PORT/$name"
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
    start_server "$label" "$store" 120
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

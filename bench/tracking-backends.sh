#!/usr/bin/env bash
# The tracking bench (bench/Strata.Bench) against SQLite, PostgreSQL, and 2 and 3 server replicas over one
# PostgreSQL database, on this machine; prints one summary table. Everything it starts (a throwaway PostgreSQL
# cluster, the servers) runs on 127.0.0.1 on free ports and is stopped and deleted on exit.
#
# usage: bench/tracking-backends.sh [extra Strata.Bench options, e.g. --quick or --connections 16]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/services.sh
source "$ROOT/bench/lib/services.sh"
# Between --quick and the full size: the four configurations take 1-2 min each on 2 busy cores.
SIZES=(--connections 8 --create-runs 2000 --batch-metrics 800000 --single-calls 20000
       --search-runs 5000 --search-queries 200 --history-steps 100000 --history-reads 10)
EXTRA=("$@")

WORK="$(mktemp -d /tmp/strata-backends-XXXXXX)"

cleanup() {
    stop_servers
    stop_postgres
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

create_database() {
    local name="strata_bench_$1"
    # The name is made here from a fixed word, never from input. ICU en-US collation as the storage tests use.
    psql_admin "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
    echo "postgresql://postgres@127.0.0.1:$PG_PORT/$name"
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
start_postgres 300
run_config "postgresql, 1 server" 1 "$(create_database one)"
run_config "postgresql, 2 servers" 2 "$(create_database two)"
run_config "postgresql, 3 servers" 3 "$(create_database three)"

log "all configurations done in $((SECONDS - TOTAL_START)) s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
summary

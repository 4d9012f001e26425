#!/usr/bin/env bash
# Manual check (not part of the test run): models logged with the real MLflow client (2.12.2 or 3.5) to a Strata
# server, served by `strata models serve` and by `mlflow models serve --env-manager local` from the same registry,
# must answer every request the same. Usage: tests/compat/pyfunc_serving.sh /opt/mlflow2   (or /opt/mlflow3)
set -euo pipefail
tree=${1:?usage: pyfunc_serving.sh MLFLOW_TREE (e.g. /opt/mlflow3)}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export PYTHONPATH="$tree/src:$tree/deps"
py=/usr/bin/python3
dir=$(mktemp -d)
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
wait_up() { for _ in $(seq 1 240); do curl -sf -o /dev/null "$1" && return 0; sleep 0.5; done; echo "no answer from $1" >&2; return 1; }

# mlflow models serve execs `uvicorn` (3.x) or `gunicorn` (2.x) from PATH; Debian's packages may ship only the modules.
mkdir -p "$dir/bin"
for tool in uvicorn gunicorn; do
  command -v $tool >/dev/null 2>&1 || printf '#!/bin/sh\nexec %s -m %s "$@"\n' "$py" "$tool" > "$dir/bin/$tool"
done
chmod +x "$dir"/bin/* 2>/dev/null || true
export PATH="$dir/bin:$PATH"

strata="dotnet $repo/src/Strata.Cli/bin/Release/net10.0/strata.dll"
server_port=$(free_port)
$strata server --host 127.0.0.1 --port "$server_port" --backend-store-uri "sqlite:///$dir/mlflow.db" \
  --artifacts-destination "$dir/artifacts" > "$dir/server.log" 2>&1 &
pids+=($!)
tracking="http://127.0.0.1:$server_port"
wait_up "$tracking/health"
export MLFLOW_TRACKING_URI=$tracking

prefix=compat$(basename "$tree")
$py "$here/python_pyfunc_serving.py" log "$tracking" "$prefix"

status=0
for kind in sklearn pymodel nosig; do
  model="$prefix-$kind"
  sp=$(free_port); mp=$(free_port)
  # The worker runs under the same interpreter and PYTHONPATH, so it loads with mlflow.pyfunc.load_model.
  $strata models serve -m "models:/$model@champion" --host 127.0.0.1 --port "$sp" --tracking-uri "$tracking" \
    --python "$py" --workers 2 > "$dir/strata-$kind.log" 2>&1 &
  pids+=($!)
  $py -m mlflow models serve -m "models:/$model@champion" --env-manager local --host 127.0.0.1 --port "$mp" -w 1 \
    > "$dir/mlflow-$kind.log" 2>&1 &
  pids+=($!)
  wait_up "http://127.0.0.1:$sp/ping"
  grep -o "loaded with [a-z_]*" "$dir/strata-$kind.log" | head -1 || true
  if wait_up "http://127.0.0.1:$mp/ping"; then
    $py "$here/python_pyfunc_serving.py" compare "$model" "http://127.0.0.1:$sp" "http://127.0.0.1:$mp" || status=1
  else
    echo "mlflow models serve did not start:"; tail -20 "$dir/mlflow-$kind.log"; status=1
  fi
done
exit $status

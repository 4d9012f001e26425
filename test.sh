#!/usr/bin/env bash
# Installs what the tests need and this machine lacks, then runs the whole test suite and
# prints the totals as "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v initdb >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
# The Python worker tests serve python_function models (a custom loader, a pickled scikit-learn pipeline) with Debian's python3.
/usr/bin/python3 -c 'import numpy, pandas, sklearn' >/dev/null 2>&1 || need_apt+=(python3 python3-numpy python3-pandas python3-sklearn)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)   # the web UI's browser tests (Playwright drives Debian's chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The S3-compatible server for the artifact-store tests, kept inside the repo (ignored by git).
if [ ! -x .tools/s3rver/node_modules/.bin/s3rver ]; then
  echo "Installing s3rver (npm)"
  mkdir -p .tools/s3rver
  (cd .tools/s3rver && npm install --no-audit --no-fund --silent s3rver@3.7.1 >/dev/null)
fi
export STRATA_S3RVER="$PWD/.tools/s3rver/node_modules/.bin/s3rver"

log=$(mktemp)
dotnet test Strata.slnx -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # a build error or crashed test host counts as a failure
fi
echo "$passed passed, $failed failed"
exit "$status"

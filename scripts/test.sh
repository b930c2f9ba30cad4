#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the browser test needs, then runs the default suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
    # a kiosk must be legible in zh/ko/en: Debian's Chromium and CJK fonts for the real-browser test
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
            || echo "warning: could not install chromium/fonts-noto-cjk; the browser test will be skipped" >&2
    fi
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
"$PY" -m pytest -q "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# DuckDB's bindings may print leak notices at interpreter exit: repeat pytest's summary as the last line
summary=$(grep -E "^[0-9]+ (passed|failed)|^no tests ran" "$log" | tail -n 1)
printf '\n%s\n' "$summary"
exit "$status"

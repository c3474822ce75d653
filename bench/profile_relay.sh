#!/usr/bin/env bash
# Profile the relay with py-spy: a 100-chat closed loop against one service process while
# py-spy records it, then the top items by own and total time.
#   bench/profile_relay.sh [OUTPUT] [extra bench/relay.py arguments, e.g. --service-root /tmp/baseline,
#       or --processes 2 for two instances (the second one's profile in OUTPUT-2.txt)]
# py-spy lives in its own venv (PYSPY, default /tmp/pyspy/bin/py-spy), created when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench/reports/profile-after.txt}"
shift || true
export PYSPY="${PYSPY:-/tmp/pyspy/bin/py-spy}"
if [ ! -x "$PYSPY" ]; then
    uv="$(command -v uv || echo .tools/bin/uv)"
    UV_PYTHON_DOWNLOADS=never "$uv" venv -q "$(dirname "$(dirname "$PYSPY")")"
    "$uv" pip install -q --python "$(dirname "$PYSPY")/python" py-spy
fi
.venv/bin/python bench/relay.py --database postgresql --chats 100 --processes 1 --seconds 15 --profile "$out" \
    --report "$(basename "$out" .txt)" "$@"
.venv/bin/python bench/profile_summary.py "$out"
# With --processes 2 (instances), the second instance's profile:
second="${out%.txt}-2.txt"
if [ -f "$second" ]; then .venv/bin/python bench/profile_summary.py "$second"; fi

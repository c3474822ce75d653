#!/usr/bin/env bash
# Audit the locked Python dependencies (uv.lock, every group) for known vulnerabilities.
#
# pip-audit asks PyPI's JSON API (https://pypi.org/pypi/<name>/<version>/json, field
# "vulnerabilities") about every package. Without that service it does NOT fail: it prints
# "Dependency not found on PyPI and could not be audited" for each package and then
# "No known vulnerabilities found" with exit status 0 -- a false all-clear. So this script first
# checks that the service answers with vulnerability data for a release known to have some
# (requests 2.31.0, CVE-2024-35195); if it does not, it prints why the audit was skipped and
# exits 0. When the service answers, pip-audit runs with --strict, so a package that could not
# be audited fails the run instead of passing silently.
#
# Usage: scripts/audit.sh            (from anywhere; exits non-zero on a known vulnerability)
#        AUDIT_REQUIRED=1 scripts/audit.sh   (skipping is an error, e.g. in a CI with internet)
set -euo pipefail
cd "$(dirname "$0")/.."

UV=$(command -v uv || echo .tools/bin/uv)
PIP_AUDIT=.venv/bin/pip-audit
PROBE_URL=${PIP_AUDIT_PROBE_URL:-https://pypi.org/pypi/requests/2.31.0/json}

skip() {
    echo "pip-audit skipped: $1" >&2
    if [ "${AUDIT_REQUIRED:-0}" = "1" ]; then
        exit 1
    fi
    exit 0
}

[ -x "$PIP_AUDIT" ] || skip "$PIP_AUDIT is missing (run scripts/bootstrap.sh; pip-audit is a dev dependency)"

# Does the vulnerability service answer, with data? (200 and a non-empty "vulnerabilities" list)
probe=$("$PWD/.venv/bin/python" - "$PROBE_URL" <<'EOF' 2>&1 || true
import json, sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
        body = json.load(response)
except Exception as exc:  # noqa: BLE001 - any failure means: no service
    print(f"{sys.argv[1]} did not answer ({exc.__class__.__name__}: {exc})")
    sys.exit(0)
if not body.get("vulnerabilities"):
    print(f"{sys.argv[1]} answered without vulnerability data (a mirror, not PyPI's JSON API)")
    sys.exit(0)
print("ok")
EOF
)
[ "$probe" = "ok" ] || skip "the vulnerability service is not reachable: $probe"

requirements=$(mktemp)
trap 'rm -f "$requirements"' EXIT
"$UV" export --frozen --format requirements-txt --all-groups --no-emit-project --quiet > "$requirements"
# Every version is pinned with hashes by uv export, so pip-audit need not resolve (no pip run).
"$PIP_AUDIT" --strict --disable-pip --require-hashes --progress-spinner off -r "$requirements"

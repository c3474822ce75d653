#!/usr/bin/env bash
# Create or update both Python environments from their lock files:
#   .venv      Python 3.11+: the handover service, klantbeeld_client, the test tools
#   bot/.venv  Python 3.10:  Rasa 3.6 and its action server (Rasa supports no newer Python)
# With --browser it also makes sure Debian's Chromium is there for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never   # uv must not fetch interpreters; we find installed ones

say() { printf '[bootstrap] %s\n' "$*"; }

find_python() {  # find_python 3.10 -> path of an interpreter of exactly that minor version
  local want=$1 candidate
  local root; root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for candidate in \
      "${PYTHON_BIN_DIR:-/nonexistent}/python$want" \
      "$(command -v "python$want" 2>/dev/null || true)" \
      "$root"/versions/"$want".*/bin/python"$want" \
      /usr/bin/python"$want" /usr/local/bin/python"$want"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    if "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

PY311=$(find_python 3.11 || find_python 3.12 || find_python 3.13) || {
  say "Python 3.11 (or newer) is needed for the handover service and was not found."
  say "Install it: Debian/Ubuntu 'apt-get install python3.11 python3.11-venv', or 'pyenv install 3.11'."
  exit 1; }
PY310=$(find_python 3.10) || {
  say "Python 3.10 is needed for Rasa 3.6 and was not found (Rasa 3.6 supports no newer Python)."
  say "Install it: 'pyenv install 3.10', or Debian/Ubuntu 'apt-get install python3.10 python3.10-venv' (deadsnakes PPA on Ubuntu)."
  exit 1; }

UV=$(command -v uv || true)
if [ -z "$UV" ]; then
  if [ ! -x .tools/bin/uv ]; then
    say "installing uv (the package manager both environments use) into .tools/"
    "$PY311" -m venv .tools
    .tools/bin/pip install --quiet uv
  fi
  UV="$PWD/.tools/bin/uv"   # absolute: the bot environment is synced from bot/
fi

say "service environment (.venv, $("$PY311" --version))"
"$UV" sync --locked --quiet --python "$PY311"
say "bot environment (bot/.venv, $("$PY310" --version); first time ~30s, 2.5 GB)"
(cd bot && "$UV" sync --locked --quiet --python "$PY310")

# The OIDC tests sign in through a real OpenID Provider (npm's oidc-provider, run with Node 20+).
if command -v npm >/dev/null; then
  if [ ! -d tests/oidc/node_modules/oidc-provider ] || \
     [ tests/oidc/package-lock.json -nt tests/oidc/node_modules/.package-lock.json ]; then
    say "test OpenID Provider (npm ci --prefix tests/oidc)"
    npm ci --prefix tests/oidc --no-audit --no-fund --silent
  fi
else
  say "npm (Node 20+) is missing: the OIDC sign-in tests will fail; install nodejs and npm"
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the browser tests"
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    say "browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'"
    exit 1
  fi
fi
say "environments ready"

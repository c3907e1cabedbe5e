#!/usr/bin/env bash
# The README's two commands on a fresh machine, including Debian/Ubuntu's own Python, which
# refuses a bare `pip install` (PEP 668): everything goes into a virtual environment, .venv/.
#
#   bash scripts/quickstart.sh app    install the app's requirements and start it (demo data)
#   bash scripts/quickstart.sh test   install what the tests need and run the whole suite
#   bash scripts/quickstart.sh check  lint (ruff), formatting and types (mypy), as CI does
#
# Extra arguments go to `streamlit run app.py` or to `pytest`. PYTHON picks the interpreter
# (default python3), MINQING_VENV the folder (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${MINQING_VENV:-.venv}

if [ ! -x "$VENV/bin/python" ]; then
  # Without Debian's python3-venv package `venv` cannot bootstrap pip: make the environment
  # without it and let the system's pip install into it (`pip --python`, pip ≥ 22.3).
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    "$PY" -m venv --without-pip "$VENV"
  fi
fi

pip_install() {
  if "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@"
  else
    "$PY" -m pip --python "$VENV/bin/python" install -q --disable-pip-version-check "$@"
  fi
}

what=${1:-app}
shift || true
case "$what" in
  app)
    pip_install -r requirements.txt
    exec "$VENV/bin/python" -m streamlit run app.py "$@"
    ;;
  test)
    pip_install -r requirements-dev.txt
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  check)
    pip_install -r requirements-dev.txt
    "$VENV/bin/python" -m ruff check .
    "$VENV/bin/python" -m ruff format --check .
    exec "$VENV/bin/python" -m mypy
    ;;
  *)
    echo "用法: bash scripts/quickstart.sh app|test|check [参数…]" >&2
    exit 2
    ;;
esac

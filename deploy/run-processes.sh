#!/bin/sh
# Start N app processes on one database, ports BASE..BASE+N-1 (default 8501..), for
# deploy/nginx-minqing.conf in front of them. Usage:
#   DATABASE_URL=postgresql://user:pass@host/db MINQING_COOKIE_KEY=… deploy/run-processes.sh [N]
# Every MINQING_* variable is passed through unchanged, so all processes share one
# configuration. Stop with Ctrl-C or SIGTERM: every process is stopped with it.
set -eu

N="${1:-2}"
BASE="${MINQING_BASE_PORT:-8501}"
PYTHON="${PYTHON:-python3}"
: "${DATABASE_URL:?set DATABASE_URL (PostgreSQL for several processes)}"
export DATABASE_URL
case "$DATABASE_URL" in
  sqlite*) echo "warning: SQLite: all processes write one file; use PostgreSQL for several processes" >&2 ;;
esac
# One XSRF cookie secret for all processes: a browser moved to another process (restart,
# failover) can still upload files. Set it yourself to survive restarts of this script.
if [ -z "${STREAMLIT_SERVER_COOKIE_SECRET:-}" ]; then
  STREAMLIT_SERVER_COOKIE_SECRET="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')"
fi
export STREAMLIT_SERVER_COOKIE_SECRET

cd "$(dirname "$0")/.."
# Migrate (and in demo mode seed) once, before any process starts: the same code a process
# runs at its first page, so N processes never race on the schema.
STREAMLIT_LOGGER_LEVEL=error "$PYTHON" -c 'from ui.context import get_engine; get_engine().dispose()'

PIDS=""
stop() {
  trap - INT TERM EXIT
  [ -n "$PIDS" ] && kill $PIDS 2>/dev/null
  wait
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

i=0
while [ "$i" -lt "$N" ]; do
  port=$((BASE + i))
  "$PYTHON" -m streamlit run app.py --server.headless true --server.port "$port" \
    --server.address 127.0.0.1 --browser.gatherUsageStats false \
    --server.fileWatcherType none &
  PIDS="$PIDS $!"
  echo "minqing process $((i + 1))/$N on 127.0.0.1:$port (pid $!)"
  i=$((i + 1))
done
wait

#!/usr/bin/env bash
# `make fuzz`: schemathesis against a live server, every phase (examples, coverage,
# fuzzing, stateful), time-bounded (FUZZ_SECONDS, default 120), with the API key.
# Webhook bodies are signed by scripts/schemathesis_hooks.py so the hook is fuzzed too.
# Fails on any server error, response-schema violation or undocumented status code.
# Runs on PostgreSQL when one is reachable (a throw-away database), else on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
tmp=$(mktemp -d)
port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key="fuzz-api-key-0123456789abcdef"
secret="whsec_ZnV6ei13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"

pg_admin="${CRM_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
pg_db="crm_fuzz_$$"
database_url=$($BIN/python - "$pg_admin" "$pg_db" "$tmp" <<'PY'
import sys
from sqlalchemy import create_engine, text
admin, name, tmp = sys.argv[1:]
try:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    print(engine.url.set(database=name).render_as_string(hide_password=False))
except Exception:
    print(f"sqlite:///{tmp}/fuzz.db")
PY
)
echo "fuzz: database ${database_url%%://*}"

cleanup() {
    local status=$?
    set +e
    if [ -n "${server:-}" ]; then
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    if [[ "$database_url" == postgresql* ]]; then
        $BIN/python -c "import sys; from sqlalchemy import create_engine, text
e = create_engine(sys.argv[1], isolation_level='AUTOCOMMIT')
with e.connect() as c: c.execute(text(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)'))" "$pg_admin" "$pg_db" || true
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT

DATABASE_URL="$database_url" CRM_ENV=development CRM_API_KEYS="$key" CRM_WEBHOOK_SECRETS="$secret" \
    $BIN/smartbilling-crm serve --port "$port" > "$tmp/server.log" 2>&1 &
server=$!
$BIN/python - "$port" "$key" <<'PY'
import json, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
for _ in range(240):
    try:
        urllib.request.urlopen(f"{base}/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.5)
# The client generated invoices are pointed at (scripts/schemathesis_hooks.py).
body = json.dumps({"id": "fuzz-cliente", "nombre_empresa": "Fuzz S.L.", "email": "fuzz@fuzz.es"})
request = urllib.request.Request(f"{base}/api/clientes/", data=body.encode(), headers={
    "Authorization": f"Bearer {sys.argv[2]}", "Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=30)
PY

PYTHONPATH=scripts SCHEMATHESIS_HOOKS=schemathesis_hooks FUZZ_WEBHOOK_SECRET="$secret" \
    FUZZ_CLIENTE_ID=fuzz-cliente FUZZ_BASE_URL="http://127.0.0.1:$port" FUZZ_API_KEY="$key" \
    $BIN/st run "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer $key" \
    --phases examples,coverage,fuzzing,stateful \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
    --max-time "${FUZZ_SECONDS:-120}" \
    --workers 1 \
    --no-color
if grep -q "Traceback" "$tmp/server.log"; then
    echo "fuzz: the server logged a traceback:" >&2
    grep -A20 "Traceback" "$tmp/server.log" | head -60 >&2
    exit 1
fi

#!/usr/bin/env bash
# Generate TypeScript clients from the app's /openapi.json with openapi-typescript and
# @hey-api/openapi-ts (default options) and type-check ejemplos.ts (the README's examples)
# strictly against both. Needs Node 20+ and npm; works in a temporary folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${SDK_WORKDIR:-$(mktemp -d)}
"$root/.venv/bin/python" - "$work/openapi.json" <<'PY'
import json, sys
from smartbilling_crm.config import Settings
from smartbilling_crm.main import create_app
settings = Settings(_env_file=None, DATABASE_URL="sqlite:///:memory:", CRM_MIGRATE_ON_START="false")
json.dump(create_app(settings).openapi(), open(sys.argv[1], "w"), ensure_ascii=False)
PY
cd "$work"
[ -f package.json ] || npm init -y > /dev/null
[ -d node_modules/openapi-typescript ] || npm install --no-audit --no-fund --silent \
    openapi-typescript@7 @hey-api/openapi-ts typescript@5
cp "$here/ejemplos.ts" .
npx openapi-typescript openapi.json -o schema.d.ts
npx @hey-api/openapi-ts -i openapi.json -o heyapi > /dev/null
npx tsc --strict --noEmit --target es2022 --module nodenext --moduleResolution nodenext \
    --skipLibCheck ejemplos.ts
echo "sdk: ejemplos.ts type-checks against both generated clients"

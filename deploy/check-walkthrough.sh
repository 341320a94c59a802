#!/usr/bin/env bash
# Runs the README walk-through (deploy/walkthrough.sh) through Stoplight Prism as a validating proxy in front of the
# real API and a throwaway PostgreSQL, and fails if Prism reports any request or response the contract
# (openapi/v1.json) does not describe. Needs a Release build (deploy/run-tests.sh builds one) and npm.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PRISM_VERSION=5.14.2
API_DLL="$ROOT/src/SafeguardingCases.Api/bin/Release/net10.0/SafeguardingCases.Api.dll"
[ -f "$API_DLL" ] || dotnet build src/SafeguardingCases.Api -c Release >/dev/null
if [ ! -x .tools/node_modules/.bin/prism ]; then
  npm install --prefix .tools --no-audit --no-fund --silent "@stoplight/prism-cli@$PRISM_VERSION" >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work="$(mktemp -d)"; chmod 755 "$work"
PG_PORT="$(free_port)"; API_PORT="$(free_port)"; PRISM_PORT="$(free_port)"
export SAFEGUARDING_PG_DIR="$work/postgres" SAFEGUARDING_PG_PORT="$PG_PORT"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  deploy/local-postgres.sh stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

deploy/local-postgres.sh start 2>/dev/null
# The development signing key, for the API and for the tokens the walk-through makes.
export Auth__DevSigningKey="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Auth"]["DevSigningKey"])' src/SafeguardingCases.Api/appsettings.Development.json)"
ConnectionStrings__Marten="$(deploy/local-postgres.sh connection-string)" ASPNETCORE_ENVIRONMENT=Development \
  ASPNETCORE_URLS="http://127.0.0.1:$API_PORT" Logging__LogLevel__Default=Warning \
  dotnet "$API_DLL" >"$work/api.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$API_PORT/health/ready" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$API_PORT/health/ready" >/dev/null || { cat "$work/api.log" >&2; echo "check-walkthrough: the API did not start" >&2; exit 1; }

.tools/node_modules/.bin/prism proxy openapi/v1.json "http://127.0.0.1:$API_PORT" --host 127.0.0.1 --port "$PRISM_PORT" --errors false \
  >"$work/prism.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$PRISM_PORT/api/v1/glossary" && break; sleep 0.5; done

ASPNETCORE_ENVIRONMENT=Development API="http://127.0.0.1:$PRISM_PORT/api/v1" DEV_TOKEN="dotnet $API_DLL dev-token" \
  deploy/walkthrough.sh >"$work/walkthrough.log" 2>&1 || { cat "$work/walkthrough.log" >&2; echo "check-walkthrough: the walk-through failed" >&2; exit 1; }

requests=$(grep -c "Request received" "$work/prism.log" || true)
violations=$(grep -ciE "violation" "$work/prism.log" || true)
if [ "$violations" -ne 0 ] || [ "$requests" -lt 12 ]; then
  grep -iE -B2 -A6 "violation" "$work/prism.log" | head -60 >&2
  echo "check-walkthrough: Prism saw $requests requests and reported $violations violations" >&2
  exit 1
fi
echo "Walk-through through Prism: $requests requests, 0 violations of openapi/v1.json."

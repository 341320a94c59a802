#!/usr/bin/env bash
# Checks the committed contract with tools nobody on this project wrote:
#  1. Redocly CLI's recommended rules on openapi/v1.json (0 errors and 0 warnings expected);
#  2. the committed Kiota client is what openapi/v1.json generates now (no drift).
# Tools go in .tools/ (git-ignored), installed from the npm registry and NuGet on first use.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REDOCLY_VERSION=2.14.0

if [ ! -x .tools/node_modules/.bin/redocly ]; then
  command -v npm >/dev/null || { echo "check-contract: npm is needed for Redocly CLI (Debian: apt-get install -y nodejs npm)" >&2; exit 1; }
  npm install --prefix .tools --no-audit --no-fund --silent "@redocly/cli@$REDOCLY_VERSION" >/dev/null
fi
echo "Redocly lint (recommended rules):"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true .tools/node_modules/.bin/redocly lint openapi/v1.json --max-problems 50 2>&1 \
  | grep -vE "Deprecation warning|Node.js|Update Node|^\s*[╔╚║]|^$" || true
REDOCLY_TELEMETRY=off .tools/node_modules/.bin/redocly lint openapi/v1.json --format=summary >/dev/null 2>&1 \
  || { echo "check-contract: openapi/v1.json has Redocly errors (above)" >&2; exit 1; }
if REDOCLY_TELEMETRY=off .tools/node_modules/.bin/redocly lint openapi/v1.json 2>&1 | grep -q "warning"; then
  echo "check-contract: openapi/v1.json has Redocly warnings (above)" >&2; exit 1
fi

generated="$(mktemp -d)"
trap 'rm -rf "$generated"' EXIT
deploy/generate-client.sh "$generated/Generated" >/dev/null
committed=src/SafeguardingCases.Web/Client/Generated
# kiota-lock.json records where the description was read from, which differs by output folder: compare the rest.
lock() { grep -v '"descriptionLocation"' "$1/kiota-lock.json"; }
if ! diff -r -q -x kiota-lock.json "$generated/Generated" "$committed" >/dev/null || ! diff -q <(lock "$generated/Generated") <(lock "$committed") >/dev/null; then
  diff -r -x kiota-lock.json "$generated/Generated" "$committed" | head -20 >&2
  echo "check-contract: the committed client differs from what openapi/v1.json generates; run deploy/generate-client.sh" >&2
  exit 1
fi
echo "Contract checks passed: Redocly 0 errors, 0 warnings; the generated client matches openapi/v1.json."

#!/usr/bin/env bash
# Regenerates the typed C# client the staff console and the tests use (src/SafeguardingCases.Web/Client/Generated)
# from the committed openapi/v1.json with Kiota (a .NET tool pinned in .config/dotnet-tools.json). Offline: no update check,
# no telemetry. Usage: deploy/generate-client.sh [OUTPUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${1:-src/SafeguardingCases.Web/Client/Generated}"
export KIOTA_UPDATE_DISABLED=true KIOTA_OFFLINE_ENABLED=true KIOTA_CLI_TELEMETRY_OPTOUT=true KIOTA_TUTORIAL_ENABLED=false
dotnet tool restore >/dev/null
dotnet kiota generate -l CSharp -d openapi/v1.json -c SafeguardingClient -n SafeguardingCases.Web.Client.Generated \
  -o "$OUT" --clean-output --exclude-backward-compatible --log-level Error >/dev/null
# The generated code is not ours to lint.
printf 'root = false\n\n[*.cs]\ngenerated_code = true\ndotnet_analyzer_diagnostic.severity = none\n' > "$OUT/.editorconfig"
echo "Client generated in $OUT"

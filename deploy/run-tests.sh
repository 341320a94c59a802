#!/usr/bin/env bash
# Runs every test. Integration tests use a real PostgreSQL: SAFEGUARDING_TEST_DB if set, else Testcontainers when a
# Docker engine answers, else a throwaway local cluster (installing Debian's postgresql package first if missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -z "${SAFEGUARDING_TEST_DB:-}" ]; then
  "$ROOT/deploy/local-postgres.sh" ensure-binaries
fi
# The console's journeys run in Debian's Chromium (Playwright drives it; it never downloads a browser).
"$ROOT/deploy/ensure-chromium.sh"
# The export tests read PDFs with pdftotext and verify exports with openssl and python3, as a recipient would.
"$ROOT/deploy/ensure-export-tools.sh"
# The case-routing tests run deploy/nginx/route-by-case.conf in Debian's nginx.
"$ROOT/deploy/ensure-nginx.sh"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# Every project (the benchmarks too) builds with zero warnings; then every test project runs. With the compiler server
# (machines that set UseSharedCompilation=false in the environment start a cold compiler for each of the nine
# projects): 59-73 s against 93-100 s for a clean build here. Shut down after, so it holds no memory during the tests.
dotnet build SafeguardingCases.sln -c Release -nologo -v quiet -p:UseSharedCompilation=true
dotnet build-server shutdown > /dev/null 2>&1 || true
# One test project at a time where they load this 2-core machine: the API's fault and race tests, then the domain's.
# The console's journeys mostly wait on a browser, so the contract checks run beside them: the contract checked by
# tools nobody on this project wrote (Redocly lint, the Kiota client not drifting), and the README walk-through
# through Stoplight Prism as a validating proxy (0 violations of the contract). Every part runs whatever another
# answered; the run fails if any failed.
failed=0
dotnet test tests/SafeguardingCases.Api.Tests/SafeguardingCases.Api.Tests.csproj -c Release --no-build "$@" || failed=1
dotnet test tests/SafeguardingCases.Domain.Tests/SafeguardingCases.Domain.Tests.csproj -c Release --no-build "$@" || failed=1
contract_log="$(mktemp)"
( "$ROOT/deploy/check-contract.sh" && "$ROOT/deploy/check-walkthrough.sh" ) > "$contract_log" 2>&1 &
contract=$!
dotnet test tests/SafeguardingCases.Web.Tests/SafeguardingCases.Web.Tests.csproj -c Release --no-build "$@" || failed=1
wait "$contract" || failed=1
cat "$contract_log"
rm -f "$contract_log"
exit "$failed"

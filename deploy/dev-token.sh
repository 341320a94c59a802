#!/usr/bin/env bash
# Prints a development token for one or more roles, signed with the development key in appsettings.Development.json.
#   deploy/dev-token.sh SafeguardingOfficer
#   deploy/dev-token.sh Clinician --sub clin-1 --name "Dr Rahman"
# Roles: SafeguardingOfficer, Clinician, SafeguardingLead, Auditor.
# Runs the built API's dev-token command (well under a second); builds it once if it has not been built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DLL="$ROOT/src/SafeguardingCases.Api/bin/Release/net10.0/SafeguardingCases.Api.dll"
if [ ! -f "$DLL" ]; then
  dotnet build "$ROOT/src/SafeguardingCases.Api" -c Release -nologo -v quiet >&2
fi
ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}" exec dotnet "$DLL" dev-token "$@"

#!/usr/bin/env bash
# Prints a development token for one or more roles, signed with the development key in appsettings.Development.json.
#   deploy/dev-token.sh SafeguardingOfficer
#   deploy/dev-token.sh Clinician --sub clin-1 --name "Dr Rahman"
# Roles: SafeguardingOfficer, Clinician, SafeguardingLead, Auditor.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}" \
  exec dotnet run --project "$ROOT/src/SafeguardingCases.Api" -c Release --no-launch-profile -- dev-token "$@"

#!/usr/bin/env bash
# Runs the API on http://127.0.0.1:5080 with Swagger UI at /swagger.
# Uses ConnectionStrings__Marten when set; otherwise starts (or reuses) a local PostgreSQL in .data/postgres.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -z "${ConnectionStrings__Marten:-}" ]; then
  "$ROOT/deploy/local-postgres.sh" start
  export ConnectionStrings__Marten="$("$ROOT/deploy/local-postgres.sh" connection-string)"
else
  echo "Using ConnectionStrings__Marten from the environment." >&2
fi

export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:5080}"
echo "Starting the API on $ASPNETCORE_URLS" >&2
echo "  Staff console: $ASPNETCORE_URLS/  (sign in at $ASPNETCORE_URLS/signin with a name and a role)" >&2
echo "  Swagger UI:    $ASPNETCORE_URLS/swagger  (development tokens: see README)" >&2
exec dotnet run --project "$ROOT/src/SafeguardingCases.Api" --no-launch-profile -c Release

#!/usr/bin/env bash
# Runs every test. Integration tests use a real PostgreSQL: SAFEGUARDING_TEST_DB if set, else Testcontainers when a
# Docker engine answers, else a throwaway local cluster (installing Debian's postgresql package first if missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -z "${SAFEGUARDING_TEST_DB:-}" ]; then
  "$ROOT/deploy/local-postgres.sh" ensure-binaries
fi
dotnet test SafeguardingCases.sln -c Release "$@"

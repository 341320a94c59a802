#!/usr/bin/env bash
# Run once by the postgres image on a new data directory: the API's login role, with no rights of its own.
# db-apply --grant safeguarding_app then gives it DML rights on the schema it applied (never DDL).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE safeguarding_app LOGIN PASSWORD :'app_password';
SQL

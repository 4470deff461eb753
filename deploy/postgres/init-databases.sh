#!/usr/bin/env bash
# Create the assistant's PostgreSQL roles and databases, each role able to reach
# only its own database:
#   rasa       conversations (the Rasa servers' tracker store)    TRACKER_DB_PASSWORD
#   assistant  handoff desk and operator console                   ASSISTANT_DB_PASSWORD
#   portal     the reference portal                                PORTAL_DB_PASSWORD
#
# The bundled postgres container runs it once, on its first start (mounted into
# /docker-entrypoint-initdb.d/ by docker-compose.yml). For an existing PostgreSQL,
# run it once as an administrator with psql's usual variables, e.g.
#   PGHOST=db.internal PGUSER=admin PGDATABASE=postgres \
#   TRACKER_DB_PASSWORD=... ASSISTANT_DB_PASSWORD=... PORTAL_DB_PASSWORD=... \
#   bash deploy/postgres/init-databases.sh
# Running it again changes nothing but the passwords.
set -euo pipefail

: "${TRACKER_DB_PASSWORD:?TRACKER_DB_PASSWORD must be set}"
: "${ASSISTANT_DB_PASSWORD:?ASSISTANT_DB_PASSWORD must be set}"
: "${PORTAL_DB_PASSWORD:?PORTAL_DB_PASSWORD must be set}"

# Inside the postgres image POSTGRES_USER is the administrator; elsewhere PGUSER is.
admin=("--username" "${POSTGRES_USER:-${PGUSER:-postgres}}" "--dbname" "${PGDATABASE:-postgres}")

# The passwords go in as psql variables (:'name' quotes them), never into the SQL text.
# CREATE DATABASE cannot run inside a DO block, hence \gexec for the missing ones.
psql -v ON_ERROR_STOP=1 --no-psqlrc "${admin[@]}" \
  -v tracker_password="$TRACKER_DB_PASSWORD" \
  -v assistant_password="$ASSISTANT_DB_PASSWORD" \
  -v portal_password="$PORTAL_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', name)
  FROM (VALUES ('rasa'), ('assistant'), ('portal')) AS wanted(name)
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted.name)
\gexec
ALTER ROLE rasa WITH LOGIN PASSWORD :'tracker_password';
ALTER ROLE assistant WITH LOGIN PASSWORD :'assistant_password';
ALTER ROLE portal WITH LOGIN PASSWORD :'portal_password';

SELECT format('CREATE DATABASE %I OWNER %I', name, name)
  FROM (VALUES ('rasa'), ('assistant'), ('portal')) AS wanted(name)
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = wanted.name)
\gexec

-- Each role connects to its own database only.
REVOKE ALL ON DATABASE rasa, assistant, portal FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE rasa TO rasa;
GRANT CONNECT, TEMPORARY ON DATABASE assistant TO assistant;
GRANT CONNECT, TEMPORARY ON DATABASE portal TO portal;
SQL
echo "PostgreSQL: roles and databases rasa, assistant and portal are ready."

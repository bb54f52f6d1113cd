#!/usr/bin/env bash
# One command for a working shop on this machine:
#   installs what is missing, starts the local stack (persistent MongoDB data in .stack/),
#   builds the app, seeds the demo catalog (first run only), and runs the API on port 3000 plus
#   the queue worker as a second process; the API creates the admin user at start-up.
#   Ctrl-C stops both; the servers keep running (npm run stack:down stops them).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"
ensure_node_modules
if [[ -n ${MONGODB_URI:-} ]]; then
  scripts/stack/up.sh redis minio stripe-mock maildev paypal-mock # MongoDB is yours
else
  scripts/stack/up.sh
fi
# shellcheck source-path=SCRIPTDIR
. scripts/local-env.sh

npx nest build api
node dist/src/seed/seed.js demo

node dist/src/worker.js &
worker_pid=$!
trap 'kill -TERM "$worker_pid" 2>/dev/null; wait "$worker_pid" 2>/dev/null' EXIT

cat <<INFO

  API          http://localhost:$PORT/api/v1   (try /api/v1/categories)
  Swagger UI   http://localhost:$PORT/docs   (OpenAPI JSON at /docs-json)
  Health       http://localhost:$PORT/health
  Mail catcher http://localhost:${MAILDEV_WEB_PORT:-1080}
  Admin login  $ADMIN_EMAIL / $ADMIN_PASSWORD

INFO
node dist/src/main.js

#!/usr/bin/env bash
# One command for a working shop on this machine:
#   installs what is missing, starts the local stack (persistent MongoDB data in .stack/),
#   builds the app, seeds the demo catalog (first run only), and runs the API on 127.0.0.1:3000
#   plus the queue worker as a second process; the API creates the admin user at start-up, with
#   the password generated once per checkout into .stack/admin-password.
#   Logs are readable lines in development (JSON with NODE_ENV=production); the URLs and the
#   admin login are printed last, once the API answers.
#   Ctrl-C stops both; the servers keep running (npm run stack:down stops them).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"
ensure_node_modules
if [[ -n ${MONGODB_URI:-} ]]; then
  scripts/stack/up.sh redis minio stripe-mock maildev # MongoDB is yours
else
  scripts/stack/up.sh
fi
# shellcheck source-path=SCRIPTDIR
. scripts/local-env.sh

npx nest build api
node dist/src/seed/seed.js demo

url_host=$HOST
[[ $HOST == 0.0.0.0 || $HOST == :: ]] && url_host=localhost
# Checked first, or the wait below would take another server's answer for this API's.
if curl -s -o /dev/null --max-time 2 "http://$url_host:$PORT/"; then
  echo "local.sh: something already answers on $url_host:$PORT; stop it or choose another PORT" >&2
  exit 1
fi

node dist/src/worker.js &
worker_pid=$!
node dist/src/main.js &
api_pid=$!
trap 'kill -TERM "$api_pid" "$worker_pid" 2>/dev/null; wait "$api_pid" "$worker_pid" 2>/dev/null' EXIT

# The URLs come last, once the API answers (any status), so start-up logs do not bury them.
until curl -s -o /dev/null --max-time 2 "http://$url_host:$PORT/health"; do
  kill -0 "$api_pid" 2>/dev/null || { wait "$api_pid" || exit $?; exit 1; }
  sleep 0.2
done

admin_source=
[[ $ADMIN_PASSWORD == "$(cat "$STACK_DATA_DIR/admin-password")" ]] && admin_source="   (stored in $STACK_DATA_DIR/admin-password)"
cat <<INFO

  API          http://$url_host:$PORT/api/v1   (try /api/v1/categories)
  Swagger UI   http://$url_host:$PORT/docs   (OpenAPI JSON at /docs-json)
  Health       http://$url_host:$PORT/health
  Mail catcher http://127.0.0.1:${MAILDEV_WEB_PORT:-1080}
  Admin login  $ADMIN_EMAIL / $ADMIN_PASSWORD$admin_source

INFO
wait "$api_pid"

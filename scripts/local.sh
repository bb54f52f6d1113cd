#!/usr/bin/env bash
# One command for a working shop on this machine:
#   installs what is missing, starts the local stack (persistent MongoDB data in .stack/),
#   builds the app, creates the admin user, and runs the API on port 3000 plus the queue worker
#   as a second process. Ctrl-C stops both; the stack keeps running (scripts/stack/down.sh).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"
ensure_node_modules

scripts/stack/up.sh

# A secret generated once per checkout, so sessions survive restarts of the local run.
secret_file=$STACK_DATA_DIR/jwt-secret
[[ -s $secret_file ]] || node -e 'console.log(require("crypto").randomBytes(48).toString("base64url"))' >"$secret_file"

export NODE_ENV=${NODE_ENV:-development}
export PORT=${PORT:-3000}
export MONGODB_URI=${MONGODB_URI:-mongodb://127.0.0.1:${MONGO_PORT:-27017}/shop}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}
export JWT_ACCESS_SECRET=${JWT_ACCESS_SECRET:-$(cat "$secret_file")}
export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@shop.local}
export ADMIN_PASSWORD=${ADMIN_PASSWORD:-admin12345}
export SMTP_HOST=${SMTP_HOST:-127.0.0.1}
export SMTP_PORT=${SMTP_PORT:-${MAILDEV_SMTP_PORT:-1025}}
export S3_ENDPOINT=${S3_ENDPOINT:-http://127.0.0.1:${MINIO_PORT:-9000}}
export S3_BUCKET=${S3_BUCKET:-shop-media}
export S3_ACCESS_KEY_ID=${S3_ACCESS_KEY_ID:-${MINIO_ROOT_USER:-minioadmin}}
export S3_SECRET_ACCESS_KEY=${S3_SECRET_ACCESS_KEY:-${MINIO_ROOT_PASSWORD:-minioadmin}}
export S3_PUBLIC_URL=${S3_PUBLIC_URL:-$S3_ENDPOINT/$S3_BUCKET}
export APP_PUBLIC_URL=${APP_PUBLIC_URL:-http://localhost:$PORT}

npx nest build api

node dist/src/worker.js &
worker_pid=$!
trap 'kill -TERM "$worker_pid" 2>/dev/null; wait "$worker_pid" 2>/dev/null' EXIT

cat <<INFO

  API          http://localhost:$PORT/api/v1
  Swagger UI   http://localhost:$PORT/docs   (OpenAPI JSON at /docs-json)
  Health       http://localhost:$PORT/health
  Mail catcher http://localhost:${MAILDEV_WEB_PORT:-1080}
  Admin login  $ADMIN_EMAIL / $ADMIN_PASSWORD

INFO
node dist/src/main.js

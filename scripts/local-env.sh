# shellcheck shell=bash
# Environment of the app for the local stack, for scripts that run the app or its commands
# (local.sh, seed.sh). Source after env.sh. A variable already set in the environment wins;
# values in .env do not (the app reads .env only for what the environment leaves unset).

# Secrets generated once per checkout, readable only by their owner: the JWT secret (sessions
# survive restarts of the local run) and the local admin's password. $STACK_DATA_DIR/admin-password
# is where scripts and acceptance-style clients read the admin password; local.sh prints it too.
mkdir -p "$STACK_DATA_DIR"
_local_secret() { # $1 = file, $2 = random bytes
  if [[ ! -s $1 ]]; then
    (umask 077 && node -e 'console.log(require("crypto").randomBytes(+process.argv[1]).toString("base64url"))' "$2" >"$1")
  fi
  chmod 600 "$1" # also for files written before this script set the mode
  cat "$1"
}
_jwt_secret=$(_local_secret "$STACK_DATA_DIR/jwt-secret" 48)
_admin_password=$(_local_secret "$STACK_DATA_DIR/admin-password" 15)

export NODE_ENV=${NODE_ENV:-development}
export PORT=${PORT:-3000}
# Loopback: the local run (an admin account, a mail catcher) is for this machine only.
export HOST=${HOST:-127.0.0.1}
export MONGODB_URI=${MONGODB_URI:-mongodb://127.0.0.1:${MONGO_PORT:-27017}/shop}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}
export JWT_ACCESS_SECRET=${JWT_ACCESS_SECRET:-$_jwt_secret}
export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@shop.local}
export ADMIN_PASSWORD=${ADMIN_PASSWORD:-$_admin_password}
export SMTP_HOST=${SMTP_HOST:-127.0.0.1}
export SMTP_PORT=${SMTP_PORT:-${MAILDEV_SMTP_PORT:-1025}}
export S3_ENDPOINT=${S3_ENDPOINT:-http://127.0.0.1:${MINIO_PORT:-9000}}
export S3_BUCKET=${S3_BUCKET:-shop-media}
export S3_ACCESS_KEY_ID=${S3_ACCESS_KEY_ID:-${MINIO_ROOT_USER:-minioadmin}}
export S3_SECRET_ACCESS_KEY=${S3_SECRET_ACCESS_KEY:-${MINIO_ROOT_PASSWORD:-minioadmin}}
export S3_PUBLIC_URL=${S3_PUBLIC_URL:-$S3_ENDPOINT/$S3_BUCKET}
export STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY:-sk_test_localstack}
export STRIPE_WEBHOOK_SECRET=${STRIPE_WEBHOOK_SECRET:-whsec_local}
export STRIPE_API_URL=${STRIPE_API_URL:-http://127.0.0.1:${STRIPE_MOCK_PORT:-12111}}
export APP_PUBLIC_URL=${APP_PUBLIC_URL:-http://localhost:$PORT}
unset _jwt_secret _admin_password
unset -f _local_secret

# shellcheck shell=bash
# Environment of the app for the local stack, for scripts that run the app or its commands
# (local.sh, seed.sh). Source after env.sh. A variable already set in the environment wins;
# values in .env do not (the app reads .env only for what the environment leaves unset).

# A secret generated once per checkout, so sessions survive restarts of the local run.
mkdir -p "$STACK_DATA_DIR"
_secret_file=$STACK_DATA_DIR/jwt-secret
[[ -s $_secret_file ]] || node -e 'console.log(require("crypto").randomBytes(48).toString("base64url"))' >"$_secret_file"

export NODE_ENV=${NODE_ENV:-development}
export PORT=${PORT:-3000}
export MONGODB_URI=${MONGODB_URI:-mongodb://127.0.0.1:${MONGO_PORT:-27017}/shop}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}
export JWT_ACCESS_SECRET=${JWT_ACCESS_SECRET:-$(cat "$_secret_file")}
export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@shop.local}
export ADMIN_PASSWORD=${ADMIN_PASSWORD:-admin12345}
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
# PayPal against the local test double (scripts/stack/paypal-mock); unset these for no PayPal.
export PAYPAL_CLIENT_ID=${PAYPAL_CLIENT_ID:-local-client}
export PAYPAL_CLIENT_SECRET=${PAYPAL_CLIENT_SECRET:-local-secret}
export PAYPAL_WEBHOOK_ID=${PAYPAL_WEBHOOK_ID:-WH-LOCAL}
export PAYPAL_API_BASE=${PAYPAL_API_BASE:-http://127.0.0.1:${PAYPAL_MOCK_PORT:-12113}}
export APP_PUBLIC_URL=${APP_PUBLIC_URL:-http://localhost:$PORT}
unset _secret_file

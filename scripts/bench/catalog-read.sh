#!/usr/bin/env bash
# Read benchmark of the catalog (issue 14): seeds a synthetic catalog into a database of its own,
# starts the built API, a minimal NestJS + Express app and a bare Node http server, and measures
# them with autocannon on loopback, interleaved round by round so that noise hits all alike.
#
#   bash scripts/bench/catalog-read.sh
#
# Knobs (environment): BENCH_PRODUCTS (10000), BENCH_VARIANTS per product (4), BENCH_CONNECTIONS (50), BENCH_SECONDS per
# scenario and round (3), BENCH_ROUNDS (3), BENCH_PROFILE=1 (afterwards, a CPU profile of the API
# serving the repeated search, summarised by package and function). MONGODB_URI points it at
# another MongoDB; otherwise it uses the memory stand-in on TEST_MONGO_PORT (27018). The database
# and the Redis keys it creates are removed at the end. Prints numbers; asserts nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$PROJECT_ROOT"
ensure_node_modules

run=bench_$(date +%s)_$RANDOM
if [[ -z ${MONGODB_URI:-} ]]; then
  MONGO_PORT=${TEST_MONGO_PORT:-27018} MONGO_BACKEND=memory scripts/stack/up.sh mongo >&2
  export MONGODB_URI=mongodb://127.0.0.1:${TEST_MONGO_PORT:-27018}/$run
fi
scripts/stack/up.sh redis minio >&2
export REDIS_KEY_PREFIX=$run
# JSON logs as in production; NODE_ENV=production itself refuses the local stack's published
# MinIO credentials (see env.schema.ts), and nothing else in the app depends on it.
export NODE_ENV=test LOG_LEVEL=warn
# The throttle stays in the request path (it is part of what a hit costs) but far above what
# the benchmark sends, so that no answer is a 429.
export THROTTLE_LIMIT_PER_MINUTE=10000000
# shellcheck source-path=SCRIPTDIR
. scripts/local-env.sh

npx nest build api >&2
echo "seeding ${BENCH_PRODUCTS:-10000} products with ${BENCH_VARIANTS:-4} variants each into $MONGODB_URI" >&2
node dist/src/seed/seed.js bulk --count "${BENCH_PRODUCTS:-10000}" --variants "${BENCH_VARIANTS:-4}" >&2
exec node scripts/bench/catalog-read.js

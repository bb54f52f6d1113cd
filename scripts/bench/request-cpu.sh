#!/usr/bin/env bash
# API CPU per request of each buyer step (add to cart, read cart, checkout, cancel), one request
# at a time, from the API process's CPU counters. Numbers only; asserts nothing.
#
#   bash scripts/bench/request-cpu.sh [--loops 300 --products 200]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/env.sh
ensure_node_modules
export TEST_MONGO_PORT=${TEST_MONGO_PORT:-27018}
if [[ -z ${BENCH_MONGODB_URI:-} ]]; then
  MONGO_PORT=$TEST_MONGO_PORT MONGO_BACKEND=memory scripts/stack/up.sh mongo
  export BENCH_MONGODB_URI=mongodb://127.0.0.1:$TEST_MONGO_PORT
fi
scripts/stack/up.sh redis stripe-mock
npx nest build api
node scripts/bench/request-cpu.mjs "$@"

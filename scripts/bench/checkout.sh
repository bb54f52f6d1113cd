#!/usr/bin/env bash
# Checkout benchmark: orders/s and checkout latency (p50/p99) with concurrent buyers on a
# 1,000-product catalog, through API processes started from the built app, with the stock
# invariants checked afterwards. Numbers only; nothing here is a pass/fail timing test.
#
#   npm run bench:checkout [-- --buyers 50 --products 1000 --seconds 20 --apis 2]
#   npm run bench:checkout -- --pricing [--rounds 2]   # plain and priced (tax + promotion) phases alternating
#   npm run bench:checkout -- --pricing --side-by-side # plain and priced buyers (half each) at the same time
#   npm run bench:checkout -- --profile                # and a CPU profile of the first API process, summarised
#
# Uses the local stack (MongoDB stand-in on TEST_MONGO_PORT, Redis, stripe-mock) and its own
# database and Redis prefix, dropped afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source-path=SCRIPTDIR/../..
. scripts/env.sh
ensure_node_modules
export TEST_MONGO_PORT=${TEST_MONGO_PORT:-27018}
if [[ -z ${BENCH_MONGODB_URI:-} ]]; then
  MONGO_PORT=$TEST_MONGO_PORT MONGO_BACKEND=memory scripts/stack/up.sh mongo
  export BENCH_MONGODB_URI=mongodb://127.0.0.1:$TEST_MONGO_PORT
fi
scripts/stack/up.sh redis stripe-mock
npx nest build api
node scripts/bench/checkout.mjs "$@"

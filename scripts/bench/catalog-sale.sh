#!/usr/bin/env bash
# The catalog during a sale (issue 28): an anonymous category listing measured alone, while
# buyers check out and cancel in a loop against the same API (the sale), while they do the same
# with products of another category (sale elsewhere), and while the same buyers only add, read
# and remove cart lines (the control), interleaved round by round so that
# noise hits all alike. Prints each one's throughput and the ratios to the listing alone.
# Numbers only; nothing here is a pass/fail timing test.
#
#   npm run bench:catalog-sale [-- --buyers 10 --products 2000 --seconds 5 --rounds 2 --connections 50 --apis 1]
#   npm run bench:catalog-sale -- --profile   # and a CPU profile of the API over the sale phases, summarised
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
# `bash scripts/bench/catalog-sale.sh -- --profile` passes the `--` npm would have eaten.
[[ ${1:-} == -- ]] && shift
node scripts/bench/catalog-sale.mjs "$@"

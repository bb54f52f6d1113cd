#!/usr/bin/env bash
# The whole test suite: type check, unit specs and e2e specs against the real local stack.
#
#   npm test [-- <jest arguments>]      e.g. npm test -- test/auth.e2e-spec.ts
#
# Installs and starts what is missing: Node 24, node_modules, MongoDB stand-in (memory backend,
# its own port so test data never mixes with the local run's), Redis, MinIO, stripe-mock and
# MailDev. Servers already running are reused and left running for the next run.
# TEST_MONGODB_URI points the suite at another MongoDB (a real one, say) instead of the stand-in.
# Ends with one line `N passed, N failed` read from jest's JSON report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
report=$PWD/reports/jest-results.json
mkdir -p reports
rm -f "$report"

# The last line, whatever happens from here on (a failed install included): jest's counts, or a
# failure when there are none to read.
summary() {
  local line
  line=$(node -e '
    const r = require(process.argv[1]);
    // Suites that could not even run count as failures, or a broken file would pass unseen.
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`);
  ' "$report" 2>/dev/null) || line="0 passed, 1 failed"
  echo "$line"
}
trap summary EXIT

# shellcheck source-path=SCRIPTDIR
. scripts/env.sh
ensure_node_modules

export TEST_MONGO_PORT=${TEST_MONGO_PORT:-27018}
# The outage tests run a private stand-in even when the suite uses another MongoDB; the fuzzing
# suite runs schemathesis from STACK_CACHE_DIR.
scripts/stack/install.sh --quiet mongo schemathesis
if [[ -z ${TEST_MONGODB_URI:-} ]]; then
  MONGO_PORT=$TEST_MONGO_PORT MONGO_BACKEND=memory scripts/stack/up.sh mongo
  export TEST_MONGODB_URI=mongodb://127.0.0.1:$TEST_MONGO_PORT
fi
scripts/stack/up.sh redis minio stripe-mock maildev
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}

echo "test.sh: type check and build (the process tests run dist/)"
npx tsc --noEmit -p tsconfig.json
npx nest build api

echo "test.sh: jest (unit + e2e)"
# One process: e2e suites share the local servers and some stop their own Redis.
# The time limit keeps a hung suite from holding CI until its own deadline.
timeout -k 30 "${TEST_TIMEOUT_SECONDS:-2400}" \
  node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --json --outputFile="$report" "$@"

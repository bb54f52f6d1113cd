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
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"
ensure_node_modules

report=reports/jest-results.json
mkdir -p reports
rm -f "$report"

summary() {
  if [[ -f $report ]]; then
    node -e '
      const r = require(process.argv[1]);
      // Suites that could not even run count as failures, or a broken file would pass unseen.
      console.log(`${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`);
    ' "$PROJECT_ROOT/$report"
  else
    echo "0 passed, 1 failed"
  fi
}
trap summary EXIT

export TEST_MONGO_PORT=${TEST_MONGO_PORT:-27018}
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
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --json --outputFile="$report" "$@"

#!/usr/bin/env bash
# Rebuilds every product's rating from its visible reviews against the local stack (or whatever
# MONGODB_URI / REDIS_URL say): npm run reviews:recompute
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"
ensure_node_modules
if [[ -n ${MONGODB_URI:-} ]]; then
  scripts/stack/up.sh redis >&2 # MongoDB is yours
else
  scripts/stack/up.sh mongo redis >&2
fi
# shellcheck source-path=SCRIPTDIR
. scripts/local-env.sh
npx nest build api >&2
node dist/src/reviews/recompute.js "$@"

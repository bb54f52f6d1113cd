#!/usr/bin/env bash
# Catalog seeding against the local stack (or whatever MONGODB_URI / S3_* say):
#   npm run seed:demo                      the demo catalog, once
#   npm run seed:bulk -- --count 100000    a large synthetic catalog with a progress bar
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"
ensure_node_modules
if [[ -n ${MONGODB_URI:-} ]]; then
  scripts/stack/up.sh redis minio >&2 # MongoDB is yours
else
  scripts/stack/up.sh mongo redis minio >&2
fi
# shellcheck source-path=SCRIPTDIR
. scripts/local-env.sh
npx nest build api >&2
node dist/src/seed/seed.js "$@"

#!/usr/bin/env bash
# Runs one of the app's one-off commands (seed, backup/restore, reviews:recompute) against the
# local stack, or against whatever MONGODB_URI / REDIS_URL / S3_* say:
#   scripts/run-command.sh "<stack servers besides MongoDB>" <built script under dist/src> [args]
# Starts the servers it needs (MongoDB only when MONGODB_URI is not given), builds the app, and
# runs the command with its arguments. The stack's and the build's output goes to stderr, so
# stdout carries only the command's own results.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"
servers=$1
script=$2
shift 2
ensure_node_modules
if [[ -n ${MONGODB_URI:-} ]]; then
  # shellcheck disable=SC2086 # a list of server names
  scripts/stack/up.sh $servers >&2 # MongoDB is yours
else
  # shellcheck disable=SC2086
  scripts/stack/up.sh mongo $servers >&2
fi
# shellcheck source-path=SCRIPTDIR
. scripts/local-env.sh
npx nest build api >&2
exec node "dist/src/$script" "$@"

#!/usr/bin/env bash
# Database backups against the local stack (or whatever MONGODB_URI / S3_* / BACKUP_* say):
#   npm run backup                                   one backup now; the last line starts with its id
#   npm run restore -- --list                        restorable backups, newest first
#   npm run restore -- <id> --db <name> [--force]    restore into <name>, recreate indexes, verify
# Progress goes to stderr, results to stdout (use `npm run -s` to keep npm's own lines out).
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
exec node dist/src/backups/backup-command.js "$@"

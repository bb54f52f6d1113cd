#!/usr/bin/env bash
# Database backups against the local stack (or whatever MONGODB_URI / S3_* / BACKUP_* say):
#   npm run backup                                   one backup now; the last line starts with its id
#   npm run restore -- --list                        restorable backups, newest first
#   npm run restore -- <id> --db <name> [--force [--replace-live]]
#                                                    restore into <name>, recreate indexes, verify, swap in
# Progress goes to stderr, results to stdout (use `npm run -s` to keep npm's own lines out).
exec bash "$(dirname "${BASH_SOURCE[0]}")/run-command.sh" "redis minio" backups/backup-command.js "$@"

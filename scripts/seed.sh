#!/usr/bin/env bash
# Catalog seeding against the local stack (or whatever MONGODB_URI / S3_* say):
#   npm run seed:demo                      the demo catalog, once
#   npm run seed:bulk -- --count 100000    a large synthetic catalog with a progress bar
exec bash "$(dirname "${BASH_SOURCE[0]}")/run-command.sh" "redis minio" seed/seed.js "$@"

#!/usr/bin/env bash
# Rebuilds every product's rating from its visible reviews against the local stack (or whatever
# MONGODB_URI / REDIS_URL say): npm run reviews:recompute
exec bash "$(dirname "${BASH_SOURCE[0]}")/run-command.sh" "redis" reviews/recompute.js "$@"

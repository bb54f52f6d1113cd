#!/usr/bin/env bash
# Checks every variant's stock against its movements and the open orders, against the local stack
# (or whatever MONGODB_URI / REDIS_URL say), printing each drift: npm run stock:verify
exec bash "$(dirname "${BASH_SOURCE[0]}")/run-command.sh" "redis" stock-verify/stock-verify.js "$@"

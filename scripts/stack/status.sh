#!/usr/bin/env bash
# Shows whether each local server is up, with the same port settings as up.sh.
#
#   scripts/stack/status.sh [mongo redis minio stripe-mock maildev paypal-mock ...]   (none named: all)
#
# STATE: up (answers like the server it should be), down, or "port busy" (something listens
# on the port but does not answer like it). PID: the server's pid when up.sh started it, "-"
# when it runs but these scripts did not start it. Exit status 0 only when all are up.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0; }
parse_components "$@"

all_up=yes
printf '%-12s %-9s %-8s %s\n' NAME STATE PID ADDRESS
for c in "${COMPONENTS[@]}"; do
  if probe "$c"; then
    state=up
  elif port_open "$(port_of "$c")"; then
    state="port busy"
    all_up=no
  else
    state=down
    all_up=no
  fi
  pid=$(our_pid_of "$c" || echo -)
  printf '%-12s %-9s %-8s %s\n' "$c" "$state" "$pid" "$(address_of "$c")"
done
[[ $all_up == yes ]]

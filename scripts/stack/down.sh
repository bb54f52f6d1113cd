#!/usr/bin/env bash
# Stops the local servers that up.sh started, with SIGTERM, and waits for them to exit.
#
#   scripts/stack/down.sh [mongo redis minio stripe-mock maildev paypal-mock ...]   (none named: all)
#   scripts/stack/down.sh --all      every server with a pid file in $STACK_DATA_DIR/run,
#                                    whatever port it was started on
#
# Components are found through the same port settings as up.sh (MONGO_PORT=27555 down.sh mongo
# stops the one that MONGO_PORT=27555 up.sh mongo started). Only pid files are used: a server
# that these scripts did not start is never signalled. DOWN_TIMEOUT (30 s) bounds the wait.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0; }
: "${DOWN_TIMEOUT:=30}"

# Pid files to act on, and the command-line mark each process must show.
files=()
marks=()
if [[ ${1:-} == --all ]]; then
  shopt -s nullglob
  for f in "$STACK_DATA_DIR"/run/*.pid; do
    name=$(basename "$f" .pid)
    files+=("$f")
    marks+=("$(cmdline_mark_of "${name%-[0-9]*}")") # mongo-27555 -> mongo
  done
else
  parse_components "$@"
  for c in "${COMPONENTS[@]}"; do
    f=$(pid_file_of "$c")
    if [[ -e $f ]]; then
      files+=("$f")
      marks+=("$(cmdline_mark_of "$c")")
    elif port_open "$(port_of "$c")"; then
      say "$c: port $(port_of "$c") is in use by a server these scripts did not start; left alone"
    else
      say "$c: not running"
    fi
  done
fi

# SIGTERM to all first, then wait for all: they shut down in parallel. The mongo stand-in
# needs SIGTERM (never SIGKILL) so that H2 writes out what it has acknowledged.
stopping=()
for i in "${!files[@]}"; do
  f=${files[$i]}
  name=$(basename "$f" .pid)
  if pid=$(live_pid_of "$f" "${marks[$i]}"); then
    kill -TERM "$pid" 2>/dev/null || true
    stopping+=("$i:$pid")
  else
    say "$name: already stopped (removing stale pid file)"
    rm -f "$f"
  fi
done

# Waits on the pid itself: Redis deletes its pid file before it has quite exited.
t_term=$(now_ms)
deadline=$((t_term + DOWN_TIMEOUT * 1000))
stuck=()
for entry in "${stopping[@]}"; do
  i=${entry%%:*}
  pid=${entry#*:}
  f=${files[$i]}
  name=$(basename "$f" .pid)
  while pid_runs "$pid" "${marks[$i]}" && (($(now_ms) < deadline)); do
    sleep 0.1
  done
  if pid_runs "$pid" "${marks[$i]}"; then
    warn "$name (pid $pid) is still running $DOWN_TIMEOUT s after SIGTERM; pid file kept"
    stuck+=("$name")
  else
    rm -f "$f"
    say "$name: stopped (pid $pid, $(fmt_ms $(($(now_ms) - t_term))) after SIGTERM)"
  fi
done

((${#stuck[@]} == 0)) || die "still running: ${stuck[*]}"

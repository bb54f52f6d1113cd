#!/usr/bin/env bash
# Starts the local servers on 127.0.0.1, installing what is missing first.
#
#   scripts/stack/up.sh [mongo redis minio stripe-mock maildev ...]     (none named: all five)
#
# A server whose port already answers is reused, not started again. Settings (defaults):
#   MONGO_PORT 27017, MONGO_BACKEND h2|memory (h2), MONGO_JAVA_HEAP (1g), REDIS_PORT 6379,
#   MINIO_PORT 9000, MINIO_CONSOLE_PORT 9001, MINIO_ROOT_USER / MINIO_ROOT_PASSWORD (minioadmin),
#   S3_BUCKET (shop-media), BACKUP_BUCKET (shop-backups), STRIPE_MOCK_PORT 12111 (https: +1), MAILDEV_SMTP_PORT 1025,
#   MAILDEV_WEB_PORT 1080, STACK_TIMEOUT 60 (seconds to wait for the servers to answer).
# Logs, pid files and data: $STACK_DATA_DIR (default .stack/). Stop with scripts/stack/down.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0; }

# Runs a server in the background, detached from this shell (setsid: a Ctrl-C or the end of
# the calling terminal does not reach it), output to its log, pid to its pid file. setsid and
# nohup exec the command, so the pid recorded is the server's own. Servers must not inherit
# fd 8, the lock of this script: they would hold it for as long as they run.
launch() {
  local c=$1
  shift
  : >"$(log_file_of "$c")"
  setsid nohup "$@" >>"$(log_file_of "$c")" 2>&1 </dev/null 8>&- &
  echo $! >"$(pid_file_of "$c")"
}

start_mongo() {
  local spec
  case $MONGO_BACKEND in
    memory) spec=memory ;;
    h2)
      mkdir -p "$(data_dir_of mongo)"
      spec=h2:$(data_dir_of mongo)/shop.mv
      ;;
    *) die "MONGO_BACKEND must be h2 or memory, not '$MONGO_BACKEND'" ;;
  esac
  command -v java >/dev/null || die "mongo: java not found on PATH"
  launch mongo java "-Xmx$MONGO_JAVA_HEAP" -cp "$MONGO_CLASSES_DIR:$MONGO_LIB_DIR/*" \
    Launcher "$MONGO_PORT" "$spec"
}

start_redis() {
  # Redis daemonizes itself and writes its own pid file; no persistence: it is a cache and a
  # queue for tests and local runs.
  mkdir -p "$(data_dir_of redis)"
  : >"$(log_file_of redis)"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --daemonize yes --pidfile "$(pid_file_of redis)" --logfile "$(log_file_of redis)" \
    --dir "$(data_dir_of redis)" 8>&- ||
    die "redis: redis-server refused to start (see $(log_file_of redis))"
}

start_minio() {
  mkdir -p "$(data_dir_of minio)"
  launch minio env MINIO_ROOT_USER="$MINIO_ROOT_USER" MINIO_ROOT_PASSWORD="$MINIO_ROOT_PASSWORD" \
    "$MINIO_BIN" server "$(data_dir_of minio)" \
    --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT"
}

start_stripe_mock() {
  launch stripe-mock "$STRIPE_MOCK_BIN" \
    -http-addr "127.0.0.1:$STRIPE_MOCK_PORT" -https-addr "127.0.0.1:$STRIPE_MOCK_HTTPS_PORT"
}

start_maildev() {
  launch maildev "$MAILDEV_BIN" --ip 127.0.0.1 --web-ip 127.0.0.1 \
    -s "$MAILDEV_SMTP_PORT" -w "$MAILDEV_WEB_PORT"
}

# Signed S3 request to MinIO as its root user: minio_s3 METHOD URL [BODY]; prints the HTTP
# status. curl 7.88 signs neither the payload hash nor a bare `?policy` the way S3 expects, so
# the hash header is sent explicitly and subresources are written `?policy=`.
minio_s3() {
  local method=$1 url=$2 body=${3:-} sha
  sha=$(printf '%s' "$body" | sha256sum | cut -c1-64)
  local args=(-X "$method" -H "x-amz-content-sha256: $sha")
  [[ $method == HEAD ]] && args=(-I -H "x-amz-content-sha256: $sha")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  [[ $method == PUT && -z $body ]] && args+=(-H 'Content-Length: 0')
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 "${args[@]}" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$MINIO_ROOT_USER:$MINIO_ROOT_PASSWORD" "$url"
}

# The app stores product images in this bucket and hands out plain URLs to them, so objects
# must be readable without credentials (listing the bucket stays private).
ensure_bucket() {
  local url=http://127.0.0.1:$MINIO_PORT/$S3_BUCKET code
  code=$(minio_s3 HEAD "$url")
  case $code in
    200) ;;
    404)
      code=$(minio_s3 PUT "$url")
      [[ $code == 200 ]] || die "minio: creating bucket $S3_BUCKET answered HTTP $code"
      ;;
    *) die "minio: HEAD $url answered HTTP $code (are MINIO_ROOT_USER/MINIO_ROOT_PASSWORD right?)" ;;
  esac

  # A missing object answers 404 to anyone who may read objects, 403 to anyone who may not.
  local probe_url=$url/.up-sh-missing-object
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$probe_url") == 404 ]] && return 0
  local policy
  policy=$(printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/*"]}]}' "$S3_BUCKET")
  code=$(minio_s3 PUT "$url?policy=" "$policy")
  [[ $code == 204 || $code == 200 ]] || die "minio: setting the read policy of $S3_BUCKET answered HTTP $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$probe_url")
  [[ $code == 404 ]] || die "minio: anonymous GET in $S3_BUCKET still answers HTTP $code, not 404"
}

# Database backups hold every customer's data: their bucket has no policy at all (private), and
# keeps object versions where the server supports it (single-drive MinIO refuses: said, not fatal).
ensure_backup_bucket() {
  local url=http://127.0.0.1:$MINIO_PORT/$BACKUP_BUCKET code
  [[ $BACKUP_BUCKET != "$S3_BUCKET" ]] || die "minio: BACKUP_BUCKET must not be the public image bucket $S3_BUCKET"
  code=$(minio_s3 HEAD "$url")
  case $code in
    200) ;;
    404)
      code=$(minio_s3 PUT "$url")
      [[ $code == 200 ]] || die "minio: creating bucket $BACKUP_BUCKET answered HTTP $code"
      code=$(minio_s3 PUT "$url?versioning=" \
        '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>')
      [[ $code == 200 ]] || warn "minio: bucket $BACKUP_BUCKET keeps no object versions (versioning answered HTTP $code)"
      ;;
    *) die "minio: HEAD $url answered HTTP $code" ;;
  esac
  # Readable by anyone, a missing object answers 404; private, 403.
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/.up-sh-missing-object")
  [[ $code == 403 ]] || die "minio: bucket $BACKUP_BUCKET answers anonymous reads with HTTP $code, not 403: it must be private"
}

# Waits until the server answers or the shared deadline passes. A server started here that
# exits fails at once instead of after the timeout.
wait_ready() {
  local c=$1 how=$2 pid_seen=no
  while ! probe "$c"; do
    if [[ $how == started ]]; then
      if our_pid_of "$c" >/dev/null; then
        pid_seen=yes
      elif [[ $pid_seen == yes || $c != redis ]]; then # redis writes its pid file a bit late
        warn "$c exited while starting"
        tail_log "$(log_file_of "$c")"
        return 1
      fi
    fi
    if (($(now_ms) > deadline)); then
      if [[ $how == started ]] || our_pid_of "$c" >/dev/null; then
        warn "$c did not answer on $(address_of "$c") within $STACK_TIMEOUT s"
        tail_log "$(log_file_of "$c")"
      else
        warn "$c: port $(port_of "$c") is taken but does not answer like $c within $STACK_TIMEOUT s" \
          "(not started by these scripts? see status.sh)"
      fi
      return 1
    fi
    sleep 0.1
  done
}

t0=$(now_ms)
parse_components "$@"
# The readiness probes of MinIO, stripe-mock and MailDev and the bucket set-up speak HTTP.
command -v curl >/dev/null || die "up.sh needs curl on PATH (apt-get install curl)"
mkdir -p "$STACK_DATA_DIR/run" "$STACK_DATA_DIR/logs"
# Two up.sh at once (say, two test scripts) would both find a port free and both start a
# server on it; the second one waits here and then reuses what the first started.
exec 8>"$STACK_DATA_DIR/run/.up.lock"
flock -w "${STACK_LOCK_TIMEOUT:-900}" 8 || die "another up.sh held $STACK_DATA_DIR/run/.up.lock too long"

# A server started by an earlier up.sh may still be starting: its port is closed but its pid
# file names a live process. Wait for it rather than start a second one.
declare -A how
to_start=()
for c in "${COMPONENTS[@]}"; do
  if port_open "$(port_of "$c")" || our_pid_of "$c" >/dev/null; then
    how[$c]=reused
  else
    how[$c]=started
    to_start+=("$c")
  fi
done

if ((${#to_start[@]})); then
  "$STACK_SCRIPTS_DIR/install.sh" --quiet "${to_start[@]}" || die "cannot start ${to_start[*]}: install failed"
  for c in "${to_start[@]}"; do
    rm -f "$(pid_file_of "$c")" # left by a server that died
    "start_${c//-/_}"
  done
fi

deadline=$(($(now_ms) + STACK_TIMEOUT * 1000))
failed=()
declare -A ready_after
for c in "${COMPONENTS[@]}"; do
  if wait_ready "$c" "${how[$c]}"; then
    ready_after[$c]=$(fmt_ms $(($(now_ms) - t0)))
  else
    failed+=("$c")
  fi
done
((${#failed[@]} == 0)) || die "not up: ${failed[*]} (logs in $STACK_DATA_DIR/logs)"

if [[ " ${COMPONENTS[*]} " == *" minio "* ]]; then
  ensure_bucket
  ensure_backup_bucket
fi

# READY: seconds from the start of this script until the server answered.
printf '%-12s %-8s %-8s %-7s %s\n' NAME STATE PID READY ADDRESS
for c in "${COMPONENTS[@]}"; do
  printf '%-12s %-8s %-8s %-7s %s\n' "$c" "${how[$c]}" "$(our_pid_of "$c" || echo -)" "${ready_after[$c]}" "$(address_of "$c")"
done
say "stack up in $(fmt_ms $(($(now_ms) - t0))); logs and pid files in $STACK_DATA_DIR"

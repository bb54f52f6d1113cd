# shellcheck shell=bash source-path=SCRIPTDIR
# shellcheck disable=SC2034 # the settings below are used by the scripts that source this
# Shared by the scripts in scripts/stack/: settings, file locations, probes and messages.
# Sourced by them, never run.

STACK_SCRIPTS_DIR=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$STACK_SCRIPTS_DIR/../env.sh"

STACK_COMPONENTS=(mongo redis minio stripe-mock maildev)

: "${MONGO_PORT:=27017}" "${MONGO_BACKEND:=h2}" "${MONGO_JAVA_HEAP:=1g}"
: "${REDIS_PORT:=6379}"
: "${MINIO_PORT:=9000}" "${MINIO_CONSOLE_PORT:=9001}"
: "${MINIO_ROOT_USER:=minioadmin}" "${MINIO_ROOT_PASSWORD:=minioadmin}" "${S3_BUCKET:=shop-media}"
: "${BACKUP_BUCKET:=shop-backups}"
: "${STRIPE_MOCK_PORT:=12111}"
: "${STRIPE_MOCK_HTTPS_PORT:=$((STRIPE_MOCK_PORT + 1))}"
: "${MAILDEV_SMTP_PORT:=1025}" "${MAILDEV_WEB_PORT:=1080}"
: "${STACK_TIMEOUT:=60}"

MONGO_LIB_DIR=$STACK_CACHE_DIR/mongo/lib
MONGO_CLASSES_DIR=$STACK_CACHE_DIR/mongo/classes
MINIO_BIN=$STACK_CACHE_DIR/bin/minio
STRIPE_MOCK_BIN=$STACK_CACHE_DIR/bin/stripe-mock
MAILDEV_BIN=$STACK_CACHE_DIR/maildev/node_modules/.bin/maildev
SCHEMATHESIS_BIN=$STACK_CACHE_DIR/schemathesis/bin/schemathesis

SCRIPT_NAME=$(basename "$0")

say() { printf '%s\n' "$*"; }
warn() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
  warn "$*"
  exit 1
}

now_ms() { date +%s%3N; }
# 1234 -> "1.2 s"
fmt_ms() { printf '%d.%d s' $(($1 / 1000)) $(($1 % 1000 / 100)); }

tail_log() {
  if [[ -s $1 ]]; then
    printf -- '--- last lines of %s:\n' "$1"
    tail -n "${2:-20}" "$1" | sed 's/^/    /'
  else
    printf -- '--- %s is empty or missing\n' "$1"
  fi
} >&2

# Sets COMPONENTS from the arguments (all of STACK_COMPONENTS when there are none).
parse_components() {
  COMPONENTS=()
  local c known
  for c in "$@"; do
    known=no
    [[ " ${STACK_COMPONENTS[*]} " == *" $c "* ]] && known=yes
    [[ $known == yes ]] || die "unknown component '$c' (known: ${STACK_COMPONENTS[*]})"
    COMPONENTS+=("$c")
  done
  ((${#COMPONENTS[@]})) || COMPONENTS=("${STACK_COMPONENTS[@]}")
}

port_of() {
  case $1 in
    mongo) echo "$MONGO_PORT" ;;
    redis) echo "$REDIS_PORT" ;;
    minio) echo "$MINIO_PORT" ;;
    stripe-mock) echo "$STRIPE_MOCK_PORT" ;;
    maildev) echo "$MAILDEV_SMTP_PORT" ;;
  esac
}

default_port_of() {
  case $1 in
    mongo) echo 27017 ;;
    redis) echo 6379 ;;
    minio) echo 9000 ;;
    stripe-mock) echo 12111 ;;
    maildev) echo 1025 ;;
  esac
}

address_of() {
  case $1 in
    mongo) echo "mongodb://127.0.0.1:$MONGO_PORT ($MONGO_BACKEND)" ;;
    redis) echo "redis://127.0.0.1:$REDIS_PORT" ;;
    minio) echo "http://127.0.0.1:$MINIO_PORT (console :$MINIO_CONSOLE_PORT, buckets $S3_BUCKET, $BACKUP_BUCKET)" ;;
    stripe-mock) echo "http://127.0.0.1:$STRIPE_MOCK_PORT (https :$STRIPE_MOCK_HTTPS_PORT)" ;;
    maildev) echo "smtp://127.0.0.1:$MAILDEV_SMTP_PORT, http://127.0.0.1:$MAILDEV_WEB_PORT" ;;
  esac
}

# On its default port a server's files are named after it (run/mongo.pid, logs/mongo.log,
# mongo/); on another port the port is added (run/mongo-27555.pid), so a test stack on other
# ports can run beside the dev stack without the two taking each other's pid files or data.
instance_of() {
  if [[ $(port_of "$1") == "$(default_port_of "$1")" ]]; then
    echo "$1"
  else
    echo "$1-$(port_of "$1")"
  fi
}
pid_file_of() { echo "$STACK_DATA_DIR/run/$(instance_of "$1").pid"; }
log_file_of() { echo "$STACK_DATA_DIR/logs/$(instance_of "$1").log"; }
data_dir_of() { echo "$STACK_DATA_DIR/$(instance_of "$1")"; }

# Part of the command line that the process of a pid file must show before it is signalled:
# a pid left behind by a crash may since belong to something else.
cmdline_mark_of() {
  case $1 in
    mongo) echo Launcher ;;
    *) echo "$1" ;;
  esac
}

port_open() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Is this pid alive and still the expected program? Zombies (empty command line) and pids
# reused by something else fail the check.
pid_runs() {
  local pid=$1 mark=$2 cmdline
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$mark"* ]]
}

# The pid in a pid file, if that process is alive and still the expected program.
live_pid_of() {
  local file=$1 mark=$2 pid
  [[ -s $file ]] || return 1
  read -r pid <"$file" || true
  [[ $pid =~ ^[0-9]+$ ]] && pid_runs "$pid" "$mark" || return 1
  echo "$pid"
}

# The pid of the server that these scripts started for a component, if it still runs.
our_pid_of() { live_pid_of "$(pid_file_of "$1")" "$(cmdline_mark_of "$1")"; }

# One readiness check: does the server answer like the component it should be?
probe() {
  case $1 in
    mongo) port_open "$MONGO_PORT" ;;
    redis) [[ $(timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] ;;
    minio) curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$MINIO_PORT/minio/health/live" ;;
    stripe-mock)
      [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Authorization: Bearer sk_test_123' \
        "http://127.0.0.1:$STRIPE_MOCK_PORT/v1/charges") == 200 ]]
      ;;
    maildev)
      port_open "$MAILDEV_SMTP_PORT" &&
        curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$MAILDEV_WEB_PORT/api/healthz"
      ;;
  esac
}

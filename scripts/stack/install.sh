#!/usr/bin/env bash
# Installs the programs of the local stack into $STACK_CACHE_DIR (Redis: from apt), and the
# test suite's API fuzzer, schemathesis (PyPI, into a virtual environment there).
# Idempotent: what is already there at the pinned version is skipped.
#
#   scripts/stack/install.sh [--quiet] [node mongo redis minio stripe-mock maildev paypal-mock schemathesis ...]
#
# No component named: all of them. --quiet: say nothing about what is already installed.
# Output of each install goes to $STACK_CACHE_DIR/logs/install-<component>.log.
set -euo pipefail

# Node's version is pinned in scripts/env.sh, mongo-java-server's in mongo/pom.xml.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c # the Go proxy has no RELEASE.* tags
STRIPE_MOCK_MODULE=github.com/stripe/stripe-mock
STRIPE_MOCK_VERSION=v0.203.0
MAILDEV_VERSION=3.0.0
SCHEMATHESIS_VERSION=4.32.5 # the API fuzzer of the test suite (PyPI)

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# node first: maildev's install runs on it. minio last: it is the long one.
INSTALL_ORDER=(node redis mongo stripe-mock maildev paypal-mock schemathesis minio)

need() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || {
      echo "needs '$cmd' on PATH" >&2
      return 1
    }
  done
}

# --- node ------------------------------------------------------------------------------------
# env.sh has already done the work when this script sourced it.
installed_node() { [[ $(_shop_node_major) == 24 ]]; }
install_node() { ensure_node; }

# --- mongo: mongo-java-server jars from Maven Central and the precompiled launcher -----------
MONGO_SRC_DIR=$STACK_SCRIPTS_DIR/mongo
MONGO_STAMP=$MONGO_LIB_DIR/.pom.sha256

pom_sha() { sha256sum <"$MONGO_SRC_DIR/pom.xml" | cut -c1-64; }

mongo_jars_current() {
  [[ -f $MONGO_STAMP && $(<"$MONGO_STAMP") == "$(pom_sha)" ]]
}

mongo_launcher_current() {
  local class=$MONGO_CLASSES_DIR/Launcher.class
  [[ -f $class && ! $class -ot $MONGO_SRC_DIR/Launcher.java && ! $class -ot $MONGO_STAMP ]]
}

installed_mongo() { mongo_jars_current && mongo_launcher_current; }

install_mongo() {
  need java javac mvn
  local dir=$STACK_CACHE_DIR/mongo
  if ! mongo_jars_current; then
    # Into a fresh folder, so jars of an older pom.xml do not stay on the classpath.
    rm -rf "$dir/lib.new"
    mvn -q -B -f "$MONGO_SRC_DIR/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir/lib.new"
    pom_sha >"$dir/lib.new/.pom.sha256"
    rm -rf "$MONGO_LIB_DIR"
    mv "$dir/lib.new" "$MONGO_LIB_DIR"
  fi
  rm -rf "$dir/classes.new"
  javac -d "$dir/classes.new" -cp "$MONGO_LIB_DIR/*" "$MONGO_SRC_DIR/Launcher.java"
  rm -rf "$MONGO_CLASSES_DIR"
  mv "$dir/classes.new" "$MONGO_CLASSES_DIR"
}

# --- redis: Debian's package ------------------------------------------------------------------
installed_redis() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null; }

install_redis() {
  if ((EUID != 0)); then
    echo "apt-get needs root: run as root, or: sudo apt-get install redis-server" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The lock fds are closed for apt: a Redis daemon started by the package's init script would
  # otherwise inherit them and hold every later install.sh/up.sh forever. A fresh VM's
  # unattended upgrades may hold dpkg's lock for a while: wait for it, not fail.
  apt-get -o DPkg::Lock::Timeout=300 update -q </dev/null 8>&- 9>&-
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends redis-server </dev/null 8>&- 9>&-
}

# --- minio and stripe-mock: go install into the cache -------------------------------------------
# The version is read back from the binary, so changing a pin above rebuilds it.
go_binary_current() {
  local bin=$1 module=$2 version=$3
  [[ -x $bin ]] || return 1
  command -v go >/dev/null || return 0 # cannot check without go; the binary is all we need
  [[ $(go version -m "$bin" | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }') == "$version" ]]
}

go_install() {
  # Go's tarball install lives in /usr/local/go/bin, which is not always on PATH.
  command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
  need go
  # -modcacherw: module files stay writable, so the cache can be deleted without chmod.
  GOPATH=$STACK_CACHE_DIR/go GOBIN=$STACK_CACHE_DIR/bin GOCACHE=$STACK_CACHE_DIR/go-build \
    GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw" go install "$1@$2"
}

installed_minio() { go_binary_current "$MINIO_BIN" "$MINIO_MODULE" "$MINIO_VERSION"; }
install_minio() { go_install "$MINIO_MODULE" "$MINIO_VERSION"; }

installed_stripe_mock() { go_binary_current "$STRIPE_MOCK_BIN" "$STRIPE_MOCK_MODULE" "$STRIPE_MOCK_VERSION"; }
install_stripe_mock() { go_install "$STRIPE_MOCK_MODULE" "$STRIPE_MOCK_VERSION"; }

# --- maildev: npm, in its own prefix (it is not a dependency of the app) ------------------------
MAILDEV_PREFIX=$STACK_CACHE_DIR/maildev

installed_maildev() {
  [[ -x $MAILDEV_BIN ]] &&
    [[ $(node -p 'require(process.argv[1]).version' "$MAILDEV_PREFIX/node_modules/maildev/package.json" 2>/dev/null) == "$MAILDEV_VERSION" ]]
}

install_maildev() {
  need npm
  npm install --prefix "$MAILDEV_PREFIX" --no-audit --no-fund "maildev@$MAILDEV_VERSION"
}

# --- paypal-mock: a script in this repository, run on the project's Node ------------------------
installed_paypal_mock() { [[ -f $PAYPAL_MOCK_SCRIPT && $(_shop_node_major) == 24 ]]; }
install_paypal_mock() { ensure_node; }

# --- schemathesis: PyPI, in its own virtual environment (a test tool, not a server) ------------
# CPython 3.11.0-3.11.7 and 3.12.0 raise "SystemError: AST constructor recursion depth mismatch"
# from ast.parse deep in a call stack (CPython gh-106905), which hypothesis does when it describes
# a filter inside schemathesis's coverage phase: the fuzz run then dies with a runtime error on a
# few operations. So the venv is made from the first interpreter without that bug: python3 itself,
# a python3.13/python3.12 on PATH, or one that pyenv keeps; python3 as the last resort.
_python_without_ast_bug() {
  "$1" -c 'import sys; v = sys.version_info[:3]; sys.exit(0 if v >= (3, 12, 1) or (3, 11, 8) <= v < (3, 12) else 1)' 2>/dev/null
}

schemathesis_python() {
  local candidate
  for candidate in python3 python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if _python_without_ast_bug "$candidate"; then
      command -v "$candidate"
      return
    fi
  done
  command -v python3
}

installed_schemathesis() {
  [[ $("$SCHEMATHESIS_BIN" --version 2>/dev/null) == "schemathesis, version $SCHEMATHESIS_VERSION" ]] || return 1
  _python_without_ast_bug "$STACK_CACHE_DIR/schemathesis/bin/python" && return 0
  # Made from the bugged python3 earlier: install again if a better interpreter is here now.
  ! _python_without_ast_bug "$(schemathesis_python)"
}

install_schemathesis() {
  need python3
  local venv=$STACK_CACHE_DIR/schemathesis python
  python=$(schemathesis_python)
  # Debian splits venv's pip bootstrap into python3-venv.
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    ((EUID == 0)) || die "python3 cannot create virtual environments: sudo apt-get install python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -q </dev/null 8>&- 9>&-
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends python3-venv </dev/null 8>&- 9>&-
  fi
  # A fresh environment each time, so a half-finished or older install never lingers.
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check -q "schemathesis==$SCHEMATHESIS_VERSION"
}

# --- main --------------------------------------------------------------------------------------
quiet=no
requested=()
for arg in "$@"; do
  case $arg in
    --quiet) quiet=yes ;;
    -h | --help)
      sed -n '2,9s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    node | mongo | redis | minio | stripe-mock | maildev | paypal-mock | schemathesis) requested+=("$arg") ;;
    *) die "unknown component '$arg' (known: ${INSTALL_ORDER[*]})" ;;
  esac
done
((${#requested[@]})) || requested=("${INSTALL_ORDER[@]}")

mkdir -p "$STACK_CACHE_DIR/logs"
# One install at a time per cache: two go builds or npm runs into one folder corrupt it.
exec 9>"$STACK_CACHE_DIR/.install.lock"
if ! flock -n 9; then
  say "install: waiting for another install.sh on $STACK_CACHE_DIR to finish"
  flock -w "${STACK_LOCK_TIMEOUT:-900}" 9 || die "install: another install.sh held $STACK_CACHE_DIR/.install.lock too long"
fi

failed=()
for c in "${INSTALL_ORDER[@]}"; do
  [[ " ${requested[*]} " == *" $c "* ]] || continue
  fn=${c//-/_}

  if [[ $c == node && -n ${STACK_NODE_INSTALL_MS:-} ]]; then
    say "install: node installed $(node -v) into $STACK_CACHE_DIR/node24 ($(fmt_ms "$STACK_NODE_INSTALL_MS"), by env.sh)"
    continue
  fi
  if "installed_$fn"; then
    [[ $quiet == yes ]] || say "install: $c already installed"
    continue
  fi

  log=$STACK_CACHE_DIR/logs/install-$c.log
  hint=""
  [[ $c == minio ]] && hint=", about 4 minutes on 2 cores when nothing is cached"
  say "install: $c ... (log: $log$hint)"
  t0=$(now_ms)
  # A subshell outside any `if`/`||`, so that its own set -e stops at the first failing step.
  set +e
  (
    set -e
    "install_$fn"
  ) >"$log" 2>&1
  rc=$?
  set -e
  took=$(fmt_ms $(($(now_ms) - t0)))
  if ((rc == 0)) && "installed_$fn"; then
    say "install: $c installed ($took)"
  else
    ((rc != 0)) || echo "the install finished but $c is still not in place" >>"$log"
    warn "installing $c FAILED after $took (exit $rc)"
    tail_log "$log"
    failed+=("$c")
  fi
done

((${#failed[@]} == 0)) || die "could not install: ${failed[*]}"
